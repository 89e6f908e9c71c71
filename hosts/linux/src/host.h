/*
 * ivxs headless Linux host — what the host's parts share.
 *
 * One XS machine, one event-loop thread. Only the loop thread calls into XS;
 * other threads (capture, ring writers) hand work over with ivxs_loop_post(),
 * which wakes the loop through an eventfd.
 */
#ifndef IVXS_HOST_H
#define IVXS_HOST_H

#include <stddef.h>
#include <stdint.h>

/* ---- logging (stderr), filtered by --log-level ---- */
enum { IVXS_LOG_ERROR = 0, IVXS_LOG_WARN, IVXS_LOG_INFO, IVXS_LOG_DEBUG };
extern int ivxs_log_level;
void ivxs_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#include "ivxs_host.h"   /* the part native modules see */

/* ---- monotonic time ---- */
uint64_t ivxs_now_us(void);

/* ---- event loop ---- */
typedef void (*ivxs_fd_callback)(void *ctx, int fd, int events);

int ivxs_loop_init(void);
void ivxs_loop_deinit(void);
/* Watch fd for events (POLLIN/POLLOUT mask). events 0 = stop watching.
 * Returns 0, or -1 when the watch table is full. Loop thread only. */
int ivxs_loop_watch(int fd, int events, ivxs_fd_callback callback, void *ctx);
void ivxs_loop_unwatch(int fd);
/* Runs until there is nothing left to wait for (no timers, no watches, no
 * holds) or ivxs_loop_stop() is called. */
void ivxs_loop_run(void);
void ivxs_loop_stop(int exit_code);
int ivxs_loop_exit_code(void);

/* Timers (loop thread). A timer fires callback(ctx) at its deadline. */
typedef struct ivxs_timer ivxs_timer;
typedef void (*ivxs_timer_callback)(void *ctx);
struct ivxs_timer {
	uint64_t deadline_us;   /* µs, so a timer never fires before its delay */
	uint32_t interval_ms;   /* 0 = one-shot */
	uint32_t order;         /* ties fire in creation order */
	ivxs_timer_callback callback;
	void *ctx;
	ivxs_timer *next;
	int armed;
};
void ivxs_timer_arm(ivxs_timer *timer, uint32_t delay_ms, uint32_t interval_ms);
void ivxs_timer_disarm(ivxs_timer *timer);

/* Runs XS promise jobs until none are left (loop thread). */
void ivxs_run_jobs(void);

/* Prints the memory report (XS heap + native counters) to stderr. */
void ivxs_memory_report(const char *why);

#endif
