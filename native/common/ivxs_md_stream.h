/*
 * A Merkle–Damgård hash (SHA-1, SHA-256: 64-byte blocks, a 64-bit big-endian bit length) over a
 * stream of pieces, with the compression done by an engine given at each call: a chip's SHA
 * accelerator on boards (hosts/esp32s3/engines), software in the tests. This core keeps what the
 * engine does not: the partial block, the length, the padding (FIPS 180-4 §5.1.1). The state
 * between calls is the engine's own words (the S3's are the digest's bytes in order), so the engine
 * also writes the digest out. A stream may be copied: a copy goes on from where the original was
 * (HMAC's pads are hashed once, then copied for each message). No allocation; I/O-free.
 */
#ifndef IVXS_MD_STREAM_H
#define IVXS_MD_STREAM_H

#include <stddef.h>
#include <stdint.h>

#define IVXS_MD_MAX_DIGEST 32

typedef struct {
	/* Compresses `count` 64-byte blocks at `data` into `state` — from the hash's initial value when
	 * `first` (then `state` holds nothing yet). `data` may have any alignment. */
	void (*blocks)(void *ctx, uint32_t state[8], int first, const uint8_t *data, size_t count);
	/* The digest (its hash's size: 20 bytes for SHA-1, 32 for SHA-256) that `state` (after the last
	 * block) stands for. */
	void (*output)(void *ctx, const uint32_t state[8], uint8_t digest[IVXS_MD_MAX_DIGEST]);
	void *ctx;
} ivxs_md_engine;

typedef struct {
	uint32_t state[8];
	uint64_t length;       /* bytes taken since init */
	uint8_t buffer[64];    /* the partial block: length % 64 bytes */
	uint8_t started;       /* a block went through (`state` holds the engine's words) */
} ivxs_md_stream;

void ivxs_md_init(ivxs_md_stream *h);
void ivxs_md_update(ivxs_md_stream *h, const void *data, size_t length, const ivxs_md_engine *engine);
/* Writes the digest of everything taken (the hash's size of `digest`), then starts over (init). */
void ivxs_md_final(ivxs_md_stream *h, uint8_t digest[IVXS_MD_MAX_DIGEST], const ivxs_md_engine *engine);

/* HMAC (RFC 2104) over the same engines: a key's two pads are hashed once (ivxs_hmac_key: the two
 * states after one block each, all a key keeps), and each message goes on from them — a message is a
 * stream started by ivxs_hmac_start, given its pieces by ivxs_md_update and ended by
 * ivxs_hmac_final. Keys are at most one block (64 bytes: what SRTP and the P2P wire use). */
typedef struct {
	uint32_t inner[8], outer[8];
} ivxs_hmac;

void ivxs_hmac_key(ivxs_hmac *h, const uint8_t *key, size_t length, const ivxs_md_engine *engine);
void ivxs_hmac_start(const ivxs_hmac *h, ivxs_md_stream *message);
/* The message's MAC (the hash's size: `digest_size` bytes of the inner digest go into the outer
 * hash); `message` is wiped. */
void ivxs_hmac_final(const ivxs_hmac *h, ivxs_md_stream *message, size_t digest_size, uint8_t mac[IVXS_MD_MAX_DIGEST],
		const ivxs_md_engine *engine);

#endif
