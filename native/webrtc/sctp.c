/*
 * SCTP for WebRTC DataChannels, the camera passive (sctp.h). Section numbers are RFC 4960's.
 */
#include "sctp.h"

#include <string.h>

#include "ivxs_bytes.h"
#define COMMON_HEADER 12
#define CHUNK_HEADER 4
#define DATA_HEADER 16          /* chunk header, TSN, stream, SSN, PPID */
#define INIT_FIXED 20           /* chunk header, initiate tag, a_rwnd, OS, MIS, initial TSN */
#define SACK_FIXED 16           /* chunk header, cumulative TSN ack, a_rwnd, gap and duplicate counts */
#define INBOX_HEADER 8          /* stream (2), ppid (4), length (2) before each message */
#define MAX_FRAGMENT (IVXS_SCTP_MAX_PACKET - COMMON_HEADER - DATA_HEADER)
#define COOKIE_PARAM 7
#define SUPPORTED_EXTENSIONS 0x8008   /* the INIT / INIT-ACK parameter listing extension chunk types (RFC 5061 §4.2.7) */
#define RECONFIG 130                  /* RE-CONFIG (RFC 6525 §3.1) */
#define REQUEST_FIXED 16              /* Outgoing SSN Reset Request: type, length, request seq, response seq, last TSN */
#define RESPONSE_LEN 12               /* Re-configuration Response: type, length, response seq, result */
#define ALL_STREAMS ((uint16_t)((1u << IVXS_SCTP_STREAMS) - 1))
#define ABORT_T 0x01            /* the T bit of ABORT and SHUTDOWN-COMPLETE (§8.5.1): the sender's own tag */

enum {
	DATA = 0, INIT = 1, INIT_ACK = 2, SACK = 3, HEARTBEAT = 4, HEARTBEAT_ACK = 5, ABORT = 6,
	SHUTDOWN = 7, SHUTDOWN_ACK = 8, COOKIE_ECHO = 10, COOKIE_ACK = 11, SHUTDOWN_COMPLETE = 14
};
enum { DATA_E = 0x01, DATA_B = 0x02 };
/* RE-CONFIG parameters and results (RFC 6525 §4) */
enum { OUT_RESET = 13, IN_RESET = 14, TSN_RESET = 15, RECONFIG_RESPONSE = 16, ADD_OUT = 17, ADD_IN = 18 };
enum { PERFORMED = 1, DENIED = 2, BAD_SEQUENCE = 5, IN_PROGRESS = 6, ALREADY_IN_PROGRESS = 7 };
typedef char streams_fit_a_mask[IVXS_SCTP_STREAMS <= 16 ? 1 : -1];

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

/* CRC32c, reflected polynomial 0x82F63B78, four bits at a time: a 64-byte table instead of 1 KiB. */
static const uint32_t kCrcNibble[16] = {
	0x00000000, 0x105ec76f, 0x20bd8ede, 0x30e349b1, 0x417b1dbc, 0x5125dad3, 0x61c69362, 0x7198540d,
	0x82f63b78, 0x92a8fc17, 0xa24bb5a6, 0xb21572c9, 0xc38d26c4, 0xd3d3e1ab, 0xe330a81a, 0xf36e6f75
};

static uint32_t crcUpdate(uint32_t crc, const uint8_t *data, size_t len)
{
	size_t i;
	for (i = 0; i < len; i++) {
		crc ^= data[i];
		crc = crc >> 4 ^ kCrcNibble[crc & 15];
		crc = crc >> 4 ^ kCrcNibble[crc & 15];
	}
	return crc;
}

uint32_t ivxs_sctp_crc32c(const uint8_t *data, size_t len)
{
	return ~crcUpdate(0xffffffffu, data, len);
}

/* The checksum as a packet carries it: computed over the packet with its checksum field zero,
 * stored least significant byte first (Appendix B, as the Linux kernel, usrsctp and dcSCTP do). */
static uint32_t packetCrc(const uint8_t *packet, size_t len)
{
	static const uint8_t zero[4] = { 0 };
	uint32_t crc = crcUpdate(0xffffffffu, packet, 8);
	crc = crcUpdate(crc, zero, 4);
	return ~crcUpdate(crc, packet + COMMON_HEADER, len - COMMON_HEADER);
}

/* ---- what we send: chunks bundled into one packet at a time, in a buffer on the caller's stack ---- */

typedef struct {
	ivxs_sctp *s;
	uint8_t *buf;   /* IVXS_SCTP_MAX_PACKET bytes */
	size_t len;     /* 0 while no chunk is in it */
	unsigned packets;   /* sent so far in this call */
} outbox;

static void flush(outbox *o)
{
	ivxs_sctp *s = o->s;
	uint32_t crc;
	if (o->len > COMMON_HEADER) {
		ivxs_put16(o->buf, s->localPort);
		ivxs_put16(o->buf + 2, s->remotePort);
		ivxs_put32(o->buf + 4, s->remoteTag);
		crc = packetCrc(o->buf, o->len);
		ivxs_put_le32(o->buf + 8, crc);
		if (s->sendFn)
			(void)s->sendFn(s->sendCtx, o->buf, o->len);   /* a packet lost here is one lost on the way: T3 or the peer resends */
		o->packets++;
	}
	o->len = 0;
}

/* A chunk of `valueLen` bytes after its header, padded; the packet so far goes out first when the
 * chunk would not fit it. NULL if it cannot fit even an empty packet. */
static uint8_t *addChunk(outbox *o, uint8_t type, uint8_t flags, size_t valueLen)
{
	size_t size = CHUNK_HEADER + valueLen, padded = pad4(size);
	uint8_t *p;
	if (COMMON_HEADER + padded > IVXS_SCTP_MAX_PACKET)
		return NULL;
	if (o->len + padded > IVXS_SCTP_MAX_PACKET)
		flush(o);
	if (!o->len)
		o->len = COMMON_HEADER;
	p = o->buf + o->len;
	p[0] = type;
	p[1] = flags;
	ivxs_put16(p + 2, (uint16_t)size);
	memset(p + size, 0, padded - size);
	o->len += padded;
	return p + CHUNK_HEADER;
}

/* ---- receiving ---- */

/* The inbox's untaken messages moved to its start: its free space in one piece. */
static void compactInbox(ivxs_sctp *s)
{
	if (!s->inboxTaken)
		return;
	memmove(s->inbox, s->inbox + s->inboxTaken, s->inboxLen - s->inboxTaken);
	s->inboxLen -= s->inboxTaken;
	s->inboxTaken = 0;
}

static size_t inboxFree(const ivxs_sctp *s)
{
	return IVXS_SCTP_INBOX - (s->inboxLen - s->inboxTaken);
}

/* Our a_rwnd: what the inbox still takes beyond the message being put together and its header. */
static uint32_t ourWindow(const ivxs_sctp *s)
{
	size_t free = inboxFree(s), held = s->partLen + INBOX_HEADER;
	return free > held ? (uint32_t)(free - held) : 0;
}

static int performReset(ivxs_sctp *s);

/* A DATA chunk (§6.2): 1 when it calls for a SACK (taken, a duplicate, or out of order), 0 when
 * not (no user data). Only the next TSN in order is taken, and only when the message it belongs
 * to still fits the inbox — and, past a stream reset the peer asked for, only once that reset is
 * done (RFC 6525 §5.2.2: what it sent after asking is for the reset streams). */
static int onData(ivxs_sctp *s, const uint8_t *c, size_t len)
{
	uint8_t flags = c[1];
	uint32_t tsn = ivxs_get32(c + 4);
	uint16_t stream = ivxs_get16(c + 8);
	uint32_t ppid = ivxs_get32(c + 12);
	const uint8_t *payload = c + DATA_HEADER;
	size_t n = len - DATA_HEADER, base;
	int begins = (flags & DATA_B) != 0, ends = (flags & DATA_E) != 0, discard;
	if (!n)
		return 0;   /* no user data (§6.2 asks for an ABORT): ignored */
	if (tsn != s->cumTsn + 1)
		return 1;   /* a duplicate (acknowledged again) or past a gap (dropped: the peer resends it) */
	if (s->deferred && (int32_t)(s->cumTsn - s->peerResetTsn) >= 0 && !performReset(s))
		return 1;   /* a reset due, waiting for inbox room: what came after it waits too */
	/* on a stream we did not offer, or a fragment not of the message being put together:
	 * acknowledged, its bytes dropped (and that message with them) */
	discard = stream >= IVXS_SCTP_STREAMS || (!begins && (!s->assembling || stream != s->partStream));
	base = begins ? 0 : s->partLen;
	if (!discard && !(!begins && s->dropping) && base + n <= IVXS_SCTP_MAX_RECEIVE
			&& inboxFree(s) < base + n + INBOX_HEADER)
		return 1;   /* no room for the message: not taken, our SACK's a_rwnd tells the peer to wait */
	s->cumTsn = tsn;
	if (discard) {
		s->assembling = s->dropping = 0;
		s->partLen = 0;
		return 1;
	}
	if (begins) {   /* a message's start (a previous one left unfinished is given up) */
		s->assembling = 1;
		s->dropping = 0;
		s->partLen = 0;
		s->partStream = stream;
		s->partPpid = ppid;
	}
	if (!s->dropping && s->partLen + n > IVXS_SCTP_MAX_RECEIVE) {
		s->dropping = 1;
		s->dropped++;
	}
	if (!s->dropping) {
		memcpy(s->part + s->partLen, payload, n);
		s->partLen += n;
	}
	if (ends) {
		if (!s->dropping && s->partPpid == IVXS_SCTP_PPID_RESET)
			s->dropped++;   /* PPID 0 is no DataChannel's: it would read as a stream reset */
		else if (!s->dropping) {
			uint8_t *m = s->inbox + s->inboxLen;
			ivxs_put16(m, s->partStream);
			ivxs_put32(m + 2, s->partPpid);
			ivxs_put16(m + 6, (uint16_t)s->partLen);
			memcpy(m + INBOX_HEADER, s->part, s->partLen);
			s->inboxLen += INBOX_HEADER + s->partLen;
		}
		s->assembling = s->dropping = 0;
		s->partLen = 0;
	}
	(void)performReset(s);   /* the last TSN a deferred reset waited for */
	return 1;
}

int ivxs_sctp_take(ivxs_sctp *s, uint16_t *stream, uint32_t *ppid, const uint8_t **data, size_t *len)
{
	size_t n;
	compactInbox(s);
	if (s->inboxLen < INBOX_HEADER && s->deferred)
		(void)performReset(s);   /* the inbox is empty now: room for a reset that waited for it */
	if (s->inboxLen < INBOX_HEADER)
		return 0;
	n = ivxs_get16(s->inbox + 6);
	*stream = ivxs_get16(s->inbox);
	*ppid = ivxs_get32(s->inbox + 2);
	*data = s->inbox + INBOX_HEADER;
	*len = n;
	s->inboxTaken = INBOX_HEADER + n;
	return 1;
}

/* ---- sending ---- */

/* Bytes of ours sent and not yet acknowledged. */
static size_t inFlight(const ivxs_sctp *s)
{
	size_t bytes = 0;
	unsigned i;
	for (i = 0; i < s->chunkCount && s->chunks[i].sent; i++)
		bytes += s->chunks[i].len;
	return bytes;
}

static void putData(outbox *o, ivxs_sctp_chunk *c)
{
	uint8_t *p = addChunk(o, DATA, c->flags, DATA_HEADER - CHUNK_HEADER + c->len);
	ivxs_sctp *s = o->s;
	ivxs_put32(p, c->tsn);
	ivxs_put16(p + 4, c->stream);
	ivxs_put16(p + 6, c->ssn);
	ivxs_put32(p + 8, c->ppid);
	memcpy(p + 12, s->send + c->offset, c->len);
	if (c->sent < 255)
		c->sent++;
}

/* Chunks not sent yet, as far as the peer's window takes them (one at least when none is in
 * flight, §6.1 rule B) and in at most IVXS_SCTP_MAX_BURST packets a call (§6.1 D); T3 started for them. */
static void transmit(outbox *o)
{
	ivxs_sctp *s = o->s;
	size_t flying = inFlight(s);
	unsigned i;
	int sentAny = 0;
	for (i = 0; i < s->chunkCount; i++) {
		ivxs_sctp_chunk *c = &s->chunks[i];
		if (c->sent)
			continue;
		if (flying && c->len > s->peerRwnd)
			break;
		if (o->packets + (o->len ? 1 : 0) + (o->len && o->len + pad4(DATA_HEADER + c->len) <= IVXS_SCTP_MAX_PACKET ? 0 : 1) > IVXS_SCTP_MAX_BURST)
			break;   /* Max.Burst: the rest go with the SACKs these bring */
		s->peerRwnd = c->len < s->peerRwnd ? s->peerRwnd - c->len : 0;
		flying += c->len;
		putData(o, c);
		sentAny = 1;
	}
	if (sentAny && !s->t3)
		s->t3 = s->now + s->rto;
}

/* A SACK (§6.2.1): chunks acknowledged by its cumulative TSN ack freed; gap blocks ignored. */
static void onSack(ivxs_sctp *s, const uint8_t *c)
{
	uint32_t ack = ivxs_get32(c + 4), window = ivxs_get32(c + 8);
	uint32_t had = (s->chunkCount ? s->chunks[0].tsn : s->nextTsn) - 1;
	uint32_t highest = s->nextTsn - 1;
	unsigned acked, i;
	size_t freed, flying;
	for (i = 0; i < s->chunkCount; i++)
		if (!s->chunks[i].sent) {
			highest = s->chunks[i].tsn - 1;
			break;
		}
	/* counted from the ack we had: older ones wrap to large counts (serial arithmetic would leave
	 * one 2^31 away undefined, RFC 1982) */
	if ((uint32_t)(ack - had) > (uint32_t)(highest - had))
		return;   /* older than one we had, or of a TSN never sent: ignored */
	acked = (unsigned)(ack - had);
	if (acked) {
		freed = acked < s->chunkCount ? s->chunks[acked].offset : s->sendLen;
		memmove(s->send, s->send + freed, s->sendLen - freed);
		s->sendLen -= freed;
		for (i = acked; i < s->chunkCount; i++) {
			s->chunks[i - acked] = s->chunks[i];
			s->chunks[i - acked].offset = (uint16_t)(s->chunks[i - acked].offset - freed);
		}
		s->chunkCount -= acked;
		s->timeouts = 0;
		s->rto = IVXS_SCTP_RTO_MS;
	}
	flying = inFlight(s);
	s->peerRwnd = window > flying ? (uint32_t)(window - flying) : 0;
	if (!flying)
		s->t3 = 0;
	else if (acked)
		s->t3 = s->now + s->rto;   /* §6.3.2 R3: the earliest outstanding TSN acknowledged */
}

int ivxs_sctp_send(ivxs_sctp *s, uint16_t stream, uint32_t ppid, const uint8_t *data, size_t len, uint64_t nowMs)
{
	uint8_t buf[IVXS_SCTP_MAX_PACKET];
	outbox o = { s, buf, 0, 0 };
	size_t fragments, at;
	if (s->state != IVXS_SCTP_ESTABLISHED)
		return IVXS_WEBRTC_ECLOSED;
	if (!len || len > IVXS_SCTP_SEND_BYTES)
		return IVXS_WEBRTC_EMTU;
	if (stream >= s->streamsOut)
		return IVXS_WEBRTC_ESTREAMS;
	if ((s->toReset | s->resetting) >> stream & 1)
		return IVXS_WEBRTC_EFULL;   /* closing: its numbers restart once the peer has them reset */
	fragments = (len + MAX_FRAGMENT - 1) / MAX_FRAGMENT;
	if (!s->send || len > IVXS_SCTP_SEND_BYTES - s->sendLen || fragments > IVXS_SCTP_SEND_CHUNKS - s->chunkCount)
		return IVXS_WEBRTC_EFULL;
	s->now = nowMs;
	memcpy(s->send + s->sendLen, data, len);
	for (at = 0; at < len; at += MAX_FRAGMENT) {
		ivxs_sctp_chunk *c = &s->chunks[s->chunkCount++];
		size_t n = len - at < MAX_FRAGMENT ? len - at : MAX_FRAGMENT;
		c->tsn = s->nextTsn++;
		c->ppid = ppid;
		c->stream = stream;
		c->ssn = s->ssn[stream];
		c->offset = (uint16_t)(s->sendLen + at);
		c->len = (uint16_t)n;
		c->flags = (uint8_t)((at == 0 ? DATA_B : 0) | (at + n == len ? DATA_E : 0));
		c->sent = 0;
	}
	s->sendLen += len;
	s->ssn[stream]++;
	transmit(&o);
	flush(&o);
	return 0;
}

void ivxs_sctp_lend(ivxs_sctp *s, uint8_t *buffer)
{
	if (!s->send)
		s->send = buffer;
}

uint8_t *ivxs_sctp_reclaim(ivxs_sctp *s)
{
	uint8_t *buffer = s->send;
	if (s->chunkCount || s->sendLen)
		return NULL;
	s->send = NULL;
	return buffer;
}

/* ---- stream reset (RFC 6525, as RFC 8831 §6.7 closes a DataChannel) ---- */

static unsigned bitCount(uint16_t mask)
{
	unsigned n = 0;
	for (; mask; mask &= (uint16_t)(mask - 1))
		n++;
	return n;
}

/* The peer's deferred reset, done when everything it sent before asking is here and the inbox
 * has room for a record per stream: the records go in order with the messages, a message of
 * theirs half put together is given up, and our outgoing streams of the same numbers are to be
 * reset in turn (when the peer takes our requests). 1 when none is left waiting. */
static int performReset(ivxs_sctp *s)
{
	unsigned i;
	if (!s->deferred)
		return 1;
	if ((int32_t)(s->peerResetTsn - s->cumTsn) > 0 || inboxFree(s) < bitCount(s->peerResetting) * INBOX_HEADER)
		return 0;
	for (i = 0; i < IVXS_SCTP_STREAMS; i++) {
		uint8_t *m;
		if (!(s->peerResetting >> i & 1))
			continue;
		m = s->inbox + s->inboxLen;
		ivxs_put16(m, (uint16_t)i);
		ivxs_put32(m + 2, IVXS_SCTP_PPID_RESET);
		ivxs_put16(m + 6, 0);
		s->inboxLen += INBOX_HEADER;
		if (s->assembling && s->partStream == i)
			s->assembling = s->dropping = 0, s->partLen = 0;
	}
	if (s->peerReconfig)
		s->toReset |= (uint16_t)(s->peerResetting & ((1u << s->streamsOut) - 1));
	s->deferred = 0;
	s->peerResult = PERFORMED;
	return 1;
}

static void answer(ivxs_sctp *s, uint32_t seq, uint32_t result)
{
	if (s->answers < 2) {   /* (a third in one packet goes unanswered: the peer asks again) */
		s->answerSeq[s->answers] = seq;
		s->answerResult[s->answers++] = result;
	}
}

/* 1 when `seq` numbers the peer's next request (the count moves on); otherwise answered here:
 * its last request again gets the same answer, any other number is refused (§5.2.1). */
static int nextRequest(ivxs_sctp *s, uint32_t seq)
{
	if (seq == s->peerReqSeq) {
		s->peerReqSeq++;
		return 1;
	}
	answer(s, seq, seq == s->peerReqSeq - 1 ? (s->deferred ? IN_PROGRESS : s->peerResult) : BAD_SEQUENCE);
	return 0;
}

/* An Outgoing SSN Reset Request from the peer (§5.2.2): the streams it names (none: all) reset
 * now, or once the data it sent before asking is here. One waits at a time. */
static void onResetRequest(ivxs_sctp *s, const uint8_t *p, size_t len)
{
	uint32_t seq = ivxs_get32(p + 4);
	uint16_t mask = 0;
	size_t i;
	if (s->deferred && seq == s->peerReqSeq) {
		answer(s, seq, ALREADY_IN_PROGRESS);   /* not taken: the peer asks again later */
		return;
	}
	if (!nextRequest(s, seq))
		return;
	for (i = REQUEST_FIXED; i + 2 <= len; i += 2)
		if (ivxs_get16(p + i) < IVXS_SCTP_STREAMS)
			mask |= (uint16_t)(1u << ivxs_get16(p + i));
	s->peerResetting = len < REQUEST_FIXED + 2 ? ALL_STREAMS : mask;
	s->peerResetTsn = ivxs_get32(p + 12);
	s->deferred = 1;
	s->peerResult = IN_PROGRESS;
	answer(s, seq, performReset(s) ? PERFORMED : IN_PROGRESS);
}

/* The peer's answer to our request in flight: its streams' numbers start over when performed;
 * "in progress" waits for the timer to ask again; any other answer ends the request. */
static void onResetResponse(ivxs_sctp *s, uint32_t seq, uint32_t result)
{
	unsigned i;
	if (!s->resetting || seq != s->reqSeq)
		return;   /* not about the request in flight */
	if (result == IN_PROGRESS) {
		s->reconfigAt = s->now + s->rto;
		s->reconfigTimeouts = 0;
		return;
	}
	if (result == PERFORMED)
		for (i = 0; i < IVXS_SCTP_STREAMS; i++)
			if (s->resetting >> i & 1)
				s->ssn[i] = 0;
	s->resetting = 0;
	s->reqSeq++;
	s->reconfigAt = 0;
	s->reconfigTimeouts = 0;
}

/* A RE-CONFIG chunk: each parameter read in turn; a malformed one ends the chunk. Requests we do
 * not take (incoming reset, SSN/TSN reset, more streams) are denied. */
static void onReconfig(ivxs_sctp *s, const uint8_t *c, size_t len)
{
	size_t pos = CHUNK_HEADER, plen;
	while (len - pos >= 8) {
		const uint8_t *p = c + pos;
		plen = ivxs_get16(p + 2);
		if (plen < 8 || plen > len - pos)
			return;
		switch (ivxs_get16(p)) {
		case OUT_RESET:
			if (plen >= REQUEST_FIXED)
				onResetRequest(s, p, plen);
			break;
		case RECONFIG_RESPONSE:
			if (plen >= RESPONSE_LEN)
				onResetResponse(s, ivxs_get32(p + 4), ivxs_get32(p + 8));
			break;
		case IN_RESET:
		case TSN_RESET:
		case ADD_OUT:
		case ADD_IN:
			if (nextRequest(s, ivxs_get32(p + 4))) {
				s->peerResult = DENIED;
				answer(s, ivxs_get32(p + 4), DENIED);
			}
			break;
		default:
			break;   /* a parameter we do not know: skipped */
		}
		if (pad4(plen) >= len - pos)
			break;
		pos += pad4(plen);
	}
}

/* Our RE-CONFIG: the answers due, and our request — a new one when streams wait to be reset and
 * none is in flight, or the one in flight again (`resend`). Nothing when neither. */
static void putReconfig(ivxs_sctp *s, outbox *o, int resend)
{
	size_t size, request = 0, n = 0;
	unsigned i;
	uint8_t *p;
	if (s->state != IVXS_SCTP_ESTABLISHED)
		return;
	if (!resend && s->toReset && !s->resetting) {
		s->resetting = s->toReset;
		s->toReset = 0;
		s->resetTsn = s->nextTsn - 1;
		s->reconfigAt = s->now + s->rto;
		s->reconfigTimeouts = 0;
		resend = 1;
	}
	if (resend && s->resetting)
		request = REQUEST_FIXED + 2 * bitCount(s->resetting);
	if (!s->answers && !request)
		return;
	size = s->answers * RESPONSE_LEN + pad4(request);
	p = addChunk(o, RECONFIG, 0, size);
	for (i = 0; i < s->answers; i++, p += RESPONSE_LEN) {
		ivxs_put16(p, RECONFIG_RESPONSE);
		ivxs_put16(p + 2, RESPONSE_LEN);
		ivxs_put32(p + 4, s->answerSeq[i]);
		ivxs_put32(p + 8, s->answerResult[i]);
	}
	s->answers = 0;
	if (!request)
		return;
	ivxs_put16(p, OUT_RESET);
	ivxs_put16(p + 2, (uint16_t)request);
	ivxs_put32(p + 4, s->reqSeq);
	ivxs_put32(p + 8, s->peerReqSeq - 1);   /* the last request of the peer's we saw (§4.1) */
	ivxs_put32(p + 12, s->resetTsn);
	for (i = 0; i < IVXS_SCTP_STREAMS; i++)
		if (s->resetting >> i & 1)
			ivxs_put16(p + REQUEST_FIXED + 2 * n++, (uint16_t)i);
	memset(p + request, 0, pad4(request) - request);
}

/* ---- the association ---- */

static void closeWith(ivxs_sctp *s, uint32_t reason)
{
	s->state = IVXS_SCTP_CLOSED;
	s->t3 = 0;
	if (!s->abortReason)
		s->abortReason = reason;
}

static void sendAbort(ivxs_sctp *s)
{
	uint8_t buf[IVXS_SCTP_MAX_PACKET];
	outbox o = { s, buf, 0, 0 };
	(void)addChunk(&o, ABORT, 0, 0);
	flush(&o);
}

int ivxs_sctp_setup(ivxs_sctp *s, uint16_t localPort, uint16_t remotePort, ivxs_sctp_random random, void *randomCtx,
		ivxs_sctp_send_fn send, void *sendCtx, uint64_t nowMs)
{
	memset(s, 0, sizeof(*s));   /* no tags yet: only an INIT is taken */
	s->state = IVXS_SCTP_LISTENING;
	s->localPort = localPort, s->remotePort = remotePort;
	s->random = random, s->randomCtx = randomCtx;
	s->sendFn = send, s->sendCtx = sendCtx;
	s->now = nowMs;
	s->rto = IVXS_SCTP_RTO_MS;
	return 0;
}

/* 1 when an INIT's Supported Extensions parameter lists RE-CONFIG; its other parameters (ECN,
 * Forward-TSN…) are ignored: we take none of the extensions they announce. */
static int listsReconfig(const uint8_t *c, size_t len)
{
	size_t pos = INIT_FIXED, plen, i;
	while (len - pos >= 4) {
		plen = ivxs_get16(c + pos + 2);
		if (plen < 4 || plen > len - pos)
			return 0;
		if (ivxs_get16(c + pos) == SUPPORTED_EXTENSIONS)
			for (i = 4; i < plen; i++)
				if (c[pos + i] == RECONFIG)
					return 1;
		if (pad4(plen) >= len - pos)
			break;
		pos += pad4(plen);
	}
	return 0;
}

/* An INIT (§5.1), answered by an INIT-ACK with our tag, TSN, cookie and the one extension we
 * take (RE-CONFIG). The same INIT again (the peer's
 * tag unchanged) while its COOKIE-ECHO is awaited gets the same answer: the peer may yet echo the
 * cookie of our first one. Once established, that INIT is a stale duplicate and is dropped; an
 * INIT with a new tag is the peer restarted, and everything but the inbox starts over. */
static void onInit(ivxs_sctp *s, outbox *o, const uint8_t *c, size_t len)
{
	uint32_t tag = ivxs_get32(c + 4), window = ivxs_get32(c + 8), initialTsn = ivxs_get32(c + 16);
	uint16_t outStreams = ivxs_get16(c + 12), inStreams = ivxs_get16(c + 14);
	uint8_t fresh[24], *p;
	int again = s->localTag && tag == s->remoteTag;
	if (!tag || !outStreams || !inStreams)
		return;   /* invalid (§3.3.2): dropped */
	if (again && s->state == IVXS_SCTP_ESTABLISHED)
		return;
	if (!again) {
		if (!s->random || s->random(s->randomCtx, fresh, sizeof(fresh)))
			return;   /* no tag to give: the peer resends its INIT */
		s->localTag = ivxs_get32(fresh) ? ivxs_get32(fresh) : 1;
		s->nextTsn = ivxs_get32(fresh + 4);
		memcpy(s->cookie, fresh + 8, sizeof(s->cookie));
		s->remoteTag = tag;
	}
	s->state = IVXS_SCTP_LISTENING;
	s->cumTsn = initialTsn - 1;
	s->assembling = s->dropping = 0;
	s->partLen = 0;
	s->peerRwnd = window;
	memset(s->ssn, 0, sizeof(s->ssn));
	s->streamsOut = inStreams < IVXS_SCTP_STREAMS ? inStreams : IVXS_SCTP_STREAMS;
	s->chunkCount = 0;
	s->sendLen = 0;
	s->t3 = 0;
	s->rto = IVXS_SCTP_RTO_MS;
	s->timeouts = 0;
	/* requests are numbered from each side's initial TSN (RFC 6525 §5.1.1) */
	s->peerReconfig = (uint8_t)listsReconfig(c, len);
	s->peerReqSeq = initialTsn;
	s->peerResult = BAD_SEQUENCE;
	s->reqSeq = s->nextTsn;
	s->deferred = 0, s->peerResetting = 0, s->answers = 0;
	s->toReset = s->resetting = 0;
	s->reconfigAt = 0, s->reconfigTimeouts = 0;
	p = addChunk(o, INIT_ACK, 0, INIT_FIXED - CHUNK_HEADER + 4 + sizeof(s->cookie) + 8);
	ivxs_put32(p, s->localTag);
	ivxs_put32(p + 4, ourWindow(s));
	ivxs_put16(p + 8, IVXS_SCTP_STREAMS);
	ivxs_put16(p + 10, IVXS_SCTP_STREAMS);
	ivxs_put32(p + 12, s->nextTsn);
	ivxs_put16(p + 16, COOKIE_PARAM);
	ivxs_put16(p + 18, 4 + sizeof(s->cookie));
	memcpy(p + 20, s->cookie, sizeof(s->cookie));
	ivxs_put16(p + 36, SUPPORTED_EXTENSIONS);
	ivxs_put16(p + 38, 5);
	p[40] = RECONFIG;
	p[41] = p[42] = p[43] = 0;
	flush(o);
}

/* 1 when the cookie echoed is ours, compared in time independent of where it differs. */
static int cookieMatches(const ivxs_sctp *s, const uint8_t *value, size_t len)
{
	uint8_t diff = 0;
	size_t i;
	if (len != sizeof(s->cookie))
		return 0;
	for (i = 0; i < len; i++)
		diff |= (uint8_t)(value[i] ^ s->cookie[i]);
	return diff == 0;
}

/* A HEARTBEAT (§8.3): its Heartbeat Info parameter back as it came. */
static void onHeartbeat(outbox *o, const uint8_t *c, size_t len)
{
	size_t paramLen;
	uint8_t *p;
	if (len < CHUNK_HEADER + 4)
		return;
	paramLen = ivxs_get16(c + CHUNK_HEADER + 2);
	if (paramLen < 4 || paramLen > len - CHUNK_HEADER)
		return;
	p = addChunk(o, HEARTBEAT_ACK, 0, paramLen);
	if (p)
		memcpy(p, c + CHUNK_HEADER, paramLen);
}

/* The smallest length of each chunk we read (shorter ones make the packet malformed). */
static size_t minimumLength(uint8_t type)
{
	switch (type) {
	case DATA: return DATA_HEADER;
	case INIT: return INIT_FIXED;
	case SACK: return SACK_FIXED;
	case SHUTDOWN: return CHUNK_HEADER + 4;
	default: return CHUNK_HEADER;
	}
}

/* Every chunk inside the packet and long enough for what is read of it, an INIT alone with tag
 * 0, other packets with our tag (or the peer's on an ABORT or SHUTDOWN-COMPLETE with the T bit). */
static int wellFormed(const ivxs_sctp *s, const uint8_t *packet, size_t len)
{
	uint32_t tag;
	size_t pos, chunks = 0, chunkLen;
	int init = 0;
	uint8_t firstType = 0, firstFlags = 0;
	if (len < COMMON_HEADER + CHUNK_HEADER || ivxs_get16(packet) != s->remotePort || ivxs_get16(packet + 2) != s->localPort)
		return 0;
	if (packetCrc(packet, len) != ivxs_get_le32(packet + 8))
		return 0;
	for (pos = COMMON_HEADER; pos < len; pos += pad4(chunkLen)) {
		if (len - pos < CHUNK_HEADER)
			return 0;
		chunkLen = ivxs_get16(packet + pos + 2);
		if (chunkLen < minimumLength(packet[pos]) || chunkLen > len - pos)
			return 0;
		if (!chunks++)
			firstType = packet[pos], firstFlags = packet[pos + 1];
		init |= packet[pos] == INIT;
		if (pad4(chunkLen) > len - pos)
			break;   /* the last chunk, its padding left out */
	}
	tag = ivxs_get32(packet + 4);
	if (init)
		return chunks == 1 && tag == 0;   /* §8.5.1 A */
	if (s->localTag && tag == s->localTag)
		return 1;
	return (firstType == ABORT || firstType == SHUTDOWN_COMPLETE) && (firstFlags & ABORT_T) && s->remoteTag && tag == s->remoteTag;
}

int ivxs_sctp_input(ivxs_sctp *s, const uint8_t *packet, size_t len, uint64_t nowMs)
{
	uint8_t buf[IVXS_SCTP_MAX_PACKET];
	outbox o = { s, buf, 0, 0 };
	size_t pos, chunkLen;
	int sack = 0, stop = 0;
	if (s->state == IVXS_SCTP_CLOSED)
		return IVXS_WEBRTC_ECLOSED;
	if (!wellFormed(s, packet, len)) {
		s->refused++;
		return IVXS_WEBRTC_EPACKET;
	}
	s->now = nowMs;
	compactInbox(s);
	for (pos = COMMON_HEADER; pos < len && !stop; pos += pad4(chunkLen)) {
		const uint8_t *c = packet + pos;
		uint8_t type = c[0];
		chunkLen = ivxs_get16(c + 2);
		switch (type) {
		case INIT:
			onInit(s, &o, c, chunkLen);
			break;
		case COOKIE_ECHO:
			if (!cookieMatches(s, c + CHUNK_HEADER, chunkLen - CHUNK_HEADER)) {
				stop = 1;   /* not our cookie: whatever came with it is not for this association */
				break;
			}
			s->state = IVXS_SCTP_ESTABLISHED;
			(void)addChunk(&o, COOKIE_ACK, 0, 0);   /* again for a COOKIE-ECHO resent: our COOKIE-ACK was lost */
			break;
		case DATA:
			if (s->state == IVXS_SCTP_ESTABLISHED)
				sack |= onData(s, c, chunkLen);
			break;
		case SACK:
			if (s->state == IVXS_SCTP_ESTABLISHED)
				onSack(s, c);
			break;
		case HEARTBEAT:
			onHeartbeat(&o, c, chunkLen);
			break;
		case RECONFIG:
			if (s->state == IVXS_SCTP_ESTABLISHED)
				onReconfig(s, c, chunkLen);
			break;
		case ABORT:
			closeWith(s, (uint32_t)IVXS_WEBRTC_ECLOSED);
			stop = 1;
			break;
		case SHUTDOWN:
			/* §9.2 simplified: nothing of ours is waited for, the association ends with our SHUTDOWN-ACK */
			if (s->state == IVXS_SCTP_ESTABLISHED) {
				(void)addChunk(&o, SHUTDOWN_ACK, 0, 0);
				closeWith(s, (uint32_t)IVXS_WEBRTC_ECLOSED);
				stop = 1;
			}
			break;
		case SHUTDOWN_COMPLETE:
			if (s->state == IVXS_SCTP_ESTABLISHED) {
				closeWith(s, (uint32_t)IVXS_WEBRTC_ECLOSED);
				stop = 1;
			}
			break;
		case INIT_ACK:
		case HEARTBEAT_ACK:
		case SHUTDOWN_ACK:
		case COOKIE_ACK:
		case 9:    /* ERROR */
		case 12:   /* ECNE */
		case 13:   /* CWR */
			break;   /* answers to what we never send, or reports we need not act on */
		default:
			/* unknown (§3.2): its upper bit says whether the rest of the packet is read (01 would
			 * also report it, 11 too: no ERROR chunks from us) */
			stop = (type & 0x80) == 0;
			break;
		}
		if (pad4(chunkLen) > len - pos)
			break;
	}
	if (sack && s->state == IVXS_SCTP_ESTABLISHED) {
		uint8_t *p = addChunk(&o, SACK, 0, SACK_FIXED - CHUNK_HEADER);
		ivxs_put32(p, s->cumTsn);
		ivxs_put32(p + 4, ourWindow(s));
		ivxs_put32(p + 8, 0);   /* no gap blocks, no duplicate TSNs */
	}
	if (s->state == IVXS_SCTP_ESTABLISHED) {
		putReconfig(s, &o, 0);
		transmit(&o);
	}
	flush(&o);
	return s->state == IVXS_SCTP_CLOSED ? IVXS_WEBRTC_ECLOSED : 0;
}

int ivxs_sctp_tick(ivxs_sctp *s, uint64_t nowMs)
{
	uint8_t buf[IVXS_SCTP_MAX_PACKET];
	outbox o = { s, buf, 0, 0 };
	unsigned i;
	if (s->state == IVXS_SCTP_CLOSED)
		return IVXS_WEBRTC_ECLOSED;
	s->now = nowMs;
	if (s->t3 && nowMs >= s->t3) {
		/* T3-rtx expired (§6.3.3) */
		s->rto = s->rto * 2 < IVXS_SCTP_RTO_MAX_MS ? s->rto * 2 : IVXS_SCTP_RTO_MAX_MS;
		if (++s->timeouts > IVXS_SCTP_MAX_RETRANSMITS) {
			sendAbort(s);
			closeWith(s, (uint32_t)IVXS_WEBRTC_ECLOSED);
			return IVXS_WEBRTC_ECLOSED;
		}
		/* the oldest outstanding chunks again, as many as one packet holds */
		for (i = 0; i < s->chunkCount && s->chunks[i].sent; i++) {
			if (o.len && o.len + pad4(DATA_HEADER + s->chunks[i].len) > IVXS_SCTP_MAX_PACKET)
				break;
			putData(&o, &s->chunks[i]);
		}
		s->t3 = i ? nowMs + s->rto : 0;
	}
	if (s->reconfigAt && nowMs >= s->reconfigAt) {
		/* our stream reset unanswered: asked again, the wait doubling; a peer that never answers
		 * counts as one that stopped acknowledging (RFC 6525 §5.1.1) */
		if (++s->reconfigTimeouts > IVXS_SCTP_MAX_RETRANSMITS) {
			sendAbort(s);
			closeWith(s, (uint32_t)IVXS_WEBRTC_ECLOSED);
			return IVXS_WEBRTC_ECLOSED;
		}
		s->reconfigAt = nowMs + ((uint64_t)IVXS_SCTP_RTO_MS << (s->reconfigTimeouts < 3 ? s->reconfigTimeouts : 3));
		putReconfig(s, &o, 1);
	}
	putReconfig(s, &o, 0);   /* a request made by ivxs_sctp_take */
	flush(&o);
	return 0;
}

uint64_t ivxs_sctp_deadline(const ivxs_sctp *s)
{
	uint64_t due = s->t3;
	if (s->state == IVXS_SCTP_CLOSED)
		return 0;
	if (s->reconfigAt && (!due || s->reconfigAt < due))
		due = s->reconfigAt;
	if (s->toReset && !s->resetting)
		due = s->now ? s->now : 1;   /* a request to make at once */
	return due;
}

void ivxs_sctp_abort(ivxs_sctp *s)
{
	if (s->state == IVXS_SCTP_ESTABLISHED)
		sendAbort(s);
	closeWith(s, (uint32_t)IVXS_WEBRTC_ECLOSED);
}
