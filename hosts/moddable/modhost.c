/*
 * ivxs/moddable: what the app's platform layer (modules/app/platform/
 * moddable.ts) needs from a Moddable host and Moddable's own modules lack:
 * the XS heap in use and at peak, and the native modules' counters, in the
 * shape of the Linux host's memory() (ivxs/host).
 *
 * The machine's counters are fields of txMachine, so this file uses xsAll.h
 * with xs.h (as Moddable's modules/base/modules/modules.c does), not xsmc.h.
 */
#include "xsAll.h"
#include "xs.h"
#include "ivxs_host.h"

static void setNumber(xsMachine *the, xsSlot *object, const char *name, double value)
{
	xsSet(*object, xsID((txString)name), xsNumber(value));
}

void xs_ivxs_memory(xsMachine *the)
{
	const double slotBytes = (double)sizeof(txSlot);
	ivxs_mem_counter *c;
	xsVars(2);
	xsVar(0) = xsNewObject();
	setNumber(the, &xsVar(0), "chunks", (double)the->currentChunksSize);
	setNumber(the, &xsVar(0), "chunksPeak", (double)the->peakChunksSize);
	setNumber(the, &xsVar(0), "slots", (double)the->currentHeapCount * slotBytes);
	setNumber(the, &xsVar(0), "slotsPeak", (double)the->peakHeapCount * slotBytes);
#ifdef mxInstrument
	setNumber(the, &xsVar(0), "collections", (double)the->garbageCollectionCount);
#endif
	xsVar(1) = xsNewObject();
	for (c = ivxs_mem_first(); c; c = c->next) {
		xsResult = xsNewObject();
		setNumber(the, &xsResult, "bytes", (double)c->bytes);
		setNumber(the, &xsResult, "peak", (double)c->peak);
		xsSet(xsVar(1), xsID((txString)c->name), xsResult);
	}
	xsSet(xsVar(0), xsID("native"), xsVar(1));
	xsResult = xsVar(0);
}

/* A full collection now: what the Linux host's collectGarbage() does (benchmarks'
 * live-heap probes), for ivxs/platform. */
void xs_ivxs_gc(xsMachine *the)
{
	xsCollectGarbage();
}
