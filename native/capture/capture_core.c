/*
 * The capture object: drives a source through its interface (prepare, step,
 * close), gates video on key frames, stamps, counts and hands frames to the
 * sink (see capture.h). No I/O, no threads: time comes from the injected
 * clock, a runner (capture_thread_linux.c, or a board's task) calls step.
 */
#include "capture_internal.h"

#include <stdlib.h>
#include <string.h>

#define SLEEP_SLICE_US 20000u     /* stop latency under real-time pacing */

int ivxs_capture_create(ivxs_capture **out, const ivxs_capture_config *cfg)
{
	ivxs_capture *c;
	if (!out)
		return IVXS_CAPTURE_EARG;
	*out = NULL;
	if (!cfg || !cfg->sink || !cfg->source.prepare || !cfg->source.step || !cfg->source.close ||
			!cfg->clock || !cfg->clock->now_us || !cfg->clock->sleep_until_us)
		return IVXS_CAPTURE_EARG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return IVXS_CAPTURE_ENOMEM;
	c->source = cfg->source;
	c->sink = cfg->sink;
	c->sink_ctx = cfg->sink_ctx;
	c->clock = *cfg->clock;
	c->observer = cfg->observer;
	c->observer_ctx = cfg->observer_ctx;
	c->start_ms_set = cfg->start_ms_set;
	c->start_ms = cfg->start_ms;
	c->rt_priority = cfg->rt_priority;
	c->stack_bytes = cfg->stack_bytes;
	*out = c;
	return IVXS_CAPTURE_OK;
}

void ivxs_capture_destroy(ivxs_capture **pc)
{
	ivxs_capture *c;
	if (!pc || !*pc)
		return;
	c = *pc;
	if (c->halt)
		c->halt(c);
	ivxs_capture_finish(c);
	if (c->source.release)
		c->source.release(c->source.ctx);
	free(c);
	*pc = NULL;
}

uint64_t ivxs_capture_now_us(ivxs_capture *c)
{
	return c->clock.now_us(c->clock.ctx);
}

int ivxs_capture_prepare(ivxs_capture *c)
{
	int r;
	if (!c)
		return IVXS_CAPTURE_EARG;
	if (c->prepared || atomic_load(&c->running))
		return IVXS_CAPTURE_ESTATE;
	atomic_store(&c->stop_req, 0);
	atomic_store(&c->st_fatal, 0);
	c->base_ms = c->start_ms_set ? c->start_ms : c->clock.wall_ms ? c->clock.wall_ms(c->clock.ctx) : 0;
	if (c->ever_pushed && c->base_ms < c->resume_ms)
		c->base_ms = c->resume_ms;
	if (!c->ever_pushed)
		cap_u64_set(&c->last_video_ts, c->base_ms);
	c->need_key = 1;
	r = c->source.prepare(c->source.ctx, c);
	if (r)
		return r;
	c->prepared = 1;
	return IVXS_CAPTURE_OK;
}

int ivxs_capture_step(ivxs_capture *c)
{
	if (!c)
		return IVXS_CAPTURE_EARG;
	if (!c->prepared)
		return IVXS_CAPTURE_ESTATE;
	return c->source.step(c->source.ctx, c);
}

void ivxs_capture_finish(ivxs_capture *c)
{
	if (c && c->prepared && !atomic_load(&c->running)) {
		c->source.close(c->source.ctx);
		c->prepared = 0;
	}
}

int ivxs_capture_runner_begin(ivxs_capture *c)
{
	int r;
	if (!c)
		return IVXS_CAPTURE_EARG;
	if (c->runner && !atomic_load(&c->running))
		ivxs_capture_stop(c);   /* the runner ended by itself: reap it */
	if (c->runner || c->prepared)
		return IVXS_CAPTURE_ESTATE;
	r = ivxs_capture_prepare(c);
	if (!r)
		atomic_store(&c->running, 1);
	return r;
}

void ivxs_capture_runner_failed(ivxs_capture *c)
{
	atomic_store(&c->running, 0);
	ivxs_capture_finish(c);
}

void ivxs_capture_run_steps(ivxs_capture *c)
{
	while (!ivxs_capture_stop_requested(c)) {
		int r = ivxs_capture_step(c);
		if (r < 0) {
			atomic_store(&c->st_fatal, r);
			break;
		}
		if (r == 0)
			break;   /* the source ended (or a wait saw the stop request) */
	}
	atomic_store(&c->running, 0);
}

void ivxs_capture_request_stop(ivxs_capture *c)
{
	if (c)
		atomic_store_explicit(&c->stop_req, 1, memory_order_release);
}

int ivxs_capture_stop_requested(const ivxs_capture *c)
{
	return atomic_load_explicit(&((ivxs_capture *)c)->stop_req, memory_order_acquire);
}

int ivxs_capture_wait_until(ivxs_capture *c, uint64_t t)
{
	for (;;) {
		uint64_t now;
		if (atomic_load_explicit(&c->stop_req, RELAXED))
			return 1;
		now = ivxs_capture_now_us(c);
		if (now >= t)
			return 0;
		c->clock.sleep_until_us(c->clock.ctx, t - now > SLEEP_SLICE_US ? now + SLEEP_SLICE_US : t);
	}
}

uint64_t ivxs_capture_base_ms(const ivxs_capture *c)
{
	return c->base_ms;
}

void ivxs_capture_advance(ivxs_capture *c, uint64_t next_ms)
{
	if (next_ms > c->resume_ms)
		c->resume_ms = next_ms;
	c->ever_pushed = 1;
}

void ivxs_capture_drop(ivxs_capture *c, uint64_t frames)
{
	ST_ADD(c, st_dropped, frames);
	c->need_key = 1;
}

void ivxs_capture_split_error(ivxs_capture *c, int status)
{
	ST_ADD(c, st_split_errors, 1);
	atomic_store_explicit(&c->st_last_split, status, RELAXED);
}

void ivxs_capture_count_loop(ivxs_capture *c)
{
	ST_ADD(c, st_loops, 1);
}

int ivxs_capture_emit(ivxs_capture *c, ivxs_capture_frame *f)
{
	int r;
	if (f->type == IVXS_FRAME_VIDEO) {
		if (c->need_key && !f->key) {
			ST_ADD(c, st_dropped, 1);
			return 0;
		}
		if (f->key)
			c->need_key = 0;
	}
	f->pushed_us = ivxs_capture_now_us(c);
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
	if (f->type == IVXS_FRAME_VIDEO)
		cap_u64_set(&c->last_video_ts, f->timestamp_ms);
	if (f->scheduled_us && f->pushed_us > f->scheduled_us) {
		uint64_t late = f->pushed_us - f->scheduled_us;
		if (late > cap_u64_get(&c->st_max_late))
			cap_u64_set(&c->st_max_late, late);
	}
	if (c->observer)
		c->observer(c->observer_ctx, f, r);
	return 1;
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
	o->footprint_bytes = sizeof(*m);
	/* the source adds its stills and buffers (the VM thread starts and stops
	 * it, so they do not change under this read) */
	if (m->source.stats)
		m->source.stats(m->source.ctx, o);
}

int ivxs_capture_still(ivxs_capture *c, void *buf, size_t cap, size_t *len, uint64_t *ts_ms)
{
	if (len)
		*len = 0;
	if (!c || !buf || !len)
		return IVXS_CAPTURE_EARG;
	if (!c->source.still)
		return IVXS_CAPTURE_EUNSUPPORTED;
	if (!c->prepared)
		return IVXS_CAPTURE_ESTATE;
	if (ts_ms)
		*ts_ms = cap_u64_get(&c->last_video_ts);
	return c->source.still(c->source.ctx, buf, cap, len);
}
