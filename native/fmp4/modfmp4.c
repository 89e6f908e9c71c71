/* XS binding of the fragmented-MP4 core (module "fmp4", fmp4.js), over a ring's frames:
 *   create(options) -> a fragmenter for frames of options.ring (a host object: the core and the
 *     frames in flight in C memory; it keeps the ring alive);
 *   video(m, data, timestamp, info) / audio(m, data, timestamp) -> the core's flags (IVXS_FMP4_READY,
 *     DROPPED, NEW_AUDIO), or its negative code when the frame is refused: `data` is a ring frame's
 *     view (RingReader.read's frame.data);
 *   pump(m, reader, keyFrom, endBefore, lastSeq, audioless, counts) -> reads the reader's frames in
 *     C into the fragmenter until a fragment is ready (READY), the ring has none (0), or a frame
 *     is for the caller to judge — a video key frame, a key frame at or after `keyFrom`, a frame at
 *     or after `endBefore` or past `lastSeq`, the first after frames lost, an AAC frame of a new
 *     configuration (the init segment's, made in JS) — which it returns as
 *     read() would, not taken; `counts` gets what it took (taken, skipped, ignored, rejected, all
 *     of them read, the last one's timestamp and seq);
 *   flush(m) -> flags; setVideoDuration(m, ticks);
 *   take(m, info) -> the ready fragment as a scatter list: the header's view, each NAL's length and
 *     the NAL, the AAC payloads; the frames' bytes as views of one host buffer over the ring's arena
 *     that intact() checks for the fragment's oldest frame. info.startMs, info.newInit set.
 * The core keeps offsets; the frames' bytes are the ring's arena (C memory the fragmenter keeps
 * alive through its ring), never a JS value's. */
#include "xsmc.h"
#include "ivxs_host.h"
#include "ivxs_kit.h"
#include "modring.h"
#include "fmp4.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	ivxs_fmp4 core;
	ivxs_ring *ring;                 /* the frames' ring (its JS object: the host object's "ring") */
	struct {
		const uint8_t *data;         /* in the ring's arena */
		uint64_t pos;
	} frames[IVXS_FMP4_REFS];        /* the frames in flight, by ref */
	uint32_t next;                   /* the next frame's ref (mod IVXS_FMP4_REFS) */
} Record;

static void xs_fmp4_destructor(void *data);
static const xsHostHooks kFmp4Hooks = { xs_fmp4_destructor, NULL, NULL };
static ivxs_mem_counter gFmp4Memory = { "fmp4", 0, 0, NULL };

static void xs_fmp4_destructor(void *data)
{
	if (!data)
		return;
	free(data);
	ivxs_mem_add(&gFmp4Memory, -(int64_t)sizeof(Record));
}

static Record *getRecord(xsMachine *the)
{
	return ivxs_handle_open(the, &xsArg(0), &kFmp4Hooks, "fmp4", "fragmenter");
}

void xs_fmp4_create(xsMachine *the)
{
	ivxs_fmp4_options o;
	Record *r;
	ivxs_ring *ring;
	int status;
	ivxs_host_attach(the);
	xsmcVars(2);
	if (xsmcArgc < 1 || xsmcTypeOf(xsArg(0)) != xsReferenceType)
		ivxs_type_error(IVXS_EARG, "fmp4: options required");
	memset(&o, 0, sizeof(o));
	o.video_codec = (uint8_t)ivxs_option_integer(the, &xsArg(0), "video", &xsVar(0), 0, 2, 0, "fmp4");
	o.audio = (uint8_t)ivxs_option_bool(the, &xsArg(0), "audio", &xsVar(0), 0);
	o.mode = (uint8_t)ivxs_option_integer(the, &xsArg(0), "mode", &xsVar(0), 0, 2, IVXS_FMP4_GOP, "fmp4");
	o.fragment_ms = (uint32_t)ivxs_option_integer(the, &xsArg(0), "fragmentMs", &xsVar(0), 1, 0xffffffffu / 96, 1000, "fmp4");
	o.origin_ms = (int64_t)ivxs_option_integer(the, &xsArg(0), "originMs", &xsVar(0), -35184372088832.0, 35184372088832.0, 0, "fmp4");
	o.first_sequence = (uint32_t)ivxs_option_integer(the, &xsArg(0), "firstSequence", &xsVar(0), 1, 0xffffffffu, 1, "fmp4");
	o.max_jump_ms = (uint32_t)ivxs_option_integer(the, &xsArg(0), "maxJumpMs", &xsVar(0), 0, 0xffffffffu / 96, 10000, "fmp4");
	xsmcGet(xsVar(1), xsArg(0), xsID("ring"));   /* the native ring (ring.js's nativeRing) */
	ring = ivxs_ring_from_js(the, &xsVar(1));
	r = malloc(sizeof(*r));
	if (!r)
		ivxs_error(IVXS_ENOMEM, "fmp4: no memory");
	status = ivxs_fmp4_init(&r->core, &o);
	if (status < 0) {
		free(r);
		ivxs_range_error(IVXS_EARG, "fmp4: a video or an audio track is required");
	}
	r->ring = ring;
	r->next = 0;
	ivxs_mem_register(&gFmp4Memory);
	ivxs_mem_add(&gFmp4Memory, (int64_t)sizeof(*r));
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostHooks(xsResult, &kFmp4Hooks);
	xsmcSetHostData(xsResult, r);
	/* the ring lives as long as the fragmenter: the frames in flight are in its arena */
	xsmcDefine(xsResult, xsID("ring"), xsVar(1), xsDontDelete | xsDontSet | xsDontEnum);
}

/* The frame `data` (a slot that is overwritten) names: its bytes, checked to be a frame of the
 * fragmenter's ring; its ref, the frame kept under it. Uses xsVar(0). */
static uint32_t frameOf(xsMachine *the, Record *r, xsSlot *data, const uint8_t **bytes, size_t *size)
{
	uint64_t pos;
	uint32_t ref;
	if (!ivxs_ring_frame_place(the, data, bytes, size, &pos, &xsVar(0)))
		ivxs_type_error(IVXS_EARG, "fmp4: not a ring frame's bytes");
	if (ivxs_ring_from_js(the, &xsVar(0)) != r->ring)
		ivxs_type_error(IVXS_EARG, "fmp4: a frame of another ring");
	ref = r->next % IVXS_FMP4_REFS;
	r->frames[ref].data = *bytes;
	r->frames[ref].pos = pos;
	return ref;
}

static int64_t timestampOf(xsMachine *the, xsSlot *slot)
{
	return (int64_t)ivxs_integer(the, slot, -35184372088832.0, 35184372088832.0, "fmp4", "timestamp");
}

void xs_fmp4_video(xsMachine *the)
{
	Record *r = getRecord(the);
	int64_t ms = timestampOf(the, &xsArg(2));
	uint32_t info = (uint32_t)xsmcToNumber(xsArg(3)), ref;
	const uint8_t *bytes;
	size_t size;
	int status;
	xsmcVars(1);
	ref = frameOf(the, r, &xsArg(1), &bytes, &size);
	status = ivxs_fmp4_video(&r->core, ref, bytes, size, ms, info);
	if (status >= 0)
		r->next++;
	xsmcSetInteger(xsResult, status);
}

void xs_fmp4_audio(xsMachine *the)
{
	Record *r = getRecord(the);
	int64_t ms = timestampOf(the, &xsArg(2));
	const uint8_t *bytes;
	size_t size;
	uint32_t ref;
	int status;
	xsmcVars(1);
	ref = frameOf(the, r, &xsArg(1), &bytes, &size);
	status = ivxs_fmp4_audio(&r->core, ref, bytes, size, ms);
	if (status >= 0)
		r->next++;
	xsmcSetInteger(xsResult, status);
}

/* What pump() tallies of the frames it took. */
typedef struct {
	double taken, skipped, ignored, rejected, timestamp, seq;
} Tally;

/* One frame read in C into the fragmenter, as SegmentMux.add takes it; its flags, or -1 when it
 * was no frame for this segment's tracks. */
static int pumpOne(Record *r, const ivxs_ring_view *view, int audioless, Tally *tally)
{
	ivxs_fmp4 *m = &r->core;
	uint32_t ref = r->next % IVXS_FMP4_REFS;
	int status;
	tally->timestamp = (double)view->timestamp_ms;
	tally->seq = (double)view->seq;
	if (view->type == IVXS_FRAME_VIDEO && m->o.video_codec) {
		r->frames[ref].data = view->data;
		r->frames[ref].pos = view->pos_;
		status = ivxs_fmp4_video(m, ref, view->data, view->size, (int64_t)view->timestamp_ms, view->info);
	}
	else if (view->type == IVXS_FRAME_AUDIO && m->o.audio && view->codec == IVXS_CODEC_AAC) {
		if (audioless) {
			tally->skipped++;
			return 0;
		}
		r->frames[ref].data = view->data;
		r->frames[ref].pos = view->pos_;
		status = ivxs_fmp4_audio(m, ref, view->data, view->size, (int64_t)view->timestamp_ms);
	}
	else {
		tally->ignored++;
		return 0;
	}
	if (status < 0) {
		tally->rejected++;
		return 0;
	}
	r->next++;
	tally->taken++;
	return status;
}

static void setTally(xsMachine *the, xsSlot *counts, const Tally *tally, xsSlot *scratch)
{
	ivxs_set_number(*counts, "taken", tally->taken, *scratch);
	ivxs_set_number(*counts, "skipped", tally->skipped, *scratch);
	ivxs_set_number(*counts, "ignored", tally->ignored, *scratch);
	ivxs_set_number(*counts, "rejected", tally->rejected, *scratch);
	ivxs_set_number(*counts, "read", tally->taken + tally->skipped + tally->ignored + tally->rejected, *scratch);
	ivxs_set_number(*counts, "timestamp", tally->timestamp, *scratch);
	ivxs_set_number(*counts, "seq", tally->seq, *scratch);
}

void xs_fmp4_pump(xsMachine *the)
{
	Record *r = getRecord(the);
	double keyFrom = xsmcToNumber(xsArg(2)), endBefore = xsmcToNumber(xsArg(3)), lastSeq = xsmcToNumber(xsArg(4));
	int audioless = xsmcTest(xsArg(5)), result = 0;
	Tally tally = { 0, 0, 0, 0, -1, -1 };
	ivxs_ring_reader *reader;
	xsmcVars(4);
	if (xsmcTypeOf(xsArg(6)) != xsReferenceType)
		ivxs_type_error(IVXS_EARG, "fmp4: pump takes a counts object");
	reader = ivxs_ring_reader_native(the, &xsArg(1), &xsVar(0));
	if (ivxs_ring_from_js(the, &xsVar(0)) != r->ring)
		ivxs_type_error(IVXS_EARG, "fmp4: a reader of another ring");
	xsmcSetInteger(xsResult, 0);
	while (reader && !r->core.ready) {
		ivxs_ring_view view;
		double ms;
		int status = ivxs_ring_read(reader, &view);
		if (status <= 0) {
			if (status < 0)
				ivxs_error(IVXS_EUNKNOWN, "fmp4: the ring reader failed (%d)", status);
			break;
		}
		ivxs_ring_reader_took(the, &xsArg(1), &view);
		ms = (double)view.timestamp_ms;
		if (view.lost || (view.key && (view.type == IVXS_FRAME_VIDEO || ms >= keyFrom)) || ms >= endBefore || (double)view.seq > lastSeq
				|| (view.type == IVXS_FRAME_AUDIO && view.codec == IVXS_CODEC_AAC && !audioless && r->core.o.audio
					&& ivxs_fmp4_audio_is_new(&r->core, view.data, view.size))) {
			ivxs_ring_frame_object(the, &xsArg(1), &view, &xsResult, &xsVar(1), &xsVar(2), &xsVar(3));
			result = -1;
			break;
		}
		status = pumpOne(r, &view, audioless, &tally);
		if (status & IVXS_FMP4_READY)
			result = IVXS_FMP4_READY;
	}
	setTally(the, &xsArg(6), &tally, &xsVar(1));
	if (result >= 0)
		xsmcSetInteger(xsResult, r->core.ready ? IVXS_FMP4_READY : 0);
}

void xs_fmp4_flush(xsMachine *the)
{
	xsmcSetInteger(xsResult, ivxs_fmp4_flush(&getRecord(the)->core));
}

void xs_fmp4_set_video_duration(xsMachine *the)
{
	Record *r = getRecord(the);
	ivxs_fmp4_set_video_duration(&r->core, (uint32_t)ivxs_integer(the, &xsArg(1), 0, 0xffffffffu, "fmp4", "duration"));
}

/* A Uint8Array over `buffer` (xsVar(2)) from `offset`, `size` bytes, into xsVar(4). Uses xsVar(3). */
static void view(xsMachine *the, double offset, uint32_t size)
{
	xsmcSetNumber(xsVar(3), offset);
	xsmcSetInteger(xsVar(4), (xsIntegerValue)size);
	xsVar(4) = xsNew3(xsGlobal, xsID("Uint8Array"), xsVar(2), xsVar(3), xsVar(4));
}

void xs_fmp4_take(xsMachine *the)
{
	Record *r = getRecord(the);
	const ivxs_fmp4_fragment *f = ivxs_fmp4_take(&r->core);
	const uint8_t *arena;
	size_t arenaSize;
	uint64_t oldest = UINT64_MAX;
	uint32_t i, n = 0;
	if (!f)
		return;
	/* 0 the header's buffer, 1 the arena's, 2 a buffer, 3–4 scratch, 5 the ring */
	xsmcVars(6);
	xsmcSetBoolean(xsVar(3), f->new_init);
	xsmcSet(xsArg(1), xsID("newInit"), xsVar(3));
	xsmcSetNumber(xsVar(3), f->start_ms);
	xsmcSet(xsArg(1), xsID("startMs"), xsVar(3));
	for (i = 0; i < f->count; i++)
		if (r->frames[f->pieces[i].ref].pos < oldest)
			oldest = r->frames[f->pieces[i].ref].pos;
	ivxs_ring_arena(r->ring, &arena, &arenaSize);
	xsmcGet(xsVar(5), xsArg(0), xsID("ring"));
	ivxs_ring_arena_buffer(the, &xsVar(5), oldest, &xsVar(1), &xsVar(3));
	xsResult = xsNewArray(0);
	xsmcSetArrayBuffer(xsVar(0), (void *)f->header, f->used);   /* (copied) */
	xsVar(2) = xsVar(0);
	view(the, 0, f->header_size);
	xsmcSetIndex(xsResult, n++, xsVar(4));
	for (i = 0; i < f->count; i++) {
		const ivxs_fmp4_piece *piece = &f->pieces[i];
		if (piece->prefix != UINT32_MAX) {
			xsVar(2) = xsVar(0);
			view(the, piece->prefix, 4);
			xsmcSetIndex(xsResult, n++, xsVar(4));
		}
		xsVar(2) = xsVar(1);
		view(the, (double)(r->frames[piece->ref].data - arena) + piece->offset, piece->size);
		xsmcSetIndex(xsResult, n++, xsVar(4));
	}
}
