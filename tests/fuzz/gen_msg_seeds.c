/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Writes the seed corpus of fuzz_msg: one file per message as rampartd / rampart-dp build
 * them (valid messages of every type; the fuzzer mutates from there).
 * usage: gen_msg_seeds DIR */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "common/msg.h"

static int put(const char *dir, const char *name, uint16_t type, const void *p, size_t len)
{
	struct rp_msg m;
	char path[512];
	FILE *fp;

	memset(&m, 0, sizeof(m));
	m.hdr.version = RP_MSG_VERSION;
	m.hdr.type = type;
	m.hdr.len = (uint16_t)len;
	m.hdr.epoch = 1;
	m.hdr.seq = 7;
	memcpy(m.u.raw, p, len);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	if (!fp || fwrite(&m, sizeof(m), 1, fp) != 1)
		return -1;
	return fclose(fp);
}

int main(int argc, char **argv)
{
	struct rp_msg_sa sa = { 0 };
	struct rp_msg_route rt = { 0 };
	struct rp_msg_ping ping = { .sent_ns = 123456789, .pid = 42 };
	struct rp_msg_ack ack = { .status = -95 };
	struct rp_msg_port port = { .port_id = 1, .role = 1, .link_up = 1, .rx_packets = 10 };
	struct rp_msg_kv kv = { .key = 5, .value = 9 };
	struct rp_msg_empty empty = { 0 };
	int rc = 0;

	if (argc != 2)
		return 2;
	sa.sa_id = 1;
	sa.spi = htonl(0x1000);
	sa.dir = RP_DIR_IN;
	sa.outer_af = 4;
	sa.cipher = RP_CIPHER_AES_GCM_128;
	sa.integ = RP_INTEG_NONE;
	sa.enc_key_len = 16;
	sa.salt_len = 4;
	sa.n_ts = 1;
	sa.replay_window = 64;
	inet_pton(AF_INET, "192.0.2.1", sa.local);
	inet_pton(AF_INET, "198.51.100.2", sa.remote);
	sa.ts[0].af = 4;
	sa.ts[0].plen = 32;
	inet_pton(AF_INET, "198.18.200.5", sa.ts[0].addr);
	rc |= put(argv[1], "sa_add_gcm", RP_MSG_SA_ADD, &sa, sizeof(sa));
	sa.cipher = RP_CIPHER_AES_CBC_256;
	sa.integ = RP_INTEG_HMAC_SHA512_256;
	sa.enc_key_len = 32;
	sa.auth_key_len = 64;
	sa.salt_len = 0;
	sa.flags = RP_SAF_ESN | RP_SAF_NATT;
	sa.natt_sport = 4500;
	sa.natt_dport = 4500;
	sa.outer_af = 6;
	memset(sa.local, 0, 16);
	inet_pton(AF_INET6, "2001:db8::1", sa.local);
	inet_pton(AF_INET6, "2001:db8::2", sa.remote);
	rc |= put(argv[1], "sa_update_cbc6", RP_MSG_SA_UPDATE, &sa, sizeof(sa));
	rt.prefix.af = 4;
	rt.prefix.plen = 24;
	inet_pton(AF_INET, "198.18.200.0", rt.prefix.addr);
	rt.sa_id = 2;
	rc |= put(argv[1], "route_add", RP_MSG_ROUTE_ADD, &rt, sizeof(rt));
	rc |= put(argv[1], "ping", RP_MSG_PING, &ping, sizeof(ping));
	rc |= put(argv[1], "pong", RP_MSG_PONG, &ping, sizeof(ping));
	snprintf(ack.reason, sizeof(ack.reason), "ESP fast path not in this build yet");
	rc |= put(argv[1], "ack", RP_MSG_ACK, &ack, sizeof(ack));
	snprintf(port.name, sizeof(port.name), "outside");
	snprintf(port.device, sizeof(port.device), "net_ring0");
	rc |= put(argv[1], "port_info", RP_MSG_PORT_INFO, &port, sizeof(port));
	kv.check = rp_msg_kv_check(kv.key, kv.value);
	rc |= put(argv[1], "kv_set", RP_MSG_KV_SET, &kv, sizeof(kv));
	rc |= put(argv[1], "resync_begin", RP_MSG_RESYNC_BEGIN, &empty, sizeof(empty));
	return rc ? 1 : 0;
}
