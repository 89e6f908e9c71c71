/*
 * The packets' AEADs of both versions composed from mbedTLS's own primitives, as PROTOCOL.md "DATA
 * packets" describes them: the oracle the AEAD's C test (p2p_aead_test.c) and its fuzzer
 * (native/fuzz/aead_fuzz.c) compare p2p_aead.c with. Keys as the handshake lays them out
 * (p2p_aead_key_bytes): version 5 key 32 | IV 12; version 6 AES key 16 | IV 12 | MAC key 32.
 * Each returns mbedTLS's status (0: sealed).
 */
#ifndef P2P_AEAD_REFERENCE_H
#define P2P_AEAD_REFERENCE_H

#include "p2p_internal.h"

#include <mbedtls/aes.h>
#include <mbedtls/chachapoly.h>
#include <mbedtls/md.h>

#include <string.h>

/* The nonce of packet `pn`: the IV with the packet number XORed into its last four bytes. */
static inline void referenceNonce(const uint8_t iv[P2P_IV], uint32_t pn, uint8_t out[P2P_IV])
{
	memcpy(out, iv, P2P_IV);
	out[8] ^= (uint8_t)(pn >> 24);
	out[9] ^= (uint8_t)(pn >> 16);
	out[10] ^= (uint8_t)(pn >> 8);
	out[11] ^= (uint8_t)pn;
}

/* Version 5: mbedTLS's ChaCha20-Poly1305. */
static inline int referenceChacha(const uint8_t *keys, uint32_t pn, const uint8_t *aad, size_t aadLen,
		const uint8_t *plain, size_t len, uint8_t *out, uint8_t tag[P2P_TAG])
{
	mbedtls_chachapoly_context ref;
	uint8_t nonce[P2P_IV];
	int status;
	referenceNonce(keys + 32, pn, nonce);
	mbedtls_chachapoly_init(&ref);
	status = mbedtls_chachapoly_setkey(&ref, keys);
	if (!status)
		status = mbedtls_chachapoly_encrypt_and_tag(&ref, len, nonce, aad, aadLen, plain, out, tag);
	mbedtls_chachapoly_free(&ref);
	return status;
}

/* Version 6: mbedTLS's AES-128-CTR from nonce || 0, then its HMAC-SHA-256 over nonce || AAD || zeros
 * to a multiple of 16 bytes || ciphertext || the AAD's bits (u64 big-endian), the first 16 bytes. */
static inline int referenceAes(const uint8_t *keys, uint32_t pn, const uint8_t *aad, size_t aadLen,
		const uint8_t *plain, size_t len, uint8_t *out, uint8_t tag[P2P_TAG])
{
	mbedtls_aes_context aes;
	mbedtls_md_context_t md;
	static const uint8_t zeros[16];
	uint8_t counter[16], stream[16], bits[8], mac[32];
	size_t off = 0, i;
	int status;
	referenceNonce(keys + 16, pn, counter);
	memset(counter + P2P_IV, 0, 4);
	for (i = 0; i < 8; i++)
		bits[i] = (uint8_t)((uint64_t)aadLen * 8 >> (56 - 8 * i));
	mbedtls_aes_init(&aes);
	mbedtls_md_init(&md);
	status = mbedtls_aes_setkey_enc(&aes, keys, 128);
	if (!status && len)
		status = mbedtls_aes_crypt_ctr(&aes, len, &off, counter, stream, plain, out);
	referenceNonce(keys + 16, pn, counter);
	if (!status)
		status = mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1);
	if (!status)
		status = mbedtls_md_hmac_starts(&md, keys + 16 + P2P_IV, 32);
	if (!status)
		status = mbedtls_md_hmac_update(&md, counter, P2P_IV);
	if (!status && aadLen)
		status = mbedtls_md_hmac_update(&md, aad, aadLen);
	if (!status && (P2P_IV + aadLen) % 16)
		status = mbedtls_md_hmac_update(&md, zeros, 16 - (P2P_IV + aadLen) % 16);
	if (!status && len)
		status = mbedtls_md_hmac_update(&md, out, len);
	if (!status)
		status = mbedtls_md_hmac_update(&md, bits, sizeof(bits));
	if (!status)
		status = mbedtls_md_hmac_finish(&md, mac);
	memcpy(tag, mac, P2P_TAG);
	mbedtls_aes_free(&aes);
	mbedtls_md_free(&md);
	return status;
}

#endif
