/*
 * P2P transport — a frame source fed by the app (the seed's onSendGet, a
 * viewer's talkback): frames are copied into one byte ring allocated when it
 * is opened, handed to the session in order, and held until the ring needs
 * their room. Unlike a GOP ring it never drops a frame that was not handed
 * out yet: a push that would is refused (EAGAIN), so what the app gave is
 * either queued or refused, and `pending` (bytes not handed out) is exact —
 * the core's send_buffered and watermarks count it. A frame handed out and
 * later overwritten is reported torn by `intact` (given up, never sent torn).
 * A frame's deadline counts from when the session takes it (`now`, which
 * the caller keeps current), not from the push: waiting in the queue is the
 * app's buffer (watermarks), not lateness.
 */
#ifndef IVXS_P2P_QUEUE_SOURCE_H
#define IVXS_P2P_QUEUE_SOURCE_H

#include "p2p.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
	uint32_t size, ts_ms;
	uint64_t pos;          /* byte position of its first byte (monotonic) */
	uint8_t key, flags;
} ivxs_p2p_queued;

typedef struct {
	uint8_t *arena;
	uint32_t capacity;     /* arena bytes */
	ivxs_p2p_queued *index;
	uint32_t slots;        /* index entries (frames not handed out at most) */
	uint32_t head, count;  /* index ring of frames not handed out */
	uint64_t write_pos;    /* bytes ever written */
	uint64_t pending;      /* bytes not handed out */
	uint32_t now;          /* the caller's clock, kept current: a frame's time is when it is taken */
	const ivxs_p2p_allocator *allocator;
} ivxs_p2p_queue_source;

/* Allocates `capacity` bytes and `slots` index entries; fills *out. 0, EARG or ENOMEM. */
int ivxs_p2p_queue_source_init(ivxs_p2p_queue_source *q, uint32_t capacity, uint32_t slots,
		const ivxs_p2p_allocator *allocator, ivxs_p2p_frame_source *out);
/* Copies one frame in. 0; EAGAIN when its room holds frames not handed out yet (or no index
 * entry is free); ETOOBIG when it is larger than the arena; EARG for an empty frame. */
int ivxs_p2p_queue_source_push(ivxs_p2p_queue_source *q, const uint8_t *data, uint32_t size, int key,
		uint32_t ts_ms, uint8_t flags);
/* Frees the arena (detach the source from the session first); harmless twice. */
void ivxs_p2p_queue_source_close(ivxs_p2p_queue_source *q);

#ifdef __cplusplus
}
#endif
#endif
