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

/* event(n): the endpoint's event (modules/p2p's P2PEvent numbers are the seed's iv_avt_event_e)
 * to event_notify_cb with a NULL handle. The WATERMARK events name a channel: they go to the
 * firmware only for its own channels (not yet: slice 2, step 3), so here they are ignored. */
void xs_firmware_p2p_event(xsMachine *the)
{
	iv_avt_init_parm_s cb;
	int event = xsmcToInteger(xsArg(0));
	if (event < IV_AVT_EVENT_P2P_PEER_READY || event >= IV_AVT_EVENT_P2P_WATERMARK_LOW)
		return;
	if (!ivxs_firmware_p2p_enter(&cb))
		return;
	if (cb.p2p_handle_event_notify_cb)
		cb.p2p_handle_event_notify_cb((iv_avt_event_e)event, NULL);
	ivxs_firmware_p2p_leave();
}

/* recvInit(params, peer) -> the talkback channel's id, or undefined: no recv_init_cb now, it
 * returned NULL, or the firmware has IVXS_FIRMWARE_P2P_CHANNELS open (then its voice ends at once). */
void xs_firmware_p2p_recv_init(xsMachine *the)
{
	iv_avt_init_parm_s cb;
	const char *params, *peer;
	void *handle;
	long long id = -1;
	params = xsmcToString(xsArg(0));   /* both stay put: no VM code runs until the callback returned */
	peer = xsmcToString(xsArg(1));
	if (!ivxs_firmware_p2p_enter(&cb))
		return;
	handle = cb.p2p_handle_recv_init_cb ? cb.p2p_handle_recv_init_cb(params, peer) : NULL;
	if (handle) {
		id = ivxs_firmware_p2p_channel_open(handle, 1);
		if (id < 0)
			cb.p2p_handle_recv_voice_cb(handle, NULL, 0);
	}
	ivxs_firmware_p2p_leave();
	if (id >= 0)
		xsmcSetNumber(xsResult, (double)id);
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
