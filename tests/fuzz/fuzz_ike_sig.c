/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Fuzz what IKE_AUTH takes from the wire for certificate authentication
 * (controlplane/ike/ike_cert.c): the AUTH data of every signature method (RFC 7427
 * AlgorithmIdentifiers, RSA-PSS parameters, classic ECDSA r|s), IDi against a certificate
 * (DN, FQDN, e-mail, addresses), and the peer's certificate itself.
 *
 * Input: method | key (0 RSA, 1 P-256, 2 P-384, else the certificate's) | IDi type |
 * u16 L1 | L1 bytes of AUTH data | u16 L2 | L2 bytes of IDi | the rest: a DER certificate
 * (when it parses, IDi is checked against it and AUTH verified with its key).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/log.h"
#include "controlplane/ike/ike_cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *keys[3];

static void init(void)
{
	if (keys[0])
		return;
	rp_log_init("fuzz", RP_LOG_STDERR, RP_LOG_ERR);
	keys[0] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	keys[1] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	keys[2] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	if (!keys[0] || !keys[1] || !keys[2])
		abort();
}

static bool take(const uint8_t **p, size_t *left, const uint8_t **out, size_t *len)
{
	size_t l;

	if (*left < 2)
		return false;
	l = (size_t)(*p)[0] << 8 | (*p)[1];
	if (l > *left - 2)
		return false;
	*out = *p + 2;
	*len = l;
	*p += 2 + l;
	*left -= 2 + l;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t octets[] = "InitiatorSignedOctets";
	const uint8_t *p = data + 3, *auth, *id;
	size_t left, alen, idlen;
	uint8_t method, key, idt;
	X509 *cert = NULL;
	char why[256];

	init();
	if (size < 3)
		return 0;
	method = data[0];
	key = data[1];
	idt = data[2];
	left = size - 3;
	if (!take(&p, &left, &auth, &alen) || !take(&p, &left, &id, &idlen))
		return 0;
	if (left) {
		const unsigned char *c = p;

		cert = d2i_X509(NULL, &c, (long)left);
	}
	if (cert) {
		EVP_PKEY *pk = X509_get0_pubkey(cert);

		(void)ike_id_bound(cert, idt, id, idlen, why, sizeof(why));
		if (pk && key > 2)
			(void)ike_sig_verify(pk, method, auth, alen, octets, sizeof(octets), why,
					     sizeof(why));
		X509_free(cert);
	}
	if (key <= 2)
		(void)ike_sig_verify(keys[key], method, auth, alen, octets, sizeof(octets), why,
				     sizeof(why));
	return 0;
}
