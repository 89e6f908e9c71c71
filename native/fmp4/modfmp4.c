/* XS binding of the fragmented-MP4 core (module "fmp4", fmp4.js):
 *   create(options) -> a fragmenter (host object; its core lives in C memory);
 *   video(m, ref, data, timestamp, info) / audio(m, ref, data, timestamp) -> the core's flags
 *     (IVXS_FMP4_READY, DROPPED, NEW_AUDIO), or its negative code when the frame is refused;
 *   flush(m) -> flags; setVideoDuration(m, ticks);
 *   take(m, frames, info) -> the ready fragment as a scatter list (the header's view, each
 *     NAL's length and the NAL as views, the AAC payloads as views), or undefined; `frames` is
 *     the caller's table of frame views by ref % IVXS_FMP4_REFS (the NALs' views share their
 *     frame's buffer: a ring frame's, which intact() checks); info.startMs, info.newInit set.
 * The core keeps offsets, never a pointer into a JS value. */
#include "xsmc.h"
#include "ivxs_host.h"
#include "ivxs_kit.h"
#include "fmp4.h"

#include <stdlib.h>
#include <string.h>

static void xs_fmp4_destructor(void *data);
static const xsHostHooks kFmp4Hooks = { xs_fmp4_destructor, NULL, NULL };
static ivxs_mem_counter gFmp4Memory = { "fmp4", 0, 0, NULL };

static void xs_fmp4_destructor(void *data)
{
	if (!data)
		return;
	free(data);
	ivxs_mem_add(&gFmp4Memory, -(int64_t)sizeof(ivxs_fmp4));
}

static ivxs_fmp4 *getFmp4(xsMachine *the)
{
	return ivxs_handle_open(the, &xsArg(0), &kFmp4Hooks, "fmp4", "fragmenter");
}

static double option(xsMachine *the, const char *name, double min, double max, double fallback)
{
	xsmcGet(xsVar(0), xsArg(0), xsID(name));
	if (xsmcTypeOf(xsVar(0)) == xsUndefinedType)
		return fallback;
	return ivxs_integer(the, &xsVar(0), min, max, "fmp4", name);
}

void xs_fmp4_create(xsMachine *the)
{
	ivxs_fmp4_options o;
	ivxs_fmp4 *m;
	int status;
	ivxs_host_attach(the);
	xsmcVars(1);
	if (xsmcArgc < 1 || xsmcTypeOf(xsArg(0)) != xsReferenceType)
		ivxs_type_error(IVXS_EARG, "fmp4: options required");
	memset(&o, 0, sizeof(o));
	o.video_codec = (uint8_t)option(the, "video", 0, 2, 0);
	xsmcGet(xsVar(0), xsArg(0), xsID("audio"));
	o.audio = xsmcTest(xsVar(0)) ? 1 : 0;
	o.mode = (uint8_t)option(the, "mode", 0, 2, IVXS_FMP4_GOP);
	o.fragment_ms = (uint32_t)option(the, "fragmentMs", 1, 0xffffffffu / 96, 1000);
	o.origin_ms = (int64_t)option(the, "originMs", -35184372088832.0, 35184372088832.0, 0);
	o.first_sequence = (uint32_t)option(the, "firstSequence", 1, 0xffffffffu, 1);
	o.max_jump_ms = (uint32_t)option(the, "maxJumpMs", 0, 0xffffffffu / 96, 10000);
	m = malloc(sizeof(*m));
	if (!m)
		ivxs_error(IVXS_ENOMEM, "fmp4: no memory");
	status = ivxs_fmp4_init(m, &o);
	if (status < 0) {
		free(m);
		ivxs_range_error(IVXS_EARG, "fmp4: a video or an audio track is required");
	}
	ivxs_mem_register(&gFmp4Memory);
	ivxs_mem_add(&gFmp4Memory, (int64_t)sizeof(*m));
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostHooks(xsResult, &kFmp4Hooks);
	xsmcSetHostData(xsResult, m);
}

/* The frame's bytes: a view or a buffer (read at once: the core keeps no pointer). */
static const uint8_t *bytesOf(xsMachine *the, xsSlot *slot, size_t *size)
{
	void *data;
	xsUnsignedValue length;
	if (xsmcTypeOf(*slot) != xsReferenceType)
		ivxs_type_error(IVXS_EARG, "fmp4: a frame's bytes are required");
	xsmcGetBufferReadable(*slot, &data, &length);
	*size = length;
	return data;
}

void xs_fmp4_video(xsMachine *the)
{
	ivxs_fmp4 *m = getFmp4(the);
	uint32_t ref = (uint32_t)xsmcToInteger(xsArg(1)) % IVXS_FMP4_REFS;
	int64_t ms = (int64_t)ivxs_integer(the, &xsArg(3), -35184372088832.0, 35184372088832.0, "fmp4", "timestamp");
	uint32_t info = (uint32_t)xsmcToNumber(xsArg(4));
	size_t size;
	const uint8_t *data = bytesOf(the, &xsArg(2), &size);
	xsmcSetInteger(xsResult, ivxs_fmp4_video(m, ref, data, size, ms, info));
}

void xs_fmp4_audio(xsMachine *the)
{
	ivxs_fmp4 *m = getFmp4(the);
	uint32_t ref = (uint32_t)xsmcToInteger(xsArg(1)) % IVXS_FMP4_REFS;
	int64_t ms = (int64_t)ivxs_integer(the, &xsArg(3), -35184372088832.0, 35184372088832.0, "fmp4", "timestamp");
	size_t size;
	const uint8_t *data = bytesOf(the, &xsArg(2), &size);
	xsmcSetInteger(xsResult, ivxs_fmp4_audio(m, ref, data, size, ms));
}

void xs_fmp4_flush(xsMachine *the)
{
	xsmcSetInteger(xsResult, ivxs_fmp4_flush(getFmp4(the)));
}

void xs_fmp4_set_video_duration(xsMachine *the)
{
	ivxs_fmp4 *m = getFmp4(the);
	ivxs_fmp4_set_video_duration(m, (uint32_t)ivxs_integer(the, &xsArg(1), 0, 0xffffffffu, "fmp4", "duration"));
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
	ivxs_fmp4 *m = getFmp4(the);
	const ivxs_fmp4_fragment *f = ivxs_fmp4_take(m);
	uint32_t i, n = 0;
	if (!f)
		return;
	/* 0 the header's buffer, 1 the frame view, 2 a buffer, 3–4 scratch, 5 the frame buffer's offset */
	xsmcVars(6);
	xsmcSetBoolean(xsVar(3), f->new_init);
	xsmcSet(xsArg(2), xsID("newInit"), xsVar(3));
	xsmcSetNumber(xsVar(3), f->start_ms);
	xsmcSet(xsArg(2), xsID("startMs"), xsVar(3));
	xsResult = xsNewArray(0);
	xsmcSetArrayBuffer(xsVar(0), (void *)f->header, f->used);   /* (copied) */
	xsVar(2) = xsVar(0);
	view(the, 0, f->header_size);
	xsmcSetIndex(xsResult, n++, xsVar(4));
	for (i = 0; i < f->count; i++) {
		const ivxs_fmp4_piece *piece = &f->pieces[i];
		double at;
		if (piece->prefix != UINT32_MAX) {
			xsVar(2) = xsVar(0);
			view(the, piece->prefix, 4);
			xsmcSetIndex(xsResult, n++, xsVar(4));
		}
		xsmcGetIndex(xsVar(1), xsArg(1), piece->ref);
		if (xsmcTypeOf(xsVar(1)) != xsReferenceType)
			ivxs_type_error(IVXS_EARG, "fmp4: no frame under ref %u", (unsigned)piece->ref);
		xsmcGet(xsVar(2), xsVar(1), xsID("buffer"));
		xsmcGet(xsVar(5), xsVar(1), xsID("byteOffset"));
		at = xsmcToNumber(xsVar(5)) + piece->offset;
		view(the, at, piece->size);
		xsmcSetIndex(xsResult, n++, xsVar(4));
	}
}
