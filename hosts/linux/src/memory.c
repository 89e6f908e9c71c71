/*
 * XS memory: the engine's chunk and slot allocation hooks, accounted and
 * optionally limited (--heap-limit), and the memory report (XS heap plus the
 * bytes each native module holds).
 */
#include "xsAll.h"
#include "host.h"

typedef struct {
	size_t size;
	size_t pad;   /* keeps the payload 16-byte aligned */
} AllocHeader;

static size_t gReserved, gReservedPeak;
/* What the preloaded, shared machine took (preload.c): a board keeps it in flash, so the heap
 * limit and the figures count the rest. */
static size_t gPreloaded, gPreloadedUsed;
static int gUnlimited;   /* building the preloaded machine: the heap limit is the app's */

static void *accountedAlloc(size_t size)
{
	AllocHeader *header;
	size_t limit = ivxs_config.heap_limit;
	if (size > SIZE_MAX - sizeof(AllocHeader))
		return NULL;
	if (limit && !gUnlimited && (size > limit || gReserved - gPreloaded > limit - size))
		return NULL;   /* XS aborts with "memory full" */
	header = c_malloc(sizeof(AllocHeader) + size);
	if (!header)
		return NULL;
	header->size = size;
	gReserved += size;
	if (gReserved > gReservedPeak)
		gReservedPeak = gReserved;
	return header + 1;
}

static void accountedFree(void *p)
{
	AllocHeader *header;
	if (!p)
		return;
	header = (AllocHeader *)p - 1;
	gReserved -= header->size;
	c_free(header);
}

void *fxAllocateChunks(txMachine *the, txSize size)
{
	(void)the;
	return size < 0 ? NULL : accountedAlloc((size_t)size);
}

void fxFreeChunks(txMachine *the, void *chunks)
{
	(void)the;
	accountedFree(chunks);
}

txSlot *fxAllocateSlots(txMachine *the, txSize count)
{
	(void)the;
	if (count < 0 || (size_t)count > SIZE_MAX / sizeof(txSlot))
		return NULL;
	return accountedAlloc((size_t)count * sizeof(txSlot));
}

void fxFreeSlots(txMachine *the, void *slots)
{
	(void)the;
	accountedFree(slots);
}

/* What the app's machine allocated: XS's counts of chunk bytes and slots in use only grow
 * between collections, so everything allocated is what is in use now plus what every
 * collection freed — in use when it began marking (ivxs_memory_collecting, from the
 * collection counter's marker) minus in use after it (the collector's own report). Chunks are
 * freed only by compacting collections, which report them. */
static unsigned long long gChunksFreed, gSlotsFreed;
static size_t gChunksMarked, gSlotsMarked;
static int gMarked;

/* --gc-stacks: a collection comes when an allocation finds the heap full, so the JS stack at
 * each is a sample of what allocates, weighted by bytes (a sampling allocation profiler with
 * the collections as its clock). A line each: "name path:line < caller path:line < …", read
 * without allocating (the collector is running), as fxCaptureErrorStack finds them. */
#define kGcStackFrames 8
static FILE *gGcStacks;

const char *ivxs_key_name(txMachine *the, txID id)
{
	txSlot *key = id != XS_NO_ID ? fxGetKey(the, id) : NULL;
	return key && key->value.key.string ? key->value.key.string : NULL;
}

static const char *keyString(txMachine *the, txID id)
{
	const char *name = ivxs_key_name(the, id);
	return name ? name : "?";
}

static void writeGcStack(txMachine *the)
{
	txSlot *frame = the->frame;
	int n = 0;
	if (!gGcStacks) {
		if (!ivxs_config.gc_stacks || !(gGcStacks = fopen(ivxs_config.gc_stacks, "w")))
			return;
	}
	for (; frame && frame->next && n < kGcStackFrames; frame = frame->next) {
		txSlot *environment = mxFrameToEnvironment(frame), *function = frame + 3;
		const char *name = "?";
		if (function->kind != XS_REFERENCE_KIND || !mxIsFunction(function->value.reference))
			continue;
		function = function->value.reference;
		txSlot *code = mxFunctionInstanceCode(function);
		if (code->ID != XS_NO_ID)
			name = keyString(the, code->ID);
		fprintf(gGcStacks, "%s%s %s:%d", n++ ? " < " : "", name, keyString(the, environment->ID), (int)environment->value.environment.line);
	}
	fputc('\n', gGcStacks);
	fflush(gGcStacks);
}

void ivxs_memory_collecting(void)
{
	txMachine *the = ivxs_machine_instance;
	if (!the)
		return;
	gChunksMarked = (size_t)the->currentChunksSize;
	gSlotsMarked = (size_t)the->currentHeapCount;
	gMarked = 1;
	if (ivxs_config.gc_stacks)
		writeGcStack(the);
}

void ivxs_xs_report(txMachine *the, txString format, ...)
{
	va_list ap;
	long used;
	int chunks = !strncmp(format, "# Chunk collection:", 19), slots = !strncmp(format, "# Slot collection:", 18);
	if (the != ivxs_machine_instance || !gMarked || !(chunks || slots))
		return;   /* growth reports, the preloaded machine's collections */
	va_start(ap, format);
	(void)va_arg(ap, long);          /* reserved */
	used = va_arg(ap, long);         /* in use after the collection: bytes */
	va_end(ap);
	if (chunks && (size_t)used <= gChunksMarked)
		gChunksFreed += gChunksMarked - (size_t)used;
	if (slots) {
		if ((size_t)used / sizeof(txSlot) <= gSlotsMarked)
			gSlotsFreed += gSlotsMarked - (size_t)used / sizeof(txSlot);
		gMarked = 0;   /* the slot report is the collection's last */
	}
}

void ivxs_memory_unlimited(int on)
{
	gUnlimited = on;
}

void ivxs_memory_preloaded(size_t used)
{
	gUnlimited = 0;   /* the app's machine, made next, is limited */
	gPreloaded = gReserved;
	gPreloadedUsed = used;
	gReservedPeak = gReserved;
}

void ivxs_machine_memory(ivxs_xs_memory *out)
{
	txMachine *the = ivxs_machine_instance;
	memset(out, 0, sizeof(*out));
	out->reserved = gReserved - gPreloaded;
	out->reserved_peak = gReservedPeak - gPreloaded;
	out->preloaded = gPreloadedUsed;
	out->collections = ivxs_collections();
	if (the) {
		out->chunks_used = (size_t)the->currentChunksSize;
		out->chunks_peak = (size_t)the->peakChunksSize;
		out->slots_used = (size_t)the->currentHeapCount * sizeof(txSlot);
		out->slots_peak = (size_t)the->peakHeapCount * sizeof(txSlot);
		out->allocated_chunks = (unsigned long long)the->currentChunksSize + gChunksFreed;
		out->allocated = out->allocated_chunks + ((unsigned long long)the->currentHeapCount + gSlotsFreed) * sizeof(txSlot);
	}
}

void ivxs_memory_report(const char *why, int force)
{
	ivxs_xs_memory m;
	ivxs_mem_counter *c;
	if (!ivxs_config.memory_report && !force)
		return;
	ivxs_machine_memory(&m);
	fprintf(stderr, "ivxs memory (%s): xs chunks %zu (peak %zu), xs slots %zu (peak %zu), xs reserved %zu (peak %zu), xs preloaded %zu, xs collections %llu",
		why, m.chunks_used, m.chunks_peak, m.slots_used, m.slots_peak, m.reserved, m.reserved_peak, m.preloaded, m.collections);
	for (c = ivxs_mem_first(); c; c = c->next)
		fprintf(stderr, ", %s %lld (peak %lld)", c->name, (long long)c->bytes, (long long)c->peak);
	fputc('\n', stderr);
}
