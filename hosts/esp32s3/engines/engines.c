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
 *
 * A packet's worth of data goes to the engines by DMA (the GDMA channels ESP-IDF's own AES and SHA
 * share, esp_crypto_shared_gdma.h, under the same lock): one start a call instead of the CPU
 * writing and reading the engine's registers for every block (~80 instructions a 16-byte AES
 * block, ~150 a 64-byte SHA block). The descriptors are static (no allocation a packet). DMA
 * reads and writes internal RAM here; data elsewhere (PSRAM, flash), a call shorter than
 * kAesDmaMin / kShaDmaMinBlocks, or a packet past one descriptor takes the registers, as before:
 * the engine's typical (one block) mode, the key written once a call.
 */
#include "ivxs_engine.h"

#include "esp_attr.h"
#include "esp_crypto_dma.h"
#include "esp_crypto_lock.h"
#include "esp_err.h"
#include "esp_crypto_periph_clk.h"
#include "esp_memory_utils.h"
#include "hal/aes_ll.h"
#include "hal/aes_types.h"
#include "hal/sha_hal.h"
#include "hal/sha_types.h"
#include "sha/sha_core.h"

#include <string.h>

/* ESP-IDF's (mbedtls/port/include/esp_crypto_shared_gdma.h, built on every S3: its header reaches
 * the GDMA driver's private headers, which are not on the SDK's include path) */
esp_err_t esp_crypto_shared_gdma_start_axi_ahb(const crypto_dma_desc_t *input, const crypto_dma_desc_t *output, crypto_dma_user_t peripheral);

/* Below these the registers are taken: starting the DMA costs some hundred instructions (ESP-IDF's
 * own AES takes DMA past 128 bytes: AES_DMA_MODE_THRESHOLD) */
#define kAesDmaMin 128
#define kShaDmaMinBlocks 4
/* One descriptor's most (its 12-bit length, kept word-aligned): a packet is well under it */
#define kDmaMax 4092

/* Whether the DMA takes data in place: word-aligned, in internal RAM, within one descriptor. */
static int dmaReaches(const void *data, size_t size)
{
	return size <= kDmaMax && !((uintptr_t)data & 3) && esp_ptr_dma_capable(data) && esp_ptr_dma_capable((const uint8_t *)data + size - 1);
}

static void shaBlocks(void *ctx, uint32_t state[8], int first, const uint8_t *data, size_t count)
{
	esp_sha_type type = *(const esp_sha_type *)ctx;
	uint32_t block[16];
	esp_crypto_sha_aes_lock_acquire();
	esp_crypto_sha_enable_periph_clk(true);
	sha_hal_set_mode(type);
	if (!first)
		sha_hal_write_digest(type, state);
	if (count >= kShaDmaMinBlocks && dmaReaches(data, count * 64)) {
		/* ESP-IDF's DMA hash (static descriptors, waits for the engine); -1 only for lengths it refuses */
		if (esp_sha_dma(type, data, count * 64, NULL, 0, first) == 0)
			count = 0;
	}
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

/* The DMA's descriptors and the last partial block's room (DMA moves whole blocks): internal RAM */
static DRAM_ATTR crypto_dma_desc_t gAesIn[2], gAesOut[2];
static DRAM_ATTR uint8_t gAesTailIn[16] __attribute__((aligned(4))), gAesTailOut[16] __attribute__((aligned(4)));

/* desc[0]: the whole blocks in place; desc[1]: the partial last block's room, when `tail`. */
static void aesLink(crypto_dma_desc_t desc[2], uint8_t *data, size_t whole, uint8_t *tail)
{
	memset(desc, 0, 2 * sizeof(*desc));
	desc[0].dw0.size = desc[0].dw0.length = whole;
	desc[0].dw0.owner = DMA_DESCRIPTOR_BUFFER_OWNER_DMA;
	desc[0].buffer = data;
	if (tail) {
		desc[0].next = &desc[1];
		desc[1].dw0.size = desc[1].dw0.length = 16;
		desc[1].dw0.owner = DMA_DESCRIPTOR_BUFFER_OWNER_DMA;
		desc[1].buffer = tail;
	}
	desc[tail ? 1 : 0].dw0.suc_eof = 1;
}

/* CTR over data (len ≥ 16) in place by DMA: 0, or -1 when the channel could not be had (nothing
 * changed). The partial block's rooms are wiped after use: they held plaintext and key stream. */
static int aesCtrDma(uint8_t *data, size_t len)
{
	size_t whole = len & ~(size_t)15, rest = len - whole;
	if (rest)
		memcpy(gAesTailIn, data + whole, rest);   /* (the room's other bytes: what CTR pads with is discarded) */
	aesLink(gAesIn, data, whole, rest ? gAesTailIn : NULL);
	aesLink(gAesOut, data, whole, rest ? gAesTailOut : NULL);
	aes_ll_interrupt_enable(false);
	aes_ll_dma_enable(true);
	if (esp_crypto_shared_gdma_start_axi_ahb(gAesIn, gAesOut, CRYPTO_DMA_USER_AES) != ESP_OK) {
		aes_ll_dma_enable(false);
		memset(gAesTailIn, 0, sizeof(gAesTailIn));
		return -1;
	}
	aes_ll_set_num_blocks((len + 15) / 16);
	aes_ll_start_transform();
	while (aes_ll_get_state() != ESP_AES_STATE_DONE)
		;
	while (gAesOut[rest ? 1 : 0].dw0.owner == DMA_DESCRIPTOR_BUFFER_OWNER_DMA)   /* the last bytes written back */
		;
	aes_ll_dma_exit();
	aes_ll_dma_enable(false);
	if (rest) {
		memcpy(data + whole, gAesTailOut, rest);
		memset(gAesTailIn, 0, sizeof(gAesTailIn));
		memset(gAesTailOut, 0, sizeof(gAesTailOut));
	}
	return 0;
}

void ivxs_engine_aes128_ctr(const uint8_t key[16], const uint8_t counter[16], uint8_t *data, size_t len)
{
	uint32_t block[4], stream[4];
	uint8_t *next = (uint8_t *)block, *bytes = (uint8_t *)stream;
	size_t i, n;
	int k;
	memcpy(block, counter, 16);
	esp_crypto_sha_aes_lock_acquire();
	esp_crypto_aes_enable_periph_clk(true);
	aes_ll_write_key(key, 4);
	if (len >= kAesDmaMin && dmaReaches(data, len)) {
		/* CTR in the engine's DMA mode as ESP-IDF's esp_aes_crypt_ctr sets it up (its mode register
		 * "decrypt", as there); the engine counts: a 32-bit increment of the block's last word, as
		 * these counters (version 6: nonce || u32 from 0; SRTP: a 16-bit block index) never carry
		 * past it */
		aes_ll_set_mode(ESP_AES_DECRYPT, 16);
		aes_ll_set_block_mode(ESP_AES_BLOCK_MODE_CTR);
		aes_ll_set_inc();
		aes_ll_set_iv(counter);
		if (aesCtrDma(data, len) == 0)
			len = 0;
	}
	aes_ll_dma_enable(false);
	aes_ll_set_mode(ESP_AES_ENCRYPT, 16);   /* the typical mode: each counter block encrypted */
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
