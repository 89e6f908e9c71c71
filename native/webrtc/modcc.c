/*
 * TransportCc's binding (webrtc.js): one viewer session's transport-wide congestion control
 * (twcc.h) as a host object; the wires number their packets for it and the viewer's feedback drives
 * it, each call taking it as an argument (modwebrtc.h's CcRecord).
 */
#include "xsmc.h"
#include "ivxs_kit.h"
#include "ivxs_host.h"
#include "twcc.h"
#include "modwebrtc.h"

#include <stdlib.h>

void xs_webrtc_cc_destructor(void *data);
const xsHostHooks kWebrtcCcHooks = { xs_webrtc_cc_destructor, NULL, NULL };

void xs_webrtc_cc_destructor(void *data)
{
	if (!data)
		return;
	free(data);
	ivxs_mem_add(&gWebrtcMemory, -(int64_t)sizeof(CcRecord));
}

/* createCc(extensionId, now) -> a TransportCc's host object. */
void xs_webrtc_cc_create(xsMachine *the)
{
	CcRecord *r;
	uint8_t id = (uint8_t)ivxs_integer(the, &xsArg(0), 1, 14, "webrtc", "extensionId");
	uint32_t now = ivxs_clock_ms(the, &xsArg(1), "webrtc", "now");
	if (!(r = calloc(1, sizeof(*r))))
		ivxs_error(IVXS_ENOMEM, "webrtc: no memory");
	ivxs_twcc_init(&r->twcc, now);
	r->id = id;
	ivxs_mem_register(&gWebrtcMemory);
	ivxs_mem_add(&gWebrtcMemory, (int64_t)sizeof(*r));
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostHooks(xsResult, &kWebrtcCcHooks);
	xsmcSetHostData(xsResult, r);
}

/* ccRate(cc, now) -> bytes a second the viewer's path takes now (0: stalled). */
void xs_webrtc_cc_rate(xsMachine *the)
{
	CcRecord *r = ivxs_handle_open(the, &xsArg(0), &kWebrtcCcHooks, "webrtc", "TransportCc");
	uint32_t now = ivxs_clock_ms(the, &xsArg(1), "webrtc", "now");
	xsmcSetNumber(xsResult, (double)ivxs_twcc_rate(&r->twcc, now));
}

/* ccOpen(cc, bytes, now) -> whether `bytes` more fit the CC's window now (or a stalled path may still send: twcc.h). */
void xs_webrtc_cc_open(xsMachine *the)
{
	CcRecord *r = ivxs_handle_open(the, &xsArg(0), &kWebrtcCcHooks, "webrtc", "TransportCc");
	uint32_t bytes = (uint32_t)ivxs_integer(the, &xsArg(1), 0, 0xffff, "webrtc", "bytes");
	uint32_t now;
	if (xsmcArgc < 3 || xsmcTypeOf(xsArg(2)) == xsUndefinedType) {
		/* an app layer from before `now` (the OTA ABI is the same): the window alone, as it had it */
		xsmcSetBoolean(xsResult, p2p_cc_window_open(&r->twcc.cc, bytes, r->twcc.inFlight));
		return;
	}
	now = ivxs_clock_ms(the, &xsArg(2), "webrtc", "now");
	xsmcSetBoolean(xsResult, ivxs_twcc_window_open(&r->twcc, bytes, now));
}

/* ccStats(cc) -> { packets, feedbacks, refused, received, lost, unknown, expired, missed, bandwidth, srtt, minRtt, inFlight }. */
void xs_webrtc_cc_stats(xsMachine *the)
{
	CcRecord *r = ivxs_handle_open(the, &xsArg(0), &kWebrtcCcHooks, "webrtc", "TransportCc");
	const ivxs_twcc *t = &r->twcc;
	const ivxs_twcc_stats *st = &t->stats;
	xsmcVars(1);
	xsmcSetNewObject(xsResult);
	ivxs_set_number(xsResult, "packets", (double)(st->packets), xsVar(0));
	ivxs_set_number(xsResult, "feedbacks", (double)(st->feedbacks), xsVar(0));
	ivxs_set_number(xsResult, "refused", (double)(st->refused), xsVar(0));
	ivxs_set_number(xsResult, "received", (double)(st->received), xsVar(0));
	ivxs_set_number(xsResult, "lost", (double)(st->lost), xsVar(0));
	ivxs_set_number(xsResult, "unknown", (double)(st->unknown), xsVar(0));
	ivxs_set_number(xsResult, "expired", (double)(st->expired), xsVar(0));
	ivxs_set_number(xsResult, "missed", (double)(st->missed), xsVar(0));
	ivxs_set_number(xsResult, "bandwidth", (double)(t->cc.btl_bw), xsVar(0));
	ivxs_set_number(xsResult, "srtt", (double)(t->rtt.srtt), xsVar(0));
	ivxs_set_number(xsResult, "minRtt", (double)(t->rtt.any ? (int64_t)t->rtt.min : -1), xsVar(0));
	ivxs_set_number(xsResult, "inFlight", (double)(t->inFlight), xsVar(0));
}
