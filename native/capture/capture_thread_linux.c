/*
 * The capture runner on Linux: the default clock and a thread that steps a
 * capture until its source ends, fails or is stopped (see capture.h). It
 * knows the capture core's public step API and nothing of the sources; a
 * board runs the same loop in an RTOS task.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "capture_internal.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>

static uint64_t linux_now_us(void *ctx)
{
	struct timespec ts;
	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Relative sleeps to an absolute deadline: each is measured from a fresh clock
 * reading, so lateness never accumulates across steps. No clock_nanosleep
 * (TIMER_ABSTIME): libfaketime rewrites an absolute deadline by its wall-clock
 * offset even when the monotonic clock stays true, and depending on the offset
 * and the machine's uptime that is EINVAL, a time already past (the thread
 * spun a core) or one days ahead (capture stalled, and the stop that joins
 * the thread hung: tests/camera-clock's 1970 camera on a machine up > 1 day). */
static void linux_sleep_until_us(void *ctx, uint64_t t)
{
	uint64_t now;
	while ((now = linux_now_us(ctx)) < t) {
		struct timespec d;
		d.tv_sec = (time_t)((t - now) / 1000000u);
		d.tv_nsec = (long)((t - now) % 1000000u) * 1000;
		(void)nanosleep(&d, NULL);
	}
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

typedef struct {
	pthread_t thread;
} runner;

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
	ivxs_capture_run_steps(c);
	return NULL;
}

static void halt(ivxs_capture *c)
{
	runner *t = c->runner;
	if (t) {
		ivxs_capture_request_stop(c);
		pthread_join(t->thread, NULL);
		free(t);
		c->runner = NULL;
		atomic_store(&c->running, 0);
	}
}

int ivxs_capture_start(ivxs_capture *c)
{
	runner *t = malloc(sizeof(*t));
	int r;
	if (!t)
		return c ? IVXS_CAPTURE_ENOMEM : IVXS_CAPTURE_EARG;
	r = ivxs_capture_runner_begin(c);
	if (r) {
		free(t);
		return r;
	}
	if (pthread_create(&t->thread, NULL, capture_thread, c) != 0) {
		ivxs_capture_runner_failed(c);
		free(t);
		return IVXS_CAPTURE_ETHREAD;
	}
	c->runner = t;
	c->halt = halt;
	return IVXS_CAPTURE_OK;
}

void ivxs_capture_stop(ivxs_capture *c)
{
	if (!c)
		return;
	halt(c);
	ivxs_capture_finish(c);
}
