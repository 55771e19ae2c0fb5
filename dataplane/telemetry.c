/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * DPDK telemetry of the ESP fast path: /rampart/sa, /rampart/sa_summary, /rampart/neighbors.
 * Callbacks run on DPDK's telemetry thread(s); SAs are read inside dp_sad_read_lock() so
 * that none is freed meanwhile.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "common/log.h"
#include "common/msg.h"
#include "dataplane/dp.h"
#include "dataplane/neigh.h"
#include "dataplane/sad.h"

/* SA handles listed by /rampart/sa without parameters: the telemetry buffer is 16 KB. */
#define SA_LIST_MAX 256

static struct dp_app *tel;

static void add_addr(struct rte_tel_data *d, const char *key, uint8_t af, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN] = "?";

	inet_ntop(af == 4 ? AF_INET : AF_INET6, a, buf, sizeof(buf));
	rte_tel_data_add_dict_string(d, key, buf);
}

static void sa_detail(struct rte_tel_data *d, const struct dp_sa *sa)
{
	struct rp_msg_sa_stats st;
	struct rte_tel_data *drops = rte_tel_data_alloc();
	char buf[32];

	dp_sad_sa_stats(sa, &st);
	rte_tel_data_add_dict_u64(d, "sa_id", sa->sa_id);
	rte_tel_data_add_dict_string(d, "direction", sa->dir == RP_DIR_IN ? "in" : "out");
	snprintf(buf, sizeof(buf), "0x%08x", ntohl(sa->esp.spi));
	rte_tel_data_add_dict_string(d, "spi", buf);
	rte_tel_data_add_dict_string(d, "cipher", rp_cipher_name(sa->esp.rp_cipher));
	rte_tel_data_add_dict_u64(d, "icv_len", sa->esp.icv_len);
	add_addr(d, "local", sa->outer_af, sa->local);
	add_addr(d, "remote", sa->outer_af, sa->remote);
	rte_tel_data_add_dict_u64(d, "natt", !!(sa->esp.flags & ESP_SAF_NATT));
	if (sa->esp.flags & ESP_SAF_NATT) {
		rte_tel_data_add_dict_u64(d, "natt_sport", sa->natt_sport);
		rte_tel_data_add_dict_u64(d, "natt_dport", sa->natt_dport);
	}
	rte_tel_data_add_dict_u64(d, "esn", !!(sa->esp.flags & ESP_SAF_ESN));
	rte_tel_data_add_dict_u64(d, "worker", sa->worker);
	rte_tel_data_add_dict_u64(d, "slot", sa->slot);
	rte_tel_data_add_dict_u64(d, "manual", sa->manual);
	rte_tel_data_add_dict_u64(d, "paired_sa_id", sa->paired_sa_id);
	rte_tel_data_add_dict_u64(d, "packets", st.packets);
	rte_tel_data_add_dict_u64(d, "bytes", st.bytes);
	rte_tel_data_add_dict_u64(d, "drops", st.drops);
	rte_tel_data_add_dict_u64(d, "seq", st.seq);
	rte_tel_data_add_dict_u64(d, "soft_bytes", sa->soft_bytes);
	rte_tel_data_add_dict_u64(d, "hard_bytes", sa->hard_bytes);
	rte_tel_data_add_dict_u64(d, "soft_packets", sa->soft_packets);
	rte_tel_data_add_dict_u64(d, "hard_packets", sa->hard_packets);
	rte_tel_data_add_dict_u64(d, "soft_expired", sa->soft_sent);
	rte_tel_data_add_dict_u64(d, "hard_expired", sa->hard_sent);
	rte_tel_data_add_dict_u64(d, "routes", sa->n_routes);
	if (!drops)
		return;
	rte_tel_data_start_dict(drops);
	for (unsigned int r = 0; r < ESP_DROP_MAX; r++) {
		uint64_t v = esp_sa_counter_read(&sa->esp.ctr.drops[r]);

		if (v)
			rte_tel_data_add_dict_u64(drops, esp_drop_name(r), v);
	}
	if (rte_tel_data_add_dict_container(d, "drop_reasons", drops, 0) < 0)
		rte_tel_data_free(drops);
}

static void summary(struct rte_tel_data *d)
{
	struct dp_sad_counts c;

	dp_sad_counts(tel->sad, &c);
	rte_tel_data_add_dict_u64(d, "sa_max", tel->conf.sa_max);
	rte_tel_data_add_dict_u64(d, "inbound", c.sas[RP_DIR_IN]);
	rte_tel_data_add_dict_u64(d, "outbound", c.sas[RP_DIR_OUT]);
	rte_tel_data_add_dict_u64(d, "route_max", tel->conf.route_max);
	rte_tel_data_add_dict_u64(d, "routes_ipv4", c.routes4);
	rte_tel_data_add_dict_u64(d, "routes_ipv6", c.routes6);
	rte_tel_data_add_dict_u64(d, "added", c.added);
	rte_tel_data_add_dict_u64(d, "deleted", c.deleted);
	rte_tel_data_add_dict_u64(d, "updated", c.updated);
	rte_tel_data_add_dict_u64(d, "replaced", c.replaced);
	rte_tel_data_add_dict_u64(d, "refused", c.refused);
	rte_tel_data_add_dict_u64(d, "reclaim_pending", c.reclaim_pending);
	rte_tel_data_add_dict_u64(d, "fib_grace_waits", c.fib_waits);
}

static int tel_sa_summary(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	if (!__atomic_load_n(&tel->sad, __ATOMIC_ACQUIRE))
		return -EBUSY; /* starting or stopping */
	rte_tel_data_start_dict(d);
	summary(d);
	return 0;
}

/* /rampart/sa: the summary and the first SA handles; /rampart/sa,ID: one SA in detail. */
static int tel_sa(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *ids;
	struct dp_sa *sa;
	uint32_t pos = 0;
	unsigned int n = 0;
	int rc = 0;

	(void)cmd;
	if (!__atomic_load_n(&tel->sad, __ATOMIC_ACQUIRE))
		return -EBUSY;
	rte_tel_data_start_dict(d);
	dp_sad_read_lock(tel->sad);
	if (params && *params) {
		char *end;
		unsigned long id = strtoul(params, &end, 0);

		rc = -EINVAL;
		if (*end == '\0' && end != params) {
			while ((sa = dp_sad_next(tel->sad, &pos)) != NULL) {
				if (sa->sa_id == id) {
					sa_detail(d, sa);
					rc = 0;
					break;
				}
			}
		}
		goto out;
	}
	summary(d);
	ids = rte_tel_data_alloc();
	if (!ids)
		goto out;
	rte_tel_data_start_array(ids, RTE_TEL_U64_VAL);
	while (n < SA_LIST_MAX && (sa = dp_sad_next(tel->sad, &pos)) != NULL) {
		rte_tel_data_add_array_u64(ids, sa->sa_id);
		n++;
	}
	if (rte_tel_data_add_dict_container(d, "sa_ids", ids, 0) < 0)
		rte_tel_data_free(ids);
out:
	dp_sad_read_unlock(tel->sad);
	return rc;
}

struct neigh_walk {
	struct rte_tel_data *d;
	unsigned int n;
};

static void neigh_one(void *arg, const struct dp_neigh_key *k, uint64_t word)
{
	struct neigh_walk *nw = arg;
	struct rte_ether_addr mac;
	char a[INET6_ADDRSTRLEN] = "?", key[96], m[RTE_ETHER_ADDR_FMT_SIZE], v[64];
	const char *port = k->port < tel->n_ports ? tel->ports[k->port].conf->name : "?";

	if (nw->n >= 200 || !neigh_word_mac(word, &mac))
		return;
	inet_ntop(k->af == 4 ? AF_INET : AF_INET6, k->addr, a, sizeof(a));
	/* Telemetry keys: letters, digits, '_' and '/' only. */
	snprintf(key, sizeof(key), "%s/%s", port, a);
	for (char *p = key; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '/'))
			*p = '_';
	rte_ether_format_addr(m, sizeof(m), &mac);
	snprintf(v, sizeof(v), "%s%s", m, (word & DP_NEIGH_STATIC) ? " static" : "");
	rte_tel_data_add_dict_string(nw->d, key, v);
	nw->n++;
}

static int tel_neighbors(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct neigh_walk nw = { .d = d, .n = 0 };

	(void)cmd;
	(void)params;
	if (!__atomic_load_n(&tel->neigh, __ATOMIC_ACQUIRE))
		return -EBUSY;
	rte_tel_data_start_dict(d);
	dp_neigh_foreach(tel->neigh, neigh_one, &nw);
	return 0;
}

int dp_telemetry_register(struct dp_app *app)
{
	int rc;

	tel = app;
	rc = rte_telemetry_register_cmd("/rampart/sa", tel_sa,
					"SA table counts and sa_ids; with an sa_id parameter: "
					"that SA (SPI, endpoints, counters, lifetimes, drops)");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/rampart/sa_summary", tel_sa_summary,
						"SA table counts only. No parameters");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/rampart/neighbors", tel_neighbors,
						"Neighbours port/address -> MAC, learned from ARP/ND "
						"or static (first 200). No parameters");
	if (rc < 0)
		RP_WARN("dp", "cannot register the SA telemetry commands: %s", strerror(-rc));
	return rc;
}
