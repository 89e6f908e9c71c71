/* Tests of the SCTP core (sctp.h) against a peer played by hand: packets built here as a browser
 * sends them (Chrome's INIT with the optional parameters we ignore, COOKIE-ECHO, DATA, SACK,
 * HEARTBEAT, ABORT, SHUTDOWN), what the core sends captured and parsed. Covered: CRC32c on
 * RFC 3720's vectors; the handshake; messages delivered whole, in fragments, in TSN order only,
 * duplicates acknowledged again; a message over IVXS_SCTP_MAX_RECEIVE dropped and counted; a full
 * inbox holding DATA back until taken; our 16 KiB message fragmented, within the peer's window,
 * freed by SACKs; T3 retransmissions doubling until the association fails; packets refused with
 * the state unchanged (checksum, tag, ports, chunk lengths); unknown chunks by their upper bits;
 * a restart by a new INIT; ABORT, SHUTDOWN and the closed state; stream resets (RE-CONFIG) both
 * ways, deferred, resent, refused. Ends with "N passed, N failed". */
#include "sctp.h"

#include <string.h>

#include "ivxs_test.h"
#include "ivxs_test_random.h"

#define PORT 5000
#define PEER_TAG 0x5eed1234u
#define PEER_TSN 0xfffffffeu   /* the peer's first TSN: its third DATA wraps to 0 */
#define MAX_FRAGMENT (IVXS_SCTP_MAX_PACKET - 12 - 16)

static uint64_t g_base;           /* the fake clock's start (ivxs_test_clock_base) */
static uint64_t g_seed;
static ivxs_sctp g_s, g_copy;     /* the association under test; a copy to compare after a refusal */
static uint8_t g_sendBuffer[IVXS_SCTP_SEND_BYTES];   /* lent to g_s after each setup */

/* What the core sent. */
static uint8_t g_sent[64][IVXS_SCTP_MAX_PACKET];
static size_t g_sentLen[64];
static unsigned g_sentCount;
static int g_sentTooBig;

static int capture(void *ctx, const uint8_t *packet, size_t len)
{
	(void)ctx;
	if (len > IVXS_SCTP_MAX_PACKET)
		g_sentTooBig = 1;
	else if (g_sentCount < 64) {
		memcpy(g_sent[g_sentCount], packet, len);
		g_sentLen[g_sentCount] = len;
	}
	g_sentCount++;
	return 0;
}

static void clearSent(void) { g_sentCount = 0; g_sentTooBig = 0; }

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }

/* ---- the peer's packets ---- */

typedef struct {
	uint8_t b[4096];
	size_t len;
} Packet;

static void begin(Packet *p, uint32_t tag)
{
	memset(p, 0, sizeof(*p));
	put16(p->b, PORT);
	put16(p->b + 2, PORT);
	put32(p->b + 4, tag);
	p->len = 12;
}

/* A chunk with `n` bytes of value, padded to 4; its start returned. */
static uint8_t *chunk(Packet *p, uint8_t type, uint8_t flags, const void *value, size_t n)
{
	uint8_t *c = p->b + p->len;
	c[0] = type;
	c[1] = flags;
	put16(c + 2, (uint16_t)(4 + n));
	if (n)
		memcpy(c + 4, value, n);
	p->len += (4 + n + 3) & ~(size_t)3;
	return c;
}

static void dataChunk(Packet *p, uint8_t flags, uint32_t tsn, uint16_t stream, uint16_t ssn, uint32_t ppid, const void *bytes, size_t n)
{
	uint8_t v[4096];
	put32(v, tsn);
	put16(v + 4, stream);
	put16(v + 6, ssn);
	put32(v + 8, ppid);
	memcpy(v + 12, bytes, n);
	chunk(p, 0, flags, v, 12 + n);
}

static void sackChunk(Packet *p, uint32_t cumAck, uint32_t window)
{
	uint8_t v[12];
	put32(v, cumAck);
	put32(v + 4, window);
	put32(v + 8, 0);
	chunk(p, 3, 0, v, sizeof(v));
}

/* The checksum filled in (least significant byte first, as browsers put it). */
static void seal(Packet *p)
{
	uint32_t crc;
	memset(p->b + 8, 0, 4);
	crc = ivxs_sctp_crc32c(p->b, p->len);
	p->b[8] = (uint8_t)crc, p->b[9] = (uint8_t)(crc >> 8), p->b[10] = (uint8_t)(crc >> 16), p->b[11] = (uint8_t)(crc >> 24);
}

static int deliver(Packet *p, uint64_t at)
{
	seal(p);
	return ivxs_sctp_input(&g_s, p->b, p->len, g_base + at);
}

/* ---- what we sent ---- */

/* Packet i of what was sent: its ports, checksum and tag (the peer's) right. */
static int sentValid(unsigned i)
{
	const uint8_t *p = g_sent[i];
	uint8_t copy[IVXS_SCTP_MAX_PACKET];
	uint32_t crc;
	size_t len = g_sentLen[i];
	if (i >= g_sentCount || i >= 64 || len < 16 || get16(p) != PORT || get16(p + 2) != PORT || get32(p + 4) != g_s.remoteTag)
		return 0;
	memcpy(copy, p, len);
	memset(copy + 8, 0, 4);
	crc = ivxs_sctp_crc32c(copy, len);
	return p[8] == (uint8_t)crc && p[9] == (uint8_t)(crc >> 8) && p[10] == (uint8_t)(crc >> 16) && p[11] == (uint8_t)(crc >> 24);
}

/* The nth chunk (0 first) of sent packet i, or NULL; *len its length. */
static const uint8_t *sentChunk(unsigned i, unsigned nth, size_t *len)
{
	size_t pos = 12;
	if (!sentValid(i))
		return NULL;
	while (pos + 4 <= g_sentLen[i]) {
		size_t n = get16(g_sent[i] + pos + 2);
		if (n < 4 || pos + n > g_sentLen[i])
			return NULL;
		if (!nth--) {
			*len = n;
			return g_sent[i] + pos;
		}
		pos += (n + 3) & ~(size_t)3;
	}
	return NULL;
}

/* The type of the nth chunk of packet i, or -1. */
static int sentType(unsigned i, unsigned nth)
{
	size_t len;
	const uint8_t *c = sentChunk(i, nth, &len);
	return c ? c[0] : -1;
}

/* The SACK in packet i (any position): its cumulative TSN ack and a_rwnd. */
static int sackOf(unsigned i, uint32_t *cum, uint32_t *window)
{
	unsigned nth;
	size_t len;
	const uint8_t *c;
	for (nth = 0; (c = sentChunk(i, nth, &len)) != NULL; nth++)
		if (c[0] == 3 && len == 16) {
			*cum = get32(c + 4);
			*window = get32(c + 8);
			return get16(c + 12) == 0 && get16(c + 14) == 0;
		}
	return 0;
}

/* ---- an association ---- */

/* A Chrome-like INIT: its tag, a_rwnd, 1024 streams each way (or `mis` inbound), and the optional
 * parameters the core must skip: ECN capable, Forward-TSN supported, Supported Extensions. */
static void initPacket(Packet *p, uint32_t tag, uint32_t window, uint16_t mis)
{
	uint8_t v[64];
	size_t n = 16;
	begin(p, 0);
	put32(v, tag);
	put32(v + 4, window);
	put16(v + 8, 1024);
	put16(v + 10, mis);
	put32(v + 12, PEER_TSN);
	put16(v + n, 0x8000), put16(v + n + 2, 4), n += 4;                    /* ECN capable */
	put16(v + n, 0xc000), put16(v + n + 2, 4), n += 4;                    /* Forward-TSN supported */
	put16(v + n, 0x8008), put16(v + n + 2, 7), v[n + 4] = 0x82, v[n + 5] = 0xc0, v[n + 6] = 0xc1, v[n + 7] = 0, n += 8;   /* Supported Extensions, padded */
	chunk(p, 1, 0, v, n);
}

static uint8_t g_cookie[16];
static uint32_t g_ourTsn;         /* the initial TSN of our INIT-ACK */

/* The INIT-ACK in the last sent packet read: cookie and TSN kept. 1 when well-formed. */
static int readInitAck(uint32_t peerTag)
{
	size_t len, more;
	const uint8_t *c;
	if (g_sentCount != 1 || get32(g_sent[0] + 4) != peerTag || !(c = sentChunk(0, 0, &len)) || sentChunk(0, 1, &more))
		return 0;
	if (c[0] != 2 || len != 48 || get32(c + 4) == 0 || get32(c + 4) != g_s.localTag)
		return 0;
	if (get16(c + 40) != 0x8008 || get16(c + 42) != 5 || c[44] != 0x82)   /* Supported Extensions: RE-CONFIG */
		return 0;
	if (get16(c + 12) != IVXS_SCTP_STREAMS || get16(c + 14) != IVXS_SCTP_STREAMS || get32(c + 8) == 0)
		return 0;
	if (get16(c + 20) != 7 || get16(c + 22) != 20)   /* the State Cookie parameter */
		return 0;
	memcpy(g_cookie, c + 24, 16);
	g_ourTsn = get32(c + 16);
	return g_ourTsn == g_s.nextTsn;
}

/* A fresh association (its random bytes from `seed`) that has answered the peer's INIT at time 0:
 * 1 when its INIT-ACK is right. */
static int initiated(uint64_t seed, uint32_t window, uint16_t mis)
{
	Packet p;
	g_seed = seed;
	ivxs_sctp_setup(&g_s, PORT, PORT, ivxs_test_random, &g_seed, capture, NULL, g_base);
	ivxs_sctp_lend(&g_s, g_sendBuffer);
	clearSent();
	initPacket(&p, PEER_TAG, window, mis);
	return deliver(&p, 0) == 0 && readInitAck(PEER_TAG) && g_s.state == IVXS_SCTP_LISTENING;
}

/* A COOKIE-ECHO of `n` bytes of `cookie` under our tag. */
static int echoCookie(const uint8_t *cookie, size_t n, uint64_t at)
{
	Packet p;
	begin(&p, g_s.localTag);
	chunk(&p, 10, 0, cookie, n);
	return deliver(&p, at);
}

/* INIT, INIT-ACK, COOKIE-ECHO, COOKIE-ACK at time 0 with the peer's `window` and `mis`. */
static int establish(uint32_t window, uint16_t mis)
{
	if (!initiated(0x1234567887654321ull, window, mis))
		return 0;
	clearSent();
	if (echoCookie(g_cookie, 16, 0) != 0 || g_s.state != IVXS_SCTP_ESTABLISHED)
		return 0;
	if (g_sentCount != 1 || sentType(0, 0) != 11)
		return 0;
	clearSent();
	return 1;
}

/* One DATA chunk in a packet of its own. */
static int sendData(uint8_t flags, uint32_t tsn, uint16_t stream, uint32_t ppid, const void *bytes, size_t n, uint64_t at)
{
	Packet p;
	begin(&p, g_s.localTag);
	dataChunk(&p, flags, tsn, stream, 0, ppid, bytes, n);
	return deliver(&p, at);
}

static int sendSack(uint32_t cumAck, uint32_t window, uint64_t at)
{
	Packet p;
	begin(&p, g_s.localTag);
	sackChunk(&p, cumAck, window);
	return deliver(&p, at);
}

/* The last SACK sent says `cum`: 1 when so (and it was the only packet). */
static int lastSackIs(uint32_t cum)
{
	uint32_t got, window;
	return g_sentCount == 1 && sackOf(0, &got, &window) && got == cum;
}

/* ---- tests ---- */

static void test_crc32c(void)
{
	uint8_t b[32];
	unsigned i;
	memset(b, 0, sizeof(b));
	CHECK_EQ(ivxs_sctp_crc32c(b, 32), 0x8A9136AA);   /* RFC 3720 B.4 */
	memset(b, 0xff, sizeof(b));
	CHECK_EQ(ivxs_sctp_crc32c(b, 32), 0x62A8AB43);
	for (i = 0; i < 32; i++)
		b[i] = (uint8_t)i;
	CHECK_EQ(ivxs_sctp_crc32c(b, 32), 0x46DD794E);
	for (i = 0; i < 32; i++)
		b[i] = (uint8_t)(31 - i);
	CHECK_EQ(ivxs_sctp_crc32c(b, 32), 0x113FDB5C);
	CHECK_EQ(ivxs_sctp_crc32c((const uint8_t *)"123456789", 9), 0xE3069283);   /* the CRC catalogue's check value */
	CHECK_EQ(ivxs_sctp_crc32c(b, 0), 0);
done:;
}

static void test_handshake(void)
{
	Packet p;
	uint8_t wrong[16], first[12 + 48];
	CHECK(establish(0x20000, 1024));
	CHECK_EQ(g_s.remoteTag, PEER_TAG);
	CHECK_EQ(g_s.streamsOut, IVXS_SCTP_STREAMS);
	CHECK_EQ(g_s.cumTsn, PEER_TSN - 1);
	CHECK_EQ(g_s.peerRwnd, 0x20000);
	CHECK_EQ(ivxs_sctp_deadline(&g_s), 0);
	/* a COOKIE-ECHO again (our COOKIE-ACK lost): answered again */
	CHECK_EQ(echoCookie(g_cookie, 16, 10), 0);
	CHECK(g_sentCount == 1 && sentType(0, 0) == 11 && sentType(0, 1) == -1);
	CHECK_EQ(g_s.state, IVXS_SCTP_ESTABLISHED);

	/* a wrong cookie: dropped, nothing answered, still waiting */
	CHECK(initiated(99, 5000, 4));
	CHECK_EQ(g_s.streamsOut, 4);   /* the peer's MIS */
	clearSent();
	memcpy(wrong, g_cookie, 16);
	wrong[15] ^= 1;
	CHECK_EQ(echoCookie(wrong, 16, 1), 0);
	CHECK_EQ(g_sentCount, 0);
	CHECK_EQ(g_s.state, IVXS_SCTP_LISTENING);
	CHECK_EQ(echoCookie(g_cookie, 15, 1), 0);   /* shorter */
	CHECK_EQ(g_s.state, IVXS_SCTP_LISTENING);
	CHECK_EQ(ivxs_sctp_send(&g_s, 0, IVXS_SCTP_PPID_STRING, (const uint8_t *)"x", 1, g_base), IVXS_WEBRTC_ECLOSED);   /* not yet */
	CHECK_EQ(echoCookie(g_cookie, 16, 2), 0);
	CHECK(g_sentCount == 1 && sentType(0, 0) == 11);
	CHECK_EQ(ivxs_sctp_send(&g_s, 4, IVXS_SCTP_PPID_STRING, (const uint8_t *)"x", 1, g_base), IVXS_WEBRTC_ESTREAMS);
	CHECK_EQ(ivxs_sctp_send(&g_s, 3, IVXS_SCTP_PPID_STRING, (const uint8_t *)"x", 1, g_base), 0);

	/* the same INIT twice (our INIT-ACK lost or late): the same answer, either cookie echo works */
	CHECK(initiated(5, 5000, 16));
	memcpy(first, g_sent[0], sizeof(first));
	clearSent();
	initPacket(&p, PEER_TAG, 5000, 16);
	CHECK_EQ(deliver(&p, 1000), 0);
	CHECK(g_sentCount == 1 && g_sentLen[0] == sizeof(first) && !memcmp(first, g_sent[0], sizeof(first)));
	clearSent();
	CHECK_EQ(echoCookie(g_cookie, 16, 1001), 0);
	CHECK_EQ(g_s.state, IVXS_SCTP_ESTABLISHED);
	/* and once established, that INIT arriving late again: dropped, the association goes on */
	clearSent();
	CHECK_EQ(deliver(&p, 1002), 0);
	CHECK_EQ(g_sentCount, 0);
	CHECK_EQ(g_s.state, IVXS_SCTP_ESTABLISHED);
	CHECK_EQ(sendData(3, PEER_TSN, 0, IVXS_SCTP_PPID_STRING, "x", 1, 1003), 0);
	CHECK(lastSackIs(PEER_TSN));

	/* an INIT with initiate tag 0 (invalid): dropped */
	ivxs_sctp_setup(&g_s, PORT, PORT, ivxs_test_random, &g_seed, capture, NULL, g_base);
	ivxs_sctp_lend(&g_s, g_sendBuffer);
	clearSent();
	initPacket(&p, 0, 5000, 4);
	CHECK_EQ(deliver(&p, 0), 0);
	CHECK_EQ(g_sentCount, 0);
	CHECK_EQ(g_s.localTag, 0);
done:;
}

static void test_messages(void)
{
	static const uint8_t open[] = { 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 'c', 'h', 'a', 't' };   /* DATA_CHANNEL_OPEN "chat" */
	Packet p;
	uint16_t stream;
	uint32_t ppid, cum, window;
	const uint8_t *data;
	size_t len;
	CHECK(initiated(7, 0x20000, 1024));
	clearSent();
	/* COOKIE-ECHO with the DCEP open bundled after it, as browsers send it */
	begin(&p, g_s.localTag);
	chunk(&p, 10, 0, g_cookie, 16);
	dataChunk(&p, 3, PEER_TSN, 1, 0, IVXS_SCTP_PPID_DCEP, open, sizeof(open));
	CHECK_EQ(deliver(&p, 5), 0);
	CHECK_EQ(g_s.state, IVXS_SCTP_ESTABLISHED);
	CHECK(g_sentCount == 1 && sentType(0, 0) == 11 && sentType(0, 1) == 3);   /* COOKIE-ACK, then the SACK */
	CHECK(sackOf(0, &cum, &window) && cum == PEER_TSN);
	CHECK(window > 0 && window <= IVXS_SCTP_INBOX);
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 1);
	CHECK(stream == 1 && ppid == IVXS_SCTP_PPID_DCEP && len == sizeof(open) && !memcmp(data, open, len));
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 0);
	/* two strings and an empty one (its one byte) in one packet: one SACK for all */
	clearSent();
	begin(&p, g_s.localTag);
	dataChunk(&p, 3, PEER_TSN + 1, 1, 1, IVXS_SCTP_PPID_STRING, "hello", 5);
	dataChunk(&p, 3, PEER_TSN + 2, 1, 2, IVXS_SCTP_PPID_STRING, "camera!", 7);
	dataChunk(&p, 3, PEER_TSN + 3, 1, 3, IVXS_SCTP_PPID_STRING_EMPTY, "", 1);
	CHECK_EQ(deliver(&p, 6), 0);
	CHECK(lastSackIs(PEER_TSN + 3));   /* across the TSN wrap */
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 1);
	CHECK(stream == 1 && ppid == IVXS_SCTP_PPID_STRING && len == 5 && !memcmp(data, "hello", 5));
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 1);
	CHECK(ppid == IVXS_SCTP_PPID_STRING && len == 7 && !memcmp(data, "camera!", 7));
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 1);
	CHECK(ppid == IVXS_SCTP_PPID_STRING_EMPTY && len == 1 && data[0] == 0);
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 0);
	CHECK_EQ(g_s.inboxLen, 0);
	/* a DATA chunk with no user data: not taken, not acknowledged */
	clearSent();
	CHECK_EQ(sendData(3, PEER_TSN + 4, 1, IVXS_SCTP_PPID_STRING, "", 0, 7), 0);
	CHECK_EQ(g_sentCount, 0);
	CHECK_EQ(g_s.cumTsn, PEER_TSN + 3);
done:;
}

static void test_fragments_and_order(void)
{
	uint8_t big[2000];
	uint16_t stream;
	uint32_t ppid, t = PEER_TSN;
	const uint8_t *data;
	size_t len, i;
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	CHECK(establish(0x20000, 1024));
	/* three fragments: first, middle, last */
	CHECK_EQ(sendData(2, t, 3, IVXS_SCTP_PPID_BINARY, big, 700, 1), 0);
	CHECK(lastSackIs(t));
	CHECK(g_s.assembling && g_s.partLen == 700);
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 0);
	clearSent();
	CHECK_EQ(sendData(0, t + 1, 3, IVXS_SCTP_PPID_BINARY, big + 700, 700, 2), 0);
	CHECK(lastSackIs(t + 1));
	clearSent();
	CHECK_EQ(sendData(1, t + 2, 3, IVXS_SCTP_PPID_BINARY, big + 1400, 600, 3), 0);
	CHECK(lastSackIs(t + 2));
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 1);
	CHECK(stream == 3 && ppid == IVXS_SCTP_PPID_BINARY && len == sizeof(big) && !memcmp(data, big, len));
	t += 3;
	/* past a gap: dropped, not acknowledged; then the gap filled and the later one resent */
	clearSent();
	CHECK_EQ(sendData(3, t + 1, 0, IVXS_SCTP_PPID_STRING, "second", 6, 4), 0);
	CHECK(lastSackIs(t - 1));
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 0);
	clearSent();
	CHECK_EQ(sendData(3, t, 0, IVXS_SCTP_PPID_STRING, "first", 5, 5), 0);
	CHECK(lastSackIs(t));
	clearSent();
	CHECK_EQ(sendData(3, t + 1, 0, IVXS_SCTP_PPID_STRING, "second", 6, 6), 0);
	CHECK(lastSackIs(t + 1));
	/* duplicates: acknowledged again, not delivered again */
	clearSent();
	CHECK_EQ(sendData(3, t, 0, IVXS_SCTP_PPID_STRING, "first", 5, 7), 0);
	CHECK(lastSackIs(t + 1));
	clearSent();
	CHECK_EQ(sendData(3, t - 100, 0, IVXS_SCTP_PPID_STRING, "old", 3, 7), 0);
	CHECK(lastSackIs(t + 1));
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 1);
	CHECK(len == 5 && !memcmp(data, "first", 5));
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 1);
	CHECK(len == 6 && !memcmp(data, "second", 6));
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 0);
	t += 2;
	/* a message's middle fragment on another stream: acknowledged, the message given up whole */
	CHECK_EQ(sendData(2, t, 3, IVXS_SCTP_PPID_BINARY, big, 100, 8), 0);
	CHECK_EQ(sendData(0, t + 1, 4, IVXS_SCTP_PPID_BINARY, big, 100, 8), 0);
	clearSent();
	CHECK_EQ(sendData(1, t + 2, 3, IVXS_SCTP_PPID_BINARY, big, 100, 8), 0);
	CHECK(lastSackIs(t + 2));
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 0);
	/* a stream past the ones we offered: acknowledged, dropped */
	clearSent();
	CHECK_EQ(sendData(3, t + 3, IVXS_SCTP_STREAMS, IVXS_SCTP_PPID_STRING, "far", 3, 9), 0);
	CHECK(lastSackIs(t + 3));
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 0);
	CHECK_EQ(sendData(3, t + 4, 0, IVXS_SCTP_PPID_STRING, "near", 4, 9), 0);
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 1);
	CHECK(len == 4 && !memcmp(data, "near", 4));
done:;
}

static void test_oversize(void)
{
	static uint8_t big[IVXS_SCTP_MAX_RECEIVE + 100];
	uint16_t stream;
	uint32_t ppid, t = PEER_TSN;
	const uint8_t *data;
	size_t len;
	memset(big, 'b', sizeof(big));
	CHECK(establish(0x20000, 1024));
	/* 3 × 1000 bytes: over IVXS_SCTP_MAX_RECEIVE at the third; every fragment acknowledged */
	CHECK_EQ(sendData(2, t, 0, IVXS_SCTP_PPID_BINARY, big, 1000, 1), 0);
	CHECK_EQ(sendData(0, t + 1, 0, IVXS_SCTP_PPID_BINARY, big, 1000, 1), 0);
	clearSent();
	CHECK_EQ(sendData(0, t + 2, 0, IVXS_SCTP_PPID_BINARY, big, 1000, 1), 0);
	CHECK(lastSackIs(t + 2));
	CHECK_EQ(g_s.dropped, 1);
	clearSent();
	CHECK_EQ(sendData(1, t + 3, 0, IVXS_SCTP_PPID_BINARY, big, 1000, 1), 0);
	CHECK(lastSackIs(t + 3));
	CHECK_EQ(g_s.dropped, 1);   /* once per message */
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 0);
	/* one chunk over the limit by itself (a packet larger than ours: the peer's MTU may be) */
	clearSent();
	CHECK_EQ(sendData(3, t + 4, 0, IVXS_SCTP_PPID_BINARY, big, sizeof(big), 2), 0);
	CHECK(lastSackIs(t + 4));
	CHECK_EQ(g_s.dropped, 2);
	/* exactly the limit: delivered; the association goes on */
	CHECK_EQ(sendData(2, t + 5, 0, IVXS_SCTP_PPID_BINARY, big, 1024, 3), 0);
	CHECK_EQ(sendData(1, t + 6, 0, IVXS_SCTP_PPID_BINARY, big, IVXS_SCTP_MAX_RECEIVE - 1024, 3), 0);
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 1);
	CHECK_EQ(len, IVXS_SCTP_MAX_RECEIVE);
	CHECK_EQ(g_s.dropped, 2);
	CHECK(!g_s.assembling && !g_s.dropping);
done:;
}

static void test_inbox_full(void)
{
	static uint8_t msg[2000];
	uint16_t stream;
	uint32_t ppid, cum, window, t = PEER_TSN;
	const uint8_t *data;
	size_t len;
	memset(msg, 'm', sizeof(msg));
	CHECK(establish(0x20000, 1024));
	msg[0] = 1;
	CHECK_EQ(sendData(3, t, 0, IVXS_SCTP_PPID_BINARY, msg, sizeof(msg), 1), 0);
	msg[0] = 2;
	CHECK_EQ(sendData(3, t + 1, 0, IVXS_SCTP_PPID_BINARY, msg, sizeof(msg), 1), 0);
	/* two messages of 2000 (with their headers 4016 of 4096 bytes): a third does not fit */
	clearSent();
	msg[0] = 3;
	CHECK_EQ(sendData(3, t + 2, 0, IVXS_SCTP_PPID_BINARY, msg, sizeof(msg), 2), 0);
	CHECK(g_sentCount == 1 && sackOf(0, &cum, &window));
	CHECK_EQ(cum, t + 1);    /* not acknowledged */
	CHECK(window < 100);     /* the window says why */
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 1);
	CHECK(len == 2000 && data[0] == 1);
	/* taken: the peer's retransmission fits now */
	clearSent();
	CHECK_EQ(sendData(3, t + 2, 0, IVXS_SCTP_PPID_BINARY, msg, sizeof(msg), 3), 0);
	CHECK(lastSackIs(t + 2));
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 1);
	CHECK(len == 2000 && data[0] == 2);
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 1);
	CHECK(len == 2000 && data[0] == 3);
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 0);
	/* 2000 + 1000 waiting: a message's first 500 bytes fit, its last 1000 would not */
	CHECK_EQ(sendData(3, t + 3, 0, IVXS_SCTP_PPID_BINARY, msg, sizeof(msg), 4), 0);
	CHECK_EQ(sendData(3, t + 4, 0, IVXS_SCTP_PPID_BINARY, msg, 1000, 4), 0);
	CHECK_EQ(sendData(2, t + 5, 0, IVXS_SCTP_PPID_BINARY, msg, 500, 4), 0);
	clearSent();
	CHECK_EQ(sendData(1, t + 6, 0, IVXS_SCTP_PPID_BINARY, msg, 1000, 4), 0);
	CHECK(lastSackIs(t + 5));
	CHECK(g_s.assembling && g_s.partLen == 500);
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 1);
	CHECK_EQ(len, 2000);
	clearSent();
	CHECK_EQ(sendData(1, t + 6, 0, IVXS_SCTP_PPID_BINARY, msg, 1000, 5), 0);
	CHECK(lastSackIs(t + 6));
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 1);
	CHECK_EQ(len, 1000);
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 1);
	CHECK_EQ(len, 1500);
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 0);
done:;
}

/* Our message in the sent packets: every DATA chunk's fields checked, its bytes put together. */
static int readOurData(unsigned first, unsigned count, uint32_t tsn, uint16_t stream, uint16_t ssn, uint32_t ppid, uint8_t *out, size_t *outLen)
{
	unsigned i, nth;
	size_t len;
	const uint8_t *c;
	*outLen = 0;
	for (i = first; i < first + count; i++)
		for (nth = 0; (c = sentChunk(i, nth, &len)) != NULL; nth++) {
			if (c[0] != 0 || get32(c + 4) != tsn || get16(c + 8) != stream || get16(c + 10) != ssn || get32(c + 12) != ppid)
				return 0;
			if (((c[1] & 2) != 0) != (*outLen == 0) || len - 16 > MAX_FRAGMENT)
				return 0;
			memcpy(out + *outLen, c + 16, len - 16);
			*outLen += len - 16;
			tsn++;
			if (c[1] & 1)
				return i == first + count - 1 && sentChunk(i, nth + 1, &len) == NULL;
		}
	return 0;
}

static void test_send_large(void)
{
	static uint8_t msg[16384], back[16384 + 2000];
	size_t len, i, total = 0;
	CHECK(establish(0x20000, 1024));
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 13 + (i >> 8));
	CHECK_EQ(ivxs_sctp_send(&g_s, 2, IVXS_SCTP_PPID_BINARY, msg, sizeof(msg), g_base + 100), 0);
	CHECK_EQ(g_s.chunkCount, 15);   /* 16384 / 1112, rounded up */
	CHECK_EQ(g_sentCount, IVXS_SCTP_MAX_BURST);   /* Max.Burst: the rest as SACKs come */
	for (i = 0; i < 3; i++)   /* SACKs that acknowledge nothing new yet (the peer's delayed ones) */
		CHECK_EQ(sendSack(g_ourTsn - 1, 0x20000, 100), 0);
	CHECK(!g_sentTooBig);
	CHECK_EQ(g_sentCount, 15);
	for (i = 0; i < g_sentCount; i++) {
		CHECK(sentValid((unsigned)i));
		total += g_sentLen[i];
	}
	CHECK(readOurData(0, 15, g_ourTsn, 2, 0, IVXS_SCTP_PPID_BINARY, back, &len));
	CHECK(len == sizeof(msg) && !memcmp(back, msg, len));
	CHECK_EQ(ivxs_sctp_deadline(&g_s), g_base + 100 + IVXS_SCTP_RTO_MS);
	NOTE("15 packets, %zu bytes on the wire", total);
	/* acknowledged step by step */
	clearSent();
	CHECK_EQ(sendSack(g_ourTsn + 4, 0x20000, 200), 0);
	CHECK_EQ(g_s.chunkCount, 10);
	CHECK_EQ(g_s.sendLen, sizeof(msg) - 5 * MAX_FRAGMENT);
	CHECK_EQ(g_s.chunks[0].tsn, g_ourTsn + 5);
	CHECK_EQ(g_s.chunks[0].offset, 0);
	CHECK(!memcmp(g_s.send, msg + 5 * MAX_FRAGMENT, g_s.sendLen));
	CHECK_EQ(ivxs_sctp_deadline(&g_s), g_base + 200 + IVXS_SCTP_RTO_MS);   /* restarted */
	CHECK_EQ(g_sentCount, 0);
	/* an older SACK, and one past what we sent: ignored */
	CHECK_EQ(sendSack(g_ourTsn + 2, 0x20000, 210), 0);
	CHECK_EQ(sendSack(g_ourTsn + 15, 0x20000, 210), 0);
	CHECK_EQ(sendSack(g_ourTsn + 4 + 0x80000000u, 0x20000, 210), 0);   /* 2^31 away: neither before nor after */
	CHECK_EQ(sendSack(g_ourTsn + 4 - 0x80000000u, 0x20000, 210), 0);
	CHECK_EQ(g_s.chunkCount, 10);
	CHECK_EQ(sendSack(g_ourTsn + 13, 0x20000, 300), 0);
	CHECK_EQ(g_s.chunkCount, 1);
	CHECK_EQ(sendSack(g_ourTsn + 14, 0x20000, 400), 0);
	CHECK_EQ(g_s.chunkCount, 0);
	CHECK_EQ(g_s.sendLen, 0);
	CHECK_EQ(ivxs_sctp_deadline(&g_s), 0);
	CHECK_EQ(g_sentCount, 0);
	/* the next message on the stream: the next SSN */
	CHECK_EQ(ivxs_sctp_send(&g_s, 2, IVXS_SCTP_PPID_STRING, (const uint8_t *)"ok", 2, g_base + 500), 0);
	CHECK(readOurData(0, 1, g_ourTsn + 15, 2, 1, IVXS_SCTP_PPID_STRING, back, &len) && len == 2);
done:;
}

static void test_peer_window(void)
{
	static uint8_t msg[6000];
	CHECK(establish(3000, 1024));
	memset(msg, 'w', sizeof(msg));
	/* 3000 bytes of window: two chunks of 1112, a third would not fit */
	CHECK_EQ(ivxs_sctp_send(&g_s, 0, IVXS_SCTP_PPID_BINARY, msg, sizeof(msg), g_base + 10), 0);
	CHECK_EQ(g_s.chunkCount, 6);
	CHECK_EQ(g_sentCount, 2);
	CHECK_EQ(g_s.peerRwnd, 3000 - 2 * MAX_FRAGMENT);
	/* the first acknowledged, the window 3000 again: 1888 free for one more */
	clearSent();
	CHECK_EQ(sendSack(g_ourTsn, 3000, 20), 0);
	CHECK_EQ(g_sentCount, 1);
	CHECK_EQ(g_s.chunks[g_s.chunkCount - 4].sent, 1);
	CHECK_EQ(g_s.chunks[g_s.chunkCount - 3].sent, 0);
	/* a window of 0 with nothing in flight: one chunk still goes (§6.1 rule B) */
	clearSent();
	CHECK_EQ(sendSack(g_ourTsn + 2, 0, 30), 0);
	CHECK_EQ(g_sentCount, 1);
	clearSent();
	CHECK_EQ(sendSack(g_ourTsn + 2, 0, 30), 0);   /* the same again: nothing new while one is in flight */
	CHECK_EQ(g_sentCount, 0);
	clearSent();
	CHECK_EQ(sendSack(g_ourTsn + 3, 100000, 40), 0);
	CHECK_EQ(g_sentCount, 2);   /* the last two, each a packet (1112 and 440 bytes do not share one) */
	CHECK_EQ(sendSack(g_ourTsn + 5, 100000, 50), 0);
	CHECK_EQ(g_s.chunkCount, 0);
done:;
}

static void test_retransmit(void)
{
	uint64_t at = 100, expected;
	unsigned i;
	size_t len;
	const uint8_t *c;
	uint8_t back[16];
	uint32_t rto = IVXS_SCTP_RTO_MS;
	CHECK(establish(0x20000, 1024));
	CHECK_EQ(ivxs_sctp_send(&g_s, 1, IVXS_SCTP_PPID_STRING, (const uint8_t *)"ptz left", 8, g_base + at), 0);
	CHECK_EQ(g_sentCount, 1);
	CHECK_EQ(ivxs_sctp_deadline(&g_s), g_base + at + rto);
	clearSent();
	CHECK_EQ(ivxs_sctp_tick(&g_s, g_base + at + rto - 1), 0);
	CHECK_EQ(g_sentCount, 0);
	/* two timeouts, then a SACK: the RTO back to its start */
	for (i = 0; i < 2; i++) {
		at += rto;
		CHECK_EQ(ivxs_sctp_tick(&g_s, g_base + at), 0);
		rto *= 2;
		CHECK_EQ(g_s.rto, rto);
		CHECK_EQ(ivxs_sctp_deadline(&g_s), g_base + at + rto);
	}
	CHECK_EQ(g_sentCount, 2);
	CHECK(readOurData(1, 1, g_ourTsn, 1, 0, IVXS_SCTP_PPID_STRING, back, &len) && len == 8 && !memcmp(back, "ptz left", 8));
	CHECK_EQ(sendSack(g_ourTsn, 0x20000, at + 5), 0);
	CHECK(g_s.rto == IVXS_SCTP_RTO_MS && g_s.timeouts == 0 && ivxs_sctp_deadline(&g_s) == 0);
	/* never acknowledged: the RTO doubles to its ceiling; the association fails after the last */
	clearSent();
	at += 1000;
	rto = IVXS_SCTP_RTO_MS;
	CHECK_EQ(ivxs_sctp_send(&g_s, 1, IVXS_SCTP_PPID_STRING, (const uint8_t *)"ptz right", 9, g_base + at), 0);
	for (i = 1; i <= IVXS_SCTP_MAX_RETRANSMITS; i++) {
		expected = g_base + at + rto;
		CHECK_EQ(ivxs_sctp_deadline(&g_s), expected);
		at += rto;
		CHECK_EQ(ivxs_sctp_tick(&g_s, g_base + at), 0);
		rto = rto * 2 < IVXS_SCTP_RTO_MAX_MS ? rto * 2 : IVXS_SCTP_RTO_MAX_MS;
		CHECK_EQ(g_s.rto, rto);
		CHECK_EQ(g_s.timeouts, i);
		CHECK_EQ(g_sentCount, 1 + i);
		CHECK(readOurData(i, 1, g_ourTsn + 1, 1, 1, IVXS_SCTP_PPID_STRING, back, &len) && len == 9);
	}
	CHECK_EQ(g_s.chunks[0].sent, 1 + IVXS_SCTP_MAX_RETRANSMITS);
	CHECK_EQ(rto, IVXS_SCTP_RTO_MAX_MS);
	at += rto;
	CHECK_EQ(ivxs_sctp_tick(&g_s, g_base + at), IVXS_WEBRTC_ECLOSED);
	CHECK_EQ(g_sentCount, 2 + IVXS_SCTP_MAX_RETRANSMITS);
	c = sentChunk(g_sentCount - 1, 0, &len);
	CHECK(c && c[0] == 6 && len == 4 && !(c[1] & 1));   /* ABORT, with our peer's tag (T bit clear) */
	CHECK_EQ(g_s.state, IVXS_SCTP_CLOSED);
	CHECK_EQ((int32_t)g_s.abortReason, IVXS_WEBRTC_ECLOSED);
	CHECK_EQ(ivxs_sctp_deadline(&g_s), 0);
	CHECK_EQ(ivxs_sctp_tick(&g_s, g_base + at + 100000), IVXS_WEBRTC_ECLOSED);
done:;
}

static void test_full(void)
{
	static uint8_t msg[IVXS_SCTP_SEND_BYTES + 1];
	unsigned i, count;
	uint32_t next;
	memset(msg, 'f', sizeof(msg));
	CHECK(establish(0x100000, 1024));
	CHECK_EQ(ivxs_sctp_send(&g_s, 0, IVXS_SCTP_PPID_BINARY, msg, 0, g_base), IVXS_WEBRTC_EMTU);
	CHECK_EQ(ivxs_sctp_send(&g_s, 0, IVXS_SCTP_PPID_BINARY, msg, IVXS_SCTP_SEND_BYTES + 1, g_base), IVXS_WEBRTC_EMTU);
	CHECK_EQ(ivxs_sctp_send(&g_s, 0, IVXS_SCTP_PPID_BINARY, msg, 16384, g_base), 0);
	/* bytes: 16384 + 300 past IVXS_SCTP_SEND_BYTES; nothing taken, nothing sent */
	memcpy(&g_copy, &g_s, sizeof(g_s));
	clearSent();
	CHECK_EQ(ivxs_sctp_send(&g_s, 1, IVXS_SCTP_PPID_BINARY, msg, 300, g_base + 1), IVXS_WEBRTC_EFULL);
	CHECK(!memcmp(&g_copy, &g_s, sizeof(g_s)));
	CHECK_EQ(g_sentCount, 0);
	CHECK_EQ(ivxs_sctp_send(&g_s, 1, IVXS_SCTP_PPID_BINARY, msg, IVXS_SCTP_SEND_BYTES - 16384, g_base + 1), 0);   /* what fits does */
	for (i = 0; i < 8 && g_s.chunkCount; i++) {   /* acknowledged as they go (Max.Burst packets a call) */
		for (count = 0; count < g_s.chunkCount && g_s.chunks[count].sent; count++)
			;
		CHECK(count > 0);
		CHECK_EQ(sendSack(g_s.chunks[count - 1].tsn, 0x100000, 2), 0);
	}
	CHECK_EQ(g_s.chunkCount, 0);
	/* chunk slots: IVXS_SCTP_SEND_CHUNKS small messages, then one more is refused */
	next = g_s.nextTsn;
	for (count = 0; count < IVXS_SCTP_SEND_CHUNKS; count++)
		CHECK_EQ(ivxs_sctp_send(&g_s, 0, IVXS_SCTP_PPID_STRING, msg, 10, g_base + 3), 0);
	memcpy(&g_copy, &g_s, sizeof(g_s));
	CHECK_EQ(ivxs_sctp_send(&g_s, 0, IVXS_SCTP_PPID_STRING, msg, 10, g_base + 3), IVXS_WEBRTC_EFULL);
	CHECK(!memcmp(&g_copy, &g_s, sizeof(g_s)));
	CHECK_EQ(g_s.nextTsn, next + IVXS_SCTP_SEND_CHUNKS);
	for (i = 0; i < IVXS_SCTP_SEND_CHUNKS; i++)
		CHECK_EQ(g_s.chunks[i].ssn, 1 + i);   /* stream 0 had one message before */
done:;
}

/* The send buffer is lent: none, a send takes nothing; taken back only once all is acknowledged. */
static void test_lent_buffer(void)
{
	uint8_t msg[3000];
	memset(msg, 'l', sizeof(msg));
	CHECK(establish(0x100000, 1024));
	CHECK(ivxs_sctp_reclaim(&g_s) == g_sendBuffer);   /* nothing waits: it comes back */
	CHECK(g_s.send == NULL && ivxs_sctp_reclaim(&g_s) == NULL);
	memcpy(&g_copy, &g_s, sizeof(g_s));
	clearSent();
	CHECK_EQ(ivxs_sctp_send(&g_s, 0, IVXS_SCTP_PPID_BINARY, msg, sizeof(msg), g_base), IVXS_WEBRTC_EFULL);
	CHECK(!memcmp(&g_copy, &g_s, sizeof(g_s)));
	CHECK_EQ(g_sentCount, 0);
	ivxs_sctp_lend(&g_s, g_sendBuffer);
	CHECK_EQ(ivxs_sctp_send(&g_s, 0, IVXS_SCTP_PPID_BINARY, msg, sizeof(msg), g_base), 0);
	CHECK(g_s.chunkCount == 3 && g_sentCount > 0);
	CHECK(ivxs_sctp_reclaim(&g_s) == NULL && g_s.send == g_sendBuffer);   /* unacknowledged: kept */
	CHECK_EQ(sendSack(g_s.chunks[1].tsn, 0x100000, 1), 0);
	CHECK(ivxs_sctp_reclaim(&g_s) == NULL);                             /* one left */
	CHECK_EQ(sendSack(g_s.chunks[0].tsn, 0x100000, 2), 0);
	CHECK_EQ(g_s.chunkCount, 0);
	CHECK(ivxs_sctp_reclaim(&g_s) == g_sendBuffer && g_s.send == NULL);
done:;
}

static void test_heartbeat(void)
{
	uint8_t info[4 + 37], big[1200];
	Packet p;
	size_t len, i;
	const uint8_t *c;
	CHECK(establish(0x20000, 1024));
	put16(info, 1);
	put16(info + 2, sizeof(info));
	for (i = 4; i < sizeof(info); i++)
		info[i] = (uint8_t)i;
	begin(&p, g_s.localTag);
	chunk(&p, 4, 0, info, sizeof(info));
	CHECK_EQ(deliver(&p, 1), 0);
	CHECK_EQ(g_sentCount, 1);
	c = sentChunk(0, 0, &len);
	CHECK(c && c[0] == 5 && len == 4 + sizeof(info) && !memcmp(c + 4, info, sizeof(info)));
	CHECK_EQ(g_sentLen[0], 12 + ((4 + sizeof(info) + 3) & ~(size_t)3));
	/* a parameter longer than its chunk, and one too large to echo within our packet: no answer */
	clearSent();
	put16(info + 2, sizeof(info) + 1);
	begin(&p, g_s.localTag);
	chunk(&p, 4, 0, info, sizeof(info));
	CHECK_EQ(deliver(&p, 2), 0);
	CHECK_EQ(g_sentCount, 0);
	memset(big, 0, sizeof(big));
	put16(big, 1);
	put16(big + 2, sizeof(big));
	begin(&p, g_s.localTag);
	chunk(&p, 4, 0, big, sizeof(big));
	CHECK_EQ(deliver(&p, 3), 0);
	CHECK_EQ(g_sentCount, 0);
	/* the largest that fits */
	put16(big + 2, IVXS_SCTP_MAX_PACKET - 16);
	begin(&p, g_s.localTag);
	chunk(&p, 4, 0, big, IVXS_SCTP_MAX_PACKET - 16);
	CHECK_EQ(deliver(&p, 4), 0);
	CHECK(g_sentCount == 1 && g_sentLen[0] == IVXS_SCTP_MAX_PACKET && sentType(0, 0) == 5);
done:;
}

/* A packet the core must refuse: EPACKET, counted, the association byte for byte as it was. */
static int refused(Packet *p, int sealIt)
{
	uint32_t before = g_s.refused;
	int r;
	if (sealIt)
		seal(p);
	memcpy(&g_copy, &g_s, sizeof(g_s));
	g_copy.refused++;
	clearSent();
	r = ivxs_sctp_input(&g_s, p->b, p->len, g_base + 50);
	return r == IVXS_WEBRTC_EPACKET && g_s.refused == before + 1 && !memcmp(&g_copy, &g_s, sizeof(g_s)) && g_sentCount == 0;
}

static void test_refused(void)
{
	Packet p;
	uint16_t stream;
	uint32_t ppid;
	const uint8_t *data;
	size_t len;
	CHECK(establish(0x20000, 1024));
	/* a checksum off by a bit; stored big-endian instead of little */
	begin(&p, g_s.localTag);
	dataChunk(&p, 3, PEER_TSN, 0, 0, IVXS_SCTP_PPID_STRING, "x", 1);
	seal(&p);
	p.b[9] ^= 0x10;
	CHECK(refused(&p, 0));
	{
		uint32_t crc;
		seal(&p);
		crc = get32(p.b + 8);
		if (p.b[8] != p.b[11] || p.b[9] != p.b[10]) {
			p.b[8] = (uint8_t)crc, p.b[9] = (uint8_t)(crc >> 8), p.b[10] = (uint8_t)(crc >> 16), p.b[11] = (uint8_t)(crc >> 24);
			CHECK(refused(&p, 0));
		}
	}
	/* the wrong tag, tag 0 on DATA, the peer's tag without the T bit */
	begin(&p, g_s.localTag + 1);
	dataChunk(&p, 3, PEER_TSN, 0, 0, IVXS_SCTP_PPID_STRING, "x", 1);
	CHECK(refused(&p, 1));
	put32(p.b + 4, 0);
	CHECK(refused(&p, 1));
	begin(&p, PEER_TAG);
	chunk(&p, 6, 0, NULL, 0);
	CHECK(refused(&p, 1));
	/* the wrong ports */
	begin(&p, g_s.localTag);
	dataChunk(&p, 3, PEER_TSN, 0, 0, IVXS_SCTP_PPID_STRING, "x", 1);
	put16(p.b, 5001);
	CHECK(refused(&p, 1));
	put16(p.b, PORT);
	put16(p.b + 2, 5001);
	CHECK(refused(&p, 1));
	/* a chunk length past the packet, 0, under 4, under DATA's fixed part; bytes after the last chunk */
	begin(&p, g_s.localTag);
	dataChunk(&p, 3, PEER_TSN, 0, 0, IVXS_SCTP_PPID_STRING, "x", 1);
	put16(p.b + 14, 4 + 12 + 1 + 4);
	CHECK(refused(&p, 1));
	put16(p.b + 14, 0);
	CHECK(refused(&p, 1));
	put16(p.b + 14, 3);
	CHECK(refused(&p, 1));
	put16(p.b + 14, 15);
	CHECK(refused(&p, 1));
	put16(p.b + 14, 17);
	p.len += 2;
	CHECK(refused(&p, 1));
	/* a good DATA chunk, then one of length 0 */
	begin(&p, g_s.localTag);
	dataChunk(&p, 3, PEER_TSN, 0, 0, IVXS_SCTP_PPID_STRING, "x", 1);
	chunk(&p, 0, 3, NULL, 0);
	put16(p.b + p.len - 2, 0);
	CHECK(refused(&p, 1));
	/* a SACK shorter than its fixed part; no chunk at all; shorter than the common header */
	begin(&p, g_s.localTag);
	chunk(&p, 3, 0, "abcdefgh", 8);
	CHECK(refused(&p, 1));
	begin(&p, g_s.localTag);
	CHECK(refused(&p, 1));
	p.len = 8;
	CHECK(refused(&p, 1));
	/* an INIT with another chunk, or with a tag not 0 */
	initPacket(&p, PEER_TAG, 5000, 16);
	chunk(&p, 4, 0, "\0\1\0\4", 4);
	CHECK(refused(&p, 1));
	initPacket(&p, PEER_TAG, 5000, 16);
	put32(p.b + 4, g_s.localTag);
	CHECK(refused(&p, 1));
	/* a good packet still goes through */
	CHECK_EQ(sendData(3, PEER_TSN, 0, IVXS_SCTP_PPID_STRING, "x", 1, 60), 0);
	CHECK(lastSackIs(PEER_TSN));
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 1);
	CHECK(len == 1 && data[0] == 'x');
	/* before any INIT: tag 0 is not a tag to match */
	ivxs_sctp_setup(&g_s, PORT, PORT, ivxs_test_random, &g_seed, capture, NULL, g_base);
	ivxs_sctp_lend(&g_s, g_sendBuffer);
	begin(&p, 0);
	dataChunk(&p, 3, PEER_TSN, 0, 0, IVXS_SCTP_PPID_STRING, "x", 1);
	CHECK(refused(&p, 1));
	begin(&p, 0);
	chunk(&p, 6, 1, NULL, 0);
	CHECK(refused(&p, 1));
done:;
}

static void test_unknown_chunks(void)
{
	static const uint8_t types[] = { 0x3f, 0x7f, 0xbf, 0xff, 15 /* AUTH, not offered */, 0x82 /* RE-CONFIG, its parameter malformed */ };
	static const int readOn[] = { 0, 0, 1, 1, 0, 1 };
	Packet p;
	uint32_t t = PEER_TSN;
	unsigned i;
	CHECK(establish(0x20000, 1024));
	for (i = 0; i < sizeof(types); i++) {
		clearSent();
		begin(&p, g_s.localTag);
		chunk(&p, types[i], 0, "\1\2\3\4\5", 5);
		dataChunk(&p, 3, t, 0, 0, IVXS_SCTP_PPID_STRING, "u", 1);
		CHECKF(deliver(&p, 1 + i) == 0, "type %u", types[i]);
		if (readOn[i]) {
			CHECKF(lastSackIs(t), "type %u: the DATA after it not read", types[i]);
			t++;
		}
		else
			CHECKF(g_sentCount == 0 && g_s.cumTsn == t - 1, "type %u: the DATA after it read", types[i]);
	}
	/* known chunks we have no use for (ERROR, HEARTBEAT-ACK, COOKIE-ACK): skipped, the rest read */
	clearSent();
	begin(&p, g_s.localTag);
	chunk(&p, 9, 0, "\0\1\0\4", 4);
	chunk(&p, 5, 0, "\0\1\0\4", 4);
	chunk(&p, 11, 0, NULL, 0);
	dataChunk(&p, 3, t, 0, 0, IVXS_SCTP_PPID_STRING, "k", 1);
	CHECK_EQ(deliver(&p, 20), 0);
	CHECK(lastSackIs(t));
done:;
}

static void test_restart(void)
{
	Packet p;
	uint32_t oldTag;
	uint16_t stream;
	uint32_t ppid, cum, window;
	const uint8_t *data;
	size_t len;
	CHECK(establish(0x20000, 1024));
	oldTag = g_s.localTag;
	CHECK_EQ(sendData(3, PEER_TSN, 0, IVXS_SCTP_PPID_STRING, "kept", 4, 1), 0);
	CHECK_EQ(sendData(2, PEER_TSN + 1, 0, IVXS_SCTP_PPID_STRING, "half", 4, 1), 0);
	CHECK_EQ(ivxs_sctp_send(&g_s, 5, IVXS_SCTP_PPID_STRING, (const uint8_t *)"lost", 4, g_base + 2), 0);
	CHECK(g_s.chunkCount == 1 && g_s.t3 != 0 && g_s.assembling);
	/* the peer restarts: a new INIT, a new tag */
	clearSent();
	initPacket(&p, PEER_TAG + 1, 0x10000, 1024);
	CHECK_EQ(deliver(&p, 3), 0);
	CHECK(readInitAck(PEER_TAG + 1));
	CHECK(g_s.localTag != oldTag);
	CHECK_EQ(g_s.state, IVXS_SCTP_LISTENING);
	CHECK(g_s.chunkCount == 0 && g_s.sendLen == 0 && g_s.t3 == 0 && !g_s.assembling && g_s.ssn[5] == 0);
	CHECK_EQ(g_s.remoteTag, PEER_TAG + 1);
	/* the old tag is not ours any more */
	begin(&p, oldTag);
	dataChunk(&p, 3, PEER_TSN, 0, 0, IVXS_SCTP_PPID_STRING, "x", 1);
	CHECK_EQ(deliver(&p, 4), IVXS_WEBRTC_EPACKET);
	clearSent();
	begin(&p, g_s.localTag);
	chunk(&p, 10, 0, g_cookie, 16);
	dataChunk(&p, 3, PEER_TSN, 0, 0, IVXS_SCTP_PPID_STRING, "new", 3);
	CHECK_EQ(deliver(&p, 5), 0);
	CHECK_EQ(g_s.state, IVXS_SCTP_ESTABLISHED);
	CHECK(g_sentCount == 1 && sentType(0, 0) == 11 && sackOf(0, &cum, &window) && cum == PEER_TSN);
	/* delivered before the restart: still there, then the new one */
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 1);
	CHECK(len == 4 && !memcmp(data, "kept", 4));
	CHECK_EQ(ivxs_sctp_take(&g_s, &stream, &ppid, &data, &len), 1);
	CHECK(len == 3 && !memcmp(data, "new", 3));
done:;
}

/* After closing: every call ECLOSED, nothing sent. */
static int staysClosed(void)
{
	Packet p;
	clearSent();
	begin(&p, g_s.localTag);
	dataChunk(&p, 3, g_s.cumTsn + 1, 0, 0, IVXS_SCTP_PPID_STRING, "x", 1);
	if (deliver(&p, 1000) != IVXS_WEBRTC_ECLOSED)
		return 0;
	initPacket(&p, PEER_TAG, 5000, 16);
	if (deliver(&p, 1000) != IVXS_WEBRTC_ECLOSED)
		return 0;
	if (ivxs_sctp_send(&g_s, 0, IVXS_SCTP_PPID_STRING, (const uint8_t *)"x", 1, g_base + 1000) != IVXS_WEBRTC_ECLOSED)
		return 0;
	if (ivxs_sctp_tick(&g_s, g_base + 100000) != IVXS_WEBRTC_ECLOSED || ivxs_sctp_deadline(&g_s) != 0)
		return 0;
	ivxs_sctp_abort(&g_s);
	return g_sentCount == 0 && g_s.state == IVXS_SCTP_CLOSED;
}

static void test_close(void)
{
	Packet p;
	size_t len;
	const uint8_t *c;
	/* the peer's ABORT (with outstanding data of ours: the timer stops too) */
	CHECK(establish(0x20000, 1024));
	CHECK_EQ(ivxs_sctp_send(&g_s, 0, IVXS_SCTP_PPID_STRING, (const uint8_t *)"x", 1, g_base), 0);
	clearSent();
	begin(&p, g_s.localTag);
	chunk(&p, 6, 0, NULL, 0);
	dataChunk(&p, 3, PEER_TSN, 0, 0, IVXS_SCTP_PPID_STRING, "x", 1);
	CHECK_EQ(deliver(&p, 1), IVXS_WEBRTC_ECLOSED);
	CHECK_EQ(g_s.state, IVXS_SCTP_CLOSED);
	CHECK_EQ(g_sentCount, 0);
	CHECK_EQ((int32_t)g_s.abortReason, IVXS_WEBRTC_ECLOSED);
	CHECK(staysClosed());
	/* an ABORT with the T bit, under the peer's own tag */
	CHECK(establish(0x20000, 1024));
	begin(&p, PEER_TAG);
	chunk(&p, 6, 1, NULL, 0);
	CHECK_EQ(deliver(&p, 1), IVXS_WEBRTC_ECLOSED);
	CHECK(staysClosed());
	/* SHUTDOWN: SHUTDOWN-ACK, closed */
	CHECK(establish(0x20000, 1024));
	begin(&p, g_s.localTag);
	chunk(&p, 7, 0, "\xff\xff\xff\xfd", 4);
	CHECK_EQ(deliver(&p, 1), IVXS_WEBRTC_ECLOSED);
	CHECK(g_sentCount == 1 && sentType(0, 0) == 8 && sentType(0, 1) == -1);
	CHECK(staysClosed());
	/* SHUTDOWN-COMPLETE (the peer's answer to a SHUTDOWN-ACK of an earlier round): closed */
	CHECK(establish(0x20000, 1024));
	begin(&p, g_s.localTag);
	chunk(&p, 14, 0, NULL, 0);
	CHECK_EQ(deliver(&p, 1), IVXS_WEBRTC_ECLOSED);
	CHECK(staysClosed());
	/* ours: an ABORT when established, nothing before */
	CHECK(establish(0x20000, 1024));
	ivxs_sctp_abort(&g_s);
	c = sentChunk(0, 0, &len);
	CHECK(g_sentCount == 1 && c && c[0] == 6 && len == 4);
	CHECK(staysClosed());
	ivxs_sctp_setup(&g_s, PORT, PORT, ivxs_test_random, &g_seed, capture, NULL, g_base);
	ivxs_sctp_lend(&g_s, g_sendBuffer);
	clearSent();
	ivxs_sctp_abort(&g_s);
	CHECK_EQ(g_sentCount, 0);
	CHECK(staysClosed());
done:;
}

/* ---- stream reset (RFC 6525) ---- */

/* A RE-CONFIG with an Outgoing SSN Reset Request of the peer's: `seq`, `lastTsn`, `n` streams. */
static void resetRequest(Packet *p, uint32_t seq, uint32_t lastTsn, const uint16_t *streams, size_t n)
{
	uint8_t v[64];
	size_t i;
	put16(v, 13);
	put16(v + 2, (uint16_t)(16 + 2 * n));
	put32(v + 4, seq);
	put32(v + 8, g_ourTsn - 1);
	put32(v + 12, lastTsn);
	for (i = 0; i < n; i++)
		put16(v + 16 + 2 * i, streams[i]);
	if (n & 1)
		put16(v + 16 + 2 * n, 0), n++;
	chunk(p, 130, 0, v, 16 + 2 * n);
}

static void resetResponse(Packet *p, uint32_t seq, uint32_t result)
{
	uint8_t v[12];
	put16(v, 16);
	put16(v + 2, 12);
	put32(v + 4, seq);
	put32(v + 8, result);
	chunk(p, 130, 0, v, sizeof(v));
}

/* The RE-CONFIG of sent packet i: its answer (`seq`, `result`: 0 for none) and request (`reqSeq`:
 * 0 for none, then its last TSN and streams as a mask). 1 when both are as given. */
static int reconfigOf(unsigned i, uint32_t seq, uint32_t result, uint32_t reqSeq, uint32_t lastTsn, uint16_t streams)
{
	unsigned nth;
	size_t len, pos;
	const uint8_t *c;
	int answered = result == 0, asked = reqSeq == 0;
	for (nth = 0; (c = sentChunk(i, nth, &len)) != NULL; nth++) {
		if (c[0] != 130)
			continue;
		for (pos = 4; pos + 8 <= len; pos += (get16(c + pos + 2) + 3) & ~3u) {
			const uint8_t *q = c + pos;
			size_t k, plen = get16(q + 2);
			uint16_t mask = 0;
			if (get16(q) == 16 && plen == 12)
				answered |= get32(q + 4) == seq && get32(q + 8) == result && result;
			else if (get16(q) == 13 && plen >= 16) {
				for (k = 16; k + 2 <= plen; k += 2)
					mask |= (uint16_t)(1u << get16(q + k));
				asked |= reqSeq && get32(q + 4) == reqSeq && get32(q + 12) == lastTsn && mask == streams;
			}
			else
				return 0;
		}
	}
	return answered && asked;
}

/* The next message taken is a reset of `stream` (1), a message of `bytes` (2), or none (0). */
static int taken(uint16_t *stream, uint32_t *ppid, char *bytes)
{
	const uint8_t *data;
	size_t len;
	if (ivxs_sctp_take(&g_s, stream, ppid, &data, &len) != 1)
		return 0;
	if (*ppid == IVXS_SCTP_PPID_RESET)
		return len == 0 ? 1 : -1;
	memcpy(bytes, data, len);
	bytes[len] = 0;
	return 2;
}

static void test_reconfig(void)
{
	static const uint16_t one[] = { 1 }, two[] = { 3, 40 /* past our streams: ignored */ };
	Packet p;
	uint16_t stream;
	uint32_t ppid, seq = PEER_TSN;   /* the peer's requests are numbered from its initial TSN */
	char bytes[64];
	uint64_t due;
	unsigned i;
	CHECK(establish(0x20000, 1024));
	/* our message on stream 1, acknowledged: stream 1's next SSN is 1 */
	CHECK_EQ(ivxs_sctp_send(&g_s, 1, IVXS_SCTP_PPID_STRING, (const uint8_t *)"ok", 2, g_base + 1), 0);
	CHECK_EQ(sendSack(g_ourTsn, 0x20000, 2), 0);
	CHECK_EQ(g_s.ssn[1], 1);
	/* the peer closes its channel on stream 1: its last DATA and the request in one packet */
	clearSent();
	begin(&p, g_s.localTag);
	dataChunk(&p, 3, PEER_TSN, 1, 0, IVXS_SCTP_PPID_STRING, "bye", 3);
	resetRequest(&p, seq, PEER_TSN, one, 1);
	CHECK_EQ(deliver(&p, 10), 0);
	CHECK(g_sentCount == 1 && lastSackIs(PEER_TSN));
	CHECK(reconfigOf(0, seq, 1, g_ourTsn, g_ourTsn, 1 << 1));   /* performed; ours for stream 1 asks too (numbered from our initial TSN) */
	CHECK_EQ(taken(&stream, &ppid, bytes), 2);
	CHECK(stream == 1 && !strcmp(bytes, "bye"));
	CHECK_EQ(taken(&stream, &ppid, bytes), 1);
	CHECK_EQ(stream, 1);
	CHECK_EQ(taken(&stream, &ppid, bytes), 0);
	/* stream 1 is ours to send on again only once the peer has it reset */
	CHECK_EQ(ivxs_sctp_send(&g_s, 1, IVXS_SCTP_PPID_STRING, (const uint8_t *)"x", 1, g_base + 11), IVXS_WEBRTC_EFULL);
	/* its request again (our answer lost): the same answer, nothing reset twice */
	clearSent();
	begin(&p, g_s.localTag);
	resetRequest(&p, seq, PEER_TSN, one, 1);
	CHECK_EQ(deliver(&p, 20), 0);
	CHECK(g_sentCount == 1 && reconfigOf(0, seq, 1, 0, 0, 0));
	CHECK_EQ(taken(&stream, &ppid, bytes), 0);
	/* a number out of sequence: refused (5) */
	clearSent();
	begin(&p, g_s.localTag);
	resetRequest(&p, seq + 7, PEER_TSN, one, 1);
	CHECK_EQ(deliver(&p, 21), 0);
	CHECK(g_sentCount == 1 && reconfigOf(0, seq + 7, 5, 0, 0, 0));
	/* ours unanswered: asked again at 1 s, then 2 s */
	due = ivxs_sctp_deadline(&g_s);
	CHECK_EQ(due, g_base + 10 + IVXS_SCTP_RTO_MS);
	clearSent();
	CHECK_EQ(ivxs_sctp_tick(&g_s, due), 0);
	CHECK(g_sentCount == 1 && reconfigOf(0, 0, 0, g_ourTsn, g_ourTsn, 1 << 1));
	CHECK_EQ(ivxs_sctp_deadline(&g_s), due + 2 * IVXS_SCTP_RTO_MS);
	/* "in progress", then performed: stream 1 numbers from 0 again */
	clearSent();
	begin(&p, g_s.localTag);
	resetResponse(&p, g_ourTsn, 6);
	CHECK_EQ(deliver(&p, 1100), 0);
	CHECK(g_s.resetting == 1 << 1 && ivxs_sctp_deadline(&g_s) == g_base + 1100 + IVXS_SCTP_RTO_MS);
	begin(&p, g_s.localTag);
	resetResponse(&p, g_ourTsn + 0x100, 1);   /* not ours */
	CHECK_EQ(deliver(&p, 1101), 0);
	CHECK(g_s.resetting == 1 << 1);
	begin(&p, g_s.localTag);
	resetResponse(&p, g_ourTsn, 1);
	CHECK_EQ(deliver(&p, 1102), 0);
	CHECK(g_s.resetting == 0 && g_s.ssn[1] == 0 && ivxs_sctp_deadline(&g_s) == 0);
	CHECK_EQ(ivxs_sctp_send(&g_s, 1, IVXS_SCTP_PPID_STRING, (const uint8_t *)"again", 5, g_base + 1103), 0);
	CHECK_EQ(g_s.chunks[0].ssn, 0);
	CHECK_EQ(sendSack(g_ourTsn + 1, 0x20000, 1104), 0);
	/* deferred (§5.2.2): the request names a TSN not here yet; what comes after it waits for the reset */
	seq++;
	clearSent();
	begin(&p, g_s.localTag);
	resetRequest(&p, seq, PEER_TSN + 2, two, 2);
	CHECK_EQ(deliver(&p, 1200), 0);
	CHECK(g_sentCount == 1 && reconfigOf(0, seq, 6, 0, 0, 0));
	CHECK_EQ(taken(&stream, &ppid, bytes), 0);
	clearSent();
	begin(&p, g_s.localTag);
	resetRequest(&p, seq + 1, PEER_TSN + 2, one, 1);   /* another while one waits */
	CHECK_EQ(deliver(&p, 1201), 0);
	CHECK(g_sentCount == 1 && reconfigOf(0, seq + 1, 7, 0, 0, 0));
	CHECK_EQ(sendData(3, PEER_TSN + 1, 3, IVXS_SCTP_PPID_STRING, "one", 3, 1202), 0);
	CHECK_EQ(taken(&stream, &ppid, bytes), 2);
	CHECK_EQ(taken(&stream, &ppid, bytes), 0);   /* not yet: TSN + 2 is missing */
	begin(&p, g_s.localTag);
	dataChunk(&p, 3, PEER_TSN + 2, 3, 1, IVXS_SCTP_PPID_STRING, "two", 3);
	dataChunk(&p, 3, PEER_TSN + 3, 3, 0, IVXS_SCTP_PPID_DCEP, "\3", 1);   /* stream 3 opened again after the reset */
	clearSent();
	CHECK_EQ(deliver(&p, 1203), 0);
	CHECK(lastSackIs(PEER_TSN + 3));
	CHECK(reconfigOf(0, 0, 0, g_ourTsn + 1, g_ourTsn + 1, 1 << 3));   /* ours for stream 3 */
	CHECK(taken(&stream, &ppid, bytes) == 2 && stream == 3 && !strcmp(bytes, "two"));
	CHECK(taken(&stream, &ppid, bytes) == 1 && stream == 3);
	CHECK(taken(&stream, &ppid, bytes) == 2 && stream == 3 && ppid == IVXS_SCTP_PPID_DCEP);
	/* its copy while deferred would have been "in progress"; now: performed */
	clearSent();
	begin(&p, g_s.localTag);
	resetRequest(&p, seq, PEER_TSN + 2, two, 2);
	CHECK_EQ(deliver(&p, 1204), 0);
	CHECK(reconfigOf(0, seq, 1, 0, 0, 0));
	/* requests we do not take: denied */
	seq++;
	clearSent();
	{
		uint8_t v[12];
		put16(v, 17), put16(v + 2, 12), put32(v + 4, seq), put16(v + 8, 100), put16(v + 10, 0);   /* Add Outgoing Streams */
		begin(&p, g_s.localTag);
		chunk(&p, 130, 0, v, sizeof(v));
		CHECK_EQ(deliver(&p, 1205), 0);
		CHECK(g_sentCount == 1 && reconfigOf(0, seq, 2, 0, 0, 0));
	}
	/* ours never answered: the association fails after the last resend, as T3's does */
	clearSent();
	for (i = 1; i <= IVXS_SCTP_MAX_RETRANSMITS; i++)
		CHECK_EQ(ivxs_sctp_tick(&g_s, ivxs_sctp_deadline(&g_s)), 0);
	CHECK_EQ(g_sentCount, IVXS_SCTP_MAX_RETRANSMITS);
	CHECK_EQ(ivxs_sctp_tick(&g_s, ivxs_sctp_deadline(&g_s)), IVXS_WEBRTC_ECLOSED);
	CHECK(sentType(g_sentCount - 1, 0) == 6 && g_s.state == IVXS_SCTP_CLOSED);
done:;
}

/* A peer whose INIT does not list RE-CONFIG: its reset is still taken; we ask for none of ours. A
 * full inbox holds the reset (and what follows) back until the messages before it are taken. */
static void test_reconfig_peer_without(void)
{
	static const uint16_t one[] = { 2 };
	Packet p;
	uint8_t v[16], big[1016];
	uint16_t stream;
	uint32_t ppid;
	char bytes[1100];
	unsigned i, n = 0;
	g_seed = 42;
	ivxs_sctp_setup(&g_s, PORT, PORT, ivxs_test_random, &g_seed, capture, NULL, g_base);
	clearSent();
	begin(&p, 0);
	put32(v, PEER_TAG), put32(v + 4, 0x20000), put16(v + 8, 16), put16(v + 10, 16), put32(v + 12, PEER_TSN);
	chunk(&p, 1, 0, v, 16);
	CHECK_EQ(deliver(&p, 0), 0);
	CHECK(readInitAck(PEER_TAG));
	CHECK_EQ(echoCookie(g_cookie, 16, 0), 0);
	CHECK_EQ(g_s.peerReconfig, 0);
	/* the inbox filled with messages on stream 2 */
	memset(big, 'm', sizeof(big));
	for (i = 0; sendData(3, PEER_TSN + i, 2, IVXS_SCTP_PPID_BINARY, big, sizeof(big), 1) == 0 && g_s.cumTsn == PEER_TSN + i; i++)
		n++;
	CHECK(n == 4 && g_s.inboxLen == IVXS_SCTP_INBOX);   /* full: no room for the reset's record */
	clearSent();
	begin(&p, g_s.localTag);
	resetRequest(&p, PEER_TSN, PEER_TSN + n - 1, one, 1);
	CHECK_EQ(deliver(&p, 2), 0);
	CHECK(g_sentCount == 1 && reconfigOf(0, PEER_TSN, 6, 0, 0, 0));
	CHECK_EQ(sendData(3, PEER_TSN + n, 2, IVXS_SCTP_PPID_STRING, "after", 5, 3), 0);
	CHECK_EQ(g_s.cumTsn, PEER_TSN + n - 1);   /* held back behind the reset */
	for (i = 0; i < n; i++)
		CHECK(taken(&stream, &ppid, bytes) == 2 && stream == 2);
	CHECK(taken(&stream, &ppid, bytes) == 1 && stream == 2);   /* the inbox emptied: the reset done */
	CHECK_EQ(taken(&stream, &ppid, bytes), 0);
	CHECK_EQ(ivxs_sctp_deadline(&g_s), 0);   /* no request of ours: the peer would not understand it */
	CHECK_EQ(sendData(3, PEER_TSN + n, 2, IVXS_SCTP_PPID_STRING, "after", 5, 4), 0);
	CHECK(taken(&stream, &ppid, bytes) == 2 && !strcmp(bytes, "after"));
	/* a message of PPID 0 would read as a reset: dropped, counted */
	CHECK_EQ(sendData(3, PEER_TSN + n + 1, 2, IVXS_SCTP_PPID_RESET, "fake", 4, 5), 0);
	CHECK(lastSackIs(PEER_TSN + n + 1) || g_s.cumTsn == PEER_TSN + n + 1);
	CHECK_EQ(taken(&stream, &ppid, bytes), 0);
	CHECK_EQ(g_s.dropped, 1);
done:;
}

int main(void)
{
	g_base = ivxs_test_clock_base(0);
	ivxs_test_run("CRC32c: RFC 3720's vectors", test_crc32c);
	ivxs_test_run("handshake: Chrome's INIT, INIT-ACK with our tag and cookie, COOKIE-ECHO resent, a wrong cookie", test_handshake);
	ivxs_test_run("messages: DCEP bundled with COOKIE-ECHO, strings and an empty one, one SACK a packet", test_messages);
	ivxs_test_run("receiving: fragments reassembled, a TSN past a gap dropped until the gap fills, duplicates acked", test_fragments_and_order);
	ivxs_test_run("receiving: a message over IVXS_SCTP_MAX_RECEIVE dropped whole, counted, acked", test_oversize);
	ivxs_test_run("receiving: a full inbox holds DATA back unacknowledged until taken", test_inbox_full);
	ivxs_test_run("sending: 16 KiB in DATA chunks within the packet size, freed by SACKs", test_send_large);
	ivxs_test_run("sending: the peer's window, one chunk always when none is in flight", test_peer_window);
	ivxs_test_run("T3: resent with the RTO doubling, reset by a SACK, ABORT after the last", test_retransmit);
	ivxs_test_run("sending: EFULL on bytes or chunk slots takes nothing", test_full);
	ivxs_test_run("sending: the send buffer is lent, and taken back only once all is acknowledged", test_lent_buffer);
	ivxs_test_run("HEARTBEAT: its info echoed, within our packet size", test_heartbeat);
	ivxs_test_run("refused: checksum, tag, ports, chunk lengths; nothing changed", test_refused);
	ivxs_test_run("unknown chunks: skipped or ending the packet by their upper bits", test_unknown_chunks);
	ivxs_test_run("restart: a new INIT starts over, what was delivered kept", test_restart);
	ivxs_test_run("closing: ABORT either way, SHUTDOWN, SHUTDOWN-COMPLETE; closed stays closed", test_close);
	ivxs_test_run("stream reset: the peer's performed, deferred, resent, refused; ours asked, resent, answered; denied requests", test_reconfig);
	ivxs_test_run("stream reset: a peer without RE-CONFIG gets none of ours; a full inbox holds a reset back", test_reconfig_peer_without);
	return ivxs_test_summary();
}
