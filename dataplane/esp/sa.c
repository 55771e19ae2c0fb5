/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Runtime SA: validation of the control-plane record, key expansion, outer header template. */
#include "dataplane/esp/esp_priv.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/random.h>

#include <rte_mbuf.h>

/* Layout pins: the per-packet fields stay on line 0, the template on line 1, and every
 * block the packet path touches starts a cache line. */
static_assert(offsetof(struct esp_sa, hard_bytes) + sizeof(uint64_t) <= RTE_CACHE_LINE_SIZE,
	      "esp_sa: per-packet fields fit cache line 0");
static_assert(offsetof(struct esp_sa, tmpl) == RTE_CACHE_LINE_SIZE,
	      "esp_sa: outer header template is cache line 1");
static_assert(offsetof(struct esp_sa, ctr.bytes) + sizeof(uint64_t) <= 2 * RTE_CACHE_LINE_SIZE,
	      "esp_sa: the per-packet counters share line 1 with the template");
static_assert(offsetof(struct esp_sa, key) % RTE_CACHE_LINE_SIZE == 0, "esp_sa: keys aligned");
static_assert(offsetof(struct esp_sa, ts) % RTE_CACHE_LINE_SIZE == 0, "esp_sa: ts aligned");
static_assert(sizeof(struct esp_sa) % RTE_CACHE_LINE_SIZE == 0, "esp_sa: whole lines");
static_assert(ESP_TMPL_MAX >= 40 + 8, "template holds IPv6 + UDP");
static_assert(sizeof(((struct esp_sa *)0)->key.aes.enc) >= 16 * 15, "AES-256 schedule fits");
static_assert(sizeof(struct esp_ts) == 40, "esp_ts layout");

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

struct integ_info {
	IMB_HASH_ALG hash;
	unsigned int block; /* HMAC block size */
};

static bool integ_lookup(uint8_t integ, struct integ_info *ii)
{
	switch (integ) {
	case RP_INTEG_HMAC_SHA1_96:
		*ii = (struct integ_info){ IMB_AUTH_HMAC_SHA_1, 64 };
		return true;
	case RP_INTEG_HMAC_SHA256_128:
		*ii = (struct integ_info){ IMB_AUTH_HMAC_SHA_256, 64 };
		return true;
	case RP_INTEG_HMAC_SHA384_192:
		*ii = (struct integ_info){ IMB_AUTH_HMAC_SHA_384, 128 };
		return true;
	case RP_INTEG_HMAC_SHA512_256:
		*ii = (struct integ_info){ IMB_AUTH_HMAC_SHA_512, 128 };
		return true;
	default:
		return false;
	}
}

/* HMAC (RFC 2104): digest states after one block of key ^ ipad and key ^ opad. */
static void hmac_precompute(IMB_MGR *mgr, struct esp_sa *sa, const struct integ_info *ii,
			    const uint8_t *key, unsigned int klen)
{
	uint8_t blk[128];

	for (unsigned int pass = 0; pass < 2; pass++) {
		uint8_t fill = pass ? 0x5c : 0x36;
		uint8_t *out = pass ? sa->opad : sa->ipad;

		memset(blk, fill, ii->block);
		for (unsigned int i = 0; i < klen; i++)
			blk[i] ^= key[i];
		switch (ii->hash) {
		case IMB_AUTH_HMAC_SHA_1:
			IMB_SHA1_ONE_BLOCK(mgr, blk, out);
			break;
		case IMB_AUTH_HMAC_SHA_256:
			IMB_SHA256_ONE_BLOCK(mgr, blk, out);
			break;
		case IMB_AUTH_HMAC_SHA_384:
			IMB_SHA384_ONE_BLOCK(mgr, blk, out);
			break;
		default:
			IMB_SHA512_ONE_BLOCK(mgr, blk, out);
			break;
		}
	}
	explicit_bzero(blk, sizeof(blk));
}

static void ts_build(struct esp_ts *t, const struct rp_prefix *p)
{
	uint8_t addr[16] = { 0 }, mask[16] = { 0 };
	unsigned int bytes = p->af == 4 ? 4 : 16;

	for (unsigned int i = 0; i < bytes; i++) {
		int bits = (int)p->plen - 8 * (int)i;

		mask[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
		addr[i] = p->addr[i] & mask[i];
	}
	memset(t, 0, sizeof(*t));
	t->af = p->af;
	t->plen = p->plen;
	memcpy(t->addr, addr, sizeof(addr));
	memcpy(t->mask, mask, sizeof(mask));
}

/* Outer IPv4/IPv6 (+ UDP) header; IPv4 checksum base over the constant words. */
static void tmpl_build(struct esp_sa *sa, const struct rp_msg_sa *m)
{
	uint8_t *t = sa->tmpl;
	bool natt = sa->flags & ESP_SAF_NATT;
	uint8_t proto = natt ? IPPROTO_UDP : IPPROTO_ESP;
	unsigned int ip_len;

	memset(t, 0, sizeof(sa->tmpl));
	if (sa->flags & ESP_SAF_OUTER_V6) {
		t[0] = 0x60;
		t[6] = proto;
		t[7] = 64;
		memcpy(t + 8, m->local, 16);
		memcpy(t + 24, m->remote, 16);
		ip_len = 40;
	} else {
		uint32_t sum = 0;

		t[0] = 0x45;
		t[8] = 64;
		t[9] = proto;
		memcpy(t + 12, m->local, 4);
		memcpy(t + 16, m->remote, 4);
		ip_len = 20;
		for (unsigned int i = 0; i < 20; i += 2)
			sum += get_be16(t + i);
		sa->cksum_base = sum;
	}
	if (natt) {
		put_be16(t + ip_len, m->natt_sport);
		put_be16(t + ip_len + 2, m->natt_dport);
		ip_len += 8;
	}
	sa->outer_len = (uint8_t)ip_len;
}

/*
 * One job of @p sa's layout (16 bytes of zeros to cipher; for a two-pass SA, @p pass)
 * through intel-ipsec-mb's checked submit path: the packet path submits unchecked
 * (esp_run_jobs()), so every field a job takes from the SA is validated here once.
 * @return 0, or the library's error number (or -1: the job did not complete).
 */
static int esp_sa_probe_pass(IMB_MGR *mgr, const struct esp_sa *sa, enum esp_pass pass)
{
	uint8_t buf[ESP_HDR_LEN + 16 + 16 + ESP_ICV_MAX + 4] __attribute__((aligned(16)));
	bool esn_hmac = (sa->flags & (ESP_SAF_ESN | ESP_SAF_HMAC)) == (ESP_SAF_ESN | ESP_SAF_HMAC);
	struct esp_scratch sc;
	IMB_JOB *job;
	uint32_t n;
	int rc;

	memset(buf, 0, sizeof(buf));
	memset(&sc, 0, sizeof(sc));
	if (esp_get_jobs(mgr, &job, 1) != 1)
		return -1;
	esp_job_fill(job, sa, buf, 16, esn_hmac ? 4 : 0, sc.icv,
		     (sa->flags & ESP_SAF_ESN) ? sc.aad : buf, &sc,
		     !(sa->flags & ESP_SAF_INBOUND), 0);
	esp_job_pass(job, pass);
	n = IMB_SUBMIT_BURST(mgr, 1, &job);
	rc = n ? 0 : imb_get_errno(mgr); /* refused: not submitted, the reason */
	if (!rc) {
		if (!n) /* held back in a lane */
			n = IMB_FLUSH_BURST(mgr, 1, &job);
		rc = n == 1 && job->status == IMB_STATUS_COMPLETED ? 0 : -1;
	}
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(&sc, sizeof(sc));
	return rc;
}

/* Every layout the packet path gives @p sa's jobs (esp_sa_probe_pass()). */
static int esp_sa_probe(IMB_MGR *mgr, const struct esp_sa *sa)
{
	int rc = esp_sa_probe_pass(mgr, sa, ESP_PASS_BOTH);

	if (!rc && (sa->flags & ESP_SAF_TWO_PASS)) {
		rc = esp_sa_probe_pass(mgr, sa, ESP_PASS_CIPHER);
		if (!rc)
			rc = esp_sa_probe_pass(mgr, sa, ESP_PASS_HASH);
	}
	return rc;
}

int esp_sa_init(struct esp_sa *sa, const struct rp_msg_sa *m, IMB_MGR *mgr, char *err,
		size_t errlen)
{
	struct integ_info ii = { 0 };
	bool aead = m->cipher == RP_CIPHER_AES_GCM_128 || m->cipher == RP_CIPHER_AES_GCM_256 ||
		    m->cipher == RP_CIPHER_CHACHA20_POLY1305;
	bool inbound = m->dir == RP_DIR_IN;
	bool allow_no_integ = false;
	uint8_t ivk[16], scratch[16 * 11];
	int rc = -EINVAL;

#ifdef ESP_TEST_HOOKS
	allow_no_integ = esp_test_hooks.allow_cbc_without_integ;
#endif
	memset(sa, 0, sizeof(*sa));
	if (m->dir != RP_DIR_IN && m->dir != RP_DIR_OUT) {
		fail(err, errlen, rc, "SA %u: direction %u is neither in nor out", m->sa_id, m->dir);
		goto out;
	}
	if (m->outer_af != 4 && m->outer_af != 6) {
		fail(err, errlen, rc, "SA %u: outer address family %u, expected 4 or 6", m->sa_id,
		     m->outer_af);
		goto out;
	}
	if (rp_cipher_key_len(m->cipher) < 0 || rp_integ_key_len(m->integ) < 0) {
		fail(err, errlen, rc, "SA %u: unknown cipher %u or integrity algorithm %u",
		     m->sa_id, m->cipher, m->integ);
		goto out;
	}
	if (m->enc_key_len != rp_cipher_key_len(m->cipher) ||
	    m->auth_key_len != rp_integ_key_len(m->integ) ||
	    m->salt_len != rp_cipher_salt_len(m->cipher)) {
		fail(err, errlen, rc,
		     "SA %u: key lengths %u/%u/salt %u do not match %s (%d) + %s (%d), salt %d",
		     m->sa_id, m->enc_key_len, m->auth_key_len, m->salt_len,
		     rp_cipher_name(m->cipher), rp_cipher_key_len(m->cipher),
		     rp_integ_name(m->integ), rp_integ_key_len(m->integ),
		     rp_cipher_salt_len(m->cipher));
		goto out;
	}
	if (aead && m->integ != RP_INTEG_NONE) {
		fail(err, errlen, rc, "SA %u: %s is an AEAD cipher and takes no integrity algorithm",
		     m->sa_id, rp_cipher_name(m->cipher));
		goto out;
	}
	if (!aead && m->integ == RP_INTEG_NONE &&
	    !(allow_no_integ && m->cipher != RP_CIPHER_NULL)) {
		/* RFC 8221 section 5: AUTH_NONE only with AEAD. */
		fail(err, errlen, rc, "SA %u: %s needs an integrity algorithm (AUTH_NONE is only for "
		     "AEAD ciphers)", m->sa_id, rp_cipher_name(m->cipher));
		goto out;
	}
	if (m->integ != RP_INTEG_NONE && !integ_lookup(m->integ, &ii)) {
		fail(err, errlen, rc, "SA %u: integrity %u unsupported", m->sa_id, m->integ);
		goto out;
	}
	if ((m->flags & RP_SAF_NATT) && (!m->natt_sport || !m->natt_dport)) {
		fail(err, errlen, rc, "SA %u: NAT-T without both UDP ports", m->sa_id);
		goto out;
	}
	if (inbound && (m->n_ts < 1 || m->n_ts > RP_SA_TS_MAX)) {
		fail(err, errlen, rc, "SA %u: inbound SA with %u traffic selectors, expected 1..%u",
		     m->sa_id, m->n_ts, RP_SA_TS_MAX);
		goto out;
	}
	for (unsigned int i = 0; inbound && i < m->n_ts; i++) {
		const struct rp_prefix *p = &m->ts[i];

		if ((p->af != 4 && p->af != 6) || p->plen > (p->af == 4 ? 32 : 128)) {
			fail(err, errlen, rc, "SA %u: traffic selector %u is not a valid prefix (af %u, "
			     "length %u)", m->sa_id, i, p->af, p->plen);
			goto out;
		}
		ts_build(&sa->ts[i], p);
	}
	sa->n_ts = inbound ? m->n_ts : 0;
	if (esp_replay_init(&sa->replay, (m->flags & RP_SAF_NO_REPLAY) ? ESP_REPLAY_WIN_MIN :
			    m->replay_window) != 0) {
		fail(err, errlen, rc, "SA %u: replay window %u, expected %u..%u in steps of 64",
		     m->sa_id, m->replay_window, ESP_REPLAY_WIN_MIN, ESP_REPLAY_WIN_MAX);
		goto out;
	}

	sa->sa_id = m->sa_id;
	sa->spi = m->spi;
	sa->rp_cipher = m->cipher;
	sa->flags = (uint16_t)(((m->flags & RP_SAF_ESN) ? ESP_SAF_ESN : 0) |
			       ((m->flags & RP_SAF_NATT) ? ESP_SAF_NATT : 0) |
			       ((m->flags & RP_SAF_NO_REPLAY) ? ESP_SAF_NO_REPLAY : 0) |
			       (m->outer_af == 6 ? ESP_SAF_OUTER_V6 : 0) |
			       (inbound ? ESP_SAF_INBOUND : 0) |
			       (m->integ != RP_INTEG_NONE ? ESP_SAF_HMAC : 0));
	sa->icv_len = (uint8_t)(aead ? 16 : rp_integ_icv_len(m->integ));
	sa->key_len = m->enc_key_len;
	sa->pad_align = 4;
	sa->aad_len = (m->flags & RP_SAF_ESN) ? 12 : 8;
	sa->hash_alg = m->integ != RP_INTEG_NONE ? ii.hash : IMB_AUTH_NULL;

	switch (m->cipher) {
	case RP_CIPHER_NULL:
		sa->alg = ESP_ALG_NULL_HMAC;
		sa->cipher_mode = IMB_CIPHER_NULL;
		break;
	case RP_CIPHER_AES_CBC_128:
	case RP_CIPHER_AES_CBC_256:
		sa->alg = m->integ != RP_INTEG_NONE ? ESP_ALG_CBC_HMAC : ESP_ALG_CBC_ONLY;
		sa->cipher_mode = IMB_CIPHER_CBC;
		sa->iv_len = 16;
		sa->pad_align = 16;
		if (m->cipher == RP_CIPHER_AES_CBC_128)
			IMB_AES_KEYEXP_128(mgr, m->enc_key, sa->key.aes.enc, sa->key.aes.dec);
		else
			IMB_AES_KEYEXP_256(mgr, m->enc_key, sa->key.aes.enc, sa->key.aes.dec);
		if (!inbound) {
			if (getrandom(ivk, sizeof(ivk), 0) != (ssize_t)sizeof(ivk)) {
				rc = fail(err, errlen, -EIO, "SA %u: no randomness for the CBC IV key",
					  m->sa_id);
				goto out;
			}
			IMB_AES_KEYEXP_128(mgr, ivk, sa->iv_key, scratch);
		}
		break;
	case RP_CIPHER_AES_GCM_128:
	case RP_CIPHER_AES_GCM_256:
		sa->alg = ESP_ALG_GCM;
		sa->cipher_mode = IMB_CIPHER_GCM;
		sa->hash_alg = IMB_AUTH_AES_GMAC;
		sa->iv_len = 8;
		if (m->cipher == RP_CIPHER_AES_GCM_128)
			IMB_AES128_GCM_PRE(mgr, m->enc_key, &sa->key.gcm);
		else
			IMB_AES256_GCM_PRE(mgr, m->enc_key, &sa->key.gcm);
		memcpy(sa->salt, m->salt, 4);
		break;
	case RP_CIPHER_CHACHA20_POLY1305:
		sa->alg = ESP_ALG_CHACHA;
		sa->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
		sa->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
		sa->iv_len = 8;
		memcpy(sa->key.chacha, m->enc_key, 32);
		memcpy(sa->salt, m->salt, 4);
		break;
	default:
		fail(err, errlen, rc, "SA %u: cipher %s unsupported", m->sa_id,
		     rp_cipher_name(m->cipher));
		goto out;
	}
	if (m->integ != RP_INTEG_NONE)
		hmac_precompute(mgr, sa, &ii, m->auth_key, m->auth_key_len);
	/* how the packet path orders its jobs (esp_priv.h): decided here, once */
	if ((sa->flags & ESP_SAF_HMAC) || (!inbound && sa->alg == ESP_ALG_CBC_ONLY))
		sa->flags |= ESP_SAF_LANES;
	if (!inbound && sa->alg == ESP_ALG_CBC_HMAC)
		sa->flags |= ESP_SAF_TWO_PASS;

	sa->tunnel_mtu = m->tunnel_mtu;
	tmpl_build(sa, m);
	sa->hdr_len = (uint8_t)(sa->outer_len + ESP_HDR_LEN + sa->iv_len);
	sa->seq = m->seq_start;
	sa->hard_packets = m->hard_packets ? m->hard_packets : UINT64_MAX;
	sa->hard_bytes = m->hard_bytes ? m->hard_bytes : UINT64_MAX;
	rc = esp_sa_probe(mgr, sa);
	if (rc) {
		fail(err, errlen, -EINVAL, "SA %u: intel-ipsec-mb refuses its crypto jobs: %s",
		     m->sa_id, rc > 0 ? imb_get_strerror(rc) : "job not completed");
		rc = -EINVAL;
		goto out;
	}
out:
	explicit_bzero(ivk, sizeof(ivk));
	explicit_bzero(scratch, sizeof(scratch));
	if (rc)
		esp_sa_wipe(sa);
	return rc;
}

void esp_sa_wipe(struct esp_sa *sa)
{
	explicit_bzero(sa, sizeof(*sa));
}

bool esp_sa_ts_ok(const struct esp_sa *sa, const struct rte_mbuf *inner)
{
	const uint8_t *p = rte_pktmbuf_mtod(inner, const uint8_t *);

	return esp_ts_match(sa, p, p[0] >> 4 == 4 ? 4 : 6);
}
