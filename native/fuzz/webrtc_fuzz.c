/*
 * libFuzzer harness over what the WebRTC core (native/webrtc) takes from a viewer's network
 * and from the ring; built by native/fuzz/run.mjs:
 *   clang -fsanitize=fuzzer,address,undefined -Inative/webrtc -Inative/annexb -Inative/common ... -lmbedcrypto
 * Byte 0 picks the mode, the rest is its input:
 *   0  raw bytes into SRTP unprotect, then SRTCP unprotect (a forged packet: refused, never read
 *      past its end, the context unchanged — checked by a real packet going through after);
 *   1  an RTP packet made of the bytes (version fixed to 2), protected, then byte (b1 % len) of
 *      it changed by b2: refused unless b2 is 0, and then back exactly as it was;
 *   2  the same for SRTCP;
 *   3  the bytes as an access unit for the RTP packetizer (b1: codec, b2: MTU 64 + b2 * 4):
 *      every packet within the MTU, sequence numbers in a row, the marker on the last one only;
 *   4  the bytes (from b1) as a compound RTCP packet: every packet inside the bytes, every report
 *      block and NACK'd sequence number read within it, the NACK count within 17 per entry; a TWCC
 *      feedback (RTPFB FMT 15) begin accepts read to its end: exactly `count` packets, their
 *      sequence numbers consecutive from base (mod 2^16), a packet not received keeping the last
 *      arrival time, then 0 — and given to the sender's congestion control (twcc.h): one session
 *      for the packet's feedbacks (200 packets sent first, 10 more before each feedback after, the
 *      clock on 1 s a feedback): its bytes in flight stay those of the packets it holds, its
 *      clock offset within half the viewer's clock span (however its reference times hop);
 *   5  b1 < 0x80: the bytes (from b1) as datagrams (each after a 16-bit length) into a fresh DTLS
 *      server session with the time moving on between them: never connected (no peer can finish
 *      a handshake without the keys), a failure stays a failure; b1 ≥ 0x80: the bytes after it as
 *      datagrams into a settled server session (its own AES-GCM records: ivxs_dtls_settle), made
 *      once by a handshake with a client of the core: it stays connected (nothing authenticates);
 *   6  the bytes (from b1) as packets into an SCTP association the harness first establishes
 *      (a scripted INIT and COOKIE-ECHO; b1 picks the peer's a_rwnd). Each packet is a flag byte,
 *      a 16-bit length and its bytes. Flag bits 0-1: 0 the bytes as they are, 1 the same with
 *      their checksum fixed, 2 the bytes as chunks behind a common header with our tag and a
 *      valid checksum, their TSNs made relative (a DATA chunk's counted from the one we expect
 *      next, a SACK's cumulative ack from our last one acknowledged, a RE-CONFIG's first
 *      parameter's numbers — a reset request's from the peer's next request and its last TSN
 *      from our cumulative one, a response's from our request in flight: the fuzzer need not
 *      guess them), 3 chunks as they are behind tag 0 (an INIT with a new tag restarts); bit 2: then
 *      a COOKIE-ECHO of our last INIT-ACK's cookie; bit 3: then a message of a few KB sent; bits
 *      4-6: the time moved on (× 400 ms) and ivxs_sctp_tick; bit 7: every waiting message taken
 *      (else one). Checked: every packet sent within IVXS_SCTP_MAX_PACKET with a valid CRC32c,
 *      the peer's tag and our ports; the inbox, the message being put together and the send
 *      queue within their bounds and consistent (chunks contiguous in `send`, TSNs consecutive up
 *      to nextTsn); messages taken within IVXS_SCTP_MAX_RECEIVE (a stream reset's record empty);
 *      outstanding data always under a T3 timer, a stream reset of ours in flight under its own,
 *      asked only of a peer that takes them and only for our streams; once closed, ECLOSED and
 *      nothing sent.
 * A fresh pair of contexts per input, so an input replays the same way.
 */
#include "srtp.h"
#include "rtp_video.h"
#include "rtcp.h"
#include "dtls.h"
#include "sctp.h"
#include "twcc.h"
#include "fuzz.h"
#include "ivxs_test_random.h"
#include "ivxs_bytes.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t kKey[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
static const uint8_t kSalt[14] = { 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34 };

/* A known good packet through rx: the context still works after whatever came before. */
static void stillWorks(ivxs_srtp *tx, ivxs_srtp *rx)
{
	uint8_t p[64] = { 0x80, 96, 0x12, 0x34, 0, 0, 0, 9, 0xfe, 0xed, 0xfa, 0xce };
	size_t out, len;
	REQUIRE(ivxs_srtp_protect(tx, p, 40, sizeof(p), &out) == 0);
	REQUIRE(ivxs_srtp_unprotect(rx, p, out, &len) == 0 && len == 40);
}

/* A TWCC feedback read to its end (ivxs_rtcp_twcc_begin checked all of it first). */
static void twccRead(const ivxs_rtcp_packet *p)
{
	ivxs_rtcp_twcc t;
	uint16_t seq;
	int64_t arrival, last;
	unsigned n = 0;
	int status, received;
	if (ivxs_rtcp_twcc_begin(p, &t))
		return;
	last = t.referenceUs;
	while ((status = ivxs_rtcp_twcc_next(&t, &seq, &received, &arrival)) == 1) {
		REQUIRE(n < t.count && seq == (uint16_t)(t.base + n));
		REQUIRE(received || arrival == last);
		last = arrival;
		n++;
	}
	REQUIRE(status == 0 && n == t.count);
}

/* The same feedback given to the sender's congestion control (twcc.h): the compound packet's
 * `index`th, at `now` (the first after 200 packets went out, 0-199, the first 72 forgotten; each
 * later one after 10 more): what it holds in flight stays the sum of the packets it still holds,
 * its clock offset stays within half the viewer's clock span, and it gives a rate. */
#define kSpanUs ((int64_t)IVXS_TWCC_SPAN_MS * 1000)
static void twccFeed(const ivxs_rtcp_packet *p, unsigned index, uint32_t now)
{
	static ivxs_twcc t;
	uint8_t packet[1300];
	uint32_t i, held = 0, sent = index ? 10 : 200;
	if (!index)
		ivxs_twcc_init(&t, now);
	for (i = 0; i < sent; i++) {
		memset(packet, 0, 12);
		packet[0] = 0x80;
		REQUIRE(ivxs_twcc_stamp(&t, 5, packet, 1000, sizeof(packet), 1018, i % 10 == 9, now + i) == 1008);
	}
	(void)ivxs_twcc_feedback(&t, p, now + 250);
	REQUIRE(t.ackOffsetUs >= -kSpanUs / 2 && t.ackOffsetUs < kSpanUs / 2);
	for (i = 0; i < IVXS_TWCC_HISTORY; i++)
		if (t.sent[i].inFlight)
			held += t.sent[i].cc.bytes;
	REQUIRE(held == t.inFlight && t.inFlight <= 128 * 1018);
	(void)ivxs_twcc_rate(&t, now + 300);
	(void)ivxs_twcc_window_open(&t, 2400, now + 900);   /* stalled by then: the probe path too */
}

/* Walks a compound RTCP packet, reading everything the camera would. */
static void rtcpWalk(const uint8_t *data, size_t size)
{
	ivxs_rtcp_packet p;
	ivxs_rtcp_sender_info info;
	ivxs_rtcp_report r;
	size_t pos = 0, last = 0;
	unsigned feedbacks = 0;
	int status, fir;
	while ((status = ivxs_rtcp_next(data, size, &pos, &p)) == 1) {
		ivxs_rtcp_nack_cursor c = { 0, 0 };
		ivxs_rtcp_rrtr rrtr;
		uint16_t seq;
		size_t nacks = 0;
		unsigned i;
		int rrtrStatus;
		REQUIRE(pos > last && pos <= size && p.body >= data + last && p.body + p.bodyLen <= data + pos);
		last = pos;
		(void)ivxs_rtcp_sender_info_of(&p, &info);
		for (i = 0; !ivxs_rtcp_report_at(&p, i, &r); i++)
			REQUIRE(i < p.count);
		while (ivxs_rtcp_nack_next(&p, &c, &seq) == 1)
			REQUIRE(++nacks <= 17 * (p.bodyLen / 4));
		(void)ivxs_rtcp_wants_key_frame(&p, p.media, &fir);
		if ((rrtrStatus = ivxs_rtcp_rrtr_of(&p, &rrtr)) == 1) {   /* echoed as the camera would */
			uint8_t dlrr[24];
			REQUIRE(p.type == IVXS_RTCP_XR && rrtr.ssrc == p.sender);
			REQUIRE(ivxs_rtcp_write_dlrr(dlrr, sizeof(dlrr), p.sender, &rrtr, 65536) == 24);
		}
		REQUIRE(rrtrStatus == 0 || rrtrStatus == 1 || rrtrStatus == IVXS_WEBRTC_EPACKET);
		if (p.type == IVXS_RTCP_RTPFB && p.count == 15) {
			twccRead(&p);
			twccFeed(&p, feedbacks, 0xfffff000u + 1000 * feedbacks);
			feedbacks++;
		}
	}
	REQUIRE(status == 0 || status == IVXS_WEBRTC_EPACKET);
}


static int dropDatagram(void *ctx, const uint8_t *datagram, size_t len)
{
	(void)ctx, (void)datagram;
	REQUIRE(len <= IVXS_DTLS_MTU);
	return 0;
}

/* Datagrams into a DTLS server session; the camera's identity is made once. */
static void dtlsFeed(const uint8_t *data, size_t size)
{
	static ivxs_dtls_identity id;
	static int haveId;
	static uint64_t seed = 0x9e3779b97f4a7c15ull;
	static const uint8_t peer[IVXS_DTLS_FINGERPRINT_BYTES] = { 1 };
	static ivxs_dtls_handshake hs;
	ivxs_dtls d;
	size_t pos = 0;
	uint64_t now = 5000;
	int r, failed = 0;
	if (!haveId) {
		uint8_t key[256], cert[1024];
		size_t keyLen = sizeof(key), certLen = sizeof(cert);
		REQUIRE(ivxs_dtls_identity_create(ivxs_test_random, &seed, key, &keyLen, cert, &certLen) == 0);
		REQUIRE(ivxs_dtls_identity_load(&id, key, keyLen, cert, certLen) == 0);
		haveId = 1;
	}
	REQUIRE(ivxs_dtls_setup(&d, &hs, &id, IVXS_DTLS_SERVER, peer, ivxs_test_random, &seed, dropDatagram, NULL, now) == 0);
	while (pos + 2 <= size) {
		size_t n = (size_t)data[pos] << 8 | data[pos + 1];
		pos += 2;
		if (n > size - pos)
			n = size - pos;
		r = ivxs_dtls_input(&d, data + pos, n, now);
		pos += n;
		now += 300;
		REQUIRE(r != IVXS_DTLS_CONNECTED);
		REQUIRE(!failed || r == failed);
		if (r < 0)
			failed = r;
		r = ivxs_dtls_tick(&d, now);
		REQUIRE(!failed || r == failed);
	}
	ivxs_dtls_free(&d);
}

/* One side's datagrams of an in-memory handshake, queued until the other takes them. */
typedef struct { uint8_t data[8][IVXS_DTLS_MTU]; size_t len[8]; int count; } Queue;

static int queueDatagram(void *ctx, const uint8_t *datagram, size_t len)
{
	Queue *q = ctx;
	REQUIRE(len <= IVXS_DTLS_MTU);
	if (q->count == 8)
		return -1;
	memcpy(q->data[q->count], datagram, len);
	q->len[q->count++] = len;
	return 0;
}

static int drain(Queue *q, ivxs_dtls *to, uint64_t now)
{
	int i, r = to->state;
	for (i = 0; i < q->count && r >= 0; i++)
		r = ivxs_dtls_input(to, q->data[i], q->len[i], now);
	q->count = 0;
	return r;
}

static void ignoreData(void *ctx, const uint8_t *plaintext, size_t len)
{
	(void)ctx, (void)plaintext, (void)len;
}

/* Datagrams into a settled server session (ivxs_dtls_settle: the core's own AES-GCM records),
 * made once by a handshake with a client of this core: no input can forge a record, so none
 * moves it — it stays connected (a close_notify or any alert would have to authenticate). */
static void settledFeed(const uint8_t *data, size_t size)
{
	static ivxs_dtls server, client;
	static ivxs_dtls_handshake serverHs, clientHs;
	static uint8_t plaintext[IVXS_WEBRTC_DATAGRAM_BYTES];
	static Queue toServer, toClient;
	static int ready;
	static uint64_t seed = 0x2545f4914f6cdd1dull;
	size_t pos = 0;
	if (!ready) {
		static ivxs_dtls_identity a, b;
		uint8_t key[256], cert[1024];
		size_t keyLen = sizeof(key), certLen = sizeof(cert);
		uint64_t now = 1000;
		int i, rs = 0, rc = 0;
		REQUIRE(ivxs_dtls_identity_create(ivxs_test_random, &seed, key, &keyLen, cert, &certLen) == 0 && ivxs_dtls_identity_load(&a, key, keyLen, cert, certLen) == 0);
		keyLen = sizeof(key), certLen = sizeof(cert);
		REQUIRE(ivxs_dtls_identity_create(ivxs_test_random, &seed, key, &keyLen, cert, &certLen) == 0 && ivxs_dtls_identity_load(&b, key, keyLen, cert, certLen) == 0);
		REQUIRE(ivxs_dtls_setup(&server, &serverHs, &a, IVXS_DTLS_SERVER, b.fingerprint, ivxs_test_random, &seed, queueDatagram, &toClient, now) == 0);
		REQUIRE(ivxs_dtls_setup(&client, &clientHs, &b, IVXS_DTLS_CLIENT, a.fingerprint, ivxs_test_random, &seed, queueDatagram, &toServer, now) == 0);
		for (i = 0; i < 20 && !(rs == IVXS_DTLS_CONNECTED && rc == IVXS_DTLS_CONNECTED); i++, now += 10) {
			rs = drain(&toServer, &server, now);
			rc = drain(&toClient, &client, now);
		}
		REQUIRE(rs == IVXS_DTLS_CONNECTED && rc == IVXS_DTLS_CONNECTED && ivxs_dtls_settle(&server) == 0 && server.settled && !server.hs);
		ivxs_dtls_on_data(&server, ignoreData, NULL, plaintext, sizeof(plaintext));   /* records opened, as a DataChannel's are */
		ready = 1;
	}
	while (pos + 2 <= size) {
		size_t n = (size_t)data[pos] << 8 | data[pos + 1];
		pos += 2;
		if (n > size - pos)
			n = size - pos;
		REQUIRE(ivxs_dtls_input(&server, data + pos, n, 9000) == IVXS_DTLS_CONNECTED);
		pos += n;
	}
	toClient.count = 0;
}

/* ---- mode 6: SCTP ---- */

#define SCTP_PORT 5000
#define SCTP_PEER_TAG 0x11111111u

static ivxs_sctp g_sctp;
static uint8_t g_sctpSend[IVXS_SCTP_SEND_BYTES];   /* lent before a send, taken back when all is acknowledged (as the binding does) */
static uint8_t g_cookie[16];   /* of our last INIT-ACK */
static unsigned g_sctpSent;

static uint32_t sctpChecksumOf(const uint8_t *packet)
{
	return ivxs_get_le32(packet + 8);
}

static void sctpSeal(uint8_t *packet, size_t len)
{
	uint32_t crc;
	memset(packet + 8, 0, 4);
	crc = ivxs_sctp_crc32c(packet, len);
	ivxs_put_le32(packet + 8, crc);
}

/* What the association sends: within the packet size, checksummed, addressed to the peer. */
static int sctpSent(void *ctx, const uint8_t *packet, size_t len)
{
	static uint8_t copy[IVXS_SCTP_MAX_PACKET];
	ivxs_sctp *s = ctx;
	uint32_t crc;
	REQUIRE(len >= 16 && len <= IVXS_SCTP_MAX_PACKET && len % 4 == 0);
	REQUIRE((packet[0] << 8 | packet[1]) == SCTP_PORT && (packet[2] << 8 | packet[3]) == SCTP_PORT);
	REQUIRE(ivxs_get32(packet + 4) == s->remoteTag);
	crc = sctpChecksumOf(packet);
	memcpy(copy, packet, len);
	sctpSeal(copy, len);
	REQUIRE(sctpChecksumOf(copy) == crc);
	if (packet[12] == 2 && len >= 12 + 40)   /* INIT-ACK: its cookie, for a COOKIE-ECHO */
		memcpy(g_cookie, packet + 12 + 24, 16);
	g_sctpSent++;
	return 0;
}


/* Framing 2's relative TSNs made absolute, chunk by chunk as far as their lengths hold. */
static void sctpRelative(const ivxs_sctp *s, uint8_t *chunks, size_t len)
{
	uint32_t acked = (s->chunkCount ? s->chunks[0].tsn : s->nextTsn) - 1;
	size_t pos = 0, n;
	while (pos + 8 <= len) {
		n = (size_t)chunks[pos + 2] << 8 | chunks[pos + 3];
		if (n < 8 || n > len - pos)
			break;
		if (chunks[pos] == 0)
			ivxs_put32(chunks + pos + 4, ivxs_get32(chunks + pos + 4) + s->cumTsn + 1);
		else if (chunks[pos] == 3)
			ivxs_put32(chunks + pos + 4, ivxs_get32(chunks + pos + 4) + acked);
		else if (chunks[pos] == 130 && n >= 20 && chunks[pos + 4] == 0 && chunks[pos + 5] == 13) {
			ivxs_put32(chunks + pos + 8, ivxs_get32(chunks + pos + 8) + s->peerReqSeq);
			ivxs_put32(chunks + pos + 16, ivxs_get32(chunks + pos + 16) + s->cumTsn);
		}
		else if (chunks[pos] == 130 && n >= 16 && chunks[pos + 4] == 0 && chunks[pos + 5] == 16)
			ivxs_put32(chunks + pos + 8, ivxs_get32(chunks + pos + 8) + s->reqSeq);
		pos += (n + 3) & ~(size_t)3;
	}
}

static void sctpInvariants(const ivxs_sctp *s)
{
	size_t bytes = 0;
	unsigned i;
	REQUIRE(s->inboxTaken <= s->inboxLen && s->inboxLen <= IVXS_SCTP_INBOX);
	REQUIRE(s->partLen <= IVXS_SCTP_MAX_RECEIVE);
	REQUIRE(s->chunkCount <= IVXS_SCTP_SEND_CHUNKS && s->sendLen <= IVXS_SCTP_SEND_BYTES);
	REQUIRE(s->send || (!s->chunkCount && !s->sendLen));   /* nothing of ours waits without its buffer */
	for (i = 0; i < s->chunkCount; i++) {
		REQUIRE(s->chunks[i].offset == bytes && s->chunks[i].len > 0);
		REQUIRE(s->chunks[i].tsn == s->nextTsn - s->chunkCount + i);
		REQUIRE(!i || !s->chunks[i].sent || s->chunks[i - 1].sent);   /* sent in order */
		bytes += s->chunks[i].len;
	}
	REQUIRE(bytes == s->sendLen);
	if (s->state == IVXS_SCTP_ESTABLISHED) {
		REQUIRE((s->chunkCount > 0) == (s->t3 != 0));   /* nothing of ours waits without a timer */
		REQUIRE((s->resetting != 0) == (s->reconfigAt != 0));
		REQUIRE((s->chunkCount || s->resetting || s->toReset) == (ivxs_sctp_deadline(s) != 0));
	}
	REQUIRE(!(s->resetting | s->toReset) || s->peerReconfig);
	REQUIRE(((s->resetting | s->toReset) >> s->streamsOut) == 0);
	REQUIRE(s->answers <= 2);
	REQUIRE(s->state != IVXS_SCTP_CLOSED || ivxs_sctp_deadline(s) == 0);
}

static void sctpCookieEcho(ivxs_sctp *s, uint64_t now)
{
	uint8_t p[12 + 20] = { SCTP_PORT >> 8, SCTP_PORT & 0xff, SCTP_PORT >> 8, SCTP_PORT & 0xff };
	ivxs_put32(p + 4, s->localTag);
	p[12] = 10, p[15] = 20;
	memcpy(p + 16, g_cookie, 16);
	sctpSeal(p, sizeof(p));
	(void)ivxs_sctp_input(s, p, sizeof(p), now);
}

static void sctpFeed(const uint8_t *data, size_t size)
{
	static uint8_t packet[4096], message[6000];
	static uint64_t seed;
	ivxs_sctp *s = &g_sctp;
	/* Chrome's INIT: tag, a_rwnd, 1024 streams each way, initial TSN 0xfffffff0; Forward-TSN supported;
	 * RE-CONFIG among its extensions (a peer without it: framing 3's INIT) */
	uint8_t init[12 + 20 + 4 + 8] = { SCTP_PORT >> 8, SCTP_PORT & 0xff, SCTP_PORT >> 8, SCTP_PORT & 0xff, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 0, 0, 32, 0x11, 0x11, 0x11, 0x11, 0, 0, 0, 0, 4, 0, 4, 0, 0xff, 0xff, 0xff, 0xf0, 0xc0, 0, 0, 4, 0x80, 0x08, 0, 5, 0x82, 0, 0, 0 };
	uint64_t now = 5000;
	size_t pos = 1, i;
	if (size < 1)
		return;
	seed = 0x9e3779b97f4a7c15ull;
	g_sctpSent = 0;
	REQUIRE(ivxs_sctp_setup(s, SCTP_PORT, SCTP_PORT, ivxs_test_random, &seed, sctpSent, s, now) == 0);
	init[21] = (uint8_t)(data[0] >> 4), init[22] = (uint8_t)(data[0] << 4);   /* a_rwnd: 0 … 1 MiB in 4 KiB steps */
	sctpSeal(init, sizeof(init));
	REQUIRE(ivxs_sctp_input(s, init, sizeof(init), now) == 0 && g_sctpSent == 1 && s->remoteTag == SCTP_PEER_TAG);
	sctpCookieEcho(s, now);
	REQUIRE(s->state == IVXS_SCTP_ESTABLISHED && g_sctpSent == 2);
	while (pos + 3 <= size) {
		uint8_t flags = data[pos];
		size_t n = (size_t)data[pos + 1] << 8 | data[pos + 2], len;
		unsigned sentBefore = g_sctpSent, refusedBefore = s->refused;
		int wasClosed = s->state == IVXS_SCTP_CLOSED, r;
		pos += 3;
		if (n > size - pos)
			n = size - pos;
		if ((flags & 3) < 2) {
			memcpy(packet, data + pos, n);
			len = n;
			if ((flags & 3) == 1 && len >= 12)
				sctpSeal(packet, len);
		}
		else {
			uint32_t tag = (flags & 3) == 2 ? s->localTag : 0;
			packet[0] = packet[2] = SCTP_PORT >> 8, packet[1] = packet[3] = SCTP_PORT & 0xff;
			ivxs_put32(packet + 4, tag);
			memcpy(packet + 12, data + pos, n);
			len = 12 + n;
			if ((flags & 3) == 2)
				sctpRelative(s, packet + 12, n);
			sctpSeal(packet, len);
		}
		pos += n;
		r = ivxs_sctp_input(s, packet, len, now);
		REQUIRE(r == 0 || r == IVXS_WEBRTC_EPACKET || r == IVXS_WEBRTC_ECLOSED);
		REQUIRE((r == IVXS_WEBRTC_EPACKET) == (s->refused == refusedBefore + 1));
		REQUIRE(r != IVXS_WEBRTC_EPACKET || g_sctpSent == sentBefore);
		REQUIRE((r == IVXS_WEBRTC_ECLOSED) == (s->state == IVXS_SCTP_CLOSED));
		sctpInvariants(s);
		if (flags & 4)
			sctpCookieEcho(s, now);
		if (flags & 8) {
			size_t m = 1 + (n * 131 + flags) % sizeof(message);
			for (i = 0; i < m; i++)
				message[i] = (uint8_t)(i + flags);
			ivxs_sctp_lend(s, g_sctpSend);
			r = ivxs_sctp_send(s, (uint16_t)(flags >> 4), IVXS_SCTP_PPID_BINARY, message, m, now);
			REQUIRE(r == 0 || r == IVXS_WEBRTC_EFULL || r == IVXS_WEBRTC_ECLOSED || r == IVXS_WEBRTC_ESTREAMS);
			REQUIRE((r == IVXS_WEBRTC_ECLOSED) == (s->state != IVXS_SCTP_ESTABLISHED));
		}
		sctpInvariants(s);
		now += (uint64_t)((flags >> 4) & 7) * 400;
		r = ivxs_sctp_tick(s, now);
		REQUIRE(r == 0 || r == IVXS_WEBRTC_ECLOSED);
		REQUIRE((r == IVXS_WEBRTC_ECLOSED) == (s->state == IVXS_SCTP_CLOSED));
		sctpInvariants(s);
		{
			const uint8_t *lent = s->send, *back = ivxs_sctp_reclaim(s);
			/* taken back exactly when nothing of ours waits for an acknowledgement */
			REQUIRE(back == (s->chunkCount || s->sendLen ? NULL : lent));
			REQUIRE(s->send == (back ? NULL : lent));
		}
		do {
			uint16_t stream;
			uint32_t ppid;
			const uint8_t *msg;
			size_t msgLen;
			if (ivxs_sctp_take(s, &stream, &ppid, &msg, &msgLen) != 1)
				break;
			REQUIRE((ppid == IVXS_SCTP_PPID_RESET ? msgLen == 0 : msgLen >= 1) && msgLen <= IVXS_SCTP_MAX_RECEIVE && stream < IVXS_SCTP_STREAMS);
			REQUIRE(msg >= s->inbox && msg + msgLen <= s->inbox + s->inboxLen);
		} while (flags & 0x80);
		sctpInvariants(s);
		if (wasClosed)
			REQUIRE(g_sctpSent == sentBefore && s->state == IVXS_SCTP_CLOSED);
	}
	ivxs_sctp_abort(s);
	REQUIRE(s->state == IVXS_SCTP_CLOSED && ivxs_sctp_deadline(s) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[4096], plain[4096];
	ivxs_srtp tx, rx;
	size_t n, out, len;
	int status;
	if (size < 3 || size - 3 > sizeof(buf) - 64)
		return 0;
	REQUIRE(ivxs_srtp_init(&tx, kKey, kSalt) == 0);
	REQUIRE(ivxs_srtp_init(&rx, kKey, kSalt) == 0);
	n = size - 3;
	memcpy(buf, data + 3, n);
	switch (data[0] % 7) {
	case 0: {
		size_t start, end;
		memcpy(buf, data + 1, size - 1);
		n = size - 1;
		/* the payload span of any bytes (the viewer's microphone, once unprotected): inside them */
		if (ivxs_rtp_payload(buf, n, &start, &end) == 0)
			REQUIRE(start >= IVXS_RTP_HEADER_BYTES && start <= end && end <= n);
		status = ivxs_srtp_unprotect(&rx, buf, n, &len);
		REQUIRE(status != 0 || len + IVXS_SRTP_TAG_BYTES == n);
		memcpy(buf, data + 1, size - 1);
		status = ivxs_srtcp_unprotect(&rx, buf, n, &len);
		REQUIRE(status != 0 || len + IVXS_SRTCP_TRAILER_BYTES == n);
		stillWorks(&tx, &rx);
		{
			/* a context for SRTCP alone, exactly IVXS_SRTP_RTCP_BYTES long: RTP refused, SRTCP as
			 * a whole context takes it, nothing read past its end */
			ivxs_srtp *only = malloc(IVXS_SRTP_RTCP_BYTES), whole;
			REQUIRE(only && ivxs_srtp_init_rtcp(only, kKey, kSalt) == 0 && ivxs_srtp_init(&whole, kKey, kSalt) == 0);
			memcpy(buf, data + 1, size - 1);
			REQUIRE(ivxs_srtp_unprotect(only, buf, n, &len) == IVXS_WEBRTC_ECRYPTO);
			status = ivxs_srtcp_unprotect(&whole, buf, n, &len);
			memcpy(buf, data + 1, size - 1);
			REQUIRE(ivxs_srtcp_unprotect(only, buf, n, &len) == status);
			ivxs_srtp_free(only);
			ivxs_srtp_free(&whole);
			free(only);
		}
		break;
	}
	case 1:
	case 2: {
		int rtcp = data[0] % 7 == 2;
		if (n < 12)
			break;
		buf[0] = (uint8_t)((buf[0] & 0x3f) | 0x80);
		memcpy(plain, buf, n);
		status = rtcp ? ivxs_srtcp_protect(&tx, buf, n, sizeof(buf), &out) : ivxs_srtp_protect(&tx, buf, n, sizeof(buf), &out);
		if (status) {
			REQUIRE(status == IVXS_WEBRTC_EPACKET);   /* an RTP header longer than the bytes (CSRCs, extension) */
			break;
		}
		buf[data[1] % out] ^= data[2];
		status = rtcp ? ivxs_srtcp_unprotect(&rx, buf, out, &len) : ivxs_srtp_unprotect(&rx, buf, out, &len);
		if (data[2]) {
			/* a change in the version bits is EPACKET, in an RTP header's lengths EPACKET, else EAUTH */
			REQUIRE(status == IVXS_WEBRTC_EAUTH || status == IVXS_WEBRTC_EPACKET);
			stillWorks(&tx, &rx);
		}
		else
			REQUIRE(status == 0 && len == n && !memcmp(buf, plain, n));
		break;
	}
	case 4:
		rtcpWalk(data + 1, size - 1);
		break;
	case 5:
		if (data[1] & 0x80)
			settledFeed(data + 2, size - 2);
		else
			dtlsFeed(data + 1, size - 1);
		break;
	case 6:
		sctpFeed(data + 1, size - 1);
		break;
	default: {
		ivxs_rtp_stream stream = { 0xabcdef01, 65530, 96, data[1] % 3 == 2 ? IVXS_RTP_AUDIO : data[1] % 3 ? IVXS_ANNEXB_H265 : IVXS_ANNEXB_H264, 64 + (size_t)data[2] * 4 };
		ivxs_rtp_packetizer it;
		uint8_t packet[1500], again[1500];
		uint16_t seq = stream.seq, first = stream.seq;
		size_t packets = 0;
		long got;
		int marked = 0;
		if (stream.mtu > sizeof(packet))
			stream.mtu = sizeof(packet);
		if (stream.codec == IVXS_RTP_AUDIO && n > stream.mtu - IVXS_RTP_HEADER_BYTES) {   /* a frame past one packet */
			REQUIRE(ivxs_rtp_begin(&it, &stream, buf, n, 90000) == IVXS_WEBRTC_EMTU);
			break;
		}
		REQUIRE(ivxs_rtp_begin(&it, &stream, buf, n, 90000) == 0);
		while ((got = ivxs_rtp_next(&it, packet, sizeof(packet))) > 0) {
			REQUIRE((size_t)got <= stream.mtu && got > IVXS_RTP_HEADER_BYTES);
			REQUIRE(!marked);
			REQUIRE((uint16_t)(packet[2] << 8 | packet[3]) == seq);
			marked = packet[1] >> 7;
			/* every fourth packet made again by its number (a NACK's resend): the same bytes */
			if (!(packets & 3))
				REQUIRE(ivxs_rtp_packet_at(&stream, first, buf, n, 90000, seq, again, sizeof(again)) == got && !memcmp(again, packet, (size_t)got));
			seq++;
			REQUIRE(++packets <= n + 2);   /* no endless loop: at least a byte of the unit per packet */
		}
		REQUIRE(got <= 0 && (got == 0 || got < -300));   /* done, or an Annex-B status */
		REQUIRE(ivxs_rtp_next(&it, packet, sizeof(packet)) == 0);
		if (stream.codec == IVXS_RTP_AUDIO)
			REQUIRE(packets == (n > 0) && !marked);   /* a frame whole in one packet, unmarked */
		else
			REQUIRE(!packets || marked);
		break;
	}
	}
	ivxs_srtp_free(&tx);
	ivxs_srtp_free(&rx);
	return 0;
}
