/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * IKEv2 load initiator for perf/ike-bench: opens N IKE_SAs, each with one CHILD_SA and a
 * config-mode address request (PSK or certificates), against any IKEv2 responder over real
 * UDP sockets, at most W exchanges in flight (closed loop: a finished tunnel starts the next).
 *
 *   ike_load --server ADDR [--port 500] [--nat-port 4500] [--n N] [--window W]
 *            [--group 31] [--bits 128] [--id email:NAME] [--psk KEY] [--seed S]
 *            (a "%u" in NAME: the tunnel's index, one identity per tunnel)
 *            [--cert-dir DIR]: certificate authentication instead of PSK: DIR/client.key
 *            (PEM, EC P-256 or RSA) signs (RFC 7427, SHA-256), DIR/client-<i>.der is tunnel
 *            i's certificate (sent in CERT); the responder's signature is not verified.
 *            [--id-base K]: tunnel i uses identity and certificate i + K.
 *            [--eap-md5 PASSWORD]: EAP-MD5 instead (RFC 7296 §2.16): the first IKE_AUTH
 *            has no AUTH; the responder's EAP requests are answered (Identity: the IKE
 *            identity; MD5-Challenge: PASSWORD), then after EAP-Success the AUTH keyed with
 *            SK_pi (MD5 has no MSK); the responder's final AUTH (keyed with SK_pr, over the
 *            IDr of its first response) is verified, its signature in the first one is not.
 *            [--ca FILE]: a CERTREQ for this CA (PEM) in the first IKE_AUTH, as a client
 *            that checks the responder's certificate sends (the responder then sends it).
 *            [--retrans-ms 1000] [--tries 3] [--deadline-s 120] [--quiet]
 *
 * It presents itself as behind a NAT (NAT detection, IKE_AUTH on the NAT-T port): the
 * remote-access case, and kernel-libipsec (charon's userspace ESP) needs UDP encapsulation.
 * Its first IKE_AUTH carries INITIAL_CONTACT, as a real client's first connection does.
 *
 * Built on tests/ike/initiator.c (our test initiator: payload building, keys, AUTH). Every
 * IKE_SA_INIT request, with its key-exchange key pair, is made before the clock starts, so
 * during the run the initiator only derives the DH secret, seals IKE_AUTH and checks the
 * responder's AUTH: about half of the responder's work per tunnel. Our SPIi encodes the
 * tunnel's index (responses are matched by it); the IKE SAs stay up (no Delete): the caller
 * stops the responder after measuring it.
 *
 * Prints one JSON object on stdout: counts (established, failures by kind, retransmissions,
 * cookies), wall time from the first request to the last answer, setups per second, and
 * per-tunnel latency percentiles (first IKE_SA_INIT sent to IKE_AUTH response verified) in ms.
 * With EAP, a tunnel takes four exchanges or more (IKE_SA_INIT, IKE_AUTH without AUTH, one
 * per EAP round, IKE_AUTH with AUTH); its latency runs to the last one verified.
 * Exit 0 when it ran (even with failures), 2 on bad arguments, 1 on a local error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "controlplane/aaa/eap.h"
#include "initiator.h"

#define LOAD_MAX_N 200000
#define LOAD_MAX_WINDOW 4096
#define REQ_CAP 2048

/* T_AUTH: the first IKE_AUTH sent; with EAP, T_EAP: an EAP response sent, T_EAP_AUTH: the
 * AUTH after EAP-Success sent */
enum tstate { T_IDLE, T_INIT, T_AUTH, T_EAP, T_EAP_AUTH, T_DONE, T_FAILED };

#define IDR_CAP 260
#define AUTH_EXCHANGES_MAX 16 /**< IKE_AUTH exchanges of one tunnel (EAP rounds) */

struct tun {
	struct ini in;
	uint8_t state;
	uint8_t tries;
	uint8_t exchanges;      /**< IKE_AUTH exchanges so far */
	uint16_t idr_len;       /**< EAP: the IDr of the first IKE_AUTH response */
	uint8_t idr[IDR_CAP];
	uint32_t slot;          /**< in slots[] while in flight */
	bool nat;               /**< req goes to port 4500 (with the non-ESP marker) */
	uint8_t *cert;          /**< our certificate (DER), certificate mode */
	size_t cert_len;
	uint16_t req_len;
	uint8_t req[REQ_CAP];   /**< last request, for retransmission */
	double t_start, t_sent, t_init_done, t_done;
};

struct opts {
	struct sockaddr_in srv;
	unsigned n, window, tries, retrans_ms, deadline_s, bits;
	uint16_t group;
	const char *id, *psk;
	uint8_t id_type;
	uint64_t seed;
	bool quiet;
	const char *cert_dir;   /**< certificate mode: client.key, client-<i>.der */
	unsigned id_base;       /**< tunnel i uses identity / certificate i + id_base */
	EVP_PKEY *key;
	const char *eap_pw;     /**< EAP-MD5 with this password instead of an AUTH */
	uint8_t certreq[20];    /**< --ca: SHA-1 of the CA's SubjectPublicKeyInfo */
	bool have_certreq;
};

struct stats {
	unsigned established, f_timeout, f_init, f_auth, f_child, f_noaddr, retrans, cookies,
		bad_resp, stray;
	unsigned f_eap, eap_identity, eap_md5, eap_rounds; /**< EAP failures, requests answered */
	unsigned long auth_exchanges;  /**< IKE_AUTH exchanges of the established tunnels */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static int usage(const char *msg)
{
	fprintf(stderr, "ike_load: %s\n"
		"usage: ike_load --server ADDR [--port 500] [--nat-port 4500] [--n N] [--window W]\n"
		"       [--group 14|15|19|20|31] [--bits 128|256] [--psk KEY]\n"
		"       [--id email:NAME|fqdn:NAME (%%u: tunnel index)]\n"
		"       [--seed S] [--retrans-ms MS] [--tries T] [--deadline-s S] [--quiet]\n"
		"       [--cert-dir DIR (client.key, client-<i>.der: signatures, not PSK)]\n"
		"       [--id-base K (tunnel i: identity / certificate i + K)]\n"
		"       [--eap-md5 PASSWORD (EAP-MD5, the IKE identity as EAP identity)]\n"
		"       [--ca FILE (PEM: a CERTREQ for this CA)]\n", msg);
	return 2;
}

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static int send_req(const int *fd, struct tun *t)
{
	ssize_t r = send(fd[t->nat], t->req, t->req_len, 0);

	t->t_sent = now();
	if (r < 0 && errno != EAGAIN && errno != ENOBUFS && errno != ECONNREFUSED)
		return -1;
	return 0;
}

/* RFC 7427 AlgorithmIdentifiers (DER) of the signatures we make */
static const uint8_t ai_ecdsa_sha256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
					   0x3d, 0x04, 0x03, 0x02 };
static const uint8_t ai_rsa_sha256[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
					 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };

/* ini_auth_opts.sign: RFC 7427 signature (SHA-256 with ECDSA or RSA PKCS#1 v1.5). */
static int sign_cb(void *arg, const uint8_t *oct, size_t len, uint8_t *method, uint8_t *auth,
		   size_t *auth_len)
{
	EVP_PKEY *k = arg;
	bool ec = EVP_PKEY_base_id(k) == EVP_PKEY_EC;
	const uint8_t *ai = ec ? ai_ecdsa_sha256 : ai_rsa_sha256;
	size_t ail = ec ? sizeof(ai_ecdsa_sha256) : sizeof(ai_rsa_sha256);
	size_t sl = IKE_AUTH_DATA_MAX - 1 - ail;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -1;

	if (ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestSign(ctx, auth + 1 + ail, &sl, oct, len) == 1) {
		auth[0] = (uint8_t)ail;
		memcpy(auth + 1, ai, ail);
		*auth_len = 1 + ail + sl;
		*method = IKE_AUTH_DIGITAL_SIG;
		rc = 0;
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < 65536 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		b = malloc((size_t)n);
		if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
			free(b);
			b = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return b;
}

/* Take @p t out of the in-flight slots (the last one moves into its place). */
static void slot_free(struct tun *tun, uint32_t *slots, unsigned *inflight, struct tun *t)
{
	uint32_t last = slots[--*inflight];

	slots[t->slot] = last;
	tun[last].slot = t->slot;
}

/* NAT_DETECTION hash (RFC 7296 2.23): SHA-1(SPIi | SPIr | IP | port), SPIr zero here. */
static void natd_hash(uint64_t spi_i, const struct sockaddr_in *a, uint8_t out[20])
{
	uint8_t in[8 + 8 + 4 + 2] = { 0 };
	unsigned int ol = 20;

	for (int k = 0; k < 8; k++)
		in[k] = (uint8_t)(spi_i >> (56 - 8 * k));
	memcpy(in + 16, &a->sin_addr, 4);
	memcpy(in + 20, &a->sin_port, 2);
	EVP_Digest(in, sizeof(in), out, &ol, EVP_sha1(), NULL);
}

/*
 * IKE_SA_INIT like ini_build_init(), plus NAT detection: a correct destination hash and a
 * source hash that matches nothing, so the responder sees us behind a NAT (the remote-access
 * case) and runs the CHILD_SA in UDP encapsulation (kernel-libipsec needs it); IKE_AUTH then
 * goes to port 4500 with the non-ESP marker (RFC 3948).
 */
static size_t build_init(struct tun *t, const struct opts *o, const uint8_t *cookie,
			 size_t cookie_len)
{
	uint16_t dh[] = { o->group, 0 };
	struct ike_hdr h = { .spi_i = t->in.spi_i, .exchange = IKE_XCHG_IKE_SA_INIT,
			     .flags = IKE_HDR_F_I };
	struct ike_sa_pl sa;
	struct ike_bld b;
	uint8_t src[20], dst[20];
	const uint8_t *pub;
	size_t len, pl;

	if (!t->in.dh && ike_dh_new(o->group, &t->in.rng, &t->in.dh))
		return 0;
	pub = ike_dh_pub(t->in.dh, &pl);
	ini_proposal(&sa, IKE_ENCR_AES_GCM_16, (uint16_t)o->bits, IKE_PRF_HMAC_SHA2_256, 0, dh);
	memset(src, 0x5a, sizeof(src));
	src[0] = (uint8_t)t->in.spi_i; /* any value but the real hash */
	natd_hash(t->in.spi_i, &o->srv, dst);
	ike_bld_init(&b, t->req, sizeof(t->req), &h);
	if (cookie)
		ike_bld_notify(&b, 0, NULL, 0, IKE_N_COOKIE, cookie, cookie_len);
	ike_bld_sa(&b, &sa);
	ike_bld_ke(&b, o->group, pub, pl);
	ike_bld_data(&b, IKE_PL_NONCE, t->in.ni, sizeof(t->in.ni));
	ike_bld_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, src, sizeof(src));
	ike_bld_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, dst, sizeof(dst));
	if (o->key) { /* RFC 7427: we take SHA-256 signatures (and make them) */
		static const uint8_t sha256[] = { 0, 2 };

		ike_bld_notify(&b, 0, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, sha256, 2);
	}
	len = ike_bld_finish(&b);
	if (!len || len > sizeof(t->in.init_req))
		return 0;
	memcpy(t->in.init_req, t->req, len); /* AUTH signs it */
	t->in.init_req_len = len;
	t->req_len = (uint16_t)len;
	t->nat = false;
	return len;
}

/* Tunnel @p idx's identity (a "%u" in --id: its index + --id-base) into @p idb. */
static const char *tun_id(const struct opts *o, bool indexed, unsigned idx, char *idb, size_t cap)
{
	int pl;

	if (!indexed)
		return o->id;
	pl = (int)(strchr(o->id, '%') - o->id);
	snprintf(idb, cap, "%.*s%u%s", pl, o->id, idx + o->id_base, o->id + pl + 2);
	return idb;
}

/* --ca: the CERTREQ hash of the CA in PEM file @p path (RFC 7296 §3.7). */
static int load_certreq(struct opts *o, const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *ca = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	uint8_t *der = NULL;
	unsigned int hl = 20;
	int n = ca ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(ca), &der) : -1;
	int rc = -1;

	if (n > 0 && EVP_Digest(der, (size_t)n, o->certreq, &hl, EVP_sha1(), NULL) == 1) {
		o->have_certreq = true;
		rc = 0;
	}
	OPENSSL_free(der);
	X509_free(ca);
	if (f)
		fclose(f);
	return rc;
}

/*
 * EAP (T_AUTH / T_EAP): the response @p m (opened) to our last IKE_AUTH. Answers an EAP
 * request, or after EAP-Success builds the AUTH; the request goes into t->req. 0: sent on,
 * > 0: the tunnel failed (counted).
 */
static int eap_step(struct tun *t, const struct opts *o, const char *id, uint8_t id_type,
		    const struct ike_msg *m, struct stats *st)
{
	const struct ike_pl *pl = ike_msg_find(m, IKE_PL_EAP, NULL);
	const struct ike_pl *n = ike_msg_find(m, IKE_PL_NOTIFY, NULL);
	uint8_t out[512], idb[IDR_CAP], mac[64];
	struct eap_pkt p;
	size_t ol = 0, l, idl = strlen(id);

	if (t->state == T_AUTH) { /* IDr (and AUTH) come with the first response only */
		const struct ike_pl *idr = ike_msg_find(m, IKE_PL_IDR, NULL);

		if (!idr || !ike_msg_find(m, IKE_PL_AUTH, NULL) || idr->body.len > IDR_CAP) {
			if (!o->quiet && st->f_auth < 3)
				fprintf(stderr, "ike_load: first IKE_AUTH response without IDr/AUTH "
					"(notify %u)\n", n ? n->f.u16a : 0);
			st->f_auth++;
			return 1;
		}
		memcpy(t->idr, idr->body.p, idr->body.len);
		t->idr_len = (uint16_t)idr->body.len;
	}
	if (!pl || eap_parse(pl->body.p, pl->body.len, &p)) {
		if (!o->quiet && st->f_eap < 3)
			fprintf(stderr, "ike_load: IKE_AUTH response without EAP (notify %u)\n",
				n ? n->f.u16a : 0);
		st->f_eap++;
		return 1;
	}
	if (p.code == EAP_REQUEST && p.type == EAP_T_IDENTITY) {
		ol = eap_build_identity_response(p.id, id, idl, out, sizeof(out));
		st->eap_identity++;
	} else if (p.code == EAP_REQUEST && p.type == EAP_T_MD5) {
		ol = eap_md5_response(&p, o->eap_pw, strlen(o->eap_pw), out, sizeof(out));
		st->eap_md5++;
	} else if (p.code == EAP_SUCCESS && idl + 4 <= sizeof(idb)) {
		idb[0] = id_type;
		memset(idb + 1, 0, 3);
		memcpy(idb + 4, id, idl);
		if (ini_key_auth(&t->in, false, NULL, 0, idb, idl + 4, mac))
			return -1;
		l = ini_build_auth_step(&t->in, IKE_PL_AUTH, IKE_AUTH_PSK, mac,
					ike_prf_len(t->in.suite.prf), t->req + 4, sizeof(t->req) - 4);
		OPENSSL_cleanse(mac, sizeof(mac));
		if (!l)
			return -1;
		t->req_len = (uint16_t)(l + 4);
		t->state = T_EAP_AUTH;
		return 0;
	}
	if (!ol) {
		if (!o->quiet && st->f_eap < 3)
			fprintf(stderr, "ike_load: EAP %s %s: not answered\n",
				eap_code_name(p.code),
				p.type && eap_type_name(p.type) ? eap_type_name(p.type) : "");
		st->f_eap++;
		return 1;
	}
	st->eap_rounds++;
	l = ini_build_auth_step(&t->in, IKE_PL_EAP, 0, out, ol, t->req + 4, sizeof(t->req) - 4);
	if (!l)
		return -1;
	t->req_len = (uint16_t)(l + 4);
	t->state = T_EAP;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "server", 1, NULL, 's' }, { "port", 1, NULL, 'p' }, { "nat-port", 1, NULL, 'P' },
		{ "n", 1, NULL, 'n' },
		{ "window", 1, NULL, 'w' }, { "group", 1, NULL, 'g' }, { "bits", 1, NULL, 'b' },
		{ "id", 1, NULL, 'i' }, { "psk", 1, NULL, 'k' }, { "seed", 1, NULL, 'S' },
		{ "retrans-ms", 1, NULL, 'r' }, { "tries", 1, NULL, 't' },
		{ "deadline-s", 1, NULL, 'd' }, { "quiet", 0, NULL, 'q' },
		{ "cert-dir", 1, NULL, 'C' }, { "id-base", 1, NULL, 'B' },
		{ "eap-md5", 1, NULL, 'E' }, { "ca", 1, NULL, 'A' }, { NULL, 0, NULL, 0 }
	};
	struct opts o = { .n = 1000, .window = 32, .tries = 3, .retrans_ms = 1000,
			  .deadline_s = 120, .bits = 128, .group = IKE_DH_CURVE25519,
			  .id = "bench@example.test", .psk = "rampart-bench-psk",
			  .id_type = IKE_ID_RFC822_ADDR, .seed = 1 };
	struct stats st = { 0 };
	unsigned port = 500, v, next = 0, inflight = 0, finished = 0;
	struct ike_msg *m;
	struct tun *tun;
	uint32_t *slots;
	double *lat, *lat_init, t0, t_end, prep0, prep_cpu, cpu0, t_last_scan = 0;
	size_t nlat = 0, nlat_init = 0;
	uint8_t buf[8192];
	int fd[2], c, rcvbuf = 8 << 20;
	unsigned nat_port = 4500;
	bool have_srv = false, id_indexed = false;
	const char *ca_file = NULL;

	memset(&o.srv, 0, sizeof(o.srv));
	o.srv.sin_family = AF_INET;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (inet_pton(AF_INET, optarg, &o.srv.sin_addr) != 1)
				return usage("--server: not an IPv4 address");
			have_srv = true;
			break;
		case 'p':
			if (parse_uint(optarg, 1, 65535, &port))
				return usage("--port: 1..65535");
			break;
		case 'P':
			if (parse_uint(optarg, 1, 65535, &nat_port))
				return usage("--nat-port: 1..65535");
			break;
		case 'n':
			if (parse_uint(optarg, 1, LOAD_MAX_N, &o.n))
				return usage("--n: 1..200000");
			break;
		case 'w':
			if (parse_uint(optarg, 1, LOAD_MAX_WINDOW, &o.window))
				return usage("--window: 1..4096");
			break;
		case 'g':
			if (parse_uint(optarg, 1, 65535, &v) ||
			    (v != IKE_DH_CURVE25519 && v != IKE_DH_ECP256 && v != IKE_DH_ECP384 &&
			     v != IKE_DH_MODP2048 && v != IKE_DH_MODP3072))
				return usage("--group: 14, 15, 19, 20 or 31");
			o.group = (uint16_t)v;
			break;
		case 'b':
			if (parse_uint(optarg, 128, 256, &o.bits) || (o.bits != 128 && o.bits != 256))
				return usage("--bits: 128 or 256 (AES-GCM-16)");
			break;
		case 'i':
			if (!strncmp(optarg, "email:", 6)) {
				o.id_type = IKE_ID_RFC822_ADDR;
			} else if (!strncmp(optarg, "fqdn:", 5)) {
				o.id_type = IKE_ID_FQDN;
			} else {
				return usage("--id: email:NAME or fqdn:NAME");
			}
			o.id = strchr(optarg, ':') + 1;
			if (strlen(o.id) < 1 || strlen(o.id) > 200)
				return usage("--id: 1..200 characters");
			{
				const char *pc = strchr(o.id, '%');

				id_indexed = pc != NULL;
				if (pc && (pc[1] != 'u' || strchr(pc + 2, '%')))
					return usage("--id: at most one %u, no other %");
			}
			break;
		case 'k':
			if (!*optarg || strlen(optarg) > 256)
				return usage("--psk: 1..256 characters");
			o.psk = optarg;
			break;
		case 'S':
			if (parse_uint(optarg, 1, 1000000, &v))
				return usage("--seed: 1..1000000");
			o.seed = v;
			break;
		case 'r':
			if (parse_uint(optarg, 10, 60000, &o.retrans_ms))
				return usage("--retrans-ms: 10..60000");
			break;
		case 't':
			if (parse_uint(optarg, 1, 10, &o.tries))
				return usage("--tries: 1..10");
			break;
		case 'd':
			if (parse_uint(optarg, 1, 3600, &o.deadline_s))
				return usage("--deadline-s: 1..3600");
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'B':
			if (parse_uint(optarg, 0, 1000000, &o.id_base))
				return usage("--id-base: 0..1000000");
			break;
		case 'C':
			if (!*optarg || strlen(optarg) > 200)
				return usage("--cert-dir: a directory");
			o.cert_dir = optarg;
			break;
		case 'E':
			if (!*optarg || strlen(optarg) > 128)
				return usage("--eap-md5: a password of 1..128 characters");
			o.eap_pw = optarg;
			break;
		case 'A':
			ca_file = optarg;
			break;
		default:
			return usage("unknown option");
		}
	}
	if (!have_srv || optind != argc)
		return usage(have_srv ? "unexpected argument" : "--server is required");
	if (o.eap_pw && o.cert_dir)
		return usage("--eap-md5 and --cert-dir exclude each other");
	if (ca_file && load_certreq(&o, ca_file)) {
		fprintf(stderr, "ike_load: --ca %s: no X.509 certificate (PEM)\n", ca_file);
		return 1;
	}
	o.srv.sin_port = htons((uint16_t)port);

	tun = calloc(o.n, sizeof(*tun));
	lat = calloc(o.n, sizeof(*lat));
	lat_init = calloc(o.n, sizeof(*lat_init));
	m = calloc(1, sizeof(*m));
	slots = calloc(o.window, sizeof(*slots));
	if (!tun || !lat || !lat_init || !m || !slots) {
		fprintf(stderr, "ike_load: out of memory for %u tunnels\n", o.n);
		return 1;
	}
	/* fd[0]: to the IKE port (IKE_SA_INIT); fd[1]: to the NAT-T port (IKE_AUTH) */
	for (int k = 0; k < 2; k++) {
		struct sockaddr_in a = o.srv;

		a.sin_port = htons((uint16_t)(k ? nat_port : port));
		fd[k] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (fd[k] < 0 || connect(fd[k], (struct sockaddr *)&a, sizeof(a))) {
			perror("ike_load: socket/connect");
			return 1;
		}
		setsockopt(fd[k], SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		setsockopt(fd[k], SOL_SOCKET, SO_SNDBUF, &rcvbuf, sizeof(rcvbuf));
	}

	if (o.cert_dir) { /* one key, a certificate per tunnel (its identity) */
		char path[256];
		FILE *f;

		snprintf(path, sizeof(path), "%s/client.key", o.cert_dir);
		f = fopen(path, "r");
		o.key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
		if (f)
			fclose(f);
		if (!o.key || (EVP_PKEY_base_id(o.key) != EVP_PKEY_EC &&
			       EVP_PKEY_base_id(o.key) != EVP_PKEY_RSA)) {
			fprintf(stderr, "ike_load: %s: no EC or RSA private key (PEM)\n", path);
			return 1;
		}
		for (unsigned i = 0; i < o.n; i++) {
			snprintf(path, sizeof(path), "%s/client-%u.der", o.cert_dir, i + o.id_base);
			tun[i].cert = read_file(path, &tun[i].cert_len);
			if (!tun[i].cert) {
				fprintf(stderr, "ike_load: cannot read %s\n", path);
				return 1;
			}
		}
	}
	/* Every IKE_SA_INIT (and its key pair) before the clock starts. */
	prep0 = now();
	prep_cpu = cpu_s();
	for (unsigned i = 0; i < o.n; i++) {
		struct tun *t = &tun[i];

		ini_init(&t->in, o.seed * 1000003ull + i + 1, o.group);
		/* SPIi: our index in the low 32 bits (responses are matched by it) */
		t->in.spi_i = (uint64_t)(0x5000u + (unsigned)o.seed) << 32 | i;
		if (!build_init(t, &o, NULL, 0)) {
			fprintf(stderr, "ike_load: cannot build IKE_SA_INIT (group %u)\n", o.group);
			return 1;
		}
	}
	prep0 = now() - prep0;
	prep_cpu = cpu_s() - prep_cpu;
	if (!o.quiet)
		fprintf(stderr, "ike_load: %u IKE_SA_INIT requests ready in %.2f s\n", o.n, prep0);

	t0 = now();
	cpu0 = cpu_s();
	while (finished < o.n) {
		struct pollfd p[2] = { { fd[0], POLLIN, 0 }, { fd[1], POLLIN, 0 } };
		double tn;

		while (inflight < o.window && next < o.n) {
			struct tun *t = &tun[next];

			t->slot = inflight;
			slots[inflight] = next++;
			t->state = T_INIT;
			t->tries = 1;
			if (send_req(fd, t)) {
				perror("ike_load: send");
				return 1;
			}
			t->t_start = t->t_sent;
			inflight++;
		}
		poll(p, 2, 10);
		for (int burst = 0; burst < 512; burst++) {
			int k = burst & 1;
			ssize_t r = recv(fd[k], buf, sizeof(buf), 0);
			uint64_t spi_i;
			uint32_t idx;
			struct tun *t;
			int rc;

			if (r < 0) {
				if (recv(fd[!k], buf, 0, MSG_PEEK | MSG_DONTWAIT) < 0)
					break; /* both empty */
				continue;
			}
			if (k) { /* strip the non-ESP marker; anything else (ESP) is not ours */
				if (r < 4 || buf[0] || buf[1] || buf[2] || buf[3]) {
					st.stray++;
					continue;
				}
				memmove(buf, buf + 4, (size_t)r - 4);
				r -= 4;
			}
			if (r < 28) {
				st.bad_resp++;
				continue;
			}
			spi_i = 0;
			for (int b = 0; b < 8; b++)
				spi_i = spi_i << 8 | buf[b];
			idx = (uint32_t)spi_i;
			if (spi_i >> 32 != 0x5000u + o.seed || idx >= o.n) {
				st.stray++;
				continue;
			}
			t = &tun[idx];
			if (t->state == T_INIT && buf[18] == IKE_XCHG_IKE_SA_INIT) {
				rc = ini_process_init(&t->in, buf, (size_t)r, m);
				if (rc == IKE_N_COOKIE) {
					const struct ike_pl *n = ike_msg_find(m, IKE_PL_NOTIFY, NULL);
					uint8_t ck[64];
					size_t cl = n ? n->f.data.len : 0;

					if (!cl || cl > sizeof(ck)) {
						st.bad_resp++;
						continue;
					}
					memcpy(ck, n->f.data.p, cl);
					st.cookies++;
					if (!build_init(t, &o, ck, cl) || send_req(fd, t))
						return 1;
					continue;
				}
				if (rc) {
					st.f_init++;
					if (!o.quiet && st.f_init <= 3)
						fprintf(stderr, "ike_load: IKE_SA_INIT refused (%d)\n", rc);
					t->state = T_FAILED;
					goto finish;
				}
				ini_free(&t->in); /* the key pair is no longer needed */
				t->t_init_done = now();
				lat_init[nlat_init++] = t->t_init_done - t->t_start;
				{
					/* INITIAL_CONTACT, as strongSwan and AnyConnect clients
					 * send on a first connection: the responder looks for
					 * older SAs of the identity at every tunnel */
					struct ini_auth_opts ao = { .id_type = o.id_type, .id = o.id,
								    .psk = o.psk,
								    .initial_contact = true };
					struct ike_sa_pl esp;
					char idb[256];
					size_t l;

					ao.id = tun_id(&o, id_indexed, idx, idb, sizeof(idb));
					if (o.eap_pw) { /* §2.16: no AUTH asks for EAP */
						ao.psk = NULL;
						ao.no_auth = true;
					}
					if (o.have_certreq) {
						ao.certreq = o.certreq;
						ao.certreq_len = sizeof(o.certreq);
					}

					ini_esp_proposal(&esp, t->in.esp_spi, IKE_ENCR_AES_GCM_16,
							 (uint16_t)o.bits, 0, false, true);
					ao.esp = &esp;
					if (o.key) {
						ao.psk = NULL;
						ao.sign = sign_cb;
						ao.sign_arg = o.key;
						ao.n_certs = 1;
						ao.cert[0] = t->cert;
						ao.cert_len[0] = t->cert_len;
					}
					l = ini_build_auth(&t->in, &ao, t->req + 4,
							   sizeof(t->req) - 4);
					if (!l) {
						fprintf(stderr, "ike_load: cannot build IKE_AUTH\n");
						return 1;
					}
					memset(t->req, 0, 4); /* non-ESP marker */
					t->req_len = (uint16_t)(l + 4);
					t->nat = true;
				}
				t->state = T_AUTH;
				t->tries = 1;
				t->exchanges = 1;
				if (send_req(fd, t))
					return 1;
				continue;
			}
			if (t->state < T_AUTH || t->state > T_EAP_AUTH ||
			    buf[18] != IKE_XCHG_IKE_AUTH ||
			    ((uint32_t)buf[20] << 24 | (uint32_t)buf[21] << 16 |
			     (uint32_t)buf[22] << 8 | buf[23]) != t->in.msg_id - 1)
				continue; /* a late duplicate answer (of an earlier exchange) */
			if (o.eap_pw && t->state != T_EAP_AUTH) {
				char idb[256];

				rc = ini_open(&t->in, buf, (size_t)r, m);
				if (rc == INI_MORE)
					continue;
				if (rc) {
					st.f_auth++;
					t->state = T_FAILED;
					goto finish;
				}
				rc = eap_step(t, &o, tun_id(&o, id_indexed, idx, idb, sizeof(idb)),
					      o.id_type, m, &st);
				if (rc < 0) {
					fprintf(stderr, "ike_load: cannot build an EAP IKE_AUTH\n");
					return 1;
				}
				if (!rc && t->exchanges >= AUTH_EXCHANGES_MAX) {
					if (!o.quiet && st.f_eap < 3)
						fprintf(stderr, "ike_load: EAP not done after %u "
							"IKE_AUTH exchanges\n", t->exchanges);
					st.f_eap++;
					rc = 1;
				}
				if (rc) {
					t->state = T_FAILED;
					goto finish;
				}
				t->tries = 1;
				t->exchanges++;
				if (send_req(fd, t))
					return 1;
				continue;
			}
			{
				/* certificates: the responder's signature is not verified (saves
				 * our CPU); its IDr and AUTH must be there. EAP: its AUTH after
				 * EAP, keyed with SK_pr, is. */
				if (o.eap_pw)
					rc = ini_process_eap_final(&t->in, buf, (size_t)r, m, t->idr,
								   t->idr_len, NULL, 0);
				else
					rc = ini_process_auth(&t->in, buf, (size_t)r, m,
							      o.key ? NULL : o.psk);
				if (rc == INI_MORE)
					continue;
				if (rc) {
					st.f_auth++;
					if (!o.quiet && st.f_auth <= 3)
						fprintf(stderr, "ike_load: IKE_AUTH failed (%d)\n", rc);
					t->state = T_FAILED;
				} else if (t->in.child_err) {
					st.f_child++;
					if (!o.quiet && st.f_child <= 3)
						fprintf(stderr, "ike_load: CHILD_SA refused (%u)\n",
							t->in.child_err);
					t->state = T_FAILED;
				} else if (t->in.n_addr4 != 1) {
					st.f_noaddr++;
					t->state = T_FAILED;
				} else {
					t->state = T_DONE;
					t->t_done = now();
					lat[nlat++] = t->t_done - t->t_start;
					st.established++;
					st.auth_exchanges += t->exchanges;
				}
				goto finish;
			}
finish:
			slot_free(tun, slots, &inflight, t);
			finished++;
		}
		tn = now();
		if (tn - t_last_scan > 0.05) {
			double lim = (double)o.retrans_ms * 1e-3;

			t_last_scan = tn;
			for (unsigned k = 0; k < inflight; k++) {
				struct tun *t = &tun[slots[k]];

				if (tn - t->t_sent < lim * (1u << (t->tries - 1)))
					continue;
				if (t->tries >= o.tries) {
					t->state = T_FAILED;
					st.f_timeout++;
					slot_free(tun, slots, &inflight, t);
					finished++;
					k--; /* slots[k] now holds another tunnel */
					continue;
				}
				t->tries++;
				st.retrans++;
				if (send_req(fd, t))
					return 1;
			}
		}
		if (tn - t0 > o.deadline_s) {
			fprintf(stderr, "ike_load: deadline of %u s reached with %u tunnels open\n",
				o.deadline_s, o.n - finished);
			st.f_timeout += o.n - finished;
			break;
		}
	}
	t_end = now();
	cpu0 = cpu_s() - cpu0;

	qsort(lat, nlat, sizeof(*lat), cmp_d);
	qsort(lat_init, nlat_init, sizeof(*lat_init), cmp_d);
	{
		double wall = t_end - t0, last = 0;

		for (unsigned i = 0; i < o.n; i++)
			if (tun[i].state == T_DONE && tun[i].t_done > last)
				last = tun[i].t_done;
		if (last > t0)
			wall = last - t0;
		printf("{\"n\": %u, \"window\": %u, \"group\": %u, \"bits\": %u, "
		       "\"established\": %u, \"failed\": %u, "
		       "\"failures\": {\"timeout\": %u, \"ike_sa_init\": %u, \"ike_auth\": %u, "
		       "\"child_sa\": %u, \"no_address\": %u, \"eap\": %u}, "
		       "\"retransmissions\": %u, \"cookies\": %u, \"malformed\": %u, \"stray\": %u, "
		       "\"eap\": {\"identity_requests\": %u, \"md5_challenges\": %u, "
		       "\"rounds\": %u}, \"ike_auth_exchanges_per_tunnel\": %.3f, "
		       "\"wall_s\": %.6f, \"setups_per_s\": %.3f, "
		       "\"latency_ms\": {\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"max\": %.3f}, "
		       "\"init_rtt_ms\": {\"p50\": %.3f, \"p99\": %.3f}, "
		       "\"initiator_cpu_s\": %.4f, \"prep_s\": %.3f, \"prep_cpu_s\": %.3f}\n",
		       o.n, o.window, o.group, o.bits, st.established, o.n - st.established,
		       st.f_timeout, st.f_init, st.f_auth, st.f_child, st.f_noaddr, st.f_eap,
		       st.retrans, st.cookies, st.bad_resp, st.stray, st.eap_identity, st.eap_md5,
		       st.eap_rounds,
		       st.established ? (double)st.auth_exchanges / st.established : 0.0, wall,
		       wall > 0 ? st.established / wall : 0.0, pct(lat, nlat, 0.5) * 1e3,
		       pct(lat, nlat, 0.9) * 1e3, pct(lat, nlat, 0.99) * 1e3,
		       nlat ? lat[nlat - 1] * 1e3 : 0.0, pct(lat_init, nlat_init, 0.5) * 1e3,
		       pct(lat_init, nlat_init, 0.99) * 1e3, cpu0, prep0, prep_cpu);
	}
	for (unsigned i = 0; i < o.n; i++) {
		ini_free(&tun[i].in);
		free(tun[i].cert);
	}
	EVP_PKEY_free(o.key);
	free(tun);
	free(lat);
	free(lat_init);
	free(m);
	free(slots);
	close(fd[0]);
	close(fd[1]);
	return 0;
}
