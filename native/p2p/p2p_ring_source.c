/*
 * P2P transport — live frame source over a GOP ring (p2p_ring_source.h).
 * The frame's token is the view's validation position: intact() rebuilds a
 * view from it and asks the ring whether the bytes were overwritten.
 */
#include "p2p_ring_source.h"

#include <string.h>

/* Reopens the reader at the newest key frame and reads that frame ahead. */
static int jump(ivxs_p2p_ring_source *src)
{
	ivxs_ring_reader *reader = NULL;
	int status = ivxs_ring_reader_open(src->ring, IVXS_RING_AT_NEWEST_KEY, 0, &reader);
	if (status == IVXS_RING_ENOFRAME)
		return 0;   /* no key frame in the ring yet */
	if (status)
		return status;
	status = ivxs_ring_read(reader, &src->peek);
	if (status != 1) {
		ivxs_ring_reader_close(&reader);
		return status;
	}
	if (src->started && src->peek.seq < src->next_seq) {
		/* the newest key frame was already handed out: nothing to jump to yet */
		ivxs_ring_reader_close(&reader);
		return 0;
	}
	if (src->started && src->peek.seq > src->next_seq) {
		src->skipped += src->peek.seq - src->next_seq;
		src->jumps++;
	}
	ivxs_ring_reader_close(&src->reader);
	src->reader = reader;
	src->has_peek = 1;
	return 1;
}

static int next(void *ctx, int key_only, ivxs_p2p_frame *out)
{
	ivxs_p2p_ring_source *src = ctx;
	ivxs_ring_view view;
	int status;
	/* a jump lands where the reader already is when nothing newer came */
	if (!src->reader || (key_only && !src->has_peek)) {
		status = jump(src);
		if (status <= 0)
			return status;   /* no key frame to go to yet: nothing, rather than a frame that depends on a lost one */
	}
	for (;;) {
		if (src->has_peek) {
			view = src->peek;
			src->has_peek = 0;
		}
		else {
			status = ivxs_ring_read(src->reader, &view);
			if (status != 1)
				return status;
			src->overtaken += view.lost;
		}
		src->started = 1;
		src->next_seq = view.seq + 1;
		/* One audio track: the native wire's is AAC (a G.711 track beside it in the ring is for
		 * WebRTC viewers: a native viewer would take its frames for AAC), WebRTC's G.711. */
		if (view.type != IVXS_FRAME_AUDIO || view.codec == src->audio_codec)
			break;
	}
	memset(out, 0, sizeof(*out));
	out->data = view.data;
	out->size = view.size;
	out->time_ms = (uint32_t)((int64_t)view.timestamp_ms + src->time_offset_ms);
	out->ts_ms = (uint32_t)view.timestamp_ms;
	out->key = view.key;
	out->flags = view.type;
	out->token[0] = view.pos_;
	out->token[1] = view.seq;
	return 1;
}

/* The source's rewind (p2p.h): the next frame handed out is the ring's newest key frame, even one
 * already handed out (a viewer whose decoder lost the picture); until the ring has one, none. */
static void rewindReader(void *ctx)
{
	ivxs_p2p_ring_source *src = ctx;
	/* the next read jumps (next()), and a key frame already handed out is not refused */
	ivxs_ring_reader_close(&src->reader);
	src->has_peek = 0;
	src->started = 0;
}

static int intact(void *ctx, const ivxs_p2p_frame *frame)
{
	const ivxs_p2p_ring_source *src = ctx;
	ivxs_ring_view view;
	memset(&view, 0, sizeof(view));
	view.data = frame->data;
	view.size = frame->size;
	view.pos_ = frame->token[0];
	return ivxs_ring_view_valid(src->ring, &view);
}

int ivxs_p2p_ring_source_init(ivxs_p2p_ring_source *src, ivxs_ring *ring, int64_t time_offset_ms,
		ivxs_p2p_frame_source *out)
{
	int status;
	memset(src, 0, sizeof(*src));
	memset(out, 0, sizeof(*out));
	src->ring = ring;
	src->time_offset_ms = time_offset_ms;
	src->audio_codec = IVXS_CODEC_AAC;
	status = jump(src);
	if (status < 0)
		return status;
	out->next = next;
	out->intact = intact;
	out->rewind = rewindReader;
	out->overtaken = &src->overtaken;
	out->ctx = src;
	return 0;
}

void ivxs_p2p_ring_source_audio(ivxs_p2p_ring_source *src, int codec)
{
	src->audio_codec = codec;
}

void ivxs_p2p_ring_source_close(ivxs_p2p_ring_source *src)
{
	ivxs_ring_reader_close(&src->reader);
}
