/*
 * ivxs/sha256 on ESP32-S3 boards (sha256_engine.js): SHA-256 in the chip's SHA accelerator, for
 * what the camera hashes by the megabyte — every upload's body (modules/net/signing.ts). The SDK's
 * `crypt` Digest hashes in software (its kcl fips180.c): about 68 Xtensa instructions a byte in
 * the emulated S3 (bench board_s3's profile), which at the camera's 1 Mbit/s would be ~8.5 M a second.
 *
 * Each update takes the engine under ESP-IDF's SHA/AES lock (the one its Mbed TLS port takes),
 * puts the digest's state back in (the S3's engine resumes: SOC_SHA_SUPPORT_RESUME), feeds the whole
 * blocks and reads the state out again, so any number of digests and ESP-IDF's own users share it.
 * The partial block, the length and the padding are sha256_stream.c's (tested on Linux with a
 * software compression). Nothing is allocated past the digest's record.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "ivxs_kit.h"
#include "sha256_stream.h"

#include "esp_crypto_lock.h"
#include "esp_crypto_periph_clk.h"
#include "hal/sha_hal.h"
#include "hal/sha_types.h"

#include <stdlib.h>
#include <string.h>

#define kPrefix "sha256"

static void engineBlocks(void *ctx, uint32_t state[8], int first, const uint8_t *data, size_t count)
{
	uint32_t block[16];
	(void)ctx;
	esp_crypto_sha_aes_lock_acquire();
	esp_crypto_sha_enable_periph_clk(true);   /* (and resets the engine: the state goes back in) */
	sha_hal_set_mode(SHA2_256);
	if (!first)
		sha_hal_write_digest(SHA2_256, state);
	for (; count; count--, data += 64, first = 0) {
		const void *words = data;
		if ((uintptr_t)data & 3) {   /* the engine's text registers take words */
			memcpy(block, data, sizeof(block));
			words = block;
		}
		sha_hal_wait_idle();
		sha_hal_hash_block(SHA2_256, words, 16, first);
	}
	sha_hal_read_digest(SHA2_256, state);   /* waits for the last block */
	esp_crypto_sha_enable_periph_clk(false);
	esp_crypto_sha_aes_lock_release();
}

/* The engine's digest registers hold the digest's bytes in order. */
static void engineOutput(void *ctx, const uint32_t state[8], uint8_t digest[32])
{
	(void)ctx;
	memcpy(digest, state, 32);
}

static const ivxs_sha256_engine kEngine = { engineBlocks, engineOutput, NULL };

static void xs_ivxs_sha256_destructor(void *data)
{
	free(data);
}
static const xsHostHooks kHooks = { xs_ivxs_sha256_destructor, NULL, NULL };

static ivxs_sha256 *getDigest(xsMachine *the)
{
	return ivxs_handle_open(the, &xsArg(0), &kHooks, kPrefix, "SHA-256 digest");
}

/* open() -> a digest */
void xs_ivxs_sha256_open(xsMachine *the)
{
	ivxs_sha256 *h;
	xsResult = xsNewHostObject(xs_ivxs_sha256_destructor);
	xsmcSetHostHooks(xsResult, &kHooks);
	h = malloc(sizeof(ivxs_sha256));
	if (!h)
		ivxs_error(IVXS_ENOMEM, kPrefix ": no memory");
	ivxs_sha256_init(h);
	xsmcSetHostData(xsResult, h);
}

/* update(digest, data): a string as UTF-8, an ArrayBuffer or a view as its bytes. Nothing runs JS
 * while the bytes are hashed, so the pointer into the value is good for the whole call. */
void xs_ivxs_sha256_update(xsMachine *the)
{
	ivxs_sha256 *h = getDigest(the);
	void *data;
	xsUnsignedValue size;
	if (xsmcTypeOf(xsArg(1)) == xsStringType) {
		const char *text = xsmcToString(xsArg(1));
		ivxs_sha256_update(h, text, strlen(text), &kEngine);
		return;
	}
	xsmcGetBufferReadable(xsArg(1), &data, &size);
	ivxs_sha256_update(h, data, size, &kEngine);
}

/* finish(digest) -> the digest of everything given (an ArrayBuffer of 32 bytes); starts over */
void xs_ivxs_sha256_finish(xsMachine *the)
{
	ivxs_sha256 *h = getDigest(the);
	uint8_t digest[32];
	ivxs_sha256_final(h, digest, &kEngine);
	xsmcSetArrayBuffer(xsResult, digest, sizeof(digest));
}

/* reset(digest): starts over */
void xs_ivxs_sha256_reset(xsMachine *the)
{
	ivxs_sha256_init(getDigest(the));
}
