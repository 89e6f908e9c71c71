/*
 * Shared by the Linux sources (file_source_linux.c, v4l2_source_linux.c):
 * their configs carry the same clock, sink, observer, start and priority
 * fields, copied into the core's config here once (a NULL clock is the
 * default one, capture_thread_linux.c).
 */
#ifndef IVXS_CAPTURE_LINUX_H
#define IVXS_CAPTURE_LINUX_H

#include "capture.h"

#include <stdlib.h>
#include <string.h>

/* A heap copy of a config string; NULL for NULL or "" (or no memory). */
static inline char *ivxs_capture_dup_str(const char *s)
{
	size_t n;
	char *d;
	if (!s || !s[0])
		return NULL;
	n = strlen(s) + 1;
	d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

/* The stream core's settings a file config carries (both file sources: Linux files, board
 * partitions); the reader, audio and PCM readers and the codec are the source's to set. */
#define IVXS_CAPTURE_STREAM_FROM_FILE(sc, cfg) do { \
	(sc)->pcm_codec = (cfg)->pcm_codec; \
	(sc)->fps_num = (cfg)->fps_num; \
	(sc)->fps_den = (cfg)->fps_den; \
	(sc)->pace = (cfg)->pace; \
	(sc)->once = (cfg)->once; \
	(sc)->max_au_bytes = (cfg)->max_au_bytes; \
	(sc)->read_chunk = (cfg)->read_chunk; \
	(sc)->probe_bytes = (cfg)->probe_bytes; \
} while (0)
#define IVXS_CAPTURE_COPY_COMMON(cc, cfg) do { \
	(cc)->clock = (cfg)->clock ? (cfg)->clock : ivxs_capture_default_clock(); \
	(cc)->sink = (cfg)->sink; \
	(cc)->sink_ctx = (cfg)->sink_ctx; \
	(cc)->observer = (cfg)->observer; \
	(cc)->observer_ctx = (cfg)->observer_ctx; \
	(cc)->start_ms_set = (cfg)->start_ms_set; \
	(cc)->start_ms = (cfg)->start_ms; \
	(cc)->rt_priority = (cfg)->rt_priority; \
} while (0)

#endif
