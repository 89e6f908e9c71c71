/*
 * Tests for the GOP ring core: one line per test, then "N passed, M failed"
 * (native/common/ivxs_test.h); exits non-zero on any failure.
 *
 *   gcc -std=c11 -O2 -Wall -Wextra -pthread -Inative/ring -Inative/common \
 *       native/ring/ring.c native/ring/tests/ring_test.c -o ring_test
 *
 * RING_RACE_FRAMES=<n> overrides the frame count of the threaded race test.
 */
#define _POSIX_C_SOURCE 200809L

#include "ring.h"
#include "ivxs_test.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_THREAD__)
#define TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_TSAN 1
#endif
#endif

/* ------------------------------------------------------------------------ */
/* Helpers */

/* Payload pattern: byte i of frame `seq` is (seq*31 + i) & 0xff. A ramp lets
 * us push and compare without generating bytes. */
#define kMaxPattern (64 * 1024)
static uint8_t g_ramp[kMaxPattern + 256];

static void init_ramp(void)
{
	size_t i;
	for (i = 0; i < sizeof(g_ramp); i++)
		g_ramp[i] = (uint8_t)i;
}

static const uint8_t *pattern(uint64_t seq)
{
	return g_ramp + ((seq * 31u) & 0xffu);
}

static int matches(const uint8_t *p, size_t n, uint64_t seq)
{
	return memcmp(p, pattern(seq), n) == 0;
}

static ivxs_ring *ring_new(size_t arena, uint32_t frames, uint32_t readers)
{
	ivxs_ring *r = NULL;
	ivxs_ring_config c;
	memset(&c, 0, sizeof(c));
	c.arena_bytes = arena;
	c.max_frames = frames;
	c.max_readers = readers;
	if (ivxs_ring_create(&r, &c) != IVXS_RING_OK)
		return NULL;
	return r;
}

static int push_v(ivxs_ring *r, int key, uint64_t ts, uint64_t pat, size_t n)
{
	return ivxs_ring_push(r, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, key, ts, pattern(pat), n);
}

static int push_a(ivxs_ring *r, uint64_t ts, uint64_t pat, size_t n)
{
	return ivxs_ring_push(r, IVXS_FRAME_AUDIO, IVXS_CODEC_AAC, 0, ts, pattern(pat), n);
}

/* A digest of everything a fresh reader sees from the oldest key frame. */
static uint64_t contents_digest(ivxs_ring *r)
{
	ivxs_ring_reader *rd = NULL;
	ivxs_ring_view v;
	uint64_t h = 1469598103934665603ull;
	size_t i;
	if (ivxs_ring_reader_open(r, IVXS_RING_AT_TIME, 0, &rd) != IVXS_RING_OK)
		return 0;
	while (ivxs_ring_read(rd, &v) == 1) {
		uint64_t f[6] = { v.seq, v.size, v.timestamp_ms, v.gop,
			(uint64_t)v.type << 16 | (uint64_t)v.codec << 8 | v.key, v.lost };
		for (i = 0; i < 6; i++)
			h = (h ^ f[i]) * 1099511628211ull;
		for (i = 0; i < v.size; i++)
			h = (h ^ v.data[i]) * 1099511628211ull;
	}
	ivxs_ring_reader_close(&rd);
	return h;
}

/* ------------------------------------------------------------------------ */
/* Tests */

static void test_basic_order_and_metadata(void)
{
	ivxs_ring *r = ring_new(64 * 1024, 0, 0);
	ivxs_ring_reader *rd = NULL;
	ivxs_ring_view v;
	static const struct { int type, codec, key; uint64_t ts; size_t n; } frames[] = {
		{ IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 1, 1000, 900 },
		{ IVXS_FRAME_AUDIO, IVXS_CODEC_AAC, 0, 1000, 200 },
		{ IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 0, 1033, 300 },
		{ IVXS_FRAME_AUDIO, IVXS_CODEC_AAC, 0, 1021, 210 },
		{ IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 0, 1066, 310 },
		{ IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 1, 1100, 1000 },
		{ IVXS_FRAME_AUDIO, IVXS_CODEC_AAC, 0, 1100, 1 },
	};
	static const uint64_t gops[] = { 0, 0, 0, 0, 0, 1, 1 };
	size_t i, nf = sizeof(frames) / sizeof(frames[0]);
	CHECK(r);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_NEWEST_KEY, 0, &rd), IVXS_RING_ENOFRAME);
	CHECK(rd == NULL);
	for (i = 0; i < nf; i++)
		CHECK_EQ(ivxs_ring_push(r, (ivxs_frame_type)frames[i].type, (ivxs_codec)frames[i].codec,
				frames[i].key, frames[i].ts, pattern(i), frames[i].n), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_TIME, 0, &rd), IVXS_RING_OK);
	for (i = 0; i < nf; i++) {
		CHECK_EQ(ivxs_ring_read(rd, &v), 1);
		CHECK_EQ(v.seq, i);
		CHECK_EQ(v.type, frames[i].type);
		CHECK_EQ(v.codec, frames[i].codec);
		CHECK_EQ(v.key, frames[i].key);
		CHECK_EQ(v.timestamp_ms, frames[i].ts);
		CHECK_EQ(v.size, frames[i].n);
		CHECK_EQ(v.gop, gops[i]);
		CHECK_EQ(v.lost, 0);
		CHECK(matches(v.data, v.size, i));
		CHECK(ivxs_ring_view_valid(r, &v));
	}
	CHECK_EQ(ivxs_ring_read(rd, &v), 0);
	CHECK_EQ(ivxs_ring_read(rd, &v), 0);
	CHECK_EQ(push_a(r, 1200, 99, 50), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_read(rd, &v), 1);
	CHECK_EQ(v.seq, nf);
	CHECK(matches(v.data, 50, 99));
done:
	ivxs_ring_reader_close(&rd);
	ivxs_ring_destroy(&r);
}

/* Sizes that do not divide the arena, a non-power-of-two arena, thousands of
 * laps; a reader that trails by a few frames verifies every byte. */
static void wraparound(uint32_t max_frames)
{
	const size_t arena = 10007;
	ivxs_ring *r = ring_new(arena, max_frames, 0);
	ivxs_ring_reader *rd = NULL;
	ivxs_ring_view v;
	ivxs_ring_stats st;
	uint64_t seq, next = 0, bytes = 0;
	uint32_t rng = 12345;
	CHECK(r);
	for (seq = 0; seq < 20000; seq++) {
		size_t n;
		rng = rng * 1103515245u + 12345u;
		n = 1 + (rng >> 8) % 1500;
		bytes += n;
		CHECK_EQ(push_v(r, seq % 4 == 0, seq, seq, n), IVXS_RING_OK);
		if (!rd)
			CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_NEWEST_KEY, 0, &rd), IVXS_RING_OK);
		if (seq % 3 == 2) {   /* trail by up to 2 frames */
			while (ivxs_ring_read(rd, &v) == 1) {
				CHECK_EQ(v.seq, next);
				CHECK_EQ(v.lost, 0);
				CHECK_EQ(v.timestamp_ms, next);
				CHECK(v.size >= 1 && v.size <= 1500);
				CHECK(matches(v.data, v.size, v.seq));
				CHECK(ivxs_ring_view_valid(r, &v));
				next++;
			}
		}
	}
	ivxs_ring_get_stats(r, &st);
	CHECK_EQ(st.frames_pushed, 20000);
	CHECK_EQ(st.bytes_pushed, bytes);
	CHECK(st.bytes_pushed > 1000 * arena);
	CHECK(st.bytes_held <= arena);
	CHECK_EQ(st.frames_pushed - st.frames_evicted, st.frames_held);
	NOTE("%llu laps", (unsigned long long)(bytes / arena));
done:
	ivxs_ring_reader_close(&rd);
	ivxs_ring_destroy(&r);
}

static void test_wraparound_content(void)
{
	wraparound(0);    /* derived index: 64 slots, a power of two */
}

static void test_wraparound_odd_index(void)
{
	wraparound(13);   /* index slots not a power of two, and often the limit */
}

/* Arena 4096, 500-byte frames, GOP of 4: the 9th frame needs the start of
 * the arena and evicts the whole first GOP (not just frame 0). */
static void test_evicts_oldest_whole_gop(void)
{
	ivxs_ring *r = ring_new(4096, 0, 0);
	ivxs_ring_reader *oldest = NULL, *mid = NULL;
	ivxs_ring_view v, kept;
	ivxs_ring_stats st;
	int i;
	CHECK(r);
	for (i = 0; i < 8; i++)
		CHECK_EQ(push_v(r, i % 4 == 0, 100 + i, i, 500), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_TIME, 0, &oldest), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_TIME, 0, &mid), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_read(mid, &v), 1);
	CHECK_EQ(ivxs_ring_read(mid, &kept), 1);   /* seq 1, will be evicted */
	CHECK_EQ(kept.seq, 1);
	CHECK(ivxs_ring_view_valid(r, &kept));
	ivxs_ring_get_stats(r, &st);
	CHECK_EQ(st.frames_evicted, 0);
	CHECK_EQ(st.frames_held, 8);

	CHECK_EQ(push_v(r, 1, 108, 8, 500), IVXS_RING_OK);   /* 3rd GOP: wraps */
	ivxs_ring_get_stats(r, &st);
	CHECK_EQ(st.frames_evicted, 4);
	CHECK_EQ(st.gops_evicted, 1);
	CHECK_EQ(st.frames_held, 5);
	CHECK_EQ(st.bytes_held, 2500);
	CHECK_EQ(st.oldest_ts, 104);
	CHECK_EQ(st.newest_ts, 108);
	CHECK(!ivxs_ring_view_valid(r, &kept));

	CHECK_EQ(ivxs_ring_read(oldest, &v), 1);   /* overtaken at seq 0 */
	CHECK_EQ(v.seq, 4);
	CHECK_EQ(v.lost, 4);
	CHECK_EQ(v.key, 1);
	CHECK_EQ(v.gop, 1);
	CHECK(matches(v.data, v.size, 4));
	CHECK_EQ(ivxs_ring_read(oldest, &v), 1);
	CHECK_EQ(v.seq, 5);
	CHECK_EQ(v.lost, 0);

	CHECK_EQ(ivxs_ring_read(mid, &v), 1);      /* cursor 2: loses 2, 3 */
	CHECK_EQ(v.seq, 4);
	CHECK_EQ(v.lost, 2);
	for (i = 5; i <= 8; i++) {
		CHECK_EQ(ivxs_ring_read(mid, &v), 1);
		CHECK_EQ(v.seq, (uint64_t)i);
		CHECK(matches(v.data, 500, (uint64_t)i));
	}
	CHECK_EQ(ivxs_ring_read(mid, &v), 0);
done:
	ivxs_ring_reader_close(&oldest);
	ivxs_ring_reader_close(&mid);
	ivxs_ring_destroy(&r);
}

/* Plenty of bytes, 8 index slots, GOP of 3: the 9th frame evicts GOP 0. */
static void test_index_slot_exhaustion(void)
{
	ivxs_ring *r = ring_new(64 * 1024, 8, 0);
	ivxs_ring_reader *rd = NULL;
	ivxs_ring_view v;
	ivxs_ring_stats st;
	int i;
	CHECK(r);
	for (i = 0; i < 8; i++)
		CHECK_EQ(push_v(r, i % 3 == 0, i, i, 100), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_TIME, 0, &rd), IVXS_RING_OK);
	ivxs_ring_get_stats(r, &st);
	CHECK_EQ(st.frames_held, 8);
	CHECK_EQ(push_v(r, 0, 8, 8, 100), IVXS_RING_OK);
	ivxs_ring_get_stats(r, &st);
	CHECK_EQ(st.frames_held, 6);
	CHECK_EQ(st.frames_evicted, 3);
	CHECK_EQ(st.gops_evicted, 1);
	CHECK_EQ(st.bytes_held, 600);
	CHECK_EQ(ivxs_ring_read(rd, &v), 1);
	CHECK_EQ(v.seq, 3);
	CHECK_EQ(v.lost, 3);
	CHECK_EQ(v.key, 1);
	/* Many more: slot reuse keeps working, readers keep up. */
	for (i = 9; i < 1000; i++) {
		CHECK_EQ(push_v(r, i % 3 == 0, i, i, 100), IVXS_RING_OK);
		while (ivxs_ring_read(rd, &v) == 1) {
			CHECK_EQ(v.lost, 0);
			CHECK(matches(v.data, 100, v.seq));
		}
	}
	CHECK_EQ(v.seq, 999);
	ivxs_ring_get_stats(r, &st);
	CHECK(st.frames_held <= 8);
done:
	ivxs_ring_reader_close(&rd);
	ivxs_ring_destroy(&r);
}

/* Key frames every 10 frames (ts = 10*seq): open at newest key, and at T. */
static void test_open_newest_key_and_time(void)
{
	ivxs_ring *r = ring_new(16 * 1024, 0, 0);
	ivxs_ring_reader *rd = NULL;
	ivxs_ring_view v;
	static const struct { uint64_t t; int status; uint64_t seq; } cases[] = {
		{ 0, IVXS_RING_OK, 10 },      /* older than everything: oldest key */
		{ 100, IVXS_RING_OK, 10 },    /* exactly a key frame */
		{ 101, IVXS_RING_OK, 20 },    /* between keys: next key */
		{ 150, IVXS_RING_OK, 20 },
		{ 200, IVXS_RING_OK, 20 },
		{ 201, IVXS_RING_ENOFRAME, 0 },   /* newer than the newest key */
		{ 260, IVXS_RING_ENOFRAME, 0 },   /* newer than every frame */
	};
	size_t i;
	int s;
	CHECK(r);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_TIME, 0, &rd), IVXS_RING_ENOFRAME);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_NEWEST_KEY, 0, &rd), IVXS_RING_ENOFRAME);
	/* 1000-byte frames, arena 16 KiB: 16 fit; after 26 pushes GOP 0 is gone. */
	for (s = 0; s < 26; s++)
		CHECK_EQ(push_v(r, s % 10 == 0, (uint64_t)s * 10, (uint64_t)s, 1000), IVXS_RING_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rd = NULL;
		CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_TIME, cases[i].t, &rd), cases[i].status);
		if (cases[i].status == IVXS_RING_OK) {
			CHECK_EQ(ivxs_ring_read(rd, &v), 1);
			CHECK_EQ(v.seq, cases[i].seq);
			CHECK_EQ(v.key, 1);
			CHECK_EQ(v.lost, 0);
			ivxs_ring_reader_close(&rd);
		}
		else
			CHECK(rd == NULL);
	}
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_NEWEST_KEY, 0, &rd), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_read(rd, &v), 1);
	CHECK_EQ(v.seq, 20);
	CHECK_EQ(v.gop, 2);
	for (s = 21; s < 26; s++) {
		CHECK_EQ(ivxs_ring_read(rd, &v), 1);
		CHECK_EQ(v.seq, (uint64_t)s);
	}
	CHECK_EQ(ivxs_ring_read(rd, &v), 0);
	ivxs_ring_reader_close(&rd);
	/* A failed open releases its slot. */
	{
		ivxs_ring_stats st;
		ivxs_ring_get_stats(r, &st);
		CHECK_EQ(st.readers_open, 0);
	}
done:
	ivxs_ring_reader_close(&rd);
	ivxs_ring_destroy(&r);
}

/* Every error code; after each, the contents and stats are unchanged. */
static void test_errors_leave_ring_unchanged(void)
{
	static const struct {
		const char *what;
		int fresh;          /* 1: against an empty ring */
		int null_ring, type, codec, key;
		uint64_t ts;
		int null_data;
		size_t n;
		int status;
	} cases[] = {
		{ "NULL ring", 0, 1, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 1, 500, 0, 10, IVXS_RING_EARG },
		{ "NULL data", 0, 0, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 1, 500, 1, 10, IVXS_RING_EARG },
		{ "zero size", 0, 0, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 1, 500, 0, 0, IVXS_RING_EEMPTY },
		{ "bad type", 0, 0, 7, IVXS_CODEC_H264, 1, 500, 0, 10, IVXS_RING_ECODEC },
		{ "video+AAC", 0, 0, IVXS_FRAME_VIDEO, IVXS_CODEC_AAC, 1, 500, 0, 10, IVXS_RING_ECODEC },
		{ "audio+H264", 0, 0, IVXS_FRAME_AUDIO, IVXS_CODEC_H264, 0, 500, 0, 10, IVXS_RING_ECODEC },
		{ "audio+H265", 0, 0, IVXS_FRAME_AUDIO, IVXS_CODEC_H265, 0, 500, 0, 10, IVXS_RING_ECODEC },
		{ "video+PCMU", 0, 0, IVXS_FRAME_VIDEO, IVXS_CODEC_PCMU, 1, 500, 0, 10, IVXS_RING_ECODEC },
		{ "audio, codec 6", 0, 0, IVXS_FRAME_AUDIO, 6, 0, 500, 0, 10, IVXS_RING_ECODEC },
		{ "unknown codec", 0, 0, IVXS_FRAME_VIDEO, 99, 1, 500, 0, 10, IVXS_RING_ECODEC },
		{ "codec 0", 0, 0, IVXS_FRAME_AUDIO, 0, 0, 500, 0, 10, IVXS_RING_ECODEC },
		{ "bigger than arena", 0, 0, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 1, 500, 0, 8193, IVXS_RING_ETOOBIG },
		{ "video ts backwards", 0, 0, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 0, 109, 0, 10, IVXS_RING_ETIME },
		{ "key ts backwards", 0, 0, IVXS_FRAME_VIDEO, IVXS_CODEC_H265, 1, 0, 0, 10, IVXS_RING_ETIME },
		{ "audio ts backwards", 0, 0, IVXS_FRAME_AUDIO, IVXS_CODEC_AAC, 0, 104, 0, 10, IVXS_RING_ETIME },
		{ "first video not key", 1, 0, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 0, 500, 0, 10, IVXS_RING_ENEEDKEY },
		{ "too big, empty ring", 1, 0, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 1, 500, 0, 8193, IVXS_RING_ETOOBIG },
	};
	ivxs_ring *full = ring_new(8192, 0, 0), *empty = ring_new(8192, 0, 0);
	ivxs_ring_stats before, after;
	size_t i;
	uint64_t digest;
	CHECK(full && empty);
	CHECK_EQ(push_v(full, 1, 100, 0, 1000), IVXS_RING_OK);
	CHECK_EQ(push_a(full, 105, 1, 200), IVXS_RING_OK);
	CHECK_EQ(push_v(full, 0, 110, 2, 900), IVXS_RING_OK);
	CHECK_EQ(push_v(full, 0, 110, 3, 900), IVXS_RING_OK);   /* equal ts is allowed */
	CHECK_EQ(push_a(full, 105, 4, 200), IVXS_RING_OK);      /* equal audio ts too */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ivxs_ring *r = cases[i].fresh ? empty : full;
		uint64_t d0 = contents_digest(r);
		int st;
		ivxs_ring_get_stats(r, &before);
		st = ivxs_ring_push(cases[i].null_ring ? NULL : r, (ivxs_frame_type)cases[i].type,
				(ivxs_codec)cases[i].codec, cases[i].key, cases[i].ts,
				cases[i].null_data ? NULL : pattern(50), cases[i].n);
		if (st != cases[i].status) {
			ivxs_test_fail(__LINE__, "%s: got %d, expected %d", cases[i].what, st, cases[i].status);
			goto done;
		}
		ivxs_ring_get_stats(r, &after);
		CHECK(memcmp(&before, &after, sizeof(before)) == 0);
		CHECK(contents_digest(r) == d0);
	}
	/* The ring still accepts good frames where it left off. */
	digest = contents_digest(full);
	CHECK_EQ(push_v(full, 0, 120, 5, 10), IVXS_RING_OK);
	CHECK(contents_digest(full) != digest);
	CHECK_EQ(push_v(empty, 1, 0, 5, 10), IVXS_RING_OK);
	/* Non-push argument errors. */
	{
		ivxs_ring *x = NULL;
		ivxs_ring_config c;
		ivxs_ring_reader *rd = NULL;
		ivxs_ring_view v;
		ivxs_ring_allocator half = { NULL, NULL, NULL };
		memset(&c, 0, sizeof(c));
		CHECK_EQ(ivxs_ring_create(NULL, &c), IVXS_RING_EARG);
		CHECK_EQ(ivxs_ring_create(&x, NULL), IVXS_RING_EARG);
		CHECK_EQ(ivxs_ring_create(&x, &c), IVXS_RING_EARG);   /* arena 0 */
		c.arena_bytes = 4096;
		c.allocator = &half;
		CHECK_EQ(ivxs_ring_create(&x, &c), IVXS_RING_EARG);   /* hooks missing */
		CHECK(x == NULL);
		CHECK_EQ(ivxs_ring_reader_open(NULL, IVXS_RING_AT_NEWEST_KEY, 0, &rd), IVXS_RING_EARG);
		CHECK_EQ(ivxs_ring_reader_open(full, IVXS_RING_AT_NEWEST_KEY, 0, NULL), IVXS_RING_EARG);
		CHECK_EQ(ivxs_ring_reader_open(full, (ivxs_ring_start)9, 0, &rd), IVXS_RING_EARG);
		CHECK_EQ(ivxs_ring_read(NULL, &v), IVXS_RING_EARG);
		CHECK_EQ(ivxs_ring_reader_open(full, IVXS_RING_AT_NEWEST_KEY, 0, &rd), IVXS_RING_OK);
		CHECK_EQ(ivxs_ring_read(rd, NULL), IVXS_RING_EARG);
		ivxs_ring_reader_close(&rd);
		CHECK(!ivxs_ring_view_valid(NULL, &v));
		CHECK(!ivxs_ring_view_valid(full, NULL));
	}
	/* Every status has a message. */
	for (i = 0; i <= 9; i++)
		CHECK(strlen(ivxs_ring_strerror(-(int)i)) > 0);
	CHECK(strcmp(ivxs_ring_strerror(IVXS_RING_ETOOBIG), ivxs_ring_strerror(IVXS_RING_ETIME)) != 0);
	CHECK(strcmp(ivxs_ring_strerror(-1000), "unknown error") == 0);
done:
	ivxs_ring_destroy(&full);
	ivxs_ring_destroy(&empty);
}

/* A GOP larger than the ring: a frame that would evict its own GOP is refused
 * (ENEEDKEY), the ring is unchanged, and non-key video stays refused until
 * the next key frame. Audio still goes in while it fits. */
static void test_gop_outgrows_ring(void)
{
	ivxs_ring *r = ring_new(4096, 0, 0);
	ivxs_ring_stats before, after;
	uint64_t d0;
	CHECK(r);
	CHECK_EQ(push_v(r, 1, 0, 0, 1000), IVXS_RING_OK);
	CHECK_EQ(push_v(r, 0, 1, 1, 1000), IVXS_RING_OK);
	CHECK_EQ(push_v(r, 0, 2, 2, 1000), IVXS_RING_OK);
	CHECK_EQ(push_v(r, 0, 3, 3, 1000), IVXS_RING_OK);
	d0 = contents_digest(r);
	ivxs_ring_get_stats(r, &before);
	CHECK_EQ(push_v(r, 0, 4, 4, 1000), IVXS_RING_ENEEDKEY);
	CHECK_EQ(push_v(r, 0, 5, 5, 10), IVXS_RING_ENEEDKEY);   /* would fit, but the GOP has a hole */
	ivxs_ring_get_stats(r, &after);
	CHECK(memcmp(&before, &after, sizeof(before)) == 0);
	CHECK(contents_digest(r) == d0);
	CHECK_EQ(push_a(r, 5, 6, 50), IVXS_RING_OK);              /* fits without eviction */
	CHECK_EQ(push_a(r, 6, 7, 1000), IVXS_RING_ENEEDKEY);      /* would evict its own GOP */
	CHECK_EQ(push_v(r, 1, 6, 8, 1000), IVXS_RING_OK);         /* a key frame may evict it */
	ivxs_ring_get_stats(r, &after);
	CHECK_EQ(after.frames_held, 1);
	CHECK_EQ(after.gops_evicted, 1);
	CHECK_EQ(push_v(r, 0, 7, 9, 1000), IVXS_RING_OK);
done:
	ivxs_ring_destroy(&r);
}

/* No video ever: every audio frame is a random-access point and its own GOP. */
static void test_audio_only(void)
{
	ivxs_ring *r = ring_new(2048, 0, 0);
	ivxs_ring_reader *rd = NULL, *late = NULL;
	ivxs_ring_view v;
	ivxs_ring_stats st;
	uint64_t i;
	CHECK(r);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_NEWEST_KEY, 0, &rd), IVXS_RING_ENOFRAME);
	CHECK_EQ(push_a(r, 0, 0, 300), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_TIME, 0, &rd), IVXS_RING_OK);
	for (i = 1; i < 100; i++)
		CHECK_EQ(push_a(r, i * 21, i, 300), IVXS_RING_OK);
	ivxs_ring_get_stats(r, &st);
	CHECK_EQ(st.frames_held, 6);         /* 6 * 300 <= 2048 */
	CHECK_EQ(st.frames_evicted, 94);
	CHECK_EQ(st.gops_evicted, 94);       /* one frame per GOP */
	CHECK_EQ(ivxs_ring_read(rd, &v), 1);
	CHECK_EQ(v.seq, 94);
	CHECK_EQ(v.lost, 94);
	CHECK_EQ(v.key, 1);
	CHECK_EQ(v.gop, 94);
	CHECK(matches(v.data, 300, 94));
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_NEWEST_KEY, 0, &late), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_read(late, &v), 1);
	CHECK_EQ(v.seq, 99);
	ivxs_ring_reader_close(&late);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_TIME, 97 * 21 - 5, &late), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_read(late, &v), 1);
	CHECK_EQ(v.seq, 97);
	/* Once video starts, audio is no longer a random-access point. */
	CHECK_EQ(push_v(r, 1, 5000, 100, 100), IVXS_RING_OK);
	CHECK_EQ(push_a(r, 5000, 101, 100), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_read(late, &v), 1);
	CHECK_EQ(ivxs_ring_read(late, &v), 1);
	CHECK_EQ(ivxs_ring_read(late, &v), 1);
	CHECK_EQ(v.seq, 100);
	CHECK_EQ(v.key, 1);
	CHECK_EQ(v.gop, 100);
	CHECK_EQ(ivxs_ring_read(late, &v), 1);
	CHECK_EQ(v.seq, 101);
	CHECK_EQ(v.key, 0);
	CHECK_EQ(v.gop, 100);
done:
	ivxs_ring_reader_close(&rd);
	ivxs_ring_reader_close(&late);
	ivxs_ring_destroy(&r);
}

static void test_multiple_readers_independent(void)
{
	ivxs_ring *r = ring_new(64 * 1024, 0, 0);
	ivxs_ring_reader *a = NULL, *b = NULL, *c = NULL;
	ivxs_ring_view va, vb, vc;
	uint64_t i;
	CHECK(r);
	for (i = 0; i < 10; i++)
		CHECK_EQ(push_v(r, i % 5 == 0, i, i, 64), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_TIME, 0, &a), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_TIME, 0, &b), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_NEWEST_KEY, 0, &c), IVXS_RING_OK);
	for (i = 0; i < 10; i++) {
		CHECK_EQ(ivxs_ring_read(a, &va), 1);
		CHECK_EQ(va.seq, i);
	}
	CHECK_EQ(ivxs_ring_read(a, &va), 0);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(ivxs_ring_read(b, &vb), 1);
		CHECK_EQ(vb.seq, i);
	}
	CHECK_EQ(ivxs_ring_read(c, &vc), 1);
	CHECK_EQ(vc.seq, 5);
	CHECK_EQ(push_v(r, 0, 10, 10, 64), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_read(a, &va), 1);
	CHECK_EQ(va.seq, 10);
	CHECK_EQ(ivxs_ring_read(b, &vb), 1);
	CHECK_EQ(vb.seq, 3);
	CHECK_EQ(ivxs_ring_read(c, &vc), 1);
	CHECK_EQ(vc.seq, 6);
	CHECK(va.data != vb.data && matches(vb.data, 64, 3) && matches(va.data, 64, 10));
done:
	ivxs_ring_reader_close(&a);
	ivxs_ring_reader_close(&b);
	ivxs_ring_reader_close(&c);
	ivxs_ring_destroy(&r);
}

static void test_reader_slots(void)
{
	ivxs_ring *r = ring_new(4096, 0, 3);
	ivxs_ring_reader *rd[4] = { NULL, NULL, NULL, NULL }, *keep;
	ivxs_ring_stats st;
	ivxs_ring_view v;
	int i;
	CHECK(r);
	CHECK_EQ(push_v(r, 1, 0, 0, 10), IVXS_RING_OK);
	for (i = 0; i < 3; i++)
		CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_NEWEST_KEY, 0, &rd[i]), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_NEWEST_KEY, 0, &rd[3]), IVXS_RING_EREADERS);
	CHECK(rd[3] == NULL);
	ivxs_ring_get_stats(r, &st);
	CHECK_EQ(st.readers_open, 3);
	keep = rd[1];
	ivxs_ring_reader_close(&rd[1]);
	CHECK(rd[1] == NULL);
	ivxs_ring_reader_close(&rd[1]);   /* double close: harmless */
	ivxs_ring_reader_close(NULL);
	ivxs_ring_get_stats(r, &st);
	CHECK_EQ(st.readers_open, 2);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_NEWEST_KEY, 0, &rd[3]), IVXS_RING_OK);
	CHECK(rd[3] == keep);             /* the freed slot is reused */
	CHECK_EQ(ivxs_ring_read(rd[3], &v), 1);
	CHECK_EQ(v.seq, 0);
	ivxs_ring_get_stats(r, &st);
	CHECK_EQ(st.readers_open, 3);
done:
	for (i = 0; i < 4; i++)
		ivxs_ring_reader_close(&rd[i]);
	ivxs_ring_destroy(&r);
}

static void test_null_safety(void)
{
	ivxs_ring *r = NULL;
	ivxs_ring_reader *rd = NULL;
	ivxs_ring_stats st;
	ivxs_ring_destroy(NULL);
	ivxs_ring_destroy(&r);
	ivxs_ring_reader_close(NULL);
	ivxs_ring_reader_close(&rd);
	ivxs_ring_set_notify(NULL, NULL, NULL);
	memset(&st, 0xff, sizeof(st));
	ivxs_ring_get_stats(NULL, &st);
	CHECK_EQ(st.frames_pushed, 0);
	r = ring_new(4096, 0, 0);
	CHECK(r);
	ivxs_ring_get_stats(r, NULL);
	ivxs_ring_destroy(&r);
	CHECK(r == NULL);
	ivxs_ring_destroy(&r);
done:
	ivxs_ring_destroy(&r);
}

static void test_stats(void)
{
	ivxs_ring *r = ring_new(100000, 0, 4);
	ivxs_ring_reader *rd = NULL;
	ivxs_ring_stats st;
	CHECK(r);
	ivxs_ring_get_stats(r, &st);
	CHECK_EQ(st.frames_pushed, 0);
	CHECK_EQ(st.frames_held, 0);
	CHECK_EQ(st.bytes_held, 0);
	CHECK_EQ(st.oldest_ts, 0);
	CHECK_EQ(st.arena_bytes, 100000);
	/* arena + 128 derived slots (100000/512 rounded down to 2^n) * 64 + 4 reader slots * 64
	 * + header (and up to 63 bytes to start it on a cache line) */
	CHECK(st.footprint_bytes > 100000 + 128 * 64 + 4 * 64);
	CHECK(st.footprint_bytes < 100000 + 128 * 64 + 4 * 64 + 1024);
	CHECK_EQ(push_v(r, 1, 40, 0, 1000), IVXS_RING_OK);
	CHECK_EQ(push_a(r, 35, 1, 100), IVXS_RING_OK);
	CHECK_EQ(push_v(r, 0, 80, 2, 500), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_NEWEST_KEY, 0, &rd), IVXS_RING_OK);
	ivxs_ring_get_stats(r, &st);
	CHECK_EQ(st.frames_pushed, 3);
	CHECK_EQ(st.bytes_pushed, 1600);
	CHECK_EQ(st.frames_held, 3);
	CHECK_EQ(st.bytes_held, 1600);
	CHECK_EQ(st.oldest_ts, 40);
	CHECK_EQ(st.newest_ts, 80);
	CHECK_EQ(st.frames_evicted, 0);
	CHECK_EQ(st.gops_evicted, 0);
	CHECK_EQ(st.readers_open, 1);
	/* Derived index size is clamped to [64, 65536]. */
	{
		ivxs_ring *small = ring_new(1000, 0, 1), *one = ring_new(1000, 1, 1);
		ivxs_ring_stats s2;
		int i;
		CHECK(small && one);
		ivxs_ring_get_stats(small, &s2);
		CHECK(s2.footprint_bytes >= 1000 + 64 * 48);
		for (i = 0; i < 100; i++)  /* 64 slots: the 65th frame evicts */
			CHECK_EQ(push_a(small, (uint64_t)i, (uint64_t)i, 1), IVXS_RING_OK);
		ivxs_ring_get_stats(small, &s2);
		CHECK_EQ(s2.frames_held, 64);
		for (i = 0; i < 10; i++)   /* a single slot still works (audio) */
			CHECK_EQ(push_a(one, (uint64_t)i, (uint64_t)i, 10), IVXS_RING_OK);
		ivxs_ring_get_stats(one, &s2);
		CHECK_EQ(s2.frames_held, 1);
		ivxs_ring_destroy(&small);
		ivxs_ring_destroy(&one);
	}
done:
	ivxs_ring_reader_close(&rd);
	ivxs_ring_destroy(&r);
}

static void count_notify(void *ctx)
{
	(*(int *)ctx)++;
}

static void test_notify(void)
{
	ivxs_ring *r = ring_new(4096, 0, 0);
	int calls = 0;
	CHECK(r);
	ivxs_ring_set_notify(r, count_notify, &calls);
	CHECK_EQ(push_v(r, 1, 0, 0, 10), IVXS_RING_OK);
	CHECK_EQ(push_v(r, 0, 1, 1, 10), IVXS_RING_OK);
	CHECK_EQ(push_v(r, 0, 0, 1, 10), IVXS_RING_ETIME);   /* no call on error */
	CHECK_EQ(calls, 2);
	ivxs_ring_set_notify(r, NULL, &calls);
	CHECK_EQ(push_v(r, 0, 2, 1, 10), IVXS_RING_OK);
	CHECK_EQ(calls, 2);
done:
	ivxs_ring_destroy(&r);
}

/* Counting allocator; fails the Nth allocation when asked. */
typedef struct {
	int allocs, frees, fail_at;
	size_t bytes, outstanding;
	void *blocks[8];
	size_t sizes[8];
} counting_alloc;

static void *ca_alloc(size_t n, void *ctx)
{
	counting_alloc *c = (counting_alloc *)ctx;
	void *p;
	if (c->fail_at && c->allocs + 1 == c->fail_at)
		return NULL;
	if (n > ((size_t)1 << 30))   /* pretend the heap is 1 GiB */
		return NULL;
	p = malloc(n);
	if (!p || c->allocs >= 8)
		return p;
	c->blocks[c->allocs] = p;
	c->sizes[c->allocs] = n;
	c->allocs++;
	c->bytes += n;
	c->outstanding += n;
	return p;
}

static void ca_free(void *p, void *ctx)
{
	counting_alloc *c = (counting_alloc *)ctx;
	int i;
	for (i = 0; i < 8; i++)
		if (c->blocks[i] == p) {
			c->outstanding -= c->sizes[i];
			c->blocks[i] = NULL;
		}
	c->frees++;
	free(p);
}

static void test_custom_allocator(void)
{
	counting_alloc ca;
	ivxs_ring_allocator al = { ca_alloc, ca_free, &ca };
	ivxs_ring_config c;
	ivxs_ring *r = NULL;
	ivxs_ring_reader *rd = NULL;
	ivxs_ring_view v;
	ivxs_ring_stats st;
	int i;
	memset(&ca, 0, sizeof(ca));
	memset(&c, 0, sizeof(c));
	c.arena_bytes = 32768;
	c.allocator = &al;
	/* the arena alone through `allocator`; the control block through malloc */
	CHECK_EQ(ivxs_ring_create(&r, &c), IVXS_RING_OK);
	CHECK_EQ(ca.allocs, 1);
	CHECK_EQ(ca.bytes, 32768);
	ivxs_ring_destroy(&r);
	CHECK_EQ(ca.frees, 1);
	/* both through the counting allocator from here */
	memset(&ca, 0, sizeof(ca));
	c.control_allocator = &al;
	CHECK_EQ(ivxs_ring_create(&r, &c), IVXS_RING_OK);
	CHECK_EQ(ca.allocs, 2);
	ivxs_ring_get_stats(r, &st);
	CHECK_EQ(st.footprint_bytes, ca.bytes);
	for (i = 0; i < 1000; i++)     /* no allocation per frame or per read */
		CHECK_EQ(push_v(r, i % 10 == 0, (uint64_t)i, (uint64_t)i, 700), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_NEWEST_KEY, 0, &rd), IVXS_RING_OK);
	while (ivxs_ring_read(rd, &v) == 1)
		;
	ivxs_ring_reader_close(&rd);
	CHECK_EQ(ca.allocs, 2);
	ivxs_ring_destroy(&r);
	CHECK_EQ(ca.frees, 2);
	CHECK_EQ(ca.outstanding, 0);
	/* Allocation failures: ENOMEM and nothing leaks. */
	for (i = 1; i <= 2; i++) {
		memset(&ca, 0, sizeof(ca));
		ca.fail_at = i;
		CHECK_EQ(ivxs_ring_create(&r, &c), IVXS_RING_ENOMEM);
		CHECK(r == NULL);
		CHECK_EQ(ca.outstanding, 0);
	}
	/* Sizes that overflow: ENOMEM (or EARG), never a short allocation. */
	memset(&ca, 0, sizeof(ca));
	c.max_frames = UINT32_MAX;
	c.max_readers = UINT32_MAX;
	i = ivxs_ring_create(&r, &c);
	CHECK(i == IVXS_RING_ENOMEM || i == IVXS_RING_EARG);
	CHECK_EQ(ca.outstanding, 0);
done:
	ivxs_ring_reader_close(&rd);
	ivxs_ring_destroy(&r);
}

static void test_invalid_view_then_lost(void)
{
	ivxs_ring *r = ring_new(4096, 0, 0);
	ivxs_ring_reader *rd = NULL;
	ivxs_ring_view v, stale;
	int i;
	CHECK(r);
	for (i = 0; i < 4; i++)
		CHECK_EQ(push_v(r, i % 2 == 0, (uint64_t)i, (uint64_t)i, 1000), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_TIME, 0, &rd), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_read(rd, &stale), 1);
	CHECK_EQ(stale.seq, 0);
	CHECK(ivxs_ring_view_valid(r, &stale));
	for (i = 4; i < 8; i++)   /* laps the reader */
		CHECK_EQ(push_v(r, i % 2 == 0, (uint64_t)i, (uint64_t)i, 1000), IVXS_RING_OK);
	CHECK(!ivxs_ring_view_valid(r, &stale));
	CHECK_EQ(ivxs_ring_read(rd, &v), 1);
	CHECK_EQ(v.key, 1);
	CHECK_EQ(v.seq, 1 + v.lost);    /* accounting is relative to the last view */
	CHECK(v.lost > 0);
	CHECK(ivxs_ring_view_valid(r, &v));
	CHECK(matches(v.data, v.size, v.seq));
done:
	ivxs_ring_reader_close(&rd);
	ivxs_ring_destroy(&r);
}

static void test_arena_for_gop(void)
{
	static const struct { size_t g, want; } cases[] = {
		{ 0, 4096 },
		{ 1, 4096 },
		{ 1000, 4096 },                 /* 2250 -> one page */
		{ 4096, 12288 },                /* 9216 -> 3 pages */
		{ 1 << 20, 2359296 },           /* 2.25 MiB exactly */
		{ (1 << 20) + 1, 2359296 + 4096 },
	};
	size_t i, huge;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_EQ(ivxs_ring_arena_for_gop(cases[i].g), cases[i].want);
	huge = ivxs_ring_arena_for_gop(SIZE_MAX / 2);
	CHECK(huge >= SIZE_MAX / 2 && huge % 4096 == 0);
	CHECK(ivxs_ring_arena_for_gop(SIZE_MAX) % 4096 == 0);
done:
	return;
}

/* Byte positions and byte counters are 64-bit values published as 32-bit
 * halves: carry them past 2^32 and check every frame and counter. */
static void test_positions_past_4gib(void)
{
	const size_t n = 64 * 1024;
	const uint64_t frames = ((1ull << 32) / n) + 64;
	ivxs_ring *r = ring_new(256 * 1024, 0, 1);
	ivxs_ring_reader *rd = NULL;
	ivxs_ring_view v, old;
	ivxs_ring_stats st;
	uint64_t i;
	CHECK(r);
	CHECK_EQ(push_v(r, 1, 0, 0, n), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_TIME, 0, &rd), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_read(rd, &old), 1);
	for (i = 1; i < frames; i++) {
		CHECK_EQ(push_v(r, i % 2 == 0, i, i, n), IVXS_RING_OK);
		CHECK_EQ(ivxs_ring_read(rd, &v), 1);
		CHECK_EQ(v.seq, i);
		CHECK_EQ(v.lost, 0);
		CHECK(v.data[0] == pattern(i)[0] && v.data[n - 1] == pattern(i)[n - 1]);
		CHECK(ivxs_ring_view_valid(r, &v));
	}
	CHECK(!ivxs_ring_view_valid(r, &old));   /* 4 GiB later the first frame is long gone */
	ivxs_ring_get_stats(r, &st);
	CHECK_EQ(st.frames_pushed, frames);
	CHECK_EQ(st.bytes_pushed, frames * n);
	CHECK(st.bytes_pushed > (1ull << 32));
	CHECK_EQ(st.newest_ts, frames - 1);
	CHECK_EQ(st.bytes_held, (uint64_t)st.frames_held * n);
done:
	ivxs_ring_reader_close(&rd);
	ivxs_ring_destroy(&r);
}

static void test_writer_claim(void)
{
	ivxs_ring *r = ring_new(4096, 0, 1);
	CHECK(r);
	CHECK_EQ(ivxs_ring_writer_claim(NULL), IVXS_RING_EARG);
	CHECK_EQ(ivxs_ring_writer_claim(r), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_writer_claim(r), IVXS_RING_EBUSY);   /* a second writer is refused */
	CHECK(strcmp(ivxs_ring_strerror(IVXS_RING_EBUSY), "another writer holds the ring") == 0);
	ivxs_ring_writer_release(r);
	CHECK_EQ(ivxs_ring_writer_claim(r), IVXS_RING_OK);      /* free again after release */
	ivxs_ring_writer_release(r);
	ivxs_ring_writer_release(NULL);
done:
	ivxs_ring_destroy(&r);
}

static void test_info_word(void)
{
	ivxs_ring *r = ring_new(8192, 0, 1);
	ivxs_ring_reader *rd = NULL;
	ivxs_ring_view v;
	ivxs_ring_frame f;
	CHECK(r);
	memset(&f, 0, sizeof(f));
	f.type = IVXS_FRAME_VIDEO;
	f.codec = IVXS_CODEC_H265;
	f.key = 1;
	f.timestamp_ms = 7;
	f.info = 0xdeadbeefu;
	f.data = pattern(1);
	f.size = 100;
	CHECK_EQ(ivxs_ring_push_frame(r, &f), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_push_frame(r, NULL), IVXS_RING_EARG);
	CHECK_EQ(push_v(r, 0, 8, 2, 50), IVXS_RING_OK);         /* the wrapper stores info 0 */
	CHECK_EQ(ivxs_ring_reader_open(r, IVXS_RING_AT_TIME, 0, &rd), IVXS_RING_OK);
	CHECK_EQ(ivxs_ring_read(rd, &v), 1);
	CHECK_EQ(v.info, 0xdeadbeefu);
	CHECK_EQ(v.codec, IVXS_CODEC_H265);
	CHECK_EQ(v.timestamp_ms, 7);
	CHECK(matches(v.data, v.size, 1));
	CHECK_EQ(ivxs_ring_read(rd, &v), 1);
	CHECK_EQ(v.info, 0);
done:
	ivxs_ring_reader_close(&rd);
	ivxs_ring_destroy(&r);
}

/* ------------------------------------------------------------------------ */
/* Threaded race: one writer, three readers, small arena. */

#define kRaceReaders 3
#define kRaceGop 16

typedef struct {
	ivxs_ring *ring;
	uint64_t total;
	atomic_int done;
	atomic_int writer_errors;
} race_shared;

typedef struct {
	race_shared *sh;
	ivxs_ring_reader *rd;
	uint64_t returned, lost, valid, invalid, torn_accepted, seq_errors, meta_errors;
	int open_status;
} race_reader;

static size_t race_size(uint64_t seq)
{
#if defined(TEST_TSAN)
	return (size_t)(1 + (seq * 2654435761u) % 2048u);
#else
	return (size_t)(1 + (seq * 2654435761u) % 8192u);
#endif
}

static int race_type(uint64_t seq) { return (seq % 4 == 2) ? IVXS_FRAME_AUDIO : IVXS_FRAME_VIDEO; }
static int race_key(uint64_t seq) { return seq % kRaceGop == 0; }

static uint32_t race_info(uint64_t seq) { return (uint32_t)(seq * 2246822519u) ^ 0x5bd1e995u; }

static int race_push(ivxs_ring *r, uint64_t seq)
{
	int audio = race_type(seq) == IVXS_FRAME_AUDIO;
	ivxs_ring_frame f;
	f.type = audio ? IVXS_FRAME_AUDIO : IVXS_FRAME_VIDEO;
	f.codec = audio ? IVXS_CODEC_AAC : IVXS_CODEC_H265;
	f.key = race_key(seq);
	f.timestamp_ms = seq;
	f.info = race_info(seq);
	f.data = pattern(seq);
	f.size = race_size(seq);
	return ivxs_ring_push_frame(r, &f);
}

/* Two notify callbacks, each checking it got its own ctx, swapped by the
 * main thread while the writer pushes. */
typedef struct { int tag; uint64_t calls, mismatches; } notify_ctx;

static void notify_a(void *ctx)
{
	notify_ctx *c = (notify_ctx *)ctx;
	if (c->tag != 'A')
		c->mismatches++;
	c->calls++;
}

static void notify_b(void *ctx)
{
	notify_ctx *c = (notify_ctx *)ctx;
	if (c->tag != 'B')
		c->mismatches++;
	c->calls++;
}

static void *race_writer(void *arg)
{
	race_shared *sh = (race_shared *)arg;
	uint64_t seq;
	for (seq = 1; seq < sh->total; seq++) {
		if (race_push(sh->ring, seq) != IVXS_RING_OK)
			atomic_fetch_add(&sh->writer_errors, 1);
		if ((seq & (((seq >> 13) & 1) ? 1023 : 63)) == 0)   /* alternate slow and fast phases */
			sched_yield();
	}
	atomic_store(&sh->done, 1);
	return NULL;
}

static void copy_view(uint8_t *dst, const uint8_t *src, size_t n)
{
#if defined(TEST_TSAN)
	size_t i;
	for (i = 0; i < n; i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
#else
	memcpy(dst, src, n);
#endif
}

static void *race_reader_main(void *arg)
{
	race_reader *rr = (race_reader *)arg;
	race_shared *sh = rr->sh;
	ivxs_ring_reader *rd = NULL;
	ivxs_ring_view v;
	static _Thread_local uint8_t buf[8192];
	uint64_t expect;
	int idle_after_done = 0;
	rd = rr->rd;    /* opened at frame 0 before any thread started */
	rr->rd = NULL;
	expect = 0;
	for (;;) {
		int st = ivxs_ring_read(rd, &v);
		if (st < 0) {
			rr->seq_errors++;
			break;
		}
		if (st == 0) {
			if (atomic_load(&sh->done)) {
				if (++idle_after_done > 2)
					break;
			}
			sched_yield();
			continue;
		}
		rr->returned++;
		rr->lost += v.lost;
		if (v.seq != expect + v.lost)
			rr->seq_errors++;
		if (v.lost && !v.key)
			rr->seq_errors++;      /* resumes only at a key frame */
		expect = v.seq + 1;
		/* Metadata is seqlock-validated inside read(): always exact. */
		if (v.size != race_size(v.seq) || v.timestamp_ms != v.seq || v.type != race_type(v.seq)
				|| v.key != (uint8_t)(race_type(v.seq) == IVXS_FRAME_VIDEO && race_key(v.seq))
				|| v.gop != v.seq / kRaceGop || v.info != race_info(v.seq))
			rr->meta_errors++;
		copy_view(buf, v.data, v.size);
		if (ivxs_ring_view_valid(sh->ring, &v)) {
			rr->valid++;
			if (!matches(buf, v.size, v.seq))
				rr->torn_accepted++;
		}
		else
			rr->invalid++;
		if (v.seq + 1 == sh->total)
			break;
	}
	ivxs_ring_reader_close(&rd);
	return NULL;
}

static void test_threaded_race(void)
{
	race_shared sh;
	race_reader rr[kRaceReaders];
	pthread_t wt, rt[kRaceReaders];
	const char *env = getenv("RING_RACE_FRAMES");
	uint64_t total_invalid = 0, total_lost = 0;
	notify_ctx na = { 'A', 0, 0 }, nb = { 'B', 0, 0 };
	int i;
	memset(&sh, 0, sizeof(sh));
	memset(rr, 0, sizeof(rr));
#if defined(TEST_TSAN)
	sh.total = 30000;
#else
	sh.total = 200000;
#endif
	if (env && atoi(env) > 1)
		sh.total = (uint64_t)atoi(env);
	atomic_init(&sh.done, 0);
	atomic_init(&sh.writer_errors, 0);
#if defined(TEST_TSAN)
	sh.ring = ring_new(96 * 1024, 0, 4);   /* GOP <= 32 KiB */
#else
	sh.ring = ring_new(384 * 1024, 0, 4);  /* GOP <= 128 KiB */
#endif
	CHECK(sh.ring);
	CHECK_EQ(race_push(sh.ring, 0), IVXS_RING_OK);
	for (i = 0; i < kRaceReaders; i++) {
		rr[i].sh = &sh;
		rr[i].open_status = ivxs_ring_reader_open(sh.ring, IVXS_RING_AT_TIME, 0, &rr[i].rd);
		CHECK_EQ(rr[i].open_status, IVXS_RING_OK);
	}
	for (i = 0; i < kRaceReaders; i++)
		if (pthread_create(&rt[i], NULL, race_reader_main, &rr[i]) != 0)
			abort();
	if (pthread_create(&wt, NULL, race_writer, &sh) != 0)
		abort();
	{
		unsigned flips = 0;
		while (!atomic_load(&sh.done)) {
			if (flips & 1)
				ivxs_ring_set_notify(sh.ring, notify_b, &nb);
			else
				ivxs_ring_set_notify(sh.ring, notify_a, &na);
			flips++;
			if ((flips & 63) == 0)
				sched_yield();
		}
	}
	pthread_join(wt, NULL);
	ivxs_ring_set_notify(sh.ring, NULL, NULL);
	/* calls counters are the writer's: read after the join */
	CHECK_EQ(na.mismatches + nb.mismatches, 0);
	CHECK(na.calls + nb.calls > 0 && na.calls + nb.calls < sh.total);
	for (i = 0; i < kRaceReaders; i++)
		pthread_join(rt[i], NULL);
	CHECK_EQ(atomic_load(&sh.writer_errors), 0);
	for (i = 0; i < kRaceReaders; i++) {
		CHECK_EQ(rr[i].torn_accepted, 0);
		CHECK_EQ(rr[i].seq_errors, 0);
		CHECK_EQ(rr[i].meta_errors, 0);
		CHECK_EQ(rr[i].returned + rr[i].lost, sh.total);   /* every frame read or counted lost */
		total_invalid += rr[i].invalid;
		total_lost += rr[i].lost;
	}
	{
		ivxs_ring_stats st;
		ivxs_ring_get_stats(sh.ring, &st);
		CHECK_EQ(st.frames_pushed, sh.total);
		CHECK_EQ(st.readers_open, 0);
	}
	NOTE(
			"%llu frames x %d readers: valid %llu/%llu/%llu, invalid views %llu, lost %llu",
			(unsigned long long)sh.total, kRaceReaders,
			(unsigned long long)rr[0].valid, (unsigned long long)rr[1].valid,
			(unsigned long long)rr[2].valid,
			(unsigned long long)total_invalid, (unsigned long long)total_lost);
done:
	for (i = 0; i < kRaceReaders; i++)
		ivxs_ring_reader_close(&rr[i].rd);
	ivxs_ring_destroy(&sh.ring);
}

/* ------------------------------------------------------------------------ */

/* Eviction steps whole GOPs through lengths the writer records, and bytes_held
 * comes from positions (held frames are contiguous but for one end-of-arena
 * skip). Checked against a model of every accepted frame: random sizes that
 * force skips, audio among video, two index sizes (one not a power of two,
 * one small enough that slots run out before bytes). */
static void test_accounting_model(void)
{
	enum { kPushes = 20000 };
	static uint32_t size_of[kPushes];
	static uint8_t rap_of[kPushes];
	static const struct { size_t arena; uint32_t frames; } cases[] = { { 3000, 13 }, { 5000, 64 } };
	size_t c;
	ivxs_ring *r = NULL;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		/* model: frames [gone, accepted) are held */
		uint64_t x = 0x9e3779b97f4a7c15ull + c, ts = 0, accepted = 0, gone = 0, held = 0, gops = 0;
		int video_seen = 0, i;
		r = ring_new(cases[c].arena, cases[c].frames, 1);
		CHECK(r != NULL);
		for (i = 0; i < kPushes; i++) {
			ivxs_ring_stats st;
			int audio, key, status;
			size_t n;
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			audio = (x & 3) == 0;
			key = !audio && ((x >> 2) % 9 == 0);
			n = 1 + (size_t)((x >> 8) % 700);
			ts += (x >> 20) & 1;
			status = audio ? push_a(r, ts, (uint64_t)i, n) : push_v(r, key, ts, (uint64_t)i, n);
			if (status == IVXS_RING_OK) {
				size_of[accepted] = (uint32_t)n;
				rap_of[accepted] = (uint8_t)(audio ? !video_seen : key);
				video_seen |= !audio && key;
				accepted++;
				held += n;
			}
			else
				CHECK_EQ(status, IVXS_RING_ENEEDKEY);
			ivxs_ring_get_stats(r, &st);
			CHECK_EQ(st.frames_pushed, accepted);
			CHECK_EQ(st.frames_evicted + st.frames_held, accepted);
			CHECK(st.frames_evicted >= gone);
			for (; gone < st.frames_evicted; gone++) {
				held -= size_of[gone];
				gops += rap_of[gone];
			}
			CHECK(gone == accepted || rap_of[gone]);   /* the tail is a random-access point */
			CHECK_EQ(st.bytes_held, held);
			CHECK_EQ(st.gops_evicted, gops);
		}
		CHECK(gops > 100);   /* it did evict, and skip (sizes up to 700 in 3000/5000 bytes) */
		ivxs_ring_destroy(&r);
	}
done:
	ivxs_ring_destroy(&r);
}

int main(void)
{
	static const struct { const char *name; void (*fn)(void); } tests[] = {
		{ "push and read keep order and metadata", test_basic_order_and_metadata },
		{ "wrap-around keeps every byte intact", test_wraparound_content },
		{ "wrap-around with a 13-slot index", test_wraparound_odd_index },
		{ "eviction drops the oldest whole GOP and overtaken readers resume at a key", test_evicts_oldest_whole_gop },
		{ "index slot exhaustion evicts the oldest GOP", test_index_slot_exhaustion },
		{ "open at newest key and at time T, ENOFRAME cases", test_open_newest_key_and_time },
		{ "every error code leaves contents and stats unchanged", test_errors_leave_ring_unchanged },
		{ "a GOP that outgrows the ring is refused until the next key", test_gop_outgrows_ring },
		{ "audio-only ring: every audio frame is a random-access point", test_audio_only },
		{ "readers are independent", test_multiple_readers_independent },
		{ "reader slots run out (EREADERS) and close frees one", test_reader_slots },
		{ "NULL and double close/destroy are harmless", test_null_safety },
		{ "stats", test_stats },
		{ "notify is called after each successful push", test_notify },
		{ "custom allocator is used, failures do not leak", test_custom_allocator },
		{ "an invalidated view is reported, the next read accounts the loss", test_invalid_view_then_lost },
		{ "arena_for_gop sizing", test_arena_for_gop },
		{ "positions and byte counters past 4 GiB (64-bit values in 32-bit halves)", test_positions_past_4gib },
		{ "one writer at a time: a second claim is EBUSY until release", test_writer_claim },
		{ "the info word travels with the frame (push_frame), push stores 0", test_info_word },
		{ "eviction by whole GOPs and bytes held match a model of every accepted frame", test_accounting_model },
		{ "threaded race: no torn frame is ever accepted", test_threaded_race },
	};
	size_t i;
	init_ramp();
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		ivxs_test_run(tests[i].name, tests[i].fn);
	return ivxs_test_summary();
}
