/*
 * `ivxs/firmware`'s P2P half: the camera app calls a C firmware's P2P callbacks (registered by
 * libivxs's iv_avt_p2p_init, firmware_p2p.h) on its own thread, each inside the link's gate and
 * never with the link's mutex held. What a callback returns is copied into the VM before its
 * buf_free_fn is called; nothing the firmware returns is kept.
 */
#include "xsmc.h"
#include "host.h"
#include "firmware_p2p.h"
#include "p2p.h"

#include <string.h>

/* p2p() -> which callbacks are registered now: bit 0 command_cb, 1 send_init_cb, 2 recv_init_cb (0: none). */
void xs_firmware_p2p(xsMachine *the)
{
	iv_avt_init_parm_s cb;
	int bits = 0;
	if (ivxs_firmware_p2p_enter(&cb)) {
		bits = (cb.p2p_handle_command_cb ? 1 : 0) | (cb.p2p_handle_send_init_cb ? 2 : 0) | (cb.p2p_handle_recv_init_cb ? 4 : 0);
		ivxs_firmware_p2p_leave();
	}
	xsmcSetInteger(xsResult, bits);
}

/* Hands a callback's memory back (the seed: buf_free_fn once the library is done with buf). */
static void release(const iv_cm_memory_s *m)
{
	if (m->buf && m->buf_free_fn)
		m->buf_free_fn(m->buf, m->size);
}

/* The command as the firmware gets it: its bytes and a NUL after them (firmware often treats
 * it as a string). The VM thread only, one call at a time: no allocation per command. */
static char gCommand[IVXS_P2P_MAX_COMMAND + 1];

/* command(bytes, peer) -> the firmware's reply; null: an empty reply (the viewer's session
 * closes); undefined: no command_cb now (the app's built-in commands answer). A reply over
 * IVXS_P2P_MAX_COMMAND is copied one byte over it, no further: modules/p2p refuses to send it
 * (ETOOBIG, logged), the rule kept there. */
void xs_firmware_p2p_command(xsMachine *the)
{
	iv_avt_init_parm_s cb;
	iv_cm_memory_s reply;
	const char *peer;
	xsUnsignedValue size;
	void *bytes;
	if (xsmcTypeOf(xsArg(0)) != xsReferenceType || !xsmcIsInstanceOf(xsArg(0), xsArrayBufferPrototype))
		ivxs_type_error(IVXS_EARG, "firmware: a command is an ArrayBuffer");
	xsmcGetBufferReadable(xsArg(0), &bytes, &size);
	if (size > IVXS_P2P_MAX_COMMAND)
		ivxs_range_error(IVXS_EARG, "firmware: a command is at most %d bytes", IVXS_P2P_MAX_COMMAND);
	memcpy(gCommand, bytes, size);
	gCommand[size] = 0;
	peer = xsmcToString(xsArg(1));   /* stays put: no VM code runs until the callback returned */
	if (!ivxs_firmware_p2p_enter(&cb))
		return;
	if (!cb.p2p_handle_command_cb) {
		ivxs_firmware_p2p_leave();
		return;
	}
	reply = cb.p2p_handle_command_cb(gCommand, size, peer);
	ivxs_firmware_p2p_leave();
	if (!reply.buf || !reply.size) {
		release(&reply);
		xsmcSetNull(xsResult);
		return;
	}
	xsTry {
		xsmcSetArrayBuffer(xsResult, reply.buf, reply.size > IVXS_P2P_MAX_COMMAND ? IVXS_P2P_MAX_COMMAND + 1 : reply.size);
	}
	xsCatch {
		release(&reply);
		xsThrow(xsException);
	}
	release(&reply);
}

/* event(n[, id]): the endpoint's event (modules/p2p's P2PEvent numbers are the seed's
 * iv_avt_event_e) to event_notify_cb: with a NULL handle, or — the WATERMARK events, which name
 * a channel — with the handle of the firmware's send channel `id` (none open by that id: nothing). */
void xs_firmware_p2p_event(xsMachine *the)
{
	iv_avt_init_parm_s cb;
	int event = xsmcToInteger(xsArg(0));
	int watermark = event >= IV_AVT_EVENT_P2P_WATERMARK_LOW && event < IV_AVT_EVENT_P2P_BUTT;
	void *handle = NULL;
	if (event < IV_AVT_EVENT_P2P_PEER_READY || event >= IV_AVT_EVENT_P2P_BUTT)
		return;
	if (watermark && (xsmcArgc < 2 || ivxs_firmware_p2p_channel_handle((long long)xsmcToNumber(xsArg(1)), &handle)))
		return;
	if (!ivxs_firmware_p2p_enter(&cb))
		return;
	if (cb.p2p_handle_event_notify_cb)
		cb.p2p_handle_event_notify_cb((iv_avt_event_e)event, handle);
	ivxs_firmware_p2p_leave();
}

/* A viewer's stream (talk 0) or talkback (1) to the firmware's send_init_cb / recv_init_cb:
 * xsResult the channel's id, or undefined: no such callback now, it returned NULL, or the firmware
 * has IVXS_FIRMWARE_P2P_CHANNELS open (then the channel ends at once: send_stop_cb, or the voice's end). */
static void openChannel(xsMachine *the, int talk)
{
	iv_avt_init_parm_s cb;
	const char *params, *peer;
	void *handle;
	long long id = -1;
	params = xsmcToString(xsArg(0));   /* both stay put: no VM code runs until the callback returned */
	peer = xsmcToString(xsArg(1));
	if (!ivxs_firmware_p2p_enter(&cb))
		return;
	if (talk)
		handle = cb.p2p_handle_recv_init_cb ? cb.p2p_handle_recv_init_cb(params, peer) : NULL;
	else
		handle = cb.p2p_handle_send_init_cb ? cb.p2p_handle_send_init_cb(params, peer) : NULL;
	if (handle) {
		id = ivxs_firmware_p2p_channel_open(handle, talk);
		if (id < 0 && talk)
			cb.p2p_handle_recv_voice_cb(handle, NULL, 0);
		else if (id < 0)
			cb.p2p_handle_send_stop_cb(handle);
	}
	ivxs_firmware_p2p_leave();
	if (id >= 0)
		xsmcSetNumber(xsResult, (double)id);
}

/* sendInit(params, peer) -> the send channel's id, or undefined (openChannel). */
void xs_firmware_p2p_send_init(xsMachine *the)
{
	openChannel(the, 0);
}

/* sendGet(id, buffered, instRate, avgRate, acked) -> the bytes send_get_cb returned (a copy: its
 * buf_free_fn is called before this returns), undefined when it returned none, or false when
 * the channel is no longer open (iv_avt_p2p_exit closed it: the app ends the viewer's stream).
 * The figures come first: iv_avt_p2p_get_send_buf / _get_send_status inside send_get_cb give
 * them. A chunk over maxBytes (the transport's queue: it could never be sent) is a RangeError. */
void xs_firmware_p2p_send_get(xsMachine *the)
{
	iv_avt_init_parm_s cb;
	iv_p2p_send_stats_s stats;
	iv_cm_memory_s chunk;
	long long id = (long long)xsmcToNumber(xsArg(0));
	double maxBytes = xsmcToNumber(xsArg(5));
	void *handle;
	stats.inst_net_rate = (uint32_t)xsmcToNumber(xsArg(2));
	stats.ave_sent_rate = (uint32_t)xsmcToNumber(xsArg(3));
	stats.sum_sent_acked = (uint64_t)xsmcToNumber(xsArg(4));
	ivxs_firmware_p2p_channel_update(id, (size_t)xsmcToNumber(xsArg(1)), &stats);
	if (!ivxs_firmware_p2p_enter(&cb))
		goto closed;
	if (ivxs_firmware_p2p_channel_handle(id, &handle)) {
		ivxs_firmware_p2p_leave();
		goto closed;
	}
	chunk = cb.p2p_handle_send_get_cb(handle);
	ivxs_firmware_p2p_leave();
	if (!chunk.buf || !chunk.size) {
		release(&chunk);
		return;
	}
	if ((double)chunk.size > maxBytes) {
		size_t size = chunk.size;
		release(&chunk);
		ivxs_range_error(IVXS_EARG, "firmware: send_get_cb returned %zu bytes, more than a channel holds (%.0f)", size, maxBytes);
	}
	xsTry {
		xsmcSetArrayBuffer(xsResult, chunk.buf, chunk.size);
	}
	xsCatch {
		release(&chunk);
		xsThrow(xsException);
	}
	release(&chunk);
	return;
closed:
	xsmcSetBoolean(xsResult, 0);
}

/* sendStop(id): the viewer's stream ended: the firmware's send_stop_cb, and the channel closes
 * (already closed by iv_avt_p2p_exit: nothing). */
void xs_firmware_p2p_send_stop(xsMachine *the)
{
	iv_avt_init_parm_s cb;
	long long id = (long long)xsmcToNumber(xsArg(0));
	void *handle;
	if (!ivxs_firmware_p2p_enter(&cb))
		return;
	if (!ivxs_firmware_p2p_channel_handle(id, &handle)) {
		cb.p2p_handle_send_stop_cb(handle);
		ivxs_firmware_p2p_channel_close(id);
	}
	ivxs_firmware_p2p_leave();
}

/* watermarks() -> [low, warn, high] as iv_avt_p2p_set_buf_watermark last set them (all 0 once
 * iv_avt_p2p_exit forgot them), or undefined: unchanged since the last call. */
void xs_firmware_p2p_watermarks(xsMachine *the)
{
	size_t marks[3];
	int i;
	if (!ivxs_firmware_p2p_watermarks(marks))
		return;
	xsmcVars(1);
	xsmcSetNewArray(xsResult, 3);
	for (i = 0; i < 3; i++) {
		xsmcSetNumber(xsVar(0), (double)marks[i]);
		xsmcSetIndex(xsResult, i, xsVar(0));
	}
}

/* recvInit(params, peer) -> the talkback channel's id, or undefined (openChannel). */
void xs_firmware_p2p_recv_init(xsMachine *the)
{
	openChannel(the, 1);
}

/* recvVoice(id, bytes) -> whether the firmware's channel is still open: a frame to its
 * recv_voice_cb, or with empty bytes the end (recv_buf NULL, recv_len 0: the seed's) and the
 * channel closes. */
void xs_firmware_p2p_recv_voice(xsMachine *the)
{
	iv_avt_init_parm_s cb;
	long long id = (long long)xsmcToNumber(xsArg(0));
	void *handle, *bytes;
	xsUnsignedValue size;
	int open;
	xsmcGetBufferReadable(xsArg(1), &bytes, &size);
	if (!ivxs_firmware_p2p_enter(&cb))
		return;
	open = !ivxs_firmware_p2p_channel_handle(id, &handle);
	if (open && size)
		cb.p2p_handle_recv_voice_cb(handle, bytes, size);
	else if (open) {
		cb.p2p_handle_recv_voice_cb(handle, NULL, 0);
		ivxs_firmware_p2p_channel_close(id);
	}
	ivxs_firmware_p2p_leave();
	xsmcSetBoolean(xsResult, open && size);
}

void ivxs_firmware_p2p_close_all(void)
{
	iv_avt_init_parm_s cb;
	void *handle;
	long long id;
	int talk;
	while ((id = ivxs_firmware_p2p_channel_next(&handle, &talk)) >= 0) {
		if (ivxs_firmware_p2p_enter(&cb)) {
			if (talk)
				cb.p2p_handle_recv_voice_cb(handle, NULL, 0);
			else
				cb.p2p_handle_send_stop_cb(handle);
			ivxs_firmware_p2p_leave();
		}
		ivxs_firmware_p2p_channel_close(id);
	}
}

/* keepAlive() -> { intervalS, attempts }: the p2p_keep_alive the firmware registered (the app's
 * P2P takes it when it starts), or undefined: no callbacks registered now. */
void xs_firmware_p2p_keep_alive(xsMachine *the)
{
	iv_avt_init_parm_s cb;
	if (!ivxs_firmware_p2p_enter(&cb))
		return;
	ivxs_firmware_p2p_leave();
	xsmcVars(1);
	xsmcSetNewObject(xsResult);
	xsmcSetInteger(xsVar(0), cb.p2p_keep_alive.time_inter_s);
	xsmcSet(xsResult, xsID("intervalS"), xsVar(0));
	xsmcSetInteger(xsVar(0), cb.p2p_keep_alive.max_attempt_num);
	xsmcSet(xsResult, xsID("attempts"), xsVar(0));
}
