/*
 * GOP ring buffer — portable core (no XS headers, no clocks, no I/O).
 *
 * One writer (a capture thread, or the VM thread) pushes encoded frames into a
 * single arena allocated at creation. Many readers each keep their own cursor
 * and read zero-copy views of the arena. The writer never waits for readers:
 * when space (arena bytes or index slots) runs out it evicts the oldest whole
 * GOP. A reader that was overtaken learns how many frames it lost and resumes
 * at the next key frame.
 *
 * Zero-copy and a non-blocking writer mean a view can be overwritten while a
 * reader still uses it. Views are therefore validated seqlock-style: use the
 * bytes, then call ivxs_ring_view_valid(); if it returns 0 the bytes may be torn
 * and must be discarded (the next read reports the loss). A reader never
 * *accepts* a torn frame.
 *
 * Thread model: ivxs_ring_push() from exactly one thread at a time; readers from
 * any thread (each reader from one thread at a time). A writer that runs on its
 * own thread (capture) claims the ring first (ivxs_ring_writer_claim), so that a
 * second writer is refused instead of racing it. Status codes: 0 or a
 * positive count on success, a negative IVXS_RING_E* on error.
 */
#ifndef IVXS_RING_H
#define IVXS_RING_H

#include <stddef.h>
#include <stdint.h>

#include "ivxs_alloc.h"
#include "ivxs_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	IVXS_FRAME_AUDIO = 0,
	IVXS_FRAME_VIDEO = 1
} ivxs_frame_type;

typedef enum {
	IVXS_CODEC_H264 = 1,
	IVXS_CODEC_H265 = 2,
	IVXS_CODEC_AAC = 3,
	IVXS_CODEC_PCMU = 4,    /* G.711 μ-law, 8 kHz mono: a byte a sample (a browser's audio beside AAC) */
	IVXS_CODEC_PCMA = 5     /* G.711 A-law */
} ivxs_codec;

enum {   /* the ring's range: -200 … -299 (ivxs_status.h) */
	IVXS_RING_OK = 0,
	IVXS_RING_EARG = -201,      /* bad argument (NULL, zero size, bad option) */
	IVXS_RING_ENOMEM = -202,    /* arena or index could not be allocated */
	IVXS_RING_ETOOBIG = -203,   /* frame larger than the arena can ever hold */
	IVXS_RING_ENEEDKEY = -204,  /* first video frame (or first after reset) is not a key frame;
	                             * also: the frame would have to evict its own GOP (the GOP
	                             * outgrew the ring) — non-key video is then refused until
	                             * the next key frame (README "GOP larger than the ring") */
	IVXS_RING_ETIME = -205,     /* timestamp earlier than the previous frame of the same type */
	IVXS_RING_ECODEC = -206,    /* codec does not match the frame type, or unknown */
	IVXS_RING_EREADERS = -207,  /* no free reader slot */
	IVXS_RING_ENOFRAME = -208,  /* open: no key frame matches (ring empty, or T newer than all) */
	IVXS_RING_EEMPTY = -209,    /* zero-length frame */
	IVXS_RING_EBUSY = -210      /* another writer holds the ring (ivxs_ring_writer_claim) */
};

/* Returns a short fixed English message for a status code. */
const char *ivxs_ring_strerror(int status);
/* The codes' names and messages (native/common/ivxs_status.h). */
extern const ivxs_status_entry ivxs_ring_statuses[];

/* Where the arena lives is a build-time choice; these hooks let the
 * platform place it (PSRAM through heap_caps_malloc on ESP32-S3). NULL
 * hooks mean malloc/free. */
typedef ivxs_allocator ivxs_ring_allocator;

typedef struct {
	size_t arena_bytes;      /* payload arena, bytes (required, > 0) */
	uint32_t max_frames;     /* index slots; 0 = derive from arena_bytes */
	uint32_t max_readers;    /* reader slots; 0 = 8 */
	const ivxs_ring_allocator *allocator; /* the arena's; NULL = malloc/free */
	/* The header, reader slots and index: the state both sides change with atomic
	 * instructions, which must stay in internal RAM on an ESP32-S3 (its S32C1I does
	 * not reach PSRAM). NULL = malloc/free. */
	const ivxs_ring_allocator *control_allocator;
} ivxs_ring_config;

/* The index slots a ring of `arena_bytes` gets when its config leaves max_frames 0: one per
 * 512 bytes, rounded down to a power of two, in [64, 65536]. */
uint32_t ivxs_ring_derived_frames(size_t arena_bytes);

/* Suggested arena for a largest-expected GOP: room for 2 full GOPs plus
 * audio slack, so that a pre-roll GOP survives while the next is written. */
size_t ivxs_ring_arena_for_gop(size_t max_gop_bytes);

typedef struct ivxs_ring ivxs_ring;
typedef struct ivxs_ring_reader ivxs_ring_reader;

int ivxs_ring_create(ivxs_ring **out, const ivxs_ring_config *config);
/* Frees everything; sets *ring to NULL; harmless on NULL. Readers must be
 * closed (or abandoned: their slots die with the ring). */
void ivxs_ring_destroy(ivxs_ring **ring);

/* One frame to push. `info` is an opaque word stored with the frame and
 * handed back in every view (capture puts the access unit's NAL
 * classification there, so that consumers need not scan again). */
typedef struct {
	ivxs_frame_type type;
	ivxs_codec codec;
	int key;
	uint64_t timestamp_ms;
	uint32_t info;
	const void *data;
	size_t size;
} ivxs_ring_frame;

/* Copies the payload into the arena (the only copy). Never blocks on
 * readers. On error the ring's contents are unchanged. */
int ivxs_ring_push_frame(ivxs_ring *ring, const ivxs_ring_frame *frame);

/* Shaped like the seed's iv_cs_push_stream: ivxs_ring_push_frame with info 0. */
int ivxs_ring_push(ivxs_ring *ring, ivxs_frame_type type, ivxs_codec codec,
		int key, uint64_t timestamp_ms, const void *data, size_t size);

/* The single-writer rule, enforced: a writer claims the ring before its
 * first push and releases it when it has stopped pushing. 0, or EBUSY if
 * another writer holds it (EARG on NULL). Any thread; one atomic exchange,
 * never a wait. ivxs_ring_push itself does not check (it stays a plain
 * single-writer path): a binding that pushes for JS claims around the push. */
int ivxs_ring_writer_claim(ivxs_ring *ring);
void ivxs_ring_writer_release(ivxs_ring *ring);

/* Called (from the writer's thread) after each successful push; used by a
 * binding to wake its event loop. One callback per ring; NULL clears it. */
void ivxs_ring_set_notify(ivxs_ring *ring, void (*notify)(void *ctx), void *ctx);

typedef enum {
	IVXS_RING_AT_NEWEST_KEY = 0,   /* live: newest key frame */
	IVXS_RING_AT_TIME = 1          /* pre-roll: oldest key frame with ts >= T */
} ivxs_ring_start;

int ivxs_ring_reader_open(ivxs_ring *ring, ivxs_ring_start start,
		uint64_t time_ms, ivxs_ring_reader **out);
/* Releases the slot; sets *reader to NULL; harmless on NULL. */
void ivxs_ring_reader_close(ivxs_ring_reader **reader);

typedef struct {
	const uint8_t *data;     /* zero-copy: points into the arena */
	uint32_t size;
	uint8_t type;            /* ivxs_frame_type */
	uint8_t codec;           /* ivxs_codec */
	uint8_t key;             /* random-access point: a video key frame, or any audio
	                          * frame in a ring that has never seen video */
	uint64_t timestamp_ms;
	uint64_t seq;            /* frame sequence number, from 0, never reused */
	uint64_t gop;            /* GOP sequence number, from 0 (increments at each video key frame;
	                          * at each audio frame in a ring that has never seen video) */
	uint32_t info;           /* the pusher's opaque word (ivxs_ring_frame.info) */
	uint32_t lost;           /* frames this reader lost just before this one (overtaken):
	                          * seq - (previous view's seq + 1); saturates at UINT32_MAX */
	/* private: validation token */
	uint64_t pos_;
} ivxs_ring_view;

/* 1 = a frame was read into *view, 0 = nothing new yet, <0 error. */
int ivxs_ring_read(ivxs_ring_reader *reader, ivxs_ring_view *view);
/* 1 if the bytes of *view were not overwritten up to now, 0 if they may be torn. */
int ivxs_ring_view_valid(const ivxs_ring *ring, const ivxs_ring_view *view);
/* The arena every view's bytes lie in (a reader in C makes views of several frames over it). */
void ivxs_ring_arena(const ivxs_ring *ring, const uint8_t **base, size_t *size);

typedef struct {
	uint64_t frames_pushed;
	uint64_t frames_evicted;
	uint64_t gops_evicted;
	uint64_t bytes_pushed;
	uint32_t frames_held;        /* frames in the ring now */
	uint64_t bytes_held;         /* payload bytes in the ring now */
	uint64_t oldest_ts, newest_ts;
	size_t arena_bytes;
	size_t footprint_bytes;      /* everything this ring allocated */
	uint32_t readers_open;
	uint32_t max_frames;         /* index slots: the most frames it holds, however small */
} ivxs_ring_stats;

void ivxs_ring_get_stats(const ivxs_ring *ring, ivxs_ring_stats *out);

#ifdef __cplusplus
}
#endif
#endif
