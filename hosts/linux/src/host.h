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

/* ---- memory accounting: bytes each native module holds ---- */
/* A module registers a counter once (static storage) and adds/subtracts. */
typedef struct ivxs_mem_counter {
	const char *name;
	int64_t bytes;
	int64_t peak;
	struct ivxs_mem_counter *next;
} ivxs_mem_counter;
void ivxs_mem_register(ivxs_mem_counter *counter);
void ivxs_mem_add(ivxs_mem_counter *counter, int64_t delta);
/* Walks the registered counters (for the report and host.memory()). */
ivxs_mem_counter *ivxs_mem_first(void);

/* ---- monotonic time ---- */
uint64_t ivxs_now_ms(void);
uint64_t ivxs_now_us(void);

/* ---- event loop ---- */
typedef void (*ivxs_fd_callback)(void *ctx, int fd, int events);
typedef void (*ivxs_post_callback)(void *ctx);

int ivxs_loop_init(void);
void ivxs_loop_deinit(void);
/* Watch fd for events (POLLIN/POLLOUT mask). events 0 = stop watching.
 * Returns 0, or -1 when the watch table is full. Loop thread only. */
int ivxs_loop_watch(int fd, int events, ivxs_fd_callback callback, void *ctx);
void ivxs_loop_unwatch(int fd);
/* From any thread: run callback(ctx) on the loop thread soon. Never blocks;
 * returns -1 if the queue is full (the caller coalesces and retries). */
int ivxs_loop_post(ivxs_post_callback callback, void *ctx);
/* Runs until there is nothing left to wait for (no timers, no watches, no
 * holds) or ivxs_loop_stop() is called. */
void ivxs_loop_run(void);
void ivxs_loop_stop(int exit_code);
int ivxs_loop_exit_code(void);
/* A hold keeps the loop alive while something external may still post
 * (e.g. an open ring reader with a C writer, a capture thread). */
void ivxs_loop_hold(int delta);

/* Timers (loop thread). A timer fires callback(ctx) at its deadline. */
typedef struct ivxs_timer ivxs_timer;
typedef void (*ivxs_timer_callback)(void *ctx);
struct ivxs_timer {
	uint64_t deadline_ms;
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

/* ---- calling into XS from the loop ---- */
#if defined(__XSMC_H__) || defined(__XS__)
/* The one machine of this host (loop thread only). */
xsMachine *ivxs_the(void);
/* Inside xsCatch: prints the exception with file:line and stops the loop
 * with exit code 1 (an uncaught exception in a callback is fatal). */
void ivxs_uncaught(xsMachine *the);
#endif
