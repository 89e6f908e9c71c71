/*
 * The sample firmware's own live stream for P2P viewers (seed 001's send_* callbacks): what its
 * encoder hands over, kept as FLV (H.264 + AAC) in one buffer that every viewer's channel reads
 * from its own place — the newest GOP and the one before it, no copy per viewer. A real
 * firmware would do the same with its encoder SDK's packets, in whatever container its viewers play.
 *
 * sample_stream_frame runs on the encoder's thread; open/get/close on the app's thread (the
 * callbacks'): the buffer has a lock.
 */
#ifndef SAMPLE_STREAM_H
#define SAMPLE_STREAM_H

#include "capture.h"
#include "iv_cm.h"

/* The encoder's frame (Annex-B access unit, or an ADTS frame), appended as an FLV tag. */
void sample_stream_frame(const ivxs_capture_frame *frame);
/* A viewer's channel, starting at the newest key frame with the FLV header; NULL: all taken. */
void *sample_stream_open(void);
/* The channel's next bytes (at most 64 KiB; none yet: buf NULL), in the channel's own buffer,
 * handed back through the chunk's buf_free_fn. */
iv_cm_memory_s sample_stream_get(void *channel);
/* The channel ends: what it read and skipped (it fell more than a GOP behind) in *bytes, *skipped. */
void sample_stream_close(void *channel, unsigned long *bytes, unsigned long *skipped);

#endif
