/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * rampartd's IKEv2 authorization backend (controlplane/ike/ike_authz_aaa.c) on a policy
 * model built from configuration text: cached EAP authorization from an Access-Accept
 * (Framed-IP-Address, AV-pairs merged over the profile's policy), local user and group
 * lists named through name manglers from a certificate DN / an FQDN / the EAP identity,
 * group override, the refusals (no policy of the derived name, an identity the mangler
 * cannot use), and profiles without authorization (nothing changes).
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
#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/conf.h"
#include "controlplane/aaa/authz.h"
#include "controlplane/aaa/radius.h"
#include "controlplane/ike/ike_authz_aaa.h"
#include "controlplane/ike/ike_cert.h"
#include "controlplane/ike/ike_proto.h"

static struct rp_cfg cfg;
static struct pol_set *set;
static struct ike_authz_backend be;
static struct ike_authz_aaa *x;
static uint8_t dgram[RADIUS_MAX_LEN];

static const char text[] =
	"pki = { trustpoints = ( { name = \"tp\"; ca_certificates = [ \"/nonexistent.pem\" ]; } ); };\n"
	"ikev2 = {\n"
	"  authorization_policies = (\n"
	"    { name = \"base\"; dns = [ \"198.51.100.99\" ]; def_domain = \"base.example\"; },\n"
	"    { name = \"alice\"; dns = [ \"198.51.100.1\" ]; banner = \"alice's\"; },\n"
	"    { name = \"example.com\"; dns = [ \"198.51.100.2\" ]; banner = \"group's\";\n"
	"      def_domain = \"grp.example\"; },\n"
	"    { name = \"vpn\"; wins = [ \"198.51.100.3\" ]; }\n"
	"  );\n"
	"  name_manglers = (\n"
	"    { name = \"cn\"; dn = \"common-name\"; },\n"
	"    { name = \"dom\"; dn = \"domain\"; fqdn = \"domain\"; },\n"
	"    { name = \"host\"; fqdn = \"hostname\"; eap = { prefix = \"@\"; }; }\n"
	"  );\n"
	"  profiles = (\n"
	"    { name = \"eap\"; match = { identity_remote = [ \"fqdn domain eap.test\" ]; };\n"
	"      authentication = { local = \"rsa-sig\"; remote = [ \"eap\" ]; }; trustpoints = [ \"tp\" ];\n"
	"      authorization_policy = \"base\";\n"
	"      aaa = { authorization_user = { methods = [ \"eap\" ]; cached = true; }; }; },\n"
	"    { name = \"cert\"; match = { identity_remote = [ \"fqdn domain cert.test\" ]; };\n"
	"      authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; }; keyring = \"kr\";\n"
	"      authorization_policy = \"base\";\n"
	"      aaa = { authorization_user = { methods = [ \"cert\" ]; list = \"local\";\n"
	"                                     name_mangler = \"cn\"; };\n"
	"              authorization_group = { methods = [ \"cert\" ]; list = \"local\";\n"
	"                                      name_mangler = \"dom\"; }; }; },\n"
	"    { name = \"over\"; match = { identity_remote = [ \"fqdn domain over.test\" ]; };\n"
	"      authentication = { local = \"rsa-sig\"; remote = [ \"pre-share\", \"eap\" ]; };\n"
	"      keyring = \"kr\"; trustpoints = [ \"tp\" ]; authorization_policy = \"base\";\n"
	"      aaa = { authorization_user = { methods = [ \"eap\", \"psk\" ]; list = \"local\";\n"
	"                                     name_mangler = \"host\"; };\n"
	"              authorization_group = { methods = [ \"psk\", \"eap\" ]; list = \"local\";\n"
	"                                      name_mangler = \"dom\"; override = true; }; }; },\n"
	"    { name = \"both\"; match = { identity_remote = [ \"fqdn domain both.test\" ]; };\n"
	"      authentication = { local = \"rsa-sig\"; remote = [ \"eap\" ]; }; trustpoints = [ \"tp\" ];\n"
	"      authorization_policy = \"base\";\n"
	"      aaa = { authorization_user = { methods = [ \"eap\" ]; cached = true; list = \"local\";\n"
	"                                     name_mangler = \"host\"; }; }; },\n"
	"    { name = \"rad\"; match = { identity_remote = [ \"fqdn domain rad.test\" ]; };\n"
	"      authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; };\n"
	"      keyring = \"kr\"; authorization_policy = \"base\";\n"
	"      aaa = { authorization_group = { methods = [ \"psk\" ]; list = \"nolist\";\n"
	"                                      name_mangler = \"dom\"; }; }; },\n"
	"    { name = \"plain\"; match = { identity_remote = [ \"any\" ]; };\n"
	"      authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; };\n"
	"      keyring = \"kr\"; authorization_policy = \"base\"; }\n"
	"  );\n"
	"  keyrings = ( { name = \"kr\"; peers = ( { name = \"p\"; address = \"0.0.0.0/0\";\n"
	"                 pre_shared_key = \"x\"; } ); } );\n"
	"};\n";

static int setup(void **state)
{
	(void)state;
	if (rp_cfg_load_string(&cfg, "t.conf", text, rp_conf_schema))
		fail_msg("%s", cfg.err);
	if (pol_set_build(&cfg, POL_BUILD_NO_FILES, &set))
		fail_msg("%s", cfg.err);
	assert_int_equal(ike_authz_aaa_create(NULL, &cfg, &set, &x), 0);
	ike_authz_aaa_backend(x, &be);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ike_authz_aaa_destroy(x);
	pol_set_free(set);
	rp_cfg_free(&cfg);
	return 0;
}

/* The backend's answer when it needs no server (every case here). */
static int az(const struct ike_authz_query *q, struct ike_authz_out *o)
{
	void *h = NULL;
	int rc = be.authorize(be.arg, q, o, NULL, NULL, &h);

	assert_null(h);
	return rc;
}

static struct ike_authz_query query(const char *profile, uint8_t id_type, const void *id,
				    size_t id_len)
{
	const struct pol_profile *p = pol_profile_find(set, profile);

	assert_non_null(p);
	return (struct ike_authz_query){ .profile = p, .authz = p->authz, .id_type = id_type,
					 .id = id, .id_len = id_len, .method = IKE_AUTH_RSA_SIG };
}

static void release(struct ike_authz_out *o)
{
	if (o->release)
		o->release(o->owned);
	memset(o, 0, sizeof(*o));
}

static void test_cached(void **state)
{
	static const uint8_t ra[16] = { 1 }, fip[4] = { 198, 18, 200, 177 };
	struct ike_authz_query q = query("eap", IKE_ID_FQDN, "x.eap.test", 10);
	struct ike_authz_out o = { 0 };
	struct radius_bld b;
	size_t len;

	(void)state;
	radius_bld_init(&b, dgram, sizeof(dgram), RADIUS_ACCESS_ACCEPT, 1, ra, true);
	assert_true(radius_bld_attr(&b, RADIUS_A_FRAMED_IP_ADDRESS, fip, 4));
	assert_true(radius_bld_vsa(&b, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR,
				   "ipsec:dns-servers=198.18.1.53", 29));
	len = radius_bld_finish(&b, "s", 1);
	assert_true(len > 0);
	q.method = 0;
	q.eap = true;
	q.eap_id = (const uint8_t *)"azuser";
	q.eap_id_len = 6;
	q.accept = dgram;
	q.accept_len = len;
	assert_int_equal(az(&q, &o), 0);
	assert_non_null(o.authz);
	assert_true(o.has_framed4);
	assert_memory_equal(o.framed4, fip, 4);
	assert_int_equal(o.authz->n_dns, 1);
	assert_int_equal(o.authz->dns[0][0], 198);
	assert_int_equal(o.authz->dns[0][3], 53);
	assert_string_equal(o.authz->def_domain, "base.example");   /* the profile's policy */
	assert_string_equal(o.authz->name, "base+aaa");
	release(&o);
	/* no Access-Accept kept: an empty cached source, the profile's policy stays */
	q.accept = NULL;
	q.accept_len = 0;
	assert_int_equal(az(&q, &o), 0);
	assert_null(o.authz);
	assert_false(o.has_framed4);
	/* a certificate peer of this profile: cached applies to EAP only */
	q = query("eap", IKE_ID_FQDN, "x.eap.test", 10);
	assert_int_equal(az(&q, &o), 0);
	assert_null(o.authz);
}

static size_t make_dn(uint8_t *out, size_t cap)
{
	X509_NAME *n = X509_NAME_new();
	unsigned char *p = out;
	int len;

	X509_NAME_add_entry_by_txt(n, "DC", MBSTRING_ASC, (const unsigned char *)"example", -1,
				   -1, 0);
	X509_NAME_add_entry_by_txt(n, "DC", MBSTRING_ASC, (const unsigned char *)"com", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"alice", -1, -1,
				   0);
	len = i2d_X509_NAME(n, NULL);
	assert_true(len > 0 && (size_t)len <= cap);
	i2d_X509_NAME(n, &p);
	X509_NAME_free(n);
	return (size_t)len;
}

/* The reference's certificate examples: user by `dn common-name`, group by `dn domain`. */
static void test_cert_local(void **state)
{
	uint8_t der[256];
	size_t n = make_dn(der, sizeof(der));
	struct ike_authz_query q = query("cert", IKE_ID_DER_ASN1_DN, der, n);
	struct ike_authz_out o = { 0 };

	(void)state;
	/* DER order DC=example, DC=com, CN=alice reads cn=alice,dc=com,dc=example: the group
	 * name is "com.example", for which there is no local policy: refused */
	assert_int_equal(az(&q, &o), -EACCES);
	assert_null(o.authz);
	/* DC=com, DC=example (the usual order) gives "example.com", which exists */
	{
		X509_NAME *nm = X509_NAME_new();
		unsigned char *p = der;

		X509_NAME_add_entry_by_txt(nm, "DC", MBSTRING_ASC, (const unsigned char *)"com", -1,
					   -1, 0);
		X509_NAME_add_entry_by_txt(nm, "DC", MBSTRING_ASC, (const unsigned char *)"example",
					   -1, -1, 0);
		X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"alice", -1,
					   -1, 0);
		n = (size_t)i2d_X509_NAME(nm, &p);
		X509_NAME_free(nm);
	}
	q = query("cert", IKE_ID_DER_ASN1_DN, der, n);
	assert_int_equal(az(&q, &o), 0);
	assert_non_null(o.authz);
	/* user (alice) over group (example.com) over the profile's (base) */
	assert_int_equal(o.authz->dns[0][3], 1);
	assert_string_equal(o.authz->banner, "alice's");
	assert_string_equal(o.authz->def_domain, "grp.example");
	assert_false(o.has_framed4);
	release(&o);
	/* an FQDN peer: the cn mangler has no fqdn rule -> refused */
	q = query("cert", IKE_ID_FQDN, "h.cert.test", 11);
	assert_int_equal(az(&q, &o), -EACCES);
	assert_null(o.authz);
}

/* override: group over user; the EAP identity through `eap prefix @`; PSK peers by FQDN. */
static void test_override(void **state)
{
	struct ike_authz_query q = query("over", IKE_ID_FQDN, "vpn.example.com", 15);
	struct ike_authz_out o = { 0 };

	(void)state;
	q.method = IKE_AUTH_PSK;
	/* user "vpn" (fqdn hostname), group "example.com" (fqdn domain), group wins */
	assert_int_equal(az(&q, &o), 0);
	assert_non_null(o.authz);
	assert_int_equal(o.authz->n_wins, 1);                /* only the user policy has it */
	assert_int_equal(o.authz->dns[0][3], 2);             /* the group's */
	assert_string_equal(o.authz->banner, "group's");
	release(&o);
	/* EAP: the user name is the EAP identity's prefix; the group is from the IKE identity */
	q.method = 0;
	q.eap = true;
	q.eap_id = (const uint8_t *)"alice@corp";
	q.eap_id_len = 10;
	assert_int_equal(az(&q, &o), 0);
	assert_non_null(o.authz);
	assert_int_equal(o.authz->n_wins, 0);                /* user alice, not vpn */
	assert_string_equal(o.authz->banner, "group's");
	release(&o);
	/* an EAP identity without a local policy of its prefix: refused */
	q.eap_id = (const uint8_t *)"mallory@corp";
	q.eap_id_len = 12;
	assert_int_equal(az(&q, &o), -EACCES);
}

/* A RADIUS list that the aaa section does not define: refused, nothing pending; a name
 * the mangler cannot derive: refused before any request. */
static void test_radius_list_unusable(void **state)
{
	struct ike_authz_query q = query("rad", IKE_ID_FQDN, "h.rad.test", 10);
	struct ike_authz_out o = { 0 };

	(void)state;
	q.method = IKE_AUTH_PSK;
	assert_int_equal(az(&q, &o), -EACCES);
	assert_null(o.authz);
	q = query("rad", IKE_ID_FQDN, "radtest", 7);   /* no domain part */
	q.method = IKE_AUTH_PSK;
	assert_int_equal(az(&q, &o), -EACCES);
}

/* `cached` with a list: the list is asked only when the Access-Accept gave no
 * Framed-IP-Address; then user over cached. */
static void test_cached_then_explicit(void **state)
{
	static const uint8_t ra[16] = { 2 }, fip[4] = { 198, 18, 200, 178 };
	struct ike_authz_query q = query("both", IKE_ID_FQDN, "c.both.test", 11);
	struct ike_authz_out o = { 0 };
	struct radius_bld b;
	size_t len;

	(void)state;
	q.method = 0;
	q.eap = true;
	q.eap_id = (const uint8_t *)"alice@corp";   /* prefix @: local policy "alice" */
	q.eap_id_len = 10;
	/* with a Framed-IP-Address: the cached attributes alone */
	radius_bld_init(&b, dgram, sizeof(dgram), RADIUS_ACCESS_ACCEPT, 1, ra, true);
	assert_true(radius_bld_attr(&b, RADIUS_A_FRAMED_IP_ADDRESS, fip, 4));
	assert_true(radius_bld_vsa(&b, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR,
				   "ipsec:banner=cached", 19));
	len = radius_bld_finish(&b, "s", 1);
	q.accept = dgram;
	q.accept_len = len;
	assert_int_equal(az(&q, &o), 0);
	assert_non_null(o.authz);
	assert_true(o.has_framed4);
	assert_string_equal(o.authz->banner, "cached");
	assert_int_equal(o.authz->dns[0][3], 99);            /* base */
	release(&o);
	/* without: the local user policy "alice" is asked and wins over cached */
	radius_bld_init(&b, dgram, sizeof(dgram), RADIUS_ACCESS_ACCEPT, 1, ra, true);
	assert_true(radius_bld_vsa(&b, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR,
				   "ipsec:banner=cached", 19));
	assert_true(radius_bld_vsa(&b, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR,
				   "ipsec:default-domain=cached.example", 35));
	q.accept_len = radius_bld_finish(&b, "s", 1);
	assert_int_equal(az(&q, &o), 0);
	assert_non_null(o.authz);
	assert_false(o.has_framed4);
	assert_string_equal(o.authz->banner, "alice's");          /* user over cached */
	assert_int_equal(o.authz->dns[0][3], 1);                  /* user */
	assert_string_equal(o.authz->def_domain, "cached.example"); /* cached over base */
	release(&o);
}

static void test_no_authorization(void **state)
{
	struct ike_authz_query q = query("plain", IKE_ID_FQDN, "a.b", 3);
	struct ike_authz_out o = { 0 };

	(void)state;
	q.method = IKE_AUTH_PSK;
	assert_int_equal(az(&q, &o), 0);
	assert_null(o.authz);
	assert_null(o.owned);
}

/* The IPv6 address of an Access-Accept reaches the session: ipsec:addrv6 with its
 * prefix length (ike_child.c leases it, ike_cfg.c puts the length in the CFG_REPLY). */
static void test_framed6(void **state)
{
	static const uint8_t ra[16] = { 2 }, want[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x02, 0x00,
							  [15] = 0x77 };
	struct ike_authz_query q = query("eap", IKE_ID_FQDN, "x.eap.test", 10);
	struct ike_authz_out o = { 0 };
	struct radius_bld b;
	size_t len;

	(void)state;
	radius_bld_init(&b, dgram, sizeof(dgram), RADIUS_ACCESS_ACCEPT, 1, ra, true);
	assert_true(radius_bld_vsa(&b, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR,
				   "ipsec:addrv6=2001:db8:200::77", 29));
	assert_true(radius_bld_vsa(&b, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR,
				   "ipsec:prefix-len=64", 19));
	len = radius_bld_finish(&b, "s", 1);
	assert_true(len > 0);
	q.method = 0;
	q.eap = true;
	q.eap_id = (const uint8_t *)"v6user";
	q.eap_id_len = 6;
	q.accept = dgram;
	q.accept_len = len;
	assert_int_equal(az(&q, &o), 0);
	assert_non_null(o.authz);
	assert_false(o.has_framed4);
	assert_true(o.has_framed6);
	assert_memory_equal(o.framed6, want, 16);
	assert_int_equal(o.framed6_plen, 64);
	release(&o);
}

/* The PSK source refuses at once, without a callback, what it cannot ask. */
static void cb_never(void *arg, int rc, const struct ike_psk_keys *k)
{
	(void)arg;
	(void)rc;
	(void)k;
	fail_msg("the PSK source answered a lookup it refused");
}

static void test_psk_source_refusals(void **state)
{
	struct ike_psk_source src;
	struct pol_keyring_aaa k = { .set = true, .list = "nolist", .password = "cisco" };
	struct ike_psk_query q = { .k = &k, .user = "bob", .who = "peer 192.0.2.2 (test)",
				   .peer = { .af = 4 }, .local = { .af = 4 } };
	void *h = (void *)&k;

	(void)state;
	ike_authz_aaa_psk_source(x, &src);
	/* no such aaa.authorization list (this configuration has no aaa section) */
	assert_int_equal(src.lookup(src.arg, &q, cb_never, NULL, &h), -EACCES);
	assert_null(h);
}

/* ---- the PSK source against a fake RADIUS server in this process ------------------------- */

struct fake_rad {
	int fd;
	uint16_t port;
	struct event *ev;
	unsigned received;
	char user[256], pw[129];
};

static struct event_base *ebase;

/* alice: both keys and a DNS server; nokey: only the DNS server; anyone else: Reject. */
static void fake_rad_read(evutil_socket_t fd, short what, void *arg)
{
	struct fake_rad *f = arg;
	uint8_t buf[RADIUS_MAX_LEN], out[RADIUS_MAX_LEN];
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	struct radius_pkt rq;
	struct radius_bld b;
	const struct radius_attr *a;
	ssize_t n;
	size_t len;
	bool alice, nokey;

	(void)what;
	while ((n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&peer,
			     &plen)) > 0) {
		f->received++;
		assert_int_equal(radius_parse(buf, (size_t)n, &rq), RADIUS_PERR_OK);
		assert_int_equal(radius_verify_request(&rq, "sekret", 6, true), 0);
		a = radius_find(&rq, 0, RADIUS_A_USER_NAME, NULL);
		assert_non_null(a);
		snprintf(f->user, sizeof(f->user), "%.*s", (int)a->len, (const char *)a->val);
		a = radius_find(&rq, 0, RADIUS_A_USER_PASSWORD, NULL);
		assert_non_null(a);
		memset(f->pw, 0, sizeof(f->pw));
		radius_password_unhide(a->val, a->len, rq.auth, "sekret", 6, (uint8_t *)f->pw);
		alice = !strcmp(f->user, "alice");
		nokey = !strcmp(f->user, "nokey");
		radius_bld_init(&b, out, sizeof(out),
				alice || nokey ? RADIUS_ACCESS_ACCEPT : RADIUS_ACCESS_REJECT, rq.id,
				rq.auth, true);
		if (alice) {
			assert_true(radius_bld_vsa(&b, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR,
						   "ipsec:ikev2-password-remote=rk-1", 32));
			assert_true(radius_bld_vsa(&b, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR,
						   "ipsec:ikev2-password-local=lk-22", 32));
		}
		if (alice || nokey)
			assert_true(radius_bld_vsa(&b, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR,
						   "ipsec:dns-servers=198.51.100.7", 30));
		len = radius_bld_finish(&b, "sekret", 6);
		assert_true(len > 0);
		sendto(fd, out, len, 0, (struct sockaddr *)&peer, plen);
	}
}

struct psk_answer {
	int calls, rc;
	uint8_t remote[64], local[64];
	size_t remote_len, local_len;
};

static void on_psk(void *arg, int rc, const struct ike_psk_keys *k)
{
	struct psk_answer *a = arg;

	a->calls++;
	a->rc = rc;
	if (!rc) {
		assert_non_null(k);
		assert_true(k->remote_len <= sizeof(a->remote) && k->local_len <= sizeof(a->local));
		memcpy(a->remote, k->remote, k->remote_len);
		a->remote_len = k->remote_len;
		memcpy(a->local, k->local, k->local_len);
		a->local_len = k->local_len;
	}
	event_base_loopbreak(ebase);
}

/* Ask for @p user's keys as peer 192.0.2.2 with identity email @p id; run the loop to the
 * answer. */
static void ask_psk(struct ike_psk_source *src, const struct pol_profile *p, bool with_profile,
		    const char *user, const char *id, struct psk_answer *a)
{
	struct ike_psk_query q = { .profile = with_profile ? p : NULL, .k = &p->keyring_aaa,
				   .user = user, .who = "peer 192.0.2.2 (test)",
				   .peer = { .af = 4, .addr = { 192, 0, 2, 2 } },
				   .local = { .af = 4, .addr = { 192, 0, 2, 1 } },
				   .id_type = IKE_ID_RFC822_ADDR, .id = (const uint8_t *)id,
				   .id_len = strlen(id) };
	void *h = NULL;

	memset(a, 0, sizeof(*a));
	assert_int_equal(src->lookup(src->arg, &q, on_psk, a, &h), 1);
	assert_non_null(h);
	assert_int_equal(a->calls, 0);   /* never from within lookup() */
	for (int i = 0; i < 100 && !a->calls; i++)
		event_base_loop(ebase, EVLOOP_ONCE);
	assert_int_equal(a->calls, 1);
}

/* keyring_aaa through a real RADIUS exchange: the keys of an Access-Accept, refusals, the
 * cached authorization the Access-Accept leaves for the same peer, cancellation. */
static void test_psk_source_radius(void **state)
{
	struct fake_rad f = { 0 };
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	struct rp_cfg c;
	struct pol_set *ps = NULL;
	struct ike_authz_aaa *ax = NULL;
	struct ike_authz_backend abe;
	struct ike_psk_source src;
	const struct pol_profile *p;
	struct psk_answer a;
	char t[2048];

	(void)state;
	ebase = event_base_new();
	assert_non_null(ebase);
	f.fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(f.fd >= 0);
	assert_int_equal(bind(f.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(f.fd, (struct sockaddr *)&sa, &sl), 0);
	f.port = ntohs(sa.sin_port);
	f.ev = event_new(ebase, f.fd, EV_READ | EV_PERSIST, fake_rad_read, &f);
	event_add(f.ev, NULL);
	snprintf(t, sizeof(t),
		 "aaa = { radius = { servers = ( { name = \"r\"; address = \"127.0.0.1\";\n"
		 "    auth_port = %u; acct_port = 0; key = \"sekret\"; timeout_ms = 2000; } );\n"
		 "  groups = ( { name = \"g\"; servers = [ \"r\" ]; } ); };\n"
		 "  authorization = ( { name = \"keys\"; type = \"network\";\n"
		 "    methods = [ \"local\", \"group g\" ]; } ); };\n"
		 "ikev2 = { profiles = ( { name = \"pskc\"; match = { identity_remote = \"any\"; };\n"
		 "  authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; };\n"
		 "  keyring_aaa = { list = \"keys\"; password = \"lookup-pw\"; };\n"
		 "  aaa = { authorization_user = { methods = [ \"psk\" ]; cached = true; }; }; } ); };\n",
		 f.port);
	if (rp_cfg_load_string(&c, "t.conf", t, rp_conf_schema))
		fail_msg("%s", c.err);
	if (pol_set_build(&c, POL_BUILD_NO_FILES, &ps))
		fail_msg("%s", c.err);
	p = pol_profile_find(ps, "pskc");
	assert_non_null(p);
	assert_int_equal(ike_authz_aaa_create(ebase, &c, &ps, &ax), 0);
	ike_authz_aaa_psk_source(ax, &src);
	ike_authz_aaa_backend(ax, &abe);

	/* alice: the keys; `local` in the list holds none and is passed over */
	ask_psk(&src, p, true, "alice", "alice@example.test", &a);
	assert_int_equal(a.rc, 0);
	assert_string_equal(f.user, "alice");
	assert_string_equal(f.pw, "lookup-pw");
	assert_int_equal(a.remote_len, 4);
	assert_memory_equal(a.remote, "rk-1", 4);
	assert_int_equal(a.local_len, 5);
	assert_memory_equal(a.local, "lk-22", 5);
	{
		/* her IKE_AUTH's authorization: the same Access-Accept's attributes, cached */
		static const char id[] = "alice@example.test";
		struct ike_authz_query q = { .profile = p, .method = IKE_AUTH_PSK,
					     .id_type = IKE_ID_RFC822_ADDR, .id = (const uint8_t *)id,
					     .id_len = sizeof(id) - 1, .peer_af = 4,
					     .peer = { 192, 0, 2, 2 }, .local_af = 4 };
		struct ike_authz_out o = { 0 };
		void *h = NULL;

		assert_int_equal(abe.authorize(abe.arg, &q, &o, NULL, NULL, &h), 0);
		assert_null(h);
		assert_non_null(o.authz);
		assert_int_equal(o.authz->n_dns, 1);
		assert_int_equal(o.authz->dns[0][3], 7);
		release(&o);
		/* taken: a second authorization finds nothing (and asks nobody) */
		assert_int_equal(abe.authorize(abe.arg, &q, &o, NULL, NULL, &h), 0);
		assert_null(o.authz);
		/* another peer address with the same identity: nothing either */
		ask_psk(&src, p, true, "alice", "alice@example.test", &a);
		q.peer[3] = 3;
		assert_int_equal(abe.authorize(abe.arg, &q, &o, NULL, NULL, &h), 0);
		assert_null(o.authz);
		/* a lookup for no profile with `psk cached` keeps nothing */
		q.peer[3] = 2;
		assert_int_equal(abe.authorize(abe.arg, &q, &o, NULL, NULL, &h), 0);
		assert_non_null(o.authz);   /* the one kept above for .2 */
		release(&o);
		ask_psk(&src, p, false, "alice", "alice@example.test", &a);
		assert_int_equal(a.rc, 0);
		assert_int_equal(abe.authorize(abe.arg, &q, &o, NULL, NULL, &h), 0);
		assert_null(o.authz);
	}
	/* an Access-Accept without a key, an Access-Reject: refused */
	ask_psk(&src, p, true, "nokey", "nokey@example.test", &a);
	assert_int_equal(a.rc, -EACCES);
	ask_psk(&src, p, true, "eve", "eve@example.test", &a);
	assert_int_equal(a.rc, -EACCES);
	assert_string_equal(f.user, "eve");
	/* cancelled before the answer: no callback, the answer is dropped */
	{
		struct ike_psk_query q = { .k = &p->keyring_aaa, .user = "alice", .who = "t",
					   .peer = { .af = 4 }, .local = { .af = 4 } };
		unsigned before = f.received;
		void *h = NULL;

		memset(&a, 0, sizeof(a));
		assert_int_equal(src.lookup(src.arg, &q, on_psk, &a, &h), 1);
		src.cancel(src.arg, h);
		for (int i = 0; i < 20 && f.received == before; i++)
			event_base_loop(ebase, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		event_base_loop(ebase, EVLOOP_NONBLOCK);
		assert_int_equal(a.calls, 0);
	}
	/* destroyed with a lookup pending: no callback */
	{
		struct ike_psk_query q = { .k = &p->keyring_aaa, .user = "alice", .who = "t",
					   .peer = { .af = 4 }, .local = { .af = 4 } };
		void *h = NULL;

		memset(&a, 0, sizeof(a));
		assert_int_equal(src.lookup(src.arg, &q, on_psk, &a, &h), 1);
	}
	ike_authz_aaa_destroy(ax);
	event_base_loop(ebase, EVLOOP_NONBLOCK);
	assert_int_equal(a.calls, 0);
	event_free(f.ev);
	close(f.fd);
	pol_set_free(ps);
	rp_cfg_free(&c);
	event_base_free(ebase);
}

/* keyring_aaa in the configuration: parsed, and each mistake at its FILE:LINE. */
static void conf_expect(const char *prof, const char *more, const char *msg)
{
	struct rp_cfg c;
	struct pol_set *s = NULL;
	char t[2048];
	int rc;

	snprintf(t, sizeof(t),
		 "aaa = { authorization = ( { name = \"keys\"; type = \"network\";\n"
		 "  methods = [ \"local\" ]; } ); };\n"
		 "ikev2 = { name_manglers = ( { name = \"u\"; email = \"username\"; } );\n"
		 "  keyrings = ( { name = \"kr\"; peers = ( { name = \"p\"; address = \"0.0.0.0/0\";\n"
		 "    pre_shared_key = \"x\"; } ); } );\n"
		 "  profiles = ( { name = \"p\"; match = { identity_remote = \"any\"; };\n"
		 "  %s\n"
		 "  %s } ); };\n"
		 "pki = { trustpoints = ( { name = \"tp\"; ca_certificates = [ \"/nonexistent.pem\" ]; } ); };\n",
		 prof, more);
	rc = rp_cfg_load_string(&c, "t.conf", t, rp_conf_schema);
	if (!rc)
		rc = pol_set_build(&c, POL_BUILD_NO_FILES, &s);
	if (!msg) {
		const struct pol_profile *p;

		if (rc)
			fail_msg("%s", c.err);
		p = pol_profile_find(s, "p");
		assert_non_null(p);
		assert_true(p->keyring_aaa.set);
		assert_null(p->keyring);
		assert_string_equal(p->keyring_aaa.list, "keys");
		assert_string_equal(p->keyring_aaa.name_mangler, "u");
		assert_string_equal(p->keyring_aaa.password, "cisco");   /* IOS's default */
	} else {
		assert_int_not_equal(rc, 0);
		if (!strstr(c.err, msg))
			fail_msg("expected \"%s\"\n     got \"%s\"", msg, c.err);
	}
	pol_set_free(s);
	rp_cfg_free(&c);
}

static void test_keyring_aaa_conf(void **state)
{
	static const char psk[] =
		"authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; };";

	(void)state;
	conf_expect(psk, "keyring_aaa = { list = \"keys\"; name_mangler = \"u\"; };", NULL);
	conf_expect(psk, "keyring_aaa = { list = \"nope\"; };",
		    "t.conf:8: setting 'ikev2.profiles.[0].keyring_aaa.list': no authorization "
		    "list 'nope' in the aaa section");
	conf_expect(psk, "keyring_aaa = { list = \"keys\"; name_mangler = \"m\"; };",
		    "t.conf:8: setting 'ikev2.profiles.[0].keyring_aaa.name_mangler': unknown name "
		    "mangler 'm'");
	conf_expect(psk, "keyring = \"kr\";\n  keyring_aaa = { list = \"keys\"; };",
		    "t.conf:9: setting 'ikev2.profiles.[0].keyring_aaa': keyring and keyring_aaa "
		    "exclude each other");
	conf_expect("authentication = { local = \"rsa-sig\"; remote = [ \"rsa-sig\" ]; };\n"
		    "  trustpoints = [ \"tp\" ];",
		    "keyring_aaa = { list = \"keys\"; };",
		    "setting 'ikev2.profiles.[0].keyring_aaa': the profile has no pre-share "
		    "authentication");
	conf_expect(psk, "keyring_aaa = { name_mangler = \"u\"; };", "keyring_aaa");
	conf_expect(psk, "keyring_aaa = { list = \"keys\"; password = \"\"; };",
		    "t.conf:8: setting 'ikev2.profiles.[0].keyring_aaa.password'");
	conf_expect(psk, "", "pre-share authentication needs a keyring (or keyring_aaa)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cached),
		cmocka_unit_test(test_cert_local),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_cached_then_explicit),
		cmocka_unit_test(test_radius_list_unusable),
		cmocka_unit_test(test_no_authorization),
		cmocka_unit_test(test_framed6),
		cmocka_unit_test(test_psk_source_refusals),
		cmocka_unit_test(test_psk_source_radius),
		cmocka_unit_test(test_keyring_aaa_conf),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
