/*
 * Repeatable "random" bytes for the C tests and fuzz harnesses (xorshift64): the shape of the
 * cores' injected random source (int f(void *ctx, unsigned char *out, size_t size), 0 = ok), ctx a
 * uint64_t seed. Never for anything but tests: it is not random.
 */
#ifndef IVXS_TEST_RANDOM_H
#define IVXS_TEST_RANDOM_H

#include <stddef.h>
#include <stdint.h>

static inline int ivxs_test_random(void *ctx, unsigned char *out, size_t size)
{
	uint64_t *s = ctx;
	size_t i;
	for (i = 0; i < size; i++) {
		*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
		out[i] = (uint8_t)*s;
	}
	return 0;
}

#endif
