/* XS binding of the Annex-B scanner (module "annexb"): scan(bytes) returns
 * the triples as an Array of numbers, or a negative error code that the
 * TypeScript side turns into its documented error classes. */
#include "xsmc.h"
#include "annexb.h"

#define kMaxNals 256   /* an access unit with more NAL units is refused (EFULL) */

void xs_annexb_scan(xsMachine *the)
{
	uint32_t spans[3 * kMaxNals];
	void *data;
	xsUnsignedValue size;
	int count, i;
	xsmcGetBufferReadable(xsArg(0), &data, &size);
	count = ivxs_annexb_scan(data, size, spans, kMaxNals);
	if (count < 0) {
		xsmcSetInteger(xsResult, count);
		return;
	}
	xsmcVars(1);
	xsResult = xsNewArray(3 * count);
	for (i = 0; i < 3 * count; i++) {
		xsmcSetInteger(xsVar(0), (xsIntegerValue)spans[i]);
		xsmcSetIndex(xsResult, i, xsVar(0));
	}
}
