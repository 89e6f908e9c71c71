/* The binding kit (ivxs_kit.h): errors with a code, validated host data,
 * argument and option readers. Compiled into every host. */
#include "xsmc.h"
#include "ivxs_kit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* "<prefix>: " or nothing, as two %s arguments. */
#define PREFIX(prefix) (prefix) ? (prefix) : "", (prefix) ? ": " : ""

const ivxs_status_entry ivxs_kit_statuses[] = {
	IVXS_STATUS(IVXS_EARG, "bad argument"),
	IVXS_STATUS(IVXS_EHANDLE, "not a handle of this kind"),
	IVXS_STATUS(IVXS_ECLOSED, "closed"),
	IVXS_STATUS(IVXS_ENOMEM, "out of memory"),
	IVXS_STATUS(IVXS_EUNKNOWN, "unknown status"),
	IVXS_STATUS(IVXS_HOST_ESYSTEM, "system call failed"),
	IVXS_STATUS(IVXS_HOST_EREFUSED, "connection refused"),
	IVXS_STATUS(IVXS_HOST_ERESET, "connection reset by peer"),
	IVXS_STATUS(IVXS_HOST_ETLS, "TLS failed"),
	IVXS_STATUS(IVXS_HOST_EVERIFY, "TLS certificate verification failed"),
	IVXS_STATUS(IVXS_HOST_ECRYPTO, "crypto failed"),
	IVXS_STATUS(IVXS_HOST_ECORRUPT, "stored value corrupt"),
	IVXS_STATUS(IVXS_HOST_ELIMIT, "over a limit of the host"),
	IVXS_STATUS_END
};

void ivxs_throw(xsMachine *the, int type, const char *code, const char *format, ...)
{
	char message[128];
	va_list args;
	va_start(args, format);
	vsnprintf(message, sizeof(message), format, args);
	va_end(args);
	/* XS builds the error (class, message, stack); the code is added to it.
	 * xsException is a rooted slot: the code's string lives there meanwhile. */
	xsTry {
		fxThrowMessage(the, NULL, 0, type, "%s", message);
	}
	xsCatch {
		xsResult = xsException;
		xsmcSetString(xsException, (char *)code);
		xsmcSet(xsResult, xsID("code"), xsException);
		xsmcSetUndefined(xsException);
		xsThrow(xsResult);
	}
	xsUnknownError("%s", message);   /* not reached: xsThrow does not return */
}

static const ivxs_status_entry *entryOf(const ivxs_status_entry *const *tables, int status)
{
	const ivxs_status_entry *entry = NULL;
	for (; *tables && !entry; tables++)
		entry = ivxs_status_find(*tables, status);
	return entry;
}

const char *ivxs_status_name(const ivxs_status_entry *const *tables, int status)
{
	const ivxs_status_entry *entry = entryOf(tables, status);
	return entry ? entry->name : "IVXS_EUNKNOWN";
}

void ivxs_throw_status(xsMachine *the, int type, const char *prefix, int status, const ivxs_status_entry *const *tables)
{
	const ivxs_status_entry *entry = entryOf(tables, status);
	if (!entry)
		ivxs_throw(the, type, "IVXS_EUNKNOWN", "%s%sunknown status %d", PREFIX(prefix), status);
	ivxs_throw(the, type, entry->name, "%s%s%s", PREFIX(prefix), entry->message);
}

void *ivxs_host_data(xsMachine *the, xsSlot *slot, const xsHostHooks *hooks)
{
	void *volatile data = NULL;
	if (xsmcTypeOf(*slot) != xsReferenceType)
		return NULL;
	xsTry {
		data = xsmcGetHostDataValidate(*slot, (void *)hooks);
	}
	xsCatch {
		data = NULL;
	}
	return data;
}

void *ivxs_handle_get(xsMachine *the, xsSlot *slot, const xsHostHooks *hooks, const char *prefix, const char *kind)
{
	void *volatile data = NULL;
	int valid = 0;
	if (xsmcTypeOf(*slot) == xsReferenceType) {
		xsTry {
			data = xsmcGetHostDataValidate(*slot, (void *)hooks);
			valid = 1;
		}
		xsCatch {
		}
	}
	if (!valid)
		ivxs_type_error(IVXS_EHANDLE, "%s%snot a %s", PREFIX(prefix), kind);
	return data;
}

void *ivxs_handle_open(xsMachine *the, xsSlot *slot, const xsHostHooks *hooks, const char *prefix, const char *kind)
{
	void *data = ivxs_handle_get(the, slot, hooks, prefix, kind);
	if (!data)
		ivxs_error(IVXS_ECLOSED, "%s%sclosed", PREFIX(prefix));
	return data;
}

double ivxs_integer(xsMachine *the, xsSlot *slot, double min, double max, const char *prefix, const char *what)
{
	double value = xsmcToNumber(*slot);
	if (!(value >= min && value <= max) || value != (double)(int64_t)value)
		ivxs_range_error(IVXS_EARG, "%s%sinvalid %s", PREFIX(prefix), what);
	return value;
}

uint32_t ivxs_clock_ms(xsMachine *the, xsSlot *slot, const char *prefix, const char *what)
{
	return (uint32_t)(uint64_t)ivxs_integer(the, slot, 0, IVXS_MAX_SAFE_INTEGER, prefix, what);
}

int ivxs_option(xsMachine *the, xsSlot *options, const char *name, xsSlot *value)
{
	if (xsmcTypeOf(*options) != xsReferenceType || !xsmcHas(*options, xsID(name)))
		return 0;
	xsmcGet(*value, *options, xsID(name));
	return xsmcTypeOf(*value) != xsUndefinedType;
}

double ivxs_option_number(xsMachine *the, xsSlot *options, const char *name, xsSlot *value,
		double min, double max, double fallback, const char *prefix)
{
	double number;
	if (!ivxs_option(the, options, name, value))
		return fallback;
	number = xsmcToNumber(*value);
	if (!(number >= min && number <= max))
		ivxs_range_error(IVXS_EARG, "%s%sinvalid %s", PREFIX(prefix), name);
	return number;
}

double ivxs_option_integer(xsMachine *the, xsSlot *options, const char *name, xsSlot *value,
		double min, double max, double fallback, const char *prefix)
{
	if (!ivxs_option(the, options, name, value))
		return fallback;
	return ivxs_integer(the, value, min, max, prefix, name);
}

int ivxs_option_bool(xsMachine *the, xsSlot *options, const char *name, xsSlot *value, int fallback)
{
	if (!ivxs_option(the, options, name, value))
		return fallback;
	return xsmcTest(*value) ? 1 : 0;
}

const char *ivxs_option_string(xsMachine *the, xsSlot *options, const char *name, xsSlot *value,
		char *buffer, size_t size, const char *prefix)
{
	const char *text;
	if (!ivxs_option(the, options, name, value))
		return NULL;
	if (xsmcTypeOf(*value) != xsStringType)
		ivxs_type_error(IVXS_EARG, "%s%sinvalid %s", PREFIX(prefix), name);
	text = xsmcToString(*value);
	if (strlen(text) >= size)
		ivxs_range_error(IVXS_EARG, "%s%sinvalid %s", PREFIX(prefix), name);
	memcpy(buffer, text, strlen(text) + 1);
	return buffer;
}

int ivxs_parse_ipv4(const char *text, size_t length, uint8_t out[4])
{
	unsigned part = 0;
	int parts = 0, digits = 0;
	size_t i;
	for (i = 0; i <= length; i++) {
		char c = i < length ? text[i] : '.';
		if (c >= '0' && c <= '9' && digits < 3 && !(digits == 1 && part == 0)) {
			part = part * 10 + (unsigned)(c - '0');
			digits++;
		}
		else if (c == '.' && digits && part <= 255 && parts < 4) {
			out[parts++] = (uint8_t)part;
			part = 0;
			digits = 0;
		}
		else
			return 0;
	}
	return parts == 4;
}

/* An Array's element `i` into `out`; 0 when `array` is not an Array. */
static int arrayAt(xsMachine *the, xsSlot *array, int32_t i, xsSlot *out)
{
	if (xsmcTypeOf(*array) != xsReferenceType || !xsmcIsInstanceOf(*array, xsArrayPrototype))
		return 0;
	xsmcGetIndex(*out, *array, i);
	return 1;
}

static int32_t arrayLength(xsMachine *the, xsSlot *array, xsSlot *scratch)
{
	double n;
	if (xsmcTypeOf(*array) != xsReferenceType || !xsmcIsInstanceOf(*array, xsArrayPrototype))
		return 0;
	xsmcGet(*scratch, *array, xsID("length"));
	n = xsmcToNumber(*scratch);
	return n > 0 && n < 0x7fffffff ? (int32_t)n : 0;
}

static const ivxs_link_taker *gTakers[4];

void ivxs_link_taker_add(const ivxs_link_taker *taker)
{
	size_t i;
	for (i = 0; i < sizeof(gTakers) / sizeof(gTakers[0]); i++)
		if (!gTakers[i] || gTakers[i] == taker) {
			gTakers[i] = taker;
			return;
		}
}

int ivxs_link_take(xsMachine *the, xsSlot *takers, xsSlot *socket, const uint8_t from[6], const uint8_t *data, size_t length,
	uint32_t now, int var)
{
	xsSlot *list = &xsVar(var), *peer = &xsVar(var + 1), *first = &xsVar(var + 2);
	int32_t lists = arrayLength(the, takers, first), l;
	for (l = 0; l < lists; l++) {
		int32_t peers, i;
		arrayAt(the, takers, l, list);
		peers = arrayLength(the, list, first);
		for (i = 0; i < peers; i++) {
			size_t k;
			arrayAt(the, list, i, peer);
			if (!arrayAt(the, peer, 0, first))
				continue;
			for (k = 0; k < sizeof(gTakers) / sizeof(gTakers[0]) && gTakers[k]; k++)
				if (ivxs_host_data(the, first, gTakers[k]->hooks) && gTakers[k]->take(the, peer, socket, from, data, length, now, var + 3))
					return 1;
		}
	}
	return 0;
}
