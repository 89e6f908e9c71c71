/* Tests of the Annex-B scanner core: table-driven cases with their expected
 * triples or errors, and a randomized cross-check against a byte-at-a-time
 * reference. Ends with "N passed, N failed". */
#include "annexb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IVXS_TEST_LEAVE return
#include "ivxs_test.h"

typedef struct {
	const char *name;
	uint8_t bytes[32];
	size_t size;
	int expect;                 /* count or error */
	uint32_t spans[12];
} Case;

static const Case kCases[] = {
	{ "one NAL, 4-byte start code", { 0, 0, 0, 1, 0x65, 1, 2 }, 7, 1, { 0, 4, 7 } },
	{ "one NAL, 3-byte start code", { 0, 0, 1, 0x41, 9 }, 5, 1, { 0, 3, 5 } },
	{ "two NALs, trailing zeros trimmed", { 0, 0, 0, 1, 0x67, 5, 0, 0, 0, 0, 1, 0x68, 7 }, 13, 2, { 0, 4, 6, 7, 11, 13 } },
	{ "leading zeros before the first start code", { 0, 0, 0, 0, 0, 1, 0x09, 0xf0 }, 8, 1, { 2, 6, 8 } },
	{ "00 00 02 inside a NAL is data", { 0, 0, 1, 0x41, 0, 0, 2, 5 }, 8, 1, { 0, 3, 8 } },
	{ "empty", { 0 }, 0, IVXS_ANNEXB_EEMPTY, { 0 } },
	{ "no start code", { 1, 2, 3, 4 }, 4, IVXS_ANNEXB_ENOSTART, { 0 } },
	{ "garbage first", { 7, 0, 0, 1, 0x41 }, 5, IVXS_ANNEXB_EGARBAGE, { 0 } },
	{ "empty NAL between start codes", { 0, 0, 1, 0, 0, 1, 0x41 }, 7, IVXS_ANNEXB_EEMPTYNAL, { 0 } },
	{ "start code at the end", { 0, 0, 1, 0x41, 2, 0, 0, 1 }, 8, IVXS_ANNEXB_ETRUNC, { 0 } },
	{ "forbidden bit", { 0, 0, 1, 0xc1, 2 }, 5, IVXS_ANNEXB_EFORBIDDEN, { 0 } },
};

static void testCase(const Case *c)
{
	uint32_t out[12];
	int n = ivxs_annexb_scan(c->bytes, c->size, out, 4), i;
	CHECKF(n == c->expect, "%s: got %d, expected %d", c->name, n, c->expect);
	for (i = 0; i < 3 * (n > 0 ? n : 0); i++)
		CHECKF(out[i] == c->spans[i], "%s: span %d is %u, expected %u", c->name, i, out[i], c->spans[i]);
}

static void testFull(void)
{
	static const uint8_t bytes[] = { 0, 0, 1, 0x41, 0, 0, 1, 0x41, 0, 0, 1, 0x41 };
	uint32_t out[6];
	int n = ivxs_annexb_scan(bytes, sizeof(bytes), out, 2);
	CHECKF(n == IVXS_ANNEXB_EFULL, "got %d", n);
}

/* Reference: start codes found one byte at a time. */
static long referenceFind(const uint8_t *d, size_t n, size_t from)
{
	size_t i;
	for (i = from; i + 2 < n; i++)
		if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1)
			return (long)i;
	return -1;
}

static void testRandomAgainstReference(void)
{
	uint8_t buffer[4096];
	int round;
	srand(1234);
	for (round = 0; round < 20000; round++) {
		size_t n = (size_t)(rand() % 200) + 1, i, from = (size_t)(rand() % 50);
		for (i = 0; i < n; i++) {
			int r = rand() % 8;
			buffer[i] = r < 4 ? 0 : r == 4 ? 1 : (uint8_t)rand();
		}
		CHECKF(ivxs_annexb_find_start(buffer, n, from) == referenceFind(buffer, n, from), "round %d", round);
	}
}

/* The classification rules, one row per rule of the standards. */
typedef struct {
	const char *name;
	int codec;
	uint8_t h[3];
	size_t avail;
	uint8_t valid, vcl, key, starts;
} ClassCase;

static const ClassCase kClasses[] = {
	{ "H.264 IDR, first_mb 0", IVXS_ANNEXB_H264, { 0x65, 0x88 }, 2, 1, 1, 1, 1 },
	{ "H.264 IDR, first_mb > 0", IVXS_ANNEXB_H264, { 0x65, 0x40 }, 2, 1, 1, 1, 0 },
	{ "H.264 partition A, first_mb 0", IVXS_ANNEXB_H264, { 0x22, 0x80 }, 2, 1, 1, 0, 1 },
	{ "H.264 partition B never starts (slice_id)", IVXS_ANNEXB_H264, { 0x23, 0x80 }, 2, 1, 1, 0, 0 },
	{ "H.264 partition C never starts (slice_id)", IVXS_ANNEXB_H264, { 0x24, 0x80 }, 2, 1, 1, 0, 0 },
	{ "H.264 slice without its slice-header byte", IVXS_ANNEXB_H264, { 0x41 }, 1, 1, 1, 0, 0 },
	{ "H.264 SEI", IVXS_ANNEXB_H264, { 0x06 }, 1, 1, 0, 0, 1 },
	{ "H.264 AUD", IVXS_ANNEXB_H264, { 0x09 }, 1, 1, 0, 0, 1 },
	{ "H.264 prefix NAL (14)", IVXS_ANNEXB_H264, { 0x0e }, 1, 1, 0, 0, 1 },
	{ "H.264 end of sequence (10)", IVXS_ANNEXB_H264, { 0x0a }, 1, 1, 0, 0, 0 },
	{ "H.264 slice extension (20)", IVXS_ANNEXB_H264, { 0x14, 0x80 }, 2, 1, 0, 0, 0 },
	{ "H.264 forbidden bit", IVXS_ANNEXB_H264, { 0xe5, 0x88 }, 2, 0, 1, 1, 1 },
	{ "H.265 IDR_W_RADL, first slice", IVXS_ANNEXB_H265, { 0x26, 0x01, 0x80 }, 3, 1, 1, 1, 1 },
	{ "H.265 CRA, later slice segment", IVXS_ANNEXB_H265, { 0x2a, 0x01, 0x00 }, 3, 1, 1, 1, 0 },
	{ "H.265 reserved IRAP 23 is key", IVXS_ANNEXB_H265, { 0x2e, 0x01, 0x80 }, 3, 1, 1, 1, 1 },
	{ "H.265 reserved VCL 30 with the flag", IVXS_ANNEXB_H265, { 0x3c, 0x01, 0x80 }, 3, 1, 1, 0, 1 },
	{ "H.265 layer-1 slice never starts", IVXS_ANNEXB_H265, { 0x02, 0x09, 0x80 }, 3, 1, 1, 0, 0 },
	{ "H.265 layer-1 IDR is no key", IVXS_ANNEXB_H265, { 0x26, 0x09, 0x80 }, 3, 1, 1, 0, 0 },
	{ "H.265 layer-1 VPS never starts", IVXS_ANNEXB_H265, { 0x40, 0x09 }, 2, 1, 0, 0, 0 },
	{ "H.265 layer 32 (high bit in byte 0)", IVXS_ANNEXB_H265, { 0x41, 0x01 }, 2, 1, 0, 0, 0 },
	{ "H.265 VPS", IVXS_ANNEXB_H265, { 0x40, 0x01 }, 2, 1, 0, 0, 1 },
	{ "H.265 prefix SEI", IVXS_ANNEXB_H265, { 0x4e, 0x01 }, 2, 1, 0, 0, 1 },
	{ "H.265 suffix SEI", IVXS_ANNEXB_H265, { 0x50, 0x01 }, 2, 1, 0, 0, 0 },
	{ "H.265 reserved 41", IVXS_ANNEXB_H265, { 0x52, 0x01 }, 2, 1, 0, 0, 1 },
	{ "H.265 unspecified 48", IVXS_ANNEXB_H265, { 0x60, 0x01 }, 2, 1, 0, 0, 1 },
	{ "H.265 EOS", IVXS_ANNEXB_H265, { 0x48, 0x01 }, 2, 1, 0, 0, 0 },
	{ "H.265 temporal id plus 1 == 0", IVXS_ANNEXB_H265, { 0x02, 0x00, 0x80 }, 3, 0, 1, 0, 1 },
	{ "H.265 one-byte header", IVXS_ANNEXB_H265, { 0x40 }, 1, 0, 0, 0, 1 },
};

static void testClass(const ClassCase *c)
{
	ivxs_annexb_nal n;
	ivxs_annexb_classify(c->codec, c->h, c->avail, &n);
	CHECKF(n.valid == c->valid && n.vcl == c->vcl && n.key == c->key && n.starts_au == c->starts,
		"%s: valid %d vcl %d key %d starts %d", c->name, n.valid, n.vcl, n.key, n.starts_au);
}

/* No limit on the NAL count: 5000 NAL units scan one by one, and the cursor
 * keeps offsets only (the buffer may move between calls). */
static void testManyNalsAndMovingBuffer(void)
{
	static uint8_t a[5000 * 5], b[5000 * 5];
	ivxs_annexb_cursor cursor;
	ivxs_annexb_span span;
	size_t i;
	int n = 0, r;
	for (i = 0; i < 5000; i++) {
		a[5 * i] = 0; a[5 * i + 1] = 0; a[5 * i + 2] = 1; a[5 * i + 3] = 0x41; a[5 * i + 4] = 0x9a;
	}
	memcpy(b, a, sizeof(a));
	ivxs_annexb_cursor_init(&cursor);
	while ((r = ivxs_annexb_next_nal(n % 2 ? a : b, sizeof(a), &cursor, &span)) == 1) {
		CHECKF(span.start == 5u * (uint32_t)n + 3 && span.end == 5u * (uint32_t)n + 5, "NAL %d", n);
		n++;
	}
	CHECKF(r == 0 && n == 5000, "r %d, %d NAL units", r, n);
	CHECKF(ivxs_annexb_next_nal(a, sizeof(a), &cursor, &span) == 0, "done stays done");
}

/* The AU grouping and its info word on a small H.265 stream. */
static void testGroupingInfo(void)
{
	static const uint8_t s[] = {
		0, 0, 0, 1, 0x40, 0x01, 0x0c, 0, 0, 1, 0x42, 0x01, 0x01, 0, 0, 1, 0x44, 0x01, 0xc0,
		0, 0, 1, 0x26, 0x01, 0x80, 0x11, 0, 0, 1, 0x02, 0x01, 0x80, 0x22, 0, 0, 1, 0x4e, 0x01, 0x05 };
	ivxs_annexb_au_cursor cursor;
	uint32_t start, end, info;
	ivxs_annexb_au_cursor_init(&cursor);
	CHECKF(ivxs_annexb_next_au(IVXS_ANNEXB_H265, s, sizeof(s), &cursor, &start, &end, &info) == 1, "AU 1");
	CHECKF(start == 0 && end == 26, "AU 1 spans %u..%u", start, end);
	CHECKF(info == (IVXS_AU_INFO_KEY | IVXS_AU_INFO_PARAMS | IVXS_AU_INFO_VCL | IVXS_AU_INFO_VPS |
		IVXS_AU_INFO_SPS | IVXS_AU_INFO_PPS | IVXS_AU_INFO_H265 | (4u << IVXS_AU_INFO_COUNT_SHIFT) |
		(19u << IVXS_AU_INFO_VCL_TYPE_SHIFT)), "AU 1 info %#x", info);
	CHECKF(ivxs_annexb_next_au(IVXS_ANNEXB_H265, s, sizeof(s), &cursor, &start, &end, &info) == 1, "AU 2");
	CHECKF(start == 26 && end == 33 && IVXS_AU_INFO_VCL_TYPE(info) == 1 && !(info & IVXS_AU_INFO_KEY), "AU 2 %u..%u %#x", start, end, info);
	CHECKF(ivxs_annexb_next_au(IVXS_ANNEXB_H265, s, sizeof(s), &cursor, &start, &end, &info) == 1, "AU 3");
	CHECKF(start == 33 && end == sizeof(s) && info == (IVXS_AU_INFO_SEI | IVXS_AU_INFO_H265 | (1u << IVXS_AU_INFO_COUNT_SHIFT)),
		"a trailing SEI is an AU without a picture: %#x", info);
	CHECKF(ivxs_annexb_next_au(IVXS_ANNEXB_H265, s, sizeof(s), &cursor, &start, &end, &info) == 0, "end");
	CHECKF(ivxs_annexb_next_au(3, s, sizeof(s), &cursor, &start, &end, &info) == IVXS_ANNEXB_ECODEC, "codec");
}

int main(void)
{
	size_t i;
	for (i = 0; i < sizeof(kCases) / sizeof(kCases[0]); i++) {
		ivxs_test_begin();
		testCase(&kCases[i]);
		ivxs_test_end(kCases[i].name);
	}
	for (i = 0; i < sizeof(kClasses) / sizeof(kClasses[0]); i++) {
		char name[160];
		snprintf(name, sizeof(name), "classify: %s", kClasses[i].name);
		ivxs_test_begin();
		testClass(&kClasses[i]);
		ivxs_test_end(name);
	}
	ivxs_test_run("more NAL units than room is an error", testFull);
	ivxs_test_run("5000 NAL units, one at a time, the buffer moving between calls", testManyNalsAndMovingBuffer);
	ivxs_test_run("access units and their info word", testGroupingInfo);
	ivxs_test_run("memchr scan agrees with a byte-at-a-time reference (20000 buffers)", testRandomAgainstReference);
	return ivxs_test_summary();
}
