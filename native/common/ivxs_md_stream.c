/* A Merkle–Damgård hash over a stream of pieces: the partial block, the length and the padding;
 * HMAC over it (ivxs_md_stream.h). */
#include "ivxs_md_stream.h"

#include <string.h>

void ivxs_md_init(ivxs_md_stream *h)
{
	memset(h, 0, sizeof(*h));
}

static void compress(ivxs_md_stream *h, const uint8_t *data, size_t count, const ivxs_md_engine *engine)
{
	engine->blocks(engine->ctx, h->state, !h->started, data, count);
	h->started = 1;
}

void ivxs_md_update(ivxs_md_stream *h, const void *data, size_t length, const ivxs_md_engine *engine)
{
	const uint8_t *bytes = data;
	size_t held = (size_t)(h->length & 63), whole;
	h->length += length;
	if (held) {
		size_t fill = 64 - held;
		if (length < fill) {
			memcpy(h->buffer + held, bytes, length);
			return;
		}
		memcpy(h->buffer + held, bytes, fill);
		compress(h, h->buffer, 1, engine);
		bytes += fill;
		length -= fill;
	}
	whole = length / 64;
	if (whole)
		compress(h, bytes, whole, engine);
	memcpy(h->buffer, bytes + whole * 64, length - whole * 64);
}

void ivxs_md_final(ivxs_md_stream *h, uint8_t digest[IVXS_MD_MAX_DIGEST], const ivxs_md_engine *engine)
{
	uint64_t bits = h->length * 8;
	size_t held = (size_t)(h->length & 63);
	int i;
	/* 0x80, zeros to 56 mod 64, then the message's length in bits, big-endian */
	h->buffer[held++] = 0x80;
	if (held > 56) {
		memset(h->buffer + held, 0, 64 - held);
		compress(h, h->buffer, 1, engine);
		held = 0;
	}
	memset(h->buffer + held, 0, 56 - held);
	for (i = 0; i < 8; i++)
		h->buffer[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	compress(h, h->buffer, 1, engine);
	engine->output(engine->ctx, h->state, digest);
	ivxs_md_init(h);
}

/* The engine's state after the key XOR `with`, padded to the block: the only block a key's pad is. */
static void hmacPad(uint32_t state[8], const uint8_t *key, size_t length, uint8_t with, const ivxs_md_engine *engine)
{
	ivxs_md_stream h;
	uint8_t block[64];
	size_t i;
	memset(block, with, sizeof(block));
	for (i = 0; i < length && i < sizeof(block); i++)
		block[i] ^= key[i];
	ivxs_md_init(&h);
	ivxs_md_update(&h, block, sizeof(block), engine);
	memcpy(state, h.state, sizeof(h.state));
	memset(block, 0, sizeof(block));
	ivxs_md_init(&h);
}

void ivxs_hmac_key(ivxs_hmac *h, const uint8_t *key, size_t length, const ivxs_md_engine *engine)
{
	hmacPad(h->inner, key, length, 0x36, engine);
	hmacPad(h->outer, key, length, 0x5c, engine);
}

/* A stream that has taken one block, whose state is `state`. */
static void afterPad(ivxs_md_stream *m, const uint32_t state[8])
{
	ivxs_md_init(m);
	memcpy(m->state, state, sizeof(m->state));
	m->length = 64;
	m->started = 1;
}

void ivxs_hmac_start(const ivxs_hmac *h, ivxs_md_stream *message)
{
	afterPad(message, h->inner);
}

void ivxs_hmac_final(const ivxs_hmac *h, ivxs_md_stream *message, size_t digest_size, uint8_t mac[IVXS_MD_MAX_DIGEST],
		const ivxs_md_engine *engine)
{
	uint8_t inner[IVXS_MD_MAX_DIGEST];
	ivxs_md_final(message, inner, engine);
	afterPad(message, h->outer);
	ivxs_md_update(message, inner, digest_size, engine);
	ivxs_md_final(message, mac, engine);
	memset(inner, 0, sizeof(inner));
}
