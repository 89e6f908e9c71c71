/*
 * Host objects as handles: what JS holds for a descriptor, a timer or a
 * socket is an object whose hooks say what it is, never a number it could
 * forge. Every binding function fetches its record through here, and its
 * integer arguments through ivxs_to_int().
 */
#include "xsmc.h"
#include "host.h"

void *ivxs_handle_get(xsMachine *the, xsSlot *slot, const xsHostHooks *hooks, const char *kind)
{
	void *volatile data = NULL;
	if (xsmcTypeOf(*slot) != xsReferenceType)
		xsTypeError("not a %s", kind);
	xsTry {
		data = xsmcGetHostDataValidate(*slot, (void *)hooks);
	}
	xsCatch {
		xsTypeError("not a %s", kind);
	}
	return data;
}

void *ivxs_handle_open(xsMachine *the, xsSlot *slot, const xsHostHooks *hooks, const char *kind)
{
	void *data = ivxs_handle_get(the, slot, hooks, kind);
	if (!data)
		xsUnknownError("closed");
	return data;
}

int32_t ivxs_to_int(xsMachine *the, xsSlot *slot, int32_t min, int32_t max, const char *what)
{
	double value = xsmcToNumber(*slot);
	if (!(value >= min && value <= max) || value != (double)(int32_t)value)
		xsRangeError("invalid %s", what);
	return (int32_t)value;
}
