/*
 * DtlsIdentity's and DtlsSession's binding (webrtc.js): the camera's identity and the DTLS-SRTP
 * sessions that borrow it (a session holds a count on its identity, so the collector may finalize
 * them in either order), whose outgoing datagrams are queued in C and handed to JS after each call —
 * no JS runs inside mbedTLS — and a session's DataChannel (SCTP over its records).
 */
#include "xsmc.h"
#include "ivxs_kit.h"
#include "ivxs_host.h"
#include "dtls.h"
#include "sctp.h"
#include "modwebrtc.h"
#include "ivxs_random.h"

#include <stdlib.h>
#include <string.h>

void xs_webrtc_identity_destructor(void *data);
void xs_webrtc_dtls_destructor(void *data);
static const xsHostHooks kIdentityHooks = { xs_webrtc_identity_destructor, NULL, NULL };
static const xsHostHooks kDtlsHooks = { xs_webrtc_dtls_destructor, NULL, NULL };

#define kDtlsQueue 8   /* datagrams a call may send: a flight of the handshake (2–4 seen) */

typedef struct {
	ivxs_dtls_identity id;
	int refs;          /* its JS object, and each session borrowing it */
} IdentityRecord;

typedef struct {
	ivxs_dtls d;
	ivxs_dtls_handshake *hs;   /* lent to `d` until it settles (dtls.h), then freed */
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

/* The handshake's memory back once the session settled (or is freed): ~2.8 KiB a viewer no longer keeps. */
static void reclaimHandshake(DtlsRecord *r)
{
	if (r->hs && !r->d.hs) {
		free(r->hs);
		r->hs = NULL;
		ivxs_mem_add(&gWebrtcMemory, -(int64_t)sizeof(ivxs_dtls_handshake));
	}
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
	reclaimHandshake(r);
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
	size_t keyLen = ivxs_webrtc_copy_arg(the, &xsArg(0), key, sizeof(key), "a key");
	size_t certLen = ivxs_webrtc_copy_arg(the, &xsArg(1), cert, sizeof(cert), "a certificate");
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

/* Where a settled session opens a record of application data (dtls.h): one for all, as only the VM
 * thread calls here and sctpInput takes what it needs before the next record is opened. */
static uint8_t gPlaintext[IVXS_WEBRTC_DATAGRAM_BYTES];

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
	ivxs_webrtc_bytes_arg(the, &xsArg(2), remote, sizeof(remote), "a fingerprint");
	if (!(r = calloc(1, sizeof(*r))) || !(r->hs = malloc(sizeof(*r->hs)))) {
		free(r);
		ivxs_error(IVXS_ENOMEM, "webrtc: no memory");
	}
	status = ivxs_dtls_setup(&r->d, r->hs, &identity->id, role, remote, ivxs_random_bytes, NULL, queueDatagram, r, (uint64_t)now);
	if (status) {
		disown(r);
		free(r->hs);
		free(r);
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "webrtc", status, kWebrtcTables);
	}
	r->identity = identity;
	identity->refs++;
	ivxs_mem_register(&gWebrtcMemory);
	ivxs_mem_add(&gWebrtcMemory, (int64_t)(sizeof(*r) + sizeof(*r->hs)));
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
		size_t len = ivxs_webrtc_copy_arg(the, &xsArg(1), datagram, sizeof(datagram), "a datagram");
		state = ivxs_dtls_input(&r->d, datagram, len, (uint64_t)now);
	}
	if (state < 0) {
		unqueue(r);
		if (ivxs_dtls_tls_error(&r->d))   /* mbedTLS's own code says why, for the log */
			ivxs_throw(the, XS_UNKNOWN_ERROR, ivxs_status_name(kWebrtcTables, state), "webrtc: DTLS handshake failed (mbedTLS -0x%04x)", (unsigned)-ivxs_dtls_tls_error(&r->d));
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "webrtc", state, kWebrtcTables);
	}
	reclaimSend(r);   /* (a SACK may have acknowledged the last of it) */
	reclaimHandshake(r);   /* (the viewer's application data settles the session) */
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
	reclaimHandshake(r);
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
	ivxs_dtls_on_data(&r->d, sctpInput, r, gPlaintext, sizeof(gPlaintext));
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
