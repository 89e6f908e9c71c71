/*
 * The stream source core: Annex-B video (and ADTS audio) bytes from a reader
 * split into frames, timestamped, paced in real time on the injected clock or
 * as fast as possible, looped (see capture.h). No I/O of its own: bytes come
 * through ivxs_capture_reader (a file on Linux, flash or memory elsewhere).
 */
#include "capture_internal.h"
#include "g711.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_AU (1u << 20)
#define DEFAULT_READ_CHUNK (64u << 10)
#define DEFAULT_PROBE (4u << 20)
#define AUDIO_PROBE (64u << 10)
#define PCM_RATE 8000u
#define PCM_FRAME 160u               /* samples in a G.711 frame: 20 ms, what browsers send and take */

struct ivxs_capture_stream {
	ivxs_capture_reader reader;
	int has_audio;
	ivxs_codec codec;            /* configured (0 = detect) */
	ivxs_capture_reader pcm;     /* 16-bit PCM at 8 kHz, encoded to G.711 (pcm.read NULL: none) */
	ivxs_codec gcodec;           /* IVXS_CODEC_PCMU or IVXS_CODEC_PCMA */
	ivxs_codec vcodec;           /* in use */
	uint32_t fps_num, fps_den;
	ivxs_capture_pace pace;
	int once;
	size_t max_au, read_chunk, probe_bytes;

	/* run state (from prepare to close) */
	uint8_t *vbuf;
	ivxs_au_splitter vs;
	ivxs_adts_splitter *as;
	ivxs_au vau;                 /* pending video AU */
	ivxs_adts_frame aframe;      /* pending audio frame */
	int v_pending, a_pending, v_done, a_done, p_pending, p_done;
	uint64_t v_index, v_in_loop, v_pass_frames, v_loops, a_samples, a_pass_frames, a_loops;
	uint64_t p_samples, p_pass_frames, p_loops;
	int16_t pcm_frame[PCM_FRAME];   /* the G.711 track's pending frame, read and encoded */
	uint8_t g711_frame[PCM_FRAME];
	uint32_t a_rate;
	uint64_t t0_us;
	cap_u64 clip_pos_us;         /* read by other threads (stills) */
};

static long read_into(ivxs_capture_stream *s, ivxs_frame_type t, uint8_t *p, size_t n)
{
	return s->reader.read(s->reader.ctx, t, p, n);
}

static int rewind_stream(ivxs_capture_stream *s, ivxs_frame_type t)
{
	int r = s->reader.rewind(s->reader.ctx, t);
	return r < 0 ? r : 0;
}

/* Guess from the first NAL header after the first start code. */
static ivxs_codec codec_of(const uint8_t *b, size_t n)
{
	long p = ivxs_annexb_find_start(b, n, 0);
	if (p < 0 || (size_t)p + 5 > n)
		return (ivxs_codec)0;
	b += p + 3;
	if ((b[0] & 0x80) == 0 && b[1] == 0x01) {
		uint8_t t = ivxs_annexb_nal_type(IVXS_ANNEXB_H265, b);
		if (t == 32 || t == 35 || t == 39)   /* VPS, AUD, prefix SEI */
			return IVXS_CODEC_H265;
	}
	if ((b[0] & 0x80) == 0) {
		uint8_t t = ivxs_annexb_nal_type(IVXS_ANNEXB_H264, b);
		if (t == 7 || t == 9 || t == 6 || t == 5)
			return IVXS_CODEC_H264;
	}
	return (ivxs_codec)0;
}

int ivxs_capture_stream_create(ivxs_capture_stream **out, const ivxs_capture_stream_config *cfg)
{
	ivxs_capture_stream *s;
	if (!out)
		return IVXS_CAPTURE_EARG;
	*out = NULL;
	if (!cfg || !cfg->reader.read || !cfg->reader.rewind)
		return IVXS_CAPTURE_EARG;
	if (cfg->video_codec && cfg->video_codec != IVXS_CODEC_H264 &&
			cfg->video_codec != IVXS_CODEC_H265)
		return IVXS_CAPTURE_ECODEC;
	if (cfg->pace != IVXS_CAPTURE_PACE_REALTIME && cfg->pace != IVXS_CAPTURE_PACE_FAST)
		return IVXS_CAPTURE_EARG;
	if (cfg->max_au_bytes && cfg->max_au_bytes < 64)
		return IVXS_CAPTURE_EARG;
	if (cfg->pcm && (!cfg->pcm->read || !cfg->pcm->rewind))
		return IVXS_CAPTURE_EARG;
	if (cfg->pcm && cfg->pcm_codec != IVXS_CODEC_PCMU && cfg->pcm_codec != IVXS_CODEC_PCMA)
		return IVXS_CAPTURE_ECODEC;
	s = calloc(1, sizeof(*s));
	if (!s)
		return IVXS_CAPTURE_ENOMEM;
	s->reader = cfg->reader;
	s->has_audio = cfg->has_audio;
	if (cfg->pcm) {
		s->pcm = *cfg->pcm;
		s->gcodec = cfg->pcm_codec;
	}
	s->codec = cfg->video_codec;
	s->fps_num = cfg->fps_num ? cfg->fps_num : 25;
	s->fps_den = cfg->fps_num ? (cfg->fps_den ? cfg->fps_den : 1) : 1;
	s->pace = cfg->pace;
	s->once = cfg->once;
	s->max_au = cfg->max_au_bytes ? cfg->max_au_bytes : DEFAULT_MAX_AU;
	s->read_chunk = cfg->read_chunk ? cfg->read_chunk : DEFAULT_READ_CHUNK;
	s->probe_bytes = cfg->probe_bytes ? cfg->probe_bytes : DEFAULT_PROBE;
	*out = s;
	return IVXS_CAPTURE_OK;
}

void ivxs_capture_stream_destroy(ivxs_capture_stream **ps)
{
	if (!ps || !*ps)
		return;
	ivxs_capture_stream_close(*ps);
	free(*ps);
	*ps = NULL;
}

/* Read more of a stream into its splitter. 1: bytes added, 0: end (end()
 * called), <0 error. */
static int fill_video(ivxs_capture_stream *s)
{
	size_t avail;
	long n;
	uint8_t *p = ivxs_au_space(&s->vs, &avail);
	if (avail > s->read_chunk)
		avail = s->read_chunk;
	if (avail == 0)
		return 1;  /* splitter must make progress first (it never stays full) */
	n = read_into(s, IVXS_FRAME_VIDEO, p, avail);
	if (n < 0)
		return (int)n;
	if (n == 0) {
		ivxs_au_end(&s->vs);
		return 0;
	}
	ivxs_au_commit(&s->vs, (size_t)n);
	return 1;
}

static int fill_audio(ivxs_capture_stream *s)
{
	size_t avail;
	long n;
	uint8_t *p = ivxs_adts_space(s->as, &avail);
	if (avail > s->read_chunk)
		avail = s->read_chunk;
	if (avail == 0)
		return 1;
	n = read_into(s, IVXS_FRAME_AUDIO, p, avail);
	if (n < 0)
		return (int)n;
	if (n == 0) {
		ivxs_adts_end(s->as);
		return 0;
	}
	ivxs_adts_commit(s->as, (size_t)n);
	return 1;
}

/* Make s->vau the next video AU. 1 ok, 0 stream over, <0 fatal. */
static int next_video(ivxs_capture_stream *s, ivxs_capture *c)
{
	for (;;) {
		uint64_t d0 = s->vs.dropped;
		int r = ivxs_au_next(&s->vs, &s->vau);
		if (r == 1) {
			s->v_pass_frames++;
			return 1;
		}
		if (r < 0) {
			ivxs_capture_split_error(c, r);
			if (s->vs.dropped != d0)
				ivxs_capture_drop(c, s->vs.dropped - d0);
			continue;
		}
		if (!ivxs_au_finished(&s->vs)) {
			int f = fill_video(s);
			if (f < 0)
				return f;
			continue;
		}
		/* end of the stream */
		if (s->once)
			return 0;
		if (s->v_pass_frames == 0)
			return IVXS_CAPTURE_ENOKEY;  /* nothing usable at all: do not spin */
		if ((r = rewind_stream(s, IVXS_FRAME_VIDEO)) < 0)
			return r;
		ivxs_au_reset(&s->vs);
		s->v_pass_frames = 0;
		s->v_in_loop = 0;
		s->v_loops++;
		ivxs_capture_count_loop(c);
	}
}

static int next_audio(ivxs_capture_stream *s, ivxs_capture *c)
{
	for (;;) {
		int r = ivxs_adts_next(s->as, &s->aframe);
		if (r == 1) {
			s->a_pass_frames++;
			return 1;
		}
		if (r < 0) {
			ivxs_capture_split_error(c, r);
			continue;
		}
		if (!s->as->ended) {
			int f = fill_audio(s);
			if (f < 0)
				return f;
			continue;
		}
		if (s->once)
			return 0;
		if (s->a_pass_frames == 0)
			return IVXS_CAPTURE_EADTS;
		if ((r = rewind_stream(s, IVXS_FRAME_AUDIO)) < 0)
			return r;
		ivxs_adts_init(s->as);
		s->a_pass_frames = 0;
		s->a_loops++;
	}
}

/* Reads the PCM stream's next 20 ms (partial reads gathered): 1, 0 at its end (a partial frame
 * there is dropped), <0 a status. */
static int read_pcm_frame(ivxs_capture_stream *s)
{
	size_t got = 0;
	while (got < sizeof(s->pcm_frame)) {
		long n = s->pcm.read(s->pcm.ctx, IVXS_FRAME_AUDIO, (uint8_t *)s->pcm_frame + got, sizeof(s->pcm_frame) - got);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 0;
		got += (size_t)n;
	}
	return 1;
}

/* Make s->g711_frame the G.711 track's next frame. 1 ok, 0 stream over, <0 fatal. */
static int next_pcm(ivxs_capture_stream *s)
{
	for (;;) {
		int r = read_pcm_frame(s);
		if (r < 0)
			return r;
		if (r == 1) {
			ivxs_g711_encode(s->gcodec == IVXS_CODEC_PCMA, s->pcm_frame, PCM_FRAME, s->g711_frame);
			s->p_pass_frames++;
			return 1;
		}
		if (s->once)
			return 0;
		if (s->p_pass_frames == 0)
			return IVXS_CAPTURE_ETRUNC;   /* not one whole frame: do not spin */
		if ((r = s->pcm.rewind(s->pcm.ctx, IVXS_FRAME_AUDIO)) < 0)
			return r;
		s->p_pass_frames = 0;
		s->p_loops++;
	}
}

/* Probe the video stream: codec, a start code and a key frame within the
 * first probe_bytes. Leaves the stream rewound and the splitter reset. */
static int probe_video(ivxs_capture_stream *s)
{
	size_t fed = 0;
	int saw_start = 0, r;
	ivxs_au au;
	s->vcodec = s->codec;
	if (!s->vcodec) {
		uint8_t head[64];
		long n = read_into(s, IVXS_FRAME_VIDEO, head, sizeof(head));
		if (n < 0)
			return (int)n;
		if (n == 0)
			return IVXS_CAPTURE_ENOSTART;
		s->vcodec = codec_of(head, (size_t)n);
		if (!s->vcodec)
			return ivxs_annexb_find_start(head, (size_t)n, 0) < 0 ? IVXS_CAPTURE_ENOSTART : IVXS_CAPTURE_ECODEC;
		if ((r = rewind_stream(s, IVXS_FRAME_VIDEO)) < 0)
			return r;
	}
	r = ivxs_au_init(&s->vs, s->vcodec, s->vbuf, s->max_au + IVXS_AU_LOOKAHEAD);
	if (r)
		return r;
	for (;;) {
		r = ivxs_au_next(&s->vs, &au);
		if (s->vs.started)
			saw_start = 1;
		if (r == 1) {
			if (au.key)
				break;
			continue;
		}
		if (r < 0)
			continue;
		if (ivxs_au_finished(&s->vs) || fed >= s->probe_bytes) {
			r = saw_start ? IVXS_CAPTURE_ENOKEY : IVXS_CAPTURE_ENOSTART;
			goto out;
		}
		{
			size_t before = s->vs.len;
			int f = fill_video(s);
			if (f < 0) {
				r = f;
				goto out;
			}
			fed += s->vs.len - before;
		}
	}
	r = IVXS_CAPTURE_OK;
out:
	{
		int w = rewind_stream(s, IVXS_FRAME_VIDEO);
		if (w < 0 && r == 0)
			r = w;
	}
	ivxs_au_reset(&s->vs);
	return r;
}

static int probe_audio(ivxs_capture_stream *s)
{
	size_t fed = 0;
	int r, w;
	ivxs_adts_frame f;
	ivxs_adts_init(s->as);
	for (;;) {
		r = ivxs_adts_next(s->as, &f);
		if (r == 1) {
			s->a_rate = f.sample_rate;
			r = IVXS_CAPTURE_OK;
			break;
		}
		if (r < 0)
			continue;
		if (s->as->ended || fed >= AUDIO_PROBE) {
			r = IVXS_CAPTURE_EADTS;
			break;
		}
		{
			size_t before = s->as->len;
			int k = fill_audio(s);
			if (k < 0) {
				r = k;
				break;
			}
			fed += s->as->len - before;
		}
	}
	w = rewind_stream(s, IVXS_FRAME_AUDIO);
	if (w < 0 && r == 0)
		r = w;
	ivxs_adts_init(s->as);
	return r;
}

void ivxs_capture_stream_close(ivxs_capture_stream *s)
{
	if (!s)
		return;
	free(s->vbuf);
	s->vbuf = NULL;
	free(s->as);
	s->as = NULL;
}

int ivxs_capture_stream_prepare(ivxs_capture_stream *s, ivxs_capture *c)
{
	int r;
	s->vbuf = malloc(s->max_au + IVXS_AU_LOOKAHEAD);
	if (!s->vbuf) {
		r = IVXS_CAPTURE_ENOMEM;
		goto fail;
	}
	r = probe_video(s);
	if (r)
		goto fail;
	if (s->has_audio) {
		s->as = malloc(sizeof(*s->as));
		if (!s->as) {
			r = IVXS_CAPTURE_ENOMEM;
			goto fail;
		}
		r = probe_audio(s);
		if (r)
			goto fail;
	}
	if (s->pcm.read) {   /* at least one whole frame, then from the start */
		if ((r = read_pcm_frame(s)) <= 0 || (r = s->pcm.rewind(s->pcm.ctx, IVXS_FRAME_AUDIO)) < 0) {
			r = r ? r : IVXS_CAPTURE_ETRUNC;
			goto fail;
		}
	}
	s->v_pending = s->a_pending = s->p_pending = 0;
	s->v_done = 0;
	s->a_done = !s->has_audio;
	s->p_done = !s->pcm.read;
	s->p_samples = s->p_pass_frames = s->p_loops = 0;
	s->v_index = s->v_in_loop = s->v_pass_frames = s->v_loops = 0;
	s->a_samples = s->a_pass_frames = s->a_loops = 0;
	s->t0_us = ivxs_capture_now_us(c);
	cap_u64_set(&s->clip_pos_us, 0);
	return IVXS_CAPTURE_OK;
fail:
	ivxs_capture_stream_close(s);
	return r;
}

int ivxs_capture_stream_step(ivxs_capture_stream *s, ivxs_capture *c)
{
	int r, video, pcm;
	uint64_t voff = 0, aoff = 0, poff = 0, off, base = ivxs_capture_base_ms(c);
	ivxs_capture_frame f;
	if (!s->v_pending && !s->v_done) {
		r = next_video(s, c);
		if (r < 0)
			return r;
		s->v_pending = r == 1;
		s->v_done = r == 0;
	}
	if (!s->a_pending && !s->a_done) {
		r = next_audio(s, c);
		if (r < 0)
			return r;
		s->a_pending = r == 1;
		s->a_done = r == 0;
	}
	if (!s->p_pending && !s->p_done) {
		r = next_pcm(s);
		if (r < 0)
			return r;
		s->p_pending = r == 1;
		s->p_done = r == 0;
	}
	if (!s->v_pending && !s->a_pending && !s->p_pending)
		return 0;
	if (s->v_pending)
		voff = ivxs_capture_video_offset_us(s->v_index, s->fps_num, s->fps_den);
	if (s->a_pending)
		aoff = ivxs_capture_audio_offset_us(s->a_samples, s->a_rate);
	if (s->p_pending)
		poff = ivxs_capture_audio_offset_us(s->p_samples, PCM_RATE);
	/* the earliest pending frame goes first (video, then AAC, then G.711 at the same time): each
	 * track's timestamps rise, and the audio tracks' together */
	video = s->v_pending && (!s->a_pending || voff <= aoff) && (!s->p_pending || voff <= poff);
	pcm = !video && s->p_pending && (!s->a_pending || poff < aoff);
	off = video ? voff : pcm ? poff : aoff;
	memset(&f, 0, sizeof(f));
	if (s->pace == IVXS_CAPTURE_PACE_REALTIME) {
		f.scheduled_us = s->t0_us + off;
		if (ivxs_capture_wait_until(c, f.scheduled_us))
			return 0;
	}
	f.timestamp_ms = base + off / 1000;
	if (video) {
		f.type = IVXS_FRAME_VIDEO;
		f.codec = s->vcodec;
		f.key = s->vau.key;
		f.info = s->vau.info;
		f.data = s->vau.data;
		f.size = s->vau.size;
		f.index = s->v_index;
		f.loop = s->v_loops;
		if (ivxs_capture_emit(c, &f))
			cap_u64_set(&s->clip_pos_us, ivxs_capture_video_offset_us(s->v_in_loop, s->fps_num, s->fps_den));
		s->v_index++;
		s->v_in_loop++;
		s->v_pending = 0;
		ivxs_capture_advance(c, base + ivxs_capture_video_offset_us(s->v_index, s->fps_num, s->fps_den) / 1000);
	} else if (pcm) {
		f.type = IVXS_FRAME_AUDIO;
		f.codec = s->gcodec;
		f.key = 1;
		f.data = s->g711_frame;
		f.size = PCM_FRAME;
		f.index = s->p_samples;
		f.loop = s->p_loops;
		ivxs_capture_emit(c, &f);
		s->p_samples += PCM_FRAME;
		s->p_pending = 0;
		ivxs_capture_advance(c, base + ivxs_capture_audio_offset_us(s->p_samples, PCM_RATE) / 1000);
	} else {
		f.type = IVXS_FRAME_AUDIO;
		f.codec = IVXS_CODEC_AAC;
		f.key = 1;
		f.data = s->aframe.data;
		f.size = s->aframe.size;
		f.index = s->a_samples;
		f.loop = s->a_loops;
		ivxs_capture_emit(c, &f);
		s->a_samples += s->aframe.samples;
		s->a_pending = 0;
		ivxs_capture_advance(c, base + ivxs_capture_audio_offset_us(s->a_samples, s->a_rate) / 1000);
	}
	return 1;
}

uint64_t ivxs_capture_stream_clip_us(const ivxs_capture_stream *s)
{
	return cap_u64_get(&s->clip_pos_us);
}

size_t ivxs_capture_stream_footprint(const ivxs_capture_stream *s)
{
	return sizeof(*s) + (s->vbuf ? s->max_au + IVXS_AU_LOOKAHEAD : 0) + (s->as ? sizeof(*s->as) : 0);
}
