/*
 * XS binding of the viewers' uplink (uplink.h; native/p2p/p2p.js Uplink): one per camera, which the
 * native endpoint's sessions and WebRTC's feeds take their parts of. Its memory is counted: the JS
 * object holds it, and so does every endpoint or feed that shares it (ivxs_uplink_hold), so it
 * outlives the shares in its list whichever the collector frees first.
 */
#include "xsmc.h"
#include "ivxs_host.h"
#include "ivxs_kit.h"
#include "moduplink.h"

#include <stdlib.h>

typedef struct {
	ivxs_uplink uplink;
	uint32_t refs;
} UplinkRecord;

void xs_uplink_destructor(void *data);
static const xsHostHooks kUplinkHooks = { xs_uplink_destructor, NULL, NULL };

static void unref(UplinkRecord *u)
{
	if (--u->refs == 0)
		free(u);
}

void xs_uplink_destructor(void *data)
{
	if (data)
		unref(data);
}

static UplinkRecord *uplinkOf(xsMachine *the, xsSlot *slot)
{
	return ivxs_handle_open(the, slot, &kUplinkHooks, "p2p", "Uplink");
}

/* createUplink(now) -> the host object: no budget yet. */
void xs_uplink_create(xsMachine *the)
{
	uint32_t now = ivxs_clock_ms(the, &xsArg(0), "p2p", "time");
	UplinkRecord *u = calloc(1, sizeof(*u));
	if (!u)
		ivxs_error(IVXS_ENOMEM, "p2p: no memory");
	u->refs = 1;
	ivxs_uplink_init(&u->uplink, now);
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostHooks(xsResult, &kUplinkHooks);
	xsmcSetHostData(xsResult, u);
}

/* setUplinkRate(uplink, bytesPerSecond, now): 0 = no budget. */
void xs_uplink_set_rate(xsMachine *the)
{
	double rate = ivxs_integer(the, &xsArg(1), 0, 1e12, "p2p", "uplink");
	uint32_t now = ivxs_clock_ms(the, &xsArg(2), "p2p", "time");
	ivxs_uplink_set_rate(&uplinkOf(the, &xsArg(0))->uplink, (uint64_t)rate, now);
}

/* uplinkFigures(uplink) -> { rate, level, viewers }: the budget, each viewer's part, the viewers
 * sharing it (bytes/s). */
void xs_uplink_figures(xsMachine *the)
{
	const ivxs_uplink *u = &uplinkOf(the, &xsArg(0))->uplink;
	xsmcVars(1);
	xsmcSetNewObject(xsResult);
	ivxs_set_number(xsResult, "rate", (double)u->rate, xsVar(0));
	ivxs_set_number(xsResult, "level", u->rate ? (double)u->level : 0, xsVar(0));
	ivxs_set_number(xsResult, "viewers", (double)u->viewers, xsVar(0));
}

ivxs_uplink *ivxs_uplink_hold(xsMachine *the, xsSlot *slot, void **token)
{
	UplinkRecord *u = uplinkOf(the, slot);
	u->refs++;
	*token = u;
	return &u->uplink;
}

void ivxs_uplink_unhold(void **token)
{
	UplinkRecord *u = *token;
	*token = NULL;
	if (u)
		unref(u);
}
