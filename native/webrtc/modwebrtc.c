/*
 * XS binding of the webrtc cores (webrtc.js): SRTP contexts as host objects (a context is one
 * direction's keys and replay state; its memory is counted as "webrtc"), H.264/H.265 RTP
 * packetization of one access unit into a list of packets, and DTLS-SRTP: the camera's identity
 * and sessions that borrow it (a session holds a count on its identity, so the collector may
 * finalize them in either order), whose outgoing datagrams are queued in C and handed to JS after
 * each call — no JS runs inside mbedTLS. Packets are protected in place in
 * the caller's ArrayBuffer: no pointer into a JS value is kept across code that can run JS.
 */
#include "xsmc.h"
#include "ivxs_kit.h"
#include "ivxs_host.h"
#include "srtp.h"
#include "rtp_video.h"
#include "dtls.h"
#include "rtcp.h"
#include "sctp.h"
#include "twcc.h"
#include "rtp_wire.h"
#include "modwebrtc.h"
#include "ivxs_random.h"

#include <stdlib.h>
#include <string.h>

void xs_webrtc_srtp_destructor(void *data);
void xs_webrtc_identity_destructor(void *data);
void xs_webrtc_dtls_destructor(void *data);
void xs_webrtc_cc_destructor(void *data);
const xsHostHooks kWebrtcSrtpHooks = { xs_webrtc_srtp_destructor, NULL, NULL };
const xsHostHooks kWebrtcCcHooks = { xs_webrtc_cc_destructor, NULL, NULL };
static const xsHostHooks kIdentityHooks = { xs_webrtc_identity_destructor, NULL, NULL };
static const xsHostHooks kDtlsHooks = { xs_webrtc_dtls_destructor, NULL, NULL };
ivxs_mem_counter gWebrtcMemory = { "webrtc", 0, 0, NULL };
const ivxs_status_entry *const kWebrtcTables[] = { ivxs_webrtc_statuses, ivxs_annexb_statuses, ivxs_kit_statuses, NULL };

void xs_webrtc_srtp_destructor(void *data)
{
	if (!data)
		return;
	ivxs_srtp_free(data);
	free(data);
	ivxs_mem_add(&gWebrtcMemory, -(int64_t)sizeof(ivxs_srtp));
}

/* The bytes of an ArrayBuffer argument (at most `cap`), copied out: their length. */
static size_t copyArg(xsMachine *the, xsSlot *slot, uint8_t *out, size_t cap, const char *what)
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
static void bytesArg(xsMachine *the, xsSlot *slot, uint8_t *out, size_t size, const char *what)
{
	if (copyArg(the, slot, out, size, what) != size)
		ivxs_range_error(IVXS_EARG, "webrtc: %s must be %u bytes", what, (unsigned)size);
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
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "webrtc", status, kWebrtcTables);
	}
	ivxs_mem_register(&gWebrtcMemory);
	ivxs_mem_add(&gWebrtcMemory, (int64_t)sizeof(*s));
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

void xs_webrtc_srtp_close(xsMachine *the)
{
	ivxs_srtp *s = ivxs_handle_get(the, &xsArg(0), &kWebrtcSrtpHooks, "webrtc", "Srtp");
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

/* ---- the send path: an RTP sender whose packets are protected as they are made ---- */


/* ---- transport-wide congestion control (twcc.h; its record: modwebrtc.h) ---- */

void xs_webrtc_cc_destructor(void *data)
{
	if (!data)
		return;
	free(data);
	ivxs_mem_add(&gWebrtcMemory, -(int64_t)sizeof(CcRecord));
}

/* Argument `i`: a TransportCc's host object, or undefined (none). */
static CcRecord *ccArg(xsMachine *the, int i)
{
	if (xsmcTypeOf(xsArg(i)) == xsUndefinedType)
		return NULL;
	return ivxs_handle_open(the, &xsArg(i), &kWebrtcCcHooks, "webrtc", "TransportCc");
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

/* ---- DTLS-SRTP ---- */

#define kDtlsQueue 8   /* datagrams a call may send: a flight of the handshake (2–4 seen) */

typedef struct {
	ivxs_dtls_identity id;
	int refs;          /* its JS object, and each session borrowing it */
} IdentityRecord;

typedef struct {
	ivxs_dtls d;
	IdentityRecord *identity;
	/* a DataChannel's association (its SCTP packets are the session's application data), once
	 * opened: allocated then, not with every session (~7 KiB; its 16 KiB send buffer only while a
	 * reply of ours is unacknowledged: reclaimSend) */
	ivxs_sctp *sctp;
} DtlsRecord;

/* The datagrams a call makes, handed to JS before it returns: one queue serves every session
 * (only the VM thread calls here), not 9.6 KB in each. What a session left in it between calls —
 * only openDtls's ClientHello as a client — is dropped when another session's call comes first,
 * as the network may drop it: DTLS sends the flight again. */
static struct {
	const DtlsRecord *owner;
	int count;
	size_t len[kDtlsQueue];
	uint8_t bytes[kDtlsQueue][IVXS_DTLS_MTU];
} gOut;

/* The queue's datagrams, if they are `r`'s. */
static int queued(const DtlsRecord *r)
{
	return gOut.owner == r ? gOut.count : 0;
}

static void unqueue(const DtlsRecord *r)
{
	if (gOut.owner == r)
		gOut.count = 0;
}

/* A session going away: a later one at the same address must not take what it queued. */
static void disown(const DtlsRecord *r)
{
	if (gOut.owner == r)
		gOut.owner = NULL;
}

/* An association's send buffer given back (ivxs_sctp_reclaim, or the session closing). */
static void freeSend(uint8_t *buffer)
{
	free(buffer);
	ivxs_mem_add(&gWebrtcMemory, -(int64_t)IVXS_SCTP_SEND_BYTES);
}

static void identityRelease(IdentityRecord *r)
{
	if (--r->refs)
		return;
	ivxs_dtls_identity_free(&r->id);
	free(r);
	ivxs_mem_add(&gWebrtcMemory, -(int64_t)sizeof(IdentityRecord));
}

void xs_webrtc_identity_destructor(void *data)
{
	if (data)
		identityRelease(data);
}

void xs_webrtc_dtls_destructor(void *data)
{
	DtlsRecord *r = data;
	if (!r)
		return;
	ivxs_dtls_free(&r->d);
	identityRelease(r->identity);
	if (r->sctp) {
		if (r->sctp->send)
			freeSend(r->sctp->send);
		free(r->sctp);
		ivxs_mem_add(&gWebrtcMemory, -(int64_t)sizeof(ivxs_sctp));
	}
	disown(r);
	free(r);
	ivxs_mem_add(&gWebrtcMemory, -(int64_t)sizeof(DtlsRecord));
}

/* createIdentity() -> [key, certificate]: a new P-256 key and its self-signed certificate, DER, for
 * the device to keep (made once, at provisioning). */
void xs_webrtc_identity_create(xsMachine *the)
{
	uint8_t key[256], cert[1024];
	size_t keyLen = sizeof(key), certLen = sizeof(cert);
	int status = ivxs_dtls_identity_create(ivxs_random_bytes, NULL, key, &keyLen, cert, &certLen);
	if (status)
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "webrtc", status, kWebrtcTables);
	xsmcVars(1);
	xsmcSetNewArray(xsResult, 2);
	xsmcSetArrayBuffer(xsVar(0), key, (xsUnsignedValue)keyLen);
	xsmcSetIndex(xsResult, 0, xsVar(0));
	xsmcSetArrayBuffer(xsVar(0), cert, (xsUnsignedValue)certLen);
	xsmcSetIndex(xsResult, 1, xsVar(0));
	memset(key, 0, sizeof(key));
}

/* openIdentity(key, certificate) -> the identity's host object. */
void xs_webrtc_identity_open(xsMachine *the)
{
	uint8_t key[512], cert[2048];
	size_t keyLen = copyArg(the, &xsArg(0), key, sizeof(key), "a key");
	size_t certLen = copyArg(the, &xsArg(1), cert, sizeof(cert), "a certificate");
	IdentityRecord *r = malloc(sizeof(*r));
	int status;
	if (!r)
		ivxs_error(IVXS_ENOMEM, "webrtc: no memory");
	status = ivxs_dtls_identity_load(&r->id, key, keyLen, cert, certLen);
	memset(key, 0, sizeof(key));
	if (status) {
		free(r);
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "webrtc", status, kWebrtcTables);
	}
	r->refs = 1;
	ivxs_mem_register(&gWebrtcMemory);
	ivxs_mem_add(&gWebrtcMemory, (int64_t)sizeof(*r));
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostHooks(xsResult, &kIdentityHooks);
	xsmcSetHostData(xsResult, r);
}

/* identityFingerprint(identity) -> ArrayBuffer(32): the SHA-256 of its certificate (the SDP's a=fingerprint). */
void xs_webrtc_identity_fingerprint(xsMachine *the)
{
	IdentityRecord *r = ivxs_handle_open(the, &xsArg(0), &kIdentityHooks, "webrtc", "DtlsIdentity");
	xsmcSetArrayBuffer(xsResult, r->id.fingerprint, sizeof(r->id.fingerprint));
}

static int queueDatagram(void *ctx, const uint8_t *datagram, size_t len)
{
	DtlsRecord *r = ctx;
	if (gOut.owner != r) {
		gOut.owner = r;
		gOut.count = 0;
	}
	if (gOut.count == kDtlsQueue || len > IVXS_DTLS_MTU)
		return -1;
	memcpy(gOut.bytes[gOut.count], datagram, len);
	gOut.len[gOut.count++] = len;
	return 0;
}

/* The session's queued datagrams appended to the array in xsResult from index `at`. */
static void handOver(xsMachine *the, DtlsRecord *r, int at)
{
	int i, n = queued(r);
	for (i = 0; i < n; i++) {
		xsmcSetArrayBuffer(xsVar(0), gOut.bytes[i], (xsUnsignedValue)gOut.len[i]);
		xsmcSetIndex(xsResult, at + i, xsVar(0));
	}
	unqueue(r);
}

/* The association's send buffer back once all it held is acknowledged: a DataChannel holds
 * 16 KiB only while a reply of ours is on its way (sctp.h ivxs_sctp_lend). */
static void reclaimSend(DtlsRecord *r)
{
	uint8_t *buffer = r->sctp ? ivxs_sctp_reclaim(r->sctp) : NULL;
	if (buffer)
		freeSend(buffer);
}

/* openDtls(identity, role, remoteFingerprint, nowMs) -> a session's host object (role 0: server,
 * the camera's a=setup:passive; 1: client). */
void xs_webrtc_dtls_open(xsMachine *the)
{
	IdentityRecord *identity = ivxs_handle_open(the, &xsArg(0), &kIdentityHooks, "webrtc", "DtlsIdentity");
	int role = (int)ivxs_integer(the, &xsArg(1), IVXS_DTLS_SERVER, IVXS_DTLS_CLIENT, "webrtc", "role");
	uint8_t remote[IVXS_DTLS_FINGERPRINT_BYTES];
	double now = ivxs_integer(the, &xsArg(3), 0, IVXS_MAX_SAFE_INTEGER, "webrtc", "now");
	DtlsRecord *r;
	int status;
	bytesArg(the, &xsArg(2), remote, sizeof(remote), "a fingerprint");
	if (!(r = calloc(1, sizeof(*r))))
		ivxs_error(IVXS_ENOMEM, "webrtc: no memory");
	status = ivxs_dtls_setup(&r->d, &identity->id, role, remote, ivxs_random_bytes, NULL, queueDatagram, r, (uint64_t)now);
	if (status) {
		disown(r);
		free(r);
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "webrtc", status, kWebrtcTables);
	}
	r->identity = identity;
	identity->refs++;
	ivxs_mem_register(&gWebrtcMemory);
	ivxs_mem_add(&gWebrtcMemory, (int64_t)sizeof(*r));
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostHooks(xsResult, &kDtlsHooks);
	xsmcSetHostData(xsResult, r);
}

/* dtlsStep(session, datagram | undefined, nowMs) -> [state, ...datagrams to send]: a datagram from
 * the peer (or only time passing), then what the session queued. A failed handshake throws
 * (IVXS_WEBRTC_EAUTH: not the certificate the SDP named; IVXS_WEBRTC_ECRYPTO), and again on every
 * later call. */
void xs_webrtc_dtls_step(xsMachine *the)
{
	DtlsRecord *r = ivxs_handle_open(the, &xsArg(0), &kDtlsHooks, "webrtc", "DtlsSession");
	double now = ivxs_integer(the, &xsArg(2), 0, IVXS_MAX_SAFE_INTEGER, "webrtc", "now");
	int state;
	/* (datagrams queued since the last call go too: a client's ClientHello from openDtls) */
	if (xsmcTypeOf(xsArg(1)) == xsUndefinedType) {
		state = ivxs_dtls_tick(&r->d, (uint64_t)now);
		if (state == IVXS_DTLS_CONNECTED && r->sctp)
			(void)ivxs_sctp_tick(r->sctp, (uint64_t)now);   /* retransmissions; a failure shows in its state */
	}
	else {
		uint8_t datagram[IVXS_WEBRTC_DATAGRAM_BYTES];
		size_t len = copyArg(the, &xsArg(1), datagram, sizeof(datagram), "a datagram");
		state = ivxs_dtls_input(&r->d, datagram, len, (uint64_t)now);
	}
	if (state < 0) {
		unqueue(r);
		if (ivxs_dtls_tls_error(&r->d))   /* mbedTLS's own code says why, for the log */
			ivxs_throw(the, XS_UNKNOWN_ERROR, ivxs_status_name(kWebrtcTables, state), "webrtc: DTLS handshake failed (mbedTLS -0x%04x)", (unsigned)-ivxs_dtls_tls_error(&r->d));
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "webrtc", state, kWebrtcTables);
	}
	reclaimSend(r);   /* (a SACK may have acknowledged the last of it) */
	xsmcVars(1);
	xsmcSetNewArray(xsResult, 0);
	xsmcSetInteger(xsVar(0), state);
	xsmcSetIndex(xsResult, 0, xsVar(0));
	handOver(the, r, 1);
}

/* dtlsSettle(session): the viewer has finished the handshake (its SRTCP authenticated): mbedTLS's
 * context goes (dtls.h ivxs_dtls_settle). Before connected, or again: nothing. */
void xs_webrtc_dtls_settle(xsMachine *the)
{
	DtlsRecord *r = ivxs_handle_open(the, &xsArg(0), &kDtlsHooks, "webrtc", "DtlsSession");
	int status = ivxs_dtls_settle(&r->d);
	if (status)
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "webrtc", status, kWebrtcTables);
}

/* dtlsDeadline(session) -> when dtlsStep is due next with no datagram (ms, the caller's clock), or 0. */
void xs_webrtc_dtls_deadline(xsMachine *the)
{
	DtlsRecord *r = ivxs_handle_open(the, &xsArg(0), &kDtlsHooks, "webrtc", "DtlsSession");
	uint64_t dtls = ivxs_dtls_deadline(&r->d), sctp = r->sctp ? ivxs_sctp_deadline(r->sctp) : 0;
	xsmcSetNumber(xsResult, (double)(dtls && sctp ? (dtls < sctp ? dtls : sctp) : dtls + sctp));
}

/* ---- DataChannel: SCTP over the DTLS session ---- */

/* An SCTP packet out: one DTLS record into the session's queue. A full queue refuses it (the
 * association keeps it for its next chance: a SACK, a tick) rather than leave mbedTLS a record
 * half sent. */
static int sctpSend(void *ctx, const uint8_t *packet, size_t len)
{
	DtlsRecord *r = ctx;
	if (queued(r) == kDtlsQueue)
		return -1;
	return ivxs_dtls_write(&r->d, packet, len) ? -1 : 0;
}

/* The session's application data: SCTP packets for the association (during ivxs_dtls_input). */
static void sctpInput(void *ctx, const uint8_t *plaintext, size_t len)
{
	DtlsRecord *r = ctx;
	(void)ivxs_sctp_input(r->sctp, plaintext, len, r->d.now);   /* refusals are counted in the association */
}

/* dtlsOpenChannel(session, localPort, remotePort, nowMs): the session carries a DataChannel (the
 * SDP's a=sctp-port each side); the viewer's INIT opens it once DTLS is up. */
void xs_webrtc_dtls_open_channel(xsMachine *the)
{
	DtlsRecord *r = ivxs_handle_open(the, &xsArg(0), &kDtlsHooks, "webrtc", "DtlsSession");
	uint16_t local = (uint16_t)ivxs_integer(the, &xsArg(1), 1, 65535, "webrtc", "localPort");
	uint16_t remote = (uint16_t)ivxs_integer(the, &xsArg(2), 1, 65535, "webrtc", "remotePort");
	double now = ivxs_integer(the, &xsArg(3), 0, IVXS_MAX_SAFE_INTEGER, "webrtc", "now");
	int status;
	if (r->sctp)
		ivxs_error(IVXS_EARG, "webrtc: the session has a DataChannel already");
	if (!(r->sctp = calloc(1, sizeof(*r->sctp))))
		ivxs_error(IVXS_ENOMEM, "webrtc: no memory");
	ivxs_mem_add(&gWebrtcMemory, (int64_t)sizeof(*r->sctp));
	status = ivxs_sctp_setup(r->sctp, local, remote, ivxs_random_bytes, NULL, sctpSend, r, (uint64_t)now);
	if (status)
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "webrtc", status, kWebrtcTables);
	ivxs_dtls_on_data(&r->d, sctpInput, r);
}

/* dtlsMessages(session) -> [stream, ppid, ArrayBuffer, …]: the DataChannel's messages that
 * arrived, each copied out (a command is small; the association's inbox bounds them). */
void xs_webrtc_dtls_messages(xsMachine *the)
{
	DtlsRecord *r = ivxs_handle_open(the, &xsArg(0), &kDtlsHooks, "webrtc", "DtlsSession");
	uint16_t stream;
	uint32_t ppid;
	const uint8_t *data;
	size_t len;
	int n = 0;
	xsmcVars(1);
	xsmcSetNewArray(xsResult, 0);
	while (r->sctp && ivxs_sctp_take(r->sctp, &stream, &ppid, &data, &len) == 1) {
		xsmcSetInteger(xsVar(0), stream);
		xsmcSetIndex(xsResult, n++, xsVar(0));
		xsmcSetNumber(xsVar(0), (double)ppid);
		xsmcSetIndex(xsResult, n++, xsVar(0));
		xsmcSetArrayBuffer(xsVar(0), (void *)data, (xsUnsignedValue)len);   /* copied: C's bytes are not kept */
		xsmcSetIndex(xsResult, n++, xsVar(0));
	}
}

/* dtlsSendMessage(session, stream, ppid, bytes, nowMs) -> [datagrams to send]: a message on the
 * DataChannel (copied into the association until acknowledged). Throws IVXS_WEBRTC_EFULL (the
 * peer has not acknowledged enough yet), IVXS_WEBRTC_ECLOSED, IVXS_WEBRTC_EMTU (too large). */
void xs_webrtc_dtls_send_message(xsMachine *the)
{
	DtlsRecord *r = ivxs_handle_open(the, &xsArg(0), &kDtlsHooks, "webrtc", "DtlsSession");
	uint16_t stream = (uint16_t)ivxs_integer(the, &xsArg(1), 0, 65535, "webrtc", "stream");
	uint32_t ppid = (uint32_t)ivxs_integer(the, &xsArg(2), 0, 4294967295.0, "webrtc", "ppid");
	double now = ivxs_integer(the, &xsArg(4), 0, IVXS_MAX_SAFE_INTEGER, "webrtc", "now");
	void *data;
	xsUnsignedValue length;
	int status;
	if (!r->sctp)
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "webrtc", IVXS_WEBRTC_ECLOSED, kWebrtcTables);
	if (xsmcTypeOf(xsArg(3)) != xsReferenceType || !xsmcIsInstanceOf(xsArg(3), xsArrayBufferPrototype))
		ivxs_type_error(IVXS_EARG, "webrtc: a message must be an ArrayBuffer");
	if (!r->sctp->send) {
		uint8_t *buffer = malloc(IVXS_SCTP_SEND_BYTES);
		if (!buffer)
			ivxs_error(IVXS_ENOMEM, "webrtc: no memory");
		ivxs_sctp_lend(r->sctp, buffer);
		ivxs_mem_add(&gWebrtcMemory, (int64_t)IVXS_SCTP_SEND_BYTES);
	}
	xsmcGetBufferReadable(xsArg(3), &data, &length);
	/* the association copies the bytes before anything else runs: no JS between here and there */
	status = ivxs_sctp_send(r->sctp, stream, ppid, data, length, (uint64_t)now);
	reclaimSend(r);   /* (a send refused with nothing else waiting gives it back) */
	if (status) {
		unqueue(r);
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "webrtc", status, kWebrtcTables);
	}
	xsmcVars(1);
	xsmcSetNewArray(xsResult, 0);
	handOver(the, r, 0);
}

/* channelMaxMessage() -> IVXS_SCTP_MAX_RECEIVE: the SDP's a=max-message-size. */
void xs_webrtc_channel_max_message(xsMachine *the)
{
	xsmcSetInteger(xsResult, IVXS_SCTP_MAX_RECEIVE);
}

/* dtlsChannelState(session) -> the association's state (sctp.h: 0 listening, 1 established,
 * 2 closed), or -1: no DataChannel. */
void xs_webrtc_dtls_channel_state(xsMachine *the)
{
	DtlsRecord *r = ivxs_handle_open(the, &xsArg(0), &kDtlsHooks, "webrtc", "DtlsSession");
	xsmcSetInteger(xsResult, r->sctp ? r->sctp->state : -1);
}

/* dtlsKeys(session) -> [localKey, localSalt, remoteKey, remoteSalt] once connected (SRTP masters). */
void xs_webrtc_dtls_keys(xsMachine *the)
{
	DtlsRecord *r = ivxs_handle_open(the, &xsArg(0), &kDtlsHooks, "webrtc", "DtlsSession");
	uint8_t lk[IVXS_SRTP_KEY_BYTES], ls[IVXS_SRTP_SALT_BYTES], rk[IVXS_SRTP_KEY_BYTES], rs[IVXS_SRTP_SALT_BYTES];
	int status = ivxs_dtls_srtp_keys(&r->d, lk, ls, rk, rs);
	if (status)
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "webrtc", status, kWebrtcTables);
	xsmcVars(1);
	xsmcSetNewArray(xsResult, 4);
	xsmcSetArrayBuffer(xsVar(0), lk, sizeof(lk));
	xsmcSetIndex(xsResult, 0, xsVar(0));
	xsmcSetArrayBuffer(xsVar(0), ls, sizeof(ls));
	xsmcSetIndex(xsResult, 1, xsVar(0));
	xsmcSetArrayBuffer(xsVar(0), rk, sizeof(rk));
	xsmcSetIndex(xsResult, 2, xsVar(0));
	xsmcSetArrayBuffer(xsVar(0), rs, sizeof(rs));
	xsmcSetIndex(xsResult, 3, xsVar(0));
	memset(lk, 0, sizeof(lk));
	memset(rk, 0, sizeof(rk));
}

/* closeIdentity(identity) / closeDtls(session): release now (a session keeps its identity's C
 * record until it closes too). */
void xs_webrtc_identity_close(xsMachine *the)
{
	IdentityRecord *r = ivxs_handle_get(the, &xsArg(0), &kIdentityHooks, "webrtc", "DtlsIdentity");
	if (!r)
		return;
	xsmcSetHostData(xsArg(0), NULL);
	identityRelease(r);
}

void xs_webrtc_dtls_close(xsMachine *the)
{
	DtlsRecord *r = ivxs_handle_get(the, &xsArg(0), &kDtlsHooks, "webrtc", "DtlsSession");
	if (!r)
		return;
	xsmcSetHostData(xsArg(0), NULL);
	xs_webrtc_dtls_destructor(r);
}

/* ---- RTCP feedback ---- */

#define kMaxNacks 64   /* sequence numbers handed to JS per compound packet: the rest are dropped (a bound) */

/* rtcpFeedback(buffer, length, mediaSsrc, cc, now) -> { keyFrame, nacks: [seq…], report?, rrtr? }
 * of a compound RTCP packet (after SRTCP): whether a PLI or FIR asks for a key frame of
 * `mediaSsrc`, the sequence numbers its NACKs ask for (at most 64), the viewer's report block on
 * it, and its receiver reference time ({ ssrc, lrr }: for senderReport to echo). A malformed
 * packet: what was read before it. With `cc` (a TransportCc), its transport-wide feedback goes to
 * it, arrived at `now`. */
void xs_webrtc_rtcp_feedback(xsMachine *the)
{
	uint8_t packet[IVXS_WEBRTC_DATAGRAM_BYTES];
	uint16_t nacks[kMaxNacks];
	size_t length = (size_t)ivxs_integer(the, &xsArg(1), 0, sizeof(packet), "webrtc", "length"), pos = 0;
	uint32_t media = (uint32_t)ivxs_integer(the, &xsArg(2), 0, 0xffffffff, "webrtc", "mediaSsrc");
	CcRecord *cc = ccArg(the, 3);
	uint32_t now = cc ? ivxs_clock_ms(the, &xsArg(4), "webrtc", "now") : 0;
	void *data;
	xsUnsignedValue size;
	ivxs_rtcp_packet p;
	ivxs_rtcp_report report = { 0 };
	ivxs_rtcp_rrtr rrtr = { 0, 0 };
	int keyFrame = 0, n = 0, i, fir, reported = 0, timed = 0;
	if (xsmcTypeOf(xsArg(0)) != xsReferenceType || !xsmcIsInstanceOf(xsArg(0), xsArrayBufferPrototype))
		ivxs_type_error(IVXS_EARG, "webrtc: an RTCP packet is an ArrayBuffer");
	xsmcGetBufferReadable(xsArg(0), &data, &size);
	if (length > size)
		ivxs_range_error(IVXS_EARG, "webrtc: length past the buffer");
	memcpy(packet, data, length);
	while (ivxs_rtcp_next(packet, length, &pos, &p) == 1) {
		ivxs_rtcp_nack_cursor c = { 0, 0 };
		uint16_t seq;
		if (ivxs_rtcp_wants_key_frame(&p, media, &fir))
			keyFrame = 1;
		if (p.type == IVXS_RTCP_SR || p.type == IVXS_RTCP_RR) {   /* the viewer's report on our stream: the last one counts */
			ivxs_rtcp_report block;
			unsigned b;
			for (b = 0; ivxs_rtcp_report_at(&p, b, &block) == 0; b++)
				if (block.ssrc == media) {
					report = block;
					reported = 1;
				}
		}
		if (p.media == media)
			while (n < kMaxNacks && ivxs_rtcp_nack_next(&p, &c, &seq) == 1)
				nacks[n++] = seq;
		if (cc && p.type == IVXS_RTCP_RTPFB && p.count == 15)   /* transport-wide: about every stream */
			(void)ivxs_twcc_feedback(&cc->twcc, &p, now);   /* a malformed one is counted and ignored */
		if (ivxs_rtcp_rrtr_of(&p, &rrtr) == 1)   /* the last one counts; a malformed XR says nothing */
			timed = 1;
	}
	xsmcVars(2);
	xsmcSetNewObject(xsResult);
	xsmcSetBoolean(xsVar(0), keyFrame);
	xsmcSet(xsResult, xsID("keyFrame"), xsVar(0));
	xsmcSetNewArray(xsVar(0), n);
	for (i = 0; i < n; i++) {
		xsmcSetInteger(xsVar(1), nacks[i]);
		xsmcSetIndex(xsVar(0), i, xsVar(1));
	}
	xsmcSet(xsResult, xsID("nacks"), xsVar(0));
	if (timed) {
		xsmcSetNewObject(xsVar(0));
		xsmcSetNumber(xsVar(1), rrtr.ssrc);
		xsmcSet(xsVar(0), xsID("ssrc"), xsVar(1));
		xsmcSetNumber(xsVar(1), rrtr.lrr);
		xsmcSet(xsVar(0), xsID("lrr"), xsVar(1));
		xsmcSet(xsResult, xsID("rrtr"), xsVar(0));
	}
	if (!reported)
		return;
	xsmcSetNewObject(xsVar(0));
	xsmcSetInteger(xsVar(1), report.fractionLost);
	xsmcSet(xsVar(0), xsID("fractionLost"), xsVar(1));
	xsmcSetInteger(xsVar(1), report.cumulativeLost);
	xsmcSet(xsVar(0), xsID("cumulativeLost"), xsVar(1));
	xsmcSetNumber(xsVar(1), report.jitter);
	xsmcSet(xsVar(0), xsID("jitter"), xsVar(1));
	xsmcSetNumber(xsVar(1), report.lastSr);
	xsmcSet(xsVar(0), xsID("lastSr"), xsVar(1));
	xsmcSetNumber(xsVar(1), report.delaySinceLastSr);
	xsmcSet(xsVar(0), xsID("delaySinceLastSr"), xsVar(1));
	xsmcSet(xsResult, xsID("report"), xsVar(0));
}

/* senderReport(ssrc, ntpSeconds, ntpFraction, rtpTimestamp, packets, octets[, rrtrSsrc, lrr, heldMs])
 * -> an ArrayBuffer holding the camera's sender report (28 bytes) — followed, when given the
 * viewer's receiver reference time (rtcpFeedback's rrtr) and how long it was held, by the XR DLRR
 * answering it (24 bytes more) — and room after it for the SRTCP trailer. */
void xs_webrtc_sender_report(xsMachine *the)
{
	uint8_t out[28 + 24 + IVXS_SRTCP_TRAILER_BYTES];
	ivxs_rtcp_sender_info info;
	uint32_t ssrc = (uint32_t)ivxs_integer(the, &xsArg(0), 0, 0xffffffff, "webrtc", "ssrc");
	uint32_t seconds = (uint32_t)ivxs_integer(the, &xsArg(1), 0, 0xffffffff, "webrtc", "ntpSeconds");
	uint32_t fraction = (uint32_t)ivxs_integer(the, &xsArg(2), 0, 0xffffffff, "webrtc", "ntpFraction");
	long n, m = 0;
	info.ntp = ((uint64_t)seconds << 32) | fraction;
	info.rtpTimestamp = (uint32_t)ivxs_integer(the, &xsArg(3), 0, 0xffffffff, "webrtc", "rtpTimestamp");
	info.packets = (uint32_t)ivxs_integer(the, &xsArg(4), 0, 0xffffffff, "webrtc", "packets");
	info.octets = (uint32_t)ivxs_integer(the, &xsArg(5), 0, 0xffffffff, "webrtc", "octets");
	memset(out, 0, sizeof(out));
	if ((n = ivxs_rtcp_write_sender_report(out, sizeof(out), ssrc, &info)) < 0)
		ivxs_throw_status(the, XS_RANGE_ERROR, "webrtc", (int)n, kWebrtcTables);
	if (xsmcArgc > 6 && xsmcTypeOf(xsArg(6)) != xsUndefinedType) {
		ivxs_rtcp_rrtr rrtr;
		uint32_t heldMs;
		if (xsmcArgc < 9)
			ivxs_type_error(IVXS_EARG, "webrtc: a receiver reference time to answer takes its ssrc, lrr and heldMs");
		/* DLRR's delay is in 1/65536 s; a minute bounds it (the report is a second old at most) */
		heldMs = (uint32_t)ivxs_integer(the, &xsArg(8), 0, 60000, "webrtc", "heldMs");
		rrtr.ssrc = (uint32_t)ivxs_integer(the, &xsArg(6), 0, 0xffffffff, "webrtc", "rrtrSsrc");
		rrtr.lrr = (uint32_t)ivxs_integer(the, &xsArg(7), 0, 0xffffffff, "webrtc", "lrr");
		if ((m = ivxs_rtcp_write_dlrr(out + n, sizeof(out) - n, ssrc, &rrtr, (uint32_t)((uint64_t)heldMs * 65536 / 1000))) < 0)
			ivxs_throw_status(the, XS_RANGE_ERROR, "webrtc", (int)m, kWebrtcTables);
	}
	xsmcSetArrayBuffer(xsResult, out, (xsUnsignedValue)(n + m + IVXS_SRTCP_TRAILER_BYTES));
}
