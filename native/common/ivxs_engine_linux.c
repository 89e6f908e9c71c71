/* ivxs_engine.h in software, where no chip gives the engines (Linux, mcsim): AES-128 and SHA-1's and
 * SHA-256's compression from Mbed TLS, the counter and the output as an engine does them. The P2P
 * wire's version 6 runs on it there (native/p2p/p2p_aead_aes.c); tests/webrtc.test.mjs runs SRTP's
 * engine build on it against libsrtp2. */
#include "ivxs_engine.h"

#include <string.h>

#include "mbedtls/aes.h"
#include "mbedtls/sha1.h"
#include "mbedtls/sha256.h"
#include "mbedtls/version.h"

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define STATE(c) ((c).MBEDTLS_PRIVATE(state))
#else
#define STATE(c) ((c).state)
#endif

void ivxs_engine_aes128_ctr(const uint8_t key[16], const uint8_t counter[16], uint8_t *data, size_t len)
{
	mbedtls_aes_context aes;
	uint8_t block[16], stream[16];
	size_t i, n;
	int k;
	mbedtls_aes_init(&aes);
	mbedtls_aes_setkey_enc(&aes, key, 128);
	memcpy(block, counter, 16);
	for (; len; data += n, len -= n) {
		mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, block, stream);
		n = len < 16 ? len : 16;
		for (i = 0; i < n; i++)
			data[i] ^= stream[i];
		for (k = 15; k >= 0 && ++block[k] == 0; k--)
			;
	}
	mbedtls_aes_free(&aes);
}

static void sha1Blocks(void *ctx, uint32_t state[8], int first, const uint8_t *data, size_t count)
{
	mbedtls_sha1_context c;
	(void)ctx;
	static const uint32_t iv[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	mbedtls_sha1_init(&c);
	memcpy(STATE(c), first ? iv : state, 20);
	for (; count; count--, data += 64)
		mbedtls_internal_sha1_process(&c, data);
	memcpy(state, STATE(c), 20);
	mbedtls_sha1_free(&c);
}

/* An engine's state is the digest's words, big-endian. */
static void output(const uint32_t state[8], uint8_t *digest, int size)
{
	int i;
	for (i = 0; i < size; i++)
		digest[i] = (uint8_t)(state[i / 4] >> (24 - 8 * (i % 4)));
}

static void sha1Output(void *ctx, const uint32_t state[8], uint8_t digest[IVXS_MD_MAX_DIGEST])
{
	(void)ctx;
	output(state, digest, 20);
}

const ivxs_md_engine ivxs_engine_sha1 = { sha1Blocks, sha1Output, NULL };

static void sha256Blocks(void *ctx, uint32_t state[8], int first, const uint8_t *data, size_t count)
{
	mbedtls_sha256_context c;
	(void)ctx;
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
		0x5be0cd19 };
	mbedtls_sha256_init(&c);
	memcpy(STATE(c), first ? iv : state, 32);
	for (; count; count--, data += 64)
		mbedtls_internal_sha256_process(&c, data);
	memcpy(state, STATE(c), 32);
	mbedtls_sha256_free(&c);
}

static void sha256Output(void *ctx, const uint32_t state[8], uint8_t digest[IVXS_MD_MAX_DIGEST])
{
	(void)ctx;
	output(state, digest, 32);
}

const ivxs_md_engine ivxs_engine_sha256 = { sha256Blocks, sha256Output, NULL };
