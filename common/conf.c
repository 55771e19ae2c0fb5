/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The configuration file's schema and the derived defaults. */
#include "common/conf.h"

#include <stdio.h>

#include "common/conf_dp.h"


static const char *const log_levels[] = { "err", "error", "warn", "warning", "notice", "info",
					  "debug", NULL };
static const char *const log_targets[] = { "stderr", "syslog", NULL };
static const char *const port_roles[] = { "outside", "inside", "exception", NULL };

static const struct rp_cfg_schema log_schema[] = {
	{ .name = "level", .kind = RP_CFG_STRING, .choices = log_levels,
	  .help = "threshold of messages logged" },
	{ .name = "target", .kind = RP_CFG_STRING, .choices = log_targets,
	  .help = "where messages go" },
	{ 0 }
};

static const struct rp_cfg_schema control_schema[] = {
	{ .name = "region", .kind = RP_CFG_STRING, .min = 1, .max = 200,
	  .help = "shared-memory file of the control channel (default /dev/shm/rampart-<instance>.ctl)" },
	{ .name = "slots", .kind = RP_CFG_INT, .min = 64, .max = 1 << 20,
	  .help = "messages per ring, a power of two (used when the region is created)" },
	{ 0 }
};

static const struct rp_cfg_schema mgmt_schema[] = {
	{ .name = "socket", .kind = RP_CFG_STRING, .min = 1, .max = 100,
	  .help = "unix socket of rampartctl (default /run/rampart/<instance>.sock)" },
	{ 0 }
};

static const struct rp_cfg_schema port_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = 31,
	  .help = "operator's name for the port" },
	{ .name = "role", .kind = RP_CFG_STRING, .required = true, .choices = port_roles,
	  .help = "outside (towards clients), inside (protected networks), exception (kernel path)" },
	{ .name = "device", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = 255,
	  .help = "PCI address, or DPDK virtual device with arguments (net_af_packet0,iface=...)" },
	{ .name = "mtu", .kind = RP_CFG_INT, .min = 576, .max = 9600, .help = "port MTU" },
	/* Next hops of the ESP fast path (common/conf_dp.c; checked by dataplane/dp_config.c). */
	{ .name = "gateway_mac", .kind = RP_CFG_STRING, .max = 17,
	  .help = "MAC address of the next hop for destinations with no known neighbour "
		  "(last resort after ARP/ND learning and gateway)" },
	{ .name = "gateway", .kind = RP_CFG_STRINGS, .max = 45,
	  .help = "next-hop router(s) of the port: one IPv4 and/or one IPv6 address, resolved "
		  "from ARP/ND seen on the port" },
	{ .name = "neighbors", .kind = RP_CFG_LIST, .max = RP_CONF_DP_NEIGH_STATIC_MAX,
	  .children = rp_conf_dp_neigh_schema,
	  .help = "static neighbours: never replaced by what ARP/ND say" },
	{ .name = "serves", .kind = RP_CFG_STRING, .min = 1, .max = 31,
	  .help = "exception ports: the outside or inside port whose kernel path this is "
		  "(default: the first outside port without one, then inside ports)" },
	{ 0 }
};

static const struct rp_cfg_schema dataplane_schema[] = {
	{ .name = "main_lcore", .kind = RP_CFG_INT, .min = 0, .max = 127,
	  .help = "lcore of the housekeeping thread (control messages, timers, stats)" },
	{ .name = "workers", .kind = RP_CFG_INTS, .min = 0, .max = 127,
	  .help = "lcores of the poll-mode workers, each pinned" },
	{ .name = "memory_mb", .kind = RP_CFG_INT, .min = 64, .max = 1 << 20,
	  .help = "memory reserved by DPDK" },
	{ .name = "hugepages", .kind = RP_CFG_BOOL,
	  .help = "use hugepages (false: --no-huge, for development only)" },
	{ .name = "idle_sleep_us", .kind = RP_CFG_INT, .min = 0, .max = 100000,
	  .help = "sleep after an empty poll round; 0 = busy polling (production)" },
	{ .name = "burst", .kind = RP_CFG_INT, .min = 1, .max = 256,
	  .help = "packets per RX burst" },
	{ .name = "mbufs", .kind = RP_CFG_INT, .min = 1023, .max = 1 << 24,
	  .help = "packet buffers per NUMA socket" },
	{ .name = "mbuf_data_room", .kind = RP_CFG_INT, .min = 2048, .max = 65000,
	  .help = "bytes of frame one packet buffer holds (default: enough for the largest "
		  "port MTU, at least 2048); raise it for devices that deliver frames larger "
		  "than the MTU (LRO, net_af_packet with a larger framesz) and for ESP that "
		  "arrives fragmented and is larger once reassembled (reassembled_too_big); "
		  "fragmented IKE needs no more" },
	{ .name = "eal_args", .kind = RP_CFG_STRINGS, .max = 255,
	  .help = "extra DPDK EAL arguments, appended as given" },
	{ .name = "ports", .kind = RP_CFG_LIST, .required = true, .max = RP_CONF_DP_MAX_PORTS,
	  .children = port_schema, .help = "the ports, in DPDK port order" },
	/* ESP fast path: SA tables and manual SAs (common/conf_dp.c). */
	{ .name = "sa_max", .kind = RP_CFG_INT, .min = 16, .max = RP_CONF_DP_SA_MAX_LIMIT,
	  .help = "SAs (both directions) the tables hold; sizes the hashes and FIBs (default 16384)" },
	{ .name = "route_max", .kind = RP_CFG_INT, .min = 16, .max = 2ll * RP_CONF_DP_SA_MAX_LIMIT,
	  .help = "client routes, IPv4 and IPv6 (default 2 x sa_max)" },
	{ .name = "fib_tbl8", .kind = RP_CFG_INT, .min = 16, .max = 1 << 24,
	  .help = "IPv4 FIB: 8-bit groups for prefixes longer than /24 (default sa_max / 4)" },
	{ .name = "fib6_tbl8", .kind = RP_CFG_INT, .min = 16, .max = 1 << 24,
	  .help = "IPv6 LPM: 8-bit groups (default sa_max / 4; consecutive /128 clients "
		  "share them: about one group per 256 clients)" },
	{ .name = "lifetime_scan_ms", .kind = RP_CFG_INT, .min = 10, .max = 60000,
	  .help = "every SA's byte/packet counters are checked against its lifetimes this often "
		  "(default 1000)" },
	{ .name = "manual_sas", .kind = RP_CFG_LIST, .max = RP_CONF_DP_MANUAL_SAS_MAX,
	  .children = rp_conf_dp_manual_sa_schema,
	  .help = "manually keyed SAs, installed at start like SAs from rampartd" },
	{ 0 }
};

/* Policy sections (common/conf_policy.c). */
extern const struct rp_cfg_schema rp_conf_pki_schema[], rp_conf_ikev2_schema[], rp_conf_acl_schema[];
/* AAA section (common/conf_aaa.c). */
extern const struct rp_cfg_schema rp_conf_aaa_schema[];
/* IKEv2 responder (common/conf_ike.c). */
extern const struct rp_cfg_schema rp_conf_ike_schema[];

const struct rp_cfg_schema rp_conf_schema[] = {
	{ .name = "instance", .kind = RP_CFG_STRING, .min = 1, .max = 32,
	  .help = "name of this concentrator instance" },
	{ .name = "log", .kind = RP_CFG_GROUP, .children = log_schema },
	{ .name = "control", .kind = RP_CFG_GROUP, .children = control_schema },
	{ .name = "management", .kind = RP_CFG_GROUP, .children = mgmt_schema },
	{ .name = "dataplane", .kind = RP_CFG_GROUP, .children = dataplane_schema },
	{ .name = "pki", .kind = RP_CFG_GROUP, .children = rp_conf_pki_schema,
	  .help = "trustpoints and certificate maps" },
	{ .name = "ikev2", .kind = RP_CFG_GROUP, .children = rp_conf_ikev2_schema,
	  .help = "IKEv2 profiles, keyrings, authorization policies" },
	{ .name = "access_lists", .kind = RP_CFG_LIST, .max = 1024, .children = rp_conf_acl_schema,
	  .help = "named lists of prefixes (split routes)" },
	{ .name = "aaa", .kind = RP_CFG_GROUP, .children = rp_conf_aaa_schema,
	  .help = "RADIUS servers and groups, AAA method lists" },
	{ .name = "ike", .kind = RP_CFG_GROUP, .children = rp_conf_ike_schema,
	  .help = "IKEv2 responder: sockets, identity, algorithms, subnets, pools, PSK peers" },
	{ 0 }
};

static bool valid_instance(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

int rp_conf_load(struct rp_cfg *c, const char *path)
{
	int rc;

	if (path)
		rc = rp_cfg_load_file(c, path, rp_conf_schema);
	else
		rc = rp_cfg_load_string(c, RP_CONF_DEFAULT_NAME, rp_conf_default, rp_conf_schema);
	if (rc)
		return rc;

	/* Checks that span the schema's per-setting rules. */
	const config_setting_t *inst = rp_cfg_get(rp_cfg_root(c), "instance");

	if (inst && !valid_instance(config_setting_get_string(inst)))
		rp_cfg_error(c, inst, "use only letters, digits, '-' and '_' (it names files)");

	const config_setting_t *slots = rp_cfg_get(rp_cfg_get(rp_cfg_root(c), "control"), "slots");

	if (slots) {
		long long v = config_setting_get_int64(slots);

		if (v & (v - 1))
			rp_cfg_error(c, slots, "%lld is not a power of two", v);
	}
	return c->n_errors ? -1 : 0;
}

const char *rp_conf_instance(const struct rp_cfg *c)
{
	return rp_cfg_str(rp_cfg_root(c), "instance", "rampart");
}

const char *rp_conf_region_path(const struct rp_cfg *c, char *buf, size_t len)
{
	const char *p = rp_cfg_str(rp_cfg_get(rp_cfg_root(c), "control"), "region", NULL);

	if (p)
		snprintf(buf, len, "%s", p);
	else
		snprintf(buf, len, "/dev/shm/rampart-%s.ctl", rp_conf_instance(c));
	return buf;
}

const char *rp_conf_mgmt_socket(const struct rp_cfg *c, char *buf, size_t len)
{
	const char *p = rp_cfg_str(rp_cfg_get(rp_cfg_root(c), "management"), "socket", NULL);

	if (p)
		snprintf(buf, len, "%s", p);
	else
		snprintf(buf, len, "%s/%s.sock", RP_RUN_DIR, rp_conf_instance(c));
	return buf;
}
