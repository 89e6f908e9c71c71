/*
 * P2P transport — the cryptographic primitives of the handshake and tickets,
 * from mbedTLS (Debian's libmbedtls-dev 2.28 on Linux; a board brings its own
 * mbedTLS). Nothing here is home-made: this file only adapts calling
 * conventions.
 *
 *   X25519 (mbedtls_ecp, MBEDTLS_ECP_DP_CURVE25519) ephemeral key exchange;
 *   HKDF-SHA256 (mbedtls_hkdf) for the per-direction keys;
 *   HMAC-SHA256 (mbedtls_md) for tickets.
 *
 * The packets' AEAD, ChaCha20-Poly1305, is p2p_aead.c: the one primitive run
 * per packet, written here for its instruction count (its header says why).
 *
 * Only mbedTLS 2.28 is built and tested here, so 3.x is refused at compile
 * time rather than guessed.
 */
#include "p2p_internal.h"

#include <mbedtls/ecdh.h>
#include <mbedtls/ecp.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/version.h>

#include <string.h>

/* Only calls that 2.28 (Debian) and 3.x (ESP-IDF 5) both have, with the same meaning: no
 * struct fields (3.x made them private) and no *_ret functions (3.x dropped the suffix). Built
 * and tested against both (native/p2p/README.md "mbedTLS versions"); 4.x moved to PSA only. */
#if MBEDTLS_VERSION_NUMBER < 0x021C0000 || MBEDTLS_VERSION_NUMBER >= 0x04000000
#error "p2p_crypto.c is written and tested for mbedTLS 2.28 and 3.6"
#endif

typedef struct {
	p2p_random_fn fn;
	void *ctx;
} rng_adapter;

static int rng(void *p, unsigned char *out, size_t size)
{
	const rng_adapter *r = p;
	return r->fn(r->ctx, out, size) ? MBEDTLS_ERR_ECP_RANDOM_FAILED : 0;
}

int p2p_x25519_keypair(p2p_random_fn rnd, void *ctx, uint8_t priv[32], uint8_t pub[32])
{
	mbedtls_ecp_group grp;
	mbedtls_mpi d;
	mbedtls_ecp_point q;
	rng_adapter r = { rnd, ctx };
	size_t length = 0;
	int status = IVXS_P2P_ECRYPTO;
	mbedtls_ecp_group_init(&grp);
	mbedtls_mpi_init(&d);
	mbedtls_ecp_point_init(&q);
	if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_CURVE25519)
			|| mbedtls_ecp_gen_keypair(&grp, &d, &q, rng, &r)
			|| mbedtls_mpi_write_binary_le(&d, priv, 32)
			/* a Montgomery point is its u-coordinate, little-endian (RFC 7748) */
			|| mbedtls_ecp_point_write_binary(&grp, &q, MBEDTLS_ECP_PF_UNCOMPRESSED, &length, pub, 32)
			|| length != 32)
		goto done;
	status = 0;
done:
	mbedtls_ecp_point_free(&q);
	mbedtls_mpi_free(&d);
	mbedtls_ecp_group_free(&grp);
	return status;
}

int p2p_x25519_shared(p2p_random_fn rnd, void *ctx, const uint8_t priv[32], const uint8_t peer[32], uint8_t shared[32])
{
	mbedtls_ecp_group grp;
	mbedtls_mpi d, z;
	mbedtls_ecp_point q;
	rng_adapter r = { rnd, ctx };
	uint8_t u[32], zero = 0;
	int i, status = IVXS_P2P_ECRYPTO;
	mbedtls_ecp_group_init(&grp);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&z);
	mbedtls_ecp_point_init(&q);
	/* RFC 7748 §5: the top bit of the u-coordinate is ignored (mbedTLS's reader clears it too) */
	memcpy(u, peer, 32);
	u[31] &= 0x7f;
	if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_CURVE25519)
			|| mbedtls_mpi_read_binary_le(&d, priv, 32)
			|| mbedtls_ecp_point_read_binary(&grp, &q, u, 32))
		goto done;
	/* mbedTLS refuses low-order points here; a refusal is the peer's fault */
	if (mbedtls_ecdh_compute_shared(&grp, &z, &q, &d, rng, &r)) {
		status = IVXS_P2P_EWEAKKEY;
		goto done;
	}
	if (mbedtls_mpi_write_binary_le(&z, shared, 32))
		goto done;
	for (i = 0; i < 32; i++)
		zero |= shared[i];
	status = zero ? 0 : IVXS_P2P_EWEAKKEY;
done:
	mbedtls_ecp_point_free(&q);
	mbedtls_mpi_free(&z);
	mbedtls_mpi_free(&d);
	mbedtls_ecp_group_free(&grp);
	return status;
}

int p2p_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
		uint8_t out[32])
{
	mbedtls_md_context_t md;
	int status = IVXS_P2P_ECRYPTO;
	mbedtls_md_init(&md);
	if (mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1)
			|| mbedtls_md_hmac_starts(&md, key, key_len)
			|| (a_len && mbedtls_md_hmac_update(&md, a, a_len))
			|| (b_len && mbedtls_md_hmac_update(&md, b, b_len))
			|| mbedtls_md_hmac_finish(&md, out))
		goto done;
	status = 0;
done:
	mbedtls_md_free(&md);
	return status;
}

int p2p_sha256(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len, uint8_t out[32])
{
	mbedtls_md_context_t md;
	int status = IVXS_P2P_ECRYPTO;
	mbedtls_md_init(&md);
	if (mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 0)
			|| mbedtls_md_starts(&md)
			|| (a_len && mbedtls_md_update(&md, a, a_len))
			|| (b_len && mbedtls_md_update(&md, b, b_len))
			|| mbedtls_md_finish(&md, out))
		goto done;
	status = 0;
done:
	mbedtls_md_free(&md);
	return status;
}

int p2p_hkdf(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len,
		uint8_t *out, size_t out_len)
{
	return mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), salt, salt_len, ikm, ikm_len, info, info_len,
			out, out_len) ? IVXS_P2P_ECRYPTO : 0;
}

int p2p_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t diff = 0;
	size_t i;
	for (i = 0; i < n; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

void p2p_wipe(void *p, size_t n)
{
	mbedtls_platform_zeroize(p, n);
}
