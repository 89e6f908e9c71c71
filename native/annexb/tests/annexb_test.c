/* Tests of the Annex-B scanner core: table-driven cases with their expected
 * triples or errors, and a randomized cross-check against a byte-at-a-time
 * reference. Ends with "N passed, N failed". */
#include "annexb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int gPassed, gFailed;

#define CHECK(cond, ...) do { if (!(cond)) { printf("  FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); return 0; } } while (0)

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

static int testCase(const Case *c)
{
	uint32_t out[12];
	int n = ivxs_annexb_scan(c->bytes, c->size, out, 4), i;
	CHECK(n == c->expect, "%s: got %d, expected %d", c->name, n, c->expect);
	for (i = 0; i < 3 * (n > 0 ? n : 0); i++)
		CHECK(out[i] == c->spans[i], "%s: span %d is %u, expected %u", c->name, i, out[i], c->spans[i]);
	return 1;
}

static int testFull(void)
{
	static const uint8_t bytes[] = { 0, 0, 1, 0x41, 0, 0, 1, 0x41, 0, 0, 1, 0x41 };
	uint32_t out[6];
	int n = ivxs_annexb_scan(bytes, sizeof(bytes), out, 2);
	CHECK(n == IVXS_ANNEXB_EFULL, "got %d", n);
	return 1;
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

static int testRandomAgainstReference(void)
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
		CHECK(ivxs_annexb_find_start(buffer, n, from) == referenceFind(buffer, n, from), "round %d", round);
	}
	return 1;
}

int main(void)
{
	size_t i;
	for (i = 0; i < sizeof(kCases) / sizeof(kCases[0]); i++) {
		int ok = testCase(&kCases[i]);
		printf("%s %s\n", ok ? "ok  " : "FAIL", kCases[i].name);
		ok ? gPassed++ : gFailed++;
	}
#define RUN(fn, title) do { int ok = fn(); printf("%s %s\n", ok ? "ok  " : "FAIL", title); ok ? gPassed++ : gFailed++; } while (0)
	RUN(testFull, "more NAL units than room is an error");
	RUN(testRandomAgainstReference, "memchr scan agrees with a byte-at-a-time reference (20000 buffers)");
	printf("%d passed, %d failed\n", gPassed, gFailed);
	return gFailed ? 1 : 0;
}
