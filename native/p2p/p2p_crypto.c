/*
 * P2P transport — the cryptographic primitives of the handshake and tickets,
 * through the PSA Crypto API: the one interface every Mbed TLS line the project
 * meets has (Debian 12's 2.28 on the Linux host, Debian 13's 3.6 in the checks,
 * ESP-IDF 6's Mbed TLS 4 / TF-PSA-Crypto 1.0 on the board, where the legacy
 * ecp/hkdf/md headers are private and IDF's PSA drivers reach the S3's SHA
 * engine). Nothing here is home-made: this file only adapts calling
 * conventions.
 *
 *   X25519 (PSA_ALG_ECDH on a Montgomery key) ephemeral key exchange;
 *   HKDF-SHA256 (PSA_ALG_HKDF) for the per-direction keys;
 *   HMAC-SHA256 (PSA_ALG_HMAC) for tickets and cookies; SHA-256.
 *
 * Keys live in PSA's key store only for the call that uses them (volatile,
 * destroyed before return): the session keeps raw bytes, wiped when it ends.
 * The private key's bytes come from the caller's random source, so the
 * handshake stays deterministic under test.
 *
 * The packets' AEAD, ChaCha20-Poly1305, is p2p_aead.c: the one primitive run
 * per packet, written here for its instruction count (its header says why).
 */
#include "p2p_internal.h"

#include <mbedtls/platform_util.h>
#include <psa/crypto.h>

#include <string.h>

#define X25519_BITS 255

/* A volatile key of `type` for `alg` and `usage`, from raw bytes. */
static psa_status_t importKey(psa_key_type_t type, size_t bits, psa_algorithm_t alg, psa_key_usage_t usage,
		const uint8_t *bytes, size_t len, psa_key_id_t *id)
{
	psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
	psa_status_t status = psa_crypto_init();   /* once; later calls return at once */
	if (status != PSA_SUCCESS)
		return status;
	psa_set_key_type(&attributes, type);
	psa_set_key_bits(&attributes, bits);
	psa_set_key_algorithm(&attributes, alg);
	psa_set_key_usage_flags(&attributes, usage);
	status = psa_import_key(&attributes, bytes, len, id);
	psa_reset_key_attributes(&attributes);
	return status;
}

static psa_status_t importX25519(const uint8_t priv[32], psa_key_id_t *id)
{
	/* RFC 7748 §5's clamping is the key's: any 32 bytes are a private key */
	return importKey(PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_MONTGOMERY), X25519_BITS, PSA_ALG_ECDH,
			PSA_KEY_USAGE_DERIVE, priv, 32, id);
}

int p2p_x25519_keypair(p2p_random_fn rnd, void *ctx, uint8_t priv[32], uint8_t pub[32])
{
	psa_key_id_t id = 0;
	size_t length = 0;
	int status = IVXS_P2P_ECRYPTO;
	if (rnd(ctx, priv, 32) || importX25519(priv, &id) != PSA_SUCCESS)
		goto done;
	/* a Montgomery public key is its u-coordinate, little-endian (RFC 7748) */
	if (psa_export_public_key(id, pub, 32, &length) == PSA_SUCCESS && length == 32)
		status = 0;
done:
	psa_destroy_key(id);   /* 0: nothing to destroy */
	if (status)
		mbedtls_platform_zeroize(priv, 32);
	return status;
}

int p2p_x25519_shared(p2p_random_fn rnd, void *ctx, const uint8_t priv[32], const uint8_t peer[32], uint8_t shared[32])
{
	psa_key_id_t id = 0;
	uint8_t u[32], zero = 0;
	size_t length = 0, i;
	int status = IVXS_P2P_ECRYPTO;
	(void)rnd;   /* the agreement takes no randomness through PSA (its blinding is the library's own) */
	(void)ctx;
	if (importX25519(priv, &id) != PSA_SUCCESS)
		goto done;
	/* RFC 7748 §5: the top bit of the u-coordinate is ignored */
	memcpy(u, peer, 32);
	u[31] &= 0x7f;
	/* PSA refuses some low-order points itself; the all-zero check below catches the rest:
	 * either way a refusal is the peer's fault */
	if (psa_raw_key_agreement(PSA_ALG_ECDH, id, u, 32, shared, 32, &length) != PSA_SUCCESS || length != 32) {
		status = IVXS_P2P_EWEAKKEY;
		goto done;
	}
	for (i = 0; i < 32; i++)
		zero |= shared[i];
	status = zero ? 0 : IVXS_P2P_EWEAKKEY;
done:
	psa_destroy_key(id);
	if (status)
		mbedtls_platform_zeroize(shared, 32);
	return status;
}

int p2p_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
		uint8_t out[32])
{
	psa_mac_operation_t mac = PSA_MAC_OPERATION_INIT;
	psa_key_id_t id = 0;
	uint8_t tag[32];
	size_t length = 0;
	int status = IVXS_P2P_ECRYPTO;
	if (!key_len   /* PSA keys have at least one byte; every key here has 32 */
			|| importKey(PSA_KEY_TYPE_HMAC, 8 * key_len, PSA_ALG_HMAC(PSA_ALG_SHA_256), PSA_KEY_USAGE_SIGN_MESSAGE,
				key, key_len, &id) != PSA_SUCCESS
			|| psa_mac_sign_setup(&mac, id, PSA_ALG_HMAC(PSA_ALG_SHA_256)) != PSA_SUCCESS
			|| (a_len && psa_mac_update(&mac, a, a_len) != PSA_SUCCESS)
			|| (b_len && psa_mac_update(&mac, b, b_len) != PSA_SUCCESS)
			|| psa_mac_sign_finish(&mac, tag, sizeof(tag), &length) != PSA_SUCCESS || length != 32)
		goto done;
	memcpy(out, tag, 32);   /* `out` may be `a` or `b`: written once both are read */
	status = 0;
done:
	psa_mac_abort(&mac);
	psa_destroy_key(id);
	mbedtls_platform_zeroize(tag, sizeof(tag));
	return status;
}

int p2p_sha256(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len, uint8_t out[32])
{
	psa_hash_operation_t hash = PSA_HASH_OPERATION_INIT;
	size_t length = 0;
	int status = IVXS_P2P_ECRYPTO;
	if (psa_crypto_init() != PSA_SUCCESS
			|| psa_hash_setup(&hash, PSA_ALG_SHA_256) != PSA_SUCCESS
			|| (a_len && psa_hash_update(&hash, a, a_len) != PSA_SUCCESS)
			|| (b_len && psa_hash_update(&hash, b, b_len) != PSA_SUCCESS)
			|| psa_hash_finish(&hash, out, 32, &length) != PSA_SUCCESS || length != 32)
		goto done;
	status = 0;
done:
	psa_hash_abort(&hash);
	return status;
}

int p2p_hkdf(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len,
		uint8_t *out, size_t out_len)
{
	psa_key_derivation_operation_t kdf = PSA_KEY_DERIVATION_OPERATION_INIT;
	int status = IVXS_P2P_ECRYPTO;
	if (psa_crypto_init() != PSA_SUCCESS
			|| psa_key_derivation_setup(&kdf, PSA_ALG_HKDF(PSA_ALG_SHA_256)) != PSA_SUCCESS
			|| psa_key_derivation_input_bytes(&kdf, PSA_KEY_DERIVATION_INPUT_SALT, salt, salt_len) != PSA_SUCCESS
			|| psa_key_derivation_input_bytes(&kdf, PSA_KEY_DERIVATION_INPUT_SECRET, ikm, ikm_len) != PSA_SUCCESS
			|| psa_key_derivation_input_bytes(&kdf, PSA_KEY_DERIVATION_INPUT_INFO, info, info_len) != PSA_SUCCESS
			|| psa_key_derivation_output_bytes(&kdf, out, out_len) != PSA_SUCCESS)
		goto done;
	status = 0;
done:
	psa_key_derivation_abort(&kdf);
	return status;
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
