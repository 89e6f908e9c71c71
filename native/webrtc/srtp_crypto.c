/*
 * SRTP's primitives over Mbed TLS (srtp_crypto.h): PSA Crypto from 3.6 (the board's Mbed TLS 4 too,
 * unless its engines take them: IVXS_SRTP_ENGINE), 2.28's AES module before.
 */
#include "srtp_crypto.h"

#if !IVXS_SRTP_ENGINE
#include <string.h>

#include "mbedtls/platform_util.h"

/* An AES-128 key for AES-CM. 0 or IVXS_WEBRTC_ECRYPTO. */
int ivxs_srtp_cipher_key(ivxs_srtp_cipher *c, const uint8_t key[IVXS_SRTP_KEY_BYTES])
{
#if IVXS_PSA_KEYS
	psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
	psa_status_t status = psa_crypto_init();
	*c = 0;
	psa_set_key_type(&attributes, PSA_KEY_TYPE_AES);
	psa_set_key_bits(&attributes, 8 * IVXS_SRTP_KEY_BYTES);
	psa_set_key_algorithm(&attributes, PSA_ALG_CTR);
	psa_set_key_usage_flags(&attributes, PSA_KEY_USAGE_ENCRYPT);
	if (status == PSA_SUCCESS)
		status = psa_import_key(&attributes, key, IVXS_SRTP_KEY_BYTES, c);
	psa_reset_key_attributes(&attributes);
	return status == PSA_SUCCESS ? 0 : IVXS_WEBRTC_ECRYPTO;
#else
	mbedtls_aes_init(c);
	return mbedtls_aes_setkey_enc(c, key, 8 * IVXS_SRTP_KEY_BYTES) ? IVXS_WEBRTC_ECRYPTO : 0;
#endif
}

void ivxs_srtp_cipher_free(ivxs_srtp_cipher *c)
{
#if IVXS_PSA_KEYS
	psa_destroy_key(*c);   /* 0: none */
	*c = 0;
#else
	mbedtls_aes_free(c);
#endif
}

/* AES-CM (§4.1.1): data ^= AES(iv + block counter), the counter in the IV's last 16 bits. Every IV
 * here has those bits 0 (§4.1.1, §4.3.1), so AES-CM is AES-CTR's 128-bit counter from the IV for
 * any packet under 2^16 blocks. */
int ivxs_srtp_cm(const ivxs_srtp_cipher *c, const uint8_t iv[16], uint8_t *data, size_t len)
{
#if IVXS_PSA_KEYS
	/* In place for the whole blocks only: Mbed TLS's own cipher refuses input == output for a partial
	 * block, which reaches it when PSA does not copy the caller's buffers (TF-PSA-Crypto as ESP-IDF
	 * builds it: "bad input data" for every packet). The last partial block goes through `tail`. */
	psa_cipher_operation_t op = PSA_CIPHER_OPERATION_INIT;
	size_t whole = len & ~(size_t)15, rest = len - whole, n = 0, m = 0, f = 0;
	uint8_t in[16], tail[16];
	int failed = psa_cipher_encrypt_setup(&op, *c, PSA_ALG_CTR) != PSA_SUCCESS
		|| psa_cipher_set_iv(&op, iv, 16) != PSA_SUCCESS
		|| (whole && (psa_cipher_update(&op, data, whole, data, whole, &n) != PSA_SUCCESS || n != whole));
	if (!failed && rest) {
		memcpy(in, data + whole, rest);
		failed = psa_cipher_update(&op, in, rest, tail, sizeof(tail), &m) != PSA_SUCCESS || m > rest;
		if (!failed)
			memcpy(data + whole, tail, m);
	}
	failed = failed || psa_cipher_finish(&op, tail, sizeof(tail), &f) != PSA_SUCCESS || n + m + f != len;
	if (!failed && f)   /* an implementation that held the partial block back gives it here */
		memcpy(data + whole + m, tail, f);
	psa_cipher_abort(&op);
	mbedtls_platform_zeroize(tail, sizeof(tail));
	return failed ? IVXS_WEBRTC_ECRYPTO : 0;
#else
	uint8_t block[16], stream[16];
	uint32_t counter = 0;
	size_t i, n;
	memcpy(block, iv, 16);
	for (; len; data += n, len -= n, counter++) {
		block[14] = (uint8_t)(iv[14] ^ (counter >> 8));
		block[15] = (uint8_t)(iv[15] ^ counter);
		if (mbedtls_aes_crypt_ecb((mbedtls_aes_context *)c, MBEDTLS_AES_ENCRYPT, block, stream))
			return IVXS_WEBRTC_ECRYPTO;
		n = len < 16 ? len : 16;
		for (i = 0; i < n; i++)
			data[i] ^= stream[i];
	}
	return 0;
#endif
}

/* The pads' hash states (§4.2's HMAC-SHA1, RFC 2104), each hashed once per session; a packet's tag
 * clones them. Through PSA's hash API, the one every Mbed TLS line has (and the S3's SHA engine
 * behind it on the board): PSA's own HMAC would hash both pads again for every packet. */
int ivxs_srtp_hmac_init(ivxs_srtp_hmac *h, const uint8_t key[IVXS_SRTP_AUTH_KEY_BYTES])
{
	uint8_t pad[64];
	int i, failed;
	memset(pad, 0x36, sizeof(pad));
	for (i = 0; i < IVXS_SRTP_AUTH_KEY_BYTES; i++)
		pad[i] ^= key[i];
	failed = psa_crypto_init() != PSA_SUCCESS
		|| psa_hash_setup(&h->inner, PSA_ALG_SHA_1) != PSA_SUCCESS || psa_hash_update(&h->inner, pad, sizeof(pad)) != PSA_SUCCESS;
	memset(pad, 0x5c, sizeof(pad));
	for (i = 0; i < IVXS_SRTP_AUTH_KEY_BYTES; i++)
		pad[i] ^= key[i];
	failed = failed
		|| psa_hash_setup(&h->outer, PSA_ALG_SHA_1) != PSA_SUCCESS || psa_hash_update(&h->outer, pad, sizeof(pad)) != PSA_SUCCESS;
	memset(pad, 0, sizeof(pad));
	return failed ? IVXS_WEBRTC_ECRYPTO : 0;
}

void ivxs_srtp_hmac_free(ivxs_srtp_hmac *h)
{
	psa_hash_abort(&h->inner);
	psa_hash_abort(&h->outer);
}

int ivxs_srtp_hmac_tag(const ivxs_srtp_hmac *h, const uint8_t *data, size_t len, const uint8_t tail[4], uint8_t tag[IVXS_SRTP_TAG_BYTES])
{
	psa_hash_operation_t c = PSA_HASH_OPERATION_INIT;
	uint8_t digest[20];
	size_t length = 0;
	int failed = psa_hash_clone(&h->inner, &c) != PSA_SUCCESS
		|| psa_hash_update(&c, data, len) != PSA_SUCCESS || psa_hash_update(&c, tail, 4) != PSA_SUCCESS
		|| psa_hash_finish(&c, digest, sizeof(digest), &length) != PSA_SUCCESS;
	psa_hash_abort(&c);   /* finished or failed: either way inactive, ready for the clone below */
	failed = failed || psa_hash_clone(&h->outer, &c) != PSA_SUCCESS
		|| psa_hash_update(&c, digest, sizeof(digest)) != PSA_SUCCESS
		|| psa_hash_finish(&c, digest, sizeof(digest), &length) != PSA_SUCCESS;
	psa_hash_abort(&c);
	memcpy(tag, digest, IVXS_SRTP_TAG_BYTES);
	return failed ? IVXS_WEBRTC_ECRYPTO : 0;
}

#endif
