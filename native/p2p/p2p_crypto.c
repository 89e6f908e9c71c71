/*
 * P2P transport — every cryptographic primitive, from mbedTLS (Debian's
 * libmbedtls-dev 2.28 on Linux; a board brings its own mbedTLS). Nothing here
 * is home-made: this file only adapts calling conventions.
 *
 *   X25519 (mbedtls_ecp, MBEDTLS_ECP_DP_CURVE25519) ephemeral key exchange;
 *   HKDF-SHA256 (mbedtls_hkdf) for the per-direction keys;
 *   ChaCha20-Poly1305 (mbedtls_chachapoly, RFC 8439) for every packet: the
 *   cheapest AEAD where there is no GHASH hardware — an ESP32-S3 accelerates
 *   AES blocks but not GCM's GHASH, nor does mbedTLS on 32-bit x86 or ARM
 *   (a 1,200-byte packet: 204 k instructions with AES-128-GCM, 69 k with
 *   this, on the 32-bit host; README.md "What the app asks of a board's CPU");
 *   HMAC-SHA256 (mbedtls_md) for tickets.
 *
 * Only mbedTLS 2.28 is built and tested here, so 3.x is refused at compile
 * time rather than guessed.
 */
#include "p2p_internal.h"

#include <mbedtls/ecdh.h>
#include <mbedtls/ecp.h>
#include <mbedtls/chachapoly.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include <string.h>

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#error "p2p_crypto.c is written and tested for mbedTLS 2.28; port it to mbedTLS 3"
#endif

struct p2p_aead {
	mbedtls_chachapoly_context cp;
	uint8_t iv[P2P_IV];
};

size_t p2p_aead_size(void)
{
	return sizeof(p2p_aead);
}

int p2p_aead_init(p2p_aead *a, const uint8_t key[P2P_KEY], const uint8_t iv[P2P_IV])
{
	mbedtls_chachapoly_init(&a->cp);
	memcpy(a->iv, iv, P2P_IV);
	return mbedtls_chachapoly_setkey(&a->cp, key) ? IVXS_P2P_ECRYPTO : 0;
}

void p2p_aead_free(p2p_aead *a)
{
	if (!a)
		return;
	mbedtls_chachapoly_free(&a->cp);
	p2p_wipe(a->iv, sizeof(a->iv));
}

/* Nonce = IV xor the packet number in its last four bytes (as TLS 1.3 / QUIC). */
static void nonce(const p2p_aead *a, uint32_t pn, uint8_t out[P2P_IV])
{
	memcpy(out, a->iv, P2P_IV);
	out[8] ^= (uint8_t)(pn >> 24);
	out[9] ^= (uint8_t)(pn >> 16);
	out[10] ^= (uint8_t)(pn >> 8);
	out[11] ^= (uint8_t)pn;
}

int p2p_aead_seal(p2p_aead *a, uint32_t pn, const uint8_t *aad, size_t aad_len, const uint8_t *head, size_t head_len,
		const uint8_t *body, size_t body_len, uint8_t *out, uint8_t tag[P2P_TAG])
{
	uint8_t iv[P2P_IV];
	nonce(a, pn, iv);
	/* the body follows the head in one stream, from where it lies (zero-copy) */
	if (mbedtls_chachapoly_starts(&a->cp, iv, MBEDTLS_CHACHAPOLY_ENCRYPT)
			|| mbedtls_chachapoly_update_aad(&a->cp, aad, aad_len)
			|| (head_len && mbedtls_chachapoly_update(&a->cp, head_len, head, out))
			|| (body_len && mbedtls_chachapoly_update(&a->cp, body_len, body, out + head_len))
			|| mbedtls_chachapoly_finish(&a->cp, tag))
		return IVXS_P2P_ECRYPTO;
	return 0;
}

int p2p_aead_open(p2p_aead *a, uint32_t pn, const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
		const uint8_t tag[P2P_TAG], uint8_t *out)
{
	uint8_t iv[P2P_IV];
	nonce(a, pn, iv);
	return mbedtls_chachapoly_auth_decrypt(&a->cp, len, iv, aad, aad_len, tag, in, out) ? IVXS_P2P_EAUTH : 0;
}

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
	int status = IVXS_P2P_ECRYPTO;
	mbedtls_ecp_group_init(&grp);
	mbedtls_mpi_init(&d);
	mbedtls_ecp_point_init(&q);
	if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_CURVE25519)
			|| mbedtls_ecp_gen_keypair(&grp, &d, &q, rng, &r)
			|| mbedtls_mpi_write_binary_le(&d, priv, 32)
			|| mbedtls_mpi_write_binary_le(&q.X, pub, 32))
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
	/* RFC 7748 §5: the top bit of the u-coordinate is ignored */
	memcpy(u, peer, 32);
	u[31] &= 0x7f;
	if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_CURVE25519)
			|| mbedtls_mpi_read_binary_le(&d, priv, 32)
			|| mbedtls_mpi_read_binary_le(&q.X, u, 32)
			|| mbedtls_mpi_lset(&q.Z, 1))
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
	mbedtls_sha256_context sha;
	int status = IVXS_P2P_ECRYPTO;
	mbedtls_sha256_init(&sha);
	if (mbedtls_sha256_starts_ret(&sha, 0)
			|| (a_len && mbedtls_sha256_update_ret(&sha, a, a_len))
			|| (b_len && mbedtls_sha256_update_ret(&sha, b, b_len))
			|| mbedtls_sha256_finish_ret(&sha, out))
		goto done;
	status = 0;
done:
	mbedtls_sha256_free(&sha);
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
