/*
 * ivxs_host.h for Moddable SDK builds: ESP32-S3 boards and mcsim (`lin`).
 *
 * Other threads (capture, C ring writers) wake the VM through post.c: a fixed
 * slot array, posts sharing a granted wake-up, so a post neither allocates
 * nor blocks. The wake-up itself:
 * - ESP32: modMessagePostToMachineFromISR() — no message body (nothing to
 *   malloc) and xQueueSendToBackFromISR() never waits; a full queue fails and
 *   the caller retries. (modMessagePostToMachine() would malloc a body over 4
 *   bytes and wait up to MODDEF_TASK_QUEUEWAIT, portMAX_DELAY in release.)
 *   ESP-IDF's FromISR queue calls take the same spinlock critical section
 *   from a task; the woken VM task runs at the next scheduling point.
 * - lin (mcsim): no modMessagePostToMachine there; lin_xs.c's thread-safe
 *   worker-job queue (fxQueueWorkerJob) runs the drain on the GLib main
 *   context. It mallocs one job per wake-up (the simulator only).
 * Memory counters live in native/common/ivxs_mem.c.
 */
#include "xsmc.h"
#include "mc.xs.h"
#include "ivxs_host.h"
#include "post.h"

/* The machine of the main VM; set by the first binding that needs it, read
 * by posting threads. */
static _Atomic(xsMachine *) gMachine;
static ivxs_post_queue gQueue;

#if defined(__LINUX_XS__)
static void runWorkerJob(void *machine, void *job)
{
	(void)machine;
	(void)job;   /* lin_xs.c frees the job after this returns */
	ivxs_post_drain(&gQueue);
}

static int wake(void *ctx)
{
	txWorkerJob *job = c_calloc(1, sizeof(txWorkerJob));
	if (!job)
		return -1;
	job->callback = runWorkerJob;
	fxQueueWorkerJob(ctx, job);
	return 0;
}
#elif ESP32
static void deliverWake(void *the, void *refcon, uint8_t *message, uint16_t messageLength)
{
	(void)the;
	(void)refcon;
	(void)message;
	(void)messageLength;
	ivxs_post_drain(&gQueue);
}

static int wake(void *ctx)
{
	return modMessagePostToMachineFromISR(ctx, deliverWake, NULL) ? -1 : 0;
}
#else
#error "ivxs: no VM wake-up for this Moddable platform (esp32 and lin are supported)"
#endif

xsMachine *ivxs_the(void)
{
	return atomic_load(&gMachine);
}

void ivxs_host_attach(xsMachine *the)
{
	if (atomic_load(&gMachine))
		return;
	ivxs_post_init(&gQueue, wake, the);
	atomic_store(&gMachine, the);   /* posts before this fail: nothing to wake yet */
}

int ivxs_loop_post(ivxs_post_callback callback, void *ctx)
{
	if (!atomic_load(&gMachine))
		return -1;
	return ivxs_post_push(&gQueue, callback, ctx) == IVXS_POST_OK ? 0 : -1;
}

void ivxs_loop_hold(int delta)
{
	(void)delta;   /* the Moddable runloop never exits on its own */
}

void ivxs_uncaught(xsMachine *the)
{
	/* As on the Linux host, an uncaught exception in a callback is fatal:
	 * Moddable's abort hook breaks into xsbug (debug) or restarts (release). */
	xsLog("ivxs: uncaught exception in a native callback: %s\n", xsmcToString(xsException));
	fxAbort(the, xsUnhandledExceptionExit);
}
