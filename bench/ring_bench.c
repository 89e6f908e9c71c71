/*
 * GOP ring throughput vs plain memcpy, printed as JSON on stdout.
 *
 *   gcc -std=c11 -O2 -pthread -Inative/ring native/ring/ring.c bench/ring_bench.c -o ring_bench
 *
 * For each frame size (1 KiB, 64 KiB):
 *   ring:   one writer (this thread) pushes N frames (a key frame every 30)
 *           into an 8 MiB ring while 3 reader threads each read every frame
 *           they can as a zero-copy view, touch its first and last byte and
 *           validate it with ivxs_ring_view_valid(). Idle readers sleep 50 us
 *           (a stand-in for the event-loop wake-up). The clock runs from the
 *           first push until the writer is done and every reader has drained.
 *   memcpy: the same N frames copied once from the same source into an 8 MiB
 *           buffer with the same placement (contiguous, wrap at the end) —
 *           the copy the writer has to do anyway. Single thread, same run.
 *   ratio = ring_MBps / memcpy_MBps (MB = 10^6 bytes).
 * Readers that fall behind are overtaken (counted in "lost"); the writer never
 * waits. Each measurement is the best of 3 repetitions.
 * With 2+ CPUs the writer is pinned to CPU 0 and the readers to the other
 * CPUs (as on a dual-core camera: capture on one core, consumers on the
 * other); the memcpy baseline runs on CPU 0 too. "pinned" says if it was.
 */
#define _GNU_SOURCE   /* CPU affinity (Linux); everything else is POSIX */

#include "ring.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define kArena (8u << 20)
#define kReaders 3
#define kGop 30
#define kSource (1u << 20)
#define kReps 3

static uint8_t *g_source;
static int g_pinned, g_ncpu;

static void pin(pthread_t t, int first, int last)
{
#if defined(__linux__)
	cpu_set_t set;
	int c;
	if (!g_pinned)
		return;
	CPU_ZERO(&set);
	for (c = first; c <= last; c++)
		CPU_SET(c, &set);
	pthread_setaffinity_np(t, sizeof(set), &set);
#else
	(void)t; (void)first; (void)last;
#endif
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const uint8_t *frame_src(uint64_t i, size_t n)
{
	size_t span = kSource - n;
	return g_source + (span ? (i * 4096u) % span : 0);
}

typedef struct {
	ivxs_ring *ring;
	ivxs_ring_reader *rd;
	atomic_int *done;
	uint64_t total;
	uint64_t read, valid, invalid, lost, sum;
} reader_arg;

static void *reader_main(void *p)
{
	reader_arg *a = (reader_arg *)p;
	ivxs_ring_view v;
	struct timespec nap = { 0, 50000 };
	for (;;) {
		int st = ivxs_ring_read(a->rd, &v);
		if (st == 1) {
			a->read++;
			a->lost += v.lost;
			a->sum += (uint64_t)v.data[0] + v.data[v.size - 1];
			if (ivxs_ring_view_valid(a->ring, &v))
				a->valid++;
			else
				a->invalid++;
			if (v.seq + 1 == a->total)
				break;
			continue;
		}
		if (st < 0 || atomic_load_explicit(a->done, memory_order_acquire)) {
			if (st < 0 || ivxs_ring_read(a->rd, &v) != 1)
				break;
			/* one more frame arrived: account it and keep draining */
			a->read++;
			a->lost += v.lost;
			if (ivxs_ring_view_valid(a->ring, &v))
				a->valid++;
			else
				a->invalid++;
			if (v.seq + 1 == a->total)
				break;
			continue;
		}
		nanosleep(&nap, NULL);
	}
	return NULL;
}

typedef struct {
	double seconds;
	uint64_t read, valid, invalid, lost;
} ring_result;

static int run_ring(size_t frame, uint64_t frames, ring_result *res)
{
	ivxs_ring *ring = NULL;
	ivxs_ring_config cfg;
	reader_arg ra[kReaders];
	pthread_t th[kReaders];
	atomic_int done;
	uint64_t i;
	double t0;
	int k;

	memset(&cfg, 0, sizeof(cfg));
	cfg.arena_bytes = kArena;
	if (ivxs_ring_create(&ring, &cfg) != IVXS_RING_OK)
		return -1;
	atomic_init(&done, 0);
	if (ivxs_ring_push(ring, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 1, 0, frame_src(0, frame), frame) != 0)
		return -1;
	for (k = 0; k < kReaders; k++) {
		memset(&ra[k], 0, sizeof(ra[k]));
		ra[k].ring = ring;
		ra[k].done = &done;
		ra[k].total = frames;
		if (ivxs_ring_reader_open(ring, IVXS_RING_AT_TIME, 0, &ra[k].rd) != IVXS_RING_OK)
			return -1;
	}
	t0 = now_s();
	for (k = 0; k < kReaders; k++) {
		pthread_create(&th[k], NULL, reader_main, &ra[k]);
		pin(th[k], 1, g_ncpu - 1);
	}
	for (i = 1; i < frames; i++) {
		if (ivxs_ring_push(ring, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, i % kGop == 0, i,
				frame_src(i, frame), frame) != IVXS_RING_OK)
			return -1;
	}
	atomic_store_explicit(&done, 1, memory_order_release);
	memset(res, 0, sizeof(*res));
	for (k = 0; k < kReaders; k++) {
		pthread_join(th[k], NULL);
		res->read += ra[k].read;
		res->valid += ra[k].valid;
		res->invalid += ra[k].invalid;
		res->lost += ra[k].lost;
		ivxs_ring_reader_close(&ra[k].rd);
	}
	res->seconds = now_s() - t0;
	ivxs_ring_destroy(&ring);
	return 0;
}

static double run_memcpy(size_t frame, uint64_t frames, uint8_t *arena)
{
	uint64_t i, pos = 0;
	double t0 = now_s();
	for (i = 0; i < frames; i++) {
		size_t off = (size_t)(pos % kArena);
		if (off + frame > kArena) {
			pos += kArena - off;
			off = 0;
		}
		memcpy(arena + off, frame_src(i, frame), frame);
		pos += frame;
	}
	/* keep the copies observable */
	__asm__ volatile("" : : "r"(arena) : "memory");
	return now_s() - t0;
}

int main(void)
{
	static const struct { const char *name; size_t frame; uint64_t frames; } cases[] = {
		{ "ring_1k", 1024, 2000000 },
		{ "ring_64k", 65536, 32000 },
	};
	uint8_t *arena = malloc(kArena);
	size_t c;
	g_source = malloc(kSource);
	if (!arena || !g_source)
		return 1;
#if defined(__linux__)
	{
		cpu_set_t set;
		if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) >= 2
				&& CPU_ISSET(0, &set)) {
			g_ncpu = CPU_COUNT(&set);
			g_pinned = 1;
			pin(pthread_self(), 0, 0);
		}
	}
#endif
	for (c = 0; c < kSource; c++)
		g_source[c] = (uint8_t)(c * 7);
	memset(arena, 0, kArena);
	printf("{");
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		double best_ring = 1e9, best_copy = 1e9, bytes;
		ring_result best_res, res;
		int rep;
		memset(&best_res, 0, sizeof(best_res));
		for (rep = 0; rep < kReps; rep++) {
			double t = run_memcpy(cases[c].frame, cases[c].frames, arena);
			if (t < best_copy)
				best_copy = t;
			if (run_ring(cases[c].frame, cases[c].frames, &res) != 0)
				return 1;
			if (res.seconds < best_ring) {
				best_ring = res.seconds;
				best_res = res;
			}
		}
		bytes = (double)cases[c].frame * (double)cases[c].frames;
		printf("%s\"%s\":{\"frame_bytes\":%zu,\"frames\":%llu,\"readers\":%d,\"pinned\":%s,"
				"\"ring_MBps\":%.0f,\"memcpy_MBps\":%.0f,\"ratio\":%.3f,"
				"\"reads\":%llu,\"valid\":%llu,\"invalid\":%llu,\"lost\":%llu}",
				c ? "," : "", cases[c].name, cases[c].frame, (unsigned long long)cases[c].frames,
				kReaders, g_pinned ? "true" : "false", bytes / best_ring / 1e6, bytes / best_copy / 1e6,
				best_copy / best_ring,
				(unsigned long long)best_res.read, (unsigned long long)best_res.valid,
				(unsigned long long)best_res.invalid, (unsigned long long)best_res.lost);
		fflush(stdout);
	}
	printf("}\n");
	free(arena);
	free(g_source);
	return 0;
}
