/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Regenerates the fuzz_ike_auth seed corpus from the strongSwan captures: the decrypted
 * IKE_AUTH and INFORMATIONAL requests of each session, in fuzz_ike_auth.c's input format.
 * usage: build/tests/fuzz/gen_ike_auth_seeds tests/fuzz/corpus/ike_auth */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/ike/crypto.h"
#include "../ike/sswan_capture.h"

static size_t open_chain(const struct ike_suite *s, const uint8_t *ek, const uint8_t *ak,
			 const uint8_t *msg, size_t len, uint8_t *first, uint8_t *out)
{
	static struct ike_msg m;
	struct ike_alg a;
	size_t pl;

	if (ike_alg_init(s, true, &a) || ike_msg_parse(msg, len, &m, NULL) != IKE_PERR_OK ||
	    ike_sk_open(&a, ek, ak, &m, out, 4096, &pl))
		exit(1);
	*first = m.sk_next;
	return pl;
}

static void seed(const char *dir, const char *name, const struct ike_suite *s,
		 const uint8_t *ek, const uint8_t *ak, const uint8_t *m2, size_t l2,
		 const uint8_t *m4, size_t l4)
{
	uint8_t c1[4096], c2[4096], f1, f2, hdr[3];
	size_t n1 = open_chain(s, ek, ak, m2, l2, &f1, c1);
	size_t n2 = open_chain(s, ek, ak, m4, l4, &f2, c2);
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	if (!fp)
		exit(1);
	hdr[0] = (uint8_t)(n1 >> 8), hdr[1] = (uint8_t)n1, hdr[2] = f1;
	fwrite(hdr, 1, 3, fp);
	fwrite(c1, 1, n1, fp);
	fwrite(&f2, 1, 1, fp);
	fwrite(c2, 1, n2, fp);
	fclose(fp);
}

int main(int argc, char **argv)
{
	struct ike_suite cbc = { IKE_ENCR_AES_CBC, 128, IKE_PRF_HMAC_SHA2_256,
				 IKE_INTEG_HMAC_SHA2_256_128, IKE_DH_MODP2048, false };
	struct ike_suite gcm = { IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_384, IKE_INTEG_NONE,
				 IKE_DH_ECP384, false };
	struct ike_suite cc = { IKE_ENCR_CHACHA20_POLY1305, 0, IKE_PRF_HMAC_SHA2_512,
				IKE_INTEG_NONE, IKE_DH_CURVE25519, false };

	if (argc != 2)
		return 2;
	seed(argv[1], "sswan_cbc128", &cbc, ss_cbc128_modp2048_sk_ei, ss_cbc128_modp2048_sk_ai,
	     ss_cbc128_modp2048_m2, sizeof(ss_cbc128_modp2048_m2), ss_cbc128_modp2048_m4,
	     sizeof(ss_cbc128_modp2048_m4));
	seed(argv[1], "sswan_gcm256", &gcm, ss_gcm256_ecp384_sk_ei, NULL, ss_gcm256_ecp384_m2,
	     sizeof(ss_gcm256_ecp384_m2), ss_gcm256_ecp384_m4, sizeof(ss_gcm256_ecp384_m4));
	seed(argv[1], "sswan_chacha", &cc, ss_chacha_x25519_sk_ei, NULL, ss_chacha_x25519_m2,
	     sizeof(ss_chacha_x25519_m2), ss_chacha_x25519_m4, sizeof(ss_chacha_x25519_m4));
	return 0;
}
