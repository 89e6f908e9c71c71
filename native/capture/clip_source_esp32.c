/*
 * The board's file source: the Linux file source's twin, its "files" data partitions of the flash
 * (by label), each holding one stream — Annex-B video, ADTS AAC audio, or 16-bit PCM for a G.711
 * track — read through esp_partition_mmap into the stream core (capture_stream.c), paced in real
 * time and looped as the Linux file source does. What the emulator and a board without a camera
 * play (hosts/esp32s3/README.md).
 *
 * A partition's layout (npm run board -- build writes it: scripts/board.mjs clipImage):
 *   0..7   "IVXSCLIP"
 *   8..11  the stream's length in bytes, little-endian
 *   12..15 0
 *   16..   the stream
 * The rest of the partition is whatever the flash holds (erased: 0xFF) and is never read.
 *
 * The stills (snapshots, each the JPEG of the clip's second: ivxs_capture_still_index, as the
 * Linux file source matches its folder's) are a partition of their own, named by the channel's
 * `stills`, read with esp_partition_read when one is asked for (a still is rare; nothing mapped):
 *   0..7   "IVXSSTIL"
 *   8..11  how many stills, little-endian
 *   12..15 0
 *   16..   each still: its length in bytes (u32, little-endian), then its JPEG
 * A camera module (or the test pattern) is the other board source: sensor_source_esp32.c.
 */
#include "capture_linux.h"
#include "ivxs_bytes.h"

#include "esp_partition.h"

#include <stdlib.h>
#include <string.h>

#define CLIP_MAGIC "IVXSCLIP"
#define STILLS_MAGIC "IVXSSTIL"
#define CLIP_HEADER 16

typedef struct {
	const uint8_t *data;   /* the stream, in the mapped partition */
	uint32_t size, pos;
	esp_partition_mmap_handle_t map;
	int mapped;
} clip_stream;

typedef struct {
	char *label[3];          /* video, audio, pcm (NULL: none) */
	clip_stream s[3];
	ivxs_capture_stream *stream;
	char *stills_label;      /* NULL: no stills */
	const esp_partition_t *stills;
	uint32_t nstills;        /* found at prepare */
	int stills_error;
} clip_source;

enum { CLIP_VIDEO = 0, CLIP_AUDIO = 1, CLIP_PCM = 2 };

/* Maps the partition `label` and checks its header: its stream, or a status. */
static int clip_map(clip_stream *s, const char *label)
{
	const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, label);
	uint8_t head[CLIP_HEADER];
	uint32_t size;
	const void *base;
	if (!p)
		return IVXS_CAPTURE_EOPEN;   /* no partition of that label */
	if (p->size < CLIP_HEADER || esp_partition_read(p, 0, head, sizeof(head)) != ESP_OK)
		return IVXS_CAPTURE_EREAD;
	size = ivxs_get_le32(head + 8);
	if (memcmp(head, CLIP_MAGIC, 8) || size == 0 || size > p->size - CLIP_HEADER)
		return IVXS_CAPTURE_EOPEN;     /* not a clip partition (no header), or a length past its end */
	if (esp_partition_mmap(p, 0, CLIP_HEADER + size, ESP_PARTITION_MMAP_DATA, &base, &s->map) != ESP_OK)
		return IVXS_CAPTURE_ENOMEM;    /* no room in the cache's address space */
	s->mapped = 1;
	s->data = (const uint8_t *)base + CLIP_HEADER;
	s->size = size;
	s->pos = 0;
	return IVXS_CAPTURE_OK;
}

static void clip_unmap(clip_stream *s)
{
	if (s->mapped)
		esp_partition_munmap(s->map);
	memset(s, 0, sizeof(*s));
}

/* Finds the stills partition and reads its count: 0 and a status when there is none to read. */
static void stills_find(clip_source *cs)
{
	uint8_t head[CLIP_HEADER];
	cs->stills = NULL;
	cs->nstills = 0;
	cs->stills_error = IVXS_CAPTURE_ENOSTILL;
	if (!cs->stills_label)
		return;
	cs->stills = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, cs->stills_label);
	if (!cs->stills || cs->stills->size < CLIP_HEADER || esp_partition_read(cs->stills, 0, head, sizeof(head)) != ESP_OK
		|| memcmp(head, STILLS_MAGIC, 8) || !ivxs_get_le32(head + 8)) {
		cs->stills = NULL;
		return;   /* no such partition, or not a stills partition: no stills, as an empty folder */
	}
	cs->nstills = ivxs_get_le32(head + 8);
	cs->stills_error = 0;
}

static long stream_read(clip_stream *s, void *buf, size_t n)
{
	size_t left = s->size - s->pos;
	if (n > left)
		n = left;
	memcpy(buf, s->data + s->pos, n);
	s->pos += (uint32_t)n;
	return (long)n;
}

static long clip_read(void *ctx, ivxs_frame_type stream, void *buf, size_t n)
{
	clip_source *cs = ctx;
	return stream_read(&cs->s[stream == IVXS_FRAME_AUDIO ? CLIP_AUDIO : CLIP_VIDEO], buf, n);
}

static int clip_rewind(void *ctx, ivxs_frame_type stream)
{
	clip_source *cs = ctx;
	cs->s[stream == IVXS_FRAME_AUDIO ? CLIP_AUDIO : CLIP_VIDEO].pos = 0;
	return 0;
}

static long pcm_read(void *ctx, ivxs_frame_type stream, void *buf, size_t n)
{
	(void)stream;
	return stream_read(&((clip_source *)ctx)->s[CLIP_PCM], buf, n);
}

static int pcm_rewind(void *ctx, ivxs_frame_type stream)
{
	(void)stream;
	((clip_source *)ctx)->s[CLIP_PCM].pos = 0;
	return 0;
}

static void clip_close(void *ctx)
{
	clip_source *cs = ctx;
	int i;
	if (cs->stream)
		ivxs_capture_stream_close(cs->stream);
	for (i = 0; i < 3; i++)
		clip_unmap(&cs->s[i]);
}

static int clip_prepare(void *ctx, ivxs_capture *c)
{
	clip_source *cs = ctx;
	int i, r;
	for (i = 0; i < 3; i++) {
		if (!cs->label[i])
			continue;
		r = clip_map(&cs->s[i], cs->label[i]);
		if (r) {
			clip_close(cs);
			return r;
		}
	}
	stills_find(cs);
	r = ivxs_capture_stream_prepare(cs->stream, c);
	if (r)
		clip_close(cs);
	return r;
}

static int clip_step(void *ctx, ivxs_capture *c)
{
	return ivxs_capture_stream_step(((clip_source *)ctx)->stream, c);
}

static void clip_release(void *ctx)
{
	clip_source *cs = ctx;
	int i;
	clip_close(cs);
	ivxs_capture_stream_destroy(&cs->stream);
	for (i = 0; i < 3; i++)
		free(cs->label[i]);
	free(cs->stills_label);
	free(cs);
}

static void clip_stats(void *ctx, ivxs_capture_stats *o)
{
	clip_source *cs = ctx;
	o->stills = cs->nstills;
	o->footprint_bytes += sizeof(*cs) + ivxs_capture_stream_footprint(cs->stream);
}

/* The still at the clip position of the last video frame pushed: the partition's stills walked to
 * it, each length checked against the partition's end. */
static int clip_still(void *ctx, void *buf, size_t cap, size_t *len)
{
	clip_source *cs = ctx;
	const esp_partition_t *p = cs->stills;
	uint32_t idx, i, at = CLIP_HEADER, n = 0;
	uint8_t word[4];
	*len = 0;
	if (!p)
		return cs->stills_error ? cs->stills_error : IVXS_CAPTURE_ENOSTILL;
	idx = ivxs_capture_still_index(ivxs_capture_stream_clip_us(cs->stream), cs->nstills);
	for (i = 0; ; i++) {
		if (at > p->size - 4 || esp_partition_read(p, at, word, 4) != ESP_OK)
			return IVXS_CAPTURE_EREAD;
		n = ivxs_get_le32(word);
		if (n > p->size - at - 4)
			return IVXS_CAPTURE_EREAD;   /* a length past the partition's end */
		if (i == idx)
			break;
		at += 4 + n;
	}
	*len = n;
	if (n > cap)
		return IVXS_CAPTURE_ENOSPACE;
	if (esp_partition_read(p, at + 4, buf, n) != ESP_OK) {
		*len = 0;
		return IVXS_CAPTURE_EREAD;
	}
	if (!ivxs_capture_jpeg_valid(buf, n))
		return IVXS_CAPTURE_EJPEG;
	return (int)idx;
}

static const ivxs_capture_source clip_interface = {
	clip_prepare, clip_step, clip_close, clip_release, clip_stats, clip_still, NULL
};

/* video_path, audio_path, pcm_path, stills_dir: partition labels. */
int ivxs_capture_create_file(ivxs_capture **out, const ivxs_capture_file_config *cfg)
{
	clip_source *cs;
	ivxs_capture_stream_config sc;
	ivxs_capture_config cc;
	ivxs_capture_reader pcm = { pcm_read, pcm_rewind, NULL };
	int r;
	if (!out)
		return IVXS_CAPTURE_EARG;
	*out = NULL;
	if (!cfg || !cfg->video_path || !cfg->video_path[0])
		return IVXS_CAPTURE_EARG;
	cs = calloc(1, sizeof(*cs));
	if (!cs)
		return IVXS_CAPTURE_ENOMEM;
	cs->label[CLIP_VIDEO] = ivxs_capture_dup_str(cfg->video_path);
	cs->label[CLIP_AUDIO] = ivxs_capture_dup_str(cfg->audio_path);
	cs->label[CLIP_PCM] = ivxs_capture_dup_str(cfg->pcm_path);
	cs->stills_label = ivxs_capture_dup_str(cfg->stills_dir);
	memset(&sc, 0, sizeof(sc));
	sc.reader.read = clip_read;
	sc.reader.rewind = clip_rewind;
	sc.reader.ctx = cs;
	sc.has_audio = cs->label[CLIP_AUDIO] != NULL;
	pcm.ctx = cs;
	sc.pcm = cs->label[CLIP_PCM] ? &pcm : NULL;
	sc.video_codec = cfg->video_codec;   /* 0: from the first NAL */
	IVXS_CAPTURE_STREAM_FROM_FILE(&sc, cfg);
	memset(&cc, 0, sizeof(cc));
	cc.source = clip_interface;
	cc.source.ctx = cs;
	IVXS_CAPTURE_COPY_COMMON(&cc, cfg);
	r = !cs->label[CLIP_VIDEO] || (cfg->audio_path && cfg->audio_path[0] && !cs->label[CLIP_AUDIO]) ||
		(cfg->pcm_path && cfg->pcm_path[0] && !cs->label[CLIP_PCM]) || (cfg->stills_dir && cfg->stills_dir[0] && !cs->stills_label)
		? IVXS_CAPTURE_ENOMEM : IVXS_CAPTURE_OK;
	if (!r)
		r = ivxs_capture_stream_create(&cs->stream, &sc);
	if (!r)
		r = ivxs_capture_create(out, &cc);
	if (r)
		clip_release(cs);
	return r;
}
