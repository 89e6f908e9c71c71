/*
 * The ESP32-S3's AES and SHA accelerators behind native/common/ivxs_engine.h: SHA-1 (SRTP's
 * HMAC-SHA1, native/webrtc/srtp_engine.c) and SHA-256 (every upload's body hash, ivxs/sha256; the
 * native wire's version 6 HMAC, native/p2p/p2p_aead_aes.c) a block at a time, AES-128-CTR (SRTP's
 * AES-CM, version 6's cipher) a block at a time. ESP-IDF's Mbed TLS on this
 * machine is upstream TF-PSA-Crypto, which has no dispatch to the engines (README "What has run"),
 * so they are reached here directly, as ESP-IDF's own port drives them: under its SHA/AES lock
 * (the one the port takes), the peripheral's clock on for the call (which resets it).
 *
 * SHA: the digest's state goes back in before the blocks (the S3's engine resumes:
 * SOC_SHA_SUPPORT_RESUME) and comes out after, so any number of hashes share the engine.
 * AES: the engine's typical (one block) mode through its registers (hal/aes_ll.h: plain register
 * writes on the S3), the key written once a call.
 */
#include "ivxs_engine.h"

#include "esp_crypto_lock.h"
#include "esp_crypto_periph_clk.h"
#include "hal/aes_ll.h"
#include "hal/aes_types.h"
#include "hal/sha_hal.h"
#include "hal/sha_types.h"

#include <string.h>

static void shaBlocks(void *ctx, uint32_t state[8], int first, const uint8_t *data, size_t count)
{
	esp_sha_type type = *(const esp_sha_type *)ctx;
	uint32_t block[16];
	esp_crypto_sha_aes_lock_acquire();
	esp_crypto_sha_enable_periph_clk(true);
	sha_hal_set_mode(type);
	if (!first)
		sha_hal_write_digest(type, state);
	for (; count; count--, data += 64, first = 0) {
		const void *words = data;
		if ((uintptr_t)data & 3) {   /* the engine's text registers take words */
			memcpy(block, data, sizeof(block));
			words = block;
		}
		sha_hal_wait_idle();
		sha_hal_hash_block(type, words, 16, first);
	}
	sha_hal_read_digest(type, state);   /* waits for the last block */
	esp_crypto_sha_enable_periph_clk(false);
	esp_crypto_sha_aes_lock_release();
}

/* The engine's digest registers hold the digest's bytes in order. */
static void sha1Output(void *ctx, const uint32_t state[8], uint8_t digest[IVXS_MD_MAX_DIGEST])
{
	(void)ctx;
	memcpy(digest, state, 20);
}

static void sha256Output(void *ctx, const uint32_t state[8], uint8_t digest[IVXS_MD_MAX_DIGEST])
{
	(void)ctx;
	memcpy(digest, state, 32);
}

static const esp_sha_type kSha1 = SHA1, kSha256 = SHA2_256;
const ivxs_md_engine ivxs_engine_sha1 = { shaBlocks, sha1Output, (void *)&kSha1 };
const ivxs_md_engine ivxs_engine_sha256 = { shaBlocks, sha256Output, (void *)&kSha256 };

void ivxs_engine_aes128_ctr(const uint8_t key[16], const uint8_t counter[16], uint8_t *data, size_t len)
{
	uint32_t block[4], stream[4];
	uint8_t *next = (uint8_t *)block, *bytes = (uint8_t *)stream;
	size_t i, n;
	int k;
	memcpy(block, counter, 16);
	esp_crypto_sha_aes_lock_acquire();
	esp_crypto_aes_enable_periph_clk(true);
	aes_ll_dma_enable(false);
	aes_ll_set_mode(ESP_AES_ENCRYPT, 16);
	aes_ll_write_key(key, 4);
	for (; len; data += n, len -= n) {
		aes_ll_write_block(block);
		aes_ll_start_transform();
		for (k = 15; k >= 0 && ++next[k] == 0; k--)   /* the next counter while the engine works */
			;
		while (aes_ll_get_state() != ESP_AES_STATE_IDLE)
			;
		aes_ll_read_block(stream);
		n = len < 16 ? len : 16;
		if (n == 16 && !((uintptr_t)data & 3)) {   /* (an RTP payload and a P2P ciphertext: their packet buffers align them) */
			uint32_t *words = (uint32_t *)(void *)data;
			words[0] ^= stream[0];
			words[1] ^= stream[1];
			words[2] ^= stream[2];
			words[3] ^= stream[3];
		}
		else
			for (i = 0; i < n; i++)
				data[i] ^= bytes[i];
	}
	esp_crypto_aes_enable_periph_clk(false);
	esp_crypto_sha_aes_lock_release();
	memset(stream, 0, sizeof(stream));
}
