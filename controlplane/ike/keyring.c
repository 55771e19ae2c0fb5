/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* PSK keyring and authenticator (RFC 7296 §2.15). See keyring.h. */
#include "controlplane/ike/keyring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"

struct key_entry {
	struct key_entry *next;
	uint8_t id_type;
	size_t id_len, psk_len;
	uint8_t id[IKE_KEYRING_ID_MAX];
	uint8_t psk[IKE_KEYRING_PSK_MAX];
};

struct ike_keyring {
	struct key_entry *keys;
};

int ike_keyring_create(struct ike_keyring **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void ike_keyring_destroy(struct ike_keyring *k)
{
	if (!k)
		return;
	while (k->keys) {
		struct key_entry *n = k->keys->next;

		OPENSSL_cleanse(k->keys, sizeof(*k->keys));
		free(k->keys);
		k->keys = n;
	}
	free(k);
}

static uint8_t ascii_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static bool id_match(const struct key_entry *e, uint8_t type, const uint8_t *id, size_t len)
{
	if (e->id_type != type || e->id_len != len)
		return false;
	if (type == IKE_ID_FQDN || type == IKE_ID_RFC822_ADDR) {
		for (size_t i = 0; i < len; i++)
			if (ascii_lower(e->id[i]) != ascii_lower(id[i]))
				return false;
		return true;
	}
	return !memcmp(e->id, id, len);
}

static struct key_entry *lookup(const struct ike_keyring *k, uint8_t type, const uint8_t *id,
				size_t len)
{
	for (struct key_entry *e = k->keys; e; e = e->next)
		if (id_match(e, type, id, len))
			return e;
	return NULL;
}

int ike_keyring_add(struct ike_keyring *k, uint8_t id_type, const void *id, size_t id_len,
		    const void *psk, size_t psk_len)
{
	struct key_entry *e;

	if (!id_len || id_len > IKE_KEYRING_ID_MAX || !psk_len || psk_len > IKE_KEYRING_PSK_MAX)
		return -EINVAL;
	e = lookup(k, id_type, id, id_len);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		e->next = k->keys;
		k->keys = e;
	}
	OPENSSL_cleanse(e->psk, sizeof(e->psk));
	e->id_type = id_type;
	e->id_len = id_len;
	memcpy(e->id, id, id_len);
	e->psk_len = psk_len;
	memcpy(e->psk, psk, psk_len);
	return 0;
}

/* §2.15: AUTH = prf(prf(PSK, "Key Pad for IKEv2"), <SignedOctets>), both directions. */
static int psk_verify(void *arg, const struct ike_auth_query *q, struct ike_auth_result *res,
		      ike_auth_done_fn done, void *done_arg)
{
	const struct ike_keyring *k = arg;
	const struct key_entry *e;
	uint8_t want[IKE_PRF_MAX];
	size_t plen = ike_prf_len(q->prf);

	(void)done;
	(void)done_arg;
	memset(res, 0, sizeof(*res));
	res->status = -EACCES;
	if (q->method != IKE_AUTH_PSK || !plen)
		goto out;
	e = lookup(k, q->id_type, q->id, q->id_len);
	if (!e)
		goto out;
	if (ike_auth_psk(q->prf, e->psk, e->psk_len, q->octets_i, q->octets_i_len, want)) {
		res->status = -EIO;
		goto out;
	}
	if (q->auth_len != plen || CRYPTO_memcmp(want, q->auth, plen) != 0)
		goto out;
	if (ike_auth_psk(q->prf, e->psk, e->psk_len, q->octets_r, q->octets_r_len, res->auth)) {
		res->status = -EIO;
		goto out;
	}
	res->method = IKE_AUTH_PSK;
	res->auth_len = plen;
	res->status = 0;
out:
	OPENSSL_cleanse(want, sizeof(want));
	return 0;
}

static void psk_cancel(void *arg, void *done_arg)
{
	(void)arg;
	(void)done_arg; /* nothing is ever pending */
}

void ike_keyring_authenticator(struct ike_keyring *k, struct ike_authenticator *out)
{
	out->verify = psk_verify;
	out->cancel = psk_cancel;
	out->arg = k;
}
