/* A Merkle–Damgård hash over a stream of pieces: the partial block, the length and the padding
 * (ivxs_md_stream.h). */
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
