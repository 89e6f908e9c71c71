/*
 * The file source: an Annex-B video file (and an ADTS audio file) split into
 * frames, timestamped, paced in real time or as fast as possible, looped
 * (see capture.h). stdio and the injected clock only.
 */
#include "capture_internal.h"

static ivxs_codec codec_from_name(const char *path)
{
	if (cap_ends_with_ci(path, ".h264") || cap_ends_with_ci(path, ".264") || cap_ends_with_ci(path, ".avc"))
		return IVXS_CODEC_H264;
	if (cap_ends_with_ci(path, ".h265") || cap_ends_with_ci(path, ".265") || cap_ends_with_ci(path, ".hevc"))
		return IVXS_CODEC_H265;
	return (ivxs_codec)0;
}

/* Guess from the first NAL header after the first start code. */
static ivxs_codec codec_from_bytes(const uint8_t *b, size_t n)
{
	long p = ivxs_annexb_find_start(b, n, 0);
	if (p < 0 || (size_t)p + 5 > n)
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

int ivxs_capture_create_file(ivxs_capture **out, const ivxs_capture_file_config *cfg)
{
	ivxs_capture *c;
	int r;
	if (!out)
		return IVXS_CAPTURE_EARG;
	*out = NULL;
	if (!cfg || !cfg->video_path || !cfg->video_path[0])
		return IVXS_CAPTURE_EARG;
	if (cfg->video_codec && cfg->video_codec != IVXS_CODEC_H264 &&
			cfg->video_codec != IVXS_CODEC_H265)
		return IVXS_CAPTURE_ECODEC;
	if (cfg->pace != IVXS_CAPTURE_PACE_REALTIME && cfg->pace != IVXS_CAPTURE_PACE_FAST)
		return IVXS_CAPTURE_EARG;
	if (cfg->max_au_bytes && cfg->max_au_bytes < 64)
		return IVXS_CAPTURE_EARG;
	r = cap_new(&c, KIND_FILE, cfg->clock, cfg->sink, cfg->sink_ctx, cfg->observer,
		cfg->observer_ctx, cfg->start_ms_set, cfg->start_ms, cfg->rt_priority);
	if (r)
		return r;
	c->codec = cfg->video_codec;
	c->fps_num = cfg->fps_num ? cfg->fps_num : 25;
	c->fps_den = cfg->fps_num ? (cfg->fps_den ? cfg->fps_den : 1) : 1;
	c->pace = cfg->pace;
	c->once = cfg->once;
	c->max_au = cfg->max_au_bytes ? cfg->max_au_bytes : DEFAULT_MAX_AU;
	c->read_chunk = cfg->read_chunk ? cfg->read_chunk : DEFAULT_READ_CHUNK;
	c->probe_bytes = cfg->probe_bytes ? cfg->probe_bytes : DEFAULT_PROBE;
	c->video_path = cap_dup_str(cfg->video_path);
	c->audio_path = cap_dup_str(cfg->audio_path && cfg->audio_path[0] ? cfg->audio_path : NULL);
	c->stills_dir = cap_dup_str(cfg->stills_dir && cfg->stills_dir[0] ? cfg->stills_dir : NULL);
	if (!c->video_path || (cfg->audio_path && cfg->audio_path[0] && !c->audio_path) ||
			(cfg->stills_dir && cfg->stills_dir[0] && !c->stills_dir)) {
		ivxs_capture_destroy(&c);
		return IVXS_CAPTURE_ENOMEM;
	}
	*out = c;
	return IVXS_CAPTURE_OK;
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
		return ivxs_annexb_find_start(head, n, 0) < 0 ? IVXS_CAPTURE_ENOSTART : IVXS_CAPTURE_ECODEC;
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

void cap_file_close(ivxs_capture *c)
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
	cap_free_stills(c);
	c->prepared = 0;
}

int cap_file_prepare(ivxs_capture *c)
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
	cap_list_stills(c);
	c->v_pending = c->a_pending = 0;
	c->v_done = 0;
	c->a_done = c->af == NULL;
	c->need_key = 1;
	c->v_index = c->v_in_loop = c->v_pass_frames = 0;
	c->a_samples = c->a_pass_frames = c->a_loops = 0;
	c->base_ms = cap_pick_base_ms(c);
	c->t0_us = cap_now_us(c);
	cap_u64_set(&c->clip_pos_us, 0);
	if (!c->ever_pushed)
		cap_u64_set(&c->last_video_ts, c->base_ms);
	c->prepared = 1;
	return IVXS_CAPTURE_OK;
fail:
	cap_file_close(c);
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
		now = cap_now_us(c);
		if (now >= t)
			return 0;
		c->clock.sleep_until_us(c->clock.ctx, t - now > SLEEP_SLICE_US ? now + SLEEP_SLICE_US : t);
	}
}

int cap_file_step(ivxs_capture *c)
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
		f.info = c->vau.info;
		f.data = c->vau.data;
		f.size = c->vau.size;
		f.index = c->v_index;
		f.loop = cap_u64_get(&c->st_loops);
		if (skip) {
			ST_ADD(c, st_dropped, 1);
		} else {
			if (f.key)
				c->need_key = 0;
			cap_emit(c, &f);
			cap_u64_set(&c->last_video_ts, f.timestamp_ms);
			cap_u64_set(&c->clip_pos_us, ivxs_capture_video_offset_us(c->v_in_loop, c->fps_num, c->fps_den));
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
		cap_emit(c, &f);
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
	return cap_file_prepare(c);
}

int ivxs_capture_step(ivxs_capture *c)
{
	if (!c || c->kind != KIND_FILE)
		return IVXS_CAPTURE_EARG;
	if (!c->prepared)
		return IVXS_CAPTURE_ESTATE;
	return cap_file_step(c);
}

void ivxs_capture_finish(ivxs_capture *c)
{
	if (c && c->kind == KIND_FILE && c->prepared && !atomic_load(&c->running))
		cap_file_close(c);
}
