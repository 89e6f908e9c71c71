/*
 * Incremental ADTS (AAC) frame splitter, see capture.h. Portable: no
 * allocation (the buffer is inside the struct), no stdio.
 */
#include "capture.h"

#include <string.h>

static const uint32_t adts_rates[13] = {
	96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350
};

static int adts_sync(const uint8_t *h)
{
	/* 12-bit syncword 0xFFF, layer 00 (ID may be MPEG-4 or MPEG-2) */
	return h[0] == 0xFF && (h[1] & 0xF6) == 0xF0;
}

int ivxs_adts_parse_header(const uint8_t *h, size_t avail, ivxs_adts_frame *out)
{
	uint32_t sfi, len, hs;
	if (avail < 7 || !adts_sync(h))
		return 0;
	sfi = (h[2] >> 2) & 0x0f;
	if (sfi >= 13)
		return 0;
	len = ((uint32_t)(h[3] & 0x03) << 11) | ((uint32_t)h[4] << 3) | (h[5] >> 5);
	hs = (h[1] & 0x01) ? 7 : 9;
	if (len <= hs)
		return 0;
	out->data = NULL;
	out->size = len;
	out->sample_rate = adts_rates[sfi];
	out->samples = (uint16_t)(1024 * ((h[6] & 0x03) + 1));
	out->channels = (uint8_t)(((h[2] & 0x01) << 2) | (h[3] >> 6));
	out->object_type = (uint8_t)((h[2] >> 6) + 1);
	out->header_size = (uint8_t)hs;
	return 1;
}

void ivxs_adts_init(ivxs_adts_splitter *s)
{
	s->head = s->len = 0;
	s->ended = s->synced = s->in_error = s->trunc_reported = 0;
	s->frames = s->errors = s->skipped_bytes = 0;
}

uint8_t *ivxs_adts_space(ivxs_adts_splitter *s, size_t *avail)
{
	if (s->head) {
		memmove(s->buf, s->buf + s->head, s->len - s->head);
		s->len -= s->head;
		s->head = 0;
	}
	*avail = s->ended ? 0 : sizeof(s->buf) - s->len;
	return s->buf + s->len;
}

void ivxs_adts_commit(ivxs_adts_splitter *s, size_t n)
{
	if (n > sizeof(s->buf) - s->len)
		n = sizeof(s->buf) - s->len;
	s->len += n;
}

size_t ivxs_adts_feed(ivxs_adts_splitter *s, const void *data, size_t len)
{
	size_t avail;
	uint8_t *p = ivxs_adts_space(s, &avail);
	if (len > avail)
		len = avail;
	if (len)
		memcpy(p, data, len);
	s->len += len;
	return len;
}

void ivxs_adts_end(ivxs_adts_splitter *s)
{
	s->ended = 1;
}

static int adts_bad(ivxs_adts_splitter *s)
{
	/* skip to the next candidate 0xFF */
	const uint8_t *q = NULL;
	size_t from = s->head + 1;
	if (from < s->len)
		q = memchr(s->buf + from, 0xFF, s->len - from);
	size_t to = q ? (size_t)(q - s->buf) : s->len;
	s->skipped_bytes += to - s->head;
	s->head = to;
	s->synced = 0;
	if (s->in_error)
		return 0;
	s->in_error = 1;
	s->errors++;
	return IVXS_CAPTURE_EADTS;
}

int ivxs_adts_next(ivxs_adts_splitter *s, ivxs_adts_frame *out)
{
	for (;;) {
		const uint8_t *h = s->buf + s->head;
		size_t have = s->len - s->head;
		ivxs_adts_frame f;
		int r;
		if (have < 7) {
			if (!s->ended || have == 0)
				return 0;
			s->skipped_bytes += have;
			s->head = s->len;
			if (s->trunc_reported)
				return 0;
			s->trunc_reported = 1;
			s->errors++;
			return IVXS_CAPTURE_ETRUNC;
		}
		if (!ivxs_adts_parse_header(h, have, &f)) {
			if ((r = adts_bad(s)) != 0)
				return r;
			continue;
		}
		if (have < (s->synced ? f.size : f.size + 7)) {
			if (!s->ended)
				return 0;   /* buffer holds IVXS_ADTS_MAX_FRAME + 7 after compaction */
			if (have < f.size) {
				if (!s->synced) {
					/* a false sync inside garbage: keep looking */
					if ((r = adts_bad(s)) != 0)
						return r;
					continue;
				}
				s->skipped_bytes += have;
				s->head = s->len;
				s->trunc_reported = 1;
				s->errors++;
				return IVXS_CAPTURE_ETRUNC;
			}
		} else if (!s->synced && !adts_sync(h + f.size)) {
			/* to gain sync, the frame must be followed by another sync word */
			if ((r = adts_bad(s)) != 0)
				return r;
			continue;
		}
		f.data = h;
		*out = f;
		s->head += f.size;
		s->synced = 1;
		s->in_error = 0;
		s->frames++;
		return 1;
	}
}
