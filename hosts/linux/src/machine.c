/*
 * The XS machine of the host: creation and deletion, the platform hooks the
 * engine calls (fxCreateMachinePlatform, fxQueuePromiseJobs, fxAbort), the
 * promise-job pump, and the one-line error of the last failed host call.
 *
 * Stack overflow: XS calls fxAbort(XS_STACK_OVERFLOW_EXIT) when the
 * JavaScript slot stack is full (deep recursion, apply with thousands of
 * arguments) or the C stack reaches its limit (deeply nested JSON.parse,
 * JSON.stringify, a deep proxy chain). Like Node, the host turns both into a
 * catchable RangeError("stack overflow"): a camera must survive hostile JSON
 * from the network. The error is built with the C stack limit lowered by
 * kOverflowReserve (XS's limit already keeps 128 KiB in hand) and thrown to the
 * nearest catch. It stays fatal where unwinding would corrupt the engine: in
 * the middle of a garbage collection or a snapshot write (both mark the
 * heap), or while an overflow is being thrown.
 */
#include "xsAll.h"
#include "host.h"

#define kOverflowReserve (64 * 1024)

ivxs_host_config ivxs_config = IVXS_CONFIG_DEFAULTS;

txMachine *ivxs_machine_instance;
static txMachine *gShared;   /* the preloaded machine the app's machine is a clone of (preload.c) */
static char gError[512];
static int gJobsPending;
static int gCritical;         /* a host-asked collection or snapshot write is running */
static int gThrowingOverflow;

static txCreation gCreation = {
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

void ivxs_machine_set_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(gError, sizeof(gError), fmt, ap);
	va_end(ap);
}

const char *ivxs_machine_error(void)
{
	return gError;
}

txMachine *ivxs_the(void)
{
	return ivxs_machine_instance;
}

void ivxs_host_attach(txMachine *the)
{
	(void)the;   /* one machine per process: already known */
}

void ivxs_seed_random(void)
{
	/* XS's Math.random draws from c_rand: seed it so runs differ. */
	srand((unsigned)(ivxs_now_us() ^ ((uint64_t)getpid() << 16)));
}

/* The app's machine: the host's creation, or what --creation gave (a board's manifest). */
static txCreation *appCreation(void)
{
	static txCreation app;
	app = gCreation;
	if (ivxs_config.chunks_initial) {
		app.initialChunkSize = (txSize)ivxs_config.chunks_initial;
		app.incrementalChunkSize = (txSize)ivxs_config.chunks_incremental;
		app.initialHeapCount = (txSize)ivxs_config.slots_initial;
		app.incrementalHeapCount = (txSize)ivxs_config.slots_incremental;
	}
	return &app;
}

/* `app`: the machine the app runs in (not preloading); else the preloaded one, a board's flash. */
int ivxs_machine_create(int app)
{
	ivxs_seed_random();
	ivxs_machine_instance = fxCreateMachine(app ? appCreation() : &gCreation, "ivxs", NULL, XS_NO_ID);
	if (!ivxs_machine_instance) {
		ivxs_machine_set_error("cannot create the XS machine");
		return -1;
	}
	ivxs_host_install_globals();
	return 0;
}

void ivxs_machine_share(void)
{
	txMachine *shared = ivxs_machine_instance;
	ivxs_overflow_is_fatal(1);
	fxShareMachine(shared);   /* a compacting collection, then every live slot is marked for good */
	ivxs_overflow_is_fatal(-1);
	ivxs_memory_preloaded((size_t)shared->currentChunksSize + (size_t)shared->currentHeapCount * sizeof(txSlot));
}

int ivxs_machine_clone(void)
{
	txMachine *clone = fxCloneMachine(appCreation(), ivxs_machine_instance, "ivxs", NULL);
	if (!clone) {
		ivxs_machine_set_error("cannot make the app's machine from the preloaded one");
		return -1;
	}
	gShared = ivxs_machine_instance;
	ivxs_machine_instance = clone;
	return 0;
}

void ivxs_machine_delete(void)
{
	if (ivxs_machine_instance)
		fxDeleteMachine(ivxs_machine_instance);
	ivxs_machine_instance = NULL;
	if (gShared)
		fxDeleteMachine(gShared);
	gShared = NULL;
	ivxs_loader_delete();
	ivxs_snapshot_delete();
}

void ivxs_overflow_is_fatal(int delta)
{
	gCritical += delta;
}

/* A collection asked for by the host (snapshot writing, collectGarbage()). */
void ivxs_collect_garbage(void)
{
	ivxs_overflow_is_fatal(1);
	fxCollectGarbage(ivxs_machine_instance);
	ivxs_overflow_is_fatal(-1);
}

/* ---------- platform hooks ---------- */

void fxCreateMachinePlatform(txMachine *the)
{
	the->host = C_NULL;
}

void fxDeleteMachinePlatform(txMachine *the)
{
	(void)the;
}

void fxQueuePromiseJobs(txMachine *the)
{
	(void)the;
	gJobsPending = 1;
}

void ivxs_jobs_queued(void)
{
	gJobsPending = 1;
}

void ivxs_run_jobs(void)
{
	txMachine *the = ivxs_machine_instance;
	if (!the)
		return;
	while (gJobsPending) {
		gJobsPending = 0;
		fxBeginHost(the);
		fxRunPromiseJobs(the);
		fxEndHost(the);
	}
	/* A rejection nobody handled once the job queue is empty is fatal, as in Node. */
	fxBeginHost(the);
	fxCheckUnhandledRejections(the, 1);
	fxEndHost(the);
}

static const char *describeExit(int status)
{
	switch (status) {
	case XS_STACK_OVERFLOW_EXIT: return "stack overflow";
	case XS_NOT_ENOUGH_MEMORY_EXIT: return "memory full (see --heap-limit)";
	case XS_NO_MORE_KEYS_EXIT: return "not enough keys";
	case XS_DEAD_STRIP_EXIT: return "dead strip";
	case XS_FATAL_CHECK_EXIT: return "fatal check";
	case XS_UNHANDLED_EXCEPTION_EXIT: return "uncaught exception";
	case XS_UNHANDLED_REJECTION_EXIT: return "unhandled rejection";
	case XS_TOO_MUCH_COMPUTATION_EXIT: return "too much computation";
	default: return "abort";
	}
}

/* Whether a stack overflow can be thrown as a RangeError here. */
static int overflowIsCatchable(txMachine *the)
{
	if (gThrowingOverflow || gCritical || (the->collectFlag & XS_ORGANIC_FLAG))
		return 0;   /* unwinding a collection or a snapshot walk would leave the heap half marked */
	return the->firstJump != C_NULL && the->stackLimit != C_NULL;
}

/* Builds RangeError("stack overflow") as fxThrowMessage does, with room on
 * the C stack for it, then unwinds to the nearest catch. */
static void throwStackOverflow(txMachine *the) XS_FUNCTION_NORETURN;
static void throwStackOverflow(txMachine *the)
{
	char *limit = the->stackLimit;
	txSlot *slot;
	gThrowingOverflow = 1;
	the->stackLimit = limit - kOverflowReserve;
	slot = fxNewSlot(the);
	slot->kind = XS_INSTANCE_KIND;
	slot->value.instance.garbage = C_NULL;
	slot->value.instance.prototype = mxErrorPrototypes(XS_RANGE_ERROR).value.reference;
	mxException.kind = XS_REFERENCE_KIND;
	mxException.value.reference = slot;
	slot = slot->next = fxNewSlot(the);
	slot->flag = XS_INTERNAL_FLAG;
	slot->kind = XS_ERROR_KIND;
	slot->value.error.info = C_NULL;
	slot->value.error.which = XS_RANGE_ERROR;
	if (gxDefaults.captureErrorStack)
		gxDefaults.captureErrorStack(the, slot, the->frame);
	fxNextStringProperty(the, slot, "stack overflow", mxID(_message), XS_DONT_ENUM_FLAG);
	the->stackLimit = limit;
	gThrowingOverflow = 0;
	fxJump(the);
}

void fxAbort(txMachine *the, int status)
{
	if (status == XS_STACK_OVERFLOW_EXIT && overflowIsCatchable(the))
		throwStackOverflow(the);
	if (status == XS_UNHANDLED_EXCEPTION_EXIT || status == XS_UNHANDLED_REJECTION_EXIT)
		ivxs_report_exception(describeExit(status));
	else
		fprintf(stderr, "ivxs: fatal: %s\n", describeExit(status));
	fflush(stdout);
	ivxs_memory_report("exit", 0);
	c_exit(status == XS_UNHANDLED_REJECTION_EXIT || status == XS_UNHANDLED_EXCEPTION_EXIT ? 1 : 2);
}
