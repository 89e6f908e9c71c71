/* G.711 μ-law and A-law encoders (see g711.h). */
#include "g711.h"

/* The top of each of the 8 segments: μ-law's on the biased 14-bit magnitude, A-law's on the
 * 13-bit one. A magnitude's segment is the first whose top it does not pass. */
static const uint16_t kUlawTops[8] = { 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff };
static const uint16_t kAlawTops[8] = { 0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff };

static unsigned segment(const uint16_t *tops, int magnitude)
{
	unsigned s = 0;
	while (s < 8 && magnitude > tops[s])
		s++;
	return s;
}

uint8_t ivxs_g711_ulaw(int16_t sample)
{
	int v = sample >> 2;          /* 14 bits, the sign kept */
	uint8_t invert = 0xff;        /* μ-law sends every bit inverted; a negative sample clears the sign bit */
	unsigned s;
	if (v < 0) {
		v = -v;
		invert = 0x7f;
	}
	if (v > 8159)                 /* the largest magnitude the code reaches, less the bias */
		v = 8159;
	v += 33;                      /* the bias: every segment's steps start where μ-law's curve does */
	s = segment(kUlawTops, v);
	if (s > 7)
		return (uint8_t)(0x7f ^ invert);
	return (uint8_t)(((s << 4) | ((unsigned)(v >> (s + 1)) & 0x0f)) ^ invert);
}

uint8_t ivxs_g711_alaw(int16_t sample)
{
	int v = sample >> 3;          /* 13 bits, the sign kept */
	uint8_t invert = 0xd5;        /* A-law sends the even bits inverted, the sign bit set for ≥ 0 */
	unsigned s;
	if (v < 0) {
		v = -v - 1;
		invert = 0x55;
	}
	s = segment(kAlawTops, v);
	if (s > 7)
		return (uint8_t)(0x7f ^ invert);
	return (uint8_t)(((s << 4) | ((unsigned)(v >> (s < 2 ? 1 : s)) & 0x0f)) ^ invert);
}

void ivxs_g711_encode(int alaw, const int16_t *samples, size_t count, uint8_t *out)
{
	size_t i;
	for (i = 0; i < count; i++)
		out[i] = alaw ? ivxs_g711_alaw(samples[i]) : ivxs_g711_ulaw(samples[i]);
}
