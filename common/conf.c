/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The configuration file's schema and the derived defaults. */
#include "common/conf.h"

#include <stdio.h>


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
	{ .name = "eal_args", .kind = RP_CFG_STRINGS, .max = 255,
	  .help = "extra DPDK EAL arguments, appended as given" },
	{ .name = "ports", .kind = RP_CFG_LIST, .required = true, .max = 32, .children = port_schema,
	  .help = "the ports, in DPDK port order" },
	{ 0 }
};

/* Policy sections (common/conf_policy.c). */
extern const struct rp_cfg_schema rp_conf_pki_schema[], rp_conf_ikev2_schema[], rp_conf_acl_schema[];
/* AAA section (common/conf_aaa.c). */
extern const struct rp_cfg_schema rp_conf_aaa_schema[];

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
