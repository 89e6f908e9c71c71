/*
 * JPEG stills matched to the clip position (file source): the folder is
 * listed once at start, a still is read on request (see capture.h).
 */
#include "capture_internal.h"

#ifdef __linux__
#include <dirent.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* List *.jpg / *.jpeg once at start: one block for the names, one array. */
void cap_list_stills(ivxs_capture *c)
{
	DIR *d;
	struct dirent *e;
	size_t count = 0, bytes = 0, dl, i = 0;
	char *p;
	cap_free_stills(c);
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
		if (e->d_name[0] == '.' || !(cap_ends_with_ci(e->d_name, ".jpg") || cap_ends_with_ci(e->d_name, ".jpeg")))
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
		cap_free_stills(c);
		c->stills_error = IVXS_CAPTURE_ENOMEM;
		return;
	}
	rewinddir(d);
	p = c->stills_block;
	while ((e = readdir(d)) != NULL && i < count) {
		size_t nl;
		if (e->d_name[0] == '.' || !(cap_ends_with_ci(e->d_name, ".jpg") || cap_ends_with_ci(e->d_name, ".jpeg")))
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

void cap_free_stills(ivxs_capture *c)
{
	free(c->stills);
	free(c->stills_block);
	c->stills = NULL;
	c->stills_block = NULL;
	c->nstills = 0;
}

int ivxs_capture_still(ivxs_capture *c, void *buf, size_t cap, size_t *len, uint64_t *ts_ms)
{
	uint32_t idx;
	FILE *f;
	long size;
	size_t n;
	if (len)
		*len = 0;
	if (!c || !buf || !len)
		return IVXS_CAPTURE_EARG;
	if (c->kind != KIND_FILE)
		return IVXS_CAPTURE_EUNSUPPORTED;
	if (!c->prepared)
		return IVXS_CAPTURE_ESTATE;
	if (!c->nstills)
		return c->stills_error ? c->stills_error : IVXS_CAPTURE_ENOSTILL;
	idx = ivxs_capture_still_index(cap_u64_get(&c->clip_pos_us), c->nstills);
	if (ts_ms)
		*ts_ms = cap_u64_get(&c->last_video_ts);
	f = fopen(c->stills[idx], "rb");
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

/* ---- V4L2 --------------------------------------------------------------- */

#else /* !__linux__ */

void cap_list_stills(ivxs_capture *c)
{
	c->stills_error = IVXS_CAPTURE_EUNSUPPORTED;
}

void cap_free_stills(ivxs_capture *c)
{
	c->nstills = 0;
}

int ivxs_capture_still(ivxs_capture *c, void *buf, size_t cap, size_t *len, uint64_t *ts_ms)
{
	(void)c; (void)buf; (void)cap; (void)ts_ms;
	if (len)
		*len = 0;
	return IVXS_CAPTURE_EUNSUPPORTED;
}

#endif /* __linux__ */
