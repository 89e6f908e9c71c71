/*
 * The capture thread (Linux): the default clock, start/stop, the loop that
 * steps a source until it ends or is stopped (see capture.h).
 */
#include "capture_internal.h"

#ifdef __linux__
#include <errno.h>
#include <sched.h>
#include <time.h>
#include <sys/prctl.h>

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
		int r = c->kind == KIND_FILE ? cap_file_step(c) : cap_v4l2_step(c);
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
	r = c->kind == KIND_FILE ? cap_file_prepare(c) : cap_v4l2_prepare(c);
	if (r)
		return r;
	atomic_store(&c->running, 1);
	if (pthread_create(&c->thread, NULL, capture_thread, c) != 0) {
		atomic_store(&c->running, 0);
		if (c->kind == KIND_FILE)
			cap_file_close(c);
		else
			cap_v4l2_close(c);
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
			cap_file_close(c);
	} else {
		cap_v4l2_close(c);
	}
}

#else /* !__linux__ */

const ivxs_capture_clock *ivxs_capture_default_clock(void)
{
	return NULL;
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
