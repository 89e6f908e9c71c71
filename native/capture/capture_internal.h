/*
 * Internals of the capture core (not part of the API): the capture object
 * (capture_core.c) and the stream source core (capture_stream.c) share the
 * 64-bit counters below; the runner (capture_thread_linux.c) reads the
 * object's thread settings. Sources see only capture.h.
 */
#ifndef IVXS_CAPTURE_INTERNAL_H
#define IVXS_CAPTURE_INTERNAL_H

#include "capture.h"

#include <stdatomic.h>

/* A 64-bit value that one thread (the stepping thread) writes and any thread
 * reads, with 32-bit atomics only: Cortex-M and Xtensa have no lock-free
 * 64-bit atomics (C11's _Atomic uint64_t becomes __atomic_*_8 library calls,
 * a lock on ESP-IDF). Two copies and a generation: the writer fills the copy
 * readers are not pointed at, then moves the generation; a reader retries
 * only when a publication completed while it read, so it never waits on a
 * writer preempted half-way (one core). */
typedef struct {
	atomic_uint gen;
	atomic_uint half[2][2];   /* [copy][lo, hi] */
} cap_u64;

static inline uint64_t cap_u64_get(const cap_u64 *v)
{
	cap_u64 *m = (cap_u64 *)v;   /* C11 atomic loads take non-const pointers */
	for (;;) {
		unsigned g = atomic_load_explicit(&m->gen, memory_order_acquire);
		uint32_t lo = atomic_load_explicit(&m->half[g & 1][0], memory_order_relaxed);
		uint32_t hi = atomic_load_explicit(&m->half[g & 1][1], memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&m->gen, memory_order_relaxed) == g)
			return ((uint64_t)hi << 32) | lo;
	}
}

static inline void cap_u64_set(cap_u64 *v, uint64_t x)
{
	unsigned g = atomic_load_explicit(&v->gen, memory_order_relaxed) + 1;
	atomic_store_explicit(&v->half[g & 1][0], (uint32_t)x, memory_order_relaxed);
	atomic_store_explicit(&v->half[g & 1][1], (uint32_t)(x >> 32), memory_order_relaxed);
	atomic_store_explicit(&v->gen, g, memory_order_release);
}

struct ivxs_capture {
	ivxs_capture_source source;
	ivxs_capture_sink sink;
	void *sink_ctx;
	ivxs_capture_clock clock;
	ivxs_capture_observer observer;
	void *observer_ctx;
	int start_ms_set;
	uint64_t start_ms;
	int rt_priority;
	size_t stack_bytes;

	/* run state (owned by the stepping thread while running) */
	int prepared;
	int need_key;                /* video waits for a key frame */
	uint64_t base_ms;            /* this run's base timestamp */
	uint64_t resume_ms;          /* kept across runs: timestamps must not go back */
	int ever_pushed;

	/* the runner (a host's thread): stops it before destroy closes */
	void *runner;
	void (*halt)(ivxs_capture *c);

	/* shared with other threads */
	atomic_int stop_req;
	atomic_int running;
	cap_u64 st_frames, st_video, st_audio, st_key, st_bytes, st_loops;
	cap_u64 st_dropped, st_ring_errors, st_split_errors, st_max_late;
	atomic_int st_last_ring, st_last_split, st_fatal, st_rt;
	cap_u64 last_video_ts;
};

/* A host's runner (capture_thread_*.c), around its thread:
 * ivxs_capture_runner_begin reaps a runner that ended by itself, refuses a second start, prepares
 * and marks the capture running (0 or a status); the runner's thread calls ivxs_capture_run_steps
 * (steps until the source ends, a fatal status or a stop request; then not running);
 * ivxs_capture_runner_failed undoes begin when the thread cannot be started. */
int ivxs_capture_runner_begin(ivxs_capture *c);
void ivxs_capture_runner_failed(ivxs_capture *c);
void ivxs_capture_run_steps(ivxs_capture *c);

#define RELAXED memory_order_relaxed
/* Only the stepping thread changes a counter, so read-add-publish is enough. */
#define ST_ADD(c, f, v) cap_u64_set(&(c)->f, cap_u64_get(&(c)->f) + (uint64_t)(v))

#endif
