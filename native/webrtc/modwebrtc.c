/*
 * The webrtc module's binding (webrtc.js), what its classes' bindings share — one binding a class,
 * as the Moddable SDK keeps them: modsrtp.c (Srtp), modcc.c (TransportCc), moddtls.c (DtlsIdentity,
 * DtlsSession and its DataChannel), modrtpwire.c (RtpFeed and the viewer's RTCP: receiveRtcp) — and
 * the module's plain functions here: packetize, rtpPayload and senderReport. Each host object is validated against its
 * hooks at every call (modwebrtc.h); no pointer into a JS value is kept across code that can run JS.
 */
#include "xsmc.h"
#include "ivxs_kit.h"
#include "ivxs_host.h"
#include "srtp.h"
#include "rtp_video.h"
#include "rtcp.h"
#include "twcc.h"
#include "modwebrtc.h"

#include <stdlib.h>
#include <string.h>

ivxs_mem_counter gWebrtcMemory = { "webrtc", 0, 0, NULL };
const ivxs_status_entry *const kWebrtcTables[] = { ivxs_webrtc_statuses, ivxs_annexb_statuses, ivxs_kit_statuses, NULL };

/* The bytes of an ArrayBuffer argument (at most `cap`), copied out: their length. */
size_t ivxs_webrtc_copy_arg(xsMachine *the, xsSlot *slot, uint8_t *out, size_t cap, const char *what)
{
	void *data;
	xsUnsignedValue length;
	if (xsmcTypeOf(*slot) != xsReferenceType || !xsmcIsInstanceOf(*slot, xsArrayBufferPrototype))
		ivxs_type_error(IVXS_EARG, "webrtc: %s must be an ArrayBuffer", what);
	xsmcGetBufferReadable(*slot, &data, &length);
	if (!length || length > cap)
		ivxs_range_error(IVXS_EARG, "webrtc: %s must be 1 to %u bytes", what, (unsigned)cap);
	memcpy(out, data, length);
	return length;
}

/* The bytes of an ArrayBuffer argument of exactly `size` bytes, copied out. */
void ivxs_webrtc_bytes_arg(xsMachine *the, xsSlot *slot, uint8_t *out, size_t size, const char *what)
{
	if (ivxs_webrtc_copy_arg(the, slot, out, size, what) != size)
		ivxs_range_error(IVXS_EARG, "webrtc: %s must be %u bytes", what, (unsigned)size);
}

/* Argument `i`: a TransportCc's host object, or undefined (none). */
CcRecord *ivxs_webrtc_cc_arg(xsMachine *the, int i)
{
	if (xsmcTypeOf(xsArg(i)) == xsUndefinedType)
		return NULL;
	return ivxs_handle_open(the, &xsArg(i), &kWebrtcCcHooks, "webrtc", "TransportCc");
}

/* rtpPayload(buffer, length) -> { start, end, payloadType } of an (unprotected) RTP packet: where
 * its payload lies, past the header and before padding; undefined when it is not RTP or its
 * lengths run past it. */
void xs_webrtc_rtp_payload(xsMachine *the)
{
	void *data;
	xsUnsignedValue size;
	size_t length, start, end;
	uint8_t payloadType;
	if (xsmcTypeOf(xsArg(0)) != xsReferenceType || !xsmcIsInstanceOf(xsArg(0), xsArrayBufferPrototype))
		ivxs_type_error(IVXS_EARG, "webrtc: a packet is an ArrayBuffer");
	length = (size_t)ivxs_integer(the, &xsArg(1), 0, IVXS_MAX_SAFE_INTEGER, "webrtc", "length");
	xsmcGetBufferReadable(xsArg(0), &data, &size);
	if (length > size)
		ivxs_range_error(IVXS_EARG, "webrtc: length %u is past the buffer's %u bytes", (unsigned)length, (unsigned)size);
	if (ivxs_rtp_payload(data, length, &start, &end))
		return;
	payloadType = ((uint8_t *)data)[1] & 0x7f;   /* (read before anything can run JS) */
	xsmcVars(1);
	xsmcSetNewObject(xsResult);
	xsmcSetInteger(xsVar(0), (xsIntegerValue)start);
	xsmcSet(xsResult, xsID("start"), xsVar(0));
	xsmcSetInteger(xsVar(0), (xsIntegerValue)end);
	xsmcSet(xsResult, xsID("end"), xsVar(0));
	xsmcSetInteger(xsVar(0), payloadType);
	xsmcSet(xsResult, xsID("payloadType"), xsVar(0));
}

/* packetize(accessUnit, codec, ssrc, seq, payloadType, mtu, timestamp) -> [ArrayBuffer, …], the
 * RTP packets of one access unit (the last with the marker bit); the next sequence number is
 * seq + their count. */
void xs_webrtc_packetize(xsMachine *the)
{
	ivxs_rtp_stream stream;
	ivxs_rtp_packetizer it;
	uint8_t packet[1500];
	xsUnsignedValue size;
	void *au;
	uint32_t timestamp;
	int status, count = 0;
	long n;
	memset(&stream, 0, sizeof(stream));
	stream.codec = (int)ivxs_integer(the, &xsArg(1), IVXS_ANNEXB_H264, IVXS_ANNEXB_H265, "webrtc", "codec");
	stream.ssrc = (uint32_t)ivxs_integer(the, &xsArg(2), 0, 0xffffffff, "webrtc", "ssrc");
	stream.seq = (uint16_t)ivxs_integer(the, &xsArg(3), 0, 0xffff, "webrtc", "seq");
	stream.payloadType = (uint8_t)ivxs_integer(the, &xsArg(4), 0, 127, "webrtc", "payloadType");
	stream.mtu = (size_t)ivxs_integer(the, &xsArg(5), IVXS_RTP_MIN_MTU, sizeof(packet), "webrtc", "mtu");
	timestamp = (uint32_t)ivxs_integer(the, &xsArg(6), 0, 0xffffffff, "webrtc", "timestamp");
	if (xsmcTypeOf(xsArg(0)) != xsReferenceType || !xsmcIsInstanceOf(xsArg(0), xsArrayBufferPrototype))
		ivxs_type_error(IVXS_EARG, "webrtc: an access unit is an ArrayBuffer");
	xsmcGetBufferReadable(xsArg(0), &au, &size);
	if ((status = ivxs_rtp_begin(&it, &stream, au, size, timestamp)))
		ivxs_throw_status(the, XS_RANGE_ERROR, "webrtc", status, kWebrtcTables);
	xsmcVars(1);
	xsmcSetNewArray(xsResult, 0);
	for (;;) {
		/* the packetizer keeps offsets only: the access unit's address is given again before each
		 * packet, since making the previous packet's ArrayBuffer may have moved it (the collector) */
		xsmcGetBufferReadable(xsArg(0), &au, &size);
		it.au = au;
		if ((n = ivxs_rtp_next(&it, packet, sizeof(packet))) < 0)
			ivxs_throw_status(the, XS_RANGE_ERROR, "webrtc", (int)n, kWebrtcTables);
		if (n == 0)
			break;
		xsmcSetArrayBuffer(xsVar(0), packet, (xsUnsignedValue)n);
		xsmcSetIndex(xsResult, count, xsVar(0));
		count++;
	}
}

