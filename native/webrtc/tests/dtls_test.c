/* Tests of the DTLS-SRTP core (dtls.h) between two of its own sessions over an in-memory wire with
 * a fake clock: identities made and loaded, the handshake (camera as server, the viewer client),
 * both sides' SRTP keys matching and protecting media the other unprotects, a lost flight
 * retransmitted, and a certificate other than the SDP's fingerprint refused on either side.
 * (An independent peer — openssl's DTLS with use_srtp — is the next check: tests/webrtc.) Ends
 * with "N passed, N failed". */
#include "dtls.h"

#include <stdio.h>
#include <string.h>

#include "ivxs_test.h"
#include "ivxs_test_random.h"


/* One direction of the wire: datagrams queued until delivered (or dropped). */
typedef struct {
	uint8_t data[16][1500];
	size_t len[16];
	int count, dropNext, sent;
	int fragmentHello;   /* 1: the ClientHello in two records of one datagram, 2: in two datagrams (OpenSSL's way) */
	int junkBeforeHello; /* these datagrams of kJunk go ahead of the ClientHello */
} Wire;

/* What may reach a camera's session on the viewer's checked path before its ClientHello, each in
 * DTLS's first-byte range (RFC 7983): mbedTLS's ClientHello parser reads the record layer itself and
 * failed the handshake on each (a record cut short: MBEDTLS_ERR_SSL_INTERNAL_ERROR, seen with Chromium). */
static const struct { uint8_t bytes[40]; size_t len; const char *what; } kJunk[] = {
	{ { 22, 0xfe, 0xfd, 0, 0 }, 5, "a datagram shorter than a record header" },
	{ { 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0x04, 0xb0, 1, 0, 0, 0x50 }, 17, "a ClientHello record cut short (its header says 1,200 bytes)" },
	{ { 21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 8, 0, 2, 2, 40 }, 15, "an alert" },
	{ { 22, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 3, 0, 12, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 25, "a handshake record of epoch 1 (a Finished from an older session)" },
};

/* The ClientHello record `d` as two fragments: their records written into out (one or two datagrams). */
static void fragment(Wire *w, const uint8_t *d, size_t len, int twoDatagrams)
{
	size_t body = len - 25, first = body / 2, i;
	uint8_t rec[2][1500];
	size_t recLen[2];
	for (i = 0; i < 2; i++) {
		size_t off = i ? first : 0, n = i ? body - first : first;
		memcpy(rec[i], d, 25);                          /* record and handshake headers */
		rec[i][11] = (uint8_t)((12 + n) >> 8), rec[i][12] = (uint8_t)(12 + n);
		rec[i][10] = (uint8_t)(d[10] + i);              /* the record sequence number */
		rec[i][19] = (uint8_t)(off >> 16), rec[i][20] = (uint8_t)(off >> 8), rec[i][21] = (uint8_t)off;
		rec[i][22] = (uint8_t)(n >> 16), rec[i][23] = (uint8_t)(n >> 8), rec[i][24] = (uint8_t)n;
		memcpy(rec[i] + 25, d + 25 + off, n);
		recLen[i] = 25 + n;
	}
	if (twoDatagrams) {
		for (i = 0; i < 2; i++) {
			memcpy(w->data[w->count], rec[i], recLen[i]);
			w->len[w->count++] = recLen[i];
		}
	}
	else {
		memcpy(w->data[w->count], rec[0], recLen[0]);
		memcpy(w->data[w->count] + recLen[0], rec[1], recLen[1]);
		w->len[w->count++] = recLen[0] + recLen[1];
	}
}

static int wireSend(void *ctx, const uint8_t *datagram, size_t len)
{
	Wire *w = ctx;
	w->sent++;
	if (w->dropNext > 0) {
		w->dropNext--;
		return 0;
	}
	if (w->count >= 15 || len > 1500)
		return -1;
	if (w->junkBeforeHello && datagram[0] == 22 && datagram[13] == 1) {
		int i;
		for (i = 0; i < w->junkBeforeHello; i++) {
			memcpy(w->data[w->count], kJunk[i].bytes, kJunk[i].len);
			w->len[w->count++] = kJunk[i].len;
		}
		w->junkBeforeHello = 0;
	}
	if (w->fragmentHello && datagram[0] == 22 && datagram[13] == 1) {   /* the ClientHello */
		fragment(w, datagram, len, w->fragmentHello == 2);
		return 0;
	}
	memcpy(w->data[w->count], datagram, len);
	w->len[w->count++] = len;
	return 0;
}

/* Everything queued on `w` into `to`: its last answer (or the first failure). */
static int deliver(Wire *w, ivxs_dtls *to, uint64_t now)
{
	int i, r = to->state;
	Wire copy = *w;
	w->count = 0;
	for (i = 0; i < copy.count; i++) {
		r = ivxs_dtls_input(to, copy.data[i], copy.len[i], now);
		if (r < 0)
			return r;
	}
	return r;
}

static uint64_t gSeed = 0x1234567;
static ivxs_dtls_identity gCamera, gViewer;
static Wire gToViewer, gToCamera;

static int makeIdentity(ivxs_dtls_identity *id)
{
	uint8_t key[256], cert[1024];
	size_t keyLen = sizeof(key), certLen = sizeof(cert);
	return ivxs_dtls_identity_create(ivxs_test_random, &gSeed, key, &keyLen, cert, &certLen) || ivxs_dtls_identity_load(id, key, keyLen, cert, certLen);
}

/* A handshake; the camera expects `viewerFp`, the viewer `cameraFp`. Pumps until both settle. */
static int gFragmentHello, gJunk;
static ivxs_dtls_handshake gCameraHs, gViewerHs;   /* lent to the sessions of one test at a time */
static uint8_t gCameraPlain[IVXS_WEBRTC_DATAGRAM_BYTES], gViewerPlain[IVXS_WEBRTC_DATAGRAM_BYTES];

static void handshake(ivxs_dtls *camera, ivxs_dtls *viewer, const uint8_t *cameraFp, const uint8_t *viewerFp, int dropFirst, int *rc, int *rv)
{
	uint64_t now = 1000;
	int i;
	memset(&gToViewer, 0, sizeof(gToViewer));
	memset(&gToCamera, 0, sizeof(gToCamera));
	gToCamera.dropNext = dropFirst;
	gToCamera.fragmentHello = gFragmentHello;
	gToCamera.junkBeforeHello = gJunk;
	*rc = ivxs_dtls_setup(camera, &gCameraHs, &gCamera, IVXS_DTLS_SERVER, viewerFp, ivxs_test_random, &gSeed, wireSend, &gToViewer, now);
	*rv = ivxs_dtls_setup(viewer, &gViewerHs, &gViewer, IVXS_DTLS_CLIENT, cameraFp, ivxs_test_random, &gSeed, wireSend, &gToCamera, now);
	for (i = 0; i < 40 && *rc >= 0 && *rv >= 0 && !(*rc == IVXS_DTLS_CONNECTED && *rv == IVXS_DTLS_CONNECTED); i++) {
		if (!gToCamera.count && !gToViewer.count) {   /* nothing on the wire: time passes, retransmissions */
			now += 500;
			*rc = ivxs_dtls_tick(camera, now);
			*rv = ivxs_dtls_tick(viewer, now);
			continue;
		}
		*rc = deliver(&gToCamera, camera, now);
		if (*rc >= 0)
			*rv = deliver(&gToViewer, viewer, now);
		now += 5;
	}
}

static void test_identity(void)
{
	uint8_t key[256], cert[1024], small[100];
	size_t keyLen = sizeof(key), certLen = sizeof(cert), smallLen = sizeof(small);
	ivxs_dtls_identity id;
	CHECK_EQ(ivxs_dtls_identity_create(ivxs_test_random, &gSeed, key, &keyLen, small, &smallLen), IVXS_WEBRTC_EMTU);
	CHECK_EQ(ivxs_dtls_identity_create(ivxs_test_random, &gSeed, key, &keyLen, cert, &certLen), 0);
	CHECK(certLen > 200 && certLen < 600 && keyLen > 60 && keyLen < 200);
	CHECK_EQ(ivxs_dtls_identity_load(&id, key, keyLen, cert, certLen), 0);
	ivxs_dtls_identity_free(&id);
	CHECK_EQ(ivxs_dtls_identity_load(&id, cert, certLen, key, keyLen), IVXS_WEBRTC_ECRYPTO);   /* swapped */
	NOTE("a P-256 key (%zu bytes of DER) and a self-signed certificate (%zu)", keyLen, certLen);
done:;
}

static void test_handshake(void)
{
	ivxs_dtls camera, viewer;
	ivxs_srtp tx, rx;
	uint8_t ck[16], cs[14], crk[16], crs[14], vk[16], vs[14], vrk[16], vrs[14], packet[64] = { 0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7 };
	size_t out, len;
	int rc, rv;
	handshake(&camera, &viewer, gCamera.fingerprint, gViewer.fingerprint, 0, &rc, &rv);
	CHECK_EQ(rc, IVXS_DTLS_CONNECTED);
	CHECK_EQ(rv, IVXS_DTLS_CONNECTED);
	CHECK_EQ(ivxs_dtls_srtp_keys(&camera, ck, cs, crk, crs), 0);
	CHECK_EQ(ivxs_dtls_srtp_keys(&viewer, vk, vs, vrk, vrs), 0);
	CHECK(!memcmp(ck, vrk, 16) && !memcmp(cs, vrs, 14) && !memcmp(vk, crk, 16) && !memcmp(vs, crs, 14));
	CHECK(memcmp(ck, vk, 16));   /* each direction its own key */
	/* the camera's media, protected with its key, unprotected by the viewer with its remote key */
	CHECK_EQ(ivxs_srtp_init(&tx, ck, cs), 0);
	CHECK_EQ(ivxs_srtp_init(&rx, vrk, vrs), 0);
	CHECK_EQ(ivxs_srtp_protect(&tx, packet, 40, sizeof(packet), &out), 0);
	CHECK_EQ(ivxs_srtp_unprotect(&rx, packet, out, &len), 0);
	ivxs_srtp_free(&tx);
	ivxs_srtp_free(&rx);
	NOTE("%d datagrams from the camera, %d from the viewer", gToViewer.sent, gToCamera.sent);
done:
	ivxs_dtls_free(&camera);
	ivxs_dtls_free(&viewer);
}

/* What a session's `data` callback received. */
typedef struct {
	uint8_t bytes[4][1200];
	size_t len[4];
	int count;
} Received;

static void receive(void *ctx, const uint8_t *plaintext, size_t len)
{
	Received *r = ctx;
	if (r->count < 4 && len <= sizeof(r->bytes[0])) {
		memcpy(r->bytes[r->count], plaintext, len);
		r->len[r->count] = len;
	}
	r->count++;
}

static void test_application_data(void)
{
	ivxs_dtls camera, viewer;
	static uint8_t big[IVXS_DTLS_MAX_WRITE + 1];
	static Received atCamera, atViewer;
	int rc, rv, i;
	memset(&atCamera, 0, sizeof(atCamera));
	memset(&atViewer, 0, sizeof(atViewer));
	for (i = 0; i < (int)sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	handshake(&camera, &viewer, gCamera.fingerprint, gViewer.fingerprint, 0, &rc, &rv);
	CHECK_EQ(rc, IVXS_DTLS_CONNECTED);
	CHECK_EQ(rv, IVXS_DTLS_CONNECTED);
	ivxs_dtls_on_data(&camera, receive, &atCamera, gCameraPlain, sizeof(gCameraPlain));
	ivxs_dtls_on_data(&viewer, receive, &atViewer, gViewerPlain, sizeof(gViewerPlain));
	/* the viewer's two records in one datagram and one more alone; the camera answers one the largest it may */
	CHECK_EQ(ivxs_dtls_write(&viewer, (const uint8_t *)"INIT", 4), 0);
	CHECK_EQ(gToCamera.count, 1);
	CHECK_EQ(ivxs_dtls_write(&viewer, big, 1000), 0);
	CHECK_EQ(gToCamera.count, 2);
	memcpy(gToCamera.data[0] + gToCamera.len[0], gToCamera.data[1], gToCamera.len[1]);
	gToCamera.len[0] += gToCamera.len[1];
	gToCamera.count = 1;
	CHECK_EQ(ivxs_dtls_write(&viewer, big + 1, 3), 0);
	CHECK_EQ(deliver(&gToCamera, &camera, 2000), IVXS_DTLS_CONNECTED);
	CHECK_EQ(atCamera.count, 3);
	CHECK(atCamera.len[0] == 4 && !memcmp(atCamera.bytes[0], "INIT", 4));
	CHECK(atCamera.len[1] == 1000 && !memcmp(atCamera.bytes[1], big, 1000));
	CHECK(atCamera.len[2] == 3 && !memcmp(atCamera.bytes[2], big + 1, 3));
	CHECK_EQ(ivxs_dtls_write(&camera, big, sizeof(big)), IVXS_WEBRTC_EMTU);
	CHECK_EQ(ivxs_dtls_write(&camera, big, IVXS_DTLS_MAX_WRITE), 0);
	CHECK(gToViewer.len[gToViewer.count - 1] <= IVXS_DTLS_MTU);
	CHECK_EQ(deliver(&gToViewer, &viewer, 2000), IVXS_DTLS_CONNECTED);
	CHECK(atViewer.count == 1 && atViewer.len[0] == IVXS_DTLS_MAX_WRITE && !memcmp(atViewer.bytes[0], big, IVXS_DTLS_MAX_WRITE));
	NOTE("a record of %d bytes of application data is a %zu-byte datagram", IVXS_DTLS_MAX_WRITE, gToViewer.len[0]);
done:
	ivxs_dtls_free(&camera);
	ivxs_dtls_free(&viewer);
}

/* Settled (the peer finished: its SRTCP authenticated): mbedTLS's context is gone and the records
 * are the core's own — read and written by the viewer's mbedTLS as its own, replays and forgeries
 * dropped, the SRTP keys unchanged, the viewer's close_notify read. */
static void test_settled(void)
{
	ivxs_dtls camera, viewer;
	static Received atCamera, atViewer;
	uint8_t before[4][16], after[4][16], replay[1500], forged[1500];
	size_t replayLen, forgedLen;
	int rc, rv;
	memset(&atCamera, 0, sizeof(atCamera));
	memset(&atViewer, 0, sizeof(atViewer));
	handshake(&camera, &viewer, gCamera.fingerprint, gViewer.fingerprint, 0, &rc, &rv);
	CHECK(rc == IVXS_DTLS_CONNECTED && rv == IVXS_DTLS_CONNECTED);
	ivxs_dtls_on_data(&camera, receive, &atCamera, gCameraPlain, sizeof(gCameraPlain));
	ivxs_dtls_on_data(&viewer, receive, &atViewer, gViewerPlain, sizeof(gViewerPlain));
	CHECK_EQ(ivxs_dtls_srtp_keys(&camera, before[0], before[1], before[2], before[3]), 0);
	CHECK_EQ(ivxs_dtls_settle(&camera), 0);
	CHECK(camera.settled && !camera.hs);   /* the handshake's memory lent no more */
	CHECK_EQ(ivxs_dtls_settle(&camera), 0);   /* again: nothing */
	CHECK_EQ(ivxs_dtls_srtp_keys(&camera, after[0], after[1], after[2], after[3]), 0);
	CHECK(!memcmp(before, after, sizeof(before)));
	CHECK_EQ(ivxs_dtls_tick(&camera, 90000), IVXS_DTLS_CONNECTED);
	CHECK_EQ(ivxs_dtls_deadline(&camera), 0);
	/* the viewer's records (mbedTLS's) opened by the core's */
	CHECK_EQ(ivxs_dtls_write(&viewer, (const uint8_t *)"one", 3), 0);
	CHECK_EQ(ivxs_dtls_write(&viewer, (const uint8_t *)"two", 3), 0);
	CHECK_EQ(gToCamera.count, 2);
	memcpy(replay, gToCamera.data[0], replayLen = gToCamera.len[0]);
	memcpy(forged, gToCamera.data[1], forgedLen = gToCamera.len[1]);
	forged[forgedLen - 20] ^= 1;   /* a ciphertext byte */
	gToCamera.count = 1;           /* "two" held back: reordered after its forgery */
	CHECK_EQ(deliver(&gToCamera, &camera, 91000), IVXS_DTLS_CONNECTED);
	CHECK_EQ(ivxs_dtls_input(&camera, replay, replayLen, 91001), IVXS_DTLS_CONNECTED);   /* replayed: dropped */
	CHECK_EQ(ivxs_dtls_input(&camera, forged, forgedLen, 91002), IVXS_DTLS_CONNECTED);   /* forged: dropped */
	forged[forgedLen - 20] ^= 1;
	CHECK_EQ(ivxs_dtls_input(&camera, forged, forgedLen, 91003), IVXS_DTLS_CONNECTED);   /* the real one, late: taken */
	CHECK_EQ(ivxs_dtls_input(&camera, forged, forgedLen, 91004), IVXS_DTLS_CONNECTED);   /* and once only */
	CHECK_EQ(atCamera.count, 2);
	CHECK(atCamera.len[0] == 3 && !memcmp(atCamera.bytes[0], "one", 3) && atCamera.len[1] == 3 && !memcmp(atCamera.bytes[1], "two", 3));
	/* the core's records, held on the wire while the viewer (not settled: it has read nothing yet)
	 * leaves: its close_notify, an alert record for the core to open */
	CHECK_EQ(ivxs_dtls_write(&camera, (const uint8_t *)"three", 5), 0);
	CHECK_EQ(ivxs_dtls_write(&camera, (const uint8_t *)"four", 4), 0);
	CHECK(!viewer.settled);
	CHECK_EQ(mbedtls_ssl_close_notify(&viewer.hs->ssl), 0);
	CHECK_EQ(deliver(&gToCamera, &camera, 93000), IVXS_DTLS_CLOSED);
	CHECK_EQ(ivxs_dtls_write(&camera, (const uint8_t *)"x", 1), IVXS_WEBRTC_ECLOSED);
	/* then read by the viewer's mbedTLS, which settles in turn (the camera's data: it had finished) */
	CHECK_EQ(deliver(&gToViewer, &viewer, 94000), IVXS_DTLS_CONNECTED);
	CHECK_EQ(atViewer.count, 2);
	CHECK(atViewer.len[0] == 5 && !memcmp(atViewer.bytes[0], "three", 5) && atViewer.len[1] == 4 && !memcmp(atViewer.bytes[1], "four", 4));
	CHECK(viewer.settled);
done:
	ivxs_dtls_free(&camera);
	ivxs_dtls_free(&viewer);
}

static void test_not_connected(void)
{
	ivxs_dtls camera;
	int rc = ivxs_dtls_setup(&camera, &gCameraHs, &gCamera, IVXS_DTLS_SERVER, gViewer.fingerprint, ivxs_test_random, &gSeed, wireSend, &gToViewer, 0);
	CHECK_EQ(rc, 0);
	CHECK_EQ(ivxs_dtls_write(&camera, (const uint8_t *)"x", 1), IVXS_WEBRTC_ECLOSED);
done:
	ivxs_dtls_free(&camera);
}

static void test_lost_flight(void)
{
	ivxs_dtls camera, viewer;
	int rc, rv;
	handshake(&camera, &viewer, gCamera.fingerprint, gViewer.fingerprint, 1, &rc, &rv);   /* the ClientHello lost */
	CHECK_EQ(rc, IVXS_DTLS_CONNECTED);
	CHECK_EQ(rv, IVXS_DTLS_CONNECTED);
	CHECK(gToCamera.sent >= 2);
done:
	ivxs_dtls_free(&camera);
	ivxs_dtls_free(&viewer);
}

/* OpenSSL-based peers (aiortc, GStreamer) send their ClientHello in 256-byte records: mbedTLS takes
 * any handshake message in fragments but that one; the core puts it back together. */
static void test_fragmented_hello(void)
{
	ivxs_dtls camera, viewer;
	int rc, rv, mode;
	for (mode = 1; mode <= 2; mode++) {
		gFragmentHello = mode;
		handshake(&camera, &viewer, gCamera.fingerprint, gViewer.fingerprint, 0, &rc, &rv);
		gFragmentHello = 0;
		CHECKF(rc == IVXS_DTLS_CONNECTED && rv == IVXS_DTLS_CONNECTED, "fragments in %s: %d / %d", mode == 1 ? "one datagram" : "two datagrams", rc, rv);
		ivxs_dtls_free(&camera);
		ivxs_dtls_free(&viewer);
	}
	return;
done:
	gFragmentHello = 0;
	ivxs_dtls_free(&camera);
	ivxs_dtls_free(&viewer);
}

/* Nothing that comes before the ClientHello ends the handshake: what mbedTLS's ClientHello parser
 * cannot take is dropped before it, whole or in fragments (Chromium 156 sends its ClientHello in two). */
static void test_junk_before_hello(void)
{
	ivxs_dtls camera, viewer;
	int rc, rv, mode;
	size_t i;
	for (mode = 0; mode <= 2; mode++) {
		for (i = 0; i < sizeof(kJunk) / sizeof(kJunk[0]); i++) {
			gFragmentHello = mode;
			gJunk = (int)i + 1;
			handshake(&camera, &viewer, gCamera.fingerprint, gViewer.fingerprint, 0, &rc, &rv);
			gFragmentHello = gJunk = 0;
			CHECKF(rc == IVXS_DTLS_CONNECTED && rv == IVXS_DTLS_CONNECTED, "%s before a ClientHello %s: %d (mbedTLS -0x%04x) / %d", kJunk[i].what,
					mode ? (mode == 1 ? "in two records" : "in two datagrams") : "whole", rc, (unsigned)-ivxs_dtls_tls_error(&camera), rv);
			ivxs_dtls_free(&camera);
			ivxs_dtls_free(&viewer);
		}
	}
	return;
done:
	gFragmentHello = gJunk = 0;
	ivxs_dtls_free(&camera);
	ivxs_dtls_free(&viewer);
}

static void test_wrong_certificate(void)
{
	ivxs_dtls camera, viewer;
	uint8_t other[IVXS_DTLS_FINGERPRINT_BYTES];
	int rc, rv;
	memcpy(other, gViewer.fingerprint, sizeof(other));
	other[5] ^= 1;
	handshake(&camera, &viewer, gCamera.fingerprint, other, 0, &rc, &rv);   /* the camera was told another viewer certificate */
	CHECK_EQ(rc, IVXS_WEBRTC_EAUTH);
	CHECK(rv != IVXS_DTLS_CONNECTED);
	ivxs_dtls_free(&camera);
	ivxs_dtls_free(&viewer);
	memcpy(other, gCamera.fingerprint, sizeof(other));
	other[31] ^= 0x80;
	handshake(&camera, &viewer, other, gViewer.fingerprint, 0, &rc, &rv);   /* the viewer was told another camera certificate */
	CHECK_EQ(rv, IVXS_WEBRTC_EAUTH);
	CHECK(rc != IVXS_DTLS_CONNECTED);
	CHECK_EQ(ivxs_dtls_tick(&viewer, 99999), IVXS_WEBRTC_EAUTH);   /* and it stays dead */
done:
	ivxs_dtls_free(&camera);
	ivxs_dtls_free(&viewer);
}

int main(void)
{
	if (makeIdentity(&gCamera) || makeIdentity(&gViewer)) {
		printf("FAIL identities could not be made\n0 passed, 1 failed\n");
		return 1;
	}
	ivxs_test_run("identity: a P-256 key and a self-signed certificate, made, written as DER, loaded", test_identity);
	ivxs_test_run("handshake: DTLS 1.2 with use_srtp, both connected, SRTP keys matching each way and working", test_handshake);
	ivxs_test_run("application data both ways once connected: every record of a datagram delivered, one the largest a record may carry within the MTU", test_application_data);
	ivxs_test_run("settled (the peer finished): mbedTLS's context freed, the core's own AES-GCM records read and written by the viewer's mbedTLS, replays and forgeries dropped, SRTP keys unchanged, close_notify read", test_settled);
	ivxs_test_run("application data before the handshake: refused (ECLOSED)", test_not_connected);
	ivxs_test_run("a lost ClientHello: retransmitted on the timer, the handshake completes", test_lost_flight);
	ivxs_test_run("a ClientHello in fragments (OpenSSL's 256-byte records), in one datagram or two: put back together", test_fragmented_hello);
	ivxs_test_run("datagrams before the ClientHello that mbedTLS's hello parser cannot take (short, cut short, an alert, another epoch) are dropped: the handshake completes", test_junk_before_hello);
	ivxs_test_run("a certificate other than the SDP's fingerprint: refused (EAUTH) by the side that was told", test_wrong_certificate);
	ivxs_dtls_identity_free(&gCamera);
	ivxs_dtls_identity_free(&gViewer);
	return ivxs_test_summary();
}
