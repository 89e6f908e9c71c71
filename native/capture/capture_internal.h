/*
 * Internals shared by the capture source files (not part of the API):
 *   capture_source.c  the source object: creation helpers, emitting frames to
 *                     the sink, stats, destroy
 *   file_source.c     Annex-B + ADTS files: probe, split, pace, loop
 *   stills.c          JPEG stills for the clip position
 *   v4l2_source.c     Linux cameras that deliver H.264
 *   capture_thread.c  the default clock, the thread, start/stop
 * The splitters (au_splitter.c, adts_splitter.c) and capture_common.c need
 * none of this. A board camera source is one more file beside v4l2_source.c.
 */
#ifndef IVXS_CAPTURE_INTERNAL_H
#define IVXS_CAPTURE_INTERNAL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "capture.h"

#include <string.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>

#ifdef __linux__
#include <pthread.h>
#endif

#define DEFAULT_MAX_AU (1u << 20)
#define DEFAULT_READ_CHUNK (64u << 10)
#define DEFAULT_PROBE (4u << 20)
#define AUDIO_PROBE (64u << 10)
#define SLEEP_SLICE_US 20000u     /* stop latency under real-time pacing */
#define V4L2_MAX_BUFFERS 16

enum { KIND_FILE = 1, KIND_V4L2 = 2 };

/* A 64-bit value that one thread (the capture thread) writes and any thread
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
	int kind;
	ivxs_capture_sink sink;
	void *sink_ctx;
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
	cap_u64 st_frames, st_video, st_audio, st_key, st_bytes, st_loops;
	cap_u64 st_dropped, st_ring_errors, st_split_errors, st_max_late;
	atomic_int st_last_ring, st_last_split, st_fatal, st_rt;
	cap_u64 clip_pos_us, last_video_ts;

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
/* Only the capture thread changes a counter, so read-add-publish is enough. */
#define ST_ADD(c, f, v) cap_u64_set(&(c)->f, cap_u64_get(&(c)->f) + (uint64_t)(v))

/* capture_source.c */
char *cap_dup_str(const char *s);
int cap_ends_with_ci(const char *s, const char *suffix);
/* calloc a source of this kind with the settings every source shares. */
int cap_new(ivxs_capture **out, int kind, const ivxs_capture_clock *clock,
		ivxs_capture_sink sink, void *sink_ctx, ivxs_capture_observer observer, void *observer_ctx,
		int start_ms_set, uint64_t start_ms, int rt_priority);
uint64_t cap_now_us(ivxs_capture *c);
uint64_t cap_pick_base_ms(ivxs_capture *c);
/* Hands a frame to the sink, counts it, calls the observer. */
void cap_emit(ivxs_capture *c, ivxs_capture_frame *f);

/* file_source.c */
int cap_file_prepare(ivxs_capture *c);
void cap_file_close(ivxs_capture *c);
int cap_file_step(ivxs_capture *c);

/* stills.c */
void cap_list_stills(ivxs_capture *c);
void cap_free_stills(ivxs_capture *c);

/* v4l2_source.c (Linux) */
int cap_v4l2_prepare(ivxs_capture *c);
void cap_v4l2_close(ivxs_capture *c);
int cap_v4l2_step(ivxs_capture *c);

#endif
