/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Fuzz the dynamic authorization server's request handling (dae_handle()): the datagram is
 * signed with the client's secret first (Request Authenticator, and the
 * Message-Authenticator if it has one), so that what parses reaches the attribute checks,
 * the session matching against a small table and the building of the ACK / NAK, which must
 * parse again. Seeds: Disconnect- and CoA-Requests captured from FreeRADIUS's radclient. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "controlplane/aaa/dae.h"
#include "controlplane/aaa/radius.h"

#define SECRET "s3cret-dae"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void each(void *arg, void (*fn)(const struct dae_session *s, void *fn_arg), void *fn_arg)
{
	struct dae_session s = { .id = 3, .user = "alice", .acct_sid = "6560A1B2-00000003",
				 .calling = "192.0.2.13", .has_framed4 = true,
				 .framed4 = { 198, 18, 0, 3 } };

	(void)arg;
	fn(&s, fn_arg);
	s.id = 4;
	s.user = "";
	fn(&s, fn_arg);
}

static int disc(void *arg, uint32_t id)
{
	(void)arg;
	return id == 4 ? -5 : 0;
}

static int coa(void *arg, uint32_t id, uint32_t t)
{
	(void)arg;
	(void)id;
	(void)t;
	return 0;
}

/* Sign @p buf (@p len octets, a parsed request @p p) as a client with SECRET would. */
static void sign(uint8_t *buf, size_t len, const struct radius_pkt *p)
{
	unsigned ml = 16;
	uint8_t md[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *c;

	memset(buf + 4, 0, 16);
	if (p->ma_index >= 0) {
		memset(buf + p->ma_off, 0, 16);
		HMAC(EVP_md5(), SECRET, (int)strlen(SECRET), buf, len, md, &ml);
		memcpy(buf + p->ma_off, md, 16);
	}
	c = EVP_MD_CTX_new();
	if (!c)
		return;
	EVP_DigestInit_ex(c, EVP_md5(), NULL);
	EVP_DigestUpdate(c, buf, len);
	EVP_DigestUpdate(c, SECRET, strlen(SECRET));
	EVP_DigestFinal_ex(c, md, &ml);
	EVP_MD_CTX_free(c);
	memcpy(buf + 4, md, 16);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dae *d;
	static struct radius_pkt p;
	static uint8_t buf[RADIUS_MAX_LEN], out[RADIUS_MAX_LEN];
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(1700) };
	size_t n;

	if (!d) {
		struct dae_cfg c;
		struct dae_ops ops = { .foreach = each, .disconnect = disc, .session_timeout = coa };

		memset(&c, 0, sizeof(c));
		c.n_clients = 1;
		c.client[0].addr.ss_family = AF_INET;
		inet_pton(AF_INET, "127.0.0.1",
			  &((struct sockaddr_in *)&c.client[0].addr)->sin_addr);
		memcpy(c.client[0].secret, SECRET, strlen(SECRET));
		c.client[0].secret_len = strlen(SECRET);
		c.ts_window_s = 300;
		if (dae_new(NULL, &c, &ops, &d))
			abort();
	}
	inet_pton(AF_INET, "127.0.0.1", &from.sin_addr);
	if (size > sizeof(buf))
		size = sizeof(buf);
	memcpy(buf, data, size);
	/* as it came, then signed (the length of the header counts, not the datagram's) */
	n = dae_handle(d, (struct sockaddr *)&from, sizeof(from), buf, size, 1700000000, out,
		       sizeof(out));
	if (n && radius_parse(out, n, &p) != RADIUS_PERR_OK)
		abort();
	if (radius_parse(buf, size, &p) != RADIUS_PERR_OK)
		return 0;
	sign(buf, p.length, &p);
	n = dae_handle(d, (struct sockaddr *)&from, sizeof(from), buf, size, 1700000000, out,
		       sizeof(out));
	if (n && radius_parse(out, n, &p) != RADIUS_PERR_OK)
		abort();
	return 0;
}
