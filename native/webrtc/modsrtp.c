/*
 * Srtp's binding (webrtc.js): an SRTP context as a host object — one direction's keys and replay
 * state (srtp.h), its memory counted as "webrtc" — protecting and unprotecting RTP and RTCP in place
 * in the caller's ArrayBuffer.
 */
#include "xsmc.h"
#include "ivxs_kit.h"
#include "ivxs_host.h"
#include "srtp.h"
#include "modwebrtc.h"

#include <stdlib.h>
#include <string.h>

void xs_webrtc_srtp_destructor(void *data);
const xsHostHooks kWebrtcSrtpHooks = { xs_webrtc_srtp_destructor, NULL, NULL };

void xs_webrtc_srtp_destructor(void *data)
{
	if (!data)
		return;
	size_t size = ((ivxs_srtp *)data)->has_rtp ? sizeof(ivxs_srtp) : IVXS_SRTP_RTCP_BYTES;
	ivxs_srtp_free(data);
	free(data);
	ivxs_mem_add(&gWebrtcMemory, -(int64_t)size);
}


/* createSrtp(masterKey, masterSalt, rtcpOnly) -> an SRTP context (AES_CM_128_HMAC_SHA1_80); with
 * rtcpOnly, for SRTCP alone (srtp.h: its RTP keys are neither derived nor allocated). */
void xs_webrtc_srtp_create(xsMachine *the)
{
	uint8_t key[IVXS_SRTP_KEY_BYTES], salt[IVXS_SRTP_SALT_BYTES];
	int rtcpOnly = xsmcArgc > 2 && xsmcTest(xsArg(2));
	size_t size = rtcpOnly ? IVXS_SRTP_RTCP_BYTES : sizeof(ivxs_srtp);
	ivxs_srtp *s;
	int status;
	ivxs_webrtc_bytes_arg(the, &xsArg(0), key, sizeof(key), "the master key");
	ivxs_webrtc_bytes_arg(the, &xsArg(1), salt, sizeof(salt), "the master salt");
	if (!(s = malloc(size)))
		ivxs_error(IVXS_ENOMEM, "webrtc: no memory");
	status = rtcpOnly ? ivxs_srtp_init_rtcp(s, key, salt) : ivxs_srtp_init(s, key, salt);
	memset(key, 0, sizeof(key));
	if (status) {
		free(s);
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "webrtc", status, kWebrtcTables);
	}
	ivxs_mem_register(&gWebrtcMemory);
	ivxs_mem_add(&gWebrtcMemory, (int64_t)size);
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostHooks(xsResult, &kWebrtcSrtpHooks);
	xsmcSetHostData(xsResult, s);
}

/* srtp(context, op, buffer, length) -> the packet's new length. op: 0 protect RTP, 1 unprotect
 * RTP, 2 protect RTCP, 3 unprotect RTCP; the buffer holds the packet from offset 0 and, to
 * protect, room for the trailer after `length`. Failures throw with the status's code. */
void xs_webrtc_srtp(xsMachine *the)
{
	ivxs_srtp *s = ivxs_handle_open(the, &xsArg(0), &kWebrtcSrtpHooks, "webrtc", "Srtp");
	int op = (int)ivxs_integer(the, &xsArg(1), 0, 3, "webrtc", "operation");
	void *data;
	xsUnsignedValue size;
	size_t length, out = 0;
	int status;
	if (xsmcTypeOf(xsArg(2)) != xsReferenceType || !xsmcIsInstanceOf(xsArg(2), xsArrayBufferPrototype))
		ivxs_type_error(IVXS_EARG, "webrtc: a packet is an ArrayBuffer");
	length = (size_t)ivxs_integer(the, &xsArg(3), 0, IVXS_MAX_SAFE_INTEGER, "webrtc", "length");
	xsmcGetBufferWritable(xsArg(2), &data, &size);   /* no JS runs from here to the end */
	if (length > size)
		ivxs_range_error(IVXS_EARG, "webrtc: length %u is past the buffer's %u bytes", (unsigned)length, (unsigned)size);
	switch (op) {
	case 0: status = ivxs_srtp_protect(s, data, length, size, &out); break;
	case 1: status = ivxs_srtp_unprotect(s, data, length, &out); break;
	case 2: status = ivxs_srtcp_protect(s, data, length, size, &out); break;
	default: status = ivxs_srtcp_unprotect(s, data, length, &out); break;
	}
	if (status)
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "webrtc", status, kWebrtcTables);
	xsmcSetInteger(xsResult, (xsIntegerValue)out);
}


void xs_webrtc_srtp_close(xsMachine *the)
{
	ivxs_srtp *s = ivxs_handle_get(the, &xsArg(0), &kWebrtcSrtpHooks, "webrtc", "Srtp");
	if (!s)
		return;
	xsmcSetHostData(xsArg(0), NULL);
	xs_webrtc_srtp_destructor(s);
}
