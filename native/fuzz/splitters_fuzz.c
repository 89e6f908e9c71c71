/*
 * libFuzzer harness over the Annex-B scanner and grouping (native/annexb) and
 * capture's AU and ADTS splitters (native/capture), built by native/fuzz/run.mjs:
 *   clang -fsanitize=fuzzer,address,undefined -DIVXS_CAPTURE_CORE_ONLY ...
 *
 * Input: an 8-byte header, then the stream. Header: byte 0 bit 0 picks the
 * codec (H.264 / H.265), bit 1 the ADTS splitter instead; bytes 1-2 the
 * largest AU (64 + value * 2, so 64 … 131134: around the 64 KiB read chunk);
 * bytes 3-6 seed the chunk sizes the stream is fed in; byte 7 the largest
 * chunk (1 … 65536, on a log scale).
 *
 * Checked (a failed check aborts, which libFuzzer reports with the input):
 *   - progress: every splitter finishes with at most 4 results per input
 *     byte, and never stalls (returns "need more" with no room for more);
 *   - emitted AUs lie in the splitter's buffer, are at most the maximum, and
 *     scan cleanly with the NAL count and info word the splitter gave;
 *   - on input the scanner accepts, with a maximum above the input size, the
 *     splitter's AUs are the whole-buffer grouping's (bytes and info), however
 *     the input was chunked;
 *   - the scanner's spans are ordered, inside the input, non-empty, and its
 *     one-at-a-time cursor agrees with ivxs_annexb_scan;
 *   - ADTS frames lie in the buffer and carry a valid header of their size.
 */
#include "annexb.h"
#include "capture.h"
#include "fuzz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER 8
#define MAX_AU_LIMIT (64 + 2 * 65535)
#define MAX_NALS 65536

static uint8_t gAuBuffer[MAX_AU_LIMIT + IVXS_AU_LOOKAHEAD];
static uint32_t gSpans[3 * MAX_NALS];

typedef struct {
	uint32_t state;
	size_t max_chunk;
} Chunker;

static size_t nextChunk(Chunker *c)
{
	c->state = c->state * 1103515245u + 12345u;
	return 1 + (c->state >> 8) % c->max_chunk;
}

/* Whole-buffer grouping of the stream, for the comparison. */
typedef struct {
	uint32_t start, end, info;
} Unit;

static Unit gUnits[MAX_NALS];

static int groupWhole(int codec, const uint8_t *data, size_t size)
{
	ivxs_annexb_au_cursor cursor;
	uint32_t start, end, info;
	int n = 0, r;
	ivxs_annexb_au_cursor_init(&cursor);
	while ((r = ivxs_annexb_next_au(codec, data, size, &cursor, &start, &end, &info)) == 1) {
		REQUIRE(n < MAX_NALS);
		REQUIRE(start < end && end <= size && (n == 0 || start == gUnits[n - 1].end));
		gUnits[n].start = start;
		gUnits[n].end = end;
		gUnits[n].info = info;
		n++;
	}
	return r < 0 ? r : n;
}

static void checkScanner(const uint8_t *data, size_t size)
{
	ivxs_annexb_cursor cursor;
	ivxs_annexb_span span;
	int n = ivxs_annexb_scan(data, size, gSpans, MAX_NALS), i = 0, r;
	ivxs_annexb_cursor_init(&cursor);
	while ((r = ivxs_annexb_next_nal(data, size, &cursor, &span)) == 1) {
		/* on an error the cursor hands out the NAL units before it, scan() none */
		REQUIRE(n < 0 || (i < n && gSpans[3 * i] == span.sc && gSpans[3 * i + 1] == span.start &&
			gSpans[3 * i + 2] == span.end));
		REQUIRE(span.sc < span.start && span.start < span.end && span.end <= size);
		REQUIRE(i == 0 || n < 0 || gSpans[3 * i - 1] <= span.sc);
		REQUIRE((data[span.start] & 0x80) == 0);
		i++;
	}
	REQUIRE(r < 0 ? r == n : i == n);
}

static void checkAuSplitter(int codec, const uint8_t *data, size_t size, size_t max_au, Chunker *chunker,
		int scanOk)
{
	ivxs_au_splitter s;
	ivxs_au au;
	size_t off = 0, results = 0;
	int r, n = 0, whole = 0, compare;
	REQUIRE(ivxs_au_init(&s, (ivxs_codec)codec, gAuBuffer, max_au + IVXS_AU_LOOKAHEAD) == 0);
	if (scanOk)
		whole = groupWhole(codec, data, size);
	compare = scanOk && whole > 0 && max_au >= size;
	for (;;) {
		size_t avail, k;
		uint8_t *p;
		while ((r = ivxs_au_next(&s, &au)) != 0) {
			REQUIRE(++results <= 4 * size + 16);
			if (r < 0) {
				REQUIRE(r == IVXS_CAPTURE_EGARBAGE || r == IVXS_CAPTURE_ETOOBIG || r == IVXS_CAPTURE_ETRUNC);
				continue;
			}
			REQUIRE(au.data >= gAuBuffer && au.size > 0 && au.data + au.size <= gAuBuffer + max_au + IVXS_AU_LOOKAHEAD);
			REQUIRE(au.size <= max_au);
			REQUIRE(ivxs_annexb_scan(au.data, au.size, gSpans, MAX_NALS) == (int)au.nal_count);
			REQUIRE((au.info & IVXS_AU_INFO_VCL) && au.key == !!(au.info & IVXS_AU_INFO_KEY));
			{
				ivxs_au described;
				ivxs_au_describe((ivxs_codec)codec, au.data, au.size, &described);
				REQUIRE(described.info == au.info && described.nal_count == au.nal_count);
			}
			if (compare) {
				/* the first AU may have lost leading zero bytes */
				const Unit *u = &gUnits[n];
				REQUIRE(n < whole && u->info == au.info);
				REQUIRE(n == 0 ? au.size <= u->end - u->start : au.size == u->end - u->start);
				REQUIRE(memcmp(data + u->end - au.size, au.data, au.size) == 0);
			}
			n++;
		}
		if (ivxs_au_finished(&s))
			break;
		p = ivxs_au_space(&s, &avail);
		REQUIRE(avail > 0);   /* "need more" must leave room for more */
		k = nextChunk(chunker);
		if (k > avail)
			k = avail;
		if (k > size - off)
			k = size - off;
		if (k == 0) {
			REQUIRE(off == size);
			ivxs_au_end(&s);
			continue;
		}
		memcpy(p, data + off, k);
		ivxs_au_commit(&s, k);
		off += k;
	}
	REQUIRE(off == size);
	/* a trailing group without a picture is an ETRUNC for the splitter */
	if (compare)
		REQUIRE(n == whole || (n == whole - 1 && !(gUnits[whole - 1].info & IVXS_AU_INFO_VCL)));
}

static void checkAdts(const uint8_t *data, size_t size, Chunker *chunker)
{
	static ivxs_adts_splitter s;
	ivxs_adts_frame f, h;
	size_t off = 0, results = 0;
	int r;
	ivxs_adts_init(&s);
	for (;;) {
		size_t avail, k;
		uint8_t *p;
		while ((r = ivxs_adts_next(&s, &f)) != 0) {
			REQUIRE(++results <= 4 * size + 16);
			if (r < 0) {
				REQUIRE(r == IVXS_CAPTURE_EADTS || r == IVXS_CAPTURE_ETRUNC);
				continue;
			}
			REQUIRE(f.data >= s.buf && f.data + f.size <= s.buf + sizeof(s.buf));
			REQUIRE(ivxs_adts_parse_header(f.data, f.size, &h) == 1 && h.size == f.size);
		}
		if (s.ended)
			break;
		p = ivxs_adts_space(&s, &avail);
		k = nextChunk(chunker);
		if (k > avail)
			k = avail;
		if (k > size - off)
			k = size - off;
		if (k == 0 && off == size) {
			ivxs_adts_end(&s);
			continue;
		}
		REQUIRE(k > 0);   /* a full buffer with nothing to hand out is a stall */
		memcpy(p, data + off, k);
		ivxs_adts_commit(&s, k);
		off += k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
	const uint8_t *data = input + HEADER;
	Chunker chunker;
	size_t n, max_au;
	int codec, scanOk;
	if (size < HEADER)
		return 0;
	n = size - HEADER;
	codec = (input[0] & 1) ? IVXS_ANNEXB_H265 : IVXS_ANNEXB_H264;
	max_au = 64 + 2 * (size_t)((input[1] << 8) | input[2]);
	chunker.state = (uint32_t)input[3] | (uint32_t)input[4] << 8 | (uint32_t)input[5] << 16 | (uint32_t)input[6] << 24;
	chunker.max_chunk = (size_t)1 << (input[7] % 17);
	if (input[0] & 2) {
		checkAdts(data, n, &chunker);
		return 0;
	}
	checkScanner(data, n);
	scanOk = n > 0 && ivxs_annexb_scan(data, n, gSpans, MAX_NALS) >= 0;
	checkAuSplitter(codec, data, n, max_au, &chunker, scanOk);
	return 0;
}
