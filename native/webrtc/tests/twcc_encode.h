/* The C tests' TWCC feedback encoder (rtcp_test.c reads its output back, twcc_test.c feeds it to
 * the sender's congestion control): written from draft-holmer-rmcat-transport-wide-cc-
 * extensions-01 §3.1, sharing nothing with rtcp.c. */
#ifndef IVXS_TWCC_ENCODE_H
#define IVXS_TWCC_ENCODE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint16_t seq;
	int received;
	int64_t arrivalUs;
} twcc_packet;

#define TWCC_MAX 300   /* packets per random feedback */

/* A TWCC encoder from the draft, sharing nothing with rtcp.c. The chunks by a fixed rule: a run of
 * 7 or more alike statuses is a run-length chunk (the last one's length padded by `extra`, which
 * tells statuses past the end); else a 2-bit vector of 7 when a large delta is among the next 14,
 * else a 1-bit vector of 14 (a vector's extras past the end are `extra`'s bits, 11 never). The
 * arrivals are multiples of 250 µs, the first received within a 16-bit delta of the reference
 * time and each after within one of the one before. Returns the FCI's length. */
static size_t twccEncode(uint8_t *out, uint16_t base, int32_t reference, uint8_t feedbackCount,
	const twcc_packet *p, size_t n, uint32_t extra, unsigned kinds[3])
{
	uint8_t status[TWCC_MAX];
	size_t at = 8, i, k;
	int64_t last = (int64_t)reference * 64000;
	for (i = 0; i < n; i++) {
		int64_t d = (p[i].arrivalUs - last) / 250;
		status[i] = !p[i].received ? 0 : d >= 0 && d <= 255 ? 1 : 2;
		if (p[i].received)
			last = p[i].arrivalUs;
	}
	out[0] = (uint8_t)(base >> 8), out[1] = (uint8_t)base, out[2] = (uint8_t)(n >> 8), out[3] = (uint8_t)n;
	out[4] = (uint8_t)((uint32_t)reference >> 16), out[5] = (uint8_t)((uint32_t)reference >> 8), out[6] = (uint8_t)reference;
	out[7] = feedbackCount;
	for (i = 0; i < n; ) {
		size_t run = 1, large = 0;
		unsigned chunk;
		while (i + run < n && run < 8191 && status[i + run] == status[i])
			run++;
		for (k = i; k < n && k < i + 14; k++)
			large |= status[k] == 2;
		if (run >= 7) {
			size_t told = i + run == n && run + extra % 4 <= 8191 ? run + extra % 4 : run;
			chunk = (unsigned)status[i] << 13 | (unsigned)told;
			i += run;
			kinds[0]++;
		}
		else if (large) {
			chunk = 0xc000;
			for (k = 0; k < 7; k++)
				chunk |= (i + k < n ? status[i + k] : (extra >> k) % 3) << (12 - 2 * k);
			i += 7;
			kinds[2]++;
		}
		else {
			chunk = 0x8000;
			for (k = 0; k < 14; k++)
				chunk |= (i + k < n ? status[i + k] : (extra >> k) & 1) << (13 - k);
			i += 14;
			kinds[1]++;
		}
		out[at++] = (uint8_t)(chunk >> 8), out[at++] = (uint8_t)chunk;
	}
	last = (int64_t)reference * 64000;
	for (i = 0; i < n; i++) {
		int64_t d = (p[i].arrivalUs - last) / 250;
		if (status[i] == 1)
			out[at++] = (uint8_t)d;
		else if (status[i] == 2)
			out[at++] = (uint8_t)((uint16_t)d >> 8), out[at++] = (uint8_t)d;
		if (p[i].received)
			last = p[i].arrivalUs;
	}
	return at;
}

#endif
