/*
 * Preloading, as a board does it: the modules an entry lists in <entry>.preload
 * (written by scripts/build.mjs from manifest.json's "preload", beside the
 * entry's .js) are loaded into a first machine, which is then shared — every
 * slot of it stays marked, so the collector of the machine the app runs in
 * (a clone) never walks the app's code again. On an ESP32 the same modules
 * live in flash (Moddable's XS linker); here they live in a heap nobody
 * collects.
 *
 * What the shared modules hold is read-only in the ways a board's flash is:
 * an object or a closure written after preloading gets a copy in the clone
 * (XS's aliases), and a Map, Set, WeakMap, WeakSet or ArrayBuffer made while
 * preloading refuses changes (TypeError), as the linker's preloaded ones do.
 * That is not only fidelity: a shared Map's table would hold entries only the
 * clone knows, which its collector would free under it.
 *
 * A list that cannot be preloaded (a missing module, one that throws) is not
 * fatal: the host says so and runs the app without preloading, in a fresh
 * machine.
 *
 * The default wherever an entry has a list; `--no-preload` runs the app with
 * its modules in its own heap (bench board-cpu measures both).
 */
#include "xsAll.h"
#include "host.h"

#define kPreloadListMax (64 * 1024)

/* Freezes an instance as Object.freeze does (its own properties, not deeper). */
static void freeze(txSlot *instance)
{
	txSlot *property;
	instance->flag |= XS_DONT_PATCH_FLAG;
	for (property = instance->next; property; property = property->next) {
		if (property->kind != XS_ACCESSOR_KIND)
			property->flag |= XS_DONT_SET_FLAG;
		property->flag |= XS_DONT_DELETE_FLAG;
	}
}

/* Whether an instance is one the XS linker freezes when it preloads: XS cannot alias what its
 * internal slot points to (a table, a buffer, a pattern, reactions). */
static int isUnaliasable(txSlot *internal)
{
	if (!internal || !(internal->flag & XS_INTERNAL_FLAG))
		return 0;
	switch (internal->kind) {
	case XS_ARRAY_BUFFER_KIND:
	case XS_DATA_VIEW_KIND:
	case XS_MAP_KIND:
	case XS_PROMISE_KIND:
	case XS_PROXY_KIND:
	case XS_REGEXP_KIND:
	case XS_SET_KIND:
	case XS_TYPED_ARRAY_KIND:
	case XS_WEAK_MAP_KIND:
	case XS_WEAK_REF_KIND:
	case XS_WEAK_SET_KIND:
		return 1;
	case XS_CLOSURE_KIND:
		return internal->value.closure && internal->value.closure->kind == XS_FINALIZATION_REGISTRY_KIND;
	default:
		return 0;
	}
}

/* A value's bytes outside the collected chunks (the _X kinds). */
static void sealValue(txSlot *slot)
{
	switch (slot->kind) {
	case XS_STRING_KIND: slot->kind = XS_STRING_X_KIND; break;
	case XS_BIGINT_KIND: slot->kind = XS_BIGINT_X_KIND; break;
	case XS_KEY_KIND: slot->kind = XS_KEY_X_KIND; break;
	case XS_CODE_KIND: slot->kind = XS_CODE_X_KIND; break;
	default: break;
	}
}

/* Seals the shared machine the way the XS linker lays out flash, so that the clone's
 * collector never touches it:
 * - strings, big integers, keys and bytecode become their _X kinds, in the heap, in arrays'
 *   items and on the stack. A chunk of the shared heap keeps, in its header, a link to the
 *   next chunk; the clone's compaction reads that header as a forwarding address, and would
 *   move a clone slot's string, or a running function's code pointer, to garbage.
 * - what XS cannot alias (above) is frozen, its internal slot with it: a buffer or keyed
 *   collection then refuses changes (TypeError), as preloaded ones do on a board. */
static void seal(txMachine *the)
{
	txSlot *heap, *slot, *limit;
	/* The machine's stack too: the clone reads its built-in values there (stackPrototypes), and
	 * `typeof` copies a type name from it onto the clone's stack, where a compaction would move it. */
	for (slot = the->stack; slot < the->stackTop; slot++)
		sealValue(slot);
	for (heap = the->firstHeap; heap; heap = heap->next) {
		limit = heap->value.reference;
		for (slot = heap + 1; slot < limit; slot++) {
			sealValue(slot);
			switch (slot->kind) {
			case XS_ARRAY_KIND:
			case XS_ARGUMENTS_SLOPPY_KIND:
			case XS_ARGUMENTS_STRICT_KIND:
				/* Items live in a chunk, not in the heap: an alias copies them into the clone. */
				if (slot->value.array.address) {
					txSlot *item = slot->value.array.address;
					txIndex count = fxGetIndexSize(the, slot);
					for (; count > 0; item++, count--)
						sealValue(item);
				}
				break;
			case XS_INSTANCE_KIND:
				if (isUnaliasable(slot->next)) {
					freeze(slot);
					if (slot->next->kind == XS_PROMISE_KIND && slot->next->next && slot->next->next->kind == XS_REFERENCE_KIND)
						freeze(slot->next->next->value.reference);   /* its reactions */
				}
				break;
			}
		}
	}
}

/* Whether XS would never alias the instance: not extensible, and no property (nor array
 * item) can change (fxShare's rule). */
static int isFrozen(txMachine *the, txSlot *instance)
{
	txSlot *property;
	if (!(instance->flag & XS_DONT_PATCH_FLAG))
		return 0;
	for (property = instance->next; property; property = property->next) {
		txSlot *item = property;
		txInteger count = 1;
		if (property->kind == XS_ARRAY_KIND) {
			item = property->value.array.address;
			count = item ? (txInteger)fxGetIndexSize(the, property) : 0;
		}
		for (; count > 0; item++, count--)
			if ((item->kind != XS_ACCESSOR_KIND && !(item->flag & XS_DONT_SET_FLAG)) || !(item->flag & XS_DONT_DELETE_FLAG))
				return 0;
	}
	return 1;
}

/* XS's fxShare numbers what the clone may alias (objects that can change, variables) from 0,
 * but 0 is XS_NO_ID, "never aliased": the first one would be written in place, its new values
 * out of the clone collector's sight. Numbered again from 1, in the same order, as the XS
 * linker does. */
static int renumber(txMachine *the)
{
	txSlot *heap, *slot, *limit;
	txU4 next = 1;
	for (heap = the->firstHeap; heap; heap = heap->next)
		for (slot = heap + 1, limit = heap->value.reference; slot < limit; slot++)
			if (slot->kind == XS_CLOSURE_KIND && !(slot->value.closure->flag & XS_DONT_SET_FLAG))
				slot->value.closure->ID = XS_NO_ID;
	for (heap = the->firstHeap; heap; heap = heap->next) {
		for (slot = heap + 1, limit = heap->value.reference; slot < limit; slot++) {
			if (slot->kind == XS_INSTANCE_KIND)
				slot->ID = isFrozen(the, slot) ? XS_NO_ID : (txID)next++;
			else if (slot->kind == XS_CLOSURE_KIND && !(slot->value.closure->flag & XS_DONT_SET_FLAG) && slot->value.closure->ID == XS_NO_ID)
				slot->value.closure->ID = (txID)next++;
			if (next > (txID)~0) {
				ivxs_machine_set_error("more than %u objects and variables to preload", (unsigned)(txID)~0);
				return -1;
			}
		}
	}
	the->aliasCount = (txID)next;
	return 0;
}

/* Reads <entry>.preload (one module key a line; '#' starts a comment) into a
 * NUL-separated list. Returns how many keys, 0 for no file, -1 on error. */
static int readList(const char *entry, char **out)
{
	char path[C_PATH_MAX];
	FILE *file;
	char *text, *from, *to;
	size_t size;
	int count = 0;
	*out = NULL;
	if (ivxs_loader_find(entry, ".preload", path, sizeof(path)) < 0)
		return 0;
	file = fopen(path, "rb");
	if (!file) {
		ivxs_machine_set_error("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	text = c_malloc(kPreloadListMax + 1);
	size = text ? fread(text, 1, kPreloadListMax + 1, file) : 0;
	fclose(file);
	if (!text || size > kPreloadListMax) {
		c_free(text);
		ivxs_machine_set_error("%s: %s", path, text ? "longer than 64 KiB" : "out of memory");
		return -1;
	}
	text[size] = 0;
	/* Keeps each line's key (no comment, no blanks around it), each ended by a NUL. */
	for (from = to = text; *from; ) {
		char *line = from, *end = c_strchr(from, '\n'), *hash;
		from = end ? end + 1 : from + c_strlen(from);
		if (end)
			*end = 0;
		if ((hash = c_strchr(line, '#')))
			*hash = 0;
		while (*line == ' ' || *line == '\t' || *line == '\r')
			line++;
		size = c_strlen(line);
		while (size && (line[size - 1] == ' ' || line[size - 1] == '\t' || line[size - 1] == '\r'))
			size--;
		if (!size)
			continue;
		c_memmove(to, line, size);
		to[size] = 0;
		to += size + 1;
		count++;
	}
	*to = 0;
	*out = text;
	return count;
}

int ivxs_preload(const char *entry)
{
	char *list, *key;
	int count = readList(entry, &list), i;
	if (count <= 0)
		return count;
	for (key = list, i = 0; i < count; key += c_strlen(key) + 1, i++) {
		if (ivxs_import(key, 0)) {
			ivxs_machine_set_error("preloading %s failed", key);
			c_free(list);
			return -1;
		}
	}
	c_free(list);
	ivxs_machine_share();
	seal(ivxs_machine_instance);
	if (renumber(ivxs_machine_instance) < 0)
		return -1;
	if (ivxs_machine_clone() < 0)
		return -1;
	return count;
}
