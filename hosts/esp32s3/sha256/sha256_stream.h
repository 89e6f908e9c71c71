/*
 * SHA-256 over a stream of pieces, with the compression done by an engine given at each call: the
 * ESP32-S3's SHA accelerator on boards (sha256_engine.c), a software compression in the tests.
 * This core keeps what the engine does not: the partial block, the length, the padding (FIPS
 * 180-4 §5.1.1). The state between calls is the engine's own words (the S3's are the digest's
 * bytes in order), so the engine also writes the digest out. No allocation; I/O-free.
 */
#ifndef IVXS_SHA256_STREAM_H
#define IVXS_SHA256_STREAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	/* Compresses `count` 64-byte blocks at `data` into `state` — from SHA-256's initial value when
	 * `first` (then `state` holds nothing yet). `data` may have any alignment. */
	void (*blocks)(void *ctx, uint32_t state[8], int first, const uint8_t *data, size_t count);
	/* The 32-byte digest that `state` (after the last block) stands for. */
	void (*output)(void *ctx, const uint32_t state[8], uint8_t digest[32]);
	void *ctx;
} ivxs_sha256_engine;

typedef struct {
	uint32_t state[8];
	uint64_t length;       /* bytes taken since init */
	uint8_t buffer[64];    /* the partial block: length % 64 bytes */
	uint8_t started;       /* a block went through (`state` holds the engine's words) */
} ivxs_sha256;

void ivxs_sha256_init(ivxs_sha256 *h);
void ivxs_sha256_update(ivxs_sha256 *h, const void *data, size_t length, const ivxs_sha256_engine *engine);
/* Writes the digest of everything taken, then starts over (init). */
void ivxs_sha256_final(ivxs_sha256 *h, uint8_t digest[32], const ivxs_sha256_engine *engine);

#endif
