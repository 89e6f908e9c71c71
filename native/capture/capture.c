/*
 * Capture sources — see capture.h. Layout of this file:
 *   1. status strings
 *   2. Annex-B access-unit splitter (portable)
 *   3. ADTS splitter (portable)
 *   4. pacing arithmetic, JPEG checks (portable)
 *   5. file source: prepare/step/finish (stdio + injected clock)
 *   6. Linux: default clock, stills folder, thread, V4L2
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "capture.h"

#include <string.h>

/* ------------------------------------------------------------------------ */
/* 1. Status strings                                                        */
/* ------------------------------------------------------------------------ */

const char *ivxs_capture_strerror(int status)
{
	switch (status) {
	case IVXS_CAPTURE_OK: return "ok";
	case IVXS_CAPTURE_EARG: return "invalid argument";
	case IVXS_CAPTURE_ENOMEM: return "out of memory";
	case IVXS_CAPTURE_EOPEN: return "cannot open file or device";
	case IVXS_CAPTURE_EREAD: return "read error";
	case IVXS_CAPTURE_ENOSTART: return "no Annex-B start code found";
	case IVXS_CAPTURE_ENOKEY: return "no key frame found";
	case IVXS_CAPTURE_ETOOBIG: return "access unit too large";
	case IVXS_CAPTURE_EGARBAGE: return "garbage in stream";
	case IVXS_CAPTURE_ETRUNC: return "stream truncated inside a frame";
	case IVXS_CAPTURE_EADTS: return "bad ADTS header";
	case IVXS_CAPTURE_ECODEC: return "unknown or unsupported codec";
	case IVXS_CAPTURE_ESTATE: return "invalid state";
	case IVXS_CAPTURE_ETHREAD: return "cannot create thread";
	case IVXS_CAPTURE_ENOTDEV: return "not a V4L2 device";
	case IVXS_CAPTURE_ECAPS: return "device cannot stream video capture";
	case IVXS_CAPTURE_EFORMAT: return "device does not deliver H.264";
	case IVXS_CAPTURE_EIO: return "device I/O error";
	case IVXS_CAPTURE_ENOSTILL: return "no stills";
	case IVXS_CAPTURE_EJPEG: return "invalid JPEG";
	case IVXS_CAPTURE_ENOSPACE: return "buffer too small";
	case IVXS_CAPTURE_EUNSUPPORTED: return "not supported on this platform";
	default: break;
	}
#ifndef IVXS_CAPTURE_CORE_ONLY
	if (status < 0 && status > -100)
		return ivxs_ring_strerror(status);
#endif
	return "unknown error";
}

/* ------------------------------------------------------------------------ */
/* 2. Annex-B access-unit splitter                                          */
/* ------------------------------------------------------------------------ */

#define NO_POS ((size_t)-1)

/* Offset of the first byte of the next 00 00 01 in b[from, len), or NO_POS. */
static size_t find_start_code(const uint8_t *b, size_t from, size_t len)
{
	size_t i = from + 2;
	while (i < len) {
		uint8_t v = b[i];
		if (v > 1) {
			i += 3;
		} else if (v == 1) {
			if (b[i - 1] == 0 && b[i - 2] == 0)
				return i - 2;
			i += 3;
		} else {
			i++;
		}
	}
	return NO_POS;
}

typedef struct {
	uint8_t type, vcl, starts_au, key, valid;
} nal_class;

static size_t nal_header_size(ivxs_codec codec)
{
	return codec == IVXS_CODEC_H265 ? 2 : 1;
}

/* Classify the NAL whose header is at h (avail bytes present, at least the
 * header). *need is set to the bytes required for a full decision. */
static nal_class classify_nal(ivxs_codec codec, const uint8_t *h, size_t avail, size_t *need)
{
	nal_class c = {0, 0, 0, 0, 1};
	if (codec == IVXS_CODEC_H264) {
		uint8_t t = h[0] & 0x1f;
		c.type = t;
		c.valid = (h[0] & 0x80) == 0;
		c.vcl = t >= 1 && t <= 5;
		c.key = t == 5;
		*need = (t == 1 || t == 2 || t == 5) ? 2 : 1;
		if (t == 9 || t == 7 || t == 8 || t == 6 || (t >= 14 && t <= 18))
			c.starts_au = 1;
		else if ((t == 1 || t == 2 || t == 5) && avail >= 2)
			c.starts_au = (h[1] & 0x80) != 0;  /* first_mb_in_slice == 0 */
	} else {
		uint8_t t = (h[0] >> 1) & 0x3f;
		c.type = t;
		c.valid = (h[0] & 0x80) == 0 && (h[1] & 0x07) != 0;
		c.vcl = t < 32;
		c.key = t >= 16 && t <= 23;
		*need = c.vcl ? 3 : 2;
		if ((t >= 32 && t <= 35) || t == 39 || (t >= 41 && t <= 44) || (t >= 48 && t <= 55))
			c.starts_au = 1;
		else if (c.vcl && avail >= 3)
			c.starts_au = (h[2] & 0x80) != 0;  /* first_slice_segment_in_pic_flag */
	}
	return c;
}

static int params_present(ivxs_codec codec, uint64_t types)
{
	if (codec == IVXS_CODEC_H264)
		return (types & (1ull << 7)) && (types & (1ull << 8));
	return (types & (1ull << 32)) && (types & (1ull << 33)) && (types & (1ull << 34));
}

static void au_clear_cur(ivxs_au_splitter *s)
{
	s->cur_count = 0;
	s->cur_types = 0;
	s->cur_vcl = 0;
	s->cur_key = 0;
}

static void au_add_nal(ivxs_au_splitter *s, const nal_class *c)
{
	s->cur_count++;
	s->cur_types |= 1ull << c->type;
	if (c->vcl)
		s->cur_vcl = 1;
	if (c->key)
		s->cur_key = 1;
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
	s->au_start = s->scan = 0;
	s->nal_sc = s->hdr = 0;
	s->started = s->hdr_pending = s->skipping = 0;
	s->ended = s->done = s->garbage_seen = s->trunc_pending = s->garbage_pending = 0;
	au_clear_cur(s);
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
	s->scan -= h;
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

static void au_emit(ivxs_au_splitter *s, ivxs_au *out, size_t end)
{
	out->data = s->buf + s->au_start;
	out->size = end - s->au_start;
	out->key = s->cur_key;
	out->has_params = params_present(s->codec, s->cur_types);
	out->nal_count = s->cur_count;
	out->nal_types = s->cur_types;
	s->aus++;
	s->head = end;   /* the AU stays in place until the next call */
	s->au_start = end;
	if (s->scan < end)
		s->scan = end;
	au_clear_cur(s);
}

/* The current AU cannot be kept: drop it, skip to the next AU boundary. */
static int au_fail(ivxs_au_splitter *s, size_t discard_to, int err)
{
	if (s->cur_count)
		s->dropped++;
	au_clear_cur(s);
	au_discard_to(s, discard_to);
	s->skipping = 1;
	s->errors++;
	return err;
}

int ivxs_au_next(ivxs_au_splitter *s, ivxs_au *out)
{
	uint8_t *b = s->buf;
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
		/* A bad NAL header followed the AU handed out last time. */
		s->garbage_pending = 0;
		s->skipping = 1;
		au_discard_to(s, s->scan);
		s->errors++;
		return IVXS_CAPTURE_EGARBAGE;
	}
	for (;;) {
		if (!s->started) {
			size_t p = find_start_code(b, s->scan, s->len), i, stop;
			int nonzero = 0;
			/* without a start code keep 3 bytes: a 4-byte start code may be arriving */
			stop = p == NO_POS ? (s->ended ? s->len : (s->len > 3 ? s->len - 3 : s->head)) : p;
			if (stop < s->head)
				stop = s->head;
			/* leading zero bytes are legal (leading_zero_8bits) */
			for (i = s->head; i < stop; i++)
				if (b[i]) { nonzero = 1; break; }
			if (p != NO_POS && p > s->head && b[p - 1] == 0)
				stop = p - 1;   /* keep the zero_byte of a 4-byte start code */
			au_discard_to(s, stop);
			if (p == NO_POS) {
				if (s->ended)
					s->done = 1;
				if (nonzero && !s->garbage_seen) {
					s->garbage_seen = 1;
					s->errors++;
					return IVXS_CAPTURE_EGARBAGE;
				}
				return 0;
			}
			s->started = 1;
			s->nal_sc = stop;
			s->au_start = stop;
			s->hdr = p + 3;
			s->hdr_pending = 1;
			if (nonzero && !s->garbage_seen) {
				s->garbage_seen = 1;
				s->errors++;
				return IVXS_CAPTURE_EGARBAGE;
			}
		}
		if (s->hdr_pending) {
			size_t hs = nal_header_size(s->codec), need = hs, avail = s->len - s->hdr;
			nal_class c;
			if (s->nal_sc - s->au_start > s->max_au && !s->skipping)
				return au_fail(s, s->nal_sc, IVXS_CAPTURE_ETOOBIG);
			if (avail < hs) {
				if (!s->ended)
					return 0;
				goto truncated;
			}
			c = classify_nal(s->codec, b + s->hdr, avail, &need);
			if (avail < need) {
				if (!s->ended)
					return 0;
				goto truncated;
			}
			s->hdr_pending = 0;
			s->scan = s->hdr + hs;
			if (!c.valid) {
				if (s->skipping) {   /* same bad run: one report */
					au_discard_to(s, s->scan);
					continue;
				}
				if (s->cur_vcl && s->nal_sc - s->au_start <= s->max_au) {
					/* the AU before the garbage is complete */
					au_emit(s, out, s->nal_sc);
					s->garbage_pending = 1;
					return 1;
				}
				return au_fail(s, s->scan, IVXS_CAPTURE_EGARBAGE);
			}
			if (s->skipping) {
				if (!c.starts_au) {
					au_discard_to(s, s->scan);
					continue;
				}
				s->skipping = 0;
				au_discard_to(s, s->nal_sc);
				s->au_start = s->nal_sc;
				au_add_nal(s, &c);
				continue;
			}
			if (s->cur_vcl && c.starts_au) {
				au_emit(s, out, s->nal_sc);
				au_add_nal(s, &c);
				return 1;
			}
			au_add_nal(s, &c);
			continue;
		}
		/* Inside a NAL: look for the next start code. */
		{
			size_t p = find_start_code(b, s->scan, s->len);
			if (p != NO_POS) {
				size_t sc = p;
				if (p > s->head && p - 1 >= s->au_start && b[p - 1] == 0)
					sc = p - 1;   /* zero_byte of a 4-byte start code */
				s->nal_sc = sc;
				s->hdr = p + 3;
				s->hdr_pending = 1;
				continue;
			}
			s->scan = s->len > 2 ? s->len - 2 : s->len;
			if (s->scan < s->head)
				s->scan = s->head;
			if (s->skipping) {
				size_t keep = s->len >= 3 ? s->len - 3 : s->head;
				if (keep > s->head)
					au_discard_to(s, keep);
				if (s->ended) {
					au_discard_to(s, s->len);
					s->done = 1;
				}
				return 0;
			}
			if (s->ended) {
				if (s->len - s->au_start > s->max_au)
					{ s->done = 1; return au_fail(s, s->len, IVXS_CAPTURE_ETOOBIG); }
				s->done = 1;
				if (s->cur_vcl) {
					au_emit(s, out, s->len);
					return 1;
				}
				if (s->cur_count) {
					/* parameter sets / SEI with no picture: cut short */
					s->dropped++;
					s->errors++;
					au_clear_cur(s);
					au_discard_to(s, s->len);
					return IVXS_CAPTURE_ETRUNC;
				}
				return 0;
			}
			if (s->len - s->au_start > s->max_au + 3) {
				size_t keep = s->len - 3;
				return au_fail(s, keep, IVXS_CAPTURE_ETOOBIG);
			}
			return 0;
		}
truncated:
		/* End of stream inside a NAL header (or a slice without its first
		 * slice-header byte). Emit the AU before it, then report. */
		s->hdr_pending = 0;
		if (s->cur_vcl && !s->skipping && s->nal_sc - s->au_start <= s->max_au) {
			au_emit(s, out, s->nal_sc);
			s->trunc_pending = 1;
			return 1;
		}
		if (s->cur_count && !s->skipping)
			s->dropped++;
		au_clear_cur(s);
		au_discard_to(s, s->len);
		s->done = 1;
		s->errors++;
		return IVXS_CAPTURE_ETRUNC;
	}
}

int ivxs_au_describe(ivxs_codec codec, const void *data, size_t size, ivxs_au *out)
{
	const uint8_t *b = data;
	size_t p, hs;
	memset(out, 0, sizeof(*out));
	out->data = b;
	out->size = size;
	if (!b || (codec != IVXS_CODEC_H264 && codec != IVXS_CODEC_H265))
		return 0;
	hs = nal_header_size(codec);
	p = find_start_code(b, 0, size);
	while (p != NO_POS) {
		size_t h = p + 3, need;
		nal_class c;
		if (h + hs > size)
			break;
		c = classify_nal(codec, b + h, size - h, &need);
		out->nal_count++;
		out->nal_types |= 1ull << c.type;
		if (c.key)
			out->key = 1;
		p = find_start_code(b, h + hs, size);
	}
	out->has_params = params_present(codec, out->nal_types);
	return (int)out->nal_count;
}

/* ------------------------------------------------------------------------ */
/* 3. ADTS splitter                                                         */
/* ------------------------------------------------------------------------ */

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

/* ------------------------------------------------------------------------ */
/* 4. Pacing arithmetic, JPEG checks                                        */
/* ------------------------------------------------------------------------ */

uint64_t ivxs_capture_video_offset_us(uint64_t n, uint32_t fps_num, uint32_t fps_den)
{
	if (!fps_num || !fps_den)
		return 0;
	/* n * den * 1e6 / num without overflow for any realistic n */
	uint64_t per = (uint64_t)fps_den * 1000000u;
	uint64_t q = n / fps_num, r = n % fps_num;
	return q * per + (r * per) / fps_num;
}

uint64_t ivxs_capture_audio_offset_us(uint64_t samples, uint32_t rate)
{
	if (!rate)
		return 0;
	return (samples / rate) * 1000000u + ((samples % rate) * 1000000u) / rate;
}

int ivxs_capture_jpeg_valid(const void *data, size_t size)
{
	const uint8_t *b = data;
	if (!b || size < 4)
		return 0;
	if (b[0] != 0xFF || b[1] != 0xD8 || b[2] != 0xFF)
		return 0;
	while (size > 4 && (b[size - 1] == 0 || b[size - 1] == '\n' ||
			b[size - 1] == '\r' || b[size - 1] == ' '))
		size--;
	return b[size - 2] == 0xFF && b[size - 1] == 0xD9;
}

uint32_t ivxs_capture_still_index(uint64_t clip_pos_us, uint32_t count)
{
	if (!count)
		return 0;
	return (uint32_t)((clip_pos_us / 1000000u) % count);
}

#ifndef IVXS_CAPTURE_CORE_ONLY
/* ------------------------------------------------------------------------ */
/* 5. File source (stdio + injected clock)                                  */
/* ------------------------------------------------------------------------ */

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>

#ifdef __linux__
#include <pthread.h>
#include <time.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <linux/videodev2.h>
#endif

#define DEFAULT_MAX_AU (1u << 20)
#define DEFAULT_READ_CHUNK (64u << 10)
#define DEFAULT_PROBE (4u << 20)
#define AUDIO_PROBE (64u << 10)
#define SLEEP_SLICE_US 20000u     /* stop latency under real-time pacing */
#define V4L2_MAX_BUFFERS 16

enum { KIND_FILE = 1, KIND_V4L2 = 2 };

struct ivxs_capture {
	int kind;
	ivxs_ring *ring;
	ivxs_capture_clock clock;
	ivxs_capture_observer observer;
	void *observer_ctx;
	int start_ms_set;
	uint64_t start_ms;
	int rt_priority;

	/* file config */
	char *video_path, *audio_path, *stills_dir;
	ivxs_codec codec;            /* configured (0 = detect) */
	ivxs_codec vcodec;           /* in use */
	uint32_t fps_num, fps_den;
	ivxs_capture_pace pace;
	int once;
	size_t max_au, read_chunk, probe_bytes;

	/* v4l2 config */
	char *device;
	uint32_t width, height, buffers;

	/* run state (owned by the capture thread while running) */
	int prepared;
	FILE *vf, *af;
	uint8_t *vbuf;
	ivxs_au_splitter vs;
	ivxs_adts_splitter *as;
	ivxs_au vau;                 /* pending video AU */
	ivxs_adts_frame aframe;      /* pending audio frame */
	int v_pending, a_pending, v_done, a_done, need_key;
	uint64_t v_index, v_in_loop, v_pass_frames, a_samples, a_pass_frames, a_loops;
	uint32_t a_rate;
	uint64_t t0_us, base_ms;

	/* kept across restarts: next timestamp must not go back */
	uint64_t resume_ms;
	int ever_pushed;

	/* stills (listed at start) */
	char *stills_block;
	size_t stills_bytes;        /* both stills allocations, for footprint_bytes */
	char **stills;
	uint32_t nstills;
	int stills_error;

	/* shared with other threads */
	atomic_int stop_req;
	atomic_int running;
	_Atomic uint64_t st_frames, st_video, st_audio, st_key, st_bytes, st_loops;
	_Atomic uint64_t st_dropped, st_ring_errors, st_split_errors, st_max_late;
	atomic_int st_last_ring, st_last_split, st_fatal, st_rt;
	_Atomic uint64_t clip_pos_us, last_video_ts, first_ts;

#ifdef __linux__
	pthread_t thread;
	int thread_started;
	int fd;
	unsigned nbufs;
	void *maps[V4L2_MAX_BUFFERS];
	size_t map_len[V4L2_MAX_BUFFERS];
	int streaming;
	uint64_t v4l2_first_us;
	int v4l2_have_first;
	uint64_t last_ts;
#endif
};

#define RELAXED memory_order_relaxed
#define ST_ADD(c, f, v) atomic_fetch_add_explicit(&(c)->f, (v), RELAXED)

static char *dup_str(const char *s)
{
	size_t n;
	char *d;
	if (!s)
		return NULL;
	n = strlen(s) + 1;
	d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

static int ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix), i;
	if (m > n)
		return 0;
	for (i = 0; i < m; i++) {
		char a = s[n - m + i], b = suffix[i];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

static ivxs_codec codec_from_name(const char *path)
{
	if (ends_with_ci(path, ".h264") || ends_with_ci(path, ".264") || ends_with_ci(path, ".avc"))
		return IVXS_CODEC_H264;
	if (ends_with_ci(path, ".h265") || ends_with_ci(path, ".265") || ends_with_ci(path, ".hevc"))
		return IVXS_CODEC_H265;
	return (ivxs_codec)0;
}

/* Guess from the first NAL header after the first start code. */
static ivxs_codec codec_from_bytes(const uint8_t *b, size_t n)
{
	size_t p = find_start_code(b, 0, n);
	if (p == NO_POS || p + 5 > n)
		return (ivxs_codec)0;
	b += p + 3;
	if ((b[0] & 0x80) == 0 && b[1] == 0x01) {
		uint8_t t = (b[0] >> 1) & 0x3f;
		if (t == 32 || t == 35 || t == 39)   /* VPS, AUD, prefix SEI */
			return IVXS_CODEC_H265;
	}
	if ((b[0] & 0x80) == 0) {
		uint8_t t = b[0] & 0x1f;
		if (t == 7 || t == 9 || t == 6 || t == 5)
			return IVXS_CODEC_H264;
	}
	return (ivxs_codec)0;
}

static const ivxs_capture_clock *pick_clock(const ivxs_capture_clock *given)
{
	return given ? given : ivxs_capture_default_clock();
}

static int clock_ok(const ivxs_capture_clock *k)
{
	return k && k->now_us && k->sleep_until_us;
}

int ivxs_capture_create_file(ivxs_capture **out, ivxs_ring *ring,
		const ivxs_capture_file_config *cfg)
{
	ivxs_capture *c;
	const ivxs_capture_clock *k;
	if (!out)
		return IVXS_CAPTURE_EARG;
	*out = NULL;
	if (!ring || !cfg || !cfg->video_path || !cfg->video_path[0])
		return IVXS_CAPTURE_EARG;
	if (cfg->video_codec && cfg->video_codec != IVXS_CODEC_H264 &&
			cfg->video_codec != IVXS_CODEC_H265)
		return IVXS_CAPTURE_ECODEC;
	if (cfg->pace != IVXS_CAPTURE_PACE_REALTIME && cfg->pace != IVXS_CAPTURE_PACE_FAST)
		return IVXS_CAPTURE_EARG;
	if (cfg->max_au_bytes && cfg->max_au_bytes < 64)
		return IVXS_CAPTURE_EARG;
	k = pick_clock(cfg->clock);
	if (!clock_ok(k))
		return IVXS_CAPTURE_EARG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return IVXS_CAPTURE_ENOMEM;
	c->kind = KIND_FILE;
	c->ring = ring;
	c->clock = *k;
	c->observer = cfg->observer;
	c->observer_ctx = cfg->observer_ctx;
	c->start_ms_set = cfg->start_ms_set;
	c->start_ms = cfg->start_ms;
	c->rt_priority = cfg->rt_priority;
	c->codec = cfg->video_codec;
	c->fps_num = cfg->fps_num ? cfg->fps_num : 25;
	c->fps_den = cfg->fps_num ? (cfg->fps_den ? cfg->fps_den : 1) : 1;
	c->pace = cfg->pace;
	c->once = cfg->once;
	c->max_au = cfg->max_au_bytes ? cfg->max_au_bytes : DEFAULT_MAX_AU;
	c->read_chunk = cfg->read_chunk ? cfg->read_chunk : DEFAULT_READ_CHUNK;
	c->probe_bytes = cfg->probe_bytes ? cfg->probe_bytes : DEFAULT_PROBE;
	c->video_path = dup_str(cfg->video_path);
	c->audio_path = dup_str(cfg->audio_path && cfg->audio_path[0] ? cfg->audio_path : NULL);
	c->stills_dir = dup_str(cfg->stills_dir && cfg->stills_dir[0] ? cfg->stills_dir : NULL);
#ifdef __linux__
	c->fd = -1;
#endif
	if (!c->video_path || (cfg->audio_path && cfg->audio_path[0] && !c->audio_path) ||
			(cfg->stills_dir && cfg->stills_dir[0] && !c->stills_dir)) {
		ivxs_capture_destroy(&c);
		return IVXS_CAPTURE_ENOMEM;
	}
	*out = c;
	return IVXS_CAPTURE_OK;
}

int ivxs_capture_create_v4l2(ivxs_capture **out, ivxs_ring *ring,
		const ivxs_capture_v4l2_config *cfg)
{
	if (!out)
		return IVXS_CAPTURE_EARG;
	*out = NULL;
	if (!ring || !cfg || !cfg->device || !cfg->device[0])
		return IVXS_CAPTURE_EARG;
	if (cfg->buffers > V4L2_MAX_BUFFERS)
		return IVXS_CAPTURE_EARG;
#ifndef __linux__
	return IVXS_CAPTURE_EUNSUPPORTED;
#else
	ivxs_capture *c;
	const ivxs_capture_clock *k = pick_clock(cfg->clock);
	if (!clock_ok(k))
		return IVXS_CAPTURE_EARG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return IVXS_CAPTURE_ENOMEM;
	c->kind = KIND_V4L2;
	c->ring = ring;
	c->clock = *k;
	c->observer = cfg->observer;
	c->observer_ctx = cfg->observer_ctx;
	c->start_ms_set = cfg->start_ms_set;
	c->start_ms = cfg->start_ms;
	c->rt_priority = cfg->rt_priority;
	c->vcodec = IVXS_CODEC_H264;
	c->width = cfg->width;
	c->height = cfg->height;
	c->fps_num = cfg->fps_num;
	c->fps_den = cfg->fps_den ? cfg->fps_den : 1;
	c->buffers = cfg->buffers ? cfg->buffers : 4;
	c->fd = -1;
	c->device = dup_str(cfg->device);
	if (!c->device) {
		free(c);
		return IVXS_CAPTURE_ENOMEM;
	}
	*out = c;
	return IVXS_CAPTURE_OK;
#endif
}

static uint64_t now_us(ivxs_capture *c)
{
	return c->clock.now_us(c->clock.ctx);
}

static uint64_t wall_ms(ivxs_capture *c)
{
	return c->clock.wall_ms ? c->clock.wall_ms(c->clock.ctx) : 0;
}

/* Base timestamp for a (re)start: configured or wall clock, never before the
 * timestamps already pushed by this source. */
static uint64_t pick_base_ms(ivxs_capture *c)
{
	uint64_t base = c->start_ms_set ? c->start_ms : wall_ms(c);
	if (c->ever_pushed && base < c->resume_ms)
		base = c->resume_ms;
	return base;
}

static void note_split_error(ivxs_capture *c, int err)
{
	ST_ADD(c, st_split_errors, 1);
	atomic_store_explicit(&c->st_last_split, err, RELAXED);
}

/* Read more of a file into a splitter. 1: bytes added, 0: EOF (end() called), <0 error. */
static int fill_video(ivxs_capture *c)
{
	size_t avail, n;
	uint8_t *p = ivxs_au_space(&c->vs, &avail);
	if (avail > c->read_chunk)
		avail = c->read_chunk;
	if (avail == 0)
		return 1;  /* splitter must make progress first (it never stays full) */
	n = fread(p, 1, avail, c->vf);
	if (n == 0) {
		if (ferror(c->vf))
			return IVXS_CAPTURE_EREAD;
		ivxs_au_end(&c->vs);
		return 0;
	}
	ivxs_au_commit(&c->vs, n);
	return 1;
}

static int fill_audio(ivxs_capture *c)
{
	size_t avail, n;
	uint8_t *p = ivxs_adts_space(c->as, &avail);
	if (avail > c->read_chunk)
		avail = c->read_chunk;
	if (avail == 0)
		return 1;
	n = fread(p, 1, avail, c->af);
	if (n == 0) {
		if (ferror(c->af))
			return IVXS_CAPTURE_EREAD;
		ivxs_adts_end(c->as);
		return 0;
	}
	ivxs_adts_commit(c->as, n);
	return 1;
}

/* Make c->vau the next video AU. 1 ok, 0 stream over, <0 fatal. */
static int next_video(ivxs_capture *c)
{
	for (;;) {
		uint64_t d0 = c->vs.dropped;
		int r = ivxs_au_next(&c->vs, &c->vau);
		if (r == 1) {
			c->v_pass_frames++;
			return 1;
		}
		if (r < 0) {
			note_split_error(c, r);
			if (c->vs.dropped != d0) {
				ST_ADD(c, st_dropped, c->vs.dropped - d0);
				c->need_key = 1;
			}
			continue;
		}
		if (!ivxs_au_finished(&c->vs)) {
			int f = fill_video(c);
			if (f < 0)
				return f;
			continue;
		}
		/* end of file */
		if (c->once)
			return 0;
		if (c->v_pass_frames == 0)
			return IVXS_CAPTURE_ENOKEY;  /* nothing usable at all: do not spin */
		if (fseek(c->vf, 0, SEEK_SET) != 0)
			return IVXS_CAPTURE_EREAD;
		clearerr(c->vf);
		ivxs_au_reset(&c->vs);
		c->v_pass_frames = 0;
		c->v_in_loop = 0;
		ST_ADD(c, st_loops, 1);
	}
}

static int next_audio(ivxs_capture *c)
{
	for (;;) {
		int r = ivxs_adts_next(c->as, &c->aframe);
		if (r == 1) {
			c->a_pass_frames++;
			return 1;
		}
		if (r < 0) {
			note_split_error(c, r);
			continue;
		}
		if (!c->as->ended) {
			int f = fill_audio(c);
			if (f < 0)
				return f;
			continue;
		}
		if (c->once)
			return 0;
		if (c->a_pass_frames == 0)
			return IVXS_CAPTURE_EADTS;
		if (fseek(c->af, 0, SEEK_SET) != 0)
			return IVXS_CAPTURE_EREAD;
		clearerr(c->af);
		ivxs_adts_init(c->as);
		c->a_pass_frames = 0;
		c->a_loops++;
	}
}

/* Probe the video file: codec, a start code and a key frame within the
 * first probe_bytes. Leaves the file rewound and the splitter reset. */
static int probe_video(ivxs_capture *c)
{
	uint8_t head[64];
	size_t n = fread(head, 1, sizeof(head), c->vf);
	size_t fed = 0;
	int saw_start = 0, r;
	ivxs_au au;
	if (n == 0)
		return ferror(c->vf) ? IVXS_CAPTURE_EREAD : IVXS_CAPTURE_ENOSTART;
	c->vcodec = c->codec ? c->codec : codec_from_name(c->video_path);
	if (!c->vcodec)
		c->vcodec = codec_from_bytes(head, n);
	if (!c->vcodec)
		return find_start_code(head, 0, n) == NO_POS ? IVXS_CAPTURE_ENOSTART : IVXS_CAPTURE_ECODEC;
	if (fseek(c->vf, 0, SEEK_SET) != 0)
		return IVXS_CAPTURE_EREAD;
	r = ivxs_au_init(&c->vs, c->vcodec, c->vbuf, c->max_au + IVXS_AU_LOOKAHEAD);
	if (r)
		return r;
	for (;;) {
		r = ivxs_au_next(&c->vs, &au);
		if (c->vs.started)
			saw_start = 1;
		if (r == 1) {
			if (au.key)
				break;
			continue;
		}
		if (r < 0)
			continue;
		if (ivxs_au_finished(&c->vs) || fed >= c->probe_bytes) {
			r = saw_start ? IVXS_CAPTURE_ENOKEY : IVXS_CAPTURE_ENOSTART;
			goto out;
		}
		{
			size_t before = c->vs.len;
			int f = fill_video(c);
			if (f < 0) {
				r = f;
				goto out;
			}
			fed += c->vs.len - before;
		}
	}
	r = IVXS_CAPTURE_OK;
out:
	if (fseek(c->vf, 0, SEEK_SET) != 0 && r == 0)
		r = IVXS_CAPTURE_EREAD;
	clearerr(c->vf);
	ivxs_au_reset(&c->vs);
	return r;
}

static int probe_audio(ivxs_capture *c)
{
	size_t fed = 0;
	int r;
	ivxs_adts_frame f;
	ivxs_adts_init(c->as);
	for (;;) {
		r = ivxs_adts_next(c->as, &f);
		if (r == 1) {
			c->a_rate = f.sample_rate;
			r = IVXS_CAPTURE_OK;
			break;
		}
		if (r < 0)
			continue;
		if (c->as->ended || fed >= AUDIO_PROBE) {
			r = IVXS_CAPTURE_EADTS;
			break;
		}
		{
			size_t before = c->as->len;
			int k = fill_audio(c);
			if (k < 0) {
				r = k;
				break;
			}
			fed += c->as->len - before;
		}
	}
	if (fseek(c->af, 0, SEEK_SET) != 0 && r == 0)
		r = IVXS_CAPTURE_EREAD;
	clearerr(c->af);
	ivxs_adts_init(c->as);
	return r;
}

static void list_stills(ivxs_capture *c);
static void free_stills(ivxs_capture *c);

static void file_close(ivxs_capture *c)
{
	if (c->vf)
		fclose(c->vf);
	if (c->af)
		fclose(c->af);
	c->vf = c->af = NULL;
	free(c->vbuf);
	c->vbuf = NULL;
	free(c->as);
	c->as = NULL;
	free_stills(c);
	c->prepared = 0;
}

static int file_prepare(ivxs_capture *c)
{
	int r;
	c->vf = fopen(c->video_path, "rb");
	if (!c->vf)
		return IVXS_CAPTURE_EOPEN;
	c->vbuf = malloc(c->max_au + IVXS_AU_LOOKAHEAD);
	if (!c->vbuf) {
		r = IVXS_CAPTURE_ENOMEM;
		goto fail;
	}
	r = probe_video(c);
	if (r)
		goto fail;
	if (c->audio_path) {
		c->af = fopen(c->audio_path, "rb");
		if (!c->af) {
			r = IVXS_CAPTURE_EOPEN;
			goto fail;
		}
		c->as = malloc(sizeof(*c->as));
		if (!c->as) {
			r = IVXS_CAPTURE_ENOMEM;
			goto fail;
		}
		r = probe_audio(c);
		if (r)
			goto fail;
	}
	list_stills(c);
	c->v_pending = c->a_pending = 0;
	c->v_done = 0;
	c->a_done = c->af == NULL;
	c->need_key = 1;
	c->v_index = c->v_in_loop = c->v_pass_frames = 0;
	c->a_samples = c->a_pass_frames = c->a_loops = 0;
	c->base_ms = pick_base_ms(c);
	c->t0_us = now_us(c);
	atomic_store(&c->clip_pos_us, 0);
	atomic_store(&c->first_ts, c->base_ms);
	if (!c->ever_pushed)
		atomic_store(&c->last_video_ts, c->base_ms);
	c->prepared = 1;
	return IVXS_CAPTURE_OK;
fail:
	file_close(c);
	return r;
}

/* Wait until the clock reaches t (in slices, so that stop is prompt).
 * 0 reached, 1 stop requested. */
static int wait_until(ivxs_capture *c, uint64_t t)
{
	for (;;) {
		uint64_t now;
		if (atomic_load_explicit(&c->stop_req, RELAXED))
			return 1;
		now = now_us(c);
		if (now >= t)
			return 0;
		c->clock.sleep_until_us(c->clock.ctx, t - now > SLEEP_SLICE_US ? now + SLEEP_SLICE_US : t);
	}
}

static void push_frame(ivxs_capture *c, ivxs_capture_frame *f)
{
	int r;
	f->pushed_us = now_us(c);
	r = ivxs_ring_push(c->ring, f->type, f->codec, f->key, f->timestamp_ms, f->data, f->size);
	if (r < 0) {
		ST_ADD(c, st_ring_errors, 1);
		ST_ADD(c, st_dropped, 1);
		atomic_store_explicit(&c->st_last_ring, r, RELAXED);
		if (r == IVXS_RING_ENEEDKEY && f->type == IVXS_FRAME_VIDEO)
			c->need_key = 1;
	} else {
		ST_ADD(c, st_frames, 1);
		ST_ADD(c, st_bytes, f->size);
		if (f->type == IVXS_FRAME_VIDEO)
			ST_ADD(c, st_video, 1);
		else
			ST_ADD(c, st_audio, 1);
		if (f->key)
			ST_ADD(c, st_key, 1);
	}
	if (f->scheduled_us && f->pushed_us > f->scheduled_us) {
		uint64_t late = f->pushed_us - f->scheduled_us, m = atomic_load_explicit(&c->st_max_late, RELAXED);
		if (late > m)
			atomic_store_explicit(&c->st_max_late, late, RELAXED);
	}
	if (c->observer)
		c->observer(c->observer_ctx, f, r);
}

static int file_step(ivxs_capture *c)
{
	int r, video;
	uint64_t voff = 0, aoff = 0, off;
	ivxs_capture_frame f;
	if (!c->v_pending && !c->v_done) {
		r = next_video(c);
		if (r < 0)
			return r;
		c->v_pending = r == 1;
		c->v_done = r == 0;
	}
	if (!c->a_pending && !c->a_done) {
		r = next_audio(c);
		if (r < 0)
			return r;
		c->a_pending = r == 1;
		c->a_done = r == 0;
	}
	if (!c->v_pending && !c->a_pending)
		return 0;
	if (c->v_pending)
		voff = ivxs_capture_video_offset_us(c->v_index, c->fps_num, c->fps_den);
	if (c->a_pending)
		aoff = ivxs_capture_audio_offset_us(c->a_samples, c->a_rate);
	video = c->v_pending && (!c->a_pending || voff <= aoff);
	off = video ? voff : aoff;
	memset(&f, 0, sizeof(f));
	if (c->pace == IVXS_CAPTURE_PACE_REALTIME) {
		f.scheduled_us = c->t0_us + off;
		if (wait_until(c, f.scheduled_us))
			return 0;
	}
	f.timestamp_ms = c->base_ms + off / 1000;
	if (video) {
		int skip = c->need_key && !c->vau.key;
		f.type = IVXS_FRAME_VIDEO;
		f.codec = c->vcodec;
		f.key = c->vau.key;
		f.data = c->vau.data;
		f.size = c->vau.size;
		f.index = c->v_index;
		f.loop = atomic_load_explicit(&c->st_loops, RELAXED);
		if (skip) {
			ST_ADD(c, st_dropped, 1);
		} else {
			if (f.key)
				c->need_key = 0;
			push_frame(c, &f);
			atomic_store_explicit(&c->last_video_ts, f.timestamp_ms, RELAXED);
			atomic_store_explicit(&c->clip_pos_us,
				ivxs_capture_video_offset_us(c->v_in_loop, c->fps_num, c->fps_den), RELAXED);
		}
		c->v_index++;
		c->v_in_loop++;
		c->v_pending = 0;
		c->resume_ms = c->base_ms +
			ivxs_capture_video_offset_us(c->v_index, c->fps_num, c->fps_den) / 1000;
	} else {
		f.type = IVXS_FRAME_AUDIO;
		f.codec = IVXS_CODEC_AAC;
		f.key = 1;
		f.data = c->aframe.data;
		f.size = c->aframe.size;
		f.index = c->a_samples;
		f.loop = c->a_loops;
		push_frame(c, &f);
		c->a_samples += c->aframe.samples;
		c->a_pending = 0;
		{
			uint64_t next = c->base_ms + ivxs_capture_audio_offset_us(c->a_samples, c->a_rate) / 1000;
			if (next > c->resume_ms)
				c->resume_ms = next;
		}
	}
	c->ever_pushed = 1;
	return 1;
}

int ivxs_capture_prepare(ivxs_capture *c)
{
	if (!c)
		return IVXS_CAPTURE_EARG;
	if (c->kind != KIND_FILE)
		return IVXS_CAPTURE_EUNSUPPORTED;
	if (c->prepared || atomic_load(&c->running))
		return IVXS_CAPTURE_ESTATE;
	atomic_store(&c->stop_req, 0);
	atomic_store(&c->st_fatal, 0);
	return file_prepare(c);
}

int ivxs_capture_step(ivxs_capture *c)
{
	if (!c || c->kind != KIND_FILE)
		return IVXS_CAPTURE_EARG;
	if (!c->prepared)
		return IVXS_CAPTURE_ESTATE;
	return file_step(c);
}

void ivxs_capture_finish(ivxs_capture *c)
{
	if (c && c->kind == KIND_FILE && c->prepared && !atomic_load(&c->running))
		file_close(c);
}

void ivxs_capture_get_stats(const ivxs_capture *c, ivxs_capture_stats *o)
{
	ivxs_capture *m = (ivxs_capture *)c;
	memset(o, 0, sizeof(*o));
	if (!c)
		return;
	o->frames_pushed = atomic_load_explicit(&m->st_frames, RELAXED);
	o->video_frames = atomic_load_explicit(&m->st_video, RELAXED);
	o->audio_frames = atomic_load_explicit(&m->st_audio, RELAXED);
	o->key_frames = atomic_load_explicit(&m->st_key, RELAXED);
	o->bytes_pushed = atomic_load_explicit(&m->st_bytes, RELAXED);
	o->loops = atomic_load_explicit(&m->st_loops, RELAXED);
	o->dropped = atomic_load_explicit(&m->st_dropped, RELAXED);
	o->ring_errors = atomic_load_explicit(&m->st_ring_errors, RELAXED);
	o->last_ring_error = atomic_load_explicit(&m->st_last_ring, RELAXED);
	o->split_errors = atomic_load_explicit(&m->st_split_errors, RELAXED);
	o->last_split_error = atomic_load_explicit(&m->st_last_split, RELAXED);
	o->fatal_error = atomic_load_explicit(&m->st_fatal, RELAXED);
	o->max_late_us = atomic_load_explicit(&m->st_max_late, RELAXED);
	o->running = atomic_load_explicit(&m->running, RELAXED);
	o->realtime = atomic_load_explicit(&m->st_rt, RELAXED);
	o->stills = m->nstills;
	/* What this source holds now (the VM thread starts and stops it, so the
	 * buffers do not change under this read). */
	o->footprint_bytes = sizeof(*m) + (m->vbuf ? m->max_au + IVXS_AU_LOOKAHEAD : 0) +
		(m->as ? sizeof(*m->as) : 0) + (m->stills ? m->stills_bytes : 0);
}

/* ------------------------------------------------------------------------ */
/* 6. Linux: default clock, stills, thread, V4L2                            */
/* ------------------------------------------------------------------------ */

#ifdef __linux__

static uint64_t linux_now_us(void *ctx)
{
	struct timespec ts;
	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void linux_sleep_until_us(void *ctx, uint64_t t)
{
	struct timespec ts;
	(void)ctx;
	ts.tv_sec = (time_t)(t / 1000000u);
	ts.tv_nsec = (long)(t % 1000000u) * 1000;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static uint64_t linux_wall_ms(void *ctx)
{
	struct timespec ts;
	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const ivxs_capture_clock linux_clock = {
	linux_now_us, linux_sleep_until_us, linux_wall_ms, NULL
};

const ivxs_capture_clock *ivxs_capture_default_clock(void)
{
	return &linux_clock;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* List *.jpg / *.jpeg once at start: one block for the names, one array. */
static void list_stills(ivxs_capture *c)
{
	DIR *d;
	struct dirent *e;
	size_t count = 0, bytes = 0, dl, i = 0;
	char *p;
	free_stills(c);
	if (!c->stills_dir) {
		c->stills_error = IVXS_CAPTURE_ENOSTILL;
		return;
	}
	d = opendir(c->stills_dir);
	if (!d) {
		c->stills_error = IVXS_CAPTURE_ENOSTILL;
		return;
	}
	dl = strlen(c->stills_dir);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || !(ends_with_ci(e->d_name, ".jpg") || ends_with_ci(e->d_name, ".jpeg")))
			continue;
		count++;
		bytes += dl + 1 + strlen(e->d_name) + 1;
	}
	if (count == 0 || count > UINT32_MAX) {
		closedir(d);
		c->stills_error = IVXS_CAPTURE_ENOSTILL;
		return;
	}
	c->stills = malloc(count * sizeof(char *));
	c->stills_block = malloc(bytes);
	c->stills_bytes = count * sizeof(char *) + bytes;
	if (!c->stills || !c->stills_block) {
		closedir(d);
		free_stills(c);
		c->stills_error = IVXS_CAPTURE_ENOMEM;
		return;
	}
	rewinddir(d);
	p = c->stills_block;
	while ((e = readdir(d)) != NULL && i < count) {
		size_t nl;
		if (e->d_name[0] == '.' || !(ends_with_ci(e->d_name, ".jpg") || ends_with_ci(e->d_name, ".jpeg")))
			continue;
		nl = strlen(e->d_name);
		if ((size_t)(p - c->stills_block) + dl + nl + 2 > bytes)
			break;  /* directory grew meanwhile */
		memcpy(p, c->stills_dir, dl);
		p[dl] = '/';
		memcpy(p + dl + 1, e->d_name, nl + 1);
		c->stills[i++] = p;
		p += dl + nl + 2;
	}
	closedir(d);
	qsort(c->stills, i, sizeof(char *), cmp_str);
	c->nstills = (uint32_t)i;
	c->stills_error = i ? 0 : IVXS_CAPTURE_ENOSTILL;
}

static void free_stills(ivxs_capture *c)
{
	free(c->stills);
	free(c->stills_block);
	c->stills = NULL;
	c->stills_block = NULL;
	c->nstills = 0;
}

int ivxs_capture_still(ivxs_capture *c, void *buf, size_t cap, size_t *len, uint64_t *ts_ms)
{
	uint32_t idx;
	FILE *f;
	long size;
	size_t n;
	if (len)
		*len = 0;
	if (!c || !buf || !len)
		return IVXS_CAPTURE_EARG;
	if (c->kind != KIND_FILE)
		return IVXS_CAPTURE_EUNSUPPORTED;
	if (!c->prepared)
		return IVXS_CAPTURE_ESTATE;
	if (!c->nstills)
		return c->stills_error ? c->stills_error : IVXS_CAPTURE_ENOSTILL;
	idx = ivxs_capture_still_index(atomic_load_explicit(&c->clip_pos_us, RELAXED), c->nstills);
	if (ts_ms)
		*ts_ms = atomic_load_explicit(&c->last_video_ts, RELAXED);
	f = fopen(c->stills[idx], "rb");
	if (!f)
		return IVXS_CAPTURE_EOPEN;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return IVXS_CAPTURE_EREAD;
	}
	*len = (size_t)size;
	if ((size_t)size > cap) {
		fclose(f);
		return IVXS_CAPTURE_ENOSPACE;
	}
	n = fread(buf, 1, (size_t)size, f);
	fclose(f);
	if (n != (size_t)size) {
		*len = 0;
		return IVXS_CAPTURE_EREAD;
	}
	if (!ivxs_capture_jpeg_valid(buf, n))
		return IVXS_CAPTURE_EJPEG;
	return (int)idx;
}

/* ---- V4L2 --------------------------------------------------------------- */

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;
	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r;
}

static void v4l2_close(ivxs_capture *c)
{
	unsigned i;
	if (c->fd >= 0) {
		if (c->streaming) {
			enum v4l2_buf_type t = V4L2_BUF_TYPE_VIDEO_CAPTURE;
			xioctl(c->fd, VIDIOC_STREAMOFF, &t);
			c->streaming = 0;
		}
		for (i = 0; i < c->nbufs; i++) {
			if (c->maps[i] && c->maps[i] != MAP_FAILED)
				munmap(c->maps[i], c->map_len[i]);
			c->maps[i] = NULL;
		}
		if (c->nbufs) {
			struct v4l2_requestbuffers rb;
			memset(&rb, 0, sizeof(rb));
			rb.count = 0;
			rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
			rb.memory = V4L2_MEMORY_MMAP;
			xioctl(c->fd, VIDIOC_REQBUFS, &rb);
		}
		close(c->fd);
	}
	c->nbufs = 0;
	c->fd = -1;
	c->prepared = 0;
}

static void v4l2_set_ctrl(int fd, uint32_t id, int32_t value)
{
	struct v4l2_control ctl;
	memset(&ctl, 0, sizeof(ctl));
	ctl.id = id;
	ctl.value = value;
	(void)xioctl(fd, VIDIOC_S_CTRL, &ctl);   /* best effort */
}

static int v4l2_prepare(ivxs_capture *c)
{
	struct v4l2_capability cap;
	struct v4l2_format fmt;
	struct v4l2_requestbuffers rb;
	struct stat st;
	uint32_t caps;
	unsigned i;
	int r;
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	c->fd = open(c->device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (c->fd < 0)
		return IVXS_CAPTURE_EOPEN;
	if (fstat(c->fd, &st) != 0 || !S_ISCHR(st.st_mode)) {
		r = IVXS_CAPTURE_ENOTDEV;
		goto fail;
	}
	memset(&cap, 0, sizeof(cap));
	if (xioctl(c->fd, VIDIOC_QUERYCAP, &cap) < 0) {
		r = IVXS_CAPTURE_ENOTDEV;
		goto fail;
	}
	caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
	if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) {
		r = IVXS_CAPTURE_ECAPS;   /* multi-planar / M2M-only devices are not handled */
		goto fail;
	}
	memset(&fmt, 0, sizeof(fmt));
	fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (xioctl(c->fd, VIDIOC_G_FMT, &fmt) < 0) {
		r = IVXS_CAPTURE_EIO;
		goto fail;
	}
	fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_H264;
	if (c->width)
		fmt.fmt.pix.width = c->width;
	if (c->height)
		fmt.fmt.pix.height = c->height;
	fmt.fmt.pix.field = V4L2_FIELD_ANY;
	if (xioctl(c->fd, VIDIOC_S_FMT, &fmt) < 0 || fmt.fmt.pix.pixelformat != V4L2_PIX_FMT_H264) {
		r = IVXS_CAPTURE_EFORMAT;
		goto fail;
	}
	if (c->fps_num) {
		struct v4l2_streamparm parm;
		memset(&parm, 0, sizeof(parm));
		parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		if (xioctl(c->fd, VIDIOC_G_PARM, &parm) == 0 &&
				(parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME)) {
			parm.parm.capture.timeperframe.numerator = c->fps_den;
			parm.parm.capture.timeperframe.denominator = c->fps_num;
			(void)xioctl(c->fd, VIDIOC_S_PARM, &parm);
		}
	}
	/* Ask for SPS/PPS with every IDR so each GOP in the ring is decodable. */
	v4l2_set_ctrl(c->fd, V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER, 1);
#ifdef V4L2_CID_MPEG_VIDEO_PREPEND_SPSPPS_TO_IDR
	v4l2_set_ctrl(c->fd, V4L2_CID_MPEG_VIDEO_PREPEND_SPSPPS_TO_IDR, 1);
#endif

	memset(&rb, 0, sizeof(rb));
	rb.count = c->buffers;
	rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	rb.memory = V4L2_MEMORY_MMAP;
	if (xioctl(c->fd, VIDIOC_REQBUFS, &rb) < 0) {
		r = IVXS_CAPTURE_EIO;
		goto fail;
	}
	if (rb.count < 2) {
		c->nbufs = rb.count;
		r = IVXS_CAPTURE_ENOMEM;
		goto fail;
	}
	c->nbufs = rb.count > V4L2_MAX_BUFFERS ? V4L2_MAX_BUFFERS : rb.count;
	for (i = 0; i < c->nbufs; i++) {
		struct v4l2_buffer b;
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = i;
		if (xioctl(c->fd, VIDIOC_QUERYBUF, &b) < 0) {
			r = IVXS_CAPTURE_EIO;
			goto fail;
		}
		c->map_len[i] = b.length;
		c->maps[i] = mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, b.m.offset);
		if (c->maps[i] == MAP_FAILED) {
			c->maps[i] = NULL;
			r = IVXS_CAPTURE_EIO;
			goto fail;
		}
	}
	for (i = 0; i < c->nbufs; i++) {
		struct v4l2_buffer b;
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = i;
		if (xioctl(c->fd, VIDIOC_QBUF, &b) < 0) {
			r = IVXS_CAPTURE_EIO;
			goto fail;
		}
	}
	if (xioctl(c->fd, VIDIOC_STREAMON, &type) < 0) {
		r = IVXS_CAPTURE_EIO;
		goto fail;
	}
	c->streaming = 1;
	c->need_key = 1;
	c->v_index = 0;
	c->v4l2_have_first = 0;
	c->base_ms = pick_base_ms(c);
	c->last_ts = c->base_ms;
	c->prepared = 1;
	return IVXS_CAPTURE_OK;
fail:
	v4l2_close(c);
	return r;
}

/* One poll + DQBUF + push + QBUF. 1 progress/timeout, <0 fatal. */
static int v4l2_step(ivxs_capture *c)
{
	struct pollfd pfd;
	struct v4l2_buffer b;
	ivxs_capture_frame f;
	uint64_t buf_us, ts;
	int r;
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	r = poll(&pfd, 1, 100);
	if (r < 0)
		return errno == EINTR ? 1 : IVXS_CAPTURE_EIO;
	if (r == 0)
		return 1;
	if (pfd.revents & (POLLERR | POLLNVAL))
		return IVXS_CAPTURE_EIO;
	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = V4L2_MEMORY_MMAP;
	if (xioctl(c->fd, VIDIOC_DQBUF, &b) < 0)
		return errno == EAGAIN ? 1 : IVXS_CAPTURE_EIO;
	if (b.index >= c->nbufs)
		return IVXS_CAPTURE_EIO;
	memset(&f, 0, sizeof(f));
	if ((b.flags & V4L2_BUF_FLAG_ERROR) || b.bytesused == 0 || b.bytesused > c->map_len[b.index]) {
		ST_ADD(c, st_dropped, 1);
		c->need_key = 1;
		goto requeue;
	}
	f.type = IVXS_FRAME_VIDEO;
	f.codec = IVXS_CODEC_H264;
	f.data = (const uint8_t *)c->maps[b.index] + 0;
	f.size = b.bytesused;
	if (b.flags & V4L2_BUF_FLAG_KEYFRAME) {
		f.key = 1;
	} else {
		ivxs_au info;
		ivxs_au_describe(IVXS_CODEC_H264, f.data, f.size, &info);
		f.key = info.key;
	}
	/* Timestamps: the buffer's (monotonic on modern drivers) relative to the
	 * first buffer, else the injected clock; never going back. */
	buf_us = (uint64_t)b.timestamp.tv_sec * 1000000u + (uint64_t)b.timestamp.tv_usec;
	if (buf_us == 0)
		buf_us = now_us(c);
	if (!c->v4l2_have_first) {
		c->v4l2_first_us = buf_us;
		c->v4l2_have_first = 1;
	}
	ts = c->base_ms + (buf_us >= c->v4l2_first_us ? (buf_us - c->v4l2_first_us) / 1000u : 0);
	if (ts < c->last_ts)
		ts = c->last_ts;
	f.timestamp_ms = ts;
	f.index = c->v_index++;
	if (c->need_key && !f.key) {
		ST_ADD(c, st_dropped, 1);
	} else {
		if (f.key)
			c->need_key = 0;
		push_frame(c, &f);
		c->last_ts = ts;
		c->resume_ms = ts + 1;
		c->ever_pushed = 1;
		atomic_store_explicit(&c->last_video_ts, ts, RELAXED);
	}
requeue:
	if (xioctl(c->fd, VIDIOC_QBUF, &b) < 0)
		return IVXS_CAPTURE_EIO;
	return 1;
}

/* ---- thread ------------------------------------------------------------- */

static void *capture_thread(void *arg)
{
	ivxs_capture *c = arg;
	/* Pacing precision: no timer slack; optionally a real-time priority
	 * (on a loaded machine wake-ups are otherwise late by milliseconds). */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	atomic_store(&c->st_rt, 0);
	if (c->rt_priority > 0) {
		struct sched_param sp;
		int lo = sched_get_priority_min(SCHED_FIFO), hi = sched_get_priority_max(SCHED_FIFO);
		memset(&sp, 0, sizeof(sp));
		sp.sched_priority = c->rt_priority < lo ? lo : c->rt_priority > hi ? hi : c->rt_priority;
		if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0)
			atomic_store(&c->st_rt, 1);
	}
	while (!atomic_load_explicit(&c->stop_req, memory_order_acquire)) {
		int r = c->kind == KIND_FILE ? file_step(c) : v4l2_step(c);
		if (r < 0) {
			atomic_store(&c->st_fatal, r);
			break;
		}
		if (r == 0 && c->kind == KIND_FILE &&
				!atomic_load_explicit(&c->stop_req, RELAXED) && c->v_done && c->a_done)
			break;  /* played once to the end */
	}
	atomic_store(&c->running, 0);
	return NULL;
}

int ivxs_capture_start(ivxs_capture *c)
{
	int r;
	if (!c)
		return IVXS_CAPTURE_EARG;
	if (c->thread_started && !atomic_load(&c->running))
		ivxs_capture_stop(c);   /* the thread ended by itself: reap it */
	if (c->thread_started || c->prepared)
		return IVXS_CAPTURE_ESTATE;
	atomic_store(&c->stop_req, 0);
	atomic_store(&c->st_fatal, 0);
	r = c->kind == KIND_FILE ? file_prepare(c) : v4l2_prepare(c);
	if (r)
		return r;
	atomic_store(&c->running, 1);
	if (pthread_create(&c->thread, NULL, capture_thread, c) != 0) {
		atomic_store(&c->running, 0);
		if (c->kind == KIND_FILE)
			file_close(c);
		else
			v4l2_close(c);
		return IVXS_CAPTURE_ETHREAD;
	}
	c->thread_started = 1;
	return IVXS_CAPTURE_OK;
}

void ivxs_capture_stop(ivxs_capture *c)
{
	if (!c)
		return;
	if (c->thread_started) {
		atomic_store_explicit(&c->stop_req, 1, memory_order_release);
		pthread_join(c->thread, NULL);
		c->thread_started = 0;
		atomic_store(&c->running, 0);
	}
	if (c->kind == KIND_FILE) {
		if (c->prepared)
			file_close(c);
	} else {
		v4l2_close(c);
	}
}

#else /* !__linux__ */

const ivxs_capture_clock *ivxs_capture_default_clock(void)
{
	return NULL;
}

static void list_stills(ivxs_capture *c)
{
	c->stills_error = IVXS_CAPTURE_EUNSUPPORTED;
}

static void free_stills(ivxs_capture *c)
{
	c->nstills = 0;
}

int ivxs_capture_still(ivxs_capture *c, void *buf, size_t cap, size_t *len, uint64_t *ts_ms)
{
	(void)c; (void)buf; (void)cap; (void)ts_ms;
	if (len)
		*len = 0;
	return IVXS_CAPTURE_EUNSUPPORTED;
}

int ivxs_capture_start(ivxs_capture *c)
{
	(void)c;
	return IVXS_CAPTURE_EUNSUPPORTED;
}

void ivxs_capture_stop(ivxs_capture *c)
{
	ivxs_capture_finish(c);
}

#endif /* __linux__ */

void ivxs_capture_destroy(ivxs_capture **pc)
{
	ivxs_capture *c;
	if (!pc || !*pc)
		return;
	c = *pc;
	ivxs_capture_stop(c);
	if (c->prepared && c->kind == KIND_FILE)
		file_close(c);
	free(c->video_path);
	free(c->audio_path);
	free(c->stills_dir);
	free(c->device);
	free(c);
	*pc = NULL;
}

#endif /* IVXS_CAPTURE_CORE_ONLY */
