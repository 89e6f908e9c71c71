/*
 * The benchmark's frames file and frame header, for its C programs (udp-p2p.c,
 * p2p-sim.c); frames.mjs is their definition: records of { u32 BE size, u8
 * flags (bit 0: key frame), payload }, and on the wire each frame carries a
 * 17-byte header (u32 BE size, u32 BE seq, u64 BE capture time in ns, u8 flags).
 * And the camera's figures both report. The including file defines die().
 */
#ifndef BENCH_P2P_FRAMES_FILE_H
#define BENCH_P2P_FRAMES_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2p.h"

#define HEADER_BYTES 17
#define FLAG_KEY 1

typedef struct {
	const uint8_t *payload;
	uint32_t size;
	int key;
} frame_rec;

typedef struct {
	uint8_t *file;
	frame_rec *list;
	uint32_t count;
} frames_file;

static void die(const char *what, const char *detail);

static inline void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static inline void read_frames(const char *path, frames_file *ff)
{
	FILE *f = fopen(path, "rb");
	long size;
	size_t at = 0, n = 0;
	if (!f)
		die("cannot open the frames file", path);
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
		die("cannot size the frames file", path);
	ff->file = malloc((size_t)size);
	if (!ff->file || fread(ff->file, 1, (size_t)size, f) != (size_t)size)
		die("cannot read the frames file", path);
	fclose(f);
	/* two passes: count, then index */
	for (int pass = 0; pass < 2; pass++) {
		at = 0;
		n = 0;
		while (at < (size_t)size) {
			uint32_t len;
			if ((size_t)size - at < 5)
				die("truncated record header in", path);
			len = get32(ff->file + at);
			if ((size_t)size - at - 5 < len)
				die("truncated frame in", path);
			if (pass) {
				ff->list[n].payload = ff->file + at + 5;
				ff->list[n].size = len;
				ff->list[n].key = ff->file[at + 4] & FLAG_KEY;
			}
			at += 5 + (size_t)len;
			n++;
		}
		if (!pass && !(ff->list = calloc(n, sizeof(frame_rec))))
			die("out of memory", NULL);
	}
	ff->count = (uint32_t)n;
	if (!n)
		die("no frames in", path);
}

/* The largest frame of the file with its header: the size of a buffer for frame_with_header(). */
static inline size_t frame_buffer_bytes(const frames_file *ff)
{
	size_t most = 0;
	for (uint32_t i = 0; i < ff->count; i++)
		if (ff->list[i].size + HEADER_BYTES > most)
			most = ff->list[i].size + HEADER_BYTES;
	return most;
}

/* Scheduled frame `seq` (the file looped) with its header, into buf; returns its size. */
static inline uint32_t frame_with_header(const frames_file *ff, uint32_t seq, uint64_t capture_ns, uint8_t *buf)
{
	const frame_rec *f = &ff->list[seq % ff->count];
	be32(buf, f->size);
	be32(buf + 4, seq);
	be32(buf + 8, (uint32_t)(capture_ns >> 32));
	be32(buf + 12, (uint32_t)capture_ns);
	buf[16] = f->key ? FLAG_KEY : 0;
	for (uint32_t i = 0; i < f->size; i++)
		buf[HEADER_BYTES + i] = f->payload[i];
	return f->size + HEADER_BYTES;
}

/* 1 if a received frame is scheduled frame `seq`'s payload, whole and unaltered. */
static inline int frame_intact(const frames_file *ff, const uint8_t *data, uint32_t size)
{
	const frame_rec *f;
	uint32_t i;
	if (size < HEADER_BYTES)
		return 0;
	f = &ff->list[get32(data + 4) % ff->count];
	if (get32(data) != size - HEADER_BYTES || f->size != size - HEADER_BYTES)
		return 0;
	for (i = 0; i < f->size; i++)
		if (data[HEADER_BYTES + i] != f->payload[i])
			return 0;
	return 1;
}

/* The camera session's figures and its media channel's (zeros without a session). */
static inline void camera_figures(const ivxs_p2p_session *s, ivxs_p2p_session_stats *st, ivxs_p2p_channel_stats *ch)
{
	memset(st, 0, sizeof(*st));
	memset(ch, 0, sizeof(*ch));
	if (s) {
		ivxs_p2p_session_stats_get(s, st);
		ivxs_p2p_channel_stats_get(s, IVXS_P2P_CH_MEDIA, ch);
	}
}

#endif
