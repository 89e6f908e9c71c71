/* Annex-B scanning, NAL classification and access-unit boundaries (see
 * annexb.h). memchr finds the zero bytes, so the scan costs about as much as
 * a memory scan. */
#include "annexb.h"

#include <string.h>

const ivxs_status_entry ivxs_annexb_statuses[] = {
	IVXS_STATUS(IVXS_ANNEXB_EEMPTY, "empty Annex-B buffer"),
	IVXS_STATUS(IVXS_ANNEXB_ENOSTART, "no start code found"),
	IVXS_STATUS(IVXS_ANNEXB_EGARBAGE, "garbage before first start code"),
	IVXS_STATUS(IVXS_ANNEXB_EEMPTYNAL, "empty NAL unit between start codes"),
	IVXS_STATUS(IVXS_ANNEXB_ETRUNC, "start code at end of data"),
	IVXS_STATUS(IVXS_ANNEXB_EFORBIDDEN, "forbidden_zero_bit set in NAL header"),
	IVXS_STATUS(IVXS_ANNEXB_EFULL, "too many NAL units"),
	IVXS_STATUS(IVXS_ANNEXB_EHEADER, "invalid NAL unit header"),
	IVXS_STATUS(IVXS_ANNEXB_ECODEC, "unknown codec"),
	IVXS_STATUS_END
};

const char *ivxs_annexb_strerror(int status)
{
	return ivxs_status_message(ivxs_annexb_statuses, status);
}

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

void ivxs_annexb_cursor_init(ivxs_annexb_cursor *cursor)
{
	memset(cursor, 0, sizeof(*cursor));
}

/* The error stays: a cursor that failed keeps failing the same way. */
static int cursor_fail(ivxs_annexb_cursor *cursor, int status)
{
	cursor->done = 1;
	cursor->next = status;
	return status;
}

int ivxs_annexb_next_nal(const uint8_t *data, size_t size, ivxs_annexb_cursor *c,
		ivxs_annexb_span *span)
{
	size_t start, end, i;
	long sc, next;
	if (c->done)
		return c->next < 0 ? (int)c->next : 0;
	if (!c->started) {
		c->started = 1;
		if (!size)
			return cursor_fail(c, IVXS_ANNEXB_EEMPTY);
		if (size > UINT32_MAX)
			return cursor_fail(c, IVXS_ANNEXB_EFULL);
		sc = ivxs_annexb_find_start(data, size, 0);
		if (sc < 0)
			return cursor_fail(c, IVXS_ANNEXB_ENOSTART);
		for (i = 0; i < (size_t)sc; i++)
			if (data[i])
				return cursor_fail(c, IVXS_ANNEXB_EGARBAGE);
		c->next = sc;
	}
	sc = c->next;
	if (sc < 0) {
		c->done = 1;
		c->next = 0;
		return 0;
	}
	start = (size_t)sc + 3;
	next = ivxs_annexb_find_start(data, size, start);
	end = next < 0 ? size : (size_t)next;
	while (end > start && data[end - 1] == 0)
		end--;
	if (end == start)
		return cursor_fail(c, next < 0 ? IVXS_ANNEXB_ETRUNC : IVXS_ANNEXB_EEMPTYNAL);
	if (data[start] & 0x80)
		return cursor_fail(c, IVXS_ANNEXB_EFORBIDDEN);
	/* a 4-byte start code's zero_byte, unless it ends the previous NAL */
	span->sc = (uint32_t)sc;
	if (sc > 0 && data[sc - 1] == 0 && (c->count == 0 || c->prev_end < (uint32_t)sc))
		span->sc = (uint32_t)sc - 1;
	span->start = (uint32_t)start;
	span->end = (uint32_t)end;
	c->prev_end = (uint32_t)end;
	c->count++;
	c->next = next;
	return 1;
}

int ivxs_annexb_scan(const uint8_t *data, size_t size, uint32_t *out, size_t max_nals)
{
	ivxs_annexb_cursor cursor;
	ivxs_annexb_span span;
	size_t count = 0;
	int r;
	ivxs_annexb_cursor_init(&cursor);
	while ((r = ivxs_annexb_next_nal(data, size, &cursor, &span)) == 1) {
		if (count == max_nals)
			return IVXS_ANNEXB_EFULL;
		out[3 * count] = span.sc;
		out[3 * count + 1] = span.start;
		out[3 * count + 2] = span.end;
		count++;
	}
	return r < 0 ? r : (int)count;
}

uint8_t ivxs_annexb_nal_type(int codec, const uint8_t *h)
{
	return codec == IVXS_ANNEXB_H264 ? (uint8_t)(h[0] & 0x1f) : (uint8_t)((h[0] >> 1) & 0x3f);
}

size_t ivxs_annexb_nal_need(int codec, const uint8_t *h)
{
	uint8_t t = ivxs_annexb_nal_type(codec, h);
	if (codec == IVXS_ANNEXB_H264)
		return (t == 1 || t == 2 || t == 5) ? 2 : 1;
	return t < 32 ? 3 : 2;
}

void ivxs_annexb_classify(int codec, const uint8_t *h, size_t avail, ivxs_annexb_nal *out)
{
	/* bits of bytes the NAL does not have read as zero */
	uint8_t b1 = avail > 1 ? h[1] : 0, b2 = avail > 2 ? h[2] : 0, t;
	memset(out, 0, sizeof(*out));
	t = ivxs_annexb_nal_type(codec, h);
	out->type = t;
	if (codec == IVXS_ANNEXB_H264) {
		out->valid = (h[0] & 0x80) == 0;
		out->vcl = t >= 1 && t <= 5;
		out->key = t == 5;
		if (t == 1 || t == 2 || t == 5)
			out->starts_au = (b1 & 0x80) != 0;   /* first_mb_in_slice == 0 */
		else
			out->starts_au = (t >= 6 && t <= 9) || (t >= 14 && t <= 18);
		return;
	}
	out->layer = (uint8_t)(((h[0] & 1) << 5) | (b1 >> 3));
	out->valid = (h[0] & 0x80) == 0 && avail >= 2 && (b1 & 0x07) != 0;
	out->vcl = t < 32;
	out->key = t >= 16 && t <= 23 && out->layer == 0;
	if (out->layer != 0)
		out->starts_au = 0;   /* only the base layer starts an AU */
	else if (t < 32)
		out->starts_au = (b2 & 0x80) != 0;       /* first_slice_segment_in_pic_flag */
	else
		out->starts_au = (t >= 32 && t <= 35) || t == 39 || (t >= 41 && t <= 44) ||
			(t >= 48 && t <= 55);
}

void ivxs_annexb_au_clear(ivxs_annexb_au *au, int codec)
{
	au->info = codec == IVXS_ANNEXB_H265 ? IVXS_AU_INFO_H265 : 0;
	au->nal_count = 0;
	au->nal_types = 0;
}

int ivxs_annexb_au_starts(const ivxs_annexb_au *au, const ivxs_annexb_nal *nal)
{
	return (au->info & IVXS_AU_INFO_VCL) && nal->starts_au;
}

void ivxs_annexb_au_add(ivxs_annexb_au *au, int codec, const ivxs_annexb_nal *nal)
{
	uint32_t info = au->info, count;
	au->nal_count++;
	au->nal_types |= (uint64_t)1 << nal->type;
	if (nal->vcl && !(info & IVXS_AU_INFO_VCL))
		info |= IVXS_AU_INFO_VCL | ((uint32_t)nal->type << IVXS_AU_INFO_VCL_TYPE_SHIFT);
	if (nal->key)
		info |= IVXS_AU_INFO_KEY;
	if (codec == IVXS_ANNEXB_H264) {
		info |= nal->type == 7 ? IVXS_AU_INFO_SPS : nal->type == 8 ? IVXS_AU_INFO_PPS :
			nal->type == 9 ? IVXS_AU_INFO_AUD : nal->type == 6 ? IVXS_AU_INFO_SEI : 0;
		if ((info & IVXS_AU_INFO_SPS) && (info & IVXS_AU_INFO_PPS))
			info |= IVXS_AU_INFO_PARAMS;
	} else {
		info |= nal->type == 32 ? IVXS_AU_INFO_VPS : nal->type == 33 ? IVXS_AU_INFO_SPS :
			nal->type == 34 ? IVXS_AU_INFO_PPS : nal->type == 35 ? IVXS_AU_INFO_AUD :
			(nal->type == 39 || nal->type == 40) ? IVXS_AU_INFO_SEI : 0;
		if ((info & IVXS_AU_INFO_VPS) && (info & IVXS_AU_INFO_SPS) && (info & IVXS_AU_INFO_PPS))
			info |= IVXS_AU_INFO_PARAMS;
	}
	count = au->nal_count > 255 ? 255 : au->nal_count;
	au->info = (info & ~IVXS_AU_INFO_COUNT_MASK) | (count << IVXS_AU_INFO_COUNT_SHIFT);
}

void ivxs_annexb_au_cursor_init(ivxs_annexb_au_cursor *cursor)
{
	memset(cursor, 0, sizeof(*cursor));
}

/* Classify a whole NAL of a scanned buffer; EHEADER when it is not valid. */
static int classify_span(int codec, const uint8_t *data, const ivxs_annexb_span *span,
		ivxs_annexb_nal *nal)
{
	ivxs_annexb_classify(codec, data + span->start, span->end - span->start, nal);
	return nal->valid ? 0 : IVXS_ANNEXB_EHEADER;
}

int ivxs_annexb_next_au(int codec, const uint8_t *data, size_t size,
		ivxs_annexb_au_cursor *c, uint32_t *start, uint32_t *end, uint32_t *info)
{
	ivxs_annexb_au au;
	ivxs_annexb_span span;
	ivxs_annexb_nal nal;
	int r;
	if (codec != IVXS_ANNEXB_H264 && codec != IVXS_ANNEXB_H265)
		return IVXS_ANNEXB_ECODEC;
	if (c->done)
		return c->nals.next < 0 ? (int)c->nals.next : 0;
	if (!c->checked) {
		ivxs_annexb_cursor whole;
		ivxs_annexb_cursor_init(&whole);
		while ((r = ivxs_annexb_next_nal(data, size, &whole, &span)) == 1)
			;
		c->checked = 1;
		if (r < 0) {
			c->done = 1;
			c->nals.next = r;
			return r;
		}
	}
	ivxs_annexb_au_clear(&au, codec);
	if (c->has_pending) {
		c->has_pending = 0;
		span = c->pending;
		c->au_start = span.sc;
	} else {
		r = ivxs_annexb_next_nal(data, size, &c->nals, &span);
		if (r <= 0) {
			c->done = 1;
			return r;
		}
		c->au_start = 0;   /* the first AU keeps any leading zero bytes */
	}
	for (;;) {
		if ((r = classify_span(codec, data, &span, &nal)) < 0) {
			c->done = 1;
			c->nals.next = r;
			return r;
		}
		if (ivxs_annexb_au_starts(&au, &nal)) {
			c->pending = span;
			c->has_pending = 1;
			*end = span.sc;
			break;
		}
		ivxs_annexb_au_add(&au, codec, &nal);
		r = ivxs_annexb_next_nal(data, size, &c->nals, &span);
		if (r < 0) {
			c->done = 1;
			c->nals.next = r;
			return r;
		}
		if (r == 0) {
			c->done = 1;
			*end = (uint32_t)size;
			break;
		}
	}
	*start = c->au_start;
	*info = au.info;
	return 1;
}
