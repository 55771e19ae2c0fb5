/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * rampartd: the control plane. Loads the configuration, attaches to the control channel as
 * its CP side, serves the management socket and runs everything on one libevent loop.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/chan.h"
#include "common/conf.h"
#include "common/log.h"
#include "controlplane/cp.h"
#include "controlplane/dpif/dpif.h"
#include "controlplane/aaa/aaa_conf.h"
#include "controlplane/ike/ike_cert.h"
#include "controlplane/ike/ike_aaa.h"
#include "controlplane/ike/ike_authz_aaa.h"
#include "controlplane/ike/ike_eap_radius.h"
#include "controlplane/ike/ike_io.h"
#include "controlplane/mgmt/mgmt.h"
#include "controlplane/pki/revoke.h"
#include "controlplane/policy/policy.h"
#include "controlplane/policy/policy_cmd.h"
#include "controlplane/util/workpool.h"

#define COMP "main"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rampartd [-c FILE] [--check-config] [--help-config] [-h] [-V]\n"
		"\n"
		"Rampart control plane: IKE, AAA, PKI and the management socket; programs\n"
		"rampart-dp through the shared-memory control channel.\n"
		"\n"
		"  -c, --config FILE   configuration file (default: the built-in demo configuration)\n"
		"      --check-config  validate the configuration and exit (0 = valid)\n"
		"      --help-config   list every configuration setting and exit\n"
		"  -h, --help          this help\n"
		"  -V, --version       print the version and exit\n"
		"\n"
		"Stops on SIGINT or SIGTERM. Talk to it with rampartctl. The IKEv2 responder runs\n"
		"when the configuration has an \"ike\" section.\n");
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	struct cp *cp = arg;

	(void)what;
	RP_NOTICE(COMP, "%s received, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	event_base_loopexit(cp->base, NULL);
}

static void on_sighup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	RP_WARN(COMP, "SIGHUP: configuration reload is not implemented yet; restart rampartd to "
		"apply changes");
}

static bool log_to_syslog;
static struct pol_cmd policy; /* profiles, maps, trustpoints (controlplane/policy) */

/* The "ike" section of the configuration, parsed at load time so that --check-config
 * reports its errors too. @return 0 (also without the section: *have = false), -1. */
static int load_ike(struct rp_cfg *cfg, struct ike_conf *conf, bool *have)
{
	const config_setting_t *s = rp_cfg_get(rp_cfg_root(cfg), "ike");

	*have = false;
	if (!s)
		return 0;
	if (ike_conf_parse(cfg, s, conf))
		return -1;
	*have = true;
	return 0;
}

/* The IKEv2 responder, when the configuration has an "ike" section; takes @p conf.
 * @return 0, -1 on error (reported). */
static int start_ike(struct cp *cp, struct ike_conf *conf, bool *have)
{
	int rc;

	if (!*have)
		return 0;
	rc = ike_io_create(cp->base, cp->dpif, NULL, conf, &cp->ike);
	if (rc)
		return -1;
	*have = false; /* ike_io owns the pools and keyring now */
	return ike_io_register(cp->ike, cp->mgmt) ? -1 : 0;
}

static struct ike_pauth *pauth; /* IKE_AUTH by the ikev2 profiles, when there are some */
static struct workpool *pauth_wp; /* its public-key work, off the event loop */
static struct event *pauth_ev;  /* the workers' completions */
#define PAUTH_MAX_PENDING 256u

static void on_pauth_done(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	wp_run_done(arg);
}

/* Clients check that our IDr is in the certificate we present: say so at start when the
 * `ike.local_id` is not in the certificate of a trustpoint we sign with. */
static void check_local_id(const struct ike_resp_cfg *rc)
{
	char why[256];

	for (unsigned i = 0; i < policy.set->n_profiles; i++) {
		const struct pol_profile *p = &policy.set->profiles[i];

		if (p->auth_local == POL_AUTH_PSK)
			continue;
		for (unsigned t = 0; t < p->n_tps; t++) {
			X509 *x = p->tps[t] ? pki_tp_cert(p->tps[t]) : NULL;

			if (!x)
				continue;
			/* identity_local replaces ike.local_id: "dn" is the certificate's own, an
			 * address or key-id is not checked against it */
			if (p->id_local == POL_IDL_FQDN || p->id_local == POL_IDL_EMAIL) {
				if (ike_id_bound(x, p->id_local == POL_IDL_FQDN ? IKE_ID_FQDN :
						 IKE_ID_RFC822_ADDR, (const uint8_t *)p->id_local_value,
						 p->id_local_len, why, sizeof(why)))
					RP_WARN(COMP, "profile %s, trustpoint %s: identity_local does not "
						"match our certificate (%s); clients will refuse it",
						p->name, pki_tp_name(p->tps[t]), why);
				continue;
			}
			if (p->id_local != POL_IDL_DEFAULT)
				continue;
			if (!rc->local_id_type)
				RP_WARN(COMP, "profile %s signs with the certificate of trustpoint %s, but "
					"ike.local_id is not set: our IDr is then our IP address, which "
					"clients expect in the certificate's subjectAltName", p->name,
					pki_tp_name(p->tps[t]));
			else if (ike_id_bound(x, rc->local_id_type, rc->local_id, rc->local_id_len,
					      why, sizeof(why)))
				RP_WARN(COMP, "profile %s, trustpoint %s: ike.local_id does not match our "
					"certificate (%s); clients will refuse it", p->name,
					pki_tp_name(p->tps[t]), why);
		}
	}
}

/* With `ikev2` profiles, they decide who may connect and how (ike_cert.h); the PSK peers
 * of the `ike` section remain a fallback for pre-share peers no profile matches.
 * @p kr: the ike section's keyring (owned by the responder), @p n_peers its size. */
static int attach_policy(struct cp *cp, struct ike_keyring *kr, unsigned n_peers,
			 const struct ike_resp_cfg *resp)
{
	struct ike_authenticator a, fb;
	struct ike_resp *r = ike_io_resp(cp->ike);
	uint8_t *creq = NULL;
	size_t creq_len = 0;
	int rc;

	if (!policy.set || !policy.set->n_profiles)
		return 0;
	check_local_id(resp);
	if (kr && n_peers)
		ike_keyring_authenticator(kr, &fb);
	/* ike.crypto_threads, as for IKE_SA_INIT's DH (0: on the loop, no pool) */
	rc = ike_io_crypto_threads(cp->ike) ?
	     wp_create(ike_io_crypto_threads(cp->ike), PAUTH_MAX_PENDING, &pauth_wp) : 0;
	if (!rc && !pauth_wp)
		pki_rev_offline_thread(); /* validation on the loop: no CRL / OCSP fetches here */
	if (!rc && pauth_wp) {
		pauth_ev = event_new(cp->base, wp_fd(pauth_wp), EV_READ | EV_PERSIST, on_pauth_done,
				     pauth_wp);
		if (!pauth_ev || event_add(pauth_ev, NULL))
			rc = -ENOMEM;
	}
	if (!rc)
		rc = ike_pauth_create(policy.set, kr && n_peers ? &fb : NULL, pauth_wp, &pauth);
	if (!rc)
		rc = ike_pauth_certreq(policy.set, &creq, &creq_len);
	if (!rc)
		rc = ike_resp_set_certreq(r, creq, creq_len);
	free(creq);
	if (rc) {
		RP_ERR(COMP, "IKE policy: %s", strerror(-rc));
		return -1;
	}
	ike_pauth_authenticator(pauth, &a);
	ike_resp_set_auth(r, &a);
	RP_NOTICE(COMP, "IKEv2 authentication by the %u ikev2 profile%s%s; CERTREQ names %zu "
		  "CA%s; public-key work on %d worker threads", policy.set->n_profiles,
		  policy.set->n_profiles == 1 ? "" : "s",
		  n_peers ? " (the ike section's PSK peers serve peers no profile matches)" : "",
		  creq_len / PKI_SHA1_LEN, creq_len == PKI_SHA1_LEN ? "" : "s",
		  pauth_wp ? wp_threads(pauth_wp) : 0);
	return 0;
}

static struct ike_eap_radius *eap_radius; /* EAP relayed to RADIUS (ike_eap_radius.h) */
static struct ike_aaa *ike_aaa; /* accounting, Disconnect / CoA (ike_aaa.h) */

/* EAP pass-through: the aaa section's EAP lists, when profiles allow remote EAP. */
/* IKEv2 authorization (ike_authz_aaa.h): cached EAP attributes, local and RADIUS lists. */
static struct ike_authz_aaa *authz_aaa;

static int attach_authz(struct cp *cp)
{
	struct ike_authz_backend be;
	int rc = ike_authz_aaa_create(cp->base, &cp->cfg, &policy.set, &authz_aaa);

	if (rc)
		return rc;
	ike_authz_aaa_backend(authz_aaa, &be);
	ike_resp_set_authz(ike_io_resp(cp->ike), &be);
	if (pauth) { /* profiles' keyring_aaa: pre-shared keys from RADIUS */
		struct ike_psk_source ps;

		ike_authz_aaa_psk_source(authz_aaa, &ps);
		ike_pauth_set_psk_source(pauth, &ps);
	}
	return 0;
}

static int attach_eap(struct cp *cp)
{
	struct ike_eap_backend be;
	unsigned n_eap = 0;
	int rc;

	for (unsigned i = 0; policy.set && i < policy.set->n_profiles; i++)
		if (policy.set->profiles[i].auth_remote & POL_AUTH_EAP)
			n_eap++;
	rc = ike_eap_radius_create(cp->base, &cp->cfg, &eap_radius);
	if (rc) {
		RP_ERR(COMP, "EAP: %s", strerror(-rc));
		return -1;
	}
	if (!eap_radius) {
		if (n_eap)
			RP_WARN(COMP, "%u profile%s allow remote EAP, but the aaa section has no EAP "
				"authentication list: EAP clients are refused", n_eap,
				n_eap == 1 ? "" : "s");
		return 0;
	}
	for (unsigned i = 0; i < policy.set->n_profiles; i++) {
		const struct pol_profile *p = &policy.set->profiles[i];

		if ((p->auth_remote & POL_AUTH_EAP) &&
		    !ike_eap_radius_has_list(eap_radius, p->aaa_eap_list)) {
			RP_ERR(COMP, "profile %s: aaa.authentication_eap \"%s\" is not an EAP "
			       "authentication list of the aaa section", p->name, p->aaa_eap_list);
			return -1;
		}
	}
	ike_eap_radius_backend(eap_radius, &be);
	ike_resp_set_eap(ike_io_resp(cp->ike), &be);
	RP_NOTICE(COMP, "EAP pass-through to RADIUS for %u profile%s", n_eap, n_eap == 1 ? "" : "s");
	return 0;
}

/* Log settings from the configuration (they were validated against the schema). */
static void apply_log_config(const struct rp_cfg *cfg)
{
	const config_setting_t *log = rp_cfg_get(rp_cfg_root(cfg), "log");
	int level = rp_log_level_parse(rp_cfg_str(log, "level", "info"));
	const char *target = rp_cfg_str(log, "target", "stderr");

	log_to_syslog = !strcmp(target, "syslog");
	rp_log_init("rampartd", log_to_syslog ? RP_LOG_SYSLOG : RP_LOG_STDERR,
		    level < 0 ? RP_LOG_INFO : (enum rp_log_level)level);
}

/* A reason not to start: logged, and shown on the terminal even when logging to syslog. */
static void startup_error(const char *what, const char *why)
{
	RP_ERR(COMP, "%s: %s", what, why);
	if (log_to_syslog)
		fprintf(stderr, "rampartd: %s: %s\n", what, why);
}

static int make_run_dir(const char *sock)
{
	if (mkdir(RP_RUN_DIR, 0755) == 0 || errno == EEXIST)
		return 0;
	/* Only fatal if the socket was to live there. */
	if (!strncmp(sock, RP_RUN_DIR "/", strlen(RP_RUN_DIR) + 1)) {
		RP_ERR(COMP, "cannot create %s: %s", RP_RUN_DIR, strerror(errno));
		return -errno;
	}
	RP_WARN(COMP, "cannot create %s: %s", RP_RUN_DIR, strerror(errno));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "help-config", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	bool check_only = false;
	struct cp cp;
	struct event *sigs[3] = { NULL };
	char err[512];
	int opt, rc, ret = 1;
	struct ike_conf ike_conf;
	bool have_ike = false;

	memset(&cp, 0, sizeof(cp));
	rp_log_init("rampartd", RP_LOG_STDERR, RP_LOG_INFO);
	while ((opt = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'C':
			check_only = true;
			break;
		case 'H':
			rp_cfg_print_schema(rp_conf_schema, 0, stdout);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("rampartd %s (message version %u)\n", RAMPART_VERSION, RP_MSG_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "rampartd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	cp.config_source = config ? config : RP_CONF_DEFAULT_NAME;
	if (rp_conf_load(&cp.cfg, config) || aaa_conf_check(&cp.cfg) ||
	    pol_cmd_load(&policy, &cp.cfg) ||
	    load_ike(&cp.cfg, &ike_conf, &have_ike) ||
	    (have_ike && pol_check_pools(&cp.cfg, ike_conf.pools))) {
		fprintf(stderr, "rampartd: configuration %s is not valid (%d error%s)\n",
			cp.config_source, cp.cfg.n_errors, cp.cfg.n_errors == 1 ? "" : "s");
		goto out;
	}
	if (check_only) {
		printf("rampartd: configuration %s is valid\n", cp.config_source);
		ret = 0;
		goto out;
	}
	apply_log_config(&cp.cfg);
	cp.start_ns = dpif_now_ns();
	rp_conf_region_path(&cp.cfg, cp.region, sizeof(cp.region));
	rp_conf_mgmt_socket(&cp.cfg, cp.mgmt_path, sizeof(cp.mgmt_path));

	/* A client that goes away mid-answer must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (make_run_dir(cp.mgmt_path))
		goto out;

	const config_setting_t *ctl = rp_cfg_get(rp_cfg_root(&cp.cfg), "control");

	rc = rp_chan_open(cp.region, RP_ROLE_CP,
			  (uint32_t)rp_cfg_int(ctl, "slots", RP_CHAN_DEFAULT_SLOTS), &cp.ch, err,
			  sizeof(err));
	if (rc) {
		startup_error("cannot attach to the control channel", err);
		goto out;
	}

	cp.base = event_base_new();
	if (!cp.base) {
		RP_ERR(COMP, "cannot create the event loop");
		goto out;
	}
	/* A dump (show sessions, show sa, DPD) answers one message per SA: let it hold every SA
	 * the dataplane's tables can (dataplane.sa_max; the reply buffer grows as needed). */
	const config_setting_t *dpc = rp_cfg_get(rp_cfg_root(&cp.cfg), "dataplane");
	long long sa_max = dpc ? rp_cfg_int(dpc, "sa_max", 16384) : 16384;
	struct dpif_opts dopts = {
		.max_replies = sa_max + 16 > DPIF_MAX_REPLIES ? (unsigned)sa_max + 16 :
							       DPIF_MAX_REPLIES,
	};

	rc = dpif_create(cp.base, cp.ch, &dopts, &cp.dpif);
	if (rc) {
		RP_ERR(COMP, "dataplane interface: %s", strerror(-rc));
		goto out;
	}
	rc = mgmt_create(cp.base, cp.mgmt_path, &cp.mgmt, err, sizeof(err));
	if (rc) {
		startup_error("management socket", err);
		goto out;
	}
	rc = cp_status_register(&cp);
	if (!rc)
		rc = cp_sa_register(&cp);
	if (rc || (rc = pol_cmd_register(&policy, cp.mgmt)))
		goto out;
	if (have_ike) {
		struct ike_keyring *kr = ike_conf.keyring; /* the responder's from now on */
		unsigned n_peers = ike_conf.n_peers;
		struct ike_resp_cfg resp = ike_conf.resp;

		if (start_ike(&cp, &ike_conf, &have_ike) || attach_policy(&cp, kr, n_peers, &resp) ||
		    attach_eap(&cp) || attach_authz(&cp) ||
		    ike_aaa_create(cp.base, &cp.cfg, policy.set, ike_io_resp(cp.ike), cp.dpif,
				   &ike_aaa) || ike_aaa_register(ike_aaa, cp.mgmt)) {
			startup_error("IKE", "cannot start the IKEv2 responder (see above)");
			goto out;
		}
	}

	sigs[0] = evsignal_new(cp.base, SIGINT, on_stop_signal, &cp);
	sigs[1] = evsignal_new(cp.base, SIGTERM, on_stop_signal, &cp);
	sigs[2] = evsignal_new(cp.base, SIGHUP, on_sighup, &cp);
	for (int i = 0; i < 3; i++) {
		if (!sigs[i] || evsignal_add(sigs[i], NULL)) {
			RP_ERR(COMP, "cannot install signal handlers");
			goto out;
		}
	}

	RP_NOTICE(COMP, "rampartd %s started (pid %d): instance %s, config %s, control region "
		  "%s (epoch %u), management socket %s", RAMPART_VERSION, (int)getpid(),
		  rp_conf_instance(&cp.cfg), cp.config_source, cp.region, rp_chan_epoch(cp.ch),
		  cp.mgmt_path);
	if (event_base_dispatch(cp.base) < 0)
		RP_ERR(COMP, "event loop failed");
	else
		ret = 0;
	RP_NOTICE(COMP, "rampartd stopped");
out:
	/* IKE first: what it still has in flight towards the dataplane is cancelled.
	 * Then dpif: its callbacks finish management requests still waiting for answers. */
	ike_aaa_destroy(ike_aaa); /* before the responder it hooks into */
	ike_io_destroy(cp.ike);
	ike_authz_aaa_destroy(authz_aaa); /* after the responder: its tasks cancelled theirs */
	ike_eap_radius_destroy(eap_radius);
	ike_pauth_destroy(pauth);
	if (pauth_ev)
		event_free(pauth_ev);
	wp_destroy(pauth_wp);
	if (have_ike)
		ike_conf_free(&ike_conf);
	dpif_destroy(cp.dpif);
	mgmt_destroy(cp.mgmt);
	pol_cmd_stop(&policy);
	for (int i = 0; i < 3; i++)
		if (sigs[i])
			event_free(sigs[i]);
	if (cp.base)
		event_base_free(cp.base);
	rp_chan_close(cp.ch);
	rp_cfg_free(&cp.cfg);
	return ret;
}
