/*
 * Capture tests: splitters on real fixture files, error paths, pacing with a
 * fake clock and with the real clock, looping, start/stop/restart, stills,
 * V4L2 open errors.
 *
 * Usage: capture_test [fixtures-dir]     (or env IVXS_FIXTURES; default
 * fixtures/media). A missing fixture FAILS the tests that need it.
 * Env IVXS_PACING_SECONDS: real-clock pacing run length (default 2).
 * Expected frame counts come from ffprobe when it is installed, otherwise from
 * a table of the known fixture files.
 *
 * Prints one line per test and ends with "N passed, M failed".
 */
#include "capture.h"
#include "g711.h"
#include "ring.h"
#define IVXS_TEST_LEAVE return   /* these tests clean up in their callers */
#include "ivxs_test.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- fixtures ------------------------------------------------------------ */

static char g_dir[1024];
static char g_tmp[256];

typedef struct {
	const char *names[4];
	int frames;          /* known count, used when ffprobe is missing */
	int keys;            /* known key-frame count (0: not checked) */
} fixture_def;

/* Roles; the first existing name wins. */
static const fixture_def FX_H264 = { { "h264-main-640x480.h264", "clip_h264.h264", NULL }, 60, 4 };
static const fixture_def FX_H265 = { { "h265-main-640x480.h265", "clip_h265.h265", NULL }, 60, 4 };
static const fixture_def FX_H264B = { { "h264-bframes-320x240.h264", NULL }, 30, 2 };
static const fixture_def FX_AAC = { { "aac-lc-16k-mono.aac", "clip.aac", NULL }, 64, 0 };

static int exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* Fills path; 0 if no candidate exists (the caller fails). */
static int fixture(const fixture_def *d, char *path, size_t cap, const char **name)
{
	int i;
	for (i = 0; i < 4 && d->names[i]; i++) {
		snprintf(path, cap, "%s/%s", g_dir, d->names[i]);
		if (exists(path)) {
			if (name)
				*name = d->names[i];
			return 1;
		}
	}
	snprintf(path, cap, "%s/%s", g_dir, d->names[0]);
	return 0;
}

#define NEED_FIXTURE(def, path) \
	char path[1200]; \
	CHECKF(fixture(&(def), path, sizeof(path), NULL), "missing fixture %s", path)

static int fixture_stills(char *path, size_t cap)
{
	snprintf(path, cap, "%s/stills", g_dir);
	return exists(path);
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
	b = malloc(sz > 0 ? (size_t)sz : 1);
	if (b && fread(b, 1, (size_t)sz, f) != (size_t)sz) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*n = (size_t)sz;
	return b;
}

static int spit(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	size_t w;
	if (!f)
		return 0;
	w = fwrite(data, 1, n, f);
	fclose(f);
	return w == n;
}

/* Expected count from ffprobe (video frames / audio packets), else the table. */
static int expected_count(const char *path, const fixture_def *d, int audio)
{
	char cmd[1400], out[64] = {0};
	FILE *p;
	if (!exists("/usr/bin/ffprobe") && !exists("/usr/local/bin/ffprobe"))
		return d->frames;
	if (audio)
		snprintf(cmd, sizeof(cmd), "ffprobe -v error -count_packets -select_streams a:0 "
			"-show_entries stream=nb_read_packets -of csv=p=0 '%s' 2>/dev/null", path);
	else
		snprintf(cmd, sizeof(cmd), "ffprobe -v error -count_frames -select_streams v:0 "
			"-show_entries stream=nb_read_frames -of csv=p=0 '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p)
		return d->frames;
	if (!fgets(out, sizeof(out), p))
		out[0] = 0;
	pclose(p);
	return out[0] ? atoi(out) : d->frames;
}

/* ---- splitting helpers ---------------------------------------------------- */

#define MAX_AUS 4096

typedef struct {
	int n;
	size_t size[MAX_AUS];
	uint32_t hash[MAX_AUS];
	uint8_t key[MAX_AUS], params[MAX_AUS];
	size_t bytes;
	int errors, err_garbage, err_toobig, err_trunc, err_adts, err_other;
	uint32_t rate;
	uint8_t channels;
	uint64_t samples;
} split_result;

static uint32_t fnv(const uint8_t *b, size_t n)
{
	uint32_t h = 2166136261u;
	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

static void note_err(split_result *r, int e)
{
	r->errors++;
	if (e == IVXS_CAPTURE_EGARBAGE) r->err_garbage++;
	else if (e == IVXS_CAPTURE_ETOOBIG) r->err_toobig++;
	else if (e == IVXS_CAPTURE_ETRUNC) r->err_trunc++;
	else if (e == IVXS_CAPTURE_EADTS) r->err_adts++;
	else r->err_other++;
}

static void drain_au(ivxs_au_splitter *s, split_result *r)
{
	ivxs_au au;
	int k;
	while ((k = ivxs_au_next(s, &au)) != 0) {
		if (k < 0) {
			note_err(r, k);
			continue;
		}
		if (r->n < MAX_AUS) {
			r->size[r->n] = au.size;
			r->hash[r->n] = fnv(au.data, au.size);
			r->key[r->n] = (uint8_t)au.key;
			r->params[r->n] = (uint8_t)au.has_params;
		}
		r->n++;
		r->bytes += au.size;
	}
}

/* chunk == 0: pseudo-random chunk sizes 1..8191. */
static void split_au(ivxs_codec codec, const uint8_t *data, size_t n, size_t chunk,
		size_t max_au, split_result *r)
{
	static uint8_t buf[(2u << 20) + IVXS_AU_LOOKAHEAD];
	ivxs_au_splitter s;
	size_t off = 0;
	uint32_t rng = 12345;
	memset(r, 0, sizeof(*r));
	if (ivxs_au_init(&s, codec, buf, (max_au ? max_au : (2u << 20)) + IVXS_AU_LOOKAHEAD) != 0) {
		r->err_other = 1000;
		return;
	}
	while (off < n) {
		size_t want = chunk;
		if (!want) {
			rng = rng * 1103515245u + 12345u;
			want = 1 + (rng >> 8) % 8191;
		}
		if (want > n - off)
			want = n - off;
		while (want) {
			size_t t = ivxs_au_feed(&s, data + off, want);
			off += t;
			want -= t;
			drain_au(&s, r);
		}
	}
	ivxs_au_end(&s);
	drain_au(&s, r);
	if (!ivxs_au_finished(&s))
		r->err_other++;
}

static void split_adts(const uint8_t *data, size_t n, size_t chunk, split_result *r)
{
	static ivxs_adts_splitter s;
	ivxs_adts_frame f;
	size_t off = 0;
	int k;
	memset(r, 0, sizeof(*r));
	ivxs_adts_init(&s);
	for (;;) {
		while ((k = ivxs_adts_next(&s, &f)) != 0) {
			if (k < 0) {
				note_err(r, k);
				continue;
			}
			if (r->n < MAX_AUS) {
				r->size[r->n] = f.size;
				r->hash[r->n] = fnv(f.data, f.size);
			}
			r->n++;
			r->bytes += f.size;
			r->rate = f.sample_rate;
			r->channels = f.channels;
			r->samples += f.samples;
		}
		if (s.ended)
			break;
		if (off >= n) {
			ivxs_adts_end(&s);
			continue;
		}
		{
			size_t want = chunk < n - off ? chunk : n - off;
			off += ivxs_adts_feed(&s, data + off, want);
		}
	}
}

static int same_aus(const split_result *a, const split_result *b)
{
	int i;
	if (a->n != b->n || a->errors != b->errors)
		return 0;
	for (i = 0; i < a->n && i < MAX_AUS; i++)
		if (a->size[i] != b->size[i] || a->hash[i] != b->hash[i] || a->key[i] != b->key[i])
			return 0;
	return 1;
}

/* Facts about a fixture, from splitting it: frames, key pattern, audio rate. */
typedef struct {
	int frames, keys;
	uint8_t key[MAX_AUS];
	uint32_t rate;
} media_info;

static int media_facts(const char *path, ivxs_codec codec, media_info *m)
{
	size_t n;
	uint8_t *data = slurp(path, &n);
	split_result *r = calloc(1, sizeof(*r));
	int i;
	memset(m, 0, sizeof(*m));
	if (!data || !r) {
		free(data);
		free(r);
		return 0;
	}
	if (codec == IVXS_CODEC_AAC)
		split_adts(data, n, 65536, r);
	else
		split_au(codec, data, n, 65536, 0, r);
	m->frames = r->n < MAX_AUS ? r->n : MAX_AUS;
	for (i = 0; i < m->frames; i++) {
		m->key[i] = r->key[i];
		m->keys += r->key[i];
	}
	m->rate = r->rate;
	free(r);
	free(data);
	return m->frames > 0;
}

/* ---- splitter tests ------------------------------------------------------ */

static void check_video_fixture(const fixture_def *d, ivxs_codec codec)
{
	char path[1200];
	uint8_t *data;
	size_t n;
	split_result *r = calloc(1, sizeof(*r));
	int expect, keys = 0, i;
	if (!fixture(d, path, sizeof(path), NULL)) {
		free(r);
		CHECKF(0, "missing fixture %s", path);
	}
	data = slurp(path, &n);
	if (!data) {
		free(r);
		CHECKF(0, "cannot read %s", path);
	}
	expect = expected_count(path, d, 0);
	split_au(codec, data, n, 65536, 0, r);
	for (i = 0; i < r->n; i++) {
		keys += r->key[i];
		if (r->key[i] && !r->params[i]) {
			ivxs_test_fail(__LINE__, "key AU %d lacks its parameter sets", i);
			break;
		}
	}
	if (!ivxs_test_failing) {
		if (r->n != expect)
			ivxs_test_fail(__LINE__, "%d AUs, ffprobe says %d", r->n, expect);
		else if (r->errors)
			ivxs_test_fail(__LINE__, "%d splitter errors", r->errors);
		else if (!r->key[0])
			ivxs_test_fail(__LINE__, "first AU is not a key frame");
		else if (d->keys && keys != d->keys)
			ivxs_test_fail(__LINE__, "%d key AUs, expected %d", keys, d->keys);
		else if (r->bytes != n)
			ivxs_test_fail(__LINE__, "AUs hold %zu of %zu bytes", r->bytes, n);
	}
	free(r);
	free(data);
}

static void t_h264_fixture(void) { check_video_fixture(&FX_H264, IVXS_CODEC_H264); }
static void t_h265_fixture(void) { check_video_fixture(&FX_H265, IVXS_CODEC_H265); }
static void t_h264_bframes_fixture(void) { check_video_fixture(&FX_H264B, IVXS_CODEC_H264); }

static void check_chunking(const fixture_def *d, ivxs_codec codec)
{
	char path[1200];
	uint8_t *data;
	size_t n;
	split_result *big = calloc(1, sizeof(*big)), *one = calloc(1, sizeof(*one)),
		*rnd = calloc(1, sizeof(*rnd));
	int ok1, ok2;
	if (!fixture(d, path, sizeof(path), NULL) || !(data = slurp(path, &n))) {
		free(big); free(one); free(rnd);
		CHECKF(0, "missing fixture %s", path);
	}
	split_au(codec, data, n, n, 0, big);
	split_au(codec, data, n, 1, 0, one);
	split_au(codec, data, n, 0, 0, rnd);
	ok1 = same_aus(big, one);
	ok2 = same_aus(big, rnd);
	free(data);
	if (!ok1 || !ok2)
		ivxs_test_fail(__LINE__, "whole-file %d AUs, 1-byte %d AUs (%s), random chunks %d AUs (%s)",
			big->n, one->n, ok1 ? "same" : "differ", rnd->n, ok2 ? "same" : "differ");
	else if (big->n < 2)
		ivxs_test_fail(__LINE__, "too few AUs");
	free(big); free(one); free(rnd);
}

static void t_h264_byte_at_a_time(void) { check_chunking(&FX_H264, IVXS_CODEC_H264); }
static void t_h265_byte_at_a_time(void) { check_chunking(&FX_H265, IVXS_CODEC_H265); }

/* space/commit (zero-copy) gives the same AUs as feed */
static void t_space_commit(void)
{
	NEED_FIXTURE(FX_H265, path);
	size_t n, off = 0;
	uint8_t *data = slurp(path, &n);
	static uint8_t buf[(1u << 20) + IVXS_AU_LOOKAHEAD];
	ivxs_au_splitter s;
	split_result *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	int same;
	CHECK(data && a && b);
	split_au(IVXS_CODEC_H265, data, n, 4096, 0, a);
	CHECK(ivxs_au_init(&s, IVXS_CODEC_H265, buf, sizeof(buf)) == 0);
	while (off < n) {
		size_t avail, take;
		uint8_t *p = ivxs_au_space(&s, &avail);
		take = avail < 777 ? avail : 777;
		if (take > n - off)
			take = n - off;
		memcpy(p, data + off, take);
		ivxs_au_commit(&s, take);
		off += take;
		drain_au(&s, b);
	}
	ivxs_au_end(&s);
	drain_au(&s, b);
	same = same_aus(a, b);
	free(a); free(b); free(data);
	CHECK(same);
}

/* describe() on each AU agrees with the splitter */
static void t_describe(void)
{
	NEED_FIXTURE(FX_H264, path);
	size_t n;
	uint8_t *data = slurp(path, &n);
	static uint8_t buf[(1u << 20) + IVXS_AU_LOOKAHEAD];
	ivxs_au_splitter s;
	ivxs_au au, d;
	int k, count = 0;
	CHECK(data);
	CHECK(ivxs_au_init(&s, IVXS_CODEC_H264, buf, sizeof(buf)) == 0);
	CHECK(ivxs_au_feed(&s, data, n) == n);
	ivxs_au_end(&s);
	while ((k = ivxs_au_next(&s, &au)) == 1) {
		ivxs_au_describe(IVXS_CODEC_H264, au.data, au.size, &d);
		if (d.key != au.key || d.nal_types != au.nal_types || d.nal_count != au.nal_count) {
			free(data);
			CHECKF(0, "AU %d: describe disagrees", count);
		}
		count++;
	}
	free(data);
	CHECK(k == 0 && count > 0);
}

static void t_garbage_at_start(void)
{
	NEED_FIXTURE(FX_H264, path);
	size_t n;
	uint8_t *data = slurp(path, &n), *g;
	const char junk[] = "this is not a NAL unit \x01\x02\x03\xff";
	split_result *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	int ok;
	CHECK(data && a && b);
	g = malloc(n + sizeof(junk));
	memcpy(g, junk, sizeof(junk));
	memcpy(g + sizeof(junk), data, n);
	split_au(IVXS_CODEC_H264, data, n, 1000, 0, a);
	split_au(IVXS_CODEC_H264, g, n + sizeof(junk), 1000, 0, b);
	ok = b->err_garbage == 1 && b->errors == 1 && b->n == a->n && b->bytes == a->bytes;
	{
		int an = a->n, bn = b->n, be = b->errors;
		free(a); free(b); free(data); free(g);
		CHECKF(ok, "clean %d AUs; with junk %d AUs, %d errors", an, bn, be);
	}
}

/* A start code followed by a forbidden-bit header between two AUs: the AU
 * before it is complete, the AU after it is found again. */
static void t_garbage_mid_stream(void)
{
	NEED_FIXTURE(FX_H265, path);
	size_t n, cut = 0, acc = 0;
	uint8_t *data = slurp(path, &n), *g;
	static const uint8_t bad[] = { 0, 0, 1, 0xff, 0xff, 0x12, 0x34, 0x56, 0, 0, 1, 0x80, 0x01, 0x77 };
	split_result *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	int i, ok;
	CHECK(data && a && b);
	split_au(IVXS_CODEC_H265, data, n, 4096, 0, a);
	for (i = 0; i < 10; i++)
		acc += a->size[i];
	cut = acc;   /* insert after AU 10 */
	g = malloc(n + sizeof(bad));
	memcpy(g, data, cut);
	memcpy(g + cut, bad, sizeof(bad));
	memcpy(g + cut + sizeof(bad), data + cut, n - cut);
	split_au(IVXS_CODEC_H265, g, n + sizeof(bad), 333, 0, b);
	ok = b->err_garbage == 1 && b->errors == 1 && b->n == a->n;
	for (i = 0; ok && i < a->n; i++)
		ok = a->hash[i] == b->hash[i];
	{
		int an = a->n, bn = b->n, be = b->errors;
		free(a); free(b); free(data); free(g);
		CHECKF(ok, "clean %d AUs; with garbage %d AUs, %d errors (want same AUs, 1 error)", an, bn, be);
	}
}

/* AUs above max are reported and skipped; all others come out intact. */
static void t_oversize_au(void)
{
	NEED_FIXTURE(FX_H264, path);
	size_t n, max = 0, limit;
	uint8_t *data = slurp(path, &n);
	split_result *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	int i, j = 0, big = 0, ok = 1;
	CHECK(data && a && b);
	split_au(IVXS_CODEC_H264, data, n, 4096, 0, a);
	for (i = 0; i < a->n; i++)
		if (a->size[i] > max)
			max = a->size[i];
	limit = max / 2;   /* the key frames are far larger than P frames */
	for (i = 0; i < a->n; i++)
		big += a->size[i] > limit;
	split_au(IVXS_CODEC_H264, data, n, 1500, limit, b);
	for (i = 0; i < a->n && ok; i++) {
		if (a->size[i] > limit)
			continue;
		ok = j < b->n && b->hash[j] == a->hash[i];
		j++;
	}
	ok = ok && big > 0 && b->err_toobig == big && b->errors == big && b->n == a->n - big;
	{
		int bn = b->n, be = b->errors, an = a->n;
		free(a); free(b); free(data);
		CHECKF(ok, "limit %zu: %d of %d AUs too big; got %d AUs, %d errors", limit, big, an, bn, be);
	}
}

static void t_truncated(void)
{
	NEED_FIXTURE(FX_H264, path);
	size_t n, acc = 0;
	uint8_t *data = slurp(path, &n);
	split_result *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b)), *c = calloc(1, sizeof(*c));
	int i, last_key = -1, ok1, ok2, bn, cn, be, ce;
	CHECK(data && a && b && c);
	split_au(IVXS_CODEC_H264, data, n, 4096, 0, a);
	for (i = 0; i < a->n; i++)
		if (a->key[i])
			last_key = i;
	for (i = 0; i < last_key; i++)
		acc += a->size[i];
	/* 1: cut inside the parameter sets of the last key AU */
	split_au(IVXS_CODEC_H264, data, acc + 12, 100, 0, b);
	ok1 = b->n == last_key && b->err_trunc == 1 && b->errors == 1;
	/* 2: cut right after a start code */
	{
		uint8_t *g = malloc(acc + 4);
		memcpy(g, data, acc);
		memcpy(g + acc, "\0\0\0\1", 4);
		split_au(IVXS_CODEC_H264, g, acc + 4, 100, 0, c);
		free(g);
	}
	ok2 = c->n == last_key && c->err_trunc == 1 && c->errors == 1;
	bn = b->n; cn = c->n; be = b->errors; ce = c->errors;
	free(a); free(b); free(c); free(data);
	CHECKF(ok1 && ok2, "want %d AUs + 1 ETRUNC; cut in SPS: %d AUs %d errors; after start code: %d AUs %d errors",
		last_key, bn, be, cn, ce);
}

static void t_no_start_code(void)
{
	static uint8_t junk[300000];
	split_result *r = calloc(1, sizeof(*r));
	int ok;
	memset(junk, 0xAA, sizeof(junk));
	split_au(IVXS_CODEC_H264, junk, sizeof(junk), 5000, 0, r);
	ok = r->n == 0 && r->err_garbage == 1 && r->errors == 1;
	free(r);
	CHECK(ok);
}

/* Mutated streams (flipped bytes, injected start codes, cuts): the splitters
 * always finish, and every input byte is either in an AU or counted skipped. */
static void fuzz_one(ivxs_codec codec, const uint8_t *src, size_t n, uint32_t seed, int *bad)
{
	static uint8_t m[1u << 20], buf[(64u << 10) + IVXS_AU_LOOKAHEAD];
	static ivxs_adts_splitter as;
	uint32_t rng = seed;
	size_t len = n < sizeof(m) ? n : sizeof(m), i, off = 0, out = 0;
	int edits, k;
	memcpy(m, src, len);
#define RND() (rng = rng * 1103515245u + 12345u, rng >> 8)
	edits = 1 + (int)(RND() % 40);
	for (k = 0; k < edits; k++) {
		size_t at = RND() % len;
		switch (RND() % 4) {
		case 0: m[at] = (uint8_t)RND(); break;
		case 1: if (at + 3 < len) { m[at] = 0; m[at + 1] = 0; m[at + 2] = 1; } break;
		case 2: if (at + 2 < len) { m[at] = 0xFF; m[at + 1] = 0xF1; } break;
		default: m[at] ^= 0x80; break;
		}
	}
	if (RND() % 3 == 0)
		len = RND() % len;
	if (codec == IVXS_CODEC_AAC) {
		ivxs_adts_frame f;
		ivxs_adts_init(&as);
		for (;;) {
			while ((k = ivxs_adts_next(&as, &f)) != 0)
				if (k > 0)
					out += f.size;
			if (as.ended)
				break;
			if (off >= len)
				ivxs_adts_end(&as);
			else
				off += ivxs_adts_feed(&as, m + off, (len - off) < 999 ? len - off : 999);
		}
		if (out + as.skipped_bytes != len)
			(*bad)++;
		return;
	} else {
		ivxs_au_splitter s;
		ivxs_au au;
		ivxs_au_init(&s, codec, buf, sizeof(buf));
		while (off < len) {
			off += ivxs_au_feed(&s, m + off, (len - off) < 1777 ? len - off : 1777);
			while ((k = ivxs_au_next(&s, &au)) != 0)
				if (k > 0)
					out += au.size;
		}
		ivxs_au_end(&s);
		for (i = 0; i < 100000 && (k = ivxs_au_next(&s, &au)) != 0; i++)
			if (k > 0)
				out += au.size;
		if (!ivxs_au_finished(&s) || out + s.skipped_bytes != len)
			(*bad)++;
	}
#undef RND
}

static void t_fuzz(void)
{
	char p1[1200], p2[1200], p3[1200];
	uint8_t *d1, *d2, *d3;
	size_t n1, n2, n3;
	int i, bad1 = 0, bad2 = 0, bad3 = 0;
	CHECKF(fixture(&FX_H264, p1, sizeof(p1), NULL), "missing fixture %s", p1);
	CHECKF(fixture(&FX_H265, p2, sizeof(p2), NULL), "missing fixture %s", p2);
	CHECKF(fixture(&FX_AAC, p3, sizeof(p3), NULL), "missing fixture %s", p3);
	d1 = slurp(p1, &n1);
	d2 = slurp(p2, &n2);
	d3 = slurp(p3, &n3);
	CHECK(d1 && d2 && d3);
	for (i = 0; i < 300; i++) {
		fuzz_one(IVXS_CODEC_H264, d1, n1, 1000u + (uint32_t)i, &bad1);
		fuzz_one(IVXS_CODEC_H265, d2, n2, 5000u + (uint32_t)i, &bad2);
		fuzz_one(IVXS_CODEC_AAC, d3, n3, 9000u + (uint32_t)i, &bad3);
	}
	free(d1); free(d2); free(d3);
	CHECKF(!bad1 && !bad2 && !bad3, "byte accounting off in %d/%d/%d of 300 runs (h264/h265/adts)",
		bad1, bad2, bad3);
}

/* ---- progress and agreement with the Annex-B scanner ---------------------- */

static int wait_for(atomic_int *flag, unsigned ms);
static ivxs_ring *make_ring(size_t bytes);
static int create_file(ivxs_capture **out, ivxs_ring *ring, ivxs_capture_file_config *cfg);

/* Feeds data the way the file source does (space/commit, reads of at most
 * chunk bytes). Returns the AU count, or -1 when the splitter stalls: it
 * returned 0 before the end and had no room for more input. Every AU must
 * scan cleanly with the same NAL count (else -2). */
static int drive_checked(ivxs_codec codec, const uint8_t *d, size_t n, size_t max_au, size_t chunk,
		int *errors)
{
	static uint8_t buf[(1u << 20) + IVXS_AU_LOOKAHEAD];
	static uint32_t spans[3 * 4096];
	ivxs_au_splitter s;
	ivxs_au au;
	size_t off = 0;
	int aus = 0, r;
	*errors = 0;
	if (ivxs_au_init(&s, codec, buf, max_au + IVXS_AU_LOOKAHEAD) != 0)
		return -3;
	for (;;) {
		size_t avail, k;
		uint8_t *p;
		while ((r = ivxs_au_next(&s, &au)) != 0) {
			if (r < 0) {
				(*errors)++;
				continue;
			}
			aus++;
			if (au.data < s.buf || au.data + au.size > s.buf + s.cap || au.size > max_au ||
					ivxs_annexb_scan(au.data, au.size, spans, 4096) != (int)au.nal_count)
				return -2;
		}
		if (ivxs_au_finished(&s))
			return aus;
		p = ivxs_au_space(&s, &avail);
		if (avail == 0)
			return -1;
		k = n - off < avail ? n - off : avail;
		if (k > chunk)
			k = chunk;
		if (k == 0) {
			ivxs_au_end(&s);
			continue;
		}
		memcpy(p, d + off, k);
		ivxs_au_commit(&s, k);
		off += k;
	}
}

/* An oversize key AU of L payload bytes, a P slice, a key AU. */
static size_t oversize_stream(uint8_t *d, size_t L)
{
	static const uint8_t idr[] = { 0, 0, 0, 1, 0x65, 0x88 }, p[] = { 0, 0, 1, 0x41, 0x9a },
		idr3[] = { 0, 0, 1, 0x65, 0x88 };
	size_t n = 0;
	memcpy(d, idr, sizeof(idr));
	n += sizeof(idr);
	memset(d + n, 0xaa, L);
	n += L;
	memcpy(d + n, p, sizeof(p));
	n += sizeof(p);
	memset(d + n, 0xab, 40);
	n += 40;
	memcpy(d + n, idr3, sizeof(idr3));
	n += sizeof(idr3);
	memset(d + n, 0xac, 40);
	return n + 40;
}

/* The livelock: skipping an oversize AU, a start code lands in the last
 * bytes of the full buffer (L = 2 * max + 19 put it there). */
static void t_oversize_progress(void)
{
	static const size_t maxes[] = { 64, 100, 1000, 4000, 30000, 65000, 65520 };
	static uint8_t d[300000];
	size_t i, L;
	int errors, r;
	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++)
		for (L = 2 * maxes[i] + 3; L <= 2 * maxes[i] + 35; L++) {
			size_t n = oversize_stream(d, L);
			r = drive_checked(IVXS_CODEC_H264, d, n, maxes[i], 64u << 10, &errors);
			CHECKF(r != -1, "max %zu, L %zu: the splitter stalls with a full buffer", maxes[i], L);
			CHECKF(r == 2 && errors == 1, "max %zu, L %zu: %d AUs, %d errors", maxes[i], L, r, errors);
		}
}

typedef struct {
	const char *path;
	size_t max_au;
	atomic_int done;
	int result;
} prepare_job;

static void *prepare_thread(void *arg)
{
	prepare_job *job = arg;
	ivxs_ring *ring = make_ring(1u << 20);
	ivxs_capture_file_config cfg;
	ivxs_capture *cap = NULL;
	memset(&cfg, 0, sizeof(cfg));
	cfg.video_path = job->path;
	cfg.video_codec = IVXS_CODEC_H264;
	cfg.pace = IVXS_CAPTURE_PACE_FAST;
	cfg.once = 1;
	cfg.max_au_bytes = job->max_au;
	job->result = create_file(&cap, ring, &cfg);
	if (job->result == 0)
		job->result = ivxs_capture_prepare(cap);
	ivxs_capture_finish(cap);
	ivxs_capture_destroy(&cap);
	ivxs_ring_destroy(&ring);
	atomic_store(&job->done, 1);
	return NULL;
}

/* The same through ivxs_capture_prepare (the probe), with a timeout so that
 * a livelock fails the test instead of hanging it. */
static void t_oversize_prepare_returns(void)
{
	static const size_t maxes[] = { 64, 1000, 65000 };
	static uint8_t d[200000];
	static prepare_job jobs[3];
	static char paths[3][300];
	size_t i;
	for (i = 0; i < 3; i++) {
		pthread_t th;
		size_t n = oversize_stream(d, 2 * maxes[i] + 19);
		snprintf(paths[i], sizeof(paths[i]), "%s/oversize-%zu.h264", g_tmp, maxes[i]);
		CHECK(spit(paths[i], d, n));
		jobs[i].path = paths[i];
		jobs[i].max_au = maxes[i];
		atomic_store(&jobs[i].done, 0);
		CHECK(pthread_create(&th, NULL, prepare_thread, &jobs[i]) == 0);
		if (!wait_for(&jobs[i].done, 10000)) {
			pthread_detach(th);   /* spinning for ever: leave it, fail */
			CHECKF(0, "max %zu: ivxs_capture_prepare did not return within 10 s", maxes[i]);
		}
		pthread_join(th, NULL);
		CHECKF(jobs[i].result == 0, "max %zu: prepare said %s", maxes[i], ivxs_capture_strerror(jobs[i].result));
	}
}

typedef struct {
	const char *name;
	ivxs_codec codec;
	uint8_t bytes[48];
	size_t size;
	int aus, errors;          /* from the splitter */
	uint32_t nals[4];         /* NAL count of each AU */
} agree_case;

#define SC4 0, 0, 0, 1
#define SC3 0, 0, 1
static const agree_case kAgree[] = {
	/* the scanner rejects an empty NAL: the splitter must not emit one */
	{ "one-byte 00 NAL before a 4-byte start code", IVXS_CODEC_H264,
		{ SC4, 0x65, 0x88, 0x11, SC3, 0x00, SC4, 0x41, 0x9a, 0x22 }, 18, 2, 1, { 1, 1 } },
	{ "00 NAL right before a 3-byte start code", IVXS_CODEC_H264,
		{ SC4, 0x65, 0x88, 0x11, SC3, SC3, 0x41, 0x9a, 0x22 }, 16, 2, 1, { 1, 1 } },
	{ "a type-0 NAL with data is a NAL", IVXS_CODEC_H264,
		{ SC4, 0x65, 0x88, 0x11, SC3, 0x00, 0x05, SC4, 0x41, 0x9a, 0x22 }, 19, 2, 0, { 2, 1 } },
	{ "start code and zeros at the end", IVXS_CODEC_H264,
		{ SC4, 0x65, 0x88, 0x11, SC3, 0x00, 0x00 }, 12, 1, 1, { 1 } },
	/* partitions B and C carry slice_id, not first_mb_in_slice */
	{ "H.264 partitions A, B, C are one picture", IVXS_CODEC_H264,
		{ SC4, 0x22, 0x80, 0x11, SC3, 0x23, 0x80, 0x11, SC3, 0x24, 0x80, 0x11, SC3, 0x21, 0x80, 0x11 }, 25, 2, 0, { 3, 1 } },
	{ "H.264 one-byte slice at the end is part of the AU", IVXS_CODEC_H264,
		{ SC4, 0x65, 0x88, 0x11, SC3, 0x41 }, 11, 1, 0, { 2 } },
	/* H.265: only nuh_layer_id 0 starts an AU */
	{ "H.265 layer-1 slice with first_slice_segment_in_pic_flag", IVXS_CODEC_H265,
		{ SC4, 0x26, 0x01, 0x80, 0x11, SC3, 0x02, 0x09, 0x80, 0x11, SC3, 0x02, 0x01, 0x80, 0x11 }, 23, 2, 0, { 2, 1 } },
	{ "H.265 layer-1 SPS after a picture", IVXS_CODEC_H265,
		{ SC4, 0x26, 0x01, 0x80, 0x11, SC3, 0x42, 0x09, 0x11, SC3, 0x02, 0x01, 0x80, 0x11 }, 22, 2, 0, { 2, 1 } },
	{ "H.265 nuh_temporal_id_plus1 0 is not a NAL header", IVXS_CODEC_H265,
		{ SC4, 0x26, 0x01, 0x80, 0x11, SC3, 0x02, 0x00, 0x80, 0x11, SC3, 0x02, 0x01, 0x80, 0x11 }, 23, 2, 1, { 1, 1 } },
	{ "H.265 reserved VCL type 24 with the first-slice flag", IVXS_CODEC_H265,
		{ SC4, 0x26, 0x01, 0x80, 0x11, SC3, 0x30, 0x01, 0x80, 0x11 }, 14, 2, 0, { 1, 1 } },
};

/* The splitter and the scanner agree; on streams the scanner accepts, the
 * splitter's AUs are the whole-buffer grouping's (native/annexb). */
static void t_agree_cases(void)
{
	size_t i, chunk;
	for (i = 0; i < sizeof(kAgree) / sizeof(kAgree[0]); i++) {
		const agree_case *c = &kAgree[i];
		for (chunk = 1; chunk <= c->size; chunk++) {
			static uint8_t buf[4096];
			ivxs_au_splitter s;
			ivxs_au au;
			uint32_t spans[12];
			size_t off = 0;
			int aus = 0, errors = 0, r;
			CHECK(ivxs_au_init(&s, c->codec, buf, sizeof(buf)) == 0);
			for (;;) {
				while ((r = ivxs_au_next(&s, &au)) != 0) {
					if (r < 0) {
						errors++;
						continue;
					}
					CHECKF(aus < 4, "%s: too many AUs", c->name);
					CHECKF(ivxs_annexb_scan(au.data, au.size, spans, 4) == (int)au.nal_count,
						"%s (chunk %zu): AU %d does not scan as %u NAL units", c->name, chunk, aus, au.nal_count);
					CHECKF(au.nal_count == c->nals[aus], "%s (chunk %zu): AU %d has %u NAL units, expected %u",
						c->name, chunk, aus, au.nal_count, c->nals[aus]);
					CHECK(IVXS_AU_INFO_COUNT(au.info) == au.nal_count);
					aus++;
				}
				if (ivxs_au_finished(&s))
					break;
				if (off == c->size) {
					ivxs_au_end(&s);
					continue;
				}
				off += ivxs_au_feed(&s, c->bytes + off, chunk < c->size - off ? chunk : c->size - off);
			}
			CHECKF(aus == c->aus && errors == c->errors, "%s (chunk %zu): %d AUs, %d errors; expected %d, %d",
				c->name, chunk, aus, errors, c->aus, c->errors);
		}
		if (!c->errors) {
			ivxs_annexb_au_cursor cur;
			uint32_t start, end, info;
			int n = 0;
			ivxs_annexb_au_cursor_init(&cur);
			while (ivxs_annexb_next_au((int)c->codec, c->bytes, c->size, &cur, &start, &end, &info) == 1) {
				CHECKF(n < 4 && IVXS_AU_INFO_COUNT(info) == c->nals[n], "%s: grouping AU %d", c->name, n);
				n++;
			}
			CHECKF(n == c->aus, "%s: the whole-buffer grouping finds %d AUs", c->name, n);
		}
	}
}

static void t_au_bad_args(void)
{
	ivxs_au_splitter s;
	uint8_t b[64];
	CHECK(ivxs_au_init(&s, IVXS_CODEC_AAC, b, sizeof(b)) == IVXS_CAPTURE_EARG);
	CHECK(ivxs_au_init(&s, IVXS_CODEC_H264, b, 8) == IVXS_CAPTURE_EARG);
	CHECK(ivxs_au_init(NULL, IVXS_CODEC_H264, b, sizeof(b)) == IVXS_CAPTURE_EARG);
	CHECK(ivxs_au_init(&s, IVXS_CODEC_H264, b, sizeof(b)) == 0);
	CHECK(ivxs_au_max(&s) == sizeof(b) - IVXS_AU_LOOKAHEAD);
}

static void t_adts_fixture(void)
{
	NEED_FIXTURE(FX_AAC, path);
	size_t n;
	uint8_t *data = slurp(path, &n);
	split_result *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	int expect = expected_count(path, &FX_AAC, 1), ok, same, an;
	CHECK(data && a && b);
	split_adts(data, n, 65536, a);
	split_adts(data, n, 1, b);
	same = same_aus(a, b);
	ok = a->n == expect && a->errors == 0 && a->bytes == n && a->rate > 0 && a->samples == (uint64_t)a->n * 1024;
	an = a->n;
	free(a); free(b); free(data);
	CHECKF(ok, "%d frames, ffprobe says %d", an, expect);
	CHECKF(same, "1-byte feeding differs");
}

static void t_adts_resync(void)
{
	NEED_FIXTURE(FX_AAC, path);
	size_t n, off = 0;
	uint8_t *data = slurp(path, &n), *g;
	static const uint8_t junk[] = { 0x12, 0xFF, 0xF1, 0x00, 0xFF, 0x00, 0x55, 0xFF, 0xFF, 0xAA, 0x01, 0x02 };
	split_result *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b)), *c = calloc(1, sizeof(*c));
	int i, ok1 = 1, ok2, an, bn, cn, be, ce;
	CHECK(data && a && b && c);
	split_adts(data, n, 4096, a);
	/* 1: garbage between frame 20 and 21: nothing lost, one EADTS */
	for (i = 0; i < 21; i++)
		off += a->size[i];
	g = malloc(n + sizeof(junk));
	memcpy(g, data, off);
	memcpy(g + off, junk, sizeof(junk));
	memcpy(g + off + sizeof(junk), data + off, n - off);
	split_adts(g, n + sizeof(junk), 1000, b);
	ok1 = b->n == a->n && b->err_adts == 1 && b->errors == 1;
	for (i = 0; ok1 && i < a->n; i++)
		ok1 = a->hash[i] == b->hash[i];
	/* 2: frame 30's sync word broken: that frame is lost, one EADTS */
	memcpy(g, data, n);
	for (off = 0, i = 0; i < 30; i++)
		off += a->size[i];
	g[off + 1] = 0x00;
	split_adts(g, n, 333, c);
	ok2 = c->n == a->n - 1 && c->err_adts == 1 && c->errors == 1;
	an = a->n; bn = b->n; cn = c->n; be = b->errors; ce = c->errors;
	free(a); free(b); free(c); free(data); free(g);
	CHECKF(ok1 && ok2, "clean %d; junk inserted: %d frames %d errors; broken header: %d frames %d errors",
		an, bn, be, cn, ce);
}

static void t_adts_truncated(void)
{
	NEED_FIXTURE(FX_AAC, path);
	size_t n;
	uint8_t *data = slurp(path, &n);
	split_result *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	int ok, bn, be;
	CHECK(data && a && b);
	split_adts(data, n, 4096, a);
	split_adts(data, n - a->size[a->n - 1] / 2, 100, b);
	ok = b->n == a->n - 1 && b->err_trunc == 1 && b->errors == 1;
	bn = b->n; be = b->errors;
	free(a); free(b); free(data);
	CHECKF(ok, "%d frames %d errors", bn, be);
}

static void t_pacing_math(void)
{
	CHECK(ivxs_capture_video_offset_us(0, 25, 1) == 0);
	CHECK(ivxs_capture_video_offset_us(1, 25, 1) == 40000);
	CHECK(ivxs_capture_video_offset_us(15, 15, 1) == 1000000);
	CHECK(ivxs_capture_video_offset_us(1, 30000, 1001) == 33366);
	CHECK(ivxs_capture_video_offset_us(30000, 30000, 1001) == 1001000000ull);
	CHECK(ivxs_capture_video_offset_us(1000000000ull, 25, 1) == 40000000000000ull);
	CHECK(ivxs_capture_audio_offset_us(1024, 48000) == 21333);
	CHECK(ivxs_capture_audio_offset_us(16000, 16000) == 1000000);
	CHECK(ivxs_capture_still_index(999999, 4) == 0);
	CHECK(ivxs_capture_still_index(1000000, 4) == 1);
	CHECK(ivxs_capture_still_index(5500000, 4) == 1);
	CHECK(ivxs_capture_still_index(5500000, 0) == 0);
}

static void t_strerror(void)
{
	int e;
	for (e = IVXS_CAPTURE_EARG; e >= IVXS_CAPTURE_EUNSUPPORTED; e--)
		CHECKF(strcmp(ivxs_capture_strerror(e), "unknown error") != 0, "no message for %d", e);
	CHECK(strcmp(ivxs_capture_strerror(IVXS_RING_ENEEDKEY), "unknown error") != 0);
	CHECK(strcmp(ivxs_capture_strerror(-150), "unknown error") == 0);
}

/* ---- sources: fake clock, observer --------------------------------------- */

typedef struct {
	_Atomic uint64_t now;
	_Atomic uint64_t sleeps;
} fake_clock;

static uint64_t fake_now(void *ctx) { return atomic_load(&((fake_clock *)ctx)->now); }
static void fake_sleep(void *ctx, uint64_t t)
{
	fake_clock *f = ctx;
	atomic_fetch_add(&f->sleeps, 1);
	if (t > atomic_load(&f->now))
		atomic_store(&f->now, t);
}
static uint64_t fake_wall(void *ctx) { (void)ctx; return 1700000000000ull; }

#define MAX_REC 20000

typedef struct {
	uint8_t type, key;
	int status;
	uint32_t info;
	uint64_t ts, index, loop, sched, pushed;
	size_t size;
} rec;

typedef struct {
	rec r[MAX_REC];
	_Atomic int n;       /* frames recorded in r (at most MAX_REC) */
	_Atomic int total, total_video, total_audio;   /* every frame seen, recorded or not */
	int stop_after;      /* observer sets done when n reaches it */
	atomic_int done;
} recorder;

static void observe(void *ctx, const ivxs_capture_frame *f, int status)
{
	recorder *R = ctx;
	int i = atomic_load(&R->n);
	/* A starved main thread may stop the source long after stop_after: frames
	 * past MAX_REC are counted, not recorded. */
	atomic_fetch_add(&R->total, 1);
	atomic_fetch_add(f->type == IVXS_FRAME_VIDEO ? &R->total_video : &R->total_audio, 1);
	if (i < MAX_REC) {
		R->r[i].type = (uint8_t)f->type;
		R->r[i].key = (uint8_t)f->key;
		R->r[i].status = status;
		R->r[i].ts = f->timestamp_ms;
		R->r[i].index = f->index;
		R->r[i].loop = f->loop;
		R->r[i].sched = f->scheduled_us;
		R->r[i].pushed = f->pushed_us;
		R->r[i].size = f->size;
		R->r[i].info = f->info;
		atomic_store(&R->n, i + 1);
	}
	if (R->stop_after && i + 1 >= R->stop_after)
		atomic_store(&R->done, 1);
}

static void msleep(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int wait_for(atomic_int *flag, unsigned ms)
{
	unsigned i;
	for (i = 0; i < ms && !atomic_load(flag); i++)
		msleep(1);
	return atomic_load(flag);
}


/* Sources on a ring (NULL ring: no sink). */
static int create_file(ivxs_capture **out, ivxs_ring *ring, ivxs_capture_file_config *cfg)
{
	cfg->sink = ring ? ivxs_capture_ring_sink : NULL;
	cfg->sink_ctx = ring;
	return ivxs_capture_create_file(out, cfg);
}

static int create_v4l2(ivxs_capture **out, ivxs_ring *ring, ivxs_capture_v4l2_config *cfg)
{
	cfg->sink = ring ? ivxs_capture_ring_sink : NULL;
	cfg->sink_ctx = ring;
	return ivxs_capture_create_v4l2(out, cfg);
}

static ivxs_ring *make_ring(size_t bytes)
{
	ivxs_ring *r = NULL;
	ivxs_ring_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.arena_bytes = bytes;
	cfg.max_frames = 65536;
	return ivxs_ring_create(&r, &cfg) == 0 ? r : NULL;
}

static uint32_t fps_of(const char *name)
{
	/* fixtures/media clips are 15 fps; the /tmp fallbacks 25 */
	return strstr(name, "clip_") ? 25 : 15;
}

/* Frames read back from the ring (from the oldest key frame). */
static int ring_count(ivxs_ring *ring, int *video, int *audio, uint64_t *last_vts)
{
	ivxs_ring_reader *rd = NULL;
	ivxs_ring_view v;
	int n = 0, k;
	*video = *audio = 0;
	*last_vts = 0;
	if (ivxs_ring_reader_open(ring, IVXS_RING_AT_TIME, 0, &rd) != 0)
		return -1;
	while ((k = ivxs_ring_read(rd, &v)) == 1) {
		n++;
		if (v.type == IVXS_FRAME_VIDEO) {
			(*video)++;
			*last_vts = v.timestamp_ms;
		} else {
			(*audio)++;
		}
	}
	ivxs_ring_reader_close(&rd);
	return k < 0 ? k : n;
}

/* Fake-clock pacing on the capture thread: every push happens exactly at its
 * scheduled time; the schedule follows the frame rate / sample count;
 * timestamps continue across loops. */
static void t_fake_clock_pacing_and_loop(void)
{
	NEED_FIXTURE(FX_H264, vpath);
	NEED_FIXTURE(FX_AAC, apath);
	const char *vname = NULL;
	static fake_clock fc;
	static recorder R;
	ivxs_capture_clock clk = { fake_now, fake_sleep, fake_wall, &fc };
	ivxs_capture_file_config cfg;
	ivxs_capture *cap = NULL;
	ivxs_capture_stats st;
	ivxs_ring *ring = make_ring(64u << 20);
	uint32_t fps;
	uint64_t t0 = 5000000, base = 1000, prev_sched = 0, vnext = 0, anext = 0, asamples = 0;
	int i, n, videos = 0, audios = 0, rv, ra, rn;
	uint64_t last_vts_ring;
	static media_info vm, am;
	CHECK(ring);
	CHECK(media_facts(vpath, IVXS_CODEC_H264, &vm) && media_facts(apath, IVXS_CODEC_AAC, &am));
	fixture(&FX_H264, vpath, sizeof(vpath), &vname);
	fps = fps_of(vname);
	atomic_store(&fc.now, t0);
	memset(&R, 0, sizeof(R));
	R.stop_after = 3 * vm.frames + 3 * vm.frames * (int)(am.rate / 1024) / (int)fps + 50;  /* > 3 loops */
	memset(&cfg, 0, sizeof(cfg));
	cfg.video_path = vpath;
	cfg.audio_path = apath;
	cfg.fps_num = fps;
	cfg.fps_den = 1;
	cfg.start_ms_set = 1;
	cfg.start_ms = base;
	cfg.clock = &clk;
	cfg.observer = observe;
	cfg.observer_ctx = &R;
	CHECK(create_file(&cap, ring, &cfg) == 0);
	CHECK(ivxs_capture_start(cap) == 0);
	wait_for(&R.done, 10000);
	ivxs_capture_stop(cap);
	ivxs_capture_get_stats(cap, &st);
	n = atomic_load(&R.n);
	for (i = 0; i < n; i++) {
		rec *r = &R.r[i];
		uint64_t off;
		if (r->status != 0)
			CHECKF(0, "frame %d: ring said %s", i, ivxs_capture_strerror(r->status));
		if (r->pushed != r->sched)
			CHECKF(0, "frame %d pushed at %llu, scheduled %llu", i,
				(unsigned long long)r->pushed, (unsigned long long)r->sched);
		if (r->sched < prev_sched)
			CHECKF(0, "frame %d scheduled before frame %d", i, i - 1);
		prev_sched = r->sched;
		if (r->type == IVXS_FRAME_VIDEO) {
			off = ivxs_capture_video_offset_us(vnext, fps, 1);
			if (r->index != vnext)
				CHECKF(0, "video index %llu, want %llu", (unsigned long long)r->index, (unsigned long long)vnext);
			if (r->key != vm.key[vnext % (uint64_t)vm.frames])
				CHECKF(0, "video frame %llu key=%d", (unsigned long long)vnext, r->key);
			vnext++;
			videos++;
		} else {
			off = ivxs_capture_audio_offset_us(asamples, am.rate);
			if (r->index != asamples)
				CHECKF(0, "audio sample index %llu, want %llu", (unsigned long long)r->index, (unsigned long long)asamples);
			asamples += 1024;
			anext++;
			audios++;
		}
		if (r->sched != t0 + off)
			CHECKF(0, "frame %d scheduled at +%llu us, want +%llu", i,
				(unsigned long long)(r->sched - t0), (unsigned long long)off);
		if (r->ts != base + off / 1000)
			CHECKF(0, "frame %d ts %llu, want %llu", i, (unsigned long long)r->ts,
				(unsigned long long)(base + off / 1000));
	}
	rn = ring_count(ring, &rv, &ra, &last_vts_ring);
	ivxs_capture_destroy(&cap);
	ivxs_ring_destroy(&ring);
	CHECKF(n >= R.stop_after, "only %d frames observed", n);
	CHECKF(st.loops >= 3, "%llu loops", (unsigned long long)st.loops);
	CHECKF(st.frames_pushed == (uint64_t)R.total && st.ring_errors == 0 && st.dropped == 0 && st.split_errors == 0,
		"stats: pushed %llu (observed %d), ring errors %llu, dropped %llu",
		(unsigned long long)st.frames_pushed, R.total, (unsigned long long)st.ring_errors, (unsigned long long)st.dropped);
	CHECKF(rn == R.total && rv == R.total_video && ra == R.total_audio,
		"ring holds %d (%d video %d audio), pushed %d (%d/%d; recorded %d/%d)",
		rn, rv, ra, R.total, R.total_video, R.total_audio, videos, audios);
	CHECK(st.max_late_us == 0);
	CHECK(!st.running);
}

/* As fast as possible, threadless (prepare/step): timestamps identical to the
 * real-time schedule, the clock never sleeps; once mode ends at EOF. */
static void t_fast_threadless_once(void)
{
	NEED_FIXTURE(FX_H265, vpath);
	static fake_clock fc;
	static recorder R;
	ivxs_capture_clock clk = { fake_now, fake_sleep, fake_wall, &fc };
	ivxs_capture_file_config cfg;
	ivxs_capture *cap = NULL;
	ivxs_ring *ring = make_ring(16u << 20);
	ivxs_capture_stats st;
	int r, steps = 0, i, n;
	static media_info vm;
	CHECK(ring);
	CHECK(media_facts(vpath, IVXS_CODEC_H265, &vm));
	atomic_store(&fc.now, 42);
	atomic_store(&fc.sleeps, 0);
	memset(&R, 0, sizeof(R));
	memset(&cfg, 0, sizeof(cfg));
	cfg.video_path = vpath;
	cfg.pace = IVXS_CAPTURE_PACE_FAST;
	cfg.once = 1;
	cfg.clock = &clk;
	cfg.observer = observe;
	cfg.observer_ctx = &R;
	/* no fps: default 25; no start_ms: the (fake) wall clock */
	CHECK(create_file(&cap, ring, &cfg) == 0);
	CHECK(ivxs_capture_prepare(cap) == 0);
	CHECK(ivxs_capture_prepare(cap) == IVXS_CAPTURE_ESTATE);
	while ((r = ivxs_capture_step(cap)) == 1)
		steps++;
	ivxs_capture_get_stats(cap, &st);
	ivxs_capture_finish(cap);
	CHECK(ivxs_capture_step(cap) == IVXS_CAPTURE_ESTATE);
	ivxs_capture_destroy(&cap);
	ivxs_ring_destroy(&ring);
	n = atomic_load(&R.n);
	CHECKF(r == 0, "step ended with %d", r);
	CHECKF(steps == vm.frames && n == steps, "%d steps, %d pushes, %d frames", steps, n, vm.frames);
	CHECK(atomic_load(&fc.sleeps) == 0 && atomic_load(&fc.now) == 42);
	for (i = 0; i < n; i++) {
		uint32_t info = R.r[i].info;
		CHECKF(R.r[i].ts == 1700000000000ull + (uint64_t)i * 40 && R.r[i].sched == 0,
			"frame %d ts %llu", i, (unsigned long long)R.r[i].ts);
		/* the AU's classification travels with the frame to the sink */
		CHECKF((info & IVXS_AU_INFO_H265) && (info & IVXS_AU_INFO_VCL) && IVXS_AU_INFO_COUNT(info) >= 1 &&
			!!(info & IVXS_AU_INFO_KEY) == R.r[i].key, "frame %d info %#x", i, info);
		if (R.r[i].key)
			CHECKF((info & IVXS_AU_INFO_PARAMS) && IVXS_AU_INFO_COUNT(info) >= 4 &&
				IVXS_AU_INFO_VCL_TYPE(info) >= 16 && IVXS_AU_INFO_VCL_TYPE(info) <= 21, "key frame %d info %#x", i, info);
	}
	CHECK(st.loops == 0 && st.key_frames == (uint64_t)vm.keys);
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Median push lateness of the n recorded frames, µs. */
static uint64_t late_median(const recorder *r, int n)
{
	static uint64_t late[sizeof(r->r) / sizeof(r->r[0])];
	int i;
	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++)
		late[i] = r->r[i].pushed - r->r[i].sched;
	qsort(late, (size_t)n, sizeof(late[0]), compare_u64);
	return late[n / 2];
}

/* Real clock: frames within 5 ms of their schedule. The machines are shared
 * (CI builds the sanitized host and runs Chromium at the same time) and a
 * vCPU can stall for tens of ms even under SCHED_FIFO, and one stall makes
 * every frame due in it late (a 2-s run holds ~150 frames a second). What the
 * test asks is what pacing owes regardless of load: no frame early, the
 * median under 1 ms (absolute scheduling: a late frame does not delay the
 * next, where sleeping a frame's duration after each push would drift), at
 * most 10 % of frames past 5 ms, and the frames all there. The strict figure
 * — the worst lateness over 10 s, target 5 ms — is a benchmark (npm run bench). */
static void t_realtime_pacing(void)
{
	NEED_FIXTURE(FX_H264, vpath);
	NEED_FIXTURE(FX_AAC, apath);
	static recorder R;
	const char *env = getenv("IVXS_PACING_SECONDS");
	double secs = env ? atof(env) : 2.0;
	ivxs_capture_file_config cfg;
	ivxs_capture *cap = NULL;
	ivxs_ring *ring = make_ring(64u << 20);
	ivxs_capture_stats st;
	const char *vname = NULL;
	int i, n, worst_i = -1, rt, over = 0;
	uint64_t worst = 0;
	CHECK(ring);
	if (secs <= 0)
		secs = 2.0;
	fixture(&FX_H264, vpath, sizeof(vpath), &vname);
	memset(&R, 0, sizeof(R));
	memset(&cfg, 0, sizeof(cfg));
	cfg.video_path = vpath;
	cfg.audio_path = apath;
	cfg.fps_num = fps_of(vname);
	cfg.observer = observe;
	cfg.observer_ctx = &R;
	cfg.rt_priority = 10;   /* best effort: SCHED_FIFO if permitted */
	CHECK(create_file(&cap, ring, &cfg) == 0);
	CHECK(ivxs_capture_start(cap) == 0);
	msleep((unsigned)(secs * 1000));
	ivxs_capture_get_stats(cap, &st);
	rt = st.realtime;
	ivxs_capture_stop(cap);
	ivxs_capture_get_stats(cap, &st);
	ivxs_capture_destroy(&cap);
	ivxs_ring_destroy(&ring);
	n = atomic_load(&R.n);
	for (i = 0; i < n; i++) {
		uint64_t d;
		CHECKF(R.r[i].pushed >= R.r[i].sched, "frame %d pushed early", i);
		d = R.r[i].pushed - R.r[i].sched;
		if (d > 5000)
			over++;
		if (d > worst) {
			worst = d;
			worst_i = i;
		}
	}
	CHECKF(over * 10 <= n || over <= 3, "%d of %d frames more than 5 ms late, worst %llu us (frame %d; SCHED_FIFO %s)", over, n,
		(unsigned long long)worst, worst_i, rt ? "on" : "not permitted");
	CHECKF(late_median(&R, n) <= 1000, "median lateness %llu us (SCHED_FIFO %s)",
		(unsigned long long)late_median(&R, n), rt ? "on" : "not permitted");
	/* about secs * (fps + audio rate / 1024) frames */
	CHECKF(n >= (int)(secs * (fps_of(vname) + 15) * 0.9), "only %d frames in %.1f s", n, secs);
	CHECK(st.ring_errors == 0);
	printf("     (%.1f s, %d frames, %d over 5 ms, worst lateness %llu us, SCHED_FIFO %s)\n", secs, n, over,
		(unsigned long long)worst, rt ? "on" : "not permitted");
}

static void t_start_stop_restart(void)
{
	NEED_FIXTURE(FX_H264, vpath);
	static recorder R;
	ivxs_capture_file_config cfg;
	ivxs_capture *cap = NULL;
	ivxs_ring *ring = make_ring(16u << 20);
	ivxs_capture_stats st;
	struct timespec a, b;
	int n1, n2, i;
	double stop_ms;
	CHECK(ring);
	memset(&R, 0, sizeof(R));
	memset(&cfg, 0, sizeof(cfg));
	cfg.video_path = vpath;
	cfg.fps_num = 1;   /* 1 fps: stop must not wait for the next frame */
	cfg.start_ms_set = 1;
	cfg.start_ms = 0;
	cfg.observer = observe;
	cfg.observer_ctx = &R;
	CHECK(create_file(&cap, ring, &cfg) == 0);
	ivxs_capture_stop(cap);                       /* stop before start: harmless */
	CHECK(ivxs_capture_start(cap) == 0);
	CHECK(ivxs_capture_start(cap) == IVXS_CAPTURE_ESTATE);
	ivxs_capture_get_stats(cap, &st);
	CHECK(st.running == 1);
	msleep(150);
	clock_gettime(CLOCK_MONOTONIC, &a);
	ivxs_capture_stop(cap);
	clock_gettime(CLOCK_MONOTONIC, &b);
	stop_ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	ivxs_capture_stop(cap);                       /* twice: harmless */
	ivxs_capture_get_stats(cap, &st);
	n1 = atomic_load(&R.n);
	CHECK(st.running == 0);
	CHECKF(n1 == 1, "%d frames in 150 ms at 1 fps", n1);
	/* The next frame is 1000 ms away: under half of that proves stop did not
	 * wait for it, with room for a loaded machine (200 ms seen at load 10). */
	CHECKF(stop_ms < 500, "stop took %.1f ms", stop_ms);
	/* restart: same fixed start_ms, timestamps must still go forward */
	ivxs_capture_destroy(&cap);
	CHECK(cap == NULL);
	ivxs_capture_destroy(&cap);                   /* NULL: harmless */
	cfg.fps_num = 50;
	cfg.start_ms = 5000;
	CHECK(create_file(&cap, ring, &cfg) == 0);
	for (i = 0; i < 3; i++) {
		CHECK(ivxs_capture_start(cap) == 0);
		msleep(120);
		ivxs_capture_stop(cap);
	}
	ivxs_capture_get_stats(cap, &st);
	ivxs_capture_destroy(&cap);
	ivxs_ring_destroy(&ring);
	n2 = atomic_load(&R.n);
	CHECKF(n2 - n1 >= 9, "only %d frames over 3 restarts", n2 - n1);
	for (i = n1 + 1; i < n2; i++)
		CHECKF(R.r[i].ts > R.r[i - 1].ts && R.r[i].status == 0,
			"frame %d ts %llu after %llu (status %d)", i, (unsigned long long)R.r[i].ts,
			(unsigned long long)R.r[i - 1].ts, R.r[i].status);
	CHECK(st.ring_errors == 0);
}

/* once mode on the thread: ends by itself; start again reaps and restarts */
static void t_once_thread_ends(void)
{
	NEED_FIXTURE(FX_H265, vpath);
	static recorder R;
	ivxs_capture_file_config cfg;
	ivxs_capture *cap = NULL;
	ivxs_ring *ring = make_ring(16u << 20);
	ivxs_capture_stats st;
	int i;
	static media_info vm;
	CHECK(ring);
	CHECK(media_facts(vpath, IVXS_CODEC_H265, &vm));
	memset(&R, 0, sizeof(R));
	memset(&cfg, 0, sizeof(cfg));
	cfg.video_path = vpath;
	cfg.pace = IVXS_CAPTURE_PACE_FAST;
	cfg.once = 1;
	cfg.observer = observe;
	cfg.observer_ctx = &R;
	CHECK(create_file(&cap, ring, &cfg) == 0);
	CHECK(ivxs_capture_start(cap) == 0);
	for (i = 0; i < 2000; i++) {
		ivxs_capture_get_stats(cap, &st);
		if (!st.running)
			break;
		msleep(1);
	}
	CHECK(!st.running && st.frames_pushed == (uint64_t)vm.frames && st.fatal_error == 0);
	CHECK(ivxs_capture_start(cap) == 0);          /* reaps the finished thread */
	ivxs_capture_stop(cap);
	ivxs_capture_destroy(&cap);
	ivxs_ring_destroy(&ring);
}

static void t_open_errors(void)
{
	char vpath[1200], apath[1200], p[512];
	ivxs_capture_file_config cfg;
	ivxs_capture *cap = NULL;
	ivxs_ring *ring = make_ring(1u << 20);
	int r;
	CHECK(ring);
	CHECKF(fixture(&FX_H264, vpath, sizeof(vpath), NULL), "missing fixture %s", vpath);
	CHECKF(fixture(&FX_AAC, apath, sizeof(apath), NULL), "missing fixture %s", apath);
	memset(&cfg, 0, sizeof(cfg));
	/* argument errors */
	CHECK(create_file(&cap, ring, &cfg) == IVXS_CAPTURE_EARG);
	cfg.video_path = "/nonexistent/dir/x.h264";
	CHECK(create_file(&cap, NULL, &cfg) == IVXS_CAPTURE_EARG);
	cfg.video_codec = IVXS_CODEC_AAC;
	CHECK(create_file(&cap, ring, &cfg) == IVXS_CAPTURE_ECODEC);
	cfg.video_codec = 0;
	/* missing video file */
	CHECK(create_file(&cap, ring, &cfg) == 0);
	r = ivxs_capture_start(cap);
	CHECKF(r == IVXS_CAPTURE_EOPEN, "missing file: %s", ivxs_capture_strerror(r));
	ivxs_capture_destroy(&cap);
	/* text file: no start codes */
	snprintf(p, sizeof(p), "%s/text.h264", g_tmp);
	CHECK(spit(p, "hello, this is not video at all\n", 32));
	cfg.video_path = p;
	CHECK(create_file(&cap, ring, &cfg) == 0);
	r = ivxs_capture_start(cap);
	CHECKF(r == IVXS_CAPTURE_ENOSTART, "text file: %s", ivxs_capture_strerror(r));
	ivxs_capture_destroy(&cap);
	/* empty file */
	snprintf(p, sizeof(p), "%s/empty.h265", g_tmp);
	CHECK(spit(p, "", 0));
	CHECK(create_file(&cap, ring, &cfg) == 0);
	r = ivxs_capture_start(cap);
	CHECKF(r == IVXS_CAPTURE_ENOSTART, "empty file: %s", ivxs_capture_strerror(r));
	ivxs_capture_destroy(&cap);
	/* start codes, but no key frame: the fixture without its IDR AUs */
	{
		size_t n, w = 0;
		uint8_t *data = slurp(vpath, &n), *g;
		static uint8_t buf[(1u << 20) + IVXS_AU_LOOKAHEAD];
		ivxs_au_splitter s;
		ivxs_au au;
		CHECK(data);
		g = malloc(n);
		ivxs_au_init(&s, IVXS_CODEC_H264, buf, sizeof(buf));
		ivxs_au_feed(&s, data, n);
		ivxs_au_end(&s);
		while (ivxs_au_next(&s, &au) == 1)
			if (!au.key) {
				memcpy(g + w, au.data, au.size);
				w += au.size;
			}
		snprintf(p, sizeof(p), "%s/nokey.264", g_tmp);
		spit(p, g, w);
		free(g);
		free(data);
		CHECK(create_file(&cap, ring, &cfg) == 0);
		r = ivxs_capture_start(cap);
		CHECKF(r == IVXS_CAPTURE_ENOKEY, "no key frame: %s", ivxs_capture_strerror(r));
		ivxs_capture_destroy(&cap);
	}
	/* unknown extension, H.264 content: detected from the bytes */
	{
		size_t n;
		uint8_t *data = slurp(vpath, &n);
		CHECK(data);
		snprintf(p, sizeof(p), "%s/video.bin", g_tmp);
		spit(p, data, n);
		free(data);
		CHECK(create_file(&cap, ring, &cfg) == 0);
		cfg.pace = IVXS_CAPTURE_PACE_FAST;
		r = ivxs_capture_prepare(cap);
		CHECKF(r == 0, "codec sniffing: %s", ivxs_capture_strerror(r));
		ivxs_capture_finish(cap);
		ivxs_capture_destroy(&cap);
		cfg.pace = IVXS_CAPTURE_PACE_REALTIME;
	}
	/* bad audio: the video file given as ADTS; missing audio file */
	cfg.video_path = vpath;
	cfg.audio_path = vpath;
	CHECK(create_file(&cap, ring, &cfg) == 0);
	r = ivxs_capture_start(cap);
	CHECKF(r == IVXS_CAPTURE_EADTS, "H.264 as ADTS: %s", ivxs_capture_strerror(r));
	ivxs_capture_destroy(&cap);
	cfg.audio_path = "/nonexistent.aac";
	CHECK(create_file(&cap, ring, &cfg) == 0);
	r = ivxs_capture_start(cap);
	CHECKF(r == IVXS_CAPTURE_EOPEN, "missing audio: %s", ivxs_capture_strerror(r));
	/* after a failed start, a good start works */
	ivxs_capture_destroy(&cap);
	cfg.audio_path = apath;
	CHECK(create_file(&cap, ring, &cfg) == 0);
	CHECK(ivxs_capture_start(cap) == 0);
	ivxs_capture_destroy(&cap);
	ivxs_ring_destroy(&ring);
}

static void t_oversize_in_source(void)
{
	NEED_FIXTURE(FX_H264, vpath);
	static recorder R;
	ivxs_capture_file_config cfg;
	ivxs_capture *cap = NULL;
	ivxs_ring *ring = make_ring(16u << 20);
	ivxs_capture_stats st;
	int r, i, n;
	CHECK(ring);
	memset(&R, 0, sizeof(R));
	memset(&cfg, 0, sizeof(cfg));
	cfg.video_path = vpath;
	cfg.pace = IVXS_CAPTURE_PACE_FAST;
	cfg.once = 1;
	cfg.max_au_bytes = 2000;  /* every key frame is larger: probe finds none */
	CHECK(create_file(&cap, ring, &cfg) == 0);
	r = ivxs_capture_start(cap);
	ivxs_capture_destroy(&cap);
	CHECKF(r == IVXS_CAPTURE_ENOKEY, "tiny max AU: %s", ivxs_capture_strerror(r));
	/* Reorder the GOPs so that the one with the smallest key frame comes
	 * first, and pick a limit between the smallest and largest key frame:
	 * the probe succeeds and a later key frame is too big. */
	{
		size_t nb, off = 0, kmin = (size_t)-1, kmax = 0, w = 0, pos[64] = {0};
		uint8_t *data = slurp(vpath, &nb), *g;
		split_result *a = calloc(1, sizeof(*a));
		int gops = 0, gmin = 0, gi;
		CHECK(data && a);
		split_au(IVXS_CODEC_H264, data, nb, 65536, 0, a);
		for (i = 0; i < a->n; i++) {
			if (a->key[i] && gops < 63) {
				pos[gops] = off;
				if (a->size[i] < kmin) {
					kmin = a->size[i];
					gmin = gops;
				}
				if (a->size[i] > kmax)
					kmax = a->size[i];
				gops++;
			}
			off += a->size[i];
		}
		pos[gops] = nb;
		free(a);
		g = malloc(nb);
		memcpy(g, data + pos[gmin], pos[gmin + 1] - pos[gmin]);
		w = pos[gmin + 1] - pos[gmin];
		for (gi = 0; gi < gops; gi++)
			if (gi != gmin) {
				memcpy(g + w, data + pos[gi], pos[gi + 1] - pos[gi]);
				w += pos[gi + 1] - pos[gi];
			}
		snprintf(vpath, sizeof(vpath), "%s/reordered.h264", g_tmp);
		spit(vpath, g, w);
		free(g);
		free(data);
		CHECKF(kmax > kmin + 2, "key frames all the same size (%zu)", kmin);
		cfg.max_au_bytes = (kmin + kmax) / 2;
	}
	cfg.video_path = vpath;
	cfg.observer = observe;
	cfg.observer_ctx = &R;
	CHECK(create_file(&cap, ring, &cfg) == 0);
	CHECK(ivxs_capture_prepare(cap) == 0);
	while ((r = ivxs_capture_step(cap)) == 1)
		;
	ivxs_capture_get_stats(cap, &st);
	ivxs_capture_finish(cap);
	ivxs_capture_destroy(&cap);
	ivxs_ring_destroy(&ring);
	n = atomic_load(&R.n);
	CHECK(r == 0);
	CHECKF(st.split_errors >= 1 && st.last_split_error == IVXS_CAPTURE_ETOOBIG, "split errors %llu",
		(unsigned long long)st.split_errors);
	/* the GOP after an oversize key frame is dropped until the next key */
	CHECKF(st.dropped >= 15, "dropped %llu", (unsigned long long)st.dropped);
	CHECK(st.ring_errors == 0);
	for (i = 1; i < n; i++)
		CHECK(R.r[i].ts > R.r[i - 1].ts);
}

/* ---- stills -------------------------------------------------------------- */

static void t_stills(void)
{
	NEED_FIXTURE(FX_H264, vpath);
	char sdir[1200], spath[1300];
	const char *vname = NULL;
	static uint8_t buf[1 << 20];
	ivxs_capture_file_config cfg;
	ivxs_capture *cap = NULL;
	ivxs_ring *ring = make_ring(16u << 20);
	size_t len = 0, expn;
	uint64_t ts = 0;
	uint8_t *expect;
	uint32_t fps;
	int r, i, want_idx, nstills = 0;
	static media_info vm;
	DIR *dd;
	struct dirent *e;
	CHECK(ring);
	CHECKF(fixture_stills(sdir, sizeof(sdir)), "missing fixture %s", sdir);
	CHECK(media_facts(vpath, IVXS_CODEC_H264, &vm));
	dd = opendir(sdir);
	CHECK(dd);
	while ((e = readdir(dd)) != NULL)
		nstills += strstr(e->d_name, ".jpg") != NULL;
	closedir(dd);
	CHECK(nstills > 0);
	fixture(&FX_H264, vpath, sizeof(vpath), &vname);
	fps = fps_of(vname);
	memset(&cfg, 0, sizeof(cfg));
	cfg.video_path = vpath;
	cfg.stills_dir = sdir;
	cfg.fps_num = fps;
	cfg.pace = IVXS_CAPTURE_PACE_FAST;
	cfg.start_ms_set = 1;
	cfg.start_ms = 10000;
	CHECK(create_file(&cap, ring, &cfg) == 0);
	CHECK(ivxs_capture_still(cap, buf, sizeof(buf), &len, &ts) == IVXS_CAPTURE_ESTATE);
	CHECK(ivxs_capture_prepare(cap) == 0);
	/* before any frame: still 0 */
	r = ivxs_capture_still(cap, buf, sizeof(buf), &len, &ts);
	CHECKF(r == 0 && ts == 10000, "first still: %d ts %llu", r, (unsigned long long)ts);
	/* walk 2.5 loops; check the still at several positions */
	for (i = 0; i < vm.frames * 5 / 2; i++) {
		CHECK(ivxs_capture_step(cap) == 1);
		if (i % 7 != 0)
			continue;
		want_idx = (int)((uint32_t)(i % vm.frames) / fps) % nstills;
		r = ivxs_capture_still(cap, buf, sizeof(buf), &len, &ts);
		CHECKF(r == want_idx, "after video frame %d: still %d (%s), want %d", i, r,
			r < 0 ? ivxs_capture_strerror(r) : "", want_idx);
		CHECK(ts == 10000 + ivxs_capture_video_offset_us((uint64_t)i, fps, 1) / 1000);
		snprintf(spath, sizeof(spath), "%s/%04d.jpg", sdir, want_idx + 1);
		expect = slurp(spath, &expn);
		CHECKF(expect && expn == len && memcmp(expect, buf, len) == 0, "bytes differ from %s", spath);
		free(expect);
		CHECK(ivxs_capture_jpeg_valid(buf, len));
	}
	/* buffer too small */
	r = ivxs_capture_still(cap, buf, 100, &len, &ts);
	CHECK(r == IVXS_CAPTURE_ENOSPACE && len > 100);
	ivxs_capture_finish(cap);
	ivxs_capture_destroy(&cap);
	ivxs_ring_destroy(&ring);
}

/* Status of ivxs_capture_still() for a source prepared with stills_dir
 * (NULL: not configured); -1000 if the source could not be prepared. */
static int still_status(ivxs_ring *ring, const char *vpath, const char *stills_dir)
{
	static uint8_t buf[65536];
	ivxs_capture_file_config cfg;
	ivxs_capture *cap = NULL;
	size_t len;
	uint64_t ts;
	int r = -1000;
	memset(&cfg, 0, sizeof(cfg));
	cfg.video_path = vpath;
	cfg.pace = IVXS_CAPTURE_PACE_FAST;
	cfg.stills_dir = stills_dir;
	if (create_file(&cap, ring, &cfg) == 0 && ivxs_capture_prepare(cap) == 0)
		r = ivxs_capture_still(cap, buf, sizeof(buf), &len, &ts);
	ivxs_capture_destroy(&cap);
	return r;
}

static void t_stills_errors(void)
{
	NEED_FIXTURE(FX_H264, vpath);
	char empty[600], bad[600], p[700];
	ivxs_ring *ring = make_ring(4u << 20);
	int r;
	CHECK(ring);
	/* an empty folder (other files only) and one with a truncated JPEG */
	snprintf(empty, sizeof(empty), "%s/empty_stills", g_tmp);
	mkdir(empty, 0755);
	snprintf(p, sizeof(p), "%s/readme.txt", empty);
	spit(p, "x", 1);
	snprintf(bad, sizeof(bad), "%s/bad_stills", g_tmp);
	mkdir(bad, 0755);
	snprintf(p, sizeof(p), "%s/0001.jpg", bad);
	spit(p, "\xff\xd8\xff\xe0\x00\x10JFIF\x00 cut short", 21);
	r = still_status(ring, vpath, NULL);
	CHECKF(r == IVXS_CAPTURE_ENOSTILL, "not configured: %s", ivxs_capture_strerror(r));
	r = still_status(ring, vpath, "/nonexistent/stills");
	CHECKF(r == IVXS_CAPTURE_ENOSTILL, "missing folder: %s", ivxs_capture_strerror(r));
	r = still_status(ring, vpath, empty);
	CHECKF(r == IVXS_CAPTURE_ENOSTILL, "empty folder: %s", ivxs_capture_strerror(r));
	r = still_status(ring, vpath, bad);
	CHECKF(r == IVXS_CAPTURE_EJPEG, "bad JPEG: %s", ivxs_capture_strerror(r));
	ivxs_ring_destroy(&ring);
	CHECK(!ivxs_capture_jpeg_valid("\xff\xd8", 2));
	CHECK(ivxs_capture_jpeg_valid("\xff\xd8\xff\xe0\xff\xd9\0\0", 8));
}

/* ---- the core over the source interface (no files, no threads) ---------- */

/* A scripted source: video frames (key or not) at 40 ms, each step one. */
typedef struct {
	const int *keys;
	int count, next, prepares, closes, released;
	uint64_t base;
	uint8_t payload[8];
} fake_source;

static int fake_prepare(void *ctx, ivxs_capture *c)
{
	fake_source *s = ctx;
	s->prepares++;
	s->next = 0;
	s->base = ivxs_capture_base_ms(c);
	return 0;
}

static int fake_step(void *ctx, ivxs_capture *c)
{
	fake_source *s = ctx;
	ivxs_capture_frame f;
	if (s->next == s->count)
		return 0;
	memset(&f, 0, sizeof(f));
	f.type = IVXS_FRAME_VIDEO;
	f.codec = IVXS_CODEC_H264;
	f.key = s->keys[s->next];
	f.index = (uint64_t)s->next;
	f.timestamp_ms = s->base + (uint64_t)s->next * 40;
	f.scheduled_us = ivxs_capture_now_us(c) + 100000;
	f.data = s->payload;
	f.size = sizeof(s->payload);
	if (ivxs_capture_wait_until(c, f.scheduled_us))
		return 0;
	ivxs_capture_emit(c, &f);
	s->next++;
	ivxs_capture_advance(c, s->base + (uint64_t)s->next * 40);
	return 1;
}

static void fake_close(void *ctx) { ((fake_source *)ctx)->closes++; }
static void fake_release(void *ctx) { ((fake_source *)ctx)->released++; }

typedef struct {
	int calls, fail_at;
	uint64_t ts[16];
} fake_sink;

static int fake_sink_push(void *ctx, const ivxs_capture_frame *f)
{
	fake_sink *k = ctx;
	int i = k->calls++;
	if (i < 16)
		k->ts[i] = f->timestamp_ms;
	return i == k->fail_at ? IVXS_RING_ETOOBIG : 0;
}

/* A config with the fake clock at `now` and the fake sink (refusing frame fail_at). */
static void fake_setup(ivxs_capture_config *cfg, ivxs_capture_clock *clk, fake_clock *fc, uint64_t now,
		fake_sink *sink, int fail_at)
{
	memset(sink, 0, sizeof(*sink));
	sink->fail_at = fail_at;
	atomic_store(&fc->now, now);
	atomic_store(&fc->sleeps, 0);
	memset(cfg, 0, sizeof(*cfg));
	cfg->clock = clk;
	cfg->sink = fake_sink_push;
	cfg->sink_ctx = sink;
}

/* The core knows no kind of source: it gates video on key frames (at the
 * start and after a refused frame), counts, paces on the injected clock,
 * ends when the source does, and a restart's timestamps do not go back. */
static void t_core_fake_source(void)
{
	static const int keys[] = { 0, 1, 0, 0, 0, 1, 0 };
	fake_source src;
	fake_sink sink;
	fake_clock fc;
	ivxs_capture_clock clk = { fake_now, fake_sleep, fake_wall, &fc };
	ivxs_capture_config cfg;
	ivxs_capture *cap = NULL;
	ivxs_capture_stats st;
	size_t len = 0;
	uint8_t buf[4];
	int r, steps = 0;
	memset(&src, 0, sizeof(src));
	src.keys = keys;
	src.count = 7;
	fake_setup(&cfg, &clk, &fc, 1000, &sink, 2);   /* the third frame to reach the sink (a P frame) fails */
	cfg.source.prepare = fake_prepare;
	cfg.source.close = fake_close;
	cfg.source.release = fake_release;
	cfg.source.ctx = &src;
	cfg.start_ms_set = 1;
	cfg.start_ms = 5000;
	CHECK(ivxs_capture_create(&cap, &cfg) == IVXS_CAPTURE_EARG && !cap);   /* no step */
	cfg.source.step = fake_step;
	cfg.clock = NULL;
	CHECK(ivxs_capture_create(&cap, &cfg) == IVXS_CAPTURE_EARG);           /* no clock */
	cfg.clock = &clk;
	CHECK(ivxs_capture_create(&cap, &cfg) == 0);
	CHECK(ivxs_capture_step(cap) == IVXS_CAPTURE_ESTATE);
	CHECK(ivxs_capture_prepare(cap) == 0);
	CHECK(ivxs_capture_prepare(cap) == IVXS_CAPTURE_ESTATE);
	CHECK(src.base == 5000);
	while ((r = ivxs_capture_step(cap)) == 1)
		steps++;
	CHECKF(r == 0 && steps == 7, "%d steps, then %d", steps, r);
	ivxs_capture_get_stats(cap, &st);
	/* P dropped (no key yet), K, P, P refused, P dropped (waits for a key), K, P */
	CHECKF(sink.calls == 5 && st.frames_pushed == 4 && st.key_frames == 2 && st.ring_errors == 1 &&
		st.last_ring_error == IVXS_RING_ETOOBIG && st.dropped == 3,
		"sink %d, pushed %llu, keys %llu, refused %llu, dropped %llu", sink.calls,
		(unsigned long long)st.frames_pushed, (unsigned long long)st.key_frames,
		(unsigned long long)st.ring_errors, (unsigned long long)st.dropped);
	CHECK(sink.ts[0] == 5040 && sink.ts[4] == 5240);
	CHECKF(atomic_load(&fc.now) == 1000 + 7 * 100000, "clock at %llu", (unsigned long long)atomic_load(&fc.now));
	CHECK(st.footprint_bytes > 0 && !st.running && st.stills == 0);
	CHECK(ivxs_capture_still(cap, buf, sizeof(buf), &len, NULL) == IVXS_CAPTURE_EUNSUPPORTED);
	ivxs_capture_finish(cap);
	CHECK(src.closes == 1);
	/* restart: the base moves past what was pushed (7 frames of 40 ms) */
	CHECK(ivxs_capture_prepare(cap) == 0);
	CHECKF(src.base == 5280, "restart base %llu", (unsigned long long)src.base);
	ivxs_capture_request_stop(cap);
	CHECK(ivxs_capture_step(cap) == 0);   /* a stop request ends the wait */
	ivxs_capture_destroy(&cap);
	CHECK(!cap && src.closes == 2 && src.released == 1);
}

/* A 64-KiB ring and a push source's config into it: H.264 video, the fake clock `clk`. */
static ivxs_ring *pushRing(ivxs_capture_push_config *pc, const ivxs_capture_clock *clk)
{
	ivxs_ring_config rc;
	ivxs_ring *ring = NULL;
	memset(&rc, 0, sizeof(rc));
	rc.arena_bytes = 64 * 1024;
	if (ivxs_ring_create(&ring, &rc) != 0)
		return NULL;
	memset(pc, 0, sizeof(*pc));
	pc->video_codec = IVXS_CODEC_H264;
	pc->clock = clk;
	pc->sink = ivxs_capture_ring_sink;
	pc->sink_ctx = ring;
	return ring;
}

/* A push source whose audio is G.711 (a board's microphone through its encoder): its frames go
 * into the ring in that law; AAC, the other law and a codec that is no audio are refused. */
static void t_push_source_g711(void)
{
	static const uint8_t idr[] = { 0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68, 0xce, 0, 0, 0, 1, 0x65, 0x88, 0x84 },
		aac[] = { 0xff, 0xf1, 0x50, 0x80, 0x01, 0x3f, 0xfc, 0x21 };
	static uint8_t ulaw[160];
	static fake_clock fc;
	static const ivxs_capture_clock clk = { fake_now, fake_sleep, fake_wall, &fc };
	ivxs_capture_push_config pc;
	ivxs_ring *ring = pushRing(&pc, &clk);
	ivxs_ring_reader *reader = NULL;
	ivxs_capture *cap = NULL;
	ivxs_capture_push *push = NULL;
	ivxs_ring_view v;
	CHECK(ring != NULL);
	memset(ulaw, 0xff, sizeof(ulaw));   /* μ-law silence */
	pc.audio_codec = IVXS_CODEC_H265;
	CHECK(ivxs_capture_create_push(&cap, &push, &pc) == IVXS_CAPTURE_EARG && !cap);
	pc.audio_codec = IVXS_CODEC_PCMU;
	CHECK(ivxs_capture_create_push(&cap, &push, &pc) == 0);
	CHECK(ivxs_capture_push_audio_codec(push) == IVXS_CODEC_PCMU);
	CHECK(ivxs_capture_prepare(cap) == 0);
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 1, 100, idr, sizeof(idr)) == 0);
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_AUDIO, IVXS_CODEC_AAC, 0, 100, aac, sizeof(aac)) == IVXS_CAPTURE_ECODEC);
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_AUDIO, IVXS_CODEC_PCMA, 0, 100, ulaw, sizeof(ulaw)) == IVXS_CAPTURE_ECODEC);
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_AUDIO, IVXS_CODEC_PCMU, 0, 100, ulaw, sizeof(ulaw)) == 0);
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_AUDIO, IVXS_CODEC_PCMU, 0, 120, ulaw, sizeof(ulaw)) == 0);
	CHECK(ivxs_ring_reader_open(ring, IVXS_RING_AT_TIME, 0, &reader) == 0);
	CHECK(ivxs_ring_read(reader, &v) == 1 && v.type == IVXS_FRAME_VIDEO);
	CHECK(ivxs_ring_read(reader, &v) == 1 && v.type == IVXS_FRAME_AUDIO && v.codec == IVXS_CODEC_PCMU && v.size == sizeof(ulaw));
	CHECK(ivxs_ring_read(reader, &v) == 1 && v.timestamp_ms == 1700000000020ull);
	ivxs_ring_reader_close(&reader);
	ivxs_capture_destroy(&cap);
	/* 0 means AAC (configs written before G.711) */
	pc.audio_codec = 0;
	CHECK(ivxs_capture_create_push(&cap, &push, &pc) == 0);
	CHECK(ivxs_capture_push_audio_codec(push) == IVXS_CODEC_AAC);
	ivxs_capture_destroy(&cap);
	ivxs_ring_destroy(&ring);
}

/* The push source over a real ring: what a pusher hands over lands in the ring with its
 * pusher-clock time mapped onto the run's base; every wrong push is refused with nothing
 * stored changed. */
static void t_push_source(void)
{
	static const uint8_t idr[] = { 0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68, 0xce, 0, 0, 0, 1, 0x65, 0x88, 0x84 },
		pslice[] = { 0, 0, 0, 1, 0x41, 0x9a, 0x02 }, aac[] = { 0xff, 0xf1, 0x50, 0x80, 0x01, 0x3f, 0xfc, 0x21 };
	static uint8_t big[70000];
	fake_clock fc = { 0 };
	ivxs_capture_clock clk = { fake_now, fake_sleep, fake_wall, &fc };
	ivxs_capture_push_config pc;
	ivxs_ring *ring = pushRing(&pc, &clk);
	ivxs_ring_reader *reader = NULL;
	ivxs_ring_view v;
	ivxs_ring_stats rs;
	ivxs_capture *cap = NULL;
	ivxs_capture_push *push = NULL;
	ivxs_capture_stats st;
	CHECK(ring != NULL);
	pc.video_codec = IVXS_CODEC_AAC;
	CHECK(ivxs_capture_create_push(&cap, &push, &pc) == IVXS_CAPTURE_EARG && !cap);
	pc.video_codec = IVXS_CODEC_H264;
	CHECK(ivxs_capture_create_push(&cap, &push, &pc) == 0);
	/* before prepare (the plan's start): refused */
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 1, 100, idr, sizeof(idr)) == IVXS_CAPTURE_ESTATE);
	CHECK(ivxs_capture_prepare(cap) == 0);
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 0, 100, pslice, sizeof(pslice)) == IVXS_RING_ENEEDKEY);
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_VIDEO, IVXS_CODEC_H265, 1, 100, idr, sizeof(idr)) == IVXS_CAPTURE_ECODEC);
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_AUDIO, IVXS_CODEC_H264, 0, 100, aac, sizeof(aac)) == IVXS_CAPTURE_ECODEC);
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 1, 100, NULL, 5) == IVXS_CAPTURE_EARG);
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 1, 100, idr, 0) == IVXS_CAPTURE_EARG);
	/* the key frame, with its SPS/PPS: the key flag comes from the bytes even when not given */
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 0, 100, idr, sizeof(idr)) == 0);
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_AUDIO, IVXS_CODEC_AAC, 0, 110, aac, sizeof(aac)) == 0);
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 0, 140, pslice, sizeof(pslice)) == 0);
	ivxs_ring_get_stats(ring, &rs);
	CHECK_EQ(rs.frames_pushed, 3);
	/* wrong pushes change nothing stored */
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 0, 139, pslice, sizeof(pslice)) == IVXS_RING_ETIME);
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_AUDIO, IVXS_CODEC_AAC, 0, 99, aac, sizeof(aac)) == IVXS_RING_ETIME);
	memcpy(big, idr, sizeof(idr));
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 1, 180, big, sizeof(big)) == IVXS_RING_ETOOBIG);
	ivxs_ring_get_stats(ring, &rs);
	CHECK_EQ(rs.frames_pushed, 3);
	/* after a refused video frame the next must be a key frame */
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 0, 220, pslice, sizeof(pslice)) == IVXS_RING_ENEEDKEY);
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 1, 260, idr, sizeof(idr)) == 0);
	ivxs_capture_get_stats(cap, &st);
	CHECKF(st.frames_pushed == 4 && st.video_frames == 3 && st.audio_frames == 1 && st.key_frames == 2 && st.running,
		"pushed %llu video %llu keys %llu", (unsigned long long)st.frames_pushed, (unsigned long long)st.video_frames,
		(unsigned long long)st.key_frames);
	/* timestamps: the run's base (the wall clock) + the pusher's offsets; the key frame carries its info */
	CHECK(ivxs_ring_reader_open(ring, IVXS_RING_AT_TIME, 0, &reader) == 0);
	CHECK(ivxs_ring_read(reader, &v) == 1);
	CHECKF(v.key && v.timestamp_ms == 1700000000000ull && (v.info & IVXS_AU_INFO_KEY) && v.size == sizeof(idr),
		"ts %llu info %x", (unsigned long long)v.timestamp_ms, v.info);
	CHECK(ivxs_ring_read(reader, &v) == 1 && v.type == IVXS_FRAME_AUDIO && v.timestamp_ms == 1700000000010ull);
	CHECK(ivxs_ring_read(reader, &v) == 1 && v.timestamp_ms == 1700000000040ull && !v.key);
	/* stopped (the plan's stop), then started again: refused while stopped, then times go on */
	ivxs_capture_finish(cap);
	ivxs_capture_get_stats(cap, &st);
	CHECK(!st.running);
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 1, 300, idr, sizeof(idr)) == IVXS_CAPTURE_ESTATE);
	CHECK(ivxs_capture_prepare(cap) == 0);
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 1, 5, idr, sizeof(idr)) == 0);
	CHECK(ivxs_ring_read(reader, &v) == 1 && v.timestamp_ms == 1700000000160ull);   /* the key frame after the refused ones */
	CHECK(ivxs_ring_read(reader, &v) == 1);
	CHECKF(v.timestamp_ms == 1700000000161ull, "restart at %llu", (unsigned long long)v.timestamp_ms);

	ivxs_ring_reader_close(&reader);
	ivxs_capture_destroy(&cap);
	ivxs_ring_destroy(&ring);
}

/* A wall clock that moves when the test says (fake_clock's is fixed). */
static uint64_t gMovingWall = 1700000000000ull;
static uint64_t moving_wall(void *ctx) { (void)ctx; return gMovingWall; }

/* A firmware pushes once the plan starts it, seconds after prepare: its first frame lies at the
 * wall clock as it is pushed, not at the run's base (frames stamped seconds in the past were all
 * past the native wire's media deadline: its live viewers got none). */
static void t_push_first_at_wall(void)
{
	static const uint8_t idr[] = { 0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68, 0xce, 0, 0, 0, 1, 0x65, 0x88, 0x84 },
		pslice[] = { 0, 0, 0, 1, 0x41, 0x9a, 0x02 };
	fake_clock fc = { 0 };
	ivxs_capture_clock clk = { fake_now, fake_sleep, moving_wall, &fc };
	ivxs_capture_push_config pc;
	ivxs_ring *ring = pushRing(&pc, &clk);
	ivxs_ring_reader *reader = NULL;
	ivxs_ring_view v;
	ivxs_capture *cap = NULL;
	ivxs_capture_push *push = NULL;
	CHECK(ring != NULL);
	CHECK(ivxs_capture_create_push(&cap, &push, &pc) == 0);
	gMovingWall = 1700000000000ull;
	CHECK(ivxs_capture_prepare(cap) == 0);
	gMovingWall += 4000;   /* the plan's start, 4 s later */
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 1, 100, idr, sizeof(idr)) == 0);
	gMovingWall += 66;
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 0, 166, pslice, sizeof(pslice)) == 0);
	CHECK(ivxs_ring_reader_open(ring, IVXS_RING_AT_TIME, 0, &reader) == 0);
	CHECK(ivxs_ring_read(reader, &v) == 1);
	CHECKF(v.timestamp_ms == 1700000004000ull, "first at %llu", (unsigned long long)v.timestamp_ms);
	CHECK(ivxs_ring_read(reader, &v) == 1 && v.timestamp_ms == 1700000004066ull);
	/* a wall clock behind the run's base (stepped back): the base holds, times never go back */
	ivxs_capture_finish(cap);
	gMovingWall = 1600000000000ull;
	CHECK(ivxs_capture_prepare(cap) == 0);
	CHECK(ivxs_capture_push_frame(push, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, 1, 5, idr, sizeof(idr)) == 0);
	CHECK(ivxs_ring_read(reader, &v) == 1);
	CHECKF(v.timestamp_ms == 1700000004067ull, "after a step back at %llu", (unsigned long long)v.timestamp_ms);
	ivxs_ring_reader_close(&reader);
	ivxs_capture_destroy(&cap);
	ivxs_ring_destroy(&ring);
}

/* A memory stream (as a board would read flash) through the stream core:
 * split, paced on the fake clock, every frame exactly at its schedule. */
typedef struct {
	const uint8_t *bytes[2];
	size_t size[2], pos[2];
	ivxs_capture_stream *stream;
} memory_source;

static long memory_read(void *ctx, ivxs_frame_type t, void *buf, size_t n)
{
	memory_source *m = ctx;
	int i = t == IVXS_FRAME_AUDIO;
	size_t left = m->size[i] - m->pos[i];
	if (n > left)
		n = left;
	memcpy(buf, m->bytes[i] + m->pos[i], n);
	m->pos[i] += n;
	return (long)n;
}

static int memory_rewind(void *ctx, ivxs_frame_type t)
{
	((memory_source *)ctx)->pos[t == IVXS_FRAME_AUDIO] = 0;
	return 0;
}

static int memory_prepare(void *ctx, ivxs_capture *c) { return ivxs_capture_stream_prepare(((memory_source *)ctx)->stream, c); }
static int memory_step(void *ctx, ivxs_capture *c) { return ivxs_capture_stream_step(((memory_source *)ctx)->stream, c); }
static void memory_close(void *ctx) { ivxs_capture_stream_close(((memory_source *)ctx)->stream); }

/* A capture of the memory source `m` with `cfg` (its clock and sink set), run to its end: the status. */
static int run_memory_stream(memory_source *m, ivxs_capture_config *cfg, int status)
{
	ivxs_capture *cap = NULL;
	cfg->source.prepare = memory_prepare;
	cfg->source.step = memory_step;
	cfg->source.close = memory_close;
	cfg->source.ctx = m;
	if (status == 0)
		status = ivxs_capture_create(&cap, cfg);
	if (status == 0)
		status = ivxs_capture_prepare(cap);
	while (status == 0 && (status = ivxs_capture_step(cap)) == 1)
		status = 0;
	ivxs_capture_destroy(&cap);
	return status;
}

static void t_core_memory_stream(void)
{
	NEED_FIXTURE(FX_H264, vpath);
	NEED_FIXTURE(FX_AAC, apath);
	static recorder R;
	static media_info vm, am;
	fake_clock fc;
	ivxs_capture_clock clk = { fake_now, fake_sleep, fake_wall, &fc };
	memory_source m;
	ivxs_capture_stream_config sc;
	ivxs_capture_config cfg;
	fake_sink sink;
	int r, i, n, ok = 1;
	uint8_t *v, *a;
	CHECK(media_facts(vpath, IVXS_CODEC_H264, &vm) && media_facts(apath, IVXS_CODEC_AAC, &am));
	memset(&m, 0, sizeof(m));
	v = slurp(vpath, &m.size[0]);
	a = slurp(apath, &m.size[1]);
	m.bytes[0] = v;
	m.bytes[1] = a;
	memset(&sc, 0, sizeof(sc));
	sc.reader.read = memory_read;
	sc.reader.rewind = memory_rewind;
	sc.reader.ctx = &m;
	sc.has_audio = 1;
	sc.fps_num = 15;
	sc.once = 1;
	r = v && a ? ivxs_capture_stream_create(&m.stream, &sc) : -1;
	memset(&R, 0, sizeof(R));
	fake_setup(&cfg, &clk, &fc, 7, &sink, -1);
	cfg.observer = observe;
	cfg.observer_ctx = &R;
	r = run_memory_stream(&m, &cfg, r);
	ivxs_capture_stream_destroy(&m.stream);
	free(v);
	free(a);
	n = atomic_load(&R.n);
	for (i = 0; i < n; i++)
		ok &= R.r[i].pushed == R.r[i].sched && R.r[i].status == 0;
	CHECKF(r == 0, "status %s", ivxs_capture_strerror(r));
	CHECKF(atomic_load(&R.total_video) == vm.frames && atomic_load(&R.total_audio) == am.frames,
		"%d video (want %d), %d audio (want %d)", atomic_load(&R.total_video), vm.frames,
		atomic_load(&R.total_audio), am.frames);
	CHECK(ok && atomic_load(&fc.sleeps) > 0);
}

/* A G.711 track from PCM in memory beside the video: what the sink got, in order. */
typedef struct {
	const int16_t *samples;
	size_t bytes, pos;
} pcm_memory;

static long pcm_memory_read(void *ctx, ivxs_frame_type t, void *buf, size_t n)
{
	pcm_memory *m = ctx;
	(void)t;
	if (n > m->bytes - m->pos)
		n = m->bytes - m->pos;
	memcpy(buf, (const uint8_t *)m->samples + m->pos, n);
	m->pos += n;
	return (long)n;
}

static int pcm_memory_rewind(void *ctx, ivxs_frame_type t)
{
	(void)t;
	((pcm_memory *)ctx)->pos = 0;
	return 0;
}

typedef struct {
	int video, g711, wrong, disorder;
	uint64_t last_ts, first_g711_ts, last_g711_ts;
	uint8_t first_g711[160];
} track_sink;

static int track_sink_push(void *ctx, const ivxs_capture_frame *f)
{
	track_sink *k = ctx;
	if (f->timestamp_ms < k->last_ts)
		k->disorder++;
	k->last_ts = f->timestamp_ms;
	if (f->type == IVXS_FRAME_VIDEO)
		k->video++;
	else if (f->codec == IVXS_CODEC_PCMA && f->size == 160) {
		if (!k->g711++) {
			k->first_g711_ts = f->timestamp_ms;
			memcpy(k->first_g711, f->data, 160);
		}
		else if (f->timestamp_ms != k->last_g711_ts + 20)
			k->wrong++;
		k->last_g711_ts = f->timestamp_ms;
	}
	else
		k->wrong++;
	return 0;
}

static void t_g711_track(void)
{
	static int16_t samples[8000 + 100];   /* a second and 100 samples (the partial frame at the end is dropped) */
	fake_clock fc;
	ivxs_capture_clock clk = { fake_now, fake_sleep, fake_wall, &fc };
	memory_source m;
	pcm_memory pm = { samples, sizeof(samples), 0 };
	ivxs_capture_reader pcm = { pcm_memory_read, pcm_memory_rewind, &pm };
	ivxs_capture_stream_config sc;
	ivxs_capture_config cfg;
	ivxs_capture *cap = NULL;
	fake_sink unused;
	track_sink k;
	uint8_t expect[160];
	int r, i;
	uint8_t *v = NULL;
	memset(&m, 0, sizeof(m));
	NEED_FIXTURE(FX_H264, vpath);
	for (i = 0; i < (int)(sizeof(samples) / 2); i++)
		samples[i] = (int16_t)((i % 40 - 20) * 800);   /* a 200 Hz sawtooth */
	v = slurp(vpath, &m.size[0]);
	m.bytes[0] = v;
	memset(&sc, 0, sizeof(sc));
	sc.reader.read = memory_read;
	sc.reader.rewind = memory_rewind;
	sc.reader.ctx = &m;
	sc.pcm = &pcm;
	sc.pcm_codec = IVXS_CODEC_H264;
	sc.fps_num = 15;
	sc.once = 1;
	CHECK_EQ(ivxs_capture_stream_create(&m.stream, &sc), IVXS_CAPTURE_ECODEC);   /* not a G.711 law */
	sc.pcm_codec = IVXS_CODEC_PCMA;
	r = v ? ivxs_capture_stream_create(&m.stream, &sc) : -1;
	fake_setup(&cfg, &clk, &fc, 7, &unused, -1);
	memset(&k, 0, sizeof(k));
	cfg.sink = track_sink_push;
	cfg.sink_ctx = &k;
	r = run_memory_stream(&m, &cfg, r);
	CHECKF(r == 0, "status %s", ivxs_capture_strerror(r));
	ivxs_g711_encode(1, samples, 160, expect);
	NOTE("%d video, %d G.711 frames (%llu..%llu ms)", k.video, k.g711, (unsigned long long)k.first_g711_ts, (unsigned long long)k.last_g711_ts);
	CHECK_EQ(k.g711, 50);                        /* 20-ms frames of the whole second */
	CHECK(k.video == 60 && !k.wrong && !k.disorder);   /* every track in timestamp order */
	CHECK(!memcmp(k.first_g711, expect, 160));   /* A-law of the first 160 samples */
	/* PCM shorter than one frame: prepare says so */
	pm.bytes = 100;
	pm.pos = 0;
	m.pos[0] = 0;
	r = ivxs_capture_create(&cap, &cfg);
	CHECK_EQ(r, 0);
	CHECK_EQ(ivxs_capture_prepare(cap), IVXS_CAPTURE_ETRUNC);
	ivxs_capture_destroy(&cap);
	ivxs_capture_stream_destroy(&m.stream);
	free(v);
}

/* ---- V4L2 ---------------------------------------------------------------- */

static void t_v4l2_errors(void)
{
	ivxs_capture_v4l2_config cfg;
	ivxs_capture *cap = NULL;
	ivxs_ring *ring = make_ring(1u << 20);
	char p[600];
	int r;
	CHECK(ring);
	memset(&cfg, 0, sizeof(cfg));
	CHECK(create_v4l2(&cap, ring, &cfg) == IVXS_CAPTURE_EARG);
	cfg.device = "/dev/video-does-not-exist";
	CHECK(create_v4l2(&cap, ring, &cfg) == 0);
	r = ivxs_capture_start(cap);
	CHECKF(r == IVXS_CAPTURE_EOPEN, "missing device: %s", ivxs_capture_strerror(r));
	ivxs_capture_stop(cap);
	ivxs_capture_destroy(&cap);
	cfg.device = "/dev/null";
	CHECK(create_v4l2(&cap, ring, &cfg) == 0);
	r = ivxs_capture_start(cap);
	CHECKF(r == IVXS_CAPTURE_ENOTDEV, "/dev/null: %s", ivxs_capture_strerror(r));
	CHECK(ivxs_capture_still(cap, p, sizeof(p), &(size_t){0}, NULL) == IVXS_CAPTURE_EUNSUPPORTED);
	r = ivxs_capture_prepare(cap);   /* threadless, like any source */
	CHECKF(r == IVXS_CAPTURE_ENOTDEV, "/dev/null, threadless: %s", ivxs_capture_strerror(r));
	ivxs_capture_destroy(&cap);
	snprintf(p, sizeof(p), "%s/regular-file", g_tmp);
	spit(p, "x", 1);
	cfg.device = p;
	CHECK(create_v4l2(&cap, ring, &cfg) == 0);
	r = ivxs_capture_start(cap);
	CHECKF(r == IVXS_CAPTURE_ENOTDEV, "regular file: %s", ivxs_capture_strerror(r));
	ivxs_capture_destroy(&cap);
	cfg.buffers = 1000;
	cfg.device = "/dev/null";
	CHECK(create_v4l2(&cap, ring, &cfg) == IVXS_CAPTURE_EARG);
	ivxs_ring_destroy(&ring);
}

/* ---- main ---------------------------------------------------------------- */

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[1024];
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("IVXS_FIXTURES");
	snprintf(g_dir, sizeof(g_dir), "%s", dir && dir[0] ? dir : "fixtures/media");
	snprintf(g_tmp, sizeof(g_tmp), "/tmp/ivxs-capture-test-XXXXXX");
	if (!mkdtemp(g_tmp)) {
		perror("mkdtemp");
		return 2;
	}
	printf("fixtures: %s\n", g_dir);
	ivxs_test_run("h264 fixture: AU count matches ffprobe, key AUs carry SPS/PPS", t_h264_fixture);
	ivxs_test_run("h265 fixture: AU count matches ffprobe, key AUs carry VPS/SPS/PPS", t_h265_fixture);
	ivxs_test_run("h264 with B-frames: AU count matches ffprobe", t_h264_bframes_fixture);
	ivxs_test_run("h264: 1-byte and random chunks give the same AUs as one chunk", t_h264_byte_at_a_time);
	ivxs_test_run("h265: 1-byte and random chunks give the same AUs as one chunk", t_h265_byte_at_a_time);
	ivxs_test_run("space/commit feeding gives the same AUs as feed", t_space_commit);
	ivxs_test_run("describe() agrees with the splitter", t_describe);
	ivxs_test_run("garbage before the first start code: one EGARBAGE, no AU lost", t_garbage_at_start);
	ivxs_test_run("bad NAL header mid-stream: one EGARBAGE, no AU lost", t_garbage_mid_stream);
	ivxs_test_run("AU above the maximum: ETOOBIG each, the rest intact", t_oversize_au);
	ivxs_test_run("truncated stream: AUs before it, then one ETRUNC", t_truncated);
	ivxs_test_run("no start code at all: one EGARBAGE, no AU", t_no_start_code);
	ivxs_test_run("splitter argument checks", t_au_bad_args);
	ivxs_test_run("oversize AU with a start code at the end of the full buffer: no stall", t_oversize_progress);
	ivxs_test_run("prepare returns on that stream (10 s timeout)", t_oversize_prepare_returns);
	ivxs_test_run("splitter, scanner and grouping agree on the cases they once disagreed on", t_agree_cases);
	ivxs_test_run("mutated streams: splitters finish, every byte accounted for", t_fuzz);
	ivxs_test_run("adts fixture: frame count matches ffprobe, 1-byte feeding same", t_adts_fixture);
	ivxs_test_run("adts resync after junk and after a broken header", t_adts_resync);
	ivxs_test_run("adts truncated final frame: ETRUNC", t_adts_truncated);
	ivxs_test_run("pacing arithmetic", t_pacing_math);
	ivxs_test_run("strerror covers every code", t_strerror);
	ivxs_test_run("fake clock: each push exactly at its schedule, loops keep ts increasing", t_fake_clock_pacing_and_loop);
	ivxs_test_run("as fast as possible, threadless, once: no sleeps, 25 fps default ts, AU info to the sink", t_fast_threadless_once);
	ivxs_test_run("real clock: frames on schedule (none early, median under 1 ms, 90 % within 5 ms)", t_realtime_pacing);
	ivxs_test_run("start/stop/restart; stop is prompt and repeatable", t_start_stop_restart);
	ivxs_test_run("once mode: thread ends at EOF; start again works", t_once_thread_ends);
	ivxs_test_run("open errors: missing, text, empty, no key frame, bad ADTS", t_open_errors);
	ivxs_test_run("oversize AUs in the source: dropped to next key frame", t_oversize_in_source);
	ivxs_test_run("stills follow the clip position", t_stills);
	ivxs_test_run("stills errors: none configured, missing, empty, bad JPEG", t_stills_errors);
	ivxs_test_run("core over a fake source: key gating, counts, injected clock, restart base", t_core_fake_source);
	ivxs_test_run("core over a memory stream: split and paced without files", t_core_memory_stream);
	ivxs_test_run("a G.711 track from PCM beside the video: 20-ms frames of the law asked, in timestamp order; too short a PCM stream refused at prepare", t_g711_track);
	ivxs_test_run("push source: pushes reach the ring mapped onto the run's time; wrong pushes change nothing", t_push_source);
	ivxs_test_run("push source: a run's first push lies at the wall clock as it is pushed, never before the run's base", t_push_first_at_wall);
	ivxs_test_run("push source with G.711 audio: a board microphone's frames reach the ring in its law; AAC and the other law refused", t_push_source_g711);
	ivxs_test_run("v4l2: missing device, /dev/null, regular file", t_v4l2_errors);
	rm_tree(g_tmp);
	return ivxs_test_summary();
}
