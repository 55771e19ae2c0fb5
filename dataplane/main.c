/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * rampart-dp: the DPDK primary process. The main lcore loads the configuration, brings up
 * EAL and the ports, launches the workers and then serves the control channel until SIGINT
 * or SIGTERM.
 */
#include <assert.h>
#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <intel-ipsec-mb.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pdump.h>
#include <rte_rcu_qsbr.h>
#include <rte_version.h>

#include "common/cfg.h"
#include "common/conf.h"
#include "common/log.h"
#include "dataplane/ctl.h"
#include "dataplane/dp.h"
#include "dataplane/dp_config.h"
#include "dataplane/manual.h"
#include "dataplane/neigh.h"
#include "dataplane/sad.h"

static_assert(DP_MAX_LCORE <= RTE_MAX_LCORE, "dp_config accepts lcores EAL cannot run");
static_assert(DP_MAX_PORTS <= RTE_MAX_ETHPORTS, "more ports configured than DPDK supports");

/* Commands taken per main-loop round: bounds the time between heartbeats. */
#define CTL_BUDGET 64
/* Main lcore sleep when a round found nothing to do, whatever dataplane.idle_sleep_us says:
 * control latency is measured against IKE round trips (milliseconds), and the main lcore
 * usually shares its CPU with rampartd. A round with work is followed at once by another. */
#define MAIN_IDLE_US 500

/* Lifetime scan period: each round checks a share of the SA slots (dataplane.lifetime_scan_ms
 * for all of them). */
#define SCAN_PERIOD_MS 10
/* Learned neighbours applied per main-loop round at most. */
#define NEIGH_BUDGET 256

static struct dp_app app;
static volatile sig_atomic_t stop_signal;
static struct dp_manual_sa *manual;
static unsigned int n_manual;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rampart-dp [-c FILE] [--check-config] [--print-eal-args] [-h]\n"
		"\n"
		"Rampart dataplane: the DPDK primary process that owns the ports.\n"
		"\n"
		"  -c, --config FILE    configuration file (default: the built-in demo\n"
		"                       configuration on DPDK virtual devices)\n"
		"      --check-config   check the configuration, print a summary and exit\n"
		"      --print-eal-args print the DPDK EAL arguments built from the\n"
		"                       configuration and exit\n"
		"  -V, --version        print the version and exit\n"
		"  -h, --help           this help\n"
		"\n"
		"EAL arguments are not taken from the command line: they are built from the\n"
		"'dataplane' section, so that rampart-dp never touches a device it was not given.\n");
}

static int install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		return -errno;
	return 0;
}

static void log_config(const struct dp_config *dc)
{
	char workers[4 * DP_MAX_WORKERS + 1] = "";
	size_t off = 0;

	for (unsigned int i = 0; i < dc->n_workers && off < sizeof(workers); i++)
		off += (size_t)snprintf(workers + off, sizeof(workers) - off, "%s%u", i ? "," : "",
					dc->workers[i]);
	RP_INFO("dp", "instance \"%s\": main lcore %u, worker lcore%s %s, %u MB %s, burst %u, "
		"%s", dc->instance, dc->main_lcore, dc->n_workers == 1 ? "" : "s", workers,
		dc->memory_mb, dc->hugepages ? "of hugepages" : "without hugepages (--no-huge)",
		dc->burst, dc->idle_sleep_us ? "workers sleep when idle" : "workers busy-poll");
}

static int eal_start(const struct dp_eal_args *ea)
{
	char *argv[DP_EAL_ARGS_MAX + 1];
	char line[2048];
	int rc;

	RP_INFO("dp", "EAL arguments: %s", dp_eal_args_str(ea, line, sizeof(line)));
	rc = dp_eal_log_redirect();
	if (rc < 0)
		RP_WARN("dp", "DPDK messages stay on DPDK's own stream: %s", strerror(-rc));

	/* rte_eal_init() permutes its vector; keep ours intact for messages. */
	memcpy(argv, ea->argv, sizeof(argv));
	rc = rte_eal_init(ea->argc, argv);
	if (rc < 0) {
		/* Some EAL failures (the primary lock) leave rte_errno at 0. */
		int err = rte_errno ? rte_errno : EINVAL;

		if (err == ENODEV)
			RP_ERR("dp", "DPDK EAL initialisation failed: a port's device has no DPDK "
			       "driver or its arguments are wrong (see the dpdk messages above)");
		else if (err == EACCES || err == ENOMEM)
			RP_ERR("dp", "DPDK EAL initialisation failed: %s. Are hugepages reserved "
			       "(echo 256 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages), "
			       "or set dataplane.hugepages = false; is rampart-dp running as root?",
			       rte_strerror(err));
		else
			RP_ERR("dp", "DPDK EAL initialisation failed (see the dpdk messages above). Is "
			       "another rampart-dp running with instance \"%s\"? One primary process "
			       "per instance: its lock is /var/run/dpdk/" DP_EAL_PREFIX "%s/config",
			       app.conf.instance, app.conf.instance);
		return -err;
	}
	if (rte_get_main_lcore() != app.conf.main_lcore) {
		RP_ERR("dp", "EAL made lcore %u the main lcore, configured %u", rte_get_main_lcore(),
		       app.conf.main_lcore);
		return -EINVAL;
	}
	RP_INFO("dp", "%s up: %u lcores, main lcore %u on socket %u", rte_version(),
		rte_lcore_count(), rte_get_main_lcore(), rte_socket_id());
	return 0;
}

static bool lifetime_event(void *arg, const struct rp_msg_lifetime *ev)
{
	return dp_ctl_lifetime(arg, ev);
}

static void main_loop(struct dp_app *a)
{
	uint64_t hz = rte_get_timer_hz();
	uint64_t now = rte_get_timer_cycles();
	uint64_t next_tick = now + hz, next_scan = now;
	uint64_t scan_cycles = hz * SCAN_PERIOD_MS / 1000;
	unsigned int scan_budget = (unsigned int)RTE_MAX(
		64ull, (uint64_t)dp_sad_slots(a->sad) * SCAN_PERIOD_MS / a->conf.lifetime_scan_ms + 1);

	RP_NOTICE("dp", "rampart-dp running (pid %d); SIGINT or SIGTERM stops it", (int)getpid());
	while (!stop_signal) {
		unsigned int work = dp_ctl_poll(a->ctl, CTL_BUDGET);

		work += dp_neigh_drain(a->neigh, NEIGH_BUDGET);
		work += dp_sad_reclaim(a->sad, false);
		now = rte_get_timer_cycles();
		if (now >= next_scan) {
			dp_sad_lifetime_scan(a->sad, scan_budget, lifetime_event, a->ctl);
			next_scan = now + scan_cycles;
		}
		if (now >= next_tick) {
			dp_ports_poll_links(a);
			dp_exc_poll_addrs(a);
			dp_ctl_tick(a->ctl);
			next_tick = now + hz;
		}
		if (!work)
			rte_delay_us_sleep(MAIN_IDLE_US);
	}
	RP_NOTICE("dp", "%s received: stopping", strsignal(stop_signal));
}

/* The manual SAs of dataplane.manual_sas, checked now, installed once the tables exist. */
static int load_manual(struct rp_cfg *cfg)
{
	const config_setting_t *list =
		rp_cfg_get(rp_cfg_get(rp_cfg_root(cfg), "dataplane"), "manual_sas");
	int rc = dp_manual_from_cfg(cfg, list, &manual, &n_manual);

	if (rc == -ENOMEM)
		rp_cfg_error(cfg, list, "out of memory reading %d manual SAs", rp_cfg_count(list));
	if (rc < 0)
		return rc;
	if (n_manual)
		RP_INFO("dp", "%s: %u manual SA%s", cfg->source, n_manual, n_manual == 1 ? "" : "s");
	return 0;
}

/* Manual SAs logged one by one; the rest are counted in one line (a benchmark's million SAs
 * would otherwise write hundreds of megabytes of log at start). */
#define MANUAL_LOG_EACH 16

/* Manual SAs go through the same table operations as rampartd's SA_ADD / ROUTE_ADD. */
static int install_manual(void)
{
	uint64_t t0 = rte_get_timer_cycles();
	unsigned int n_in = 0;
	char why[128];
	int rc;

	for (unsigned int i = 0; i < n_manual; i++) {
		const struct dp_manual_sa *m = &manual[i];

		rc = dp_sad_sa_add(app.sad, &m->sa, DP_SAD_MANUAL, why, sizeof(why));
		for (unsigned int r = 0; rc == 0 && r < m->n_routes; r++)
			rc = dp_sad_route_add(app.sad, &m->routes[r], DP_SAD_MANUAL, why,
					      sizeof(why));
		if (rc < 0) {
			RP_ERR("dp", "%s:%d: manual SA %u not installed: %s", m->source, m->line,
			       m->sa.sa_id, why);
			return rc;
		}
		n_in += m->sa.dir == RP_DIR_IN;
		if (i < MANUAL_LOG_EACH)
			RP_INFO("dp", "manual SA %u installed (%s, SPI 0x%08x, %s, %u route%s)",
				m->sa.sa_id, m->sa.dir == RP_DIR_IN ? "inbound" : "outbound",
				ntohl(m->sa.spi), rp_cipher_name(m->sa.cipher), m->n_routes,
				m->n_routes == 1 ? "" : "s");
	}
	if (n_manual > MANUAL_LOG_EACH)
		RP_INFO("dp", "%u manual SAs installed (%u inbound, %u outbound) in %.2f s; the first "
			"%u are logged above", n_manual, n_in, n_manual - n_in,
			(double)(rte_get_timer_cycles() - t0) / (double)rte_get_timer_hz(),
			MANUAL_LOG_EACH);
	dp_manual_free(manual, n_manual);
	manual = NULL;
	n_manual = 0;
	return 0;
}

/* RCU variable, SA database and neighbour table, before the ports and workers. */
static int fastpath_init(struct dp_app *a)
{
	unsigned int threads = a->conf.n_workers + 1;
	int socket = (int)rte_lcore_to_socket_id(a->conf.workers[0]);
	struct dp_sad_conf sc = {
		.sa_max = a->conf.sa_max,
		.route_max = a->conf.route_max,
		.fib_tbl8 = a->conf.fib_tbl8,
		.fib6_tbl8 = a->conf.fib6_tbl8,
		.socket = socket,
		.n_workers = a->conf.n_workers,
		.rcu_reader = a->conf.n_workers,
	};
	size_t sz = rte_rcu_qsbr_get_memsize(threads);
	int rc;

	a->qs = rte_zmalloc_socket("rp_rcu", sz, RTE_CACHE_LINE_SIZE, socket);
	if (!a->qs || rte_rcu_qsbr_init(a->qs, threads) != 0 ||
	    rte_rcu_qsbr_thread_register(a->qs, sc.rcu_reader) != 0) {
		RP_ERR("dp", "cannot set up RCU for %u threads", threads);
		return -ENOMEM;
	}
	rc = dp_sad_create(&sc, a->qs, &a->sad);
	if (rc < 0) {
		RP_ERR("dp", "cannot create the SA tables for %u SAs (about %" PRIu64 " MB): %s; "
		       "raise dataplane.memory_mb (%u) or lower sa_max", sc.sa_max,
		       dp_sad_table_bytes(&sc) >> 20, strerror(-rc), a->conf.memory_mb);
		return rc;
	}
	rc = dp_neigh_create(&a->conf, a->conf.n_workers, socket, &a->neigh);
	if (rc < 0)
		return rc;
	return 0;
}

static void fastpath_fini(struct dp_app *a)
{
	struct dp_sad *sad = a->sad;
	struct dp_neigh *neigh = a->neigh;

	/* Telemetry callbacks see NULL (and answer "busy") before anything is freed. */
	__atomic_store_n(&a->sad, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&a->neigh, NULL, __ATOMIC_RELEASE);
	if (sad)
		dp_sad_read_lock(sad); /* let a telemetry reader in progress finish */
	if (sad)
		dp_sad_read_unlock(sad);
	dp_sad_free(sad);
	dp_neigh_free(neigh);
	dp_exc_fini(a);
	rte_free(a->qs);
	a->qs = NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "print-eal-args", no_argument, NULL, 'P' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	bool check = false, print_args = false, eal_up = false, workers_up = false, bad;
	struct dp_eal_args ea;
	struct rp_cfg cfg;
	int rc = 1, opt;

	memset(&cfg, 0, sizeof(cfg));
	rp_log_init("rampart-dp", RP_LOG_STDERR, RP_LOG_INFO);
	while ((opt = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			check = true;
			break;
		case 'P':
			print_args = true;
			break;
		case 'V':
			printf("rampart-dp %s (%s, intel-ipsec-mb %s)\n", RAMPART_VERSION,
			       rte_version(), imb_get_version_str());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rampart-dp: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	/* The schema first; then every semantic check, so that all problems show at once. */
	bad = rp_conf_load(&cfg, path) < 0;
	if (!bad) {
		bad |= dp_config_from_cfg(&cfg, NULL, &app.conf) < 0;
		bad |= load_manual(&cfg) < 0;
	}
	if (bad) {
		RP_ERR("dp", "%s: %d configuration error%s (above); rampart-dp not started",
		       cfg.source[0] ? cfg.source : (path ? path : RP_CONF_DEFAULT_NAME),
		       cfg.n_errors, cfg.n_errors == 1 ? "" : "s");
		goto out;
	}
	if (dp_eal_args_build(&app.conf, "rampart-dp", &ea) < 0) {
		RP_ERR("dp", "the EAL argument vector does not fit (too many eal_args?)");
		goto out;
	}
	if (print_args) {
		dp_eal_args_print(&ea, stdout);
		rc = 0;
		goto out;
	}
	if (check) {
		printf("%s: configuration OK: instance %s, %u ports, %u workers, region %s, "
		       "%u SAs max, %u manual SA%s\n", cfg.source, app.conf.instance,
		       app.conf.n_ports, app.conf.n_workers, app.conf.region, app.conf.sa_max,
		       n_manual, n_manual == 1 ? "" : "s");
		rc = 0;
		goto out;
	}

	if (app.conf.log_target == RP_LOG_SYSLOG)
		rp_log_init("rampart-dp", RP_LOG_SYSLOG, (enum rp_log_level)app.conf.log_level);
	else
		rp_log_set_level((enum rp_log_level)app.conf.log_level);
	RP_INFO("dp", "rampart-dp %s starting with %s (intel-ipsec-mb %s)", RAMPART_VERSION,
		cfg.source, imb_get_version_str());
	log_config(&app.conf);
	if (install_signals() < 0) {
		RP_ERR("dp", "cannot install signal handlers: %s", strerror(errno));
		goto out;
	}

	if (eal_start(&ea) < 0)
		goto out;
	eal_up = true;
	/* Serve dpdk-dumpcap / dpdk-pdump (secondary processes) like any DPDK application. */
	if (rte_pdump_init() < 0)
		RP_WARN("dp", "packet capture (dpdk-dumpcap) unavailable: %s",
			rte_strerror(rte_errno));
	if (fastpath_init(&app) < 0)
		goto out;
	if (dp_ports_init(&app) < 0)
		goto out;
	dp_exc_init(&app);
	dp_exc_poll_addrs(&app);
	dp_drop_telemetry_register(&app);
	dp_telemetry_register(&app);
	if (install_manual() < 0)
		goto out;
	workers_up = true;
	if (dp_workers_init(&app) < 0)
		goto out;
	/* Attach once the ports are up, so a rampartd that sees us attached can use them. */
	if (dp_ctl_open(&app, app.conf.region, app.conf.chan_slots, &app.ctl) < 0)
		goto out;
	if (dp_workers_start(&app) < 0)
		goto out;

	main_loop(&app);
	rc = 0;
out:
	if (workers_up) {
		dp_workers_stop(&app);
		dp_drop_log_summary(&app);
	}
	dp_ctl_close(app.ctl);
	app.ctl = NULL;
	if (eal_up) {
		char prefix[80];

		dp_workers_fini(&app);
		fastpath_fini(&app);
		dp_ports_fini(&app);
		rte_pdump_uninit();
		rte_eal_cleanup();
		if (app.conf.hugepages) {
			snprintf(prefix, sizeof(prefix), DP_EAL_PREFIX "%s", app.conf.instance);
			dp_eal_hugefiles_remove(prefix);
		}
		RP_INFO("dp", "rampart-dp stopped%s", rc ? " after an error" : "");
	}
	dp_manual_free(manual, n_manual);
	rp_cfg_free(&cfg);
	return rc;
}
