/*
 * XS binding of the webrtc cores (webrtc.js): SRTP contexts as host objects (a context is one
 * direction's keys and replay state; its memory is counted as "webrtc"), and H.264/H.265 RTP
 * packetization of one access unit into a list of packets. Packets are protected in place in
 * the caller's ArrayBuffer: no pointer into a JS value is kept across code that can run JS.
 */
#include "xsmc.h"
#include "ivxs_kit.h"
#include "ivxs_host.h"
#include "srtp.h"
#include "rtp_video.h"

#include <stdlib.h>
#include <string.h>

void xs_webrtc_srtp_destructor(void *data);
static const xsHostHooks kSrtpHooks = { xs_webrtc_srtp_destructor, NULL, NULL };
static ivxs_mem_counter gWebrtcMemory = { "webrtc", 0, 0, NULL };
static const ivxs_status_entry *const kTables[] = { ivxs_webrtc_statuses, ivxs_annexb_statuses, ivxs_kit_statuses, NULL };

void xs_webrtc_srtp_destructor(void *data)
{
	if (!data)
		return;
	ivxs_srtp_free(data);
	free(data);
	ivxs_mem_add(&gWebrtcMemory, -(int64_t)sizeof(ivxs_srtp));
}

/* The bytes of an ArrayBuffer argument of exactly `size` bytes, copied out. */
static void bytesArg(xsMachine *the, xsSlot *slot, uint8_t *out, size_t size, const char *what)
{
	void *data;
	xsUnsignedValue length;
	if (xsmcTypeOf(*slot) != xsReferenceType || !xsmcIsInstanceOf(*slot, xsArrayBufferPrototype))
		ivxs_type_error(IVXS_EARG, "webrtc: %s must be an ArrayBuffer", what);
	xsmcGetBufferReadable(*slot, &data, &length);
	if (length != size)
		ivxs_range_error(IVXS_EARG, "webrtc: %s must be %u bytes", what, (unsigned)size);
	memcpy(out, data, size);
}

/* createSrtp(masterKey, masterSalt) -> an SRTP context (AES_CM_128_HMAC_SHA1_80). */
void xs_webrtc_srtp_create(xsMachine *the)
{
	uint8_t key[IVXS_SRTP_KEY_BYTES], salt[IVXS_SRTP_SALT_BYTES];
	ivxs_srtp *s;
	int status;
	bytesArg(the, &xsArg(0), key, sizeof(key), "the master key");
	bytesArg(the, &xsArg(1), salt, sizeof(salt), "the master salt");
	if (!(s = malloc(sizeof(*s))))
		ivxs_error(IVXS_ENOMEM, "webrtc: no memory");
	status = ivxs_srtp_init(s, key, salt);
	memset(key, 0, sizeof(key));
	if (status) {
		free(s);
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "webrtc", status, kTables);
	}
	ivxs_mem_register(&gWebrtcMemory);
	ivxs_mem_add(&gWebrtcMemory, (int64_t)sizeof(*s));
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostHooks(xsResult, &kSrtpHooks);
	xsmcSetHostData(xsResult, s);
}

/* srtp(context, op, buffer, length) -> the packet's new length. op: 0 protect RTP, 1 unprotect
 * RTP, 2 protect RTCP, 3 unprotect RTCP; the buffer holds the packet from offset 0 and, to
 * protect, room for the trailer after `length`. Failures throw with the status's code. */
void xs_webrtc_srtp(xsMachine *the)
{
	ivxs_srtp *s = ivxs_handle_open(the, &xsArg(0), &kSrtpHooks, "webrtc", "Srtp");
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
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "webrtc", status, kTables);
	xsmcSetInteger(xsResult, (xsIntegerValue)out);
}

void xs_webrtc_srtp_close(xsMachine *the)
{
	ivxs_srtp *s = ivxs_handle_get(the, &xsArg(0), &kSrtpHooks, "webrtc", "Srtp");
	if (!s)
		return;
	xsmcSetHostData(xsArg(0), NULL);
	xs_webrtc_srtp_destructor(s);
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
		ivxs_throw_status(the, XS_RANGE_ERROR, "webrtc", status, kTables);
	xsmcVars(1);
	xsmcSetNewArray(xsResult, 0);
	for (;;) {
		/* the packetizer keeps offsets only: the access unit's address is given again before each
		 * packet, since making the previous packet's ArrayBuffer may have moved it (the collector) */
		xsmcGetBufferReadable(xsArg(0), &au, &size);
		it.au = au;
		if ((n = ivxs_rtp_next(&it, packet, sizeof(packet))) < 0)
			ivxs_throw_status(the, XS_RANGE_ERROR, "webrtc", (int)n, kTables);
		if (n == 0)
			break;
		xsmcSetArrayBuffer(xsVar(0), packet, (xsUnsignedValue)n);
		xsmcSetIndex(xsResult, count, xsVar(0));
		count++;
	}
}
