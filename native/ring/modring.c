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
 * Lifetimes: the RingRecord is reference-counted (VM thread only): the JS
 * Ring, each JS reader and each C writer hold one reference, so the garbage
 * collector may destroy a ring and its readers in any order.
 *
 * Every function checks its host objects against the hooks of their kind
 * (ring, reader, frame buffer): anything else is a TypeError, never
 * reinterpreted.
 *
 * The JS classes (ring.js) are plain classes over these host objects: a class
 * declared with a host destructor cannot go into an XS heap snapshot, and the
 * app's modules are preloaded into one.
 */
#include "xsmc.h"
#include "ivxs_host.h"
#include "ivxs_kit.h"
#include "ring.h"
#include "modring.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define kMaxReaders 1024

typedef struct RingRecord RingRecord;

typedef struct {
	RingRecord *ring;           /* a counted reference, dropped by the destructor */
	ivxs_ring_reader *reader;
	int pending;                /* opened before a matching key frame existed */
	ivxs_ring_start start;
	uint64_t time;
	xsSlot self;
	xsSlot onReadable;
	int hasCallback;
	double lost;                /* frames the writer overtook it by, so far (its lost getter) */
} ReaderRecord;

struct RingRecord {
	ivxs_ring *ring;
	atomic_int notifyPending;   /* a wake-up is queued on the loop */
	int refs;                   /* the JS Ring + each JS reader + each C writer (VM thread only) */
	int closed;
	uint32_t maxReaders;
	ReaderRecord **readers;
	size_t footprint;
};

static ivxs_mem_counter gRingMemory = { "ring", 0, 0, NULL };

void xs_ring_destructor(void *data);
void xs_ring_reader_destructor(void *data);

/* One hook table per kind of host object: the validation key. */
static const xsHostHooks kRingHooks = { xs_ring_destructor, NULL, NULL };
static const xsHostHooks kReaderHooks = { xs_ring_reader_destructor, NULL, NULL };
static const xsHostHooks kFrameHooks = { NULL, NULL, NULL };   /* a frame's bytes: a host buffer over the arena */

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
/* The ring's control block (header, readers, index: what both sides change with atomic
 * instructions) in internal RAM: the S3's S32C1I does not reach PSRAM, and with
 * CONFIG_SPIRAM_MALLOC_ALWAYSINTERNAL a plain malloc of this size would land there. */
static void *controlAlloc(size_t bytes, void *ctx)
{
	(void)ctx;
	return heap_caps_malloc(bytes, MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT);
}
static const ivxs_ring_allocator gControlAllocator = { controlAlloc, arenaFree, NULL };
#define kControlAllocator (&gControlAllocator)
#else
#define kArenaAllocator NULL
#define kControlAllocator NULL
#endif

static const ivxs_status_entry *const kStatusTables[] = { ivxs_ring_statuses, NULL };

static void throwStatus(xsMachine *the, int status)
{
	switch (status) {
	case IVXS_RING_EARG:
	case IVXS_RING_ECODEC:
	case IVXS_RING_EEMPTY:
		ivxs_throw_status(the, XS_TYPE_ERROR, "ring", status, kStatusTables);
	case IVXS_RING_ETOOBIG:
	case IVXS_RING_ETIME:
	case IVXS_RING_ENEEDKEY:
	case IVXS_RING_EREADERS:
	case IVXS_RING_ENOFRAME:
		ivxs_throw_status(the, XS_RANGE_ERROR, "ring", status, kStatusTables);
	case IVXS_RING_EBUSY:
		ivxs_error(IVXS_RING_EBUSY, "ring: %s (one writer at a time: a Capture owns this ring)", ivxs_ring_strerror(status));
	default:
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "ring", status, kStatusTables);
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

#define kMaxSafeInteger IVXS_MAX_SAFE_INTEGER

/* An integer in [min, max], checked before any cast. */
static double integerIn(xsMachine *the, xsSlot *slot, double min, double max, const char *name)
{
	return ivxs_integer(the, slot, min, max, "ring", name);
}

static int optionInteger(xsMachine *the, const char *name, double min, double max, double *out)
{
	if (!ivxs_option(the, &xsArg(0), name, &xsVar(0)))
		return 0;
	*out = integerIn(the, &xsVar(0), min, max, name);
	return 1;
}

/* Largest arena: what size_t holds here, and at most 2^48 (positions stay
 * exact and far from wrapping); a 32-bit board is limited by its memory. */
static double maxArenaBytes(void)
{
	double limit = 281474976710656.0;
	return ((double)SIZE_MAX < limit) ? (double)SIZE_MAX : limit;
}

/* create({ maxGopBytes | arenaBytes, maxFrames | framesScale, maxReaders }) -> native ring.
 * framesScale: that many times the index slots the bytes derive (a track of small frames, G.711's
 * 50 a second, would otherwise shorten how many seconds the ring holds). */
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
		ivxs_type_error(IVXS_EARG, "ring: options required");
	if (optionInteger(the, "arenaBytes", 1, maxArenaBytes(), &value))
		config.arena_bytes = (size_t)value;
	else if (optionInteger(the, "maxGopBytes", 1, maxArenaBytes() / 4, &value))
		config.arena_bytes = ivxs_ring_arena_for_gop((size_t)value);
	else
		ivxs_type_error(IVXS_EARG, "ring: maxGopBytes or arenaBytes required");
	if (optionInteger(the, "maxFrames", 1, UINT32_MAX, &value))
		config.max_frames = (uint32_t)value;
	else if (optionInteger(the, "framesScale", 1, 8, &value))
		config.max_frames = ivxs_ring_derived_frames(config.arena_bytes) * (uint32_t)value;
	if (optionInteger(the, "maxReaders", 1, kMaxReaders, &value))
		config.max_readers = (uint32_t)value;
	config.allocator = kArenaAllocator;
	config.control_allocator = kControlAllocator;
	record = calloc(1, sizeof(RingRecord));
	if (!record)
		ivxs_error(IVXS_ENOMEM, "ring: no memory");
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
		ivxs_error(IVXS_ENOMEM, "ring: no memory");
	}
	record->footprint = stats.footprint_bytes + sizeof(RingRecord) + record->maxReaders * (sizeof(ReaderRecord *) + sizeof(ReaderRecord));
	ivxs_mem_register(&gRingMemory);
	ivxs_mem_add(&gRingMemory, (int64_t)record->footprint);
	record->refs = 1;
	ivxs_ring_set_notify(record->ring, onPush, record);
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostHooks(xsResult, &kRingHooks);
	xsmcSetHostData(xsResult, record);
}

/* An open ring: TypeError if `slot` is not a ring, Error if it is closed. */
static RingRecord *getRing(xsMachine *the, xsSlot *slot)
{
	RingRecord *record = ivxs_handle_get(the, slot, &kRingHooks, "ring", "Ring");
	if (!record || record->closed)
		ivxs_error(IVXS_ECLOSED, "ring: closed");
	return record;
}

ivxs_ring *ivxs_ring_from_js(xsMachine *the, xsSlot *ring)
{
	return getRing(the, ring)->ring;
}

/* The ring's one writer from now on (single-writer rule): a second writer,
 * or JS push while this one holds it, is an error. */
ivxs_ring *ivxs_ring_retain(xsMachine *the, xsSlot *ring, void **token)
{
	RingRecord *record = getRing(the, ring);
	int status = ivxs_ring_writer_claim(record->ring);
	if (status < 0)
		throwStatus(the, status);
	record->refs++;
	*token = record;
	return record->ring;
}

void ivxs_ring_release(void **token)
{
	RingRecord *record = *token;
	*token = NULL;
	if (!record)
		return;
	ivxs_ring_writer_release(record->ring);
	unref(record);
}

ivxs_ring *ivxs_ring_hold(xsMachine *the, xsSlot *ring, void **token)
{
	RingRecord *record = getRing(the, ring);
	record->refs++;
	*token = record;
	return record->ring;
}

void ivxs_ring_unhold(void **token)
{
	RingRecord *record = *token;
	*token = NULL;
	if (record)
		unref(record);
}

/* push(ring, type, codec, key, timestampMs, data, info) */
void xs_ring_push(xsMachine *the)
{
	RingRecord *record;
	ivxs_ring_frame frame;
	xsUnsignedValue size;
	void *data;
	int status;
	/* Every conversion first (a valueOf may run JS and the GC, which moves
	 * buffers); the data pointer last, used at once. */
	(void)ivxs_handle_get(the, &xsArg(0), &kRingHooks, "ring", "Ring");
	memset(&frame, 0, sizeof(frame));
	frame.type = (ivxs_frame_type)integerIn(the, &xsArg(1), 0, 255, "frame type");
	frame.codec = (ivxs_codec)integerIn(the, &xsArg(2), 0, 255, "codec");
	frame.key = xsmcTest(xsArg(3));
	frame.timestamp_ms = (uint64_t)integerIn(the, &xsArg(4), 0, kMaxSafeInteger, "timestamp");
	if (xsmcArgc > 6 && xsmcTypeOf(xsArg(6)) != xsUndefinedType)
		frame.info = (uint32_t)integerIn(the, &xsArg(6), 0, UINT32_MAX, "info");
	record = getRing(the, &xsArg(0));   /* a valueOf may have closed it */
	status = ivxs_ring_writer_claim(record->ring);
	if (status < 0)
		throwStatus(the, status);
	xsmcGetBufferReadable(xsArg(5), &data, &size);
	frame.data = data;
	frame.size = size;
	status = ivxs_ring_push_frame(record->ring, &frame);
	ivxs_ring_writer_release(record->ring);
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
	ivxs_set_number(xsResult, "maxFrames", (double)s.max_frames, xsVar(0));
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
	RingRecord *record = ivxs_handle_get(the, &xsArg(0), &kRingHooks, "ring", "Ring");
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
	 * remembered; its slot may still be open if the app never closed it.
	 * The ring is still there: this reader holds a reference to it, even if
	 * the JS Ring was collected earlier in the same sweep. */
	if (reader->reader || reader->pending) {
		uint32_t i;
		ivxs_ring_reader_close(&reader->reader);
		for (i = 0; i < reader->ring->maxReaders; i++)
			if (reader->ring->readers[i] == reader)
				reader->ring->readers[i] = NULL;
	}
	unref(reader->ring);
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
		ivxs_type_error(IVXS_EARG, "ring reader: ring required");
	ring = getRing(the, &xsArg(0));
	if (xsmcArgc > 1 && xsmcTypeOf(xsArg(1)) == xsReferenceType) {
		xsmcGet(xsVar(0), xsArg(1), xsID("at"));
		if (xsmcTypeOf(xsVar(0)) != xsUndefinedType) {
			const char *at = xsmcToString(xsVar(0));
			if (!strcmp(at, "time"))
				start = IVXS_RING_AT_TIME;
			else if (strcmp(at, "live"))
				ivxs_range_error(IVXS_EARG, "ring reader: at must be \"live\" or \"time\"");
		}
		xsmcGet(xsVar(0), xsArg(1), xsID("time"));
		if (start == IVXS_RING_AT_TIME) {
			time = xsmcToNumber(xsVar(0));
			if (!(time >= 0 && time <= kMaxSafeInteger))
				ivxs_range_error(IVXS_EARG, "ring reader: invalid time");
		}
		xsmcGet(xsVar(1), xsArg(1), xsID("onReadable"));
	}
	ring = getRing(the, &xsArg(0));   /* a getter may have closed it */
	for (i = 0; i < ring->maxReaders && ring->readers[i]; i++)
		;
	if (i == ring->maxReaders)
		throwStatus(the, IVXS_RING_EREADERS);
	reader = calloc(1, sizeof(ReaderRecord));
	if (!reader)
		ivxs_error(IVXS_ENOMEM, "ring: no memory");
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
	ring->refs++;
	ring->readers[i] = reader;
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostHooks(xsResult, &kReaderHooks);
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
	ReaderRecord *reader = ivxs_handle_get(the, &xsArg(0), &kReaderHooks, "ring", "RingReader");
	if (!reader || (!reader->reader && !reader->pending) || reader->ring->closed)
		ivxs_error(IVXS_ECLOSED, "ring reader: closed");
	return reader;
}

/* The reader's C reader, opened if it was waiting for a key frame; NULL while it still waits. */
static ivxs_ring_reader *openReader(xsMachine *the, ReaderRecord *reader)
{
	int status;
	if (reader->pending) {
		status = ivxs_ring_reader_open(reader->ring->ring, reader->start, reader->time, &reader->reader);
		if (status == IVXS_RING_ENOFRAME)
			return NULL;   /* still waiting for a key frame */
		if (status < 0)
			throwStatus(the, status);
		reader->pending = 0;
	}
	return reader->reader;
}

/* A host buffer with the frame hooks over `size` bytes at `data`, for the frame at ring position
 * `pos` of `ring` (a JS ring), into *out. It carries what validation needs, read-only: its ring
 * (which also keeps the arena alive) and the position, as two 32-bit halves. Uses *scratch. */
static void frameBuffer(xsMachine *the, xsSlot *ring, const uint8_t *data, size_t size, uint64_t pos, xsSlot *out, xsSlot *scratch)
{
	*out = xsNewHostObject(NULL);
	xsmcSetHostHooks(*out, &kFrameHooks);
	xsmcSetHostBuffer(*out, (void *)data, (xsIntegerValue)size);
	xsmcDefine(*out, xsID("ring"), *ring, xsDontDelete | xsDontSet | xsDontEnum);
	xsmcSetNumber(*scratch, (double)(uint32_t)(pos >> 32));
	xsmcDefine(*out, xsID("positionHigh"), *scratch, xsDontDelete | xsDontSet | xsDontEnum);
	xsmcSetNumber(*scratch, (double)(uint32_t)pos);
	xsmcDefine(*out, xsID("positionLow"), *scratch, xsDontDelete | xsDontSet | xsDontEnum);
}

void ivxs_ring_frame_object(xsMachine *the, xsSlot *readerSlot, const ivxs_ring_view *view, xsSlot *out, xsSlot *scratch1, xsSlot *scratch2, xsSlot *scratch3)
{
	xsmcGet(*scratch3, *readerSlot, xsID("ring"));
	frameBuffer(the, scratch3, view->data, view->size, view->pos_, scratch2, scratch1);
	/* The frame: `data` is the host buffer here, and ring.js puts a Uint8Array over it in the same
	 * property (a frame is read for every frame a JS consumer takes: each property is a slot). */
	*out = xsmcNewObject();
	xsmcSet(*out, xsID("data"), *scratch2);
	ivxs_set_number(*out, "type", view->type, *scratch1);
	ivxs_set_number(*out, "codec", view->codec, *scratch1);
	xsmcSetBoolean(*scratch1, view->key);
	xsmcSet(*out, xsID("key"), *scratch1);
	ivxs_set_number(*out, "timestamp", (double)view->timestamp_ms, *scratch1);
	ivxs_set_number(*out, "seq", (double)view->seq, *scratch1);
	ivxs_set_number(*out, "lost", view->lost, *scratch1);
	ivxs_set_number(*out, "info", view->info, *scratch1);
}

ivxs_ring_reader *ivxs_ring_reader_native(xsMachine *the, xsSlot *readerSlot, xsSlot *ring)
{
	ReaderRecord *reader = ivxs_handle_get(the, readerSlot, &kReaderHooks, "ring", "RingReader");
	if (!reader || (!reader->reader && !reader->pending) || reader->ring->closed)
		ivxs_error(IVXS_ECLOSED, "ring reader: closed");
	xsmcGet(*ring, *readerSlot, xsID("ring"));
	return openReader(the, reader);
}

void ivxs_ring_reader_took(xsMachine *the, xsSlot *readerSlot, const ivxs_ring_view *view)
{
	ReaderRecord *reader = ivxs_handle_get(the, readerSlot, &kReaderHooks, "ring", "RingReader");
	if (reader)
		reader->lost += view->lost;
}

/* read() -> { data, type, codec, key, timestamp, seq, lost, info } or undefined.
 * data is a zero-copy view of the arena: use it, then check valid(frame). */
void xs_ring_reader_read(xsMachine *the)
{
	ReaderRecord *reader = getReader(the);
	ivxs_ring_reader *native = openReader(the, reader);
	ivxs_ring_view view;
	int status;
	if (!native)
		return;
	status = ivxs_ring_read(native, &view);
	if (status < 0)
		throwStatus(the, status);
	if (status == 0)
		return;
	reader->lost += view.lost;
	xsmcVars(3);
	ivxs_ring_frame_object(the, &xsArg(0), &view, &xsResult, &xsVar(0), &xsVar(1), &xsVar(2));
}

/* lost(reader) -> the frames the writer overtook it by so far */
void xs_ring_reader_lost(xsMachine *the)
{
	ReaderRecord *reader = ivxs_handle_get(the, &xsArg(0), &kReaderHooks, "ring", "RingReader");
	xsmcSetNumber(xsResult, reader ? reader->lost : 0);
}

/* 1/0 if `buffer` (a slot that may be anything) is a frame buffer whose bytes
 * are still intact / were overwritten; -1 if it is not a frame buffer.
 * `ring`, if not NULL, receives its RingRecord. Uses `scratch`. */
static int frameIntact(xsMachine *the, xsSlot *buffer, xsSlot *scratch, RingRecord **ring)
{
	ivxs_ring_view view;
	RingRecord *record;
	uint32_t high, low;
	void *data = ivxs_host_data(the, buffer, &kFrameHooks);
	if (!data)
		return -1;
	/* Set by read() only, read-only since: the ring is a ring. */
	xsmcGet(*scratch, *buffer, xsID("positionHigh"));
	high = (uint32_t)xsmcToNumber(*scratch);
	xsmcGet(*scratch, *buffer, xsID("positionLow"));
	low = (uint32_t)xsmcToNumber(*scratch);
	xsmcGet(*scratch, *buffer, xsID("ring"));
	record = ivxs_handle_get(the, scratch, &kRingHooks, "ring", "Ring");
	if (ring)
		*ring = record;
	memset(&view, 0, sizeof(view));
	view.data = data;
	view.pos_ = ((uint64_t)high << 32) | low;
	return ivxs_ring_view_valid(record->ring, &view);
}

/* The host buffer that `chunk` may be a ring frame's, into `buffer` (may be the same slot): a
 * view's buffer, or — with `bare` — the chunk itself when it is no view (a frame buffer). 0 when
 * it can be none: not an object, plain memory (an ArrayBuffer, or a view of one), or no view
 * without `bare`. */
static int frameBufferOf(xsMachine *the, xsSlot *chunk, xsSlot *buffer, int bare)
{
	if (xsmcTypeOf(*chunk) != xsReferenceType || xsmcIsInstanceOf(*chunk, xsArrayBufferPrototype))
		return 0;
	if (!xsmcHas(*chunk, xsID("buffer"))) {
		*buffer = *chunk;
		return bare;
	}
	xsmcGet(*buffer, *chunk, xsID("buffer"));
	return xsmcTypeOf(*buffer) == xsReferenceType && !xsmcIsInstanceOf(*buffer, xsArrayBufferPrototype);
}

int ivxs_ring_frame_place(xsMachine *the, xsSlot *data, const uint8_t **bytes, size_t *size, uint64_t *pos, xsSlot *ring)
{
	void *base;
	uint32_t high, low;
	xsIntegerValue offset, length;
	if (!frameBufferOf(the, data, ring, 0) || !(base = ivxs_host_data(the, ring, &kFrameHooks)))
		return 0;
	/* (a view's own bounds, within its host buffer) */
	xsmcGet(*ring, *data, xsID("byteOffset"));
	offset = xsmcToInteger(*ring);
	xsmcGet(*ring, *data, xsID("byteLength"));
	length = xsmcToInteger(*ring);
	xsmcGet(*ring, *data, xsID("buffer"));
	xsmcGet(*data, *ring, xsID("positionHigh"));
	high = (uint32_t)xsmcToNumber(*data);
	xsmcGet(*data, *ring, xsID("positionLow"));
	low = (uint32_t)xsmcToNumber(*data);
	xsmcGet(*ring, *ring, xsID("ring"));
	*bytes = (const uint8_t *)base + offset;
	*size = (size_t)length;
	*pos = ((uint64_t)high << 32) | low;
	return 1;
}

void ivxs_ring_arena_buffer(xsMachine *the, xsSlot *ring, uint64_t pos, xsSlot *out, xsSlot *scratch)
{
	RingRecord *record = getRing(the, ring);
	const uint8_t *base;
	size_t size;
	ivxs_ring_arena(record->ring, &base, &size);
	frameBuffer(the, ring, base, size, pos, out, scratch);
}

/* valid(reader, frame) -> true if the frame's bytes were not overwritten since read() */
void xs_ring_reader_valid(xsMachine *the)
{
	ReaderRecord *reader = getReader(the);
	RingRecord *ring = NULL;
	int intact;
	xsmcVars(2);
	if (xsmcArgc < 2 || xsmcTypeOf(xsArg(1)) != xsReferenceType)
		ivxs_type_error(IVXS_EHANDLE, "ring reader: not a frame");
	/* The frame's view, then the host buffer it views. */
	xsmcGet(xsVar(0), xsArg(1), xsID("data"));
	intact = frameBufferOf(the, &xsVar(0), &xsVar(0), 0) ? frameIntact(the, &xsVar(0), &xsVar(1), &ring) : -1;
	if (intact < 0)
		ivxs_type_error(IVXS_EHANDLE, "ring reader: not a frame");
	if (ring != reader->ring)
		ivxs_type_error(IVXS_EARG, "ring reader: a frame of another ring");
	xsmcSetBoolean(xsResult, intact);
}

/* intact(chunks) -> true if every chunk (Uint8Array, other views, ArrayBuffer)
 * that is a view of a ring frame still holds the frame's bytes; other chunks
 * are ignored. Call it after the bytes were put somewhere reversible and
 * before committing them (README "Zero-copy output"). */
/* Whether the chunk in xsVar(0) is intact: a view of a ring frame still holding its bytes, or
 * not a ring frame's at all (ignored). Uses xsVar(1), xsVar(2). */
static int chunkIntact(xsMachine *the)
{
	if (!frameBufferOf(the, &xsVar(0), &xsVar(1), 1))
		return 1;
	return frameIntact(the, &xsVar(1), &xsVar(2), NULL) != 0;
}

/* intact(chunks | view): every chunk of the array (or the one view) intact. A single view needs
 * no array: a sender checking each frame it reads allocates nothing for it. */
void xs_ring_intact(xsMachine *the)
{
	xsIntegerValue i, count;
	int intact = 1;
	xsmcVars(3);
	if (xsmcArgc < 1 || xsmcTypeOf(xsArg(0)) != xsReferenceType)
		ivxs_type_error(IVXS_EARG, "ring: intact(chunks) takes an array or a view");
	if (!xsmcIsInstanceOf(xsArg(0), xsArrayPrototype)) {
		xsVar(0) = xsArg(0);
		xsmcSetBoolean(xsResult, chunkIntact(the));
		return;
	}
	xsmcGet(xsVar(0), xsArg(0), xsID("length"));
	count = xsmcToInteger(xsVar(0));
	for (i = 0; i < count && intact; i++) {
		xsmcGetIndex(xsVar(0), xsArg(0), i);
		intact = chunkIntact(the);
	}
	xsmcSetBoolean(xsResult, intact);
}

void xs_ring_reader_close(xsMachine *the)
{
	ReaderRecord *reader = ivxs_handle_get(the, &xsArg(0), &kReaderHooks, "ring", "RingReader");
	if (!reader)
		return;
	closeReader(the, reader);
}
