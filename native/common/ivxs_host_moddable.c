/*
 * ivxs_host.h for Moddable SDK builds (ESP32-S3 boards, the mcsim simulator).
 * Work from other threads reaches the VM through modMessagePostToMachine();
 * memory counters live in ivxs_mem.c (no report printer here: read them from
 * a debugger or expose them in the app). Written against the Moddable SDK's mc.xs.h /
 * modMessage API; it cannot be compiled on the CI machines (no SDK there).
 */
#include "xsmc.h"
#include "mc.xs.h"
#include "xsHost.h"
#include "ivxs_host.h"

typedef struct {
	ivxs_post_callback callback;
	void *ctx;
} PostMessage;

static void deliver(void *the, void *refcon, uint8_t *message, uint16_t messageLength)
{
	PostMessage post;
	(void)the;
	(void)refcon;
	if (messageLength != sizeof(post))
		return;
	c_memcpy(&post, message, sizeof(post));
	post.callback(post.ctx);
}

/* The machine of the main VM; set by the first binding that needs it. */
static xsMachine *gMachine;

xsMachine *ivxs_the(void)
{
	return gMachine;
}

void ivxs_host_attach(xsMachine *the)
{
	gMachine = the;
}

int ivxs_loop_post(ivxs_post_callback callback, void *ctx)
{
	PostMessage post = { callback, ctx };
	if (!gMachine)
		return -1;
	/* modMessagePostToMachine copies the message and never blocks when the
	 * queue has room; a full queue returns non-zero and the caller retries. */
	return modMessagePostToMachine(gMachine, (uint8_t *)&post, sizeof(post), deliver, NULL) ? -1 : 0;
}

void ivxs_loop_hold(int delta)
{
	(void)delta;   /* the Moddable runloop never exits on its own */
}

void ivxs_uncaught(xsMachine *the)
{
	xsTrace("ivxs: uncaught exception in a native callback\n");
	xsLog("%s\n", xsToString(xsException));
}
