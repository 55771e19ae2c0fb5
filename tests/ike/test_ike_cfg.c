/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Config mode (controlplane/ike/ike_cfg.c): every attribute we send is encoded, written as a
 * CP payload and decoded back by an independent reader of RFC 7296 §3.15 (not payload.c);
 * Vendor ID gating of the Cisco attributes; one IPv4 address however many are asked for; a
 * netmask only with an address; the size limits; CFG_SET / CFG_ACK. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controlplane/ike/ike_cfg.h"
#include "controlplane/ike/ike_proto.h"
#include "controlplane/policy/policy.h"
#include "controlplane/pool/pool.h"

/* ---- an independent reader of what we send ----------------------------------------------- */

struct attr {
	uint16_t type;
	uint16_t len;
	const uint8_t *v;
};

struct cp {
	uint8_t cfg_type;
	unsigned n;
	struct attr a[512];
};

/* Decode the single CP payload at the start of @p buf (a chain built by ike_cfg_write()):
 * generic header (next, critical+reserved, length), CFG type, 3 reserved bytes, TLVs. */
static void decode_cp(const uint8_t *buf, size_t len, struct cp *cp)
{
	size_t plen, off;

	assert_true(len >= 8);
	assert_int_equal(buf[0], 0);         /* nothing follows */
	assert_int_equal(buf[1], 0);         /* not critical, reserved 0 */
	plen = (size_t)buf[2] << 8 | buf[3];
	assert_int_equal(plen, len);
	cp->cfg_type = buf[4];
	assert_int_equal(buf[5] | buf[6] | buf[7], 0);
	cp->n = 0;
	for (off = 8; off < plen;) {
		struct attr *a = &cp->a[cp->n++];

		assert_true(cp->n <= 512);
		assert_true(off + 4 <= plen);
		assert_int_equal(buf[off] & 0x80, 0); /* R bit */
		a->type = (uint16_t)((buf[off] & 0x7f) << 8 | buf[off + 1]);
		a->len = (uint16_t)(buf[off + 2] << 8 | buf[off + 3]);
		a->v = buf + off + 4;
		off += 4 + a->len;
		assert_true(off <= plen);
	}
	assert_int_equal(off, plen);
}

/* Build @p o as a CP payload and decode it. */
static void roundtrip(const struct ike_cfg_out *o, struct cp *cp)
{
	static uint8_t buf[8192];
	struct ike_bld b;
	size_t len;

	ike_bld_init_chain(&b, buf, sizeof(buf));
	assert_true(ike_cfg_write(o, &b));
	len = ike_bld_finish(&b);
	assert_int_equal(ike_bld_first(&b), IKE_PL_CP);
	decode_cp(buf, len, cp);
	assert_int_equal(cp->cfg_type, o->cfg_type);
	assert_int_equal(cp->n, o->n);
}

static unsigned count(const struct cp *cp, uint16_t type)
{
	unsigned n = 0;

	for (unsigned i = 0; i < cp->n; i++)
		n += cp->a[i].type == type;
	return n;
}

static const struct attr *find(const struct cp *cp, uint16_t type, unsigned nth)
{
	for (unsigned i = 0; i < cp->n; i++)
		if (cp->a[i].type == type && !nth--)
			return &cp->a[i];
	return NULL;
}

static void expect(const struct cp *cp, uint16_t type, unsigned nth, const void *v, size_t len)
{
	const struct attr *a = find(cp, type, nth);

	if (!a)
		fail_msg("attribute %u (#%u) missing", type, nth);
	assert_int_equal(a->len, len);
	if (len)
		assert_memory_equal(a->v, v, len);
}

static void expect_str(const struct cp *cp, uint16_t type, const char *s)
{
	expect(cp, type, 0, s, strlen(s));
}

static void ip4(const char *s, uint8_t *out)
{
	assert_int_equal(inet_pton(AF_INET, s, out), 1);
}

static void ip6(const char *s, uint8_t *out)
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

/* ---- fixtures ----------------------------------------------------------------------------- */

struct fx {
	struct pol_authz az;
	struct pol_acl acl4, acl6;
	struct pol_prefix p4[2], p6[1], remote[2];
	struct pool *pool4, *pool6;
	struct pool_lease l4, l6;
	struct rp_prefix local_ts[2];
	char *split[3], *backup[2];
};

static void pfx(struct pol_prefix *p, uint8_t af, const char *a, uint8_t plen)
{
	memset(p, 0, sizeof(*p));
	p->af = af;
	p->plen = plen;
	assert_int_equal(inet_pton(af == 6 ? AF_INET6 : AF_INET, a, p->addr), 1);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pool_cfg c4 = { .name = "p4", .af = 4, .first = { 198, 18, 200, 10 },
			       .last = { 198, 18, 200, 20 }, .n_dns = 1, .netmask_plen = 24 };
	struct pool_cfg c6 = { .name = "p6", .af = 6, .plen = 120, .n_dns = 1 };

	ip4("198.51.100.99", c4.dns[0]);
	ip6("2001:db8:200::", c6.first);
	ip6("2001:db8:2::99", c6.dns[0]);
	assert_int_equal(pool_create(&c4, &f->pool4), 0);
	assert_int_equal(pool_create(&c6, &f->pool6), 0);
	assert_int_equal(pool_alloc(f->pool4, &f->l4), 0);
	assert_int_equal(pool_alloc(f->pool6, &f->l6), 0);

	snprintf(f->az.name, sizeof(f->az.name), "split");
	f->az.has_netmask = true;
	f->az.netmask_plen = 22;
	f->az.n_dns = 2;
	ip4("198.51.100.53", f->az.dns[0]);
	ip4("198.51.100.54", f->az.dns[1]);
	f->az.n_dns6 = 1;
	ip6("2001:db8:2::53", f->az.dns6[0]);
	f->az.n_wins = 2;
	ip4("198.51.100.137", f->az.wins[0]);
	ip4("198.51.100.138", f->az.wins[1]);
	pfx(&f->p4[0], 4, "198.51.100.0", 24);
	pfx(&f->p4[1], 4, "198.18.60.0", 23);
	pfx(&f->p6[0], 6, "2001:db8:2::", 64);
	f->acl4 = (struct pol_acl){ .name = "split4", .af = 4, .n = 2, .v = f->p4 };
	f->acl6 = (struct pol_acl){ .name = "split6", .af = 6, .n = 1, .v = f->p6 };
	f->az.route_acl = &f->acl4;
	f->az.route_acl6 = &f->acl6;
	pfx(&f->remote[0], 4, "203.0.113.0", 25);
	pfx(&f->remote[1], 6, "2001:db8:77::", 48);
	f->az.route_remote = f->remote;
	f->az.n_route_remote = 2;
	f->az.banner = strdup("Welcome to the split test\nAuthorised users only.");
	snprintf(f->az.def_domain, sizeof(f->az.def_domain), "corp.example.test");
	f->split[0] = strdup("corp.example.test");
	f->split[1] = strdup("lab.example.test");
	f->split[2] = strdup("example.net");
	memcpy(f->az.split_dns, f->split, sizeof(f->split));
	f->az.n_split_dns = 3;
	f->backup[0] = strdup("vpn2.example.test");
	f->backup[1] = strdup("192.0.2.77");
	memcpy(f->az.backup_gw, f->backup, sizeof(f->backup));
	f->az.n_backup_gw = 2;
	f->az.pfs = true;
	f->az.smartcard_removal_disconnect = true;
	f->az.include_local_lan = true;
	f->az.config_url = strdup("http://198.51.100.80/flex.cfg");
	snprintf(f->az.config_version, sizeof(f->az.config_version), "2.4");
	f->az.flow_limit = -1;

	/* host bits set on purpose: what is announced is the network */
	f->local_ts[0] = (struct rp_prefix){ .af = 4, .plen = 24, .addr = { 198, 51, 100, 77 } };
	f->local_ts[1] = (struct rp_prefix){ .af = 4, .plen = 0 };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pool_release(f->pool4, &f->l4);
	pool_release(f->pool6, &f->l6);
	pool_destroy(f->pool4);
	pool_destroy(f->pool6);
	free(f->az.banner);
	free(f->az.config_url);
	for (unsigned i = 0; i < 3; i++)
		free(f->split[i]);
	for (unsigned i = 0; i < 2; i++)
		free(f->backup[i]);
	free(f);
	return 0;
}

static struct ike_cfg_ctx ctx(struct fx *f, unsigned vendor)
{
	return (struct ike_cfg_ctx){ .authz = &f->az, .local_ts = f->local_ts, .n_local_ts = 2,
				     .lease4 = &f->l4, .lease6 = &f->l6, .vendor = vendor };
}

/* A request message (inner chain) with a CP payload of @p type and @p n attributes. */
static void make_req(uint8_t type, const struct ike_cfg_at *at, unsigned n, struct ike_msg *m,
		     uint8_t *buf, size_t cap)
{
	struct ike_cp_pl cp = { .cfg_type = type, .n = n };
	struct ike_bld b;
	size_t len;

	memcpy(cp.attr, at, n * sizeof(*at));
	ike_bld_init_chain(&b, buf, cap);
	assert_true(ike_bld_cp(&b, &cp));
	len = ike_bld_finish(&b);
	assert_true(len > 0);
	memset(m, 0, sizeof(*m));
	assert_int_equal(ike_payloads_parse(ike_bld_first(&b), buf, len, m, NULL), IKE_PERR_OK);
}

/* ---- tests --------------------------------------------------------------------------------- */

/* Every attribute, for a FlexVPN client with both leases, decoded independently. */
static void test_every_attribute(void **state)
{
	struct fx *f = *state;
	struct ike_cfg_ctx c = ctx(f, IKE_VID_CISCO_FLEXVPN);
	struct ike_cfg_req q = { .type = IKE_CFG_REQUEST, .present = true, .ip4 = true,
				 .n_ip4 = 1, .ip6 = true };
	static struct ike_cfg_out o;
	static struct cp cp;
	uint8_t v[17];

	assert_true(ike_cfg_build(&c, &q, IKE_CFG_REPLY, &o) > 0);
	roundtrip(&o, &cp);
	assert_int_equal(cp.cfg_type, IKE_CFG_REPLY);
	assert_int_equal(o.dropped, 0);

	expect(&cp, IKE_CFG_INTERNAL_IP4_ADDRESS, 0, f->l4.addr, 4);
	ip4("255.255.252.0", v); /* authz netmask /22 overrides the pool's /24 */
	expect(&cp, IKE_CFG_INTERNAL_IP4_NETMASK, 0, v, 4);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_DNS), 2); /* authz dns overrides */
	expect(&cp, IKE_CFG_INTERNAL_IP4_DNS, 0, f->az.dns[0], 4);
	expect(&cp, IKE_CFG_INTERNAL_IP4_DNS, 1, f->az.dns[1], 4);
	expect(&cp, IKE_CFG_INTERNAL_IP4_NBNS, 0, f->az.wins[0], 4);
	expect(&cp, IKE_CFG_INTERNAL_IP4_NBNS, 1, f->az.wins[1], 4);
	memcpy(v, f->l6.addr, 16);
	v[16] = 128;
	expect(&cp, IKE_CFG_INTERNAL_IP6_ADDRESS, 0, v, 17);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP6_DNS), 1);
	expect(&cp, IKE_CFG_INTERNAL_IP6_DNS, 0, f->az.dns6[0], 16);
	expect_str(&cp, IKE_CFG_APPLICATION_VERSION, "Rampart " RAMPART_VERSION);

	/* split routes: the access lists, then `remote`, by family; not local_subnets */
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_SUBNET), 3);
	ip4("198.51.100.0", v);
	ip4("255.255.255.0", v + 4);
	expect(&cp, IKE_CFG_INTERNAL_IP4_SUBNET, 0, v, 8);
	ip4("198.18.60.0", v);
	ip4("255.255.254.0", v + 4);
	expect(&cp, IKE_CFG_INTERNAL_IP4_SUBNET, 1, v, 8);
	ip4("203.0.113.0", v);
	ip4("255.255.255.128", v + 4);
	expect(&cp, IKE_CFG_INTERNAL_IP4_SUBNET, 2, v, 8);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP6_SUBNET), 2);
	ip6("2001:db8:2::", v);
	v[16] = 64;
	expect(&cp, IKE_CFG_INTERNAL_IP6_SUBNET, 0, v, 17);
	ip6("2001:db8:77::", v);
	v[16] = 48;
	expect(&cp, IKE_CFG_INTERNAL_IP6_SUBNET, 1, v, 17);

	/* Cisco Unity (28672...) and FlexVPN */
	expect_str(&cp, 28672, f->az.banner);
	expect_str(&cp, 28674, "corp.example.test");
	expect_str(&cp, 28675, "corp.example.test,lab.example.test,example.net");
	expect_str(&cp, 28681, "vpn2.example.test,192.0.2.77");
	expect(&cp, 28679, 0, "\x00\x01", 2);
	expect(&cp, IKE_CFG_UNITY_SMARTCARD_REMOVAL_DISCONNECT, 0, "\x00\x01", 2);
	expect(&cp, 28678, 0, "\x00\x00\x00\x00\xff\xff\xff\xff", 8);
	expect_str(&cp, IKE_CFG_FLEXVPN_CONFIG_URL, "http://198.51.100.80/flex.cfg");
	expect_str(&cp, IKE_CFG_FLEXVPN_CONFIG_VERSION, "2.4");
	/* the banner goes last: the first to be left out when room runs short */
	assert_int_equal(cp.a[cp.n - 1].type, 28672);
	/* nothing else */
	assert_int_equal(cp.n, 1 + 1 + 2 + 2 + 1 + 1 + 1 + 3 + 2 + 9);
	assert_non_null(strstr(o.log, "UNITY_BANNER"));
	assert_non_null(strstr(o.log, "INTERNAL_IP4_ADDRESS 198.18.200.10"));

	/* and payload.c's parser reads the same bytes back as a CP payload */
	{
		static uint8_t buf[8192];
		static struct ike_msg m;
		struct ike_bld b;
		size_t len;

		ike_bld_init_chain(&b, buf, sizeof(buf));
		assert_true(ike_cfg_write(&o, &b));
		len = ike_bld_finish(&b);
		assert_int_equal(ike_payloads_parse(IKE_PL_CP, buf, len, &m, NULL), IKE_PERR_OK);
		assert_int_equal(m.cp.cfg_type, IKE_CFG_REPLY);
		assert_int_equal(m.cp.n, cp.n);
	}
}

/* The Unity attributes and APPLICATION_VERSION only for Cisco clients; FlexVPN ones only
 * for FlexVPN clients; standard attributes for everyone. */
static void test_vendor_gating(void **state)
{
	struct fx *f = *state;
	struct ike_cfg_req q = { .type = IKE_CFG_REQUEST, .present = true, .ip4 = true, .n_ip4 = 1 };
	static struct ike_cfg_out o;
	static struct cp cp;
	static const unsigned vendors[] = { 0, IKE_VID_STRONGSWAN, IKE_VID_CISCO_DELETE_REASON,
					    IKE_VID_ANYCONNECT, IKE_VID_CISCO_UNITY,
					    IKE_VID_CISCO_COPYRIGHT, IKE_VID_CISCO_FLEXVPN };

	for (unsigned i = 0; i < sizeof(vendors) / sizeof(vendors[0]); i++) {
		struct ike_cfg_ctx c = ctx(f, vendors[i]);
		bool cisco = i >= 3, flex = i == 6;

		ike_cfg_build(&c, &q, IKE_CFG_REPLY, &o);
		roundtrip(&o, &cp);
		assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_ADDRESS), 1);
		assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_DNS), 2);
		assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_SUBNET), 3);
		assert_int_equal(count(&cp, IKE_CFG_APPLICATION_VERSION), cisco);
		assert_int_equal(count(&cp, 28672), cisco);
		assert_int_equal(count(&cp, 28674), cisco);
		assert_int_equal(count(&cp, 28675), cisco);
		assert_int_equal(count(&cp, 28678), cisco);
		assert_int_equal(count(&cp, 28679), cisco);
		assert_int_equal(count(&cp, 28681), cisco);
		assert_int_equal(count(&cp, IKE_CFG_UNITY_SMARTCARD_REMOVAL_DISCONNECT), cisco);
		assert_int_equal(count(&cp, IKE_CFG_FLEXVPN_CONFIG_URL), flex);
		assert_int_equal(count(&cp, IKE_CFG_FLEXVPN_CONFIG_VERSION), flex);
		if (!cisco)
			assert_non_null(strstr(o.log, "withheld (no Cisco vendor ID)"));
		if (cisco && !flex)
			assert_non_null(strstr(o.log, "FlexVPN attributes withheld"));
	}
}

/* Vendor ID payloads as peers send them, through payload.c's parser. */
static void test_vendor_ids(void **state)
{
	static const uint8_t unity[16] = { 0x12, 0xf5, 0xf2, 0x8c, 0x45, 0x71, 0x68, 0xa9,
					   0x70, 0x2d, 0x9f, 0xe2, 0x74, 0xcc, 0x01, 0x00 };
	static const uint8_t sswan[16] = { 0x88, 0x2f, 0xe5, 0x6d, 0x6f, 0xd2, 0x0d, 0xbc,
					   0x22, 0x51, 0x61, 0x3b, 0x2e, 0xbe, 0x5b, 0xeb };
	static const char copyright[] = "CISCO(COPYRIGHT)&Copyright (c) 2009 Cisco Systems, Inc.";
	static uint8_t buf[2048];
	static struct ike_msg m;
	struct {
		const void *v;
		size_t len;
		unsigned want;
	} cases[] = {
		{ unity, 16, IKE_VID_CISCO_UNITY },
		{ unity, 14, 0 },                      /* too short to carry the version */
		{ copyright, strlen(copyright), IKE_VID_CISCO_COPYRIGHT },
		{ "FLEXVPN-SUPPORTED", 17, IKE_VID_CISCO_FLEXVPN },
		{ "FLEXVPN-SUPPORTED!", 18, 0 },
		{ "CISCO-DELETE-REASON", 19, IKE_VID_CISCO_DELETE_REASON },
		{ sswan, 16, IKE_VID_STRONGSWAN },
		{ "something else", 14, 0 },
	};
	unsigned all = 0;
	struct ike_bld b;
	char s[96];
	size_t len;

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ike_bld_init_chain(&b, buf, sizeof(buf));
		assert_true(ike_bld_data(&b, IKE_PL_VENDOR, cases[i].v, cases[i].len));
		len = ike_bld_finish(&b);
		assert_int_equal(ike_payloads_parse(IKE_PL_VENDOR, buf, len, &m, NULL), IKE_PERR_OK);
		assert_int_equal(ike_cfg_vendor_flags(&m), cases[i].want);
		all |= cases[i].want;
	}
	/* several in one message */
	ike_bld_init_chain(&b, buf, sizeof(buf));
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_true(ike_bld_data(&b, IKE_PL_VENDOR, cases[i].v, cases[i].len));
	len = ike_bld_finish(&b);
	assert_int_equal(ike_payloads_parse(IKE_PL_VENDOR, buf, len, &m, NULL), IKE_PERR_OK);
	assert_int_equal(ike_cfg_vendor_flags(&m), all);
	assert_string_equal(ike_cfg_vendor_str(IKE_VID_CISCO_FLEXVPN | IKE_VID_STRONGSWAN, s,
					       sizeof(s)), "FlexVPN strongSwan");
	assert_string_equal(ike_cfg_vendor_str(0, s, sizeof(s)), "none");
	assert_true(ike_cfg_is_cisco(IKE_VID_CISCO_COPYRIGHT));
	assert_false(ike_cfg_is_cisco(IKE_VID_CISCO_DELETE_REASON | IKE_VID_STRONGSWAN));
	assert_false(ike_cfg_is_flexvpn(IKE_VID_CISCO_UNITY));
	/* AnyConnect by its IDi, not a Vendor ID */
	assert_int_equal(ike_cfg_id_flags(IKE_ID_KEY_ID, (const uint8_t *)"*$AnyConnectClient$*", 20),
			 IKE_VID_ANYCONNECT);
	assert_int_equal(ike_cfg_id_flags(IKE_ID_KEY_ID, (const uint8_t *)"$AnyConnectClient$", 18),
			 IKE_VID_ANYCONNECT);
	assert_int_equal(ike_cfg_id_flags(IKE_ID_KEY_ID, (const uint8_t *)"$AnyConnectClient", 17), 0);
	assert_int_equal(ike_cfg_id_flags(IKE_ID_FQDN, (const uint8_t *)"$AnyConnectClient$", 18), 0);
	assert_true(ike_cfg_is_cisco(IKE_VID_ANYCONNECT));
	assert_false(ike_cfg_is_flexvpn(IKE_VID_ANYCONNECT));
}

/* Three INTERNAL_IP4_ADDRESS asked for (one with an address of the peer's choice): one sent. */
static void test_one_ipv4_address(void **state)
{
	struct fx *f = *state;
	static const uint8_t want[4] = { 10, 9, 9, 9 };
	struct ike_cfg_at at[] = {
		{ IKE_CFG_INTERNAL_IP4_ADDRESS, { NULL, 0 } },
		{ IKE_CFG_INTERNAL_IP4_ADDRESS, { want, 4 } },
		{ IKE_CFG_INTERNAL_IP4_ADDRESS, { NULL, 0 } },
		{ IKE_CFG_INTERNAL_IP4_NETMASK, { NULL, 0 } },
		{ IKE_CFG_APPLICATION_VERSION, { (const uint8_t *)"Client 1.0\x01", 11 } },
	};
	static uint8_t buf[1024];
	static struct ike_msg m;
	static struct ike_cfg_out o;
	static struct cp cp;
	struct ike_cfg_req q;
	struct ike_cfg_ctx c = ctx(f, 0);

	make_req(IKE_CFG_REQUEST, at, 5, &m, buf, sizeof(buf));
	ike_cfg_req_parse(&m, &q);
	assert_true(q.present);
	assert_int_equal(q.n_ip4, 3);
	assert_true(q.nm4 && q.appver && !q.ip6);
	assert_string_equal(q.peer_version, "Client 1.0?");
	c.lease6 = NULL;
	ike_cfg_build(&c, &q, IKE_CFG_REPLY, &o);
	roundtrip(&o, &cp);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_ADDRESS), 1);
	expect(&cp, IKE_CFG_INTERNAL_IP4_ADDRESS, 0, f->l4.addr, 4); /* ours, not the asked one */
	/* no IPv6 lease: no IPv6 attribute at all */
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP6_ADDRESS) +
			 count(&cp, IKE_CFG_INTERNAL_IP6_DNS) +
			 count(&cp, IKE_CFG_INTERNAL_IP6_SUBNET), 0);
}

/* INTERNAL_IP4_NETMASK only with an address, and only when one is configured. */
static void test_netmask_only_with_address(void **state)
{
	struct fx *f = *state;
	struct ike_cfg_req q = { .type = IKE_CFG_REQUEST, .present = true, .nm4 = true, .ip6 = true };
	static struct ike_cfg_out o;
	static struct cp cp;
	struct ike_cfg_ctx c = ctx(f, 0);
	struct pool_lease nopool;
	uint8_t v[4];

	/* no IPv4 lease (only IPv6 asked for): neither address nor netmask nor IPv4 DNS */
	c.lease4 = NULL;
	ike_cfg_build(&c, &q, IKE_CFG_REPLY, &o);
	roundtrip(&o, &cp);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_ADDRESS), 0);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_NETMASK), 0);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_DNS), 0);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP6_ADDRESS), 1);

	/* with the lease: the pool's /24 when the policy has no netmask */
	c.lease4 = &f->l4;
	f->az.has_netmask = false;
	ike_cfg_build(&c, &q, IKE_CFG_REPLY, &o);
	roundtrip(&o, &cp);
	ip4("255.255.255.0", v);
	expect(&cp, IKE_CFG_INTERNAL_IP4_NETMASK, 0, v, 4);

	/* neither the policy nor the pool knows one: no netmask (reference), said in the log */
	nopool = f->l4;
	nopool.pool = NULL;
	c.lease4 = &nopool;
	ike_cfg_build(&c, &q, IKE_CFG_REPLY, &o);
	roundtrip(&o, &cp);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_ADDRESS), 1);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_NETMASK), 0);
	assert_non_null(strstr(o.log, "no INTERNAL_IP4_NETMASK"));
	f->az.has_netmask = true;
}

/* Without an authorization policy: the pool's DNS and local_subnets (not /0), no Cisco
 * attributes even for a Cisco client beyond APPLICATION_VERSION. */
static void test_ike_defaults(void **state)
{
	struct fx *f = *state;
	struct ike_cfg_req q = { .type = IKE_CFG_REQUEST, .present = true, .ip4 = true, .n_ip4 = 1 };
	static struct ike_cfg_out o;
	static struct cp cp;
	struct ike_cfg_ctx c = ctx(f, IKE_VID_CISCO_FLEXVPN);
	struct rp_prefix r[8];
	uint8_t v[8];

	c.authz = NULL;
	c.lease6 = NULL;
	ike_cfg_build(&c, &q, IKE_CFG_REPLY, &o);
	roundtrip(&o, &cp);
	ip4("198.51.100.99", v);
	expect(&cp, IKE_CFG_INTERNAL_IP4_DNS, 0, v, 4);
	ip4("255.255.255.0", v);
	expect(&cp, IKE_CFG_INTERNAL_IP4_NETMASK, 0, v, 4);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_SUBNET), 1); /* the /0 is skipped */
	ip4("198.51.100.0", v);
	ip4("255.255.255.0", v + 4);
	expect(&cp, IKE_CFG_INTERNAL_IP4_SUBNET, 0, v, 8);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_NBNS), 0);
	assert_int_equal(count(&cp, IKE_CFG_APPLICATION_VERSION), 1);
	assert_int_equal(cp.n, 5);

	/* ike_cfg_routes: the route set, else local_subnets */
	assert_int_equal(ike_cfg_routes(NULL, f->local_ts, 2, r, 8), 2);
	assert_int_equal(ike_cfg_routes(&f->az, f->local_ts, 2, r, 8), 5);
	assert_int_equal(r[0].af, 4);
	assert_int_equal(r[2].af, 6);
	assert_int_equal(r[2].plen, 64);
	assert_int_equal(ike_cfg_routes(&f->az, f->local_ts, 2, r, 3), 3);
	{
		struct pol_authz empty = { .flow_limit = -1 };

		assert_int_equal(ike_cfg_routes(&empty, f->local_ts, 2, r, 8), 2);
	}
}

static bool utf8_valid(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned k = s[i] < 0x80 ? 0 : (s[i] & 0xe0) == 0xc0 ? 1 : (s[i] & 0xf0) == 0xe0 ? 2 :
			     (s[i] & 0xf8) == 0xf0 ? 3 : 9;

		if (k == 9 || i + k >= n)
			return false;
		for (unsigned j = 1; j <= k; j++)
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
		i += 1 + k;
	}
	return true;
}

/* A long banner is cut at a character boundary; long lists keep whole names; attributes that
 * no longer fit are left out, never written past IKE_CFG_OUT_MAX. */
static void test_limits(void **state)
{
	struct fx *f = *state;
	struct ike_cfg_req q = { .type = IKE_CFG_REQUEST, .present = true, .ip4 = true, .n_ip4 = 1 };
	static struct ike_cfg_out o;
	static struct cp cp;
	struct ike_cfg_ctx c = ctx(f, IKE_VID_CISCO_UNITY);
	char *banner = malloc(6001), *saved = f->az.banner, *names[10];
	static struct pol_prefix many[300];
	struct pol_acl big = { .name = "big", .af = 6, .n = 300, .v = many };
	const struct pol_acl *saved6 = f->az.route_acl6;
	const struct attr *a;

	/* "€" is 3 bytes: 2000 of them do not end on the 2048-byte limit */
	for (unsigned i = 0; i < 2000; i++)
		memcpy(banner + 3 * i, "\xe2\x82\xac", 3);
	banner[6000] = 0;
	f->az.banner = banner;
	for (unsigned i = 0; i < 10; i++) {
		names[i] = malloc(201);
		memset(names[i], 'a' + (char)i, 200);
		names[i][200] = 0;
		f->az.split_dns[i] = names[i];
	}
	f->az.n_split_dns = 10;
	ike_cfg_build(&c, &q, IKE_CFG_REPLY, &o);
	roundtrip(&o, &cp);
	a = find(&cp, 28672, 0);
	assert_non_null(a);
	assert_true(a->len <= IKE_CFG_BANNER_MAX && a->len > IKE_CFG_BANNER_MAX - 3);
	assert_int_equal(a->len % 3, 0);
	assert_true(utf8_valid(a->v, a->len));
	assert_non_null(strstr(o.log, "cut from 6000"));
	a = find(&cp, 28675, 0);
	assert_non_null(a);
	assert_int_equal(a->len, 5 * 200 + 4); /* five whole names and their commas */
	assert_int_equal(a->v[a->len - 1], 'e');
	assert_non_null(strstr(o.log, "5 of 10 names"));

	/* 300 IPv6 split routes (21 bytes each) do not fit: some are left out, the rest is
	 * well-formed, and the total stays within IKE_CFG_OUT_MAX */
	for (unsigned i = 0; i < 300; i++) {
		memset(&many[i], 0, sizeof(many[i]));
		many[i].af = 6;
		many[i].plen = 64;
		many[i].addr[0] = 0x20, many[i].addr[1] = 0x01, many[i].addr[2] = 0x0d;
		many[i].addr[3] = 0xb8, many[i].addr[4] = (uint8_t)(i >> 8);
		many[i].addr[5] = (uint8_t)i;
	}
	f->az.route_acl6 = &big;
	ike_cfg_build(&c, &q, IKE_CFG_REPLY, &o);
	roundtrip(&o, &cp);
	assert_true(o.len <= IKE_CFG_OUT_MAX);
	assert_true(o.dropped > 0);
	assert_non_null(strstr(o.log, "left out (no room)"));
	assert_true(count(&cp, IKE_CFG_INTERNAL_IP6_SUBNET) > 100);
	assert_true(count(&cp, IKE_CFG_INTERNAL_IP6_SUBNET) < 300);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_ADDRESS), 1); /* essentials first */
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_DNS), 2);

	f->az.route_acl6 = saved6;
	f->az.banner = saved;
	for (unsigned i = 0; i < 10; i++)
		free(names[i]);
	memcpy(f->az.split_dns, f->split, sizeof(f->split));
	f->az.n_split_dns = 3;
	free(banner);
}

/* CFG_SET of the peer: understood attributes acknowledged with empty values, the rest
 * refused; the peer's subnets kept for the log. */
static void test_set_ack(void **state)
{
	static const uint8_t sub[8] = { 10, 0, 0, 0, 255, 0, 0, 0 };
	static const uint8_t sub6[17] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x42, [16] = 48 };
	struct ike_cfg_at at[] = {
		{ IKE_CFG_INTERNAL_IP4_SUBNET, { sub, 8 } },
		{ IKE_CFG_INTERNAL_IP6_SUBNET, { sub6, 17 } },
		{ IKE_CFG_INTERNAL_IP4_DNS, { sub, 3 } },         /* bad length */
		{ 30000, { sub, 4 } },                            /* unknown */
		{ IKE_CFG_APPLICATION_VERSION, { (const uint8_t *)"x", 1 } },
	};
	static uint8_t buf[1024];
	static struct ike_msg m;
	static struct ike_cfg_out o;
	static struct cp cp;
	struct ike_cfg_req q;

	(void)state;
	make_req(IKE_CFG_SET, at, 5, &m, buf, sizeof(buf));
	ike_cfg_req_parse(&m, &q);
	assert_int_equal(q.type, IKE_CFG_SET);
	assert_false(q.present);
	assert_int_equal(q.n_set, 3);
	assert_int_equal(q.n_set_bad, 2);
	assert_int_equal(q.n_routes, 2);
	assert_int_equal(q.routes[0].af, 4);
	assert_int_equal(q.routes[0].plen, 8);
	assert_int_equal(q.routes[0].addr[0], 10);
	assert_int_equal(q.routes[1].af, 6);
	assert_int_equal(q.routes[1].plen, 48);
	assert_int_equal(ike_cfg_build_ack(&q, &o), 3);
	roundtrip(&o, &cp);
	assert_int_equal(cp.cfg_type, IKE_CFG_ACK);
	expect(&cp, IKE_CFG_INTERNAL_IP4_SUBNET, 0, NULL, 0);
	expect(&cp, IKE_CFG_INTERNAL_IP6_SUBNET, 0, NULL, 0);
	expect(&cp, IKE_CFG_APPLICATION_VERSION, 0, NULL, 0);
	assert_non_null(strstr(o.log, "2 attribute(s) refused"));

	/* a CFG_REPLY or CFG_ACK in a request is nothing to answer */
	make_req(IKE_CFG_REPLY, at, 1, &m, buf, sizeof(buf));
	ike_cfg_req_parse(&m, &q);
	assert_int_equal(q.type, IKE_CFG_REPLY);
	assert_false(q.present);
	assert_int_equal(q.n_set, 0);
}

/* CFG_SET we push (no CFG_REQUEST): no addresses, every family; nothing to say: no payload. */
static void test_set_push(void **state)
{
	struct fx *f = *state;
	static struct ike_cfg_out o;
	static struct cp cp;
	struct ike_cfg_ctx c = ctx(f, 0);

	c.lease4 = c.lease6 = NULL;
	assert_true(ike_cfg_build(&c, NULL, IKE_CFG_SET, &o) > 0);
	roundtrip(&o, &cp);
	assert_int_equal(cp.cfg_type, IKE_CFG_SET);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_ADDRESS), 0);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_NETMASK), 0);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP6_ADDRESS), 0);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_DNS), 2);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP6_DNS), 1);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP4_SUBNET), 3);
	assert_int_equal(count(&cp, IKE_CFG_INTERNAL_IP6_SUBNET), 2);
	assert_int_equal(count(&cp, 28672), 0); /* not a Cisco peer */

	c.authz = NULL;
	c.n_local_ts = 0;
	assert_int_equal(ike_cfg_build(&c, NULL, IKE_CFG_SET, &o), 0);
	assert_int_equal(o.cfg_type, 0);
	{
		static uint8_t buf[64];
		struct ike_bld b;

		ike_bld_init_chain(&b, buf, sizeof(buf));
		assert_true(ike_cfg_write(&o, &b));
		assert_int_equal(b.w.len, 0); /* nothing written */
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ike_cfg_attr_name(4), "INTERNAL_IP4_NBNS");
	assert_string_equal(ike_cfg_attr_name(7), "APPLICATION_VERSION");
	assert_string_equal(ike_cfg_attr_name(28672), "UNITY_BANNER");
	assert_string_equal(ike_cfg_attr_name(28675), "UNITY_SPLITDNS_NAME");
	assert_string_equal(ike_cfg_attr_name(28681), "UNITY_BACKUP_SERVERS");
	assert_null(ike_cfg_attr_name(9999));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_attribute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vendor_gating, setup, teardown),
		cmocka_unit_test(test_vendor_ids),
		cmocka_unit_test_setup_teardown(test_one_ipv4_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_netmask_only_with_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ike_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test(test_set_ack),
		cmocka_unit_test_setup_teardown(test_set_push, setup, teardown),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
