/*
 * libFuzzer harness over every packet the P2P core (native/p2p) parses and
 * its handshake, both roles; built by native/fuzz/run.mjs:
 *   clang -fsanitize=fuzzer,address,undefined -Inative/p2p -Inative/ring ... -lmbedcrypto
 *
 * A camera and a viewer endpoint are set up once with a real handshake;
 * before each input their sessions are reset (windows, congestion control,
 * channels; the keys stay), so an input replays the same way. Bytes 1-4
 * (big-endian) are where the clock starts for that input: the core must hold
 * from any base (the caller's clock has any origin), and the fuzzer explores
 * them (the seeds start just before 2^31, before the wrap, and at 0). Byte 0
 * picks the mode:
 *   0  records sealed with the viewer's keys, into the camera (which is
 *      sending media from a ring): every frame parser and what it drives
 *      (ACK ranges against real packets in flight, voice frames, commands,
 *      close) — the fuzzer cannot forge the AEAD (the sessions' version 6, AES-128-CTR +
 *      HMAC-SHA-256; mode 2's hellos may offer 5 alone), so it writes plaintext;
 *   1  the same towards the viewer (media reassembly, replies);
 *   2  raw datagrams into the camera (hello with a valid ticket and fuzzed
 *      bytes over it, its cookie round answered when the camera asks, data,
 *      reply, reject, retry, garbage): the server handshake;
 *   3  raw datagrams into a viewer that has just sent its hello, the real
 *      reply among them with fuzzed bytes over it: the client handshake;
 *   4  the ticket verifier on raw bytes.
 *   (4: from byte 5; the others: records from byte 5)
 * A record: flags u8, length u16 (big-endian), bytes. Flags bit 0: tick both
 * endpoints first, (flags >> 1 & 7) * 9 ms later; bit 4: repeat an earlier
 * packet number (flags >> 5 back) instead of the next one.
 *
 * Checked after each record (a failed check aborts): the packets in flight
 * add up to the in-flight counters, frames in flight stay within their
 * limit, command ranges stay sorted inside the window, delivered frames and
 * commands stay within their sizes. At the end, liveness: with nothing
 * arriving for longer than the largest RTO, no packet is still in flight
 * older than that (issue 27: from a clock past 2^31 ms a first ACK of lost
 * packets stopped every timeout for good).
 */
#include "p2p_internal.h"
#include "p2p_ring_source.h"
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ivxs_p2p *gSrv, *gCli, *gCli2;
static ivxs_p2p_session *gSS, *gCS, *gCS2;
static uint32_t gNow;
static uint64_t gRng;
static ivxs_ring *gRing;
static ivxs_p2p_ring_source gRs;
static ivxs_p2p_frame_source gSrc;
static uint8_t gTicket[IVXS_P2P_TICKET_BYTES], gPsk[IVXS_P2P_PSK_BYTES];
static const uint8_t kSecret[] = "fuzzing device secret";
static const uint8_t kDevice[IVXS_P2P_ID_BYTES] = "CAM-FUZZ";
static ivxs_p2p_addr gSrvAddr = { 3, "srv" }, gCliAddr = { 3, "cli" }, gCli2Addr = { 4, "cli2" };

/* Datagrams in flight during setup (the real handshake). */
#define QUEUE 16
static struct {
	int to;
	uint16_t size;
	uint8_t data[IVXS_P2P_MTU];
} gQueue[QUEUE];
static int gQueued, gWire;
static uint8_t gReply[IVXS_P2P_MTU];
static uint16_t gReplySize;
static uint8_t gRetry[P2P_RETRY_BYTES];   /* the camera's last RETRY (a cookie round) */
static int gRetried;
static ivxs_p2p_session gHello2;   /* the second viewer just after its hello (mode 3 starts there) */

static int fuzzRandom(void *ctx, uint8_t *out, size_t n)
{
	size_t i;
	(void)ctx;
	for (i = 0; i < n; i++) {
		gRng ^= gRng << 13;
		gRng ^= gRng >> 7;
		gRng ^= gRng << 17;
		out[i] = (uint8_t)(gRng >> 24);
	}
	return 0;
}

static void cbSend(void *ctx, const ivxs_p2p_addr *to, const uint8_t *data, size_t size)
{
	REQUIRE(size <= IVXS_P2P_MTU);
	if (ctx == (void *)gSrv && to->len == 4 && size == P2P_REPLY_BYTES) {
		memcpy(gReply, data, size);
		gReplySize = (uint16_t)size;
	}
	if (ctx == (void *)gSrv && size == P2P_RETRY_BYTES) {
		memcpy(gRetry, data, size);
		gRetried = 1;
	}
	if (!gWire || gQueued == QUEUE)
		return;
	gQueue[gQueued].to = ctx == (void *)gSrv ? 1 : 0;
	gQueue[gQueued].size = (uint16_t)size;
	memcpy(gQueue[gQueued].data, data, size);
	gQueued++;
}

static void cbEvent(void *ctx, ivxs_p2p_session *s, ivxs_p2p_event ev, int arg)
{
	(void)arg;
	if (ev == IVXS_P2P_EV_CONNECTED) {
		if (ctx == (void *)gSrv && !gSS)
			gSS = s;
		else if (ctx == (void *)gCli)
			gCS = s;
	}
	if (ev == IVXS_P2P_EV_CLOSED) {
		if (s == gSS)
			gSS = NULL;
		if (s == gCS)
			gCS = NULL;
		if (s == gCS2)
			gCS2 = NULL;
	}
}

static void cbFrame(void *ctx, ivxs_p2p_session *s, int channel, const uint8_t *data, uint32_t size, uint32_t ts, int key,
		uint32_t lost)
{
	(void)ctx;
	(void)ts;
	(void)key;
	(void)lost;
	REQUIRE(channel == IVXS_P2P_CH_MEDIA || channel == IVXS_P2P_CH_VOICE);
	REQUIRE(size > 0 && size <= s->frx.slot_bytes);
	REQUIRE(s->frx.arena && data >= s->frx.arena && data + size <= s->frx.arena + (size_t)s->frx.n * s->frx.slot_bytes);
}

static void cbCommand(void *ctx, ivxs_p2p_session *s, int kind, uint16_t id, const uint8_t *data, uint32_t size)
{
	(void)ctx;
	(void)data;
	REQUIRE(IVXS_P2P_KIND_VALID(kind));
	REQUIRE(size <= IVXS_P2P_MAX_COMMAND);
	/* every message reaches the app with the session's rights, which stay those of its ticket */
	REQUIRE((s->rights & ~(uint32_t)(IVXS_P2P_RIGHT_LIVE | IVXS_P2P_RIGHT_PLAYBACK | IVXS_P2P_RIGHT_TALK | IVXS_P2P_RIGHT_COMMAND)) == 0);
	/* answering from the callback is part of what is exercised */
	if ((kind == IVXS_P2P_REQUEST || kind == IVXS_P2P_CONTROL) && size < 64)
		ivxs_p2p_command(s, kind == IVXS_P2P_REQUEST ? IVXS_P2P_REPLY : IVXS_P2P_CONTROL_REPLY, id, data, size, gNow);
}

static ivxs_p2p *endpoint(int role)
{
	ivxs_p2p_config c;
	ivxs_p2p *p = NULL;
	memset(&c, 0, sizeof(c));
	c.role = role;
	c.device_secret = kSecret;
	c.device_secret_len = sizeof(kSecret) - 1;
	memcpy(c.device_id, kDevice, IVXS_P2P_ID_BYTES);
	c.max_sessions = 3;   /* the open session and two free: the second viewer's hello needs no cookie */
	c.version = IVXS_P2P_VERSION_AES;   /* the camera takes 6 when offered (the viewers offer it; a fuzzed hello may not) */
	c.rx_frame_bytes = role == IVXS_P2P_CLIENT ? 64 * 1024 : 0;
	c.low = 100;
	c.warn = 2000;
	c.high = 8000;
	c.cb.send = cbSend;
	c.cb.event = cbEvent;
	c.cb.frame = cbFrame;
	c.cb.command = cbCommand;
	c.cb.random = fuzzRandom;
	REQUIRE(ivxs_p2p_create(&p, &c) == 0);
	/* the callbacks tell the endpoints apart by their context */
	p->cfg.cb.ctx = p;
	return p;
}

static void pump(void)
{
	int i, n;
	for (i = 0; i < 8 && gQueued; i++) {
		n = gQueued;
		gQueued = 0;
		{
			int k;
			static struct { int to; uint16_t size; uint8_t data[IVXS_P2P_MTU]; } copy[QUEUE];
			memcpy(copy, gQueue, sizeof(copy[0]) * (size_t)n);
			for (k = 0; k < n; k++)
				ivxs_p2p_input(copy[k].to ? gCli : gSrv, copy[k].to ? &gSrvAddr : &gCliAddr, copy[k].data, copy[k].size, gNow);
		}
	}
}

static void establish(void)
{
	ivxs_p2p_ticket t;
	ivxs_ring_config rc;
	uint8_t frame[6000];
	int k;
	if (gSrv)
		ivxs_p2p_attach_frames(gSS, NULL);
	ivxs_p2p_ring_source_close(&gRs);
	ivxs_p2p_destroy(&gSrv);
	ivxs_p2p_destroy(&gCli);
	ivxs_p2p_destroy(&gCli2);
	gSS = gCS = gCS2 = NULL;
	gRng = 0x2545f4914f6cdd1dull;
	gNow = 0xfffff000u;
	gSrv = endpoint(IVXS_P2P_SERVER);
	gCli = endpoint(IVXS_P2P_CLIENT);
	gCli2 = endpoint(IVXS_P2P_CLIENT);
	ivxs_p2p_set_unix_time(gSrv, 1800000000u);
	memset(&t, 0, sizeof(t));
	memcpy(t.device_id, kDevice, IVXS_P2P_ID_BYTES);
	t.rights = IVXS_P2P_RIGHT_LIVE | IVXS_P2P_RIGHT_TALK | IVXS_P2P_RIGHT_COMMAND;
	t.expiry_s = 1900000000u;
	REQUIRE(ivxs_p2p_ticket_mint(kSecret, sizeof(kSecret) - 1, &t, gTicket, gPsk) == 0);
	gWire = 1;
	gQueued = 0;
	REQUIRE(ivxs_p2p_connect(gCli, &gSrvAddr, gTicket, sizeof(gTicket), gPsk, gNow, &gCS) == 0);
	pump();
	REQUIRE(gSS && gCS && gSS->state == P2P_S_OPEN && gCS->state == P2P_S_OPEN);
	/* a second viewer's hello and the camera's real reply to it, kept for mode 3 */
	gQueued = 0;
	gReplySize = 0;
	REQUIRE(ivxs_p2p_connect(gCli2, &gSrvAddr, gTicket, sizeof(gTicket), gPsk, gNow, &gCS2) == 0);
	REQUIRE(gQueued == 1);
	ivxs_p2p_input(gSrv, &gCli2Addr, gQueue[0].data, gQueue[0].size, gNow);
	REQUIRE(gReplySize == P2P_REPLY_BYTES);
	gHello2 = *gCS2;
	gWire = 0;
	gQueued = 0;
	if (!gRing) {
		memset(&rc, 0, sizeof(rc));
		rc.arena_bytes = 64 * 1024;
		REQUIRE(ivxs_ring_create(&gRing, &rc) == 0);
		for (k = 0; k < 12; k++) {
			memset(frame, k, sizeof(frame));
			REQUIRE(ivxs_ring_push(gRing, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, k % 6 == 0, 1000 + 33 * (uint64_t)k, frame,
					k % 6 == 0 ? 6000 : 700) == 0);
		}
	}
}

/* A session closed by an earlier input comes back without a handshake (the
 * X25519 of a real one would be most of the harness's time): fixed keys,
 * the same connection ids, everything else as new. */
static ivxs_p2p_session *revive(ivxs_p2p *p, ivxs_p2p_session *s, int server)
{
	static const uint8_t c2s[P2P_KEYS_AES] = "c2s key, c2s iv, c2s MAC key ..........";
	static const uint8_t s2c[P2P_KEYS_AES] = "s2c key, s2c iv, s2c MAC key ..........";
	static const uint8_t cidS[P2P_CID] = "server!", cidC[P2P_CID] = "client!";
	if (!s)
		s = &p->sessions[0];
	if (s->state == P2P_S_FREE)
		p->st.sessions_open++;
	else {
		p2p_aead_free(s->tx_aead);
		p2p_aead_free(s->rx_aead);
	}
	p2p_chan_release(s);
	s->state = P2P_S_OPEN;
	s->close_pending = 0;
	s->rights = IVXS_P2P_RIGHT_LIVE | IVXS_P2P_RIGHT_TALK | IVXS_P2P_RIGHT_COMMAND;
	memcpy(s->local_cid, server ? cidS : cidC, P2P_CID);
	memcpy(s->peer_cid, server ? cidC : cidS, P2P_CID);
	s->addr = server ? gCliAddr : gSrvAddr;
	REQUIRE(p2p_aead_init(s->tx_aead, IVXS_P2P_VERSION_AES, server ? s2c : c2s) == 0);
	REQUIRE(p2p_aead_init(s->rx_aead, IVXS_P2P_VERSION_AES, server ? c2s : s2c) == 0);
	s->version = IVXS_P2P_VERSION_AES;
	return s;
}

/* Per-input state back to "just connected" (the keys stay). */
static void reset(ivxs_p2p_session *s, uint32_t first_pn)
{
	p2p_chan_release(s);
	p2p_rel_init(&s->rel, gNow);
	p2p_cc_init(&s->cc, gNow);
	p2p_chan_init(s, gNow);
	s->rel.next_pn = s->rel.lo_pn = first_pn;
	s->last_rx_ms = s->last_ping_ms = gNow;
	s->probing = s->challenged = 0;   /* (a probe of an earlier input, at another clock base) */
	s->close_pending = 0;
}

static void check(const ivxs_p2p_session *s)
{
	uint32_t pn, bytes = 0, packets = 0, i;
	if (!s || s->state != P2P_S_OPEN)
		return;
	for (pn = s->rel.lo_pn; pn != s->rel.next_pn; pn++) {
		const p2p_sent *p = &s->rel.sent[pn % s->rel.nsent];
		if (p->state == P2P_SENT_FLIGHT && p->pn == pn) {
			bytes += p->cc.bytes;
			packets++;
		}
	}
	REQUIRE(bytes == s->rel.in_flight_bytes && packets == s->rel.in_flight_packets);
	REQUIRE(s->ftx.next - s->ftx.base <= s->ftx.limit && s->ftx.limit <= s->ftx.n);
	REQUIRE(s->cmd.nranges <= P2P_CMD_RANGES && s->cmd.d_count <= P2P_CMD_DESCS);
	for (i = 0; i < s->cmd.nranges; i++) {
		REQUIRE(s->cmd.rx && s->cmd.book->rlo[i] < s->cmd.book->rhi[i] && s->cmd.book->rhi[i] <= s->cmd.rx_cap);
		REQUIRE(i == 0 || s->cmd.book->rlo[i] > s->cmd.book->rhi[i - 1]);
	}
	REQUIRE(s->cmd.tx_head - s->cmd.tx_base <= (s->cmd.tx ? s->cmd.tx_cap : 0));
	REQUIRE(!s->cmd.book == (!s->cmd.tx && !s->cmd.rx));   /* the book lives with the buffers */
	/* the camera's bound: one long command buffer per viewer, and a short one */
	REQUIRE(s->p2p->cfg.role != IVXS_P2P_SERVER || p2p_chan_cmd_bytes(s) <= P2P_CMD_WINDOW + P2P_CMD_SMALL);
}

static void tickBoth(uint32_t ms)
{
	gNow += ms;
	ivxs_p2p_tick(gSrv, gNow);
	ivxs_p2p_tick(gCli, gNow);
}

/* Nothing arrives for longer than the largest RTO, the endpoints ticked when they ask to be (as a
 * driver does): every packet still in flight was sent within the last RTO (the others timed out
 * on time). */
static void checkLive(const ivxs_p2p_session *s)
{
	uint32_t pn;
	if (!s || s->state != P2P_S_OPEN)
		return;
	for (pn = s->rel.lo_pn; pn != s->rel.next_pn; pn++) {
		const p2p_sent *p = &s->rel.sent[pn % s->rel.nsent];
		REQUIRE(p->state != P2P_SENT_FLIGHT || p->pn != pn || P2P_SINCE(gNow, p->cc.sent_ms) <= P2P_MAX_RTO);
	}
}

static void idle(void)
{
	uint32_t t = 0, a, b;
	gWire = 0;
	while (t < P2P_MAX_RTO + 1000) {
		a = ivxs_p2p_tick(gSrv, gNow);
		b = ivxs_p2p_tick(gCli, gNow);
		a = a < b ? a : b;
		a = a < 1 ? 1 : a > 1000 ? 1000 : a;   /* (the core asks for 1 000 ms at most) */
		gNow += a;
		t += a;
	}
	ivxs_p2p_tick(gSrv, gNow);
	ivxs_p2p_tick(gCli, gNow);
	checkLive(gSS);
	checkLive(gCS);
}

/* Seals plaintext as the peer of `to` would and hands it in. */
static void sealed(ivxs_p2p_session *from, ivxs_p2p *to, const ivxs_p2p_addr *addr, const uint8_t *plain, size_t len,
		uint32_t pn)
{
	uint8_t pkt[IVXS_P2P_MTU + 64];
	if (len > P2P_PLAIN_MAX)
		len = P2P_PLAIN_MAX;
	pkt[0] = (uint8_t)((from->version << 4) | P2P_PKT_DATA);
	memcpy(pkt + 1, from->peer_cid, P2P_CID);
	ivxs_put32(pkt + 9, pn);
	REQUIRE(p2p_aead_seal(from->tx_aead, pn, pkt, P2P_DATA_HDR, plain, len, NULL, 0, pkt + P2P_DATA_HDR,
			pkt + P2P_DATA_HDR + len) == 0);
	ivxs_p2p_input(to, addr, pkt, P2P_DATA_HDR + len + P2P_TAG, gNow);
}

static void helloInto(const uint8_t *overlay, size_t n)
{
	uint8_t hello[IVXS_P2P_MTU];
	size_t i;
	memset(hello, 0, sizeof(hello));
	hello[0] = (IVXS_P2P_VERSION << 4) | P2P_PKT_HELLO;
	/* a real viewer key (X25519 of a fixed scalar) so that most hellos get through */
	memcpy(hello + 9, gCS2 ? gCS2->pub : gTicket, P2P_PUB);
	ivxs_put16(hello + 41, IVXS_P2P_TICKET_BYTES);
	memcpy(hello + P2P_HELLO_FIXED, gTicket, IVXS_P2P_TICKET_BYTES);
	hello[P2P_HELLO_RXF] = 8;
	ivxs_put32(hello + P2P_HELLO_RXB, 64 * 1024);
	for (i = 0; i < n; i++)
		hello[(i * 7) % (P2P_HELLO_OFFER + 1)] ^= overlay[i];   /* the offer too: version 5 or 6 */
	gRetried = 0;
	ivxs_p2p_input(gSrv, &gCliAddr, hello, sizeof(hello), gNow);
	if (gRetried) {
		/* a cookie round: echoed as a viewer would, so the ticket paths stay reachable */
		hello[P2P_HELLO_BODY] = P2P_COOKIE;
		memcpy(hello + P2P_HELLO_BODY + 1, gRetry + 1 + P2P_CID, P2P_COOKIE);
		ivxs_p2p_input(gSrv, &gCliAddr, hello, sizeof(hello), gNow);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos;
	uint32_t pn = 1, mode, base;
	uint32_t i;
	if (size < 5)
		return 0;
	pos = 5;
	base = ivxs_get32(data + 1);
	/* sessions other than the one under test (hellos of earlier inputs) go */
	for (i = 0; gSrv && i < gSrv->nsessions; i++)
		if (&gSrv->sessions[i] != gSS && gSrv->sessions[i].state != P2P_S_FREE)
			ivxs_p2p_close(&gSrv->sessions[i], gNow);
	if (!gSrv)
		establish();   /* once: a real handshake */
	if (!gSS || gSS->state != P2P_S_OPEN || !gCS || gCS->state != P2P_S_OPEN) {
		gSS = revive(gSrv, gSS, 1);
		gCS = revive(gCli, gCS, 0);
	}
	gNow = base;
	reset(gSS, 1);
	reset(gCS, 1);
	gSS->ftx.limit = 8;
	ivxs_p2p_ring_source_close(&gRs);
	REQUIRE(ivxs_p2p_ring_source_init(&gRs, gRing, -(int64_t)1000 + (int64_t)gNow, &gSrc) == 0);
	REQUIRE(ivxs_p2p_attach_frames(gSS, &gSrc) == 0);
	mode = data[0] % 5;
	if (mode == 0)
		tickBoth(1);   /* the camera sends media: packets in flight to acknowledge */
	if (mode == 3) {
		/* back to "hello sent" without a new key pair (the X25519 would dominate) */
		ivxs_p2p_session *c2 = &gCli2->sessions[0];
		if (c2->state == P2P_S_FREE)
			gCli2->st.sessions_open++;
		else if (c2->state == P2P_S_OPEN) {
			p2p_aead_free(c2->tx_aead);
			p2p_aead_free(c2->rx_aead);
		}
		p2p_chan_release(c2);
		*c2 = gHello2;
		p2p_rel_init(&c2->rel, gNow);
		p2p_chan_init(c2, gNow);
		c2->start_ms = c2->hello_ms = gNow;
		gCS2 = c2;
	}
	if (mode == 4) {
		ivxs_p2p_ticket t;
		uint8_t psk[IVXS_P2P_PSK_BYTES];
		int status = ivxs_p2p_ticket_verify(kSecret, sizeof(kSecret) - 1, kDevice, 1800000000u, data + 5, size - 5, &t, psk);
		REQUIRE(status == 0 || (status <= IVXS_P2P_ETICKET_FORGED && status >= IVXS_P2P_ETICKET_FORMAT));
		return 0;
	}
	while (pos + 3 <= size) {
		uint8_t flags = data[pos];
		size_t len = ivxs_get16(data + pos + 1), k;
		const uint8_t *rec = data + pos + 3;
		uint32_t use_pn;
		pos += 3;
		if (len > size - pos)
			len = size - pos;
		pos += len;
		if (flags & 1)
			tickBoth(((flags >> 1) & 7) * 9u);
		use_pn = (flags & 16) && pn > (uint32_t)(flags >> 5) ? pn - (flags >> 5) : pn++;
		if (mode == 0 && gCS && gSS)
			sealed(gCS, gSrv, &gCliAddr, rec, len, use_pn);
		else if (mode == 1 && gCS && gSS)
			sealed(gSS, gCli, &gSrvAddr, rec, len, use_pn);
		else if (mode == 2) {
			if (flags & 2)
				helloInto(rec, len);
			else
				ivxs_p2p_input(gSrv, (flags & 4) ? &gCli2Addr : &gCliAddr, rec, len, gNow);
		}
		else if (mode == 3) {
			if ((flags & 2) && gReplySize) {
				uint8_t reply[IVXS_P2P_MTU];
				memcpy(reply, gReply, gReplySize);
				for (k = 0; k < len && (flags & 4); k++)
					reply[k % gReplySize] ^= rec[k];
				ivxs_p2p_input(gCli2, &gSrvAddr, reply, gReplySize, gNow);
			}
			else
				ivxs_p2p_input(gCli2, &gSrvAddr, rec, len, gNow);
		}
		check(gSS);
		check(gCS);
		check(gCS2);
	}
	tickBoth(700);
	check(gSS);
	check(gCS);
	idle();
	return 0;
}
