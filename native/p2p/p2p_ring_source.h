/*
 * P2P transport — a live frame source over a GOP ring (native/ring): the
 * session reads frames zero-copy from the ring's arena and checks each chunk
 * with ivxs_ring_view_valid() after encrypting it (the ring's zero-copy
 * contract, native/ring/README.md "Zero-copy output"). It owns a reader;
 * when the session asks for a key frame (the viewer fell behind) it reopens
 * that reader at the ring's newest key frame: live again, not a GOP later.
 */
#ifndef IVXS_P2P_RING_SOURCE_H
#define IVXS_P2P_RING_SOURCE_H

#include "p2p.h"
#include "ring.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
	ivxs_ring *ring;
	ivxs_ring_reader *reader;  /* NULL until the ring has a key frame */
	int64_t time_offset_ms;  /* frame.time_ms = ring timestamp + this (the core's clock) */
	uint64_t overtaken;      /* frames the ring's writer overwrote before this reader read them */
	uint64_t skipped;        /* frames passed over to jump to the newest key frame */
	uint64_t jumps;          /* times it did */
	uint64_t next_seq;       /* ring sequence number after the last frame handed out */
	ivxs_ring_view peek;     /* the key frame a jump landed on, handed out next */
	int has_peek, started;
	int audio_codec;         /* the audio track handed out (IVXS_CODEC_AAC unless set); the ring's others are passed over */
} ivxs_p2p_ring_source;

/* Opens a reader at the newest key frame (or at the first one pushed, if the
 * ring has none yet) and fills *out (callbacks + ctx = src: a live source, with
 * its rewind and overtaken count, p2p.h); src must outlive
 * the session's use of it. 0 or a negative IVXS_RING_E* (EREADERS). */
int ivxs_p2p_ring_source_init(ivxs_p2p_ring_source *src, ivxs_ring *ring, int64_t time_offset_ms,
		ivxs_p2p_frame_source *out);
/* Which of the ring's audio tracks the source hands out (an ivxs_ring codec: IVXS_CODEC_AAC, the
 * native wire's, by default; WebRTC's G.711, IVXS_CODEC_PCMU or IVXS_CODEC_PCMA); the others are passed over. */
void ivxs_p2p_ring_source_audio(ivxs_p2p_ring_source *src, int codec);
/* Closes the reader (detach the source from the session first). */
void ivxs_p2p_ring_source_close(ivxs_p2p_ring_source *src);

#ifdef __cplusplus
}
#endif
#endif
