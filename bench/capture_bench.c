/*
 * Capture benchmark: CPU time of the capture thread.
 *   1. real-time pacing over ~3 s (H.264 + AAC fixtures): thread CPU per
 *      second of media;
 *   2. as fast as possible (loops the clip): thread CPU and wall time per frame;
 *   3. the Annex-B splitter alone: MB/s.
 * JSON on stdout.
 *
 * Build: `node bench/run.mjs capture` compiles it with capture's C core as native/modules.txt
 *        defines it (bench/lib.mjs compileBench) into build/bench/capture_bench.
 * Usage: capture_bench [fixtures-dir]   (or env IVXS_FIXTURES; default fixtures/media)
 *        env IVXS_BENCH_SECONDS (default 3)
 */
#include "capture.h"
#include "ring.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t cpu_thread_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

typedef struct {
	_Atomic uint64_t frames, video, audio, bytes;
	_Atomic uint64_t cpu_ns;      /* capture thread CPU at the latest push */
	_Atomic uint64_t first_ts, last_vts;
	uint64_t max_late_us;
	_Atomic uint64_t stop_after;
	atomic_int done;
} meter;

/* Runs on the capture thread after each push. */
static void on_frame(void *ctx, const ivxs_capture_frame *f, int status)
{
	meter *m = ctx;
	uint64_t n = atomic_fetch_add(&m->frames, 1) + 1;
	(void)status;
	atomic_store(&m->cpu_ns, cpu_thread_ns());
	atomic_fetch_add(&m->bytes, f->size);
	if (f->type == IVXS_FRAME_VIDEO) {
		atomic_fetch_add(&m->video, 1);
		atomic_store(&m->last_vts, f->timestamp_ms);
	} else {
		atomic_fetch_add(&m->audio, 1);
	}
	if (n == 1)
		atomic_store(&m->first_ts, f->timestamp_ms);
	if (f->scheduled_us && f->pushed_us - f->scheduled_us > m->max_late_us)
		m->max_late_us = f->pushed_us - f->scheduled_us;
	if (atomic_load(&m->stop_after) && n >= atomic_load(&m->stop_after))
		atomic_store(&m->done, 1);
}


static int run_source(const char *video, const char *audio, uint32_t fps, ivxs_capture_pace pace,
		double seconds, uint64_t stop_after, meter *m, double *wall_s, ivxs_capture_stats *st)
{
	ivxs_ring *ring = NULL;
	ivxs_ring_config rc;
	ivxs_capture_file_config cfg;
	ivxs_capture *cap = NULL;
	uint64_t t0, t1;
	int r;
	memset(&rc, 0, sizeof(rc));
	rc.arena_bytes = 8u << 20;
	if ((r = ivxs_ring_create(&ring, &rc)) != 0)
		return r;
	memset(&cfg, 0, sizeof(cfg));
	cfg.video_path = video;
	cfg.audio_path = audio;
	cfg.fps_num = fps;
	cfg.pace = pace;
	cfg.sink = ivxs_capture_ring_sink;
	cfg.sink_ctx = ring;
	cfg.observer = on_frame;
	cfg.observer_ctx = m;
	cfg.rt_priority = pace == IVXS_CAPTURE_PACE_REALTIME ? 10 : 0;
	atomic_store(&m->stop_after, stop_after);
	if ((r = ivxs_capture_create_file(&cap, &cfg)) != 0) {
		ivxs_ring_destroy(&ring);
		return r;
	}
	t0 = mono_ns();
	if ((r = ivxs_capture_start(cap)) != 0) {
		ivxs_capture_destroy(&cap);
		ivxs_ring_destroy(&ring);
		return r;
	}
	if (stop_after) {
		while (!atomic_load(&m->done))
			usleep(1000);
	} else {
		usleep((useconds_t)(seconds * 1e6));
	}
	ivxs_capture_get_stats(cap, st);
	ivxs_capture_stop(cap);
	t1 = mono_ns();
	*wall_s = (double)(t1 - t0) / 1e9;
	ivxs_capture_destroy(&cap);
	ivxs_ring_destroy(&ring);
	return 0;
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long sz;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)sz + 1);
	if (b && fread(b, 1, (size_t)sz, f) != (size_t)sz) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*n = (size_t)sz;
	return b;
}

static const char *pick(const char *dir, const char *a, const char *b, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", dir, a);
	if (access(out, R_OK) == 0)
		return out;
	snprintf(out, cap, "%s/%s", dir, b);
	return access(out, R_OK) == 0 ? out : NULL;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("IVXS_FIXTURES");
	const char *env = getenv("IVXS_BENCH_SECONDS");
	double secs = env ? atof(env) : 3.0;
	char vbuf[1024], abuf[1024];
	const char *video, *audio;
	uint32_t fps;
	static meter rt, fast;
	ivxs_capture_stats st_rt, st_fast;
	double wall_rt, wall_fast, media_s, split_mbps = 0;
	uint64_t fast_frames = 20000;
	int r;
	if (!dir || !dir[0])
		dir = "fixtures/media";
	if (secs <= 0)
		secs = 3.0;
	video = pick(dir, "h264-main-640x480.h264", "clip_h264.h264", vbuf, sizeof(vbuf));
	audio = pick(dir, "aac-lc-16k-mono.aac", "clip.aac", abuf, sizeof(abuf));
	if (!video || !audio) {
		fprintf(stderr, "capture_bench: fixtures not found in %s\n", dir);
		return 1;
	}
	fps = strstr(video, "clip_") ? 25 : 15;

	/* 1. real time */
	r = run_source(video, audio, fps, IVXS_CAPTURE_PACE_REALTIME, secs, 0, &rt, &wall_rt, &st_rt);
	if (r) {
		fprintf(stderr, "capture_bench: %s\n", ivxs_capture_strerror(r));
		return 1;
	}
	media_s = (double)(atomic_load(&rt.last_vts) - atomic_load(&rt.first_ts)) / 1000.0 + 1.0 / fps;

	/* 2. as fast as possible */
	r = run_source(video, audio, fps, IVXS_CAPTURE_PACE_FAST, 0, fast_frames, &fast, &wall_fast, &st_fast);
	if (r) {
		fprintf(stderr, "capture_bench: %s\n", ivxs_capture_strerror(r));
		return 1;
	}

	/* 3. splitter alone, 1 MB chunks of the clip repeated */
	{
		size_t n, max_au = 1u << 20;
		uint8_t *data = slurp(video, &n), *buf = malloc(max_au + IVXS_AU_LOOKAHEAD);
		ivxs_au_splitter s;
		ivxs_au au;
		uint64_t t0, aus = 0, bytes = 0;
		int rep;
		if (data && buf) {
			t0 = mono_ns();
			for (rep = 0; rep < 200; rep++) {
				size_t off = 0;
				ivxs_au_init(&s, IVXS_CODEC_H264, buf, max_au + IVXS_AU_LOOKAHEAD);
				while (off < n) {
					off += ivxs_au_feed(&s, data + off, n - off);
					while (ivxs_au_next(&s, &au) > 0)
						aus++;
				}
				ivxs_au_end(&s);
				while (ivxs_au_next(&s, &au) > 0)
					aus++;
				bytes += n;
			}
			split_mbps = (double)bytes / 1e6 / ((double)(mono_ns() - t0) / 1e9);
		}
		free(data);
		free(buf);
	}

	printf("{\n");
	printf("  \"video\": \"%s\",\n  \"audio\": \"%s\",\n  \"fps\": %u,\n", video, audio, fps);
	printf("  \"realtime\": {\n");
	printf("    \"wall_s\": %.3f,\n    \"media_s\": %.3f,\n", wall_rt, media_s);
	printf("    \"frames\": %llu,\n    \"video_frames\": %llu,\n    \"audio_frames\": %llu,\n",
		(unsigned long long)atomic_load(&rt.frames), (unsigned long long)atomic_load(&rt.video),
		(unsigned long long)atomic_load(&rt.audio));
	printf("    \"thread_cpu_ms\": %.3f,\n", (double)atomic_load(&rt.cpu_ns) / 1e6);
	printf("    \"thread_cpu_ms_per_media_s\": %.3f,\n", (double)atomic_load(&rt.cpu_ns) / 1e6 / media_s);
	printf("    \"thread_cpu_percent\": %.4f,\n", (double)atomic_load(&rt.cpu_ns) / 1e7 / media_s);
	printf("    \"max_late_us\": %llu,\n", (unsigned long long)rt.max_late_us);
	printf("    \"sched_fifo\": %s\n  },\n", st_rt.realtime ? "true" : "false");
	printf("  \"fast\": {\n");
	printf("    \"frames\": %llu,\n    \"bytes\": %llu,\n    \"loops\": %llu,\n",
		(unsigned long long)atomic_load(&fast.frames), (unsigned long long)atomic_load(&fast.bytes),
		(unsigned long long)st_fast.loops);
	printf("    \"wall_s\": %.3f,\n", wall_fast);
	printf("    \"thread_cpu_us_per_frame\": %.3f,\n",
		(double)atomic_load(&fast.cpu_ns) / 1e3 / (double)atomic_load(&fast.frames));
	printf("    \"frames_per_s\": %.0f\n  },\n", (double)atomic_load(&fast.frames) / wall_fast);
	printf("  \"splitter_h264_MB_per_s\": %.1f\n", split_mbps);
	printf("}\n");
	return 0;
}
