/*
 * XS binding of the GOP ring (native/ring/ring.js). The ring's core is
 * ring.c; this file adapts it to JS: options, errors, zero-copy frame views
 * (host buffers over the arena) and onReadable notifications.
 *
 * A C writer thread calls ivxs_ring_push() directly; the ring's notify hook
 * posts one coalesced wake-up to the loop, which calls each reader's
 * onReadable. Frame views keep the JS Ring alive (a property on each view),
 * so the arena is freed only when no view can reach it: close() releases the
 * readers at once, the arena goes with the last reference (GC).
 *
 * The JS classes (ring.js) are plain classes over these host objects: a class
 * declared with a host destructor cannot go into an XS heap snapshot, and the
 * app's modules are preloaded into one.
 */
#include "xsmc.h"
#include "ivxs_host.h"
#include "ring.h"
#include "modring.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct RingRecord RingRecord;

typedef struct {
	RingRecord *ring;
	ivxs_ring_reader *reader;
	int pending;                /* opened before a matching key frame existed */
	ivxs_ring_start start;
	uint64_t time;
	xsSlot self;
	xsSlot onReadable;
	int hasCallback;
} ReaderRecord;

struct RingRecord {
	ivxs_ring *ring;
	atomic_int notifyPending;   /* a wake-up is queued on the loop */
	int refs;                   /* the JS Ring + each C writer (VM thread only) */
	int closed;
	uint32_t maxReaders;
	ReaderRecord **readers;
	size_t footprint;
};

static ivxs_mem_counter gRingMemory = { "ring", 0, 0, NULL };

/* Where the arena lives is a build-time choice: PSRAM on ESP32-S3 boards
 * (manifest define ring.psram -> MODDEF_RING_PSRAM), plain heap elsewhere. */
#if defined(ESP_PLATFORM) && defined(MODDEF_RING_PSRAM) && MODDEF_RING_PSRAM
#include "esp_heap_caps.h"
static void *arenaAlloc(size_t bytes, void *ctx)
{
	(void)ctx;
	return heap_caps_malloc(bytes, MALLOC_CAP_SPIRAM | MALLOC_CAP_8BIT);
}
static void arenaFree(void *p, void *ctx)
{
	(void)ctx;
	heap_caps_free(p);
}
static const ivxs_ring_allocator gArenaAllocator = { arenaAlloc, arenaFree, NULL };
#define kArenaAllocator (&gArenaAllocator)
#else
#define kArenaAllocator NULL
#endif

static void throwStatus(xsMachine *the, int status)
{
	switch (status) {
	case IVXS_RING_EARG:
	case IVXS_RING_ECODEC:
	case IVXS_RING_EEMPTY:
		xsTypeError("ring: %s", ivxs_ring_strerror(status));
		break;
	case IVXS_RING_ETOOBIG:
	case IVXS_RING_ETIME:
	case IVXS_RING_ENEEDKEY:
	case IVXS_RING_EREADERS:
	case IVXS_RING_ENOFRAME:
		xsRangeError("ring: %s", ivxs_ring_strerror(status));
		break;
	default:
		xsUnknownError("ring: %s", ivxs_ring_strerror(status));
	}
}

static void freeRecord(RingRecord *record)
{
	ivxs_ring_destroy(&record->ring);
	ivxs_mem_add(&gRingMemory, -(int64_t)record->footprint);
	free(record->readers);
	free(record);
}

/* Loop thread: deliver one coalesced wake-up to every reader with a callback. */
static void deliver(void *ctx)
{
	RingRecord *record = ctx;
	xsMachine *the = ivxs_the();
	uint32_t i;
	atomic_store(&record->notifyPending, 0);
	if (!record->refs) {
		freeRecord(record);
		return;
	}
	for (i = 0; i < record->maxReaders && !record->closed; i++) {
		ReaderRecord *reader = record->readers[i];
		if (!reader || !reader->hasCallback)
			continue;
		xsBeginHost(the);
		{
			xsTry {
				xsCallFunction0(reader->onReadable, reader->self);
			}
			xsCatch {
				ivxs_uncaught(the);
			}
		}
		xsEndHost(the);
	}
}

/* Writer thread (any): after each push. */
static void onPush(void *ctx)
{
	RingRecord *record = ctx;
	if (atomic_exchange(&record->notifyPending, 1) == 0) {
		if (ivxs_loop_post(deliver, record) < 0)
			atomic_store(&record->notifyPending, 0);   /* queue full: the next push retries */
	}
}

/* Frees the record once nothing can reach it: no JS Ring, no C writer (their
 * threads are stopped before they release), no queued wake-up. */
static void unref(RingRecord *record)
{
	if (--record->refs > 0)
		return;
	ivxs_ring_set_notify(record->ring, NULL, NULL);
	if (!atomic_load(&record->notifyPending))
		freeRecord(record);   /* else deliver() frees it */
}

void xs_ring_destructor(void *data)
{
	RingRecord *record = data;
	if (record)
		unref(record);
}

static int optionInteger(xsMachine *the, const char *name, double *out)
{
	if (!xsmcHas(xsArg(0), xsID(name)))
		return 0;
	xsmcGet(xsVar(0), xsArg(0), xsID(name));
	if (xsmcTypeOf(xsVar(0)) == xsUndefinedType)
		return 0;
	*out = xsmcToNumber(xsVar(0));
	if (!(*out >= 0) || *out != (double)(uint64_t)*out)
		xsRangeError("ring: invalid %s", name);
	return 1;
}

/* create({ maxGopBytes | arenaBytes, maxFrames, maxReaders }) -> native ring */
void xs_ring_create(xsMachine *the)
{
	ivxs_ring_config config;
	ivxs_ring_stats stats;
	RingRecord *record;
	double value;
	int status;
	memset(&config, 0, sizeof(config));
	ivxs_host_attach(the);
	xsmcVars(1);
	if (xsmcArgc < 1 || xsmcTypeOf(xsArg(0)) != xsReferenceType)
		xsTypeError("ring: options required");
	if (optionInteger(the, "arenaBytes", &value))
		config.arena_bytes = (size_t)value;
	else if (optionInteger(the, "maxGopBytes", &value))
		config.arena_bytes = ivxs_ring_arena_for_gop((size_t)value);
	else
		xsTypeError("ring: maxGopBytes or arenaBytes required");
	if (optionInteger(the, "maxFrames", &value))
		config.max_frames = (uint32_t)value;
	if (optionInteger(the, "maxReaders", &value))
		config.max_readers = (uint32_t)value;
	config.allocator = kArenaAllocator;
	record = calloc(1, sizeof(RingRecord));
	if (!record)
		xsUnknownError("ring: no memory");
	status = ivxs_ring_create(&record->ring, &config);
	if (status < 0) {
		free(record);
		throwStatus(the, status);
	}
	ivxs_ring_get_stats(record->ring, &stats);
	record->maxReaders = config.max_readers ? config.max_readers : 8;
	record->readers = calloc(record->maxReaders, sizeof(ReaderRecord *));
	if (!record->readers) {
		ivxs_ring_destroy(&record->ring);
		free(record);
		xsUnknownError("ring: no memory");
	}
	record->footprint = stats.footprint_bytes + sizeof(RingRecord) + record->maxReaders * (sizeof(ReaderRecord *) + sizeof(ReaderRecord));
	ivxs_mem_register(&gRingMemory);
	ivxs_mem_add(&gRingMemory, (int64_t)record->footprint);
	record->refs = 1;
	ivxs_ring_set_notify(record->ring, onPush, record);
	xsResult = xsNewHostObject(xs_ring_destructor);
	xsmcSetHostData(xsResult, record);
}

static RingRecord *getRing(xsMachine *the, xsSlot *slot)
{
	RingRecord *record = xsmcGetHostData(*slot);
	if (!record || record->closed)
		xsUnknownError("ring: closed");
	return record;
}

ivxs_ring *ivxs_ring_from_js(xsMachine *the, xsSlot *ring)
{
	return getRing(the, ring)->ring;
}

ivxs_ring *ivxs_ring_retain(xsMachine *the, xsSlot *ring, void **token)
{
	RingRecord *record = getRing(the, ring);
	record->refs++;
	*token = record;
	return record->ring;
}

void ivxs_ring_release(void **token)
{
	if (*token)
		unref(*token);
	*token = NULL;
}

/* push(ring, type, codec, key, timestampMs, data) */
void xs_ring_push(xsMachine *the)
{
	RingRecord *record = getRing(the, &xsArg(0));
	void *data;
	xsUnsignedValue size;
	double timestamp = xsmcToNumber(xsArg(4));
	int status;
	if (!(timestamp >= 0) || timestamp > 9007199254740991.0)
		xsRangeError("ring: invalid timestamp");
	xsmcGetBufferReadable(xsArg(5), &data, &size);
	status = ivxs_ring_push(record->ring, (ivxs_frame_type)xsmcToInteger(xsArg(1)), (ivxs_codec)xsmcToInteger(xsArg(2)),
		xsmcTest(xsArg(3)), (uint64_t)timestamp, data, size);
	if (status < 0)
		throwStatus(the, status);
}

void xs_ring_stats(xsMachine *the)
{
	RingRecord *record = getRing(the, &xsArg(0));
	ivxs_ring_stats s;
	xsmcVars(1);
	ivxs_ring_get_stats(record->ring, &s);
	xsResult = xsmcNewObject();
	ivxs_set_number(xsResult, "framesPushed", (double)s.frames_pushed, xsVar(0));
	ivxs_set_number(xsResult, "framesEvicted", (double)s.frames_evicted, xsVar(0));
	ivxs_set_number(xsResult, "gopsEvicted", (double)s.gops_evicted, xsVar(0));
	ivxs_set_number(xsResult, "bytesPushed", (double)s.bytes_pushed, xsVar(0));
	ivxs_set_number(xsResult, "framesHeld", (double)s.frames_held, xsVar(0));
	ivxs_set_number(xsResult, "bytesHeld", (double)s.bytes_held, xsVar(0));
	ivxs_set_number(xsResult, "oldestTimestamp", (double)s.oldest_ts, xsVar(0));
	ivxs_set_number(xsResult, "newestTimestamp", (double)s.newest_ts, xsVar(0));
	ivxs_set_number(xsResult, "arenaBytes", (double)s.arena_bytes, xsVar(0));
	ivxs_set_number(xsResult, "footprintBytes", (double)record->footprint, xsVar(0));
	ivxs_set_number(xsResult, "readersOpen", (double)s.readers_open, xsVar(0));
}

static void closeReader(xsMachine *the, ReaderRecord *reader)
{
	uint32_t i;
	if (!reader->reader && !reader->pending)
		return;
	reader->pending = 0;
	ivxs_ring_reader_close(&reader->reader);
	for (i = 0; i < reader->ring->maxReaders; i++)
		if (reader->ring->readers[i] == reader)
			reader->ring->readers[i] = NULL;
	if (reader->hasCallback) {
		xsForget(reader->onReadable);
		xsForget(reader->self);
		reader->hasCallback = 0;
	}
}

void xs_ring_close(xsMachine *the)
{
	RingRecord *record = xsmcGetHostData(xsArg(0));
	uint32_t i;
	if (!record || record->closed)
		return;
	for (i = 0; i < record->maxReaders; i++)
		if (record->readers[i])
			closeReader(the, record->readers[i]);
	ivxs_ring_set_notify(record->ring, NULL, NULL);
	record->closed = 1;   /* the arena stays until no frame view can reach it */
}

void xs_ring_reader_destructor(void *data)
{
	ReaderRecord *reader = data;
	if (!reader)
		return;
	/* Only reached once the reader is unreachable, so it has no callback
	 * remembered; its slot may still be open if the app never closed it. */
	if (reader->reader || reader->pending) {
		uint32_t i;
		ivxs_ring_reader_close(&reader->reader);
		for (i = 0; i < reader->ring->maxReaders; i++)
			if (reader->ring->readers[i] == reader)
				reader->ring->readers[i] = NULL;
	}
	free(reader);
}

/* createReader(ring, { at: "live" | "time", time, onReadable }, owner) -> native
 * reader; onReadable is called with `this` = owner (the JS RingReader). */
void xs_ring_reader_create(xsMachine *the)
{
	RingRecord *ring;
	ReaderRecord *reader;
	ivxs_ring_start start = IVXS_RING_AT_NEWEST_KEY;
	double time = 0;
	uint32_t i;
	int status;
	xsmcVars(2);
	if (xsmcArgc < 1 || xsmcTypeOf(xsArg(0)) != xsReferenceType)
		xsTypeError("ring reader: ring required");
	ring = getRing(the, &xsArg(0));
	if (xsmcArgc > 1 && xsmcTypeOf(xsArg(1)) == xsReferenceType) {
		xsmcGet(xsVar(0), xsArg(1), xsID("at"));
		if (xsmcTypeOf(xsVar(0)) != xsUndefinedType) {
			const char *at = xsmcToString(xsVar(0));
			if (!strcmp(at, "time"))
				start = IVXS_RING_AT_TIME;
			else if (strcmp(at, "live"))
				xsRangeError("ring reader: at must be \"live\" or \"time\"");
		}
		xsmcGet(xsVar(0), xsArg(1), xsID("time"));
		if (start == IVXS_RING_AT_TIME) {
			time = xsmcToNumber(xsVar(0));
			if (!(time >= 0))
				xsRangeError("ring reader: invalid time");
		}
		xsmcGet(xsVar(1), xsArg(1), xsID("onReadable"));
	}
	for (i = 0; i < ring->maxReaders && ring->readers[i]; i++)
		;
	if (i == ring->maxReaders)
		throwStatus(the, IVXS_RING_EREADERS);
	reader = calloc(1, sizeof(ReaderRecord));
	if (!reader)
		xsUnknownError("ring: no memory");
	/* No matching key frame yet (an empty ring, or T in the future): the
	 * reader waits for one instead of failing, as a live viewer would. */
	status = ivxs_ring_reader_open(ring->ring, start, (uint64_t)time, &reader->reader);
	if (status == IVXS_RING_ENOFRAME)
		reader->pending = 1;
	else if (status < 0) {
		free(reader);
		throwStatus(the, status);
	}
	reader->start = start;
	reader->time = (uint64_t)time;
	reader->ring = ring;
	ring->readers[i] = reader;
	xsResult = xsNewHostObject(xs_ring_reader_destructor);
	xsmcSetHostData(xsResult, reader);
	/* The reader keeps its ring alive (and so the arena and the record). */
	xsmcSet(xsResult, xsID("ring"), xsArg(0));
	reader->self = xsmcArgc > 2 ? xsArg(2) : xsResult;
	if (xsmcArgc > 1 && xsmcIsInstanceOf(xsVar(1), xsFunctionPrototype)) {
		reader->onReadable = xsVar(1);
		reader->hasCallback = 1;
		xsRemember(reader->onReadable);
		xsRemember(reader->self);
	}
}

static ReaderRecord *getReader(xsMachine *the)
{
	ReaderRecord *reader = xsmcGetHostData(xsArg(0));
	if (!reader || (!reader->reader && !reader->pending) || reader->ring->closed)
		xsUnknownError("ring reader: closed");
	return reader;
}

/* read() -> { data, type, codec, key, timestamp, seq, gop, lost, token } or undefined.
 * data is a zero-copy view of the arena: use it, then check valid(frame). */
void xs_ring_reader_read(xsMachine *the)
{
	ReaderRecord *reader = getReader(the);
	ivxs_ring_view view;
	int status;
	if (reader->pending) {
		status = ivxs_ring_reader_open(reader->ring->ring, reader->start, reader->time, &reader->reader);
		if (status == IVXS_RING_ENOFRAME)
			return;   /* still waiting for a key frame */
		if (status < 0)
			throwStatus(the, status);
		reader->pending = 0;
	}
	status = ivxs_ring_read(reader->reader, &view);
	if (status < 0)
		throwStatus(the, status);
	if (status == 0)
		return;
	xsmcVars(3);
	xsmcGet(xsVar(2), xsArg(0), xsID("ring"));
	xsVar(1) = xsNewHostObject(NULL);
	xsmcSetHostBuffer(xsVar(1), (void *)view.data, (xsIntegerValue)view.size);
	xsmcSet(xsVar(1), xsID("ring"), xsVar(2));   /* a view keeps the arena alive */
	xsResult = xsmcNewObject();
	xsmcSet(xsResult, xsID("buffer"), xsVar(1));
	ivxs_set_number(xsResult, "type", view.type, xsVar(0));
	ivxs_set_number(xsResult, "codec", view.codec, xsVar(0));
	xsmcSetBoolean(xsVar(0), view.key);
	xsmcSet(xsResult, xsID("key"), xsVar(0));
	ivxs_set_number(xsResult, "timestamp", (double)view.timestamp_ms, xsVar(0));
	ivxs_set_number(xsResult, "seq", (double)view.seq, xsVar(0));
	ivxs_set_number(xsResult, "gop", (double)view.gop, xsVar(0));
	ivxs_set_number(xsResult, "lost", view.lost, xsVar(0));
	ivxs_set_number(xsResult, "size", view.size, xsVar(0));
	ivxs_set_number(xsResult, "token", (double)view.pos_, xsVar(0));
}

/* valid(frame) -> true if the frame's bytes were not overwritten since read() */
void xs_ring_reader_valid(xsMachine *the)
{
	ReaderRecord *reader = getReader(the);
	ivxs_ring_view view;
	if (reader->pending)
		xsTypeError("ring reader: no frame read yet");
	memset(&view, 0, sizeof(view));
	xsmcVars(1);
	xsmcGet(xsVar(0), xsArg(1), xsID("token"));
	view.pos_ = (uint64_t)xsmcToNumber(xsVar(0));
	xsmcGet(xsVar(0), xsArg(1), xsID("size"));
	view.size = (uint32_t)xsmcToInteger(xsVar(0));
	view.data = (const uint8_t *)"";   /* validity depends on the position only; data must be non-NULL */
	xsmcSetBoolean(xsResult, ivxs_ring_view_valid(reader->ring->ring, &view));
}

void xs_ring_reader_close(xsMachine *the)
{
	ReaderRecord *reader = xsmcGetHostData(xsArg(0));
	if (!reader)
		return;
	closeReader(the, reader);
}
