/*
 * The capture source object shared by every kind of source: creation, frames
 * out to the sink, stats, destroy (see capture_internal.h).
 */
#include "capture_internal.h"

char *cap_dup_str(const char *s)
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

int cap_ends_with_ci(const char *s, const char *suffix)
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

static const ivxs_capture_clock *pick_clock(const ivxs_capture_clock *given)
{
	return given ? given : ivxs_capture_default_clock();
}

static int clock_ok(const ivxs_capture_clock *k)
{
	return k && k->now_us && k->sleep_until_us;
}

int cap_new(ivxs_capture **out, int kind, const ivxs_capture_clock *clock,
		ivxs_capture_sink sink, void *sink_ctx, ivxs_capture_observer observer, void *observer_ctx,
		int start_ms_set, uint64_t start_ms, int rt_priority)
{
	ivxs_capture *c;
	const ivxs_capture_clock *k = pick_clock(clock);
	*out = NULL;
	if (!sink || !clock_ok(k))
		return IVXS_CAPTURE_EARG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return IVXS_CAPTURE_ENOMEM;
	c->kind = kind;
	c->sink = sink;
	c->sink_ctx = sink_ctx;
	c->clock = *k;
	c->observer = observer;
	c->observer_ctx = observer_ctx;
	c->start_ms_set = start_ms_set;
	c->start_ms = start_ms;
	c->rt_priority = rt_priority;
#ifdef __linux__
	c->fd = -1;
#endif
	*out = c;
	return IVXS_CAPTURE_OK;
}

uint64_t cap_now_us(ivxs_capture *c)
{
	return c->clock.now_us(c->clock.ctx);
}

static uint64_t wall_ms(ivxs_capture *c)
{
	return c->clock.wall_ms ? c->clock.wall_ms(c->clock.ctx) : 0;
}

/* Base timestamp for a (re)start: configured or wall clock, never before the
 * timestamps already pushed by this source. */
uint64_t cap_pick_base_ms(ivxs_capture *c)
{
	uint64_t base = c->start_ms_set ? c->start_ms : wall_ms(c);
	if (c->ever_pushed && base < c->resume_ms)
		base = c->resume_ms;
	return base;
}

void cap_emit(ivxs_capture *c, ivxs_capture_frame *f)
{
	int r;
	f->pushed_us = cap_now_us(c);
	r = c->sink(c->sink_ctx, f);
	if (r < 0) {
		ST_ADD(c, st_ring_errors, 1);
		ST_ADD(c, st_dropped, 1);
		atomic_store_explicit(&c->st_last_ring, r, RELAXED);
		if (f->type == IVXS_FRAME_VIDEO)
			c->need_key = 1;   /* later frames would miss this one as a reference */
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
		uint64_t late = f->pushed_us - f->scheduled_us;
		if (late > cap_u64_get(&c->st_max_late))
			cap_u64_set(&c->st_max_late, late);
	}
	if (c->observer)
		c->observer(c->observer_ctx, f, r);
}

void ivxs_capture_get_stats(const ivxs_capture *c, ivxs_capture_stats *o)
{
	ivxs_capture *m = (ivxs_capture *)c;
	memset(o, 0, sizeof(*o));
	if (!c)
		return;
	o->frames_pushed = cap_u64_get(&m->st_frames);
	o->video_frames = cap_u64_get(&m->st_video);
	o->audio_frames = cap_u64_get(&m->st_audio);
	o->key_frames = cap_u64_get(&m->st_key);
	o->bytes_pushed = cap_u64_get(&m->st_bytes);
	o->loops = cap_u64_get(&m->st_loops);
	o->dropped = cap_u64_get(&m->st_dropped);
	o->ring_errors = cap_u64_get(&m->st_ring_errors);
	o->last_ring_error = atomic_load_explicit(&m->st_last_ring, RELAXED);
	o->split_errors = cap_u64_get(&m->st_split_errors);
	o->last_split_error = atomic_load_explicit(&m->st_last_split, RELAXED);
	o->fatal_error = atomic_load_explicit(&m->st_fatal, RELAXED);
	o->max_late_us = cap_u64_get(&m->st_max_late);
	o->running = atomic_load_explicit(&m->running, RELAXED);
	o->realtime = atomic_load_explicit(&m->st_rt, RELAXED);
	o->stills = m->nstills;
	/* What this source holds now (the VM thread starts and stops it, so the
	 * buffers do not change under this read). */
	o->footprint_bytes = sizeof(*m) + (m->vbuf ? m->max_au + IVXS_AU_LOOKAHEAD : 0) +
		(m->as ? sizeof(*m->as) : 0) + (m->stills ? m->stills_bytes : 0);
}


void ivxs_capture_destroy(ivxs_capture **pc)
{
	ivxs_capture *c;
	if (!pc || !*pc)
		return;
	c = *pc;
	ivxs_capture_stop(c);
	if (c->prepared && c->kind == KIND_FILE)
		cap_file_close(c);
	free(c->video_path);
	free(c->audio_path);
	free(c->stills_dir);
	free(c->device);
	free(c);
	*pc = NULL;
}

