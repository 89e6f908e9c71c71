/*
 * Incremental Annex-B access-unit splitter (H.264 / H.265), see capture.h.
 * Portable: no allocation, no stdio. NAL classes and AU boundaries come from
 * native/annexb (ivxs_annexb_classify / ivxs_annexb_au_*), so this file only
 * decides what to keep in its buffer, when to wait for bytes and how to
 * recover from bad input.
 *
 * Progress: whenever ivxs_au_next returns 0 before the end, the bytes it
 * still needs fit in the buffer with room to spare (an AU over the maximum
 * fails with ETOOBIG and is skipped; while skipping, everything before the
 * current start code is dropped), so ivxs_au_space always has room then.
 */
#include "capture.h"

#include <string.h>

/* The codec goes to native/annexb as it is: its numbers are the ring's. */
_Static_assert(IVXS_ANNEXB_H264 == IVXS_CODEC_H264 && IVXS_ANNEXB_H265 == IVXS_CODEC_H265,
	"annexb's codec numbers must be ring's ivxs_codec");

#define NO_POS ((size_t)-1)

static size_t find_start(const uint8_t *b, size_t from, size_t len)
{
	long p = ivxs_annexb_find_start(b, len, from);
	return p < 0 ? NO_POS : (size_t)p;
}

static int all_zero(const uint8_t *b, size_t n)
{
	while (n--)
		if (*b++)
			return 0;
	return 1;
}

int ivxs_au_init(ivxs_au_splitter *s, ivxs_codec codec, void *buf, size_t buf_size)
{
	if (!s || !buf || buf_size <= IVXS_AU_LOOKAHEAD + 8 ||
			(codec != IVXS_CODEC_H264 && codec != IVXS_CODEC_H265))
		return IVXS_CAPTURE_EARG;
	memset(s, 0, sizeof(*s));
	s->codec = codec;
	s->buf = buf;
	s->cap = buf_size;
	s->max_au = buf_size - IVXS_AU_LOOKAHEAD;
	ivxs_au_reset(s);
	return IVXS_CAPTURE_OK;
}

void ivxs_au_reset(ivxs_au_splitter *s)
{
	s->head = s->len = 0;
	s->au_start = s->scan = s->nal_sc = s->hdr = s->bad_sc = 0;
	s->started = s->hdr_pending = s->skipping = s->zero_hdr = 0;
	s->ended = s->done = s->garbage_seen = s->trunc_pending = s->garbage_pending = 0;
	ivxs_annexb_au_clear(&s->cur, (int)s->codec);
}

size_t ivxs_au_max(const ivxs_au_splitter *s)
{
	return s->max_au;
}

/* Move live bytes to the front of the buffer. */
static void au_compact(ivxs_au_splitter *s)
{
	size_t h = s->head;
	if (h == 0)
		return;
	memmove(s->buf, s->buf + h, s->len - h);
	s->len -= h;
	s->au_start -= h;
	s->scan = s->scan >= h ? s->scan - h : 0;
	s->bad_sc = s->bad_sc >= h ? s->bad_sc - h : 0;
	if (s->nal_sc >= h) {
		s->nal_sc -= h;
		s->hdr -= h;
	} else {
		s->nal_sc = s->hdr = 0;
	}
	s->head = 0;
}

uint8_t *ivxs_au_space(ivxs_au_splitter *s, size_t *avail)
{
	au_compact(s);
	*avail = s->ended ? 0 : s->cap - s->len;
	return s->buf + s->len;
}

void ivxs_au_commit(ivxs_au_splitter *s, size_t n)
{
	if (n > s->cap - s->len)
		n = s->cap - s->len;
	s->len += n;
}

size_t ivxs_au_feed(ivxs_au_splitter *s, const void *data, size_t len)
{
	size_t avail;
	uint8_t *p = ivxs_au_space(s, &avail);
	if (len > avail)
		len = avail;
	if (len)
		memcpy(p, data, len);
	s->len += len;
	return len;
}

void ivxs_au_end(ivxs_au_splitter *s)
{
	s->ended = 1;
}

int ivxs_au_finished(const ivxs_au_splitter *s)
{
	return s->done;
}

/* Drop buf[head, upto): bytes no longer needed. */
static void au_discard_to(ivxs_au_splitter *s, size_t upto)
{
	if (upto > s->head) {
		s->skipped_bytes += upto - s->head;
		s->head = upto;
	}
	if (s->au_start < upto)
		s->au_start = upto;
	if (s->scan < upto)
		s->scan = upto;
}

static void au_add(ivxs_au_splitter *s, const ivxs_annexb_nal *c)
{
	ivxs_annexb_au_add(&s->cur, (int)s->codec, c);
}

static int au_has_vcl(const ivxs_au_splitter *s)
{
	return (s->cur.info & IVXS_AU_INFO_VCL) != 0;
}

static void au_emit(ivxs_au_splitter *s, ivxs_au *out, size_t end)
{
	out->data = s->buf + s->au_start;
	out->size = end - s->au_start;
	out->info = s->cur.info;
	out->key = (s->cur.info & IVXS_AU_INFO_KEY) != 0;
	out->has_params = (s->cur.info & IVXS_AU_INFO_PARAMS) != 0;
	out->nal_count = s->cur.nal_count;
	out->nal_types = s->cur.nal_types;
	s->aus++;
	s->head = end;   /* the AU stays in place until the next call */
	s->au_start = end;
	if (s->scan < end)
		s->scan = end;
	ivxs_annexb_au_clear(&s->cur, (int)s->codec);
}

/* The current AU cannot be kept: drop it, skip to the next AU boundary. */
static int au_fail(ivxs_au_splitter *s, size_t discard_to, int err)
{
	if (s->cur.nal_count)
		s->dropped++;
	ivxs_annexb_au_clear(&s->cur, (int)s->codec);
	au_discard_to(s, discard_to);
	s->skipping = 1;
	s->errors++;
	return err;
}

/* A NAL that is not one (bad header, or empty) at bad_nal_sc; splitting goes
 * on from resume. The AU before it is complete if it holds a picture.
 * 1: *out is that AU (the error follows on the next call); 2: keep going
 * (already skipping); <0: the error. */
static int au_bad_nal(ivxs_au_splitter *s, ivxs_au *out, size_t bad_nal_sc, size_t resume)
{
	if (s->skipping) {   /* same bad run: one report */
		au_discard_to(s, resume);
		return 2;
	}
	if (au_has_vcl(s) && bad_nal_sc - s->au_start <= s->max_au) {
		au_emit(s, out, bad_nal_sc);
		s->bad_sc = resume;
		s->garbage_pending = 1;
		return 1;
	}
	return au_fail(s, resume, IVXS_CAPTURE_EGARBAGE);
}

/* Before the first start code: leading zero bytes are legal, anything else
 * is reported once. 1: a start code was found (state set), 0 or <0: return it. */
static int au_seek_start(ivxs_au_splitter *s)
{
	const uint8_t *b = s->buf;
	size_t p = find_start(b, s->scan, s->len), i, stop;
	int nonzero = 0;
	/* without a start code keep 3 bytes: a 4-byte start code may be arriving */
	stop = p == NO_POS ? (s->ended ? s->len : (s->len > 3 ? s->len - 3 : s->head)) : p;
	if (stop < s->head)
		stop = s->head;
	for (i = s->head; i < stop; i++)
		if (b[i]) {
			nonzero = 1;
			break;
		}
	if (p != NO_POS && p > s->head && b[p - 1] == 0)
		stop = p - 1;   /* keep the zero_byte of a 4-byte start code */
	au_discard_to(s, stop);
	if (p == NO_POS) {
		if (s->ended)
			s->done = 1;
	} else {
		s->started = 1;
		s->nal_sc = stop;
		s->au_start = stop;
		s->hdr = p + 3;
		s->hdr_pending = 1;
	}
	if (nonzero && !s->garbage_seen) {
		s->garbage_seen = 1;
		s->errors++;
		return IVXS_CAPTURE_EGARBAGE;
	}
	return p != NO_POS;
}

int ivxs_au_next(ivxs_au_splitter *s, ivxs_au *out)
{
	uint8_t *b = s->buf;
	int codec = (int)s->codec, r;
	if (s->done)
		return 0;
	if (s->trunc_pending) {
		/* Trailing fragment after the final AU was emitted. */
		s->trunc_pending = 0;
		s->skipped_bytes += s->len - s->head;
		s->head = s->len;
		s->done = 1;
		s->errors++;
		return IVXS_CAPTURE_ETRUNC;
	}
	if (s->garbage_pending) {
		/* A bad NAL followed the AU handed out last time. */
		s->garbage_pending = 0;
		s->skipping = 1;
		au_discard_to(s, s->bad_sc);
		s->errors++;
		return IVXS_CAPTURE_EGARBAGE;
	}
	for (;;) {
		if (!s->started) {
			r = au_seek_start(s);
			if (r != 1)
				return r;
			continue;
		}
		if (s->hdr_pending) {
			size_t avail = s->len - s->hdr, need;
			ivxs_annexb_nal c;
			if (s->nal_sc - s->au_start > s->max_au && !s->skipping)
				return au_fail(s, s->nal_sc, IVXS_CAPTURE_ETOOBIG);
			need = avail ? ivxs_annexb_nal_need(codec, b + s->hdr) : 1;
			if (avail < need && !s->ended) {
				if (s->skipping)
					au_discard_to(s, s->nal_sc);   /* nothing before it is needed */
				return 0;
			}
			if (avail == 0)
				goto truncated;
			/* at the end of the stream the NAL is all there is */
			ivxs_annexb_classify(codec, b + s->hdr, avail < need ? avail : need, &c);
			s->hdr_pending = 0;
			s->scan = s->hdr;   /* an empty NAL's next start code may begin at hdr */
			if (!c.valid) {
				r = au_bad_nal(s, out, s->nal_sc, s->hdr);
				if (r == 2)
					continue;
				return r;
			}
			if (s->skipping) {
				if (!c.starts_au) {
					au_discard_to(s, s->hdr);
					continue;
				}
				s->skipping = 0;
				au_discard_to(s, s->nal_sc);
				s->au_start = s->nal_sc;
				au_add(s, &c);
				continue;
			}
			if (ivxs_annexb_au_starts(&s->cur, &c)) {
				au_emit(s, out, s->nal_sc);
				au_add(s, &c);
				return 1;
			}
			/* An H.264 NAL whose first byte is 0 may be empty (the scanner
			 * refuses those): it is added once its end shows it is not. */
			s->zero_hdr = codec == IVXS_CODEC_H264 && b[s->hdr] == 0;
			if (!s->zero_hdr)
				au_add(s, &c);
			continue;
		}
		/* Inside a NAL: look for the next start code. */
		{
			size_t p = find_start(b, s->scan, s->len);
			if (p != NO_POS) {
				size_t sc = p, bad_sc = s->nal_sc;
				int empty = 0;
				if (p > s->head && p - 1 >= s->au_start && b[p - 1] == 0)
					sc = p - 1;   /* zero_byte of a 4-byte start code */
				if (s->zero_hdr && !s->skipping) {
					ivxs_annexb_nal c;
					empty = all_zero(b + s->hdr, p - s->hdr);
					if (!empty) {
						ivxs_annexb_classify(codec, b + s->hdr, 1, &c);
						au_add(s, &c);
					}
				}
				s->zero_hdr = 0;
				s->nal_sc = sc;
				s->hdr = p + 3;
				s->hdr_pending = 1;
				if (empty) {
					r = au_bad_nal(s, out, bad_sc, sc);
					if (r != 2)
						return r;
				}
				continue;
			}
			s->scan = s->len > 2 ? s->len - 2 : s->len;
			if (s->scan < s->head)
				s->scan = s->head;
			if (s->skipping) {
				size_t keep = s->len >= 3 ? s->len - 3 : s->head;
				s->zero_hdr = 0;
				if (keep > s->head)
					au_discard_to(s, keep);
				if (s->ended) {
					au_discard_to(s, s->len);
					s->done = 1;
				}
				return 0;
			}
			if (s->ended) {
				if (s->zero_hdr) {
					ivxs_annexb_nal c;
					s->zero_hdr = 0;
					if (all_zero(b + s->hdr, s->len - s->hdr))
						goto truncated;   /* a start code with only zeros after it */
					ivxs_annexb_classify(codec, b + s->hdr, 1, &c);
					au_add(s, &c);
				}
				if (s->len - s->au_start > s->max_au) {
					s->done = 1;
					return au_fail(s, s->len, IVXS_CAPTURE_ETOOBIG);
				}
				s->done = 1;
				if (au_has_vcl(s)) {
					au_emit(s, out, s->len);
					return 1;
				}
				if (s->cur.nal_count) {
					/* parameter sets / SEI with no picture: cut short */
					s->dropped++;
					s->errors++;
					ivxs_annexb_au_clear(&s->cur, codec);
					au_discard_to(s, s->len);
					return IVXS_CAPTURE_ETRUNC;
				}
				return 0;
			}
			if (s->len - s->au_start > s->max_au + 3)
				return au_fail(s, s->len - 3, IVXS_CAPTURE_ETOOBIG);
			return 0;
		}
truncated:
		/* End of stream right after a start code (or inside an empty NAL).
		 * Emit the AU before it, then report. */
		s->hdr_pending = 0;
		s->zero_hdr = 0;
		if (au_has_vcl(s) && !s->skipping && s->nal_sc - s->au_start <= s->max_au) {
			au_emit(s, out, s->nal_sc);
			s->trunc_pending = 1;
			return 1;
		}
		if (s->cur.nal_count && !s->skipping)
			s->dropped++;
		ivxs_annexb_au_clear(&s->cur, codec);
		au_discard_to(s, s->len);
		s->done = 1;
		s->errors++;
		return IVXS_CAPTURE_ETRUNC;
	}
}

int ivxs_au_describe(ivxs_codec codec, const void *data, size_t size, ivxs_au *out)
{
	const uint8_t *b = data;
	ivxs_annexb_au au;
	long p;
	memset(out, 0, sizeof(*out));
	out->data = b;
	out->size = size;
	if (!b || (codec != IVXS_CODEC_H264 && codec != IVXS_CODEC_H265))
		return 0;
	ivxs_annexb_au_clear(&au, (int)codec);
	p = ivxs_annexb_find_start(b, size, 0);
	while (p >= 0) {
		size_t h = (size_t)p + 3, next;
		ivxs_annexb_nal c;
		if (h >= size)
			break;
		p = ivxs_annexb_find_start(b, size, h);
		next = p < 0 ? size : (size_t)p;
		ivxs_annexb_classify((int)codec, b + h, next - h, &c);
		ivxs_annexb_au_add(&au, (int)codec, &c);
	}
	out->info = au.info;
	out->key = (au.info & IVXS_AU_INFO_KEY) != 0;
	out->has_params = (au.info & IVXS_AU_INFO_PARAMS) != 0;
	out->nal_count = au.nal_count;
	out->nal_types = au.nal_types;
	return (int)out->nal_count;
}
