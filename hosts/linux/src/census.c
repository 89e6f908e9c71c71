/*
 * --heap-census FILE: what the app's machine holds live, by the kind of object holding it,
 * appended to FILE each time the app asks for a collection (collectGarbage(): the camera's
 * --memory-probe). A board collects when its fixed XS heap is full, so what stays live decides
 * how much room each collection leaves for garbage; this says where that live heap is.
 *
 * Right after a collection every instance in the app's slot heaps is live (the sweep turned the
 * rest into free slots). Each is counted under its class (its prototype's `constructor` name), a
 * function under its own name, a function scope's closures under its variables' names, and
 * charged the slots of its property chain (private fields, a Map's entries, a closure's
 * variables included) and the chunk bytes those slots point at (strings, array items,
 * ArrayBuffer bytes, byte code) when the chunks are the app machine's own (the preloaded
 * machine's stay in its flash). Slots no instance chain reaches (the stack's temporaries) are
 * left out, and a variable two closures share is charged to each: the census's total and XS's
 * slots in use differ by a few percent either way. Read without allocating.
 */
#include "xsAll.h"
#include "host.h"

/* xsMemory.c's mark of a chunk being moved; clear between collections. */
#define kChunkFlag 0x80000000
#define kRows 4096   /* a power of two */
#define kShown 60

typedef struct {
	const void *key;        /* the prototype, or a function's byte code */
	txSlot *sample;         /* an instance of the row: its name is read from it */
	unsigned count;
	size_t slots;
	size_t chunks;
} Row;

static Row gRows[kRows];
static unsigned gCensus;

static int ownChunk(txMachine *the, const void *data)
{
	txBlock *block;
	for (block = the->firstBlock; block; block = block->nextBlock) {
		if ((const txByte *)data >= (txByte *)block + sizeof(txBlock) && (const txByte *)data < block->current)
			return 1;
	}
	return 0;
}

static size_t chunkBytes(txMachine *the, const void *data)
{
	if (!data || !ownChunk(the, data))
		return 0;
	return (size_t)(((const txChunk *)((const txByte *)data - sizeof(txChunk)))->size & ~kChunkFlag);
}

/* The chunk bytes one slot points at. */
static size_t slotChunks(txMachine *the, txSlot *slot)
{
	size_t bytes = 0;
	txIndex i, n;
	switch (slot->kind) {
	case XS_STRING_KIND:
		return chunkBytes(the, slot->value.string);
	case XS_BIGINT_KIND:
		return chunkBytes(the, slot->value.bigint.data);
	case XS_KEY_KIND:
		return chunkBytes(the, slot->value.key.string);
	case XS_ARRAY_BUFFER_KIND:
		return chunkBytes(the, slot->value.arrayBuffer.address);
	case XS_CODE_KIND:
		return chunkBytes(the, slot->value.code.address);
	case XS_REGEXP_KIND:
		return chunkBytes(the, slot->value.regexp.code) + chunkBytes(the, slot->value.regexp.data);
	case XS_MAP_KIND:
	case XS_SET_KIND:
	case XS_WEAK_MAP_KIND:
	case XS_WEAK_SET_KIND:
		return chunkBytes(the, slot->value.table.address);
	case XS_STACK_KIND:
		return chunkBytes(the, slot->value.stack.address);
	case XS_ARRAY_KIND:
		if (!slot->value.array.address)
			return 0;
		bytes = chunkBytes(the, slot->value.array.address);
		/* the items the chunk holds (a sparse array's length is not their count) */
		for (i = 0, n = fxGetIndexSize(the, slot); i < n; i++)
			bytes += slotChunks(the, slot->value.array.address + i);
		return bytes;
	default:
		return 0;
	}
}

/* An instance's property chain: its slots and the chunks they point at. */
static void chainOf(txMachine *the, txSlot *instance, size_t *slots, size_t *chunks)
{
	txSlot *slot, *inner;
	for (slot = instance->next; slot; slot = slot->next) {
		*slots += 1;
		*chunks += slotChunks(the, slot);
		inner = NULL;
		if (slot->kind == XS_PRIVATE_KIND)
			inner = slot->value.private.first;
		else if (slot->kind == XS_LIST_KIND)
			inner = slot->value.list.first;
		else if (slot->kind == XS_CLOSURE_KIND && slot->value.closure) {
			*slots += 1;
			*chunks += slotChunks(the, slot->value.closure);
		}
		for (; inner; inner = inner->next) {
			*slots += 1;
			*chunks += slotChunks(the, inner);
		}
	}
}

/* A function scope's closures (xsRun.c's XS_CODE_ENVIRONMENT): a prototype-less instance whose
 * first slot is the environment's behavior; the variables follow, by name. */
static int isScope(txSlot *instance)
{
	return !instance->value.instance.prototype && instance->next && instance->next->ID == XS_ENVIRONMENT_BEHAVIOR;
}

/* A scope's row: its variables' names. */
static uintptr_t scopeKey(txSlot *instance)
{
	uintptr_t key = 0x9e3779b9;
	txSlot *slot;
	for (slot = instance->next->next; slot; slot = slot->next)
		key = (key ^ (uintptr_t)(txU2)slot->ID) * 0x01000193;
	return key | 1;
}

/* What a row's instances are: "Name" (its class), "Name()" (a function), "scope {a, b}" (a
 * function's closures: its variables), or "{kind N}"
 * for an instance with no class (a module's record, a null-prototype object): its first slot's kind. */
static void rowName(txMachine *the, txSlot *instance, char *out, size_t size)
{
	txSlot *prototype = instance->value.instance.prototype, *slot;
	const char *name;
	if (mxIsFunction(instance)) {
		name = ivxs_key_name(the, mxFunctionInstanceCode(instance)->ID);
		snprintf(out, size, "%s()", name && *name ? name : "(anonymous)");
		return;
	}
	if (isScope(instance)) {
		size_t at = (size_t)snprintf(out, size, "scope {");
		int n = 0;
		for (slot = instance->next->next; slot && at < size; slot = slot->next) {
			name = ivxs_key_name(the, slot->ID);
			if (!name)
				continue;
			if (n++ == 5) {
				snprintf(out + at, size - at, ", …");
				at = strlen(out);
				break;
			}
			at += (size_t)snprintf(out + at, size - at, "%s%s", n > 1 ? ", " : "", name);
		}
		if (at < size)
			snprintf(out + at, size - at, "}");
		return;
	}
	for (; prototype; prototype = prototype->value.instance.prototype) {
		for (slot = prototype->next; slot; slot = slot->next) {
			if (slot->ID == mxID(_constructor) && slot->kind == XS_REFERENCE_KIND && mxIsFunction(slot->value.reference)) {
				name = ivxs_key_name(the, mxFunctionInstanceCode(slot->value.reference)->ID);
				snprintf(out, size, "%s", name && *name ? name : "(anonymous class)");
				return;
			}
		}
	}
	/* no class: what its first slot is says what XS made it for (xsAll.h's kinds) */
	snprintf(out, size, "{kind %d}", instance->next ? instance->next->kind : -1);
}

static Row *rowOf(const void *key)
{
	size_t i = ((uintptr_t)key >> 4) & (kRows - 1), n;
	for (n = 0; n < kRows; n++, i = (i + 1) & (kRows - 1)) {
		if (!gRows[i].sample || gRows[i].key == key)
			return &gRows[i];
	}
	return NULL;
}

static int bytesDescending(const void *a, const void *b)
{
	const Row *x = a, *y = b;
	size_t bx = x->slots * sizeof(txSlot) + x->chunks, by = y->slots * sizeof(txSlot) + y->chunks;
	return bx < by ? 1 : bx > by ? -1 : 0;
}

void ivxs_heap_census(void)
{
	txMachine *the = ivxs_machine_instance;
	FILE *out;
	txSlot *heap, *slot, *limit;
	size_t slots = 0, chunks = 0, instances = 0, dropped = 0, i;
	char name[96];
	if (!the || !ivxs_config.heap_census || !(out = fopen(ivxs_config.heap_census, "a")))
		return;
	memset(gRows, 0, sizeof(gRows));
	for (heap = the->firstHeap; heap; heap = heap->next) {
		limit = heap->value.reference;
		for (slot = heap + 1; slot < limit; slot++) {
			const void *key;
			Row *row;
			size_t s = 1, c = 0;
			if (slot->kind != XS_INSTANCE_KIND)
				continue;
			key = mxIsFunction(slot) ? (const void *)mxFunctionInstanceCode(slot)->value.code.address
				: isScope(slot) ? (const void *)scopeKey(slot)
				: slot->value.instance.prototype ? (const void *)slot->value.instance.prototype
				: (const void *)(uintptr_t)(1 + (slot->next ? slot->next->kind + 1 : 0));
			chainOf(the, slot, &s, &c);
			instances++;
			slots += s;
			chunks += c;
			if (!(row = rowOf(key))) {
				dropped++;
				continue;
			}
			row->key = key;
			row->sample = slot;
			row->count++;
			row->slots += s;
			row->chunks += c;
		}
	}
	qsort(gRows, kRows, sizeof(Row), bytesDescending);
	fprintf(out, "# census %u: %zu instances, %zu slots (%zu B) and %zu chunk bytes in their chains; XS in use: slots %zu B, chunks %zu B%s\n",
		++gCensus, instances, slots, slots * sizeof(txSlot), chunks, (size_t)the->currentHeapCount * sizeof(txSlot), (size_t)the->currentChunksSize,
		dropped ? " (some rows not kept: table full)" : "");
	fprintf(out, "#  count     slot B    chunk B  what\n");
	for (i = 0; i < kShown && i < kRows && gRows[i].sample; i++) {
		rowName(the, gRows[i].sample, name, sizeof(name));
		fprintf(out, "%7u %10zu %10zu  %s\n", gRows[i].count, gRows[i].slots * sizeof(txSlot), gRows[i].chunks, name);
	}
	fclose(out);
}
