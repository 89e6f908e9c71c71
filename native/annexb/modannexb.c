/* XS binding of the Annex-B core (module "annexb"):
 *   scan(bytes) -> [sc, start, end, ...] of every NAL unit, or a negative
 *     IVXS_ANNEXB_E* code (the TypeScript side throws its documented errors);
 *   accessUnits(bytes, codec) -> [start, end, info, ...] of every access unit
 *     (codec "h264" | "h265"), or a negative code.
 * No count limit: a first pass counts (keeping the first kBatch results), the
 * array is made to size and filled; only a buffer with more than kBatch
 * results is walked a second time. Allocating the array can move the bytes
 * (the garbage collector compacts), so the cursors keep offsets and the data
 * pointer is taken again for every batch of that second walk. */
#include "xsmc.h"
#include "ivxs_kit.h"
#include "annexb.h"

#include <string.h>

#define kBatch 64   /* spans gathered in C between two re-reads of the data pointer */

static const uint8_t *bytesOf(xsMachine *the, size_t *size)
{
	void *data;
	xsUnsignedValue length;
	xsmcGetBufferReadable(xsArg(0), &data, &length);
	*size = length;
	return data;
}

/* One result triple per call: 1 written, 0 no more, <0 an IVXS_ANNEXB_E* code. */
typedef int (*NextTriple)(void *state, const uint8_t *data, size_t size, uint32_t triple[3]);

/* Stores k triples from batch at triple index `at` of xsResult. */
static void store(xsMachine *the, const uint32_t *batch, int at, int k)
{
	int i;
	for (i = 0; i < 3 * k; i++) {
		xsmcSetInteger(xsVar(0), (xsIntegerValue)batch[i]);
		xsmcSetIndex(xsResult, 3 * at + i, xsVar(0));
	}
}

/* Counts the triples, makes xsResult an Array of exactly that many, fills it;
 * or sets xsResult to the error code. reset puts the state back to the start. */
static void collect(xsMachine *the, NextTriple next, void *state, void (*reset)(void *state))
{
	uint32_t batch[3 * kBatch], spare[3];
	const uint8_t *data;
	size_t size;
	int r, n = 0, filled = 0;
	xsmcVars(1);
	data = bytesOf(the, &size);
	while ((r = next(state, data, size, n < kBatch ? batch + 3 * n : spare)) == 1)
		n++;
	if (r < 0) {
		xsmcSetInteger(xsResult, r);
		return;
	}
	xsResult = xsNewArray(3 * n);   /* may move the bytes: data is taken again below */
	if (n <= kBatch) {   /* the usual access unit: everything is in batch already */
		store(the, batch, 0, n);
		return;
	}
	reset(state);
	while (filled < n) {
		int k = 0;
		data = bytesOf(the, &size);
		while (k < kBatch && next(state, data, size, batch + 3 * k) == 1)
			k++;
		if (k == 0)
			ivxs_error(IVXS_EARG, "annexb: bytes changed during scan");
		store(the, batch, filled, k);
		filled += k;
	}
}

static int nextNal(void *state, const uint8_t *data, size_t size, uint32_t triple[3])
{
	ivxs_annexb_span span;
	int r = ivxs_annexb_next_nal(data, size, state, &span);
	if (r == 1) {
		triple[0] = span.sc;
		triple[1] = span.start;
		triple[2] = span.end;
	}
	return r;
}

static void resetNal(void *state)
{
	ivxs_annexb_cursor_init(state);
}

void xs_annexb_scan(xsMachine *the)
{
	ivxs_annexb_cursor cursor;
	ivxs_annexb_cursor_init(&cursor);
	collect(the, nextNal, &cursor, resetNal);
}

typedef struct {
	ivxs_annexb_au_cursor cursor;
	int codec;
} AuState;

static int nextAu(void *state, const uint8_t *data, size_t size, uint32_t triple[3])
{
	AuState *au = state;
	return ivxs_annexb_next_au(au->codec, data, size, &au->cursor, &triple[0], &triple[1], &triple[2]);
}

static void resetAu(void *state)
{
	ivxs_annexb_au_cursor_init(&((AuState *)state)->cursor);
}

void xs_annexb_accessUnits(xsMachine *the)
{
	AuState state;
	char name[8];
	xsmcToStringBuffer(xsArg(1), name, sizeof(name));   /* arguments first, bytes last */
	if (!strcmp(name, "h264"))
		state.codec = IVXS_ANNEXB_H264;
	else if (!strcmp(name, "h265"))
		state.codec = IVXS_ANNEXB_H265;
	else
		ivxs_type_error(IVXS_EARG, "annexb: codec must be \"h264\" or \"h265\"");
	resetAu(&state);
	collect(the, nextAu, &state, resetAu);
}
