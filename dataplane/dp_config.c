/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Configuration checks and the EAL argument vector for rampart-dp. No DPDK call here: this
 * file is linked into the unit tests as it is.
 */
#include "dataplane/dp_config.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/conf_dp.h"
#include "common/log.h"

/* The schema (common/conf.c, common/conf_dp.c) bounds these settings with its own copies of
 * the dataplane's limits: they must agree. */
static_assert(DP_MAX_PORTS == RP_CONF_DP_MAX_PORTS, "dataplane.ports: schema and dp_config disagree");
static_assert(DP_SA_MAX_LIMIT == RP_CONF_DP_SA_MAX_LIMIT, "sa_max: schema and dp_config disagree");
static_assert(DP_NEIGH_STATIC_MAX == RP_CONF_DP_NEIGH_STATIC_MAX,
	      "neighbors: schema and dp_config disagree");

const char *dp_port_role_name(enum dp_port_role role)
{
	switch (role) {
	case DP_ROLE_OUTSIDE:
		return "outside";
	case DP_ROLE_INSIDE:
		return "inside";
	case DP_ROLE_EXCEPTION:
		return "exception";
	}
	return "?";
}

static int role_parse(const char *s, enum dp_port_role *role)
{
	static const enum dp_port_role all[] = { DP_ROLE_OUTSIDE, DP_ROLE_INSIDE,
						 DP_ROLE_EXCEPTION };

	for (size_t i = 0; s && i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, dp_port_role_name(all[i])) == 0) {
			*role = all[i];
			return 0;
		}
	}
	return -EINVAL;
}

/* Exactly @n hex digits at *p; advances p. */
static bool hex_field(const char **p, int n, unsigned int *val)
{
	unsigned int v = 0;

	for (int i = 0; i < n; i++) {
		char ch = (*p)[i];

		if (!isxdigit((unsigned char)ch))
			return false;
		v = v * 16 + (unsigned int)(isdigit((unsigned char)ch) ? ch - '0'
							      : tolower((unsigned char)ch) - 'a' + 10);
	}
	*p += n;
	*val = v;
	return true;
}

/* [DDDD:]BB:DD.F, nothing else, into the canonical lower-case DDDD:BB:DD.F. */
static bool pci_parse(const char *s, size_t n, char *canon, size_t len)
{
	unsigned int dom = 0, bus, dev, fn;
	const char *p = s;

	if (n == 12) {
		if (!hex_field(&p, 4, &dom) || *p++ != ':')
			return false;
	} else if (n != 7) {
		return false;
	}
	if (!hex_field(&p, 2, &bus) || *p++ != ':' || !hex_field(&p, 2, &dev) || *p++ != '.' ||
	    !hex_field(&p, 1, &fn))
		return false;
	if (p != s + n || dev > 0x1f || fn > 7)
		return false;
	snprintf(canon, len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return true;
}

int dp_device_parse(const char *device, enum dp_dev_kind *kind, char *dev_name, size_t len)
{
	char canon[16];
	size_t n;

	if (!device)
		return -EINVAL;
	n = strcspn(device, ",");
	for (size_t i = 0; device[i]; i++)
		if (isspace((unsigned char)device[i]))
			return -EINVAL;

	if (strncmp(device, "net_", 4) == 0) {
		/* DPDK caps device names at RTE_DEV_NAME_MAX_LEN (64) including the NUL. */
		if (n <= 4 || n >= 64)
			return -EINVAL;
		*kind = DP_DEV_VDEV;
		if (dev_name)
			snprintf(dev_name, len, "%.*s", (int)n, device);
		return 0;
	}
	if (pci_parse(device, n, canon, sizeof(canon))) {
		*kind = DP_DEV_PCI;
		if (dev_name)
			snprintf(dev_name, len, "%s", canon);
		return 0;
	}
	return -EINVAL;
}

/* "0-3,6" for messages. */
static const char *cpuset_str(const cpu_set_t *set, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < CPU_SETSIZE && off < len; i++) {
		int j = i;

		if (!CPU_ISSET(i, set))
			continue;
		while (j + 1 < CPU_SETSIZE && CPU_ISSET(j + 1, set))
			j++;
		if (j > i)
			off += (size_t)snprintf(buf + off, len - off, "%s%d-%d", off ? "," : "", i, j);
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%d", off ? "," : "", i);
		i = j;
	}
	if (!buf[0])
		snprintf(buf, len, "none");
	return buf;
}

/* An integer element of an INTS setting, which may also be a lone scalar. */
static long long ints_elem(const config_setting_t *s, int i, const config_setting_t **elem)
{
	const config_setting_t *e = config_setting_is_scalar(s) ? s : rp_cfg_elem(s, i);

	*elem = e;
	return e ? config_setting_get_int64(e) : -1;
}

static int ints_count(const config_setting_t *s)
{
	if (!s)
		return 0;
	return config_setting_is_scalar(s) ? 1 : rp_cfg_count(s);
}

static int lcore_check(struct rp_cfg *c, const config_setting_t *s, long long lc,
		       const cpu_set_t *avail, const char *what)
{
	char cpus[128];

	if (lc < 0 || lc >= DP_MAX_LCORE) {
		rp_cfg_error(c, s, "%s lcore %lld is out of range (0..%d)", what, lc,
			     DP_MAX_LCORE - 1);
		return -EINVAL;
	}
	if (lc >= CPU_SETSIZE || !CPU_ISSET((int)lc, avail)) {
		rp_cfg_error(c, s, "%s lcore %lld is not a CPU this process may run on (available: %s)",
			     what, lc, cpuset_str(avail, cpus, sizeof(cpus)));
		return -EINVAL;
	}
	return 0;
}

/* The setting @name of port group @ps, or the group itself if absent (for messages). */
static const config_setting_t *at(const config_setting_t *ps, const char *name)
{
	const config_setting_t *s = rp_cfg_get(ps, name);

	return s ? s : ps;
}

bool dp_mac_parse(const char *s, uint8_t mac[6])
{
	const char *p = s;
	unsigned int v;

	if (!s || strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		if (!hex_field(&p, 2, &v))
			return false;
		mac[i] = (uint8_t)v;
		if (i < 5 && *p++ != ':')
			return false;
	}
	return true;
}

int dp_ip_parse(const char *s, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (!s)
		return 0;
	if (inet_pton(AF_INET, s, addr) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return 6;
	return 0;
}

static int port_by_name(const struct dp_config *dc, const char *name)
{
	for (unsigned int i = 0; name && i < dc->n_ports; i++)
		if (strcmp(dc->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The next-hop settings of port group @ps, valid port out->ports[idx]: gateway_mac, gateway,
 * neighbors and, for exception ports, serves (every port must be known: serves may name a
 * later one). */
static void port_l2_from_cfg(struct rp_cfg *c, const config_setting_t *ps, struct dp_config *out,
			     int idx)
{
	const char *gmac = rp_cfg_str(ps, "gateway_mac", NULL);
	const char *serves = rp_cfg_str(ps, "serves", NULL);
	const config_setting_t *gw = rp_cfg_get(ps, "gateway");
	const config_setting_t *nb = rp_cfg_get(ps, "neighbors");
	struct dp_port_conf *pc = &out->ports[idx];

	if (gmac) {
		if (dp_mac_parse(gmac, pc->gateway_mac))
			pc->has_gateway_mac = true;
		else
			rp_cfg_error(c, at(ps, "gateway_mac"), "\"%s\" is not a MAC address "
				     "(aa:bb:cc:dd:ee:ff)", gmac);
	}
	for (int i = 0; gw && i < (config_setting_is_scalar(gw) ? 1 : rp_cfg_count(gw)); i++) {
		const config_setting_t *e = config_setting_is_scalar(gw) ? gw : rp_cfg_elem(gw, i);
		const char *a = config_setting_get_string(e);
		uint8_t addr[16];
		int af = dp_ip_parse(a, addr);

		if (!af) {
			rp_cfg_error(c, e, "\"%s\" is not an IPv4 or IPv6 address", a ? a : "");
		} else if ((af == 4 && pc->has_gw4) || (af == 6 && pc->has_gw6)) {
			rp_cfg_error(c, e, "a second IPv%d gateway: one per family", af);
		} else if (af == 4) {
			memcpy(pc->gw4, addr, 4);
			pc->has_gw4 = true;
		} else {
			memcpy(pc->gw6, addr, 16);
			pc->has_gw6 = true;
		}
	}
	for (int i = 0; i < rp_cfg_count(nb) && pc->n_neighbors < DP_NEIGH_STATIC_MAX; i++) {
		const config_setting_t *e = rp_cfg_elem(nb, i);
		struct dp_neigh_conf *n = &pc->neighbors[pc->n_neighbors];
		const char *ip = rp_cfg_str(e, "ip", NULL), *mac = rp_cfg_str(e, "mac", NULL);
		int af = dp_ip_parse(ip, n->addr);

		if (!af) {
			rp_cfg_error(c, at(e, "ip"), "\"%s\" is not an IPv4 or IPv6 address",
				     ip ? ip : "");
			continue;
		}
		if (!dp_mac_parse(mac, n->mac)) {
			rp_cfg_error(c, at(e, "mac"), "\"%s\" is not a MAC address (aa:bb:cc:dd:ee:ff)",
				     mac ? mac : "");
			continue;
		}
		n->af = (uint8_t)af;
		n->line = config_setting_source_line(e);
		pc->n_neighbors++;
	}
	if (serves) {
		int t = port_by_name(out, serves);

		if (pc->role != DP_ROLE_EXCEPTION)
			rp_cfg_error(c, at(ps, "serves"), "only exception ports serve another port; "
				     "\"%s\" is an %s port", pc->name, dp_port_role_name(pc->role));
		else if (t < 0 || out->ports[t].role == DP_ROLE_EXCEPTION)
			rp_cfg_error(c, at(ps, "serves"), "\"%s\" is not an outside or inside port",
				     serves);
		else if (out->ports[t].exception >= 0)
			rp_cfg_error(c, at(ps, "serves"), "port \"%s\" already has exception port "
				     "\"%s\"", serves, out->ports[out->ports[t].exception].name);
		else {
			pc->serves = t;
			out->ports[t].exception = idx;
		}
	}
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* Exception ports without `serves`: the first outside port without one, then inside ports. */
static void pair_exceptions(struct rp_cfg *c, const config_setting_t *where,
			    struct dp_config *out)
{
	static const enum dp_port_role order[] = { DP_ROLE_OUTSIDE, DP_ROLE_INSIDE };

	for (unsigned int i = 0; i < out->n_ports; i++) {
		struct dp_port_conf *x = &out->ports[i];

		if (x->role != DP_ROLE_EXCEPTION || x->serves >= 0)
			continue;
		for (unsigned int r = 0; r < 2 && x->serves < 0; r++)
			for (unsigned int j = 0; j < out->n_ports && x->serves < 0; j++)
				if (out->ports[j].role == order[r] && out->ports[j].exception < 0) {
					x->serves = (int)j;
					out->ports[j].exception = (int)i;
				}
		if (x->serves < 0)
			rp_cfg_error(c, where, "exception port \"%s\" has no port left to serve",
				     x->name);
	}
}

/* SA table sizes, with the defaults derived from sa_max. */
static void sa_tables_from_cfg(const config_setting_t *dp, struct dp_config *out)
{
	out->sa_max = (uint32_t)rp_cfg_int(dp, "sa_max", DP_DEFAULT_SA_MAX);
	out->route_max = (uint32_t)rp_cfg_int(dp, "route_max", 2ll * out->sa_max);
	out->fib_tbl8 = (uint32_t)rp_cfg_int(dp, "fib_tbl8", max_u32(out->sa_max / 4, 256));
	out->fib6_tbl8 = (uint32_t)rp_cfg_int(dp, "fib6_tbl8", max_u32(out->sa_max / 4, 256));
	out->lifetime_scan_ms = (uint32_t)rp_cfg_int(dp, "lifetime_scan_ms",
						     DP_DEFAULT_LIFETIME_SCAN_MS);
}

static void ports_from_cfg(struct rp_cfg *c, const config_setting_t *dp, struct dp_config *out)
{
	const config_setting_t *ports = rp_cfg_get(dp, "ports");
	/* Every port as parsed, valid or not, so that each problem is reported once. */
	struct {
		struct dp_port_conf pc;
		bool name_ok, role_ok, dev_ok;
		int idx; /* in out->ports, -1 if refused */
	} *tmp;
	unsigned int n_role[3] = { 0 };
	int n = rp_cfg_count(ports);

	if (n == 0) {
		rp_cfg_error(c, ports ? ports : dp,
			     "no ports configured: rampart-dp needs an outside and an inside port");
		return;
	}
	if (n > DP_MAX_PORTS) {
		rp_cfg_error(c, ports, "%d ports configured; rampart-dp supports at most %d", n,
			     DP_MAX_PORTS);
		n = DP_MAX_PORTS;
	}
	tmp = calloc((size_t)n, sizeof(*tmp));
	if (!tmp) {
		rp_cfg_error(c, ports, "out of memory");
		return;
	}

	for (int i = 0; i < n; i++) {
		const config_setting_t *ps = rp_cfg_elem(ports, i);
		struct dp_port_conf *pc = &tmp[i].pc;
		const char *name = rp_cfg_str(ps, "name", NULL);
		const char *role = rp_cfg_str(ps, "role", NULL);
		const char *device = rp_cfg_str(ps, "device", NULL);

		pc->line = ps ? config_setting_source_line(ps) : 0;
		pc->mtu = (unsigned int)rp_cfg_int(ps, "mtu", 0);
		if (!name || !*name || strlen(name) > DP_PORT_NAME_MAX) {
			rp_cfg_error(c, at(ps, "name"), "port name must be 1..%d characters",
				     DP_PORT_NAME_MAX);
		} else {
			snprintf(pc->name, sizeof(pc->name), "%s", name);
			tmp[i].name_ok = true;
		}
		if (role_parse(role, &pc->role) < 0) {
			rp_cfg_error(c, at(ps, "role"),
				     "port role must be outside, inside or exception");
		} else {
			tmp[i].role_ok = true;
			n_role[pc->role]++;
		}
		if (!device || strlen(device) > DP_DEVICE_MAX ||
		    dp_device_parse(device, &pc->kind, pc->dev_name, sizeof(pc->dev_name)) < 0) {
			rp_cfg_error(c, at(ps, "device"),
				     "device \"%s\" is neither a DPDK virtual device (net_ring0, "
				     "net_af_packet0,iface=veth0, ...) nor a PCI address "
				     "(0000:01:00.0 or 01:00.0)",
				     device ? device : "");
		} else {
			snprintf(pc->device, sizeof(pc->device), "%s", device);
			tmp[i].dev_ok = true;
		}

		for (int j = 0; j < i; j++) {
			const struct dp_port_conf *o = &tmp[j].pc;

			if (tmp[i].name_ok && tmp[j].name_ok && strcmp(o->name, pc->name) == 0) {
				rp_cfg_error(c, at(ps, "name"),
					     "port name \"%s\" is already used by the port at line %d",
					     pc->name, o->line);
				tmp[i].name_ok = false;
			}
			if (tmp[i].dev_ok && tmp[j].dev_ok && strcmp(o->dev_name, pc->dev_name) == 0) {
				rp_cfg_error(c, at(ps, "device"),
					     "device %s is already used by port \"%s\" (line %d)",
					     pc->dev_name, o->name, o->line);
				tmp[i].dev_ok = false;
			}
		}
		tmp[i].idx = -1;
		if (tmp[i].name_ok && tmp[i].role_ok && tmp[i].dev_ok) {
			pc->serves = -1;
			pc->exception = -1;
			tmp[i].idx = (int)out->n_ports;
			out->ports[out->n_ports++] = *pc;
		}
	}
	/* Next hops and exception pairing, once every port is known. */
	for (int i = 0; i < n; i++)
		if (tmp[i].idx >= 0)
			port_l2_from_cfg(c, rp_cfg_elem(ports, i), out, tmp[i].idx);
	free(tmp);

	if (!n_role[DP_ROLE_OUTSIDE])
		rp_cfg_error(c, ports, "no port has role \"outside\" (the clients' side)");
	if (!n_role[DP_ROLE_INSIDE])
		rp_cfg_error(c, ports, "no port has role \"inside\" (the protected network's side)");
	/* One kernel path per data port at most. */
	if (n_role[DP_ROLE_EXCEPTION] > n_role[DP_ROLE_OUTSIDE] + n_role[DP_ROLE_INSIDE])
		rp_cfg_error(c, ports, "%u ports have role \"exception\"; at most one per outside "
			     "or inside port may", n_role[DP_ROLE_EXCEPTION]);
	else
		pair_exceptions(c, ports, out);
}

static void lcores_from_cfg(struct rp_cfg *c, const config_setting_t *dp, const cpu_set_t *avail,
			    struct dp_config *out)
{
	const config_setting_t *ms = rp_cfg_get(dp, "main_lcore");
	const config_setting_t *ws = rp_cfg_get(dp, "workers");
	long long main_lc = rp_cfg_int(dp, "main_lcore", 0);
	int n = ints_count(ws);
	bool main_ok;

	main_ok = lcore_check(c, ms ? ms : dp, main_lc, avail, "main") == 0;
	out->main_lcore = main_ok ? (unsigned int)main_lc : 0;

	if (n == 0) {
		rp_cfg_error(c, ws ? ws : dp,
			     "no worker lcores: at least one is needed to poll the ports");
		return;
	}
	if (n > DP_MAX_WORKERS) {
		rp_cfg_error(c, ws, "%d workers configured; at most %d", n, DP_MAX_WORKERS);
		n = DP_MAX_WORKERS;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e;
		long long lc = ints_elem(ws, i, &e);
		bool dup = false;

		if (lcore_check(c, e, lc, avail, "worker") < 0)
			continue;
		if (main_ok && lc == main_lc) {
			rp_cfg_error(c, e,
				     "worker lcore %lld is also the main lcore; the main lcore does "
				     "housekeeping and cannot poll queues, pick another CPU",
				     lc);
			continue;
		}
		for (unsigned int j = 0; j < out->n_workers; j++)
			dup |= out->workers[j] == (unsigned int)lc;
		if (dup) {
			rp_cfg_error(c, e, "worker lcore %lld is listed twice", lc);
			continue;
		}
		out->workers[out->n_workers++] = (unsigned int)lc;
	}
}

/* EAL options rampart-dp derives from the configuration itself, or must not be given. */
static const struct {
	const char *opt;
	const char *why;
} managed_opts[] = {
	{ "-l", "set dataplane.main_lcore and dataplane.workers instead" },
	{ "--lcores", "set dataplane.main_lcore and dataplane.workers instead" },
	{ "-c", "set dataplane.main_lcore and dataplane.workers instead" },
	{ "--main-lcore", "set dataplane.main_lcore instead" },
	{ "--master-lcore", "set dataplane.main_lcore instead" },
	{ "--file-prefix", "the instance name sets it" },
	{ "-m", "set dataplane.memory_mb instead" },
	{ "--no-huge", "set dataplane.hugepages = false instead" },
	{ "--no-pci", "it is added whenever no port is a PCI device" },
	{ "-a", "give the PCI address as a port's device instead" },
	{ "--allow", "give the PCI address as a port's device instead" },
	{ "-w", "give the PCI address as a port's device instead" },
	{ "--pci-whitelist", "give the PCI address as a port's device instead" },
	{ "-b", "only the ports' devices are allowed anyway" },
	{ "--block", "only the ports' devices are allowed anyway" },
	{ "--pci-blacklist", "only the ports' devices are allowed anyway" },
	{ "--vdev", "give the virtual device as a port's device instead" },
	{ "--in-memory", "telemetry, pdump and dpdk-dumpcap need the runtime directory it removes" },
};

static void eal_extra_from_cfg(struct rp_cfg *c, const config_setting_t *dp, struct dp_config *out)
{
	const config_setting_t *es = rp_cfg_get(dp, "eal_args");
	int n = ints_count(es);
	size_t off = 0;

	if (n > DP_EAL_EXTRA_MAX) {
		rp_cfg_error(c, es, "%d eal_args; at most %d", n, DP_EAL_EXTRA_MAX);
		n = DP_EAL_EXTRA_MAX;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_is_scalar(es) ? es : rp_cfg_elem(es, i);
		const char *a = e ? config_setting_get_string(e) : NULL;
		size_t optlen, len;
		bool bad = false;

		if (!a)
			continue;
		/* "--opt=value" is "--opt value"; "-l0,1" is "-l 0,1". */
		if (strncmp(a, "--", 2) == 0)
			optlen = strcspn(a, "=");
		else
			optlen = a[0] == '-' && a[1] ? 2 : strlen(a);
		for (size_t k = 0; k < sizeof(managed_opts) / sizeof(managed_opts[0]); k++) {
			if (strlen(managed_opts[k].opt) != optlen ||
			    strncmp(a, managed_opts[k].opt, optlen) != 0)
				continue;
			rp_cfg_error(c, e, "EAL option %.*s is not accepted here: %s", (int)optlen, a,
				     managed_opts[k].why);
			bad = true;
		}
		len = strlen(a) + 1;
		if (bad)
			continue;
		if (off + len > sizeof(out->eal_extra)) {
			rp_cfg_error(c, e, "eal_args are too long (%zu bytes at most in all)",
				     sizeof(out->eal_extra));
			break;
		}
		memcpy(out->eal_extra + off, a, len);
		off += len;
		out->n_eal_extra++;
	}
}

int dp_config_from_cfg(struct rp_cfg *c, const cpu_set_t *avail, struct dp_config *out)
{
	const config_setting_t *root = rp_cfg_root(c);
	const config_setting_t *dp = rp_cfg_get(root, "dataplane");
	const config_setting_t *log = rp_cfg_get(root, "log");
	const char *instance = rp_conf_instance(c);
	const char *level = rp_cfg_str(log, "level", "info");
	const char *target = rp_cfg_str(log, "target", "stderr");
	int errors = c->n_errors;
	cpu_set_t own;
	long long v;
	int lvl;

	memset(out, 0, sizeof(*out));
	if (!avail) {
		CPU_ZERO(&own);
		if (sched_getaffinity(0, sizeof(own), &own) < 0) {
			rp_cfg_error(c, NULL, "cannot read this process's CPU affinity: %s",
				     strerror(errno));
			return -EINVAL;
		}
		avail = &own;
	}

	/* rp_conf_load() checked that it is a plain word: it names DPDK's runtime directory. */
	snprintf(out->instance, sizeof(out->instance), "%s", instance ? instance : "");

	lvl = rp_log_level_parse(level);
	if (lvl < 0) {
		rp_cfg_error(c, rp_cfg_get(log, "level"), "unknown log level \"%s\"", level);
		lvl = RP_LOG_INFO;
	}
	out->log_level = lvl;
	out->log_target = strcmp(target, "syslog") == 0 ? RP_LOG_SYSLOG : RP_LOG_STDERR;

	if (!rp_conf_region_path(c, out->region, sizeof(out->region)))
		rp_cfg_error(c, rp_cfg_get(root, "control"), "cannot form the control region path");
	out->chan_slots = (uint32_t)rp_cfg_int(rp_cfg_get(root, "control"), "slots", 4096);

	if (!dp) {
		rp_cfg_error(c, root, "no dataplane section: rampart-dp has nothing to run");
		return -EINVAL;
	}

	v = rp_cfg_int(dp, "memory_mb", DP_DEFAULT_MEMORY_MB);
	if (v < 16 || v > 1024 * 1024)
		rp_cfg_error(c, rp_cfg_get(dp, "memory_mb"), "memory_mb %lld is out of range (16..%d)",
			     v, 1024 * 1024);
	out->memory_mb = (unsigned int)v;
	out->hugepages = rp_cfg_bool(dp, "hugepages", true);

	v = rp_cfg_int(dp, "idle_sleep_us", DP_DEFAULT_IDLE_SLEEP_US);
	if (v < 0 || v > 1000000)
		rp_cfg_error(c, rp_cfg_get(dp, "idle_sleep_us"),
			     "idle_sleep_us %lld is out of range (0..1000000)", v);
	out->idle_sleep_us = (unsigned int)v;

	v = rp_cfg_int(dp, "burst", DP_DEFAULT_BURST);
	if (v < 1 || v > DP_BURST_MAX)
		rp_cfg_error(c, rp_cfg_get(dp, "burst"), "burst %lld is out of range (1..%d)", v,
			     DP_BURST_MAX);
	out->burst = (unsigned int)v;

	v = rp_cfg_int(dp, "mbufs", 0);
	if (v < 0 || v > 1 << 24)
		rp_cfg_error(c, rp_cfg_get(dp, "mbufs"), "mbufs %lld is out of range", v);
	out->mbufs = (unsigned int)v;
	out->mbuf_data_room = (unsigned int)rp_cfg_int(dp, "mbuf_data_room", 0);

	lcores_from_cfg(c, dp, avail, out);
	ports_from_cfg(c, dp, out);
	eal_extra_from_cfg(c, dp, out);
	sa_tables_from_cfg(dp, out);

	return c->n_errors > errors ? -EINVAL : 0;
}

const char *dp_eal_log_level(int rp_level)
{
	switch (rp_level) {
	case RP_LOG_ERR:
		return "error";
	case RP_LOG_WARN:
		return "warning";
	case RP_LOG_NOTICE:
		return "notice";
	case RP_LOG_INFO:
		return "info";
	case RP_LOG_DEBUG:
		return "debug";
	}
	return "notice";
}

static int arg_add(struct dp_eal_args *ea, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int arg_add(struct dp_eal_args *ea, const char *fmt, ...)
{
	size_t room = sizeof(ea->buf) - ea->used;
	va_list ap;
	int n;

	if (ea->argc >= DP_EAL_ARGS_MAX)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(ea->buf + ea->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return -ENOSPC;
	ea->argv[ea->argc++] = ea->buf + ea->used;
	ea->argv[ea->argc] = NULL;
	ea->used += (size_t)n + 1;
	return 0;
}

int dp_eal_args_build(const struct dp_config *dc, const char *prog, struct dp_eal_args *ea)
{
	char lcores[4 * (DP_MAX_WORKERS + 1)];
	size_t off;
	bool pci = false;
	int rc = 0;

	memset(ea, 0, sizeof(*ea));
	off = (size_t)snprintf(lcores, sizeof(lcores), "%u", dc->main_lcore);
	for (unsigned int i = 0; i < dc->n_workers && off < sizeof(lcores); i++)
		off += (size_t)snprintf(lcores + off, sizeof(lcores) - off, ",%u", dc->workers[i]);
	for (unsigned int i = 0; i < dc->n_ports; i++)
		pci |= dc->ports[i].kind == DP_DEV_PCI;

	rc |= arg_add(ea, "%s", prog ? prog : "rampart-dp");
	rc |= arg_add(ea, "-l");
	rc |= arg_add(ea, "%s", lcores);
	rc |= arg_add(ea, "--main-lcore");
	rc |= arg_add(ea, "%u", dc->main_lcore);
	/* Own runtime directory and hugepage files per instance, so two instances (or a
	 * testpmd next to us) never collide; secondary processes (dumpcap) find us by it. */
	rc |= arg_add(ea, "--file-prefix");
	rc |= arg_add(ea, DP_EAL_PREFIX "%s", dc->instance);
	if (!dc->hugepages)
		rc |= arg_add(ea, "--no-huge");
	rc |= arg_add(ea, "-m");
	rc |= arg_add(ea, "%u", dc->memory_mb);
	/* Without a PCI port, keep DPDK off the PCI bus altogether: it must never probe, let
	 * alone take over, the machine's own NIC. With one, allow exactly the listed devices. */
	if (!pci)
		rc |= arg_add(ea, "--no-pci");
	for (unsigned int i = 0; i < dc->n_ports; i++) {
		const struct dp_port_conf *pc = &dc->ports[i];

		rc |= arg_add(ea, pc->kind == DP_DEV_PCI ? "-a" : "--vdev");
		rc |= arg_add(ea, "%s", pc->device);
	}
	rc |= arg_add(ea, "--log-level");
	rc |= arg_add(ea, "%s", dp_eal_log_level(dc->log_level));
	/* Last, so that e.g. a per-driver --log-level refines the global one. */
	for (unsigned int i = 0, pos = 0; i < dc->n_eal_extra; i++) {
		const char *a = dc->eal_extra + pos;

		rc |= arg_add(ea, "%s", a);
		pos += (unsigned int)strlen(a) + 1;
	}
	return rc ? -ENOSPC : 0;
}

static bool shell_plain(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_-./:=,@%+", *s))
			return false;
	return true;
}

const char *dp_eal_args_str(const struct dp_eal_args *ea, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (int i = 1; i < ea->argc; i++) {
		const char *a = ea->argv[i];

		if (i > 1 && off + 1 < len)
			buf[off++] = ' ';
		if (shell_plain(a)) {
			for (; *a && off + 1 < len; a++)
				buf[off++] = *a;
			continue;
		}
		if (off + 1 < len)
			buf[off++] = '\'';
		for (; *a && off + 1 < len; a++) {
			if (*a == '\'') {
				for (const char *q = "'\\''"; *q && off + 1 < len; q++)
					buf[off++] = *q;
			} else {
				buf[off++] = *a;
			}
		}
		if (off + 1 < len)
			buf[off++] = '\'';
	}
	buf[off] = '\0';
	return buf;
}

void dp_eal_args_print(const struct dp_eal_args *ea, FILE *f)
{
	char buf[sizeof(ea->buf) * 2];

	fprintf(f, "%s\n", dp_eal_args_str(ea, buf, sizeof(buf)));
}
