/*
 * The file source (Linux): an Annex-B video file and an optional ADTS audio
 * file read with stdio into the stream source core (capture_stream.c), and
 * JPEG stills matched to the clip position, listed once at start and read on
 * request (see capture.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "capture_linux.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	char *video_path, *audio_path, *pcm_path, *stills_dir;
	FILE *vf, *af, *pf;
	ivxs_capture_stream *stream;
	/* stills (listed at start) */
	char *stills_block;
	size_t stills_bytes;        /* both stills allocations, for footprint_bytes */
	char **stills;
	uint32_t nstills;
	int stills_error;
} file_source;

static int ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix), i;
	if (m > n)
		return 0;
	for (i = 0; i < m; i++) {
		char a = s[n - m + i], b = suffix[i];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

static ivxs_codec codec_from_name(const char *path)
{
	if (ends_with_ci(path, ".h264") || ends_with_ci(path, ".264") || ends_with_ci(path, ".avc"))
		return IVXS_CODEC_H264;
	if (ends_with_ci(path, ".h265") || ends_with_ci(path, ".265") || ends_with_ci(path, ".hevc"))
		return IVXS_CODEC_H265;
	return (ivxs_codec)0;
}

static void free_stills(file_source *c)
{
	free(c->stills);
	free(c->stills_block);
	c->stills = NULL;
	c->stills_block = NULL;
	c->nstills = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* List *.jpg / *.jpeg once at start: one block for the names, one array. */
static void list_stills(file_source *c)
{
	DIR *d;
	struct dirent *e;
	size_t count = 0, bytes = 0, dl, i = 0;
	char *p;
	free_stills(c);
	if (!c->stills_dir) {
		c->stills_error = IVXS_CAPTURE_ENOSTILL;
		return;
	}
	d = opendir(c->stills_dir);
	if (!d) {
		c->stills_error = IVXS_CAPTURE_ENOSTILL;
		return;
	}
	dl = strlen(c->stills_dir);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || !(ends_with_ci(e->d_name, ".jpg") || ends_with_ci(e->d_name, ".jpeg")))
			continue;
		count++;
		bytes += dl + 1 + strlen(e->d_name) + 1;
	}
	if (count == 0 || count > UINT32_MAX) {
		closedir(d);
		c->stills_error = IVXS_CAPTURE_ENOSTILL;
		return;
	}
	c->stills = malloc(count * sizeof(char *));
	c->stills_block = malloc(bytes);
	c->stills_bytes = count * sizeof(char *) + bytes;
	if (!c->stills || !c->stills_block) {
		closedir(d);
		free_stills(c);
		c->stills_error = IVXS_CAPTURE_ENOMEM;
		return;
	}
	rewinddir(d);
	p = c->stills_block;
	while ((e = readdir(d)) != NULL && i < count) {
		size_t nl;
		if (e->d_name[0] == '.' || !(ends_with_ci(e->d_name, ".jpg") || ends_with_ci(e->d_name, ".jpeg")))
			continue;
		nl = strlen(e->d_name);
		if ((size_t)(p - c->stills_block) + dl + nl + 2 > bytes)
			break;  /* directory grew meanwhile */
		memcpy(p, c->stills_dir, dl);
		p[dl] = '/';
		memcpy(p + dl + 1, e->d_name, nl + 1);
		c->stills[i++] = p;
		p += dl + nl + 2;
	}
	closedir(d);
	qsort(c->stills, i, sizeof(char *), cmp_str);
	c->nstills = (uint32_t)i;
	c->stills_error = i ? 0 : IVXS_CAPTURE_ENOSTILL;
}

/* ---- the reader ----------------------------------------------------------- */

static long file_read(void *ctx, ivxs_frame_type stream, void *buf, size_t n)
{
	file_source *fs = ctx;
	FILE *f = stream == IVXS_FRAME_AUDIO ? fs->af : fs->vf;
	size_t got = fread(buf, 1, n, f);
	if (got == 0 && ferror(f))
		return IVXS_CAPTURE_EREAD;
	return (long)got;
}

static int file_rewind(void *ctx, ivxs_frame_type stream)
{
	file_source *fs = ctx;
	FILE *f = stream == IVXS_FRAME_AUDIO ? fs->af : fs->vf;
	int r = fseek(f, 0, SEEK_SET);
	clearerr(f);
	return r == 0 ? 0 : IVXS_CAPTURE_EREAD;
}

/* The PCM file of the G.711 track (its stream argument is always audio). */
static long pcm_read(void *ctx, ivxs_frame_type stream, void *buf, size_t n)
{
	file_source *fs = ctx;
	size_t got = fread(buf, 1, n, fs->pf);
	(void)stream;
	if (got == 0 && ferror(fs->pf))
		return IVXS_CAPTURE_EREAD;
	return (long)got;
}

static int pcm_rewind(void *ctx, ivxs_frame_type stream)
{
	file_source *fs = ctx;
	int r = fseek(fs->pf, 0, SEEK_SET);
	(void)stream;
	clearerr(fs->pf);
	return r == 0 ? 0 : IVXS_CAPTURE_EREAD;
}

/* ---- the source interface ------------------------------------------------ */

static void file_close(void *ctx)
{
	file_source *fs = ctx;
	ivxs_capture_stream_close(fs->stream);
	if (fs->vf)
		fclose(fs->vf);
	if (fs->af)
		fclose(fs->af);
	if (fs->pf)
		fclose(fs->pf);
	fs->vf = fs->af = fs->pf = NULL;
	free_stills(fs);
}

static int file_prepare(void *ctx, ivxs_capture *c)
{
	file_source *fs = ctx;
	int r;
	fs->vf = fopen(fs->video_path, "rb");
	if (!fs->vf)
		return IVXS_CAPTURE_EOPEN;
	if (fs->audio_path) {
		fs->af = fopen(fs->audio_path, "rb");
		if (!fs->af) {
			file_close(fs);
			return IVXS_CAPTURE_EOPEN;
		}
	}
	if (fs->pcm_path) {
		fs->pf = fopen(fs->pcm_path, "rb");
		if (!fs->pf) {
			file_close(fs);
			return IVXS_CAPTURE_EOPEN;
		}
	}
	r = ivxs_capture_stream_prepare(fs->stream, c);
	if (r) {
		file_close(fs);
		return r;
	}
	list_stills(fs);
	return IVXS_CAPTURE_OK;
}

static int file_step(void *ctx, ivxs_capture *c)
{
	return ivxs_capture_stream_step(((file_source *)ctx)->stream, c);
}

static void file_release(void *ctx)
{
	file_source *fs = ctx;
	file_close(fs);
	ivxs_capture_stream_destroy(&fs->stream);
	free(fs->video_path);
	free(fs->audio_path);
	free(fs->pcm_path);
	free(fs->stills_dir);
	free(fs);
}

static void file_stats(void *ctx, ivxs_capture_stats *o)
{
	file_source *fs = ctx;
	o->stills = fs->nstills;
	o->footprint_bytes += sizeof(*fs) + ivxs_capture_stream_footprint(fs->stream) +
		(fs->stills ? fs->stills_bytes : 0);
}

/* The still at the clip position of the last video frame pushed. */
static int file_still(void *ctx, void *buf, size_t cap, size_t *len)
{
	file_source *fs = ctx;
	uint32_t idx;
	FILE *f;
	long size;
	size_t n;
	if (!fs->nstills)
		return fs->stills_error ? fs->stills_error : IVXS_CAPTURE_ENOSTILL;
	idx = ivxs_capture_still_index(ivxs_capture_stream_clip_us(fs->stream), fs->nstills);
	f = fopen(fs->stills[idx], "rb");
	if (!f)
		return IVXS_CAPTURE_EOPEN;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return IVXS_CAPTURE_EREAD;
	}
	*len = (size_t)size;
	if ((size_t)size > cap) {
		fclose(f);
		return IVXS_CAPTURE_ENOSPACE;
	}
	n = fread(buf, 1, (size_t)size, f);
	fclose(f);
	if (n != (size_t)size) {
		*len = 0;
		return IVXS_CAPTURE_EREAD;
	}
	if (!ivxs_capture_jpeg_valid(buf, n))
		return IVXS_CAPTURE_EJPEG;
	return (int)idx;
}

static const ivxs_capture_source file_interface = {
	file_prepare, file_step, file_close, file_release, file_stats, file_still, NULL
};

int ivxs_capture_create_file(ivxs_capture **out, const ivxs_capture_file_config *cfg)
{
	file_source *fs;
	ivxs_capture_stream_config sc;
	ivxs_capture_config cc;
	ivxs_capture_reader pcm = { pcm_read, pcm_rewind, NULL };
	int r, has_pcm = cfg && cfg->pcm_path && cfg->pcm_path[0];
	if (!out)
		return IVXS_CAPTURE_EARG;
	*out = NULL;
	if (!cfg || !cfg->video_path || !cfg->video_path[0])
		return IVXS_CAPTURE_EARG;
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return IVXS_CAPTURE_ENOMEM;
	memset(&sc, 0, sizeof(sc));
	sc.reader.read = file_read;
	sc.reader.rewind = file_rewind;
	sc.reader.ctx = fs;
	sc.has_audio = cfg->audio_path && cfg->audio_path[0];
	pcm.ctx = fs;
	sc.pcm = has_pcm ? &pcm : NULL;
	sc.video_codec = cfg->video_codec ? cfg->video_codec : codec_from_name(cfg->video_path);
	IVXS_CAPTURE_STREAM_FROM_FILE(&sc, cfg);
	memset(&cc, 0, sizeof(cc));
	cc.source = file_interface;
	cc.source.ctx = fs;
	IVXS_CAPTURE_COPY_COMMON(&cc, cfg);
	r = ivxs_capture_stream_create(&fs->stream, &sc);
	if (!r) {
		fs->video_path = ivxs_capture_dup_str(cfg->video_path);
		fs->audio_path = ivxs_capture_dup_str(cfg->audio_path);
		fs->pcm_path = has_pcm ? ivxs_capture_dup_str(cfg->pcm_path) : NULL;
		fs->stills_dir = ivxs_capture_dup_str(cfg->stills_dir);
		if (!fs->video_path || (sc.has_audio && !fs->audio_path) || (has_pcm && !fs->pcm_path) ||
				(cfg->stills_dir && cfg->stills_dir[0] && !fs->stills_dir))
			r = IVXS_CAPTURE_ENOMEM;
	}
	if (!r)
		r = ivxs_capture_create(out, &cc);
	if (r)
		file_release(fs);
	return r;
}
