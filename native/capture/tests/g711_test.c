/*
 * G.711 encoding (g711.c): samples at the segments' edges against Python's audioop (the standard's
 * encoder, another implementation: the values below are what audioop.lin2ulaw / lin2alaw gave),
 * and every 16-bit sample against an independent decoder (G.711's reconstruction levels, written
 * here from the standard's tables): the code chosen is the nearest level's or its neighbour's,
 * the sign always kept, the codes in order of the samples.
 */
#include <stdlib.h>
#include <string.h>

#include "g711.h"
#include "ivxs_test.h"

static const int16_t kSamples[] = { -32768, -32767, -32636, -32635, -32634, -16384, -8192, -4096, -2048, -1024, -512, -256, -132, -131, -130, -128, -127, -100, -33, -32, -31, -8, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 7, 8, 31, 32, 33, 100, 127, 128, 130, 131, 132, 252, 253, 256, 500, 512, 1000, 1024, 2048, 4000, 4096, 8000, 8192, 12345, 16384, 20000, 30000, 32635, 32636, 32767 };
static const uint8_t kUlaw[] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x1f, 0x2f, 0x3e, 0x4d, 0x5b, 0x67, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x72, 0x7a, 0x7b, 0x7b, 0x7e, 0x7e, 0x7e, 0x7e, 0x7e, 0x7e, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xfe, 0xfe, 0xfe, 0xfb, 0xfb, 0xfb, 0xf2, 0xef, 0xef, 0xef, 0xef, 0xef, 0xe7, 0xe7, 0xe7, 0xdc, 0xdb, 0xce, 0xcd, 0xbe, 0xaf, 0xaf, 0xa0, 0x9f, 0x97, 0x8f, 0x8c, 0x82, 0x80, 0x80, 0x80 };
static const uint8_t kAlaw[] = { 0x2a, 0x2a, 0x2a, 0x2a, 0x2a, 0x3a, 0x0a, 0x1a, 0x6a, 0x7a, 0x4a, 0x5a, 0x5d, 0x5d, 0x5d, 0x52, 0x52, 0x53, 0x57, 0x54, 0x54, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0xd5, 0xd5, 0xd5, 0xd5, 0xd5, 0xd5, 0xd5, 0xd5, 0xd4, 0xd7, 0xd7, 0xd3, 0xd2, 0xdd, 0xdd, 0xdd, 0xdd, 0xda, 0xda, 0xc5, 0xca, 0xf5, 0xfa, 0xe5, 0x95, 0x9a, 0x85, 0x8a, 0xb5, 0xbd, 0xa5, 0xa6, 0xa8, 0xaa, 0xaa, 0xaa };

/* G.711's reconstruction: μ-law's (mantissa·2 + 33)·2^segment − 33, ×4 to 16 bits; A-law's
 * (mantissa·2 + 1)·2^(segment−1) for segments ≥ 1, mantissa·2 + 1 in the first, ×8. */
static int ulawLevel(uint8_t code)
{
	unsigned c = (uint8_t)~code, s = (c >> 4) & 7, m = c & 15;
	int v = (int)(((m << 1) + 33) << s) - 33;
	return (c & 0x80 ? -v : v) * 4;
}

static int alawLevel(uint8_t code)
{
	unsigned c = code ^ 0x55, s = (c >> 4) & 7, m = c & 15;
	int v = s ? (int)(((m << 1) + 33) << (s - 1)) : (int)((m << 1) + 1);
	return (c & 0x80 ? v : -v) * 8;
}

static void test_reference(void)
{
	size_t i;
	uint8_t u[sizeof(kSamples) / 2], a[sizeof(kSamples) / 2];
	CHECK_EQ(sizeof(kSamples) / 2, sizeof(kUlaw));
	ivxs_g711_encode(0, kSamples, sizeof(kSamples) / 2, u);
	ivxs_g711_encode(1, kSamples, sizeof(kSamples) / 2, a);
	for (i = 0; i < sizeof(kUlaw); i++) {
		CHECKF(u[i] == kUlaw[i], "μ-law of %d: 0x%02x, audioop 0x%02x", kSamples[i], u[i], kUlaw[i]);
		CHECKF(a[i] == kAlaw[i], "A-law of %d: 0x%02x, audioop 0x%02x", kSamples[i], a[i], kAlaw[i]);
	}
done:;
}

/* Every sample: decoded again it lands within half a step of its segment (G.711's steps grow
 * with the magnitude: a sixteenth of it, 32 at most near zero), a larger sample never gets a
 * smaller level, and the sign is kept (but for the levels nearest zero). Past ±32,000 the codes
 * clip at the largest level. */
static void test_every_sample(int alaw)
{
	const char *name = alaw ? "A-law" : "μ-law";
	int s, previous = -(1 << 30), worst = 0;
	for (s = -32768; s <= 32767; s++) {
		uint8_t code = alaw ? ivxs_g711_alaw((int16_t)s) : ivxs_g711_ulaw((int16_t)s);
		int level = alaw ? alawLevel(code) : ulawLevel(code), error = abs(level - s), magnitude = abs(s);
		CHECKF(level >= previous, "%s: sample %d decodes to %d, below %d", name, s, level, previous);
		CHECKF(magnitude > 32000 || error <= magnitude / 16 + 32, "%s: sample %d decodes to %d", name, s, level);
		CHECKF(magnitude <= 32 || (level < 0) == (s < 0), "%s: sample %d decodes to %d: the sign lost", name, s, level);
		if (magnitude <= 32000 && error > worst)
			worst = error;
		previous = level;
	}
	NOTE("%s: largest error %d", name, worst);
done:;
}

static void test_ulaw_all(void) { test_every_sample(0); }
static void test_alaw_all(void) { test_every_sample(1); }

int main(void)
{
	ivxs_test_run("μ-law and A-law at the segments' edges: the codes audioop (the standard's encoder) gives", test_reference);
	ivxs_test_run("μ-law, every 16-bit sample: decoded within its segment's step, in order, its sign kept", test_ulaw_all);
	ivxs_test_run("A-law, every 16-bit sample: decoded within its segment's step, in order, its sign kept", test_alaw_all);
	return ivxs_test_summary();
}
