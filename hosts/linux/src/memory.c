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

static void *accountedAlloc(size_t size)
{
	AllocHeader *header;
	size_t limit = ivxs_config.heap_limit;
	if (size > SIZE_MAX - sizeof(AllocHeader))
		return NULL;
	if (limit && (size > limit || gReserved - gPreloaded > limit - size))
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

void ivxs_memory_preloaded(size_t used)
{
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
