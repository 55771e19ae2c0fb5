/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Drop reasons: names, sums over workers, and their DPDK telemetry commands.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "common/log.h"
#include "common/msg.h"
#include "dataplane/dp.h"
#include "dataplane/frag.h"

/* Names travel in DROP_INFO messages (rampartctl show drops) and must fit there. */
#define X(e, name, help) static_assert(sizeof(name) <= RP_DROP_NAME_MAX, name " fits DROP_INFO");
DP_DROP_REASONS(X)
#undef X
static_assert(DP_MAX_PORTS <= RP_DROP_PORTS_MAX, "every port fits one DROP_INFO");

static const char *const drop_names[DP_DROP_MAX] = {
#define X(e, name, help) [DP_DROP_##e] = name,
	DP_DROP_REASONS(X)
#undef X
};

static const char *const drop_helps[DP_DROP_MAX] = {
#define X(e, name, help) [DP_DROP_##e] = help,
	DP_DROP_REASONS(X)
#undef X
};

const char *dp_drop_name(unsigned int reason)
{
	return reason < DP_DROP_MAX ? drop_names[reason] : "?";
}

const char *dp_drop_help(unsigned int reason)
{
	return reason < DP_DROP_MAX ? drop_helps[reason] : "?";
}

void dp_drop_sum(const struct dp_app *app, int port, uint64_t drops[DP_DROP_MAX], uint64_t *rx)
{
	memset(drops, 0, sizeof(uint64_t) * DP_DROP_MAX);
	if (rx)
		*rx = 0;
	for (unsigned int w = 0; w < app->n_workers; w++) {
		const struct dp_worker *wk = &app->workers[w];

		for (unsigned int p = 0; p < wk->n_ports; p++) {
			if (port >= 0 && p != (unsigned int)port)
				continue;
			for (unsigned int r = 0; r < DP_DROP_MAX; r++)
				drops[r] += dp_counter_read(&wk->ctr[p].drops[r]);
			if (rx)
				*rx += dp_counter_read(&wk->ctr[p].rx_packets);
		}
	}
}

void dp_port_sum(const struct dp_app *app, int port, struct dp_port_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int w = 0; w < app->n_workers; w++) {
		const struct dp_worker *wk = &app->workers[w];

		for (unsigned int p = 0; p < wk->n_ports; p++) {
			const struct dp_port_counters *c = &wk->ctr[p];

			if (port >= 0 && p != (unsigned int)port)
				continue;
			out->rx_packets += dp_counter_read(&c->rx_packets);
			out->tx_packets += dp_counter_read(&c->tx_packets);
			out->decrypted += dp_counter_read(&c->decrypted);
			out->encrypted += dp_counter_read(&c->encrypted);
			out->hairpinned += dp_counter_read(&c->hairpinned);
			out->to_kernel += dp_counter_read(&c->to_kernel);
			out->from_kernel += dp_counter_read(&c->from_kernel);
			out->handed_off += dp_counter_read(&c->handed_off);
			for (unsigned int r = 0; r < DP_DROP_MAX; r++)
				out->drops[r] += dp_counter_read(&c->drops[r]);
		}
	}
}

/* Telemetry reads app from its own thread; app lives in static storage until exit. */
static const struct dp_app *tel_app;

/* Telemetry keys allow letters, digits, '_' and '/' only. */
static void tel_key(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = isalnum((unsigned char)s[i]) ? s[i] : '_';
	buf[i] = '\0';
}

static void tel_port_counters(struct rte_tel_data *d, int port)
{
	struct dp_port_counters c;
	uint64_t total = 0;

	dp_port_sum(tel_app, port, &c);
	rte_tel_data_add_dict_u64(d, "rx_packets", c.rx_packets);
	rte_tel_data_add_dict_u64(d, "tx_packets", c.tx_packets);
	rte_tel_data_add_dict_u64(d, "decrypted", c.decrypted);
	rte_tel_data_add_dict_u64(d, "encrypted", c.encrypted);
	rte_tel_data_add_dict_u64(d, "hairpinned", c.hairpinned);
	rte_tel_data_add_dict_u64(d, "to_kernel", c.to_kernel);
	rte_tel_data_add_dict_u64(d, "from_kernel", c.from_kernel);
	rte_tel_data_add_dict_u64(d, "handed_off", c.handed_off);
	for (unsigned int r = 0; r < DP_DROP_MAX; r++) {
		/* Reasons that never happened would drown the others: shown once they count. */
		if (c.drops[r])
			rte_tel_data_add_dict_u64(d, dp_drop_name(r), c.drops[r]);
		total += c.drops[r];
	}
	rte_tel_data_add_dict_u64(d, "total_drops", total);
}

/* Port by index, DPDK port id or name. */
static int tel_port_lookup(const char *params)
{
	char *end;
	unsigned long id = strtoul(params, &end, 10);

	for (unsigned int i = 0; i < tel_app->n_ports; i++) {
		const struct dp_port *p = &tel_app->ports[i];

		if (strcmp(params, p->conf->name) == 0 || (*end == '\0' && end != params &&
							   id == p->port_id))
			return (int)i;
	}
	return -1;
}

static int tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char key[DP_PORT_NAME_MAX + 1];
	int port;

	(void)cmd;
	rte_tel_data_start_dict(d);
	if (params && *params) {
		port = tel_port_lookup(params);
		if (port < 0)
			return -EINVAL;
		tel_port_counters(d, port);
		return 0;
	}
	for (unsigned int i = 0; i < tel_app->n_ports; i++) {
		struct rte_tel_data *c = rte_tel_data_alloc();

		if (!c)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		tel_port_counters(c, (int)i);
		tel_key(tel_app->ports[i].conf->name, key, sizeof(key));
		if (rte_tel_data_add_dict_container(d, key, c, 0) < 0)
			rte_tel_data_free(c);
	}
	return 0;
}

static int tel_drop_reasons(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned int r = 0; r < DP_DROP_MAX; r++)
		rte_tel_data_add_dict_string(d, dp_drop_name(r), dp_drop_help(r));
	return 0;
}

static int tel_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char key[32];

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < tel_app->n_workers; i++) {
		const struct dp_worker *w = &tel_app->workers[i];
		struct rte_tel_data *c = rte_tel_data_alloc();
		uint64_t rx = 0;

		if (!c)
			return -ENOMEM;
		for (unsigned int p = 0; p < w->n_ports; p++)
			rx += dp_counter_read(&w->ctr[p].rx_packets);
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "lcore", w->lcore);
		rte_tel_data_add_dict_u64(c, "queue", w->queue);
		rte_tel_data_add_dict_u64(c, "polls", dp_counter_read(&w->polls));
		rte_tel_data_add_dict_u64(c, "idle_polls", dp_counter_read(&w->idle_polls));
		rte_tel_data_add_dict_u64(c, "rx_packets", rx);
		rte_tel_data_add_dict_u64(c, "handoff_rx", dp_counter_read(&w->handoff_rx));
		rte_tel_data_add_dict_u64(c, "learn_lost", dp_counter_read(&w->learn_lost));
		if (w->frag) {
			rte_tel_data_add_dict_u64(c, "reassembled", dp_counter_read(&w->frag->reassembled));
			rte_tel_data_add_dict_u64(c, "kernel_chains",
						  dp_counter_read(&w->frag->kernel_chains));
			rte_tel_data_add_dict_u64(c, "fragmented", dp_counter_read(&w->frag->fragmented));
			rte_tel_data_add_dict_u64(c, "fragments", dp_counter_read(&w->frag->fragments));
			rte_tel_data_add_dict_u64(c, "icmp_too_big", dp_counter_read(&w->frag->icmp_sent));
			rte_tel_data_add_dict_u64(c, "icmp_rate_limited",
						  dp_counter_read(&w->frag->icmp_limited));
		}
		snprintf(key, sizeof(key), "lcore%u", w->lcore);
		if (rte_tel_data_add_dict_container(d, key, c, 0) < 0)
			rte_tel_data_free(c);
	}
	return 0;
}

int dp_drop_telemetry_register(const struct dp_app *app)
{
	int rc;

	tel_app = app;
	rc = rte_telemetry_register_cmd("/rampart/drops", tel_drops,
					"Per port: packets received, sent, decrypted, encrypted, "
					"to/from the kernel, drops by reason. Param: port (opt.)");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/rampart/drop_reasons", tel_drop_reasons,
						"What each drop reason means. No parameters");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/rampart/workers", tel_workers,
						"Worker lcores: queue, poll rounds, idle rounds, "
						"packets received. No parameters");
	if (rc < 0)
		RP_WARN("dp", "cannot register telemetry commands: %s", strerror(-rc));
	return rc;
}

void dp_drop_log_summary(const struct dp_app *app)
{
	for (unsigned int i = 0; i < app->n_ports; i++) {
		uint64_t drops[DP_DROP_MAX], rx;
		char line[1024];
		size_t off = 0;

		dp_drop_sum(app, (int)i, drops, &rx);
		line[0] = '\0';
		for (unsigned int r = 0; r < DP_DROP_MAX && off < sizeof(line); r++) {
			if (!drops[r])
				continue;
			off += (size_t)snprintf(line + off, sizeof(line) - off, " %s=%" PRIu64,
						dp_drop_name(r), drops[r]);
		}
		struct dp_port_counters c;

		dp_port_sum(app, (int)i, &c);
		RP_INFO("dp", "port \"%s\": %" PRIu64 " packets received by workers, %" PRIu64
			" sent, %" PRIu64 " decrypted, %" PRIu64 " encrypted, %" PRIu64 " hairpinned, %"
			PRIu64 " to the kernel, %" PRIu64 " from it, drops:%s", app->ports[i].conf->name,
			rx, c.tx_packets, c.decrypted, c.encrypted, c.hairpinned, c.to_kernel,
			c.from_kernel, off ? line : " none");
	}
}
