/* Annex-B NAL unit scanning (see annexb.h). memchr finds the zero bytes, so
 * the cost is close to a memory scan. */
#include "annexb.h"

#include <string.h>

long ivxs_annexb_find_start(const uint8_t *data, size_t size, size_t from)
{
	const uint8_t *p = data + from, *end = data + size;
	while (from < size && end - p >= 3) {
		p = memchr(p, 0, (size_t)(end - p) - 2);
		if (!p)
			return -1;
		if (p[1] != 0)
			p += 2;
		else if (p[2] == 1)
			return (long)(p - data);
		else if (p[2] == 0)
			p += 1;
		else
			p += 3;
	}
	return -1;
}

int ivxs_annexb_scan(const uint8_t *data, size_t size, uint32_t *out, size_t max_nals)
{
	long sc, next;
	size_t i, count = 0;
	if (!size)
		return IVXS_ANNEXB_EEMPTY;
	sc = ivxs_annexb_find_start(data, size, 0);
	if (sc < 0)
		return IVXS_ANNEXB_ENOSTART;
	for (i = 0; i < (size_t)sc; i++)
		if (data[i])
			return IVXS_ANNEXB_EGARBAGE;
	while (sc >= 0) {
		size_t start = (size_t)sc + 3, end;
		uint32_t scOffset;
		next = ivxs_annexb_find_start(data, size, start);
		end = next < 0 ? size : (size_t)next;
		while (end > start && data[end - 1] == 0)
			end--;
		if (end == start)
			return next < 0 ? IVXS_ANNEXB_ETRUNC : IVXS_ANNEXB_EEMPTYNAL;
		if (data[start] & 0x80)
			return IVXS_ANNEXB_EFORBIDDEN;
		if (count == max_nals)
			return IVXS_ANNEXB_EFULL;
		/* a 4-byte start code's leading zero, unless it ends the previous NAL */
		scOffset = (uint32_t)sc;
		if (sc > 0 && data[sc - 1] == 0 && (count == 0 || out[3 * count - 1] < (uint32_t)sc))
			scOffset = (uint32_t)sc - 1;
		out[3 * count] = scOffset;
		out[3 * count + 1] = (uint32_t)start;
		out[3 * count + 2] = (uint32_t)end;
		count++;
		sc = next;
	}
	return (int)count;
}
