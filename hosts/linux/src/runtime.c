/*
 * The host's calls into the machine written against the public xs.h API:
 * importing modules, and reporting exceptions with their stack.
 */
#include "xs.h"
#include "xsHost.h"
#include "host.h"

#include <stdio.h>
#include <string.h>

/* Prints "prefix: <stack or string>" for an exception value. Never throws. */
static void reportValue(xsMachine *the, xsSlot *value, const char *prefix)
{
	char message[2048];
	message[0] = 0;
	xsBeginHost(the);
	{
		xsVars(2);
		xsVar(0) = *value;
		xsTry {
			if (xsTypeOf(xsVar(0)) == xsReferenceType) {
				xsVar(1) = xsGet(xsVar(0), xsID("stack"));
				if (xsTypeOf(xsVar(1)) == xsStringType)
					snprintf(message, sizeof(message), "%s", xsToString(xsVar(1)));
			}
			if (!message[0])
				snprintf(message, sizeof(message), "%s", xsToString(xsVar(0)));
		}
		xsCatch {
			snprintf(message, sizeof(message), "(the exception could not be printed)");
		}
	}
	xsEndHost(the);
	/* XS stacks end with a newline; keep one line per frame. XS marks errors
	 * thrown from C with "(host): ", which says nothing to the reader. */
	{
		char *at;
		size_t n;
		while ((at = strstr(message, "(host): ")))
			memmove(at, at + 8, strlen(at + 8) + 1);
		n = strlen(message);
		while (n && message[n - 1] == '\n')
			message[--n] = 0;
	}
	fprintf(stderr, "%s: %s\n", prefix, message);
}

void ivxs_report_exception(const char *prefix)
{
	xsMachine *the = ivxs_the();
	xsSlot exception = xsException;
	reportValue(the, &exception, prefix);
}

void ivxs_uncaught(xsMachine *the)
{
	xsSlot exception = xsException;
	reportValue(the, &exception, "uncaught exception");
	ivxs_loop_stop(1);
}

int ivxs_import(const char *name, int call_default)
{
	xsMachine *the = ivxs_the();
	volatile int status = 0;
	xsBeginHost(the);
	{
		xsVars(1);
		xsTry {
			xsVar(0) = xsAwaitImport(name, call_default ? XS_IMPORT_DEFAULT : XS_IMPORT_NAMESPACE);
			if (call_default && xsTypeOf(xsVar(0)) == xsReferenceType && xsIsInstanceOf(xsVar(0), xsFunctionPrototype))
				(void)xsCallFunction0(xsVar(0), xsUndefined);
		}
		xsCatch {
			xsSlot exception = xsException;
			reportValue(the, &exception, "uncaught exception");
			status = 1;
		}
	}
	xsEndHost(the);
	if (!status)
		ivxs_run_jobs();
	return status;
}

/* Collections, counted by a host object only the host holds: XS runs its marker once in
 * every collection (xsHostHooks.marker), so no engine change is needed to count them. */
static unsigned long long gCollections;
static xsSlot gCollectionCounter;

static void countCollection(xsMachine *the, void *data, xsMarkRoot markRoot)
{
	(void)the, (void)data, (void)markRoot;
	gCollections++;
	ivxs_memory_collecting();
}

static const xsHostHooks kCollectionCounterHooks = { NULL, countCollection, NULL };

void ivxs_count_collections(void)
{
	xsMachine *the = ivxs_the();
	xsBeginHost(the);
	gCollectionCounter = xsNewHostObject(NULL);
	xsSetHostData(gCollectionCounter, &gCollections);   /* XS runs the marker of a host with data only */
	xsSetHostHooks(gCollectionCounter, (xsHostHooks *)&kCollectionCounterHooks);
	xsRemember(gCollectionCounter);
	xsEndHost(the);
}

unsigned long long ivxs_collections(void)
{
	return gCollections;
}
