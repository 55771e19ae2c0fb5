/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * radius_probe: drives the asynchronous RADIUS client against a real RADIUS server
 * (tests/aaa/radius_live.sh starts FreeRADIUS 3.2 in a network namespace). Each step
 * states what it expects and prints "ok" or "FAIL"; the exit status is the number of
 * failures (0 = all passed).
 *
 *   radius_probe --server ADDR [--dead ADDR] [--source ADDR] [--secret S]
 *
 * Steps, all with the user of radius_env.sh (testuser / testpass):
 *   1. PAP: Access-Accept with Framed-IP-Address 198.18.200.77 and the Cisco AV-pairs
 *      ipsec:dns-servers, ipsec:default-domain, ipsec:route-set
 *   2. PAP with a wrong password: Access-Reject
 *   3. EAP-MD5 relayed: Identity -> Access-Challenge (MD5-Challenge, State) -> our MD5
 *      response with the State -> Access-Accept carrying EAP-Success
 *   4. Accounting Start and Stop: Accounting-Response each
 *   5. failover (with --dead): group [dead, live], the dead address has no listener: the
 *      live server answers, the dead one is marked dead, the next request goes straight to
 *      the live one
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/log.h"
#include "controlplane/aaa/eap.h"
#include "controlplane/aaa/radius_client.h"

static struct event_base *base;
static int failures;

struct outcome {
	bool done;
	int err;
	uint8_t code;
	unsigned server, attempts;
	uint8_t eap[RADIUS_EAP_MAX];
	int eap_len;
	uint8_t state[253];
	size_t state_len;
	uint32_t fip;
	bool has_fip;
	char avpairs[1024];
};

static void check(bool ok, const char *what)
{
	printf("%-4s %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		failures++;
}

static void on_result(int err, const struct radius_result *res, void *arg)
{
	struct outcome *o = arg;
	const struct radius_attr *a;
	unsigned from = 0;
	char sum[1024];

	o->done = true;
	o->err = err;
	if (!err) {
		o->code = res->pkt->code;
		o->server = res->server;
		o->attempts = res->attempts;
		o->eap_len = radius_eap_get(res->pkt, o->eap, sizeof(o->eap));
		a = radius_find(res->pkt, 0, RADIUS_A_STATE, NULL);
		if (a) {
			memcpy(o->state, a->val, a->len);
			o->state_len = a->len;
		}
		o->has_fip = radius_get_u32(res->pkt, RADIUS_A_FRAMED_IP_ADDRESS, &o->fip);
		while ((a = radius_find(res->pkt, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR,
					&from))) {
			size_t l = strlen(o->avpairs);

			snprintf(o->avpairs + l, sizeof(o->avpairs) - l, "%.*s;", a->len,
				 (const char *)a->val);
		}
		radius_pkt_summary(res->pkt, sum, sizeof(sum));
		printf("     <- %s (server %u, %u datagrams)\n", sum, res->server, res->attempts);
	} else {
		printf("     <- error %s\n", strerror(-err));
	}
	event_base_loopbreak(base);
}

static void wait_for(struct outcome *o)
{
	while (!o->done)
		event_base_loop(base, EVLOOP_ONCE);
}

static struct outcome *send_wait(struct radius_client *c, struct radius_req *r)
{
	static struct outcome o;

	memset(&o, 0, sizeof(o));
	if (radius_send(c, r, on_result, &o, NULL)) {
		o.done = true;
		o.err = -EINVAL;
	}
	wait_for(&o);
	return &o;
}

static struct radius_req *pap(const char *user, const char *pw)
{
	struct radius_req *r = radius_req_new(RADIUS_ACCESS_REQUEST);

	radius_req_add_str(r, RADIUS_A_USER_NAME, user);
	radius_req_set_password(r, pw, strlen(pw));
	radius_req_add_u32(r, RADIUS_A_SERVICE_TYPE, 2);   /* Framed */
	radius_req_add_u32(r, RADIUS_A_NAS_PORT_TYPE, 5);  /* Virtual */
	radius_req_add_str(r, RADIUS_A_NAS_IDENTIFIER, "rampart-probe");
	return r;
}

static bool parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		return true;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		return true;
	}
	return false;
}

static void add_server(struct radius_group_cfg *g, const char *name, const char *addr,
		       const char *secret, unsigned timeout_ms)
{
	struct radius_server_cfg *s = &g->server[g->n_servers++];

	radius_server_cfg_init(s);
	snprintf(s->name, sizeof(s->name), "%s", name);
	if (!parse_addr(addr, 0, &s->addr)) {
		fprintf(stderr, "bad address %s\n", addr);
		exit(2);
	}
	s->secret_len = strlen(secret);
	memcpy(s->secret, secret, s->secret_len);
	s->timeout_ms = timeout_ms;
	s->retransmits = 1;
}

static void step_pap(struct radius_client *c)
{
	struct outcome *o;

	puts("step 1: PAP testuser/testpass");
	o = send_wait(c, pap("testuser", "testpass"));
	check(!o->err && o->code == RADIUS_ACCESS_ACCEPT, "Access-Accept");
	check(o->has_fip && o->fip == (198u << 24 | 18u << 16 | 200u << 8 | 77u),
	      "Framed-IP-Address 198.18.200.77");
	check(strstr(o->avpairs, "ipsec:dns-servers=198.18.1.53 198.18.1.54;") != NULL,
	      "cisco-avpair ipsec:dns-servers");
	check(strstr(o->avpairs, "ipsec:default-domain=example.test;") != NULL,
	      "cisco-avpair ipsec:default-domain");
	check(strstr(o->avpairs, "ipsec:route-set=prefix 198.18.1.0/24;") != NULL,
	      "cisco-avpair ipsec:route-set=prefix");

	puts("step 2: PAP testuser/wrong");
	o = send_wait(c, pap("testuser", "wrong"));
	check(!o->err && o->code == RADIUS_ACCESS_REJECT, "Access-Reject");
}

static void step_eap_md5(struct radius_client *c)
{
	uint8_t eap[64], resp[64];
	struct radius_req *r;
	struct outcome *o;
	struct eap_pkt e;
	uint8_t state[253];
	size_t n, state_len;

	puts("step 3: EAP-MD5 through Access-Challenge");
	n = eap_build_identity_response(1, "testuser", 8, eap, sizeof(eap));
	r = radius_req_new(RADIUS_ACCESS_REQUEST);
	radius_req_add_str(r, RADIUS_A_USER_NAME, "testuser");
	radius_req_add_u32(r, RADIUS_A_FRAMED_MTU, 1400);
	radius_req_set_eap(r, eap, n);
	o = send_wait(c, r);
	check(!o->err && o->code == RADIUS_ACCESS_CHALLENGE, "Access-Challenge");
	check(o->state_len > 0, "State present");
	check(o->eap_len > 0 && eap_parse(o->eap, (size_t)o->eap_len, &e) == 0 &&
		      e.code == EAP_REQUEST && e.type == EAP_T_MD5,
	      "EAP Request/MD5-Challenge");
	if (failures)
		return;
	memcpy(state, o->state, o->state_len);
	state_len = o->state_len;
	n = eap_md5_response(&e, "testpass", 8, resp, sizeof(resp));
	r = radius_req_new(RADIUS_ACCESS_REQUEST);
	radius_req_add_str(r, RADIUS_A_USER_NAME, "testuser");
	radius_req_add(r, RADIUS_A_STATE, state, state_len);
	radius_req_set_eap(r, resp, n);
	o = send_wait(c, r);
	check(!o->err && o->code == RADIUS_ACCESS_ACCEPT, "Access-Accept");
	check(o->eap_len == 4 && eap_parse(o->eap, 4, &e) == 0 && e.code == EAP_SUCCESS,
	      "EAP Success");
}

static struct radius_req *acct(uint32_t status)
{
	static const uint8_t fip[4] = { 198, 18, 200, 77 };
	struct radius_req *r = radius_req_new(RADIUS_ACCOUNTING_REQUEST);

	radius_req_add_str(r, RADIUS_A_USER_NAME, "testuser");
	radius_req_add_u32(r, RADIUS_A_ACCT_STATUS_TYPE, status);
	radius_req_add_str(r, RADIUS_A_ACCT_SESSION_ID, "rampart-probe-1");
	radius_req_add(r, RADIUS_A_FRAMED_IP_ADDRESS, fip, 4);
	if (status == 2) {
		radius_req_add_u32(r, RADIUS_A_ACCT_SESSION_TIME, 42);
		radius_req_add_u32(r, RADIUS_A_ACCT_TERMINATE_CAUSE, 1); /* User-Request */
	}
	return r;
}

static void step_acct(struct radius_client *c)
{
	struct outcome *o;

	puts("step 4: accounting Start / Stop");
	o = send_wait(c, acct(1));
	check(!o->err && o->code == RADIUS_ACCOUNTING_RESPONSE, "Start: Accounting-Response");
	o = send_wait(c, acct(2));
	check(!o->err && o->code == RADIUS_ACCOUNTING_RESPONSE, "Stop: Accounting-Response");
}

static void step_failover(struct radius_client *c)
{
	struct radius_server_state st;
	struct outcome *o;

	puts("step 5: failover from a dead address");
	o = send_wait(c, pap("testuser", "testpass"));
	check(!o->err && o->code == RADIUS_ACCESS_ACCEPT && o->server == 1,
	      "second server answered");
	check(o->attempts == 3, "2 datagrams to the dead server, 1 to the live one");
	check(radius_client_server_state(c, 0, &st) && st.dead, "first server marked dead");
	o = send_wait(c, acct(1));
	check(!o->err && o->code == RADIUS_ACCOUNTING_RESPONSE && o->attempts == 1,
	      "next request (accounting) skips the dead server");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "dead", required_argument, NULL, 'd' },
		{ "source", required_argument, NULL, 'S' },
		{ "secret", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *server = NULL, *dead = NULL, *source = NULL, *secret = "testing123";
	struct radius_group_cfg g;
	struct radius_client *c;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's': server = optarg; break;
		case 'd': dead = optarg; break;
		case 'S': source = optarg; break;
		case 'k': secret = optarg; break;
		default: return 2;
		}
	}
	if (!server) {
		fprintf(stderr, "usage: radius_probe --server ADDR [--dead ADDR] [--source ADDR]"
				" [--secret S]\n");
		return 2;
	}
	rp_log_init("radius_probe", RP_LOG_STDERR, RP_LOG_INFO);
	base = event_base_new();

	radius_group_cfg_init(&g);
	snprintf(g.name, sizeof(g.name), "live");
	add_server(&g, "live", server, secret, 3000);
	if (source && !parse_addr(source, 0, &g.source))
		return 2;
	if (radius_client_new(base, &g, &c))
		return 2;
	step_pap(c);
	step_eap_md5(c);
	step_acct(c);
	radius_client_free(c);

	if (dead) {
		radius_group_cfg_init(&g);
		snprintf(g.name, sizeof(g.name), "failover");
		g.dead_after = 1;
		add_server(&g, "dead", dead, secret, 300);
		add_server(&g, "live", server, secret, 3000);
		if (source && !parse_addr(source, 0, &g.source))
			return 2;
		if (radius_client_new(base, &g, &c))
			return 2;
		step_failover(c);
		radius_client_free(c);
	}
	event_base_free(base);
	printf("%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
