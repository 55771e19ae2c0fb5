/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Schema of the ESP fast path's list settings: a port's static neighbours and the manual SAs
 * (the `dataplane` section, common/conf.c). Their meaning is checked by rampart-dp
 * (dataplane/dp_config.c, dataplane/manual.c).
 */
#include "common/conf_dp.h"
#include "common/manual_sa.h"

const struct rp_cfg_schema rp_conf_dp_neigh_schema[] = {
	{ .name = "ip", .kind = RP_CFG_STRING, .required = true, .min = 2, .max = 45,
	  .help = "IPv4 or IPv6 address of the neighbour" },
	{ .name = "mac", .kind = RP_CFG_STRING, .required = true, .max = 17,
	  .help = "its MAC address, aa:bb:cc:dd:ee:ff" },
	{ 0 }
};

/* Operator names of directions and algorithms come from one table (common/manual_sa.c).
 * 32-bit settings may be written in hex up to 0xffffffff: rp_cfg reads hex literals that
 * libconfig stores as negative 32-bit integers as the unsigned value. */
const struct rp_cfg_schema rp_conf_dp_manual_sa_schema[] = {
	{ .name = "sa_id", .kind = RP_CFG_INT, .required = true, .min = 1, .max = 0xffffffffll,
	  .help = "handle of the SA (unique among all SAs, also those rampartd installs)" },
	{ .name = "direction", .kind = RP_CFG_STRING, .required = true, .choices = rp_dir_names,
	  .help = "in (from the peer: decrypt) or out (to the peer: encrypt)" },
	{ .name = "spi", .kind = RP_CFG_INT, .required = true, .min = 256, .max = 0xffffffffll,
	  .help = "Security Parameter Index (RFC 4303; 1..255 are reserved)" },
	{ .name = "cipher", .kind = RP_CFG_STRING, .required = true, .choices = rp_cipher_names,
	  .help = "encryption algorithm" },
	{ .name = "integrity", .kind = RP_CFG_STRING, .choices = rp_integ_names,
	  .help = "integrity algorithm: none with AEAD ciphers (default), an HMAC otherwise" },
	{ .name = "key", .kind = RP_CFG_STRING, .max = 3 * 36 + 2,
	  .help = "encryption key in hex (0x optional); AES-GCM and ChaCha20-Poly1305: the key "
		  "followed by the 4-byte salt (RFC 4106/7634 KEYMAT); absent for null" },
	{ .name = "auth_key", .kind = RP_CFG_STRING, .max = 3 * 64 + 2,
	  .help = "integrity key in hex (20, 32, 48 or 64 bytes)" },
	{ .name = "local", .kind = RP_CFG_STRING, .required = true, .min = 2, .max = 45,
	  .help = "this concentrator's outer address (source out, destination in)" },
	{ .name = "remote", .kind = RP_CFG_STRING, .required = true, .min = 2, .max = 45,
	  .help = "the peer's outer address, same family as local" },
	{ .name = "natt", .kind = RP_CFG_BOOL,
	  .help = "UDP encapsulation (RFC 3948), default false" },
	{ .name = "natt_sport", .kind = RP_CFG_INT, .min = 1, .max = 65535,
	  .help = "local UDP port with natt (default 4500)" },
	{ .name = "natt_dport", .kind = RP_CFG_INT, .min = 1, .max = 65535,
	  .help = "remote UDP port with natt (default 4500)" },
	{ .name = "esn", .kind = RP_CFG_BOOL, .help = "64-bit extended sequence numbers" },
	{ .name = "replay_window", .kind = RP_CFG_INT, .min = 0, .max = 4096,
	  .help = "inbound anti-replay window, a multiple of 64; 0 = none (default: manual SAs "
		  "cannot resynchronise sequence numbers after a peer restart)" },
	{ .name = "seq_start", .kind = RP_CFG_INT, .min = 0, .max = 0x7fffffffffffffffll,
	  .help = "outbound: first sequence number used is seq_start + 1" },
	{ .name = "traffic_selectors", .kind = RP_CFG_STRINGS, .max = 49,
	  .help = "inbound: prefixes the inner source must lie in (1..4, required)" },
	{ .name = "routes", .kind = RP_CFG_STRINGS, .max = 49,
	  .help = "outbound: inner destination prefixes sent through this SA" },
	{ .name = "tunnel_mtu", .kind = RP_CFG_INT, .min = 0, .max = 9600,
	  .help = "0 = the port's MTU" },
	{ .name = "soft_bytes", .kind = RP_CFG_INT, .min = 0, .max = 0x7fffffffffffffffll,
	  .help = "LIFETIME soft event after this many bytes (0 = none)" },
	{ .name = "hard_bytes", .kind = RP_CFG_INT, .min = 0, .max = 0x7fffffffffffffffll,
	  .help = "the SA stops after this many bytes (0 = none)" },
	{ .name = "soft_packets", .kind = RP_CFG_INT, .min = 0, .max = 0x7fffffffffffffffll,
	  .help = "LIFETIME soft event after this many packets (0 = none)" },
	{ .name = "hard_packets", .kind = RP_CFG_INT, .min = 0, .max = 0x7fffffffffffffffll,
	  .help = "the SA stops after this many packets (0 = none)" },
	{ .name = "paired_sa_id", .kind = RP_CFG_INT, .min = 0, .max = 0xffffffffll,
	  .help = "the other direction's sa_id (informational; keeps both on one worker)" },
	{ 0 }
};
