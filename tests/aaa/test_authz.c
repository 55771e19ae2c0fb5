/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * IKEv2 authorization from RADIUS (controlplane/aaa/authz.c): the Access-Accept FreeRADIUS
 * 3.2 sent (capture cap_pap_ok_accept: Framed-IP-Address and three ipsec: AV-pairs), then
 * Access-Accepts built with the codec carrying every ipsec: attribute of the reference's
 * table, one table of malformed values (each refused with its reason, the rest kept), the
 * bounds, Tunnel-Password, and the merge precedence (user > cached > group > local policy;
 * group first with override).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/conf.h"
#include "controlplane/aaa/authz.h"
#include "controlplane/aaa/radius.h"
#include "radius_capture.h"

#define SECRET "testing123"
#define SLEN (sizeof(SECRET) - 1)

static struct radius_pkt pkt;
static uint8_t dgram[RADIUS_MAX_LEN];
static const uint8_t req_auth[16] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6 };
static struct rp_cfg cfg;
static struct pol_set *set;

#define AV(s) { 0, s, 0 }
#define STD(t, v, l) { t, (const char *)(v), l }

struct attr {
	uint8_t type;      /* 0: a Cisco-AVPair with text s */
	const char *s;
	size_t len;
};

/* An Access-Accept answering req_auth with @p n attributes, parsed into pkt. */
static void accept_with(const struct attr *at, size_t n)
{
	struct radius_bld b;
	size_t len;

	radius_bld_init(&b, dgram, sizeof(dgram), RADIUS_ACCESS_ACCEPT, 7, req_auth, true);
	for (size_t i = 0; i < n; i++) {
		if (at[i].type)
			assert_true(radius_bld_attr(&b, at[i].type, at[i].s, at[i].len));
		else
			assert_true(radius_bld_vsa(&b, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR,
						   at[i].s, strlen(at[i].s)));
	}
	len = radius_bld_finish(&b, SECRET, SLEN);
	assert_true(len > 0);
	assert_int_equal(radius_parse(dgram, len, &pkt), RADIUS_PERR_OK);
	assert_int_equal(radius_verify_response(&pkt, req_auth, SECRET, SLEN, true), 0);
}

static int setup(void **state)
{
	static const char text[] =
		"access_lists = (\n"
		"  { name = \"99\"; family = \"ipv4\"; prefixes = [ \"198.18.10.0/24\" ]; },\n"
		"  { name = \"v6acl\"; family = \"ipv6\"; prefixes = [ \"2001:db8:10::/48\" ]; }\n"
		");\n"
		"ikev2 = { authorization_policies = (\n"
		"  { name = \"pol1\"; pool = \"p1\"; dns = [ \"198.51.100.53\" ];\n"
		"    banner = \"local banner\"; def_domain = \"local.example\"; pfs = true;\n"
		"    netmask = \"255.255.255.0\"; ipsec_flow_limit = 5;\n"
		"    split_dns = [ \"a.local.example\" ]; }\n"
		"); };\n";

	(void)state;
	if (rp_cfg_load_string(&cfg, "t.conf", text, rp_conf_schema))
		fail_msg("%s", cfg.err);
	if (pol_set_build(&cfg, POL_BUILD_NO_FILES, &set))
		fail_msg("%s", cfg.err);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pol_set_free(set);
	rp_cfg_free(&cfg);
	return 0;
}

/* What FreeRADIUS really sent (tests/aaa/capture): Framed-IP-Address 198.18.200.77,
 * dns-servers, default-domain, route-set=prefix. */
static void test_capture(void **state)
{
	struct aaa_authz z;
	char src[512];

	(void)state;
	assert_int_equal(radius_parse(cap_pap_ok_accept, sizeof(cap_pap_ok_accept), &pkt),
			 RADIUS_PERR_OK);
	assert_int_equal(aaa_authz_from_radius(&pkt, set, NULL, NULL, 0, "testuser", &z), 0);
	assert_int_equal(z.n_ignored, 0);
	assert_true(z.set & AAA_AZ_BIT(AAA_AZ_FRAMED_IP));
	assert_memory_equal(z.framed_ip, ((uint8_t[]){ 198, 18, 200, 77 }), 4);
	assert_int_equal(z.a.n_dns, 2);
	assert_memory_equal(z.a.dns[0], ((uint8_t[]){ 198, 18, 1, 53 }), 4);
	assert_memory_equal(z.a.dns[1], ((uint8_t[]){ 198, 18, 1, 54 }), 4);
	assert_string_equal(z.a.def_domain, "example.test");
	assert_int_equal(z.a.n_route_remote, 1);
	assert_int_equal(z.a.route_remote[0].af, 4);
	assert_int_equal(z.a.route_remote[0].plen, 24);
	assert_memory_equal(z.a.route_remote[0].addr, ((uint8_t[]){ 198, 18, 1, 0 }), 4);
	assert_int_equal(z.set, AAA_AZ_BIT(AAA_AZ_FRAMED_IP) | AAA_AZ_BIT(AAA_AZ_DNS) |
				AAA_AZ_BIT(AAA_AZ_DEF_DOMAIN) | AAA_AZ_BIT(AAA_AZ_ROUTE_REMOTE));
	aaa_authz_sources(&z, src, sizeof(src));
	aaa_authz_free(&z);
	assert_int_equal(z.set, 0);
	assert_null(z.a.route_remote);
}

/* Every attribute of the reference's table, well formed. */
static void test_every_attribute(void **state)
{
	static const uint8_t fip[4] = { 198, 18, 200, 9 }, fnm[4] = { 255, 255, 255, 0 };
	static const uint8_t f6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x20, [15] = 9 };
	const struct attr at[] = {
		STD(RADIUS_A_FRAMED_IP_ADDRESS, fip, 4),
		STD(RADIUS_A_FRAMED_IP_NETMASK, fnm, 4),
		STD(RADIUS_A_FRAMED_IPV6_ADDRESS, f6, 16),
		AV("ipsec:addr-pool=pool-a"),
		AV("ipsec:ipv6-addr-pool=v6-pool"),
		AV("ipsec:dns-servers=198.51.100.1,198.51.100.2"),
		AV("ipsec:wins-servers=198.51.100.3"),
		AV("ipsec:ipv6-dns-servers-addr=2001:db8::53 2001:db8::54"),
		AV("ipsec:route-set=prefix 198.18.1.0/24"),
		AV("ipsec:route-set=prefix 2001:db8:1::/64"),
		AV("ipsec:route-set=access-list 99"),
		AV("ipsec:route-set=access-list ipv6 v6acl"),
		AV("ipsec:route-set=interface Loopback0"),
		AV("ipsec:route-accept=any tag 10 distance 200"),
		AV("ipsec:banner=Welcome,"),
		AV("ipsec:banner=second line"),
		AV("ipsec:default-domain=corp.example"),
		AV("ipsec:split-dns=a.corp.example b.corp.example"),
		AV("ipsec:split-dns=c.corp.example"),
		AV("ipsec:ipsec-backup-gateway=gw1.example"),
		AV("ipsec:ipsec-backup-gateway=gw2.example"),
		AV("ipsec:pfs=1"),
		AV("ipsec:include-local-lan=true"),
		AV("ipsec:smartcard-removal-disconnect=yes"),
		AV("ipsec:configuration-url=http://cfg.example/flex.xml"),
		AV("ipsec:configuration-version=10"),
		AV("ipsec:ipsec-flow-limit=3"),
		AV("ipsec:addrv6=2001:db8:2::7"),
		AV("ipsec:prefix-len=64"),
		AV("ipsec:ikev2-password-local=ours"),
		AV("ipsec:ikev2-password-remote=theirs"),
		AV("ipsec:group-dhcp-server=198.51.100.67"),
		AV("ipsec:dhcp-giaddr=198.51.100.1"),
		AV("ipsec:dhcp-timeout=10"),
		AV("ip:interface-config=ip mtu 1100"),
		AV("ipsec*pfs=1"),                  /* not protocol:attr: refused */
		AV("shell:priv-lvl=15"),            /* another protocol: ignored silently */
		AV("ipsec:addr-pool*pool-b"),       /* optional form, but repeated: refused */
	};
	struct aaa_authz z;
	char src[1024];

	(void)state;
	accept_with(at, sizeof(at) / sizeof(at[0]));
	assert_int_equal(aaa_authz_from_radius(&pkt, set, req_auth, SECRET, SLEN, "alice", &z), 0);
	print_message("ignored: %s\n", z.log);
	assert_int_equal(z.n_ignored, 2);
	assert_non_null(strstr(z.log, "not protocol:attribute=value"));
	assert_non_null(strstr(z.log, "addr-pool: repeated"));
	assert_memory_equal(z.framed_ip, fip, 4);
	assert_true(z.a.has_netmask);
	assert_int_equal(z.a.netmask_plen, 24);
	/* ipsec:addrv6 wins over Framed-IPv6-Address, and its prefix-len applies */
	assert_memory_equal(z.addr6, ((uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 7 }), 16);
	assert_string_equal(z.a.pool, "pool-a");
	assert_string_equal(z.a.ipv6_pool, "v6-pool");
	assert_int_equal(z.a.n_dns, 2);
	assert_memory_equal(z.a.dns[1], ((uint8_t[]){ 198, 51, 100, 2 }), 4);
	assert_int_equal(z.a.n_wins, 1);
	assert_int_equal(z.a.n_dns6, 2);
	assert_int_equal(z.a.dns6[1][15], 0x54);
	assert_int_equal(z.a.n_route_remote, 2);
	assert_int_equal(z.a.route_remote[1].af, 6);
	assert_int_equal(z.a.route_remote[1].plen, 64);
	assert_non_null(z.a.route_acl);
	assert_string_equal(z.a.route_acl->name, "99");
	assert_non_null(z.a.route_acl6);
	assert_string_equal(z.a.route_acl6->name, "v6acl");
	assert_string_equal(z.a.route_interface, "Loopback0");
	assert_true(z.a.route_accept);
	assert_int_equal(z.a.route_accept_tag, 10);
	assert_int_equal(z.a.route_accept_distance, 200);
	assert_string_equal(z.a.banner, "Welcome,\nsecond line");
	assert_string_equal(z.a.def_domain, "corp.example");
	assert_int_equal(z.a.n_split_dns, 3);
	assert_string_equal(z.a.split_dns[2], "c.corp.example");
	assert_int_equal(z.a.n_backup_gw, 2);
	assert_string_equal(z.a.backup_gw[1], "gw2.example");
	assert_true(z.a.pfs && z.a.include_local_lan && z.a.smartcard_removal_disconnect);
	assert_string_equal(z.a.config_url, "http://cfg.example/flex.xml");
	assert_string_equal(z.a.config_version, "10");
	assert_int_equal(z.a.flow_limit, 3);
	assert_int_equal(z.addr6_plen, 64);
	assert_int_equal(z.psk_local_len, 4);
	assert_memory_equal(z.psk_local, "ours", 4);
	assert_memory_equal(z.psk_remote, "theirs", 6);
	assert_string_equal(z.a.dhcp_server, "198.51.100.67");
	assert_string_equal(z.a.dhcp_giaddr, "198.51.100.1");
	assert_int_equal(z.a.dhcp_timeout, 10);
	assert_int_equal(z.a.n_interface_config, 1);
	assert_string_equal(z.a.interface_config[0], "ip mtu 1100");
	/* every field but SESSION_LIFETIME (no RADIUS attribute) was given */
	assert_int_equal(z.set, (AAA_AZ_BIT(AAA_AZ_N) - 1) & ~AAA_AZ_BIT(AAA_AZ_SESSION_LIFETIME));
	aaa_authz_sources(&z, src, sizeof(src));
	assert_non_null(strstr(src, "dns-servers (aaa)"));
	aaa_authz_free(&z);
}

/* Malformed values: each is refused with its reason; a good attribute next to it stays. */
static void test_malformed(void **state)
{
	static const struct {
		const char *av;
		const char *reason;
	} t[] = {
		{ "ipsec:dns-servers=198.51.100.300", "not an IPv4 address" },
		{ "ipsec:dns-servers=", "no address" },
		{ "ipsec:dns-servers=1.1.1.1 2.2.2.2 3.3.3.3", "more than two servers" },
		{ "ipsec:ipv6-dns-servers-addr=198.51.100.1", "not an IPv6 address" },
		{ "ipsec:wins-servers=x", "not an IPv4 address" },
		{ "ipsec:route-set=prefix 198.18.1.1/24", "'198.18.1.1/24'" },
		{ "ipsec:route-set=prefix 198.18.1.0", "'198.18.1.0'" },
		{ "ipsec:route-set=prefix", "no prefix" },
		{ "ipsec:route-set=", "empty" },
		{ "ipsec:route-set=bogus 1", "expected prefix, access-list or interface" },
		{ "ipsec:route-set=access-list nope", "no such access list" },
		{ "ipsec:route-set=access-list v6acl", "is IPv6" },
		{ "ipsec:route-set=access-list ipv6 99", "is IPv4" },
		{ "ipsec:route-set=access-list", "expected [ipv6] NAME" },
		{ "ipsec:route-set=access-list a b", "expected [ipv6] NAME" },
		{ "ipsec:route-accept=some", "expected 'any" },
		{ "ipsec:route-accept=any tag 0", "expected tag" },
		{ "ipsec:route-accept=any distance 256", "expected tag" },
		{ "ipsec:route-accept=any tag", "expected tag" },
		{ "ipsec:banner=", "empty" },
		{ "ipsec:banner=bell\x07", "not printable text" },
		{ "ipsec:banner=\xc3\x28", "not printable text" },
		{ "ipsec:default-domain=a b", "expected one domain name" },
		{ "ipsec:default-domain=a/b", "expected one domain name" },
		{ "ipsec:split-dns=ok.example bad/name", "'bad/name': not a host" },
		{ "ipsec:split-dns=", "empty" },
		{ "ipsec:ipsec-backup-gateway=", "empty" },
		{ "ipsec:pfs=maybe", "expected 1 or 0" },
		{ "ipsec:include-local-lan=2", "expected 1 or 0" },
		{ "ipsec:configuration-url=http://a b", "not a URL" },
		{ "ipsec:configuration-version=", "empty" },
		{ "ipsec:configuration-version=123456789012345678901234567890123", "too long" },
		{ "ipsec:ipsec-flow-limit=50001", "expected 0..50000" },
		{ "ipsec:ipsec-flow-limit=-1", "expected 0..50000" },
		{ "ipsec:ipsec-flow-limit=1x", "expected 0..50000" },
		{ "ipsec:ipsec-flow-limit= 1", "expected 0..50000" },
		{ "ipsec:addrv6=2001:db8::/64", "not an IPv6 address" },
		{ "ipsec:addrv6=ff02::1", "not a unicast address" },
		{ "ipsec:prefix-len=129", "expected 1..128" },
		{ "ipsec:prefix-len=0", "expected 1..128" },
		{ "ipsec:ikev2-password-local=", "empty" },
		{ "ipsec:addr-pool=", "expected one pool name" },
		{ "ipsec:addr-pool=a b", "expected one pool name" },
		{ "ipsec:addr-pool=a-pool-name-longer-than-thirty-one-bytes", "too long" },
		{ "ipsec:group-dhcp-server=dhcp.example", "not an IPv4 address" },
		{ "ipsec:dhcp-timeout=0", "expected 1..100" },
		{ "ipsec:no-such-thing=1", "not an attribute of IKEv2 authorization" },
		{ "ipsec:=1", "not protocol:attribute=value" },
		{ "ipsec", "not protocol:attribute=value" },
		{ "ip:interface-config=", "empty" },
		{ "ipsec:banner=a\tb\x7f", "not printable text" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const struct attr at[] = { AV(t[i].av), AV("ipsec:default-domain=good.example") };
		struct aaa_authz z;

		accept_with(at, 2);
		assert_int_equal(aaa_authz_from_radius(&pkt, set, req_auth, SECRET, SLEN, "u", &z),
				 0);
		if (!strstr(z.log, t[i].reason) || z.n_ignored < 1)
			fail_msg("'%s': expected \"%s\", got %u: \"%s\"", t[i].av, t[i].reason,
				 z.n_ignored, z.log);
		/* what was valid in it or next to it is kept, nothing else is set */
		if (strncmp(t[i].av, "ipsec:default-domain", 20))
			assert_string_equal(z.a.def_domain, "good.example");
		assert_int_equal(z.set & ~(AAA_AZ_BIT(AAA_AZ_DEF_DOMAIN) |
					    AAA_AZ_BIT(AAA_AZ_DNS) | AAA_AZ_BIT(AAA_AZ_SPLIT_DNS)),
				 0);
		aaa_authz_free(&z);
	}
	/* an AV-pair with a NUL in it */
	{
		struct radius_bld b;
		struct aaa_authz z;
		size_t len;

		radius_bld_init(&b, dgram, sizeof(dgram), RADIUS_ACCESS_ACCEPT, 7, req_auth, true);
		assert_true(radius_bld_vsa(&b, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR,
					   "ipsec:pfs=1\0x", 13));
		len = radius_bld_finish(&b, SECRET, SLEN);
		assert_int_equal(radius_parse(dgram, len, &pkt), RADIUS_PERR_OK);
		assert_int_equal(aaa_authz_from_radius(&pkt, NULL, NULL, NULL, 0, "u", &z), 0);
		assert_int_equal(z.n_ignored, 1);
		assert_int_equal(z.set, 0);
		aaa_authz_free(&z);
	}
}

/* Framed-IP-Address / -Netmask values; access lists without a policy set. */
static void test_framed(void **state)
{
	static const struct {
		uint8_t ip[4];
		bool used;
		const char *reason;
	} t[] = {
		{ { 198, 18, 0, 1 }, true, NULL },
		{ { 255, 255, 255, 255 }, false, NULL },   /* NAS chooses: the pool */
		{ { 255, 255, 255, 254 }, false, NULL },
		{ { 0, 0, 0, 0 }, false, "not a unicast address" },
		{ { 127, 0, 0, 1 }, false, "not a unicast address" },
		{ { 224, 0, 0, 5 }, false, "not a unicast address" },
		{ { 240, 0, 0, 1 }, false, "not a unicast address" },
	};
	static const uint8_t bad_mask[4] = { 255, 0, 255, 0 }, zero[4] = { 0 };
	static const uint8_t m32[4] = { 255, 255, 255, 255 };

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const struct attr at[] = { STD(RADIUS_A_FRAMED_IP_ADDRESS, t[i].ip, 4) };
		struct aaa_authz z;

		accept_with(at, 1);
		assert_int_equal(aaa_authz_from_radius(&pkt, set, NULL, NULL, 0, "u", &z), 0);
		assert_int_equal(!!(z.set & AAA_AZ_BIT(AAA_AZ_FRAMED_IP)), t[i].used);
		assert_int_equal(z.n_ignored, t[i].reason ? 1 : 0);
		if (t[i].reason)
			assert_non_null(strstr(z.log, t[i].reason));
		aaa_authz_free(&z);
	}
	{
		static const uint8_t a1[4] = { 198, 18, 0, 1 }, a2[4] = { 198, 18, 0, 2 };
		const struct attr at[] = { STD(RADIUS_A_FRAMED_IP_ADDRESS, a1, 4),
					   STD(RADIUS_A_FRAMED_IP_ADDRESS, a2, 4),
					   STD(RADIUS_A_FRAMED_IP_NETMASK, bad_mask, 4),
					   AV("ipsec:route-set=access-list 99") };
		struct aaa_authz z;

		accept_with(at, 4);
		assert_int_equal(aaa_authz_from_radius(&pkt, NULL, NULL, NULL, 0, "u", &z), 0);
		assert_memory_equal(z.framed_ip, a1, 4);
		assert_int_equal(z.n_ignored, 3);
		assert_non_null(strstr(z.log, "Framed-IP-Address: repeated"));
		assert_non_null(strstr(z.log, "not a contiguous netmask"));
		assert_non_null(strstr(z.log, "no such access list"));
		aaa_authz_free(&z);
	}
	for (int k = 0; k < 2; k++) {
		const struct attr at[] = { STD(RADIUS_A_FRAMED_IP_NETMASK, k ? m32 : zero, 4) };
		struct aaa_authz z;

		accept_with(at, 1);
		assert_int_equal(aaa_authz_from_radius(&pkt, NULL, NULL, NULL, 0, "u", &z), 0);
		assert_int_equal(z.a.has_netmask, k == 1);
		if (k)
			assert_int_equal(z.a.netmask_plen, 32);
		aaa_authz_free(&z);
	}
}

/* Counts are bounded whatever the server sends (three packets: one is at most 4096 bytes). */
static void test_bounds(void **state)
{
	static struct attr at[100];
	static char text[100][64];
	struct aaa_authz z;

	(void)state;
	for (unsigned i = 0; i < 70; i++) {
		snprintf(text[i], sizeof(text[i]), "ipsec:route-set=prefix 198.18.%u.0/24", i);
		at[i] = (struct attr)AV(text[i]);
	}
	accept_with(at, 70);
	assert_int_equal(aaa_authz_from_radius(&pkt, set, NULL, NULL, 0, "u", &z), 0);
	assert_int_equal(z.a.n_route_remote, AAA_AZ_ROUTES_MAX);
	assert_int_equal(z.n_ignored, 70 - AAA_AZ_ROUTES_MAX);
	assert_non_null(strstr(z.log, "more than 64 prefixes"));
	aaa_authz_free(&z);

	for (unsigned i = 0; i < 12; i++) {
		snprintf(text[i], sizeof(text[i]), "ipsec:split-dns=d%u.example", i);
		at[i] = (struct attr)AV(text[i]);
	}
	for (unsigned i = 12; i < 12 + 36; i++) {
		snprintf(text[i], sizeof(text[i]), "ip:interface-config=x %u", i);
		at[i] = (struct attr)AV(text[i]);
	}
	accept_with(at, 48);
	assert_int_equal(aaa_authz_from_radius(&pkt, set, NULL, NULL, 0, "u", &z), 0);
	assert_int_equal(z.a.n_split_dns, POL_MAX_SPLIT_DNS);
	assert_int_equal(z.a.n_interface_config, AAA_AZ_IFCFG_MAX);
	assert_int_equal(z.n_ignored, (12 - POL_MAX_SPLIT_DNS) + (36 - AAA_AZ_IFCFG_MAX));
	aaa_authz_free(&z);

	/* 30 banners of 94 bytes: 21 fit in 2048 with their newlines */
	for (unsigned i = 0; i < 30; i++)
		at[i] = (struct attr)AV("ipsec:banner=0123456789012345678901234567890123456789"
					"012345678901234567890123456789012345678901234567890123");
	accept_with(at, 30);
	assert_int_equal(aaa_authz_from_radius(&pkt, set, NULL, NULL, 0, "u", &z), 0);
	assert_int_equal(strlen(z.a.banner), 21 * 94 + 20);
	assert_int_equal(z.n_ignored, 9);
	/* the log of refusals is bounded too */
	assert_true(strlen(z.log) < sizeof(z.log));
	aaa_authz_free(&z);
}

/* RFC 2868 Tunnel-Password: the AAA pre-shared key for both directions unless the ipsec:
 * attributes give one. */
static void test_tunnel_password(void **state)
{
	static const uint8_t salt[2] = { 0x85, 0x11 }, esp[4] = { 0, 0, 0, 9 },
			     l2tp[4] = { 0, 0, 0, 3 };
	uint8_t val[1 + 128], enc[128];
	struct aaa_authz z;
	int n;

	(void)state;
	n = radius_mppe_encrypt((const uint8_t *)"tunnel-key", 10, salt, req_auth, SECRET, SLEN,
				enc, sizeof(enc));
	assert_true(n > 0);
	val[0] = 0;   /* tag */
	memcpy(val + 1, enc, (size_t)n);
	{
		const struct attr at[] = { STD(RADIUS_A_TUNNEL_TYPE, esp, 4),
					   STD(RADIUS_A_TUNNEL_PASSWORD, val, (size_t)n + 1),
					   AV("ipsec:ikev2-password-remote=explicit") };

		accept_with(at, 3);
		assert_int_equal(aaa_authz_from_radius(&pkt, NULL, req_auth, SECRET, SLEN, "u", &z),
				 0);
		assert_int_equal(z.n_ignored, 0);
		assert_int_equal(z.psk_local_len, 10);
		assert_memory_equal(z.psk_local, "tunnel-key", 10);
		assert_memory_equal(z.psk_remote, "explicit", 8);
		aaa_authz_free(&z);
		/* wrong secret: garbage length -> refused; no authenticator: refused */
		assert_int_equal(aaa_authz_from_radius(&pkt, NULL, req_auth, "x", 1, "u", &z), 0);
		assert_int_equal(z.psk_local_len, 0);
		aaa_authz_free(&z);
		assert_int_equal(aaa_authz_from_radius(&pkt, NULL, NULL, NULL, 0, "u", &z), 0);
		assert_non_null(strstr(z.log, "Tunnel-Password: no request authenticator"));
		assert_null(z.psk_local);
		aaa_authz_free(&z);
	}
	{
		const struct attr at[] = { STD(RADIUS_A_TUNNEL_TYPE, l2tp, 4),
					   STD(RADIUS_A_TUNNEL_PASSWORD, val, 3) };

		accept_with(at, 2);
		assert_int_equal(aaa_authz_from_radius(&pkt, NULL, req_auth, SECRET, SLEN, "u", &z),
				 0);
		assert_int_equal(z.n_ignored, 2);
		assert_non_null(strstr(z.log, "not ESP"));
		assert_non_null(strstr(z.log, "malformed"));
		aaa_authz_free(&z);
	}
}

/* keyring_aaa's keys (aaa_authz_psk): the peer's from ikev2-password-remote, else
 * Tunnel-Password, else ikev2-password-local; ours the other way round. */
static void test_psk_keys(void **state)
{
	static const uint8_t salt[2] = { 0x80, 0x42 };
	static const struct {
		const char *av[2];
		bool tunnel;
		const char *remote, *local;   /* NULL: -ENOENT */
	} t[] = {
		{ { "ipsec:ikev2-password-remote=peer-key", "ipsec:ikev2-password-local=our-key" },
		  false, "peer-key", "our-key" },
		{ { "ipsec:ikev2-password-local=only-local", NULL }, false, "only-local",
		  "only-local" },
		{ { "ipsec:ikev2-password-remote=only-remote", NULL }, false, "only-remote",
		  "only-remote" },
		{ { NULL, NULL }, true, "tunnel-key", "tunnel-key" },
		{ { "ipsec:ikev2-password-local=our-key", NULL }, true, "tunnel-key", "our-key" },
		{ { "ipsec:ikev2-password-remote=peer-key", NULL }, true, "peer-key", "tunnel-key" },
		{ { "ipsec:dns-servers=198.51.100.1", NULL }, false, NULL, NULL },
		/* refused values give no key: empty, over 128 bytes */
		{ { "ipsec:ikev2-password-remote=", NULL }, false, NULL, NULL },
	};
	uint8_t val[1 + 128], enc[128];
	int n;

	(void)state;
	n = radius_mppe_encrypt((const uint8_t *)"tunnel-key", 10, salt, req_auth, SECRET, SLEN,
				enc, sizeof(enc));
	assert_true(n > 0);
	val[0] = 0;
	memcpy(val + 1, enc, (size_t)n);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct attr at[3];
		size_t k = 0;
		struct aaa_authz z;
		const uint8_t *r, *l;
		size_t rl, ll;

		for (int a = 0; a < 2; a++)
			if (t[i].av[a])
				at[k++] = (struct attr)AV(t[i].av[a]);
		if (t[i].tunnel)
			at[k++] = (struct attr)STD(RADIUS_A_TUNNEL_PASSWORD, val, (size_t)n + 1);
		accept_with(at, k);
		assert_int_equal(aaa_authz_from_radius(&pkt, set, req_auth, SECRET, SLEN, "u", &z),
				 0);
		if (!t[i].remote) {
			assert_int_equal(aaa_authz_psk(&z, &r, &rl, &l, &ll), -ENOENT);
			assert_null(r);
			assert_null(l);
			assert_int_equal(rl + ll, 0);
		} else {
			assert_int_equal(aaa_authz_psk(&z, &r, &rl, &l, &ll), 0);
			assert_int_equal(rl, strlen(t[i].remote));
			assert_memory_equal(r, t[i].remote, rl);
			assert_int_equal(ll, strlen(t[i].local));
			assert_memory_equal(l, t[i].local, ll);
		}
		aaa_authz_free(&z);
		assert_null(z.psk_local);
		assert_null(z.psk_remote);
	}
	{
		char big[160] = "ipsec:ikev2-password-local=";
		const struct attr at[] = { AV(big) };
		struct aaa_authz z;
		const uint8_t *r, *l;
		size_t rl, ll;

		memset(big + strlen(big), 'k', 129);
		accept_with(at, 1);
		assert_int_equal(aaa_authz_from_radius(&pkt, set, NULL, NULL, 0, "u", &z), 0);
		assert_int_equal(aaa_authz_psk(&z, &r, &rl, &l, &ll), -ENOENT);
		assert_non_null(strstr(z.log, "longer than 128 bytes"));
		assert_null(strstr(z.log, "kkkk"));   /* never the value */
		aaa_authz_free(&z);
	}
}

/* The IPv6 address: ipsec:addrv6 with ipsec:prefix-len before Framed-IPv6-Address (/128). */
static void test_addr6(void **state)
{
	static const uint8_t f6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x66, [15] = 0x10 };
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x77, [15] = 0x20 };
	struct aaa_authz z;

	(void)state;
	{
		const struct attr at[] = { STD(RADIUS_A_FRAMED_IPV6_ADDRESS, f6, 16) };

		accept_with(at, 1);
		assert_int_equal(aaa_authz_from_radius(&pkt, set, NULL, NULL, 0, "u", &z), 0);
		assert_true(z.set & AAA_AZ_BIT(AAA_AZ_ADDR6));
		assert_memory_equal(z.addr6, f6, 16);
		assert_int_equal(z.addr6_plen, 128);
		aaa_authz_free(&z);
	}
	{
		const struct attr at[] = { STD(RADIUS_A_FRAMED_IPV6_ADDRESS, f6, 16),
					   AV("ipsec:addrv6=2001:db8:77::20"),
					   AV("ipsec:prefix-len=64") };

		accept_with(at, 3);
		assert_int_equal(aaa_authz_from_radius(&pkt, set, NULL, NULL, 0, "u", &z), 0);
		assert_memory_equal(z.addr6, a6, 16);
		assert_int_equal(z.addr6_plen, 64);
		assert_int_equal(z.n_ignored, 0);
		aaa_authz_free(&z);
	}
	{
		const struct attr at[] = { AV("ipsec:addrv6=ff02::1"), AV("ipsec:prefix-len=129") };

		accept_with(at, 2);
		assert_int_equal(aaa_authz_from_radius(&pkt, set, NULL, NULL, 0, "u", &z), 0);
		assert_false(z.set & AAA_AZ_BIT(AAA_AZ_ADDR6));
		assert_int_equal(z.n_ignored, 2);
		assert_non_null(strstr(z.log, "not a unicast address"));
		assert_non_null(strstr(z.log, "expected 1..128"));
		aaa_authz_free(&z);
	}
}

static void az(struct aaa_authz *z, const char *const *avs, size_t n)
{
	struct attr at[8];

	for (size_t i = 0; i < n; i++)
		at[i] = (struct attr)AV(avs[i]);
	accept_with(at, n);
	assert_int_equal(aaa_authz_from_radius(&pkt, set, NULL, NULL, 0, "u", z), 0);
	assert_int_equal(z->n_ignored, 0);
}

/* Reference: user over cached, merged user over group (group over it with override), the
 * local policy for the rest. */
static void test_merge(void **state)
{
	static const char *const user_av[] = { "ipsec:dns-servers=198.18.0.1",
					       "ipsec:banner=user banner" };
	static const char *const cached_av[] = { "ipsec:dns-servers=198.18.0.2",
						 "ipsec:default-domain=cached.example",
						 "ipsec:addr-pool=cached-pool" };
	static const char *const group_av[] = { "ipsec:dns-servers=198.18.0.3",
						"ipsec:default-domain=group.example",
						"ipsec:banner=group banner",
						"ipsec:ipsec-flow-limit=9",
						"ipsec:route-set=prefix 198.18.5.0/24" };
	const struct pol_authz *pol1 = pol_authz_find(set, "pol1");
	struct aaa_authz user, cached, group, m;
	char src[1024];

	(void)state;
	assert_non_null(pol1);
	az(&user, user_av, 2);
	az(&cached, cached_av, 3);
	az(&group, group_av, 5);

	assert_int_equal(aaa_authz_merge(pol1, &group, &cached, &user, false, "alice", &m), 0);
	assert_string_equal(m.a.name, "alice");
	assert_memory_equal(m.a.dns[0], ((uint8_t[]){ 198, 18, 0, 1 }), 4);  /* user */
	assert_int_equal(m.a.n_dns, 1);
	assert_string_equal(m.a.banner, "user banner");                       /* user */
	assert_string_equal(m.a.def_domain, "cached.example");                /* cached */
	assert_string_equal(m.a.pool, "cached-pool");                         /* cached */
	assert_int_equal(m.a.flow_limit, 9);                                  /* group */
	assert_int_equal(m.a.n_route_remote, 1);                              /* group */
	assert_true(m.a.pfs);                                                 /* local */
	assert_true(m.a.has_netmask);                                         /* local */
	assert_int_equal(m.a.netmask_plen, 24);
	assert_int_equal(m.a.n_split_dns, 1);                                 /* local */
	assert_string_equal(m.a.split_dns[0], "a.local.example");
	assert_string_equal(m.from[AAA_AZ_DNS], "user");
	assert_string_equal(m.from[AAA_AZ_DEF_DOMAIN], "cached");
	assert_string_equal(m.from[AAA_AZ_FLOW_LIMIT], "group");
	assert_string_equal(m.from[AAA_AZ_PFS], "pol1");
	aaa_authz_sources(&m, src, sizeof(src));
	print_message("merged: %s\n", src);
	assert_non_null(strstr(src, "dns-servers (user)"));
	assert_non_null(strstr(src, "route-set=prefix (group)"));
	aaa_authz_free(&m);

	/* override: group first */
	assert_int_equal(aaa_authz_merge(pol1, &group, &cached, &user, true, "alice", &m), 0);
	assert_memory_equal(m.a.dns[0], ((uint8_t[]){ 198, 18, 0, 3 }), 4);
	assert_string_equal(m.a.banner, "group banner");
	assert_string_equal(m.a.def_domain, "group.example");
	assert_string_equal(m.a.pool, "cached-pool");     /* only cached has it */
	aaa_authz_free(&m);

	/* no sources: the local policy alone, deep-copied */
	assert_int_equal(aaa_authz_merge(pol1, NULL, NULL, NULL, false, "pol1", &m), 0);
	assert_int_equal(m.set, 0);
	assert_string_equal(m.a.banner, "local banner");
	assert_ptr_not_equal(m.a.banner, pol1->banner);
	assert_int_equal(m.a.flow_limit, 5);
	aaa_authz_free(&m);

	/* nothing at all: defaults (no flow limit) */
	assert_int_equal(aaa_authz_merge(NULL, NULL, NULL, NULL, false, "none", &m), 0);
	assert_int_equal(m.a.flow_limit, -1);
	assert_null(m.a.banner);
	aaa_authz_free(&m);

	/* a local policy as a source: only what it holds counts */
	assert_int_equal(aaa_authz_from_policy(pol1, &m), 0);
	assert_int_equal(m.set, AAA_AZ_BIT(AAA_AZ_POOL) | AAA_AZ_BIT(AAA_AZ_DNS) |
				AAA_AZ_BIT(AAA_AZ_BANNER) | AAA_AZ_BIT(AAA_AZ_DEF_DOMAIN) |
				AAA_AZ_BIT(AAA_AZ_PFS) | AAA_AZ_BIT(AAA_AZ_NETMASK) |
				AAA_AZ_BIT(AAA_AZ_FLOW_LIMIT) | AAA_AZ_BIT(AAA_AZ_SPLIT_DNS));
	{
		struct aaa_authz m2;

		/* as the user source over the RADIUS group: its banner wins, the group's route
		 * set (which pol1 lacks) stays */
		assert_int_equal(aaa_authz_merge(NULL, &group, NULL, &m, false, "x", &m2), 0);
		assert_string_equal(m2.a.banner, "local banner");
		assert_int_equal(m2.a.n_route_remote, 1);
		assert_int_equal(m2.a.flow_limit, 5);
		aaa_authz_free(&m2);
	}
	aaa_authz_free(&m);

	aaa_authz_free(&user);
	aaa_authz_free(&cached);
	aaa_authz_free(&group);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_every_attribute),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_framed),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_tunnel_password),
		cmocka_unit_test(test_psk_keys),
		cmocka_unit_test(test_addr6),
		cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
