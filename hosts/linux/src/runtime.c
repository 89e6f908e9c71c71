/*
 * The host's calls into the machine, written against the public xs.h API:
 * creation, importing the entry, promise jobs, reporting exceptions.
 */
#include "xs.h"
#include "xsHost.h"
#include "host.h"
#include "machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern xsMachine *ivxs_machine_instance;
extern ivxs_machine_options ivxs_machine_options_in_use;
extern int ivxs_jobs_pending;
extern void ivxs_host_install_globals(xsMachine *the);
/* engine internals the public API does not expose */
extern void fxRunPromiseJobs(xsMachine *the);
extern void fxCheckUnhandledRejections(xsMachine *the, xsBooleanValue atExit);

static xsCreation gCreation = {
	256 * 1024,   /* initialChunkSize */
	64 * 1024,    /* incrementalChunkSize */
	8192,         /* initialHeapCount (slots) */
	2048,         /* incrementalHeapCount */
	4096,         /* stackCount */
	2048,         /* initialKeyCount */
	1024,         /* incrementalKeyCount */
	1993,         /* nameModulo */
	127,          /* symbolModulo */
	64 * 1024,    /* parserBufferSize */
	1993,         /* parserTableModulo */
	0,            /* staticSize */
};

void ivxs_seed_random(void)
{
	/* XS's Math.random draws from c_rand: seed it so runs differ. */
	srand((unsigned)(ivxs_now_us() ^ ((uint64_t)getpid() << 16)));
}

xsMachine *ivxs_the(void)
{
	return ivxs_machine_instance;
}

void ivxs_host_attach(xsMachine *the)
{
	(void)the;   /* one machine per process: already known */
}

int ivxs_machine_create(const ivxs_machine_options *options)
{
	xsMachine *the;
	ivxs_machine_options_in_use = *options;
	ivxs_seed_random();
	the = ivxs_machine_instance = xsCreateMachine(&gCreation, "ivxs", NULL);
	if (!the)
		return -1;
	xsBeginHost(the);
	ivxs_host_install_globals(the);
	xsEndHost(the);
	return 0;
}

void ivxs_machine_delete_instance(void)
{
	if (ivxs_machine_instance)
		xsDeleteMachine(ivxs_machine_instance);
	ivxs_machine_instance = NULL;
}

/* Prints "prefix: <stack or string>" for an exception value. Never throws. */
void ivxs_report_value(xsMachine *the, xsSlot *value, const char *prefix)
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

void ivxs_uncaught(xsMachine *the)
{
	xsSlot exception = xsException;
	ivxs_report_value(the, &exception, "uncaught exception");
	ivxs_loop_stop(1);
}

void ivxs_run_jobs(void)
{
	xsMachine *the = ivxs_machine_instance;
	if (!the)
		return;
	while (ivxs_jobs_pending) {
		ivxs_jobs_pending = 0;
		xsBeginHost(the);
		fxRunPromiseJobs(the);
		xsEndHost(the);
	}
	/* A rejection nobody handled once the job queue is empty is fatal, as in Node. */
	xsBeginHost(the);
	fxCheckUnhandledRejections(the, 1);
	xsEndHost(the);
}

/* Imports a module (and calls its default export when asked and it is a
 * function). Returns 0, or prints the exception and returns 1. */
int ivxs_import(const char *name, int callDefault)
{
	xsMachine *the = ivxs_machine_instance;
	volatile int status = 0;
	xsBeginHost(the);
	{
		xsVars(1);
		xsTry {
			xsVar(0) = xsAwaitImport(name, callDefault ? XS_IMPORT_DEFAULT : XS_IMPORT_NAMESPACE);
			if (callDefault && xsTypeOf(xsVar(0)) == xsReferenceType && xsIsInstanceOf(xsVar(0), xsFunctionPrototype))
				(void)xsCallFunction0(xsVar(0), xsUndefined);
		}
		xsCatch {
			xsSlot exception = xsException;
			ivxs_report_value(the, &exception, "uncaught exception");
			status = 1;
		}
	}
	xsEndHost(the);
	if (!status)
		ivxs_run_jobs();
	return status;
}

int ivxs_machine_run_entry(const char *entry)
{
	return ivxs_import(entry, 1);
}
