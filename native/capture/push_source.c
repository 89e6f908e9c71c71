/*
 * The push source (capture.h "Push source"): a frame handed over by the pusher's thread steps
 * the capture at once, so it goes through the core's key gating and counts into the sink (the
 * ring) with no queue, no copy and no allocation. The core stays unaware of the kind of
 * source: step emits the one pending frame.
 */
#include "capture_internal.h"

#include <stdlib.h>
#include <string.h>

struct ivxs_capture_push {
	ivxs_capture *capture;
	ivxs_codec video_codec, audio_codec;
	ivxs_capture_sink sink;     /* the real sink, wrapped to learn its answer */
	void *sink_ctx;
	ivxs_capture_frame *pending;
	int sink_status;
	int have_origin;            /* this run's first frame fixed the mapping */
	uint64_t origin_pts, origin_ms;
	int have_last[2];
	uint64_t last_pts[2];       /* per ivxs_frame_type */
};

/* Where a run's first pushed frame lies on the capture's timeline: the wall clock as it is pushed
 * (its capture time, which the native wire's media deadline and a viewer's glass-to-glass figure
 * read), never before the run's base. Not the base itself: a firmware pushes once the plan starts
 * it, seconds after prepare, and frames stamped that much in the past were all past the native
 * wire's deadline — its live viewers got none. */
static uint64_t firstMs(const ivxs_capture *c)
{
	uint64_t base = ivxs_capture_base_ms(c), wall = c->clock.wall_ms ? c->clock.wall_ms(c->clock.ctx) : 0;
	return wall > base ? wall : base;
}

static int pushPrepare(void *ctx, ivxs_capture *c)
{
	ivxs_capture_push *p = ctx;
	(void)c;
	p->have_origin = 0;
	p->have_last[0] = p->have_last[1] = 0;
	p->pending = NULL;
	return IVXS_CAPTURE_OK;
}

static int pushStep(void *ctx, ivxs_capture *c)
{
	ivxs_capture_push *p = ctx;
	if (!p->pending)
		return 1;   /* stepped without a push: nothing to do, still open */
	if (!ivxs_capture_emit(c, p->pending))
		p->sink_status = IVXS_RING_ENEEDKEY;   /* gated: video waits for a key frame */
	p->pending = NULL;
	return 1;
}

static void pushClose(void *ctx)
{
	(void)ctx;
}

static void pushRelease(void *ctx)
{
	free(ctx);
}

static void pushStats(void *ctx, ivxs_capture_stats *out)
{
	ivxs_capture_push *p = ctx;
	out->running = p->capture && p->capture->prepared;   /* no thread: open is running */
	out->footprint_bytes += sizeof(*p);
}

static int pushSink(void *ctx, const ivxs_capture_frame *frame)
{
	ivxs_capture_push *p = ctx;
	return p->sink_status = p->sink(p->sink_ctx, frame);
}

int ivxs_capture_create_push(ivxs_capture **out, ivxs_capture_push **push, const ivxs_capture_push_config *config)
{
	ivxs_capture_config cc;
	ivxs_capture_push *p;
	int r;
	ivxs_codec audio = config ? (config->audio_codec ? config->audio_codec : IVXS_CODEC_AAC) : IVXS_CODEC_AAC;
	if (!out || !push || !config || !config->sink || !config->clock ||
			(config->video_codec != IVXS_CODEC_H264 && config->video_codec != IVXS_CODEC_H265) ||
			(audio != IVXS_CODEC_AAC && audio != IVXS_CODEC_PCMU && audio != IVXS_CODEC_PCMA))
		return IVXS_CAPTURE_EARG;
	p = calloc(1, sizeof(*p));
	if (!p)
		return IVXS_CAPTURE_ENOMEM;
	p->video_codec = config->video_codec;
	p->audio_codec = audio;
	p->sink = config->sink;
	p->sink_ctx = config->sink_ctx;
	memset(&cc, 0, sizeof(cc));
	cc.source.prepare = pushPrepare;
	cc.source.step = pushStep;
	cc.source.close = pushClose;
	cc.source.release = pushRelease;
	cc.source.stats = pushStats;
	cc.source.ctx = p;
	cc.clock = config->clock;
	cc.sink = pushSink;
	cc.sink_ctx = p;
	r = ivxs_capture_create(out, &cc);
	if (r < 0) {
		free(p);
		return r;
	}
	p->capture = *out;
	*push = p;
	return IVXS_CAPTURE_OK;
}

ivxs_codec ivxs_capture_push_audio_codec(const ivxs_capture_push *p)
{
	return p->audio_codec;
}

int ivxs_capture_push_frame(ivxs_capture_push *p, ivxs_frame_type type, ivxs_codec codec, int key,
		uint64_t pts_ms, const void *data, size_t size)
{
	ivxs_capture_frame f;
	ivxs_capture *c;
	unsigned t;
	if (!p || !data || !size || (type != IVXS_FRAME_AUDIO && type != IVXS_FRAME_VIDEO))
		return IVXS_CAPTURE_EARG;
	if (codec != (type == IVXS_FRAME_VIDEO ? p->video_codec : p->audio_codec))
		return IVXS_CAPTURE_ECODEC;   /* wrong input first: the same answer whether open or not */
	c = p->capture;
	if (!c->prepared)
		return IVXS_CAPTURE_ESTATE;
	t = (unsigned)type;
	/* Checked before anything changes: a refused frame leaves the mapping as it was. */
	if ((p->have_origin && pts_ms < p->origin_pts) || (p->have_last[t] && pts_ms < p->last_pts[t]))
		return IVXS_RING_ETIME;
	memset(&f, 0, sizeof(f));
	f.type = type;
	f.codec = codec;
	f.data = data;
	f.size = size;
	if (type == IVXS_FRAME_VIDEO) {
		ivxs_au au;
		ivxs_au_describe(codec, data, size, &au);
		f.key = key || au.key;
		f.info = au.info | (f.key ? IVXS_AU_INFO_KEY : 0);
	}
	f.timestamp_ms = (p->have_origin ? p->origin_ms : firstMs(c)) +
			(pts_ms - (p->have_origin ? p->origin_pts : pts_ms));
	p->sink_status = 0;
	p->pending = &f;
	ivxs_capture_step(c);
	if (p->sink_status < 0)
		return p->sink_status;
	if (!p->have_origin) {
		p->have_origin = 1;
		p->origin_pts = pts_ms;
		p->origin_ms = f.timestamp_ms;
	}
	p->have_last[t] = 1;
	p->last_pts[t] = pts_ms;
	ivxs_capture_advance(c, f.timestamp_ms + 1);
	return 0;
}
