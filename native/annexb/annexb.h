/*
 * Annex-B NAL unit scanning — portable core (no XS headers, no allocation).
 * The byte loop of H.264/H.265 muxing: XS runs it ~100x slower than C, so
 * the TypeScript media layer uses this scanner on XS (modules/media/annexb.ts
 * keeps an identical JS version for Node). Same rules as the JS version:
 * 3- and 4-byte start codes, leading zero bytes allowed, trailing zeros of a
 * NAL trimmed.
 */
#ifndef IVXS_ANNEXB_H
#define IVXS_ANNEXB_H

#include <stddef.h>
#include <stdint.h>

enum {
	IVXS_ANNEXB_EEMPTY = -1,      /* empty buffer */
	IVXS_ANNEXB_ENOSTART = -2,    /* no start code */
	IVXS_ANNEXB_EGARBAGE = -3,    /* non-zero bytes before the first start code */
	IVXS_ANNEXB_EEMPTYNAL = -4,   /* two start codes with nothing between */
	IVXS_ANNEXB_ETRUNC = -5,      /* start code at the very end */
	IVXS_ANNEXB_EFORBIDDEN = -6,  /* forbidden_zero_bit set in a NAL header */
	IVXS_ANNEXB_EFULL = -7        /* more NAL units than out can hold */
};

/* Scans data; writes triples [startCodeOffset, nalStart, nalEnd) into out
 * (3 * max_nals entries). Returns the number of NAL units, or an error. */
int ivxs_annexb_scan(const uint8_t *data, size_t size, uint32_t *out, size_t max_nals);

/* Index of the first byte of the next 00 00 01 at or after from, or -1. */
long ivxs_annexb_find_start(const uint8_t *data, size_t size, size_t from);

#endif
