/*
 * The WebRTC wire's binding (rtp_wire.h): RtpFeed, one viewer's video and audio sent from the ring
 * in C — the frames read there, chosen by the viewer core (native/p2p/feed.h), packetized, numbered,
 * protected and sent without JS per frame or per packet. JS calls it per event: a push to the ring
 * or a feedback (tick), a figure. The viewer's RTCP is read here too (readRtcp): opened, gated,
 * acted on — its transport-wide feedback, its NACKs answered, its key frame requests, its reports —
 * with nothing made in JS; from a viewer reached straight it is taken as the link's socket is read
 * (a feed is an ivxs_link_taker: ivxs_kit.h), with no JS at all.
 *
 * Where its packets go (`path`, read at each call, nothing of it kept): { socket, address, port,
 * buffer, send }. With `socket` (the host's UDP socket object: the viewer is reached straight) each
 * packet is written to it by ivxs_udp_send to address (IPv4, a 32-bit number) and port; without it
 * (the viewer is reached through a TURN relay) each is copied into `buffer` (an ArrayBuffer) and
 * handed to send(buffer, length), whose exceptions are counted, never thrown into the feed. The
 * Srtp and TransportCc the session owns are in each call's entry or arguments: the feed holds no
 * pointer to them between calls. What it keeps of the path is where its last call sent: the
 * viewer's address when straight, so the socket's read knows the viewer's RTCP.
 */
#include "xsmc.h"
#include "ivxs_kit.h"
#include "ivxs_host.h"
#include "modring.h"
#include "moduplink.h"
#include "modwebrtc.h"
#include "p2p_ring_source.h"
#include "rtcp.h"
#include "rtp_wire.h"
#include "ring.h"
#include "srtp.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	ivxs_rtp_wire wire;
	ivxs_p2p_ring_source source;
	void *ring;                  /* the ring held (ivxs_ring_hold) */
	void *uplink;                /* the viewers' uplink shared (ivxs_uplink_hold), or NULL */
	ivxs_uplink_share share;     /* the viewer's part of it (attached while `uplink`) */
	uint8_t busy, closing;       /* a call is inside the feed; close() came meanwhile */
	uint32_t refused;            /* packets the path did not take (the system) */
	uint32_t unwalkable;         /* the feed's unwalkable frames the path was told of */
	/* where its last call sent: straight to ip:port (the socket's read takes the viewer's RTCP from
	 * there), or not (through a relay: its RTCP comes through JS) */
	uint8_t straight, ip[4];
	uint16_t port;
	uint64_t wall;               /* Unix ms at `wallMs` (its last tick): a taken RTCP's clock */
	uint32_t wallMs;
	/* the viewer's RTCP (readRtcp) */
	p2p_bucket rtcpGate;         /* read at most IVXS_WEBRTC_RTCP_PER_SECOND */
	uint32_t rtcp, refusedRtcp, droppedRtcp, keyFrameRequests, requestsInRepair;
	uint32_t rtcpTaken;          /* of `rtcp`, those read as the socket was read (no JS) */
	uint32_t jitter;             /* its last report on the video: jitter (RTP units), fraction lost (/256) */
	uint8_t lost;
	int32_t rttMs;               /* the round trip its reports timed (-1: none yet) */
	uint8_t fed, failed;         /* taken from the socket since feedsFed asked: a feedback; a failure (its entry's error) */
} FeedRecord;

/* Where a call's packets go (`path`'s properties, read once per call into a feed), and the call's
 * slots it works in: `path` itself, `socket` (the host's socket, or undefined), `work` (three for
 * the relay's send) and `thrown` (the first exception of the path's send(), thrown when the feed is
 * done — a viewer's fault ends that viewer). */
typedef struct {
	xsMachine *the;
	FeedRecord *r;
	xsSlot *path, *socket, *work[3], *thrownSlot;
	uint8_t ip[4];
	uint16_t port;
	uint8_t straight;
	uint8_t thrown;              /* the path's send() threw: its exception is in *thrownSlot */
} Path;

/* The packet buffer every feed's wire makes its packets in (rtp_wire.h): one VM thread, and one
 * call into a feed at a time (`gSending`: a path's send() that called a feed again would find it so).
 * Word-aligned, so an RTP payload (a multiple of 4 bytes in) is too: a board's AES engine XORs
 * its keystream a word at a time there (hosts/esp32s3/engines/engines.c). */
static _Alignas(uint32_t) uint8_t gPacket[IVXS_RTP_WIRE_BUFFER_BYTES];
static uint8_t gSending;

void xs_webrtc_feed_destructor(void *data);
static const xsHostHooks kFeedHooks = { xs_webrtc_feed_destructor, NULL, NULL };
/* A feed's entry is a link taker's peer: its viewer's RTCP taken as the socket is read. */
static int takeRtcp(xsMachine *the, xsSlot *entry, xsSlot *socket, const uint8_t from[6], const uint8_t *data, size_t length,
	uint32_t now, int var);
static const ivxs_link_taker kFeedTaker = { &kFeedHooks, takeRtcp };

static void feedFree(FeedRecord *r)
{
	ivxs_feed_share_uplink(&r->wire.feed, NULL);
	ivxs_uplink_detach(&r->share);
	ivxs_uplink_unhold(&r->uplink);
	ivxs_p2p_ring_source_close(&r->source);
	ivxs_ring_unhold(&r->ring);
	free(r);
	ivxs_mem_add(&gWebrtcMemory, -(int64_t)sizeof(FeedRecord));
}

void xs_webrtc_feed_destructor(void *data)
{
	if (data)
		feedFree(data);
}

/* A packet out: straight to the socket, or through the path's send(). */
static int output(void *ctx, const uint8_t *datagram, size_t len)
{
	Path *p = ctx;
	xsMachine *the = p->the;
	volatile int taken = 0;   /* (read after the try: kept out of a register setjmp restores) */
	if (p->straight) {
		int sent = ivxs_udp_send(the, p->socket, p->ip, p->port, datagram, len);
		if (sent != IVXS_UDP_NO_SOCKET) {
			if (sent)
				p->r->refused++;
			return sent;
		}
		p->straight = 0;   /* no socket now: the path's send() */
	}
	if (p->thrown)
		return -1;   /* (its session fails once the feed is done: nothing more goes) */
	if (!p->path) {   /* (a call from the socket's read sends straight only) */
		p->r->refused++;
		return -1;
	}
	xsTry {   /* anything of the path's that throws is caught: the call still ends through done() */
		xsmcGet(*p->work[0], *p->path, xsID("buffer"));
		if (xsmcTypeOf(*p->work[0]) == xsReferenceType && xsmcIsInstanceOf(*p->work[0], xsArrayBufferPrototype)
				&& (size_t)xsmcGetArrayBufferLength(*p->work[0]) >= len) {
			memcpy(xsmcToArrayBuffer(*p->work[0]), datagram, len);
			xsmcSetInteger(*p->work[1], (xsIntegerValue)len);
			xsmcGet(*p->work[2], *p->path, xsID("send"));
			xsCallFunction2(*p->work[2], *p->path, *p->work[0], *p->work[1]);
			taken = 1;
		}
	}
	xsCatch {
		*p->thrownSlot = xsException;
		p->thrown = 1;
		return -1;
	}
	if (!taken) {
		p->r->refused++;
		return -1;
	}
	return 0;
}

/* The call's `p` (cleared) in five of the caller's variables from xsVar(var) on, for the feed `r`. */
static void begin(xsMachine *the, Path *p, FeedRecord *r, int var)
{
	memset(p, 0, sizeof(*p));
	p->the = the;
	p->r = r;
	p->socket = &xsVar(var);   /* (xsVar(i) is scope[-1 - i]: one slot's address each, not an array) */
	p->work[0] = &xsVar(var + 1);
	p->work[1] = &xsVar(var + 2);
	p->work[2] = &xsVar(var + 3);
	p->thrownSlot = &xsVar(var + 4);
}

/* The session's SRTP (`srtp`) and CC (`cc`, or undefined) lent to the call's feed, marked busy
 * (release with done()); nothing that can throw after. */
static void lend(xsMachine *the, Path *p, xsSlot *srtpSlot, xsSlot *ccSlot)
{
	ivxs_srtp *srtp = ivxs_handle_open(the, srtpSlot, &kWebrtcSrtpHooks, "webrtc", "Srtp");
	CcRecord *cc = xsmcTypeOf(*ccSlot) == xsUndefinedType ? NULL : ivxs_handle_open(the, ccSlot, &kWebrtcCcHooks, "webrtc", "TransportCc");
	FeedRecord *r = p->r;
	if (gSending)
		ivxs_error(IVXS_EARG, "webrtc: a feed called from a feed's send");
	ivxs_rtp_wire_lend(&r->wire, srtp, cc ? &cc->twcc : NULL, gPacket);
	r->wire.output_ctx = p;
	r->busy = 1;
	gSending = 1;
}

/* The feed in `feed` with the session's SRTP and CC lent, its packets to `path` (read now), whose
 * straight address the feed keeps: the socket's read takes the viewer's RTCP from there. */
static FeedRecord *enter(xsMachine *the, Path *p, xsSlot *feed, xsSlot *srtpSlot, xsSlot *ccSlot, xsSlot *path, int var)
{
	FeedRecord *r = ivxs_handle_open(the, feed, &kFeedHooks, "webrtc", "RtpFeed");
	uint32_t address;
	if (xsmcTypeOf(*path) != xsReferenceType)
		ivxs_type_error(IVXS_EARG, "webrtc: a feed's path is an object { socket, address, port, buffer, send }");
	begin(the, p, r, var);
	p->path = path;
	xsmcGet(*p->socket, *path, xsID("socket"));
	if (xsmcTypeOf(*p->socket) != xsUndefinedType) {
		xsmcGet(*p->work[0], *path, xsID("address"));
		address = (uint32_t)ivxs_integer(the, p->work[0], 0, 0xffffffff, "webrtc", "address");
		xsmcGet(*p->work[0], *path, xsID("port"));
		p->port = (uint16_t)ivxs_integer(the, p->work[0], 1, 0xffff, "webrtc", "port");
		p->ip[0] = (uint8_t)(address >> 24);
		p->ip[1] = (uint8_t)(address >> 16);
		p->ip[2] = (uint8_t)(address >> 8);
		p->ip[3] = (uint8_t)address;
		p->straight = 1;
	}
	lend(the, p, srtpSlot, ccSlot);
	r->straight = p->straight;
	memcpy(r->ip, p->ip, 4);
	r->port = p->port;
	return r;
}

/* The call is done: the feed lends nothing any more; freed if close() came meanwhile. A frame the
 * wire could not walk is told to path.unwalkable(code) (the session logs it); what the path's send()
 * threw, or a protect that failed, is thrown now (the session fails). */
static void done(xsMachine *the, FeedRecord *r, Path *p)
{
	int fault = r->wire.fault;
	uint32_t unwalkable = r->wire.feed.stats.unwalkable;
	ivxs_rtp_wire_lend(&r->wire, NULL, NULL, NULL);
	r->wire.output_ctx = NULL;
	r->busy = 0;
	gSending = 0;
	r->wire.fault = 0;
	if (r->closing) {
		feedFree(r);
		return;
	}
	if (p->thrown)
		xsThrow(*p->thrownSlot);
	if (fault)
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "webrtc", fault, kWebrtcTables);
	if (unwalkable != r->unwalkable && p->path) {   /* (told at the next call with a path otherwise) */
		r->unwalkable = unwalkable;
		xsmcGet(*p->work[0], *p->path, xsID("unwalkable"));
		if (xsmcTypeOf(*p->work[0]) != xsUndefinedType) {
			xsmcSetString(*p->work[1], (char *)ivxs_status_name(kWebrtcTables, r->wire.feed.stats.last_unwalkable));
			xsCallFunction1(*p->work[0], *p->path, *p->work[1]);
		}
	}
}

/* createFeed(ring, codec, videoSsrc, videoSeq, videoPt, audioCodec, audioSsrc, audioSeq, audioPt,
 * audioCounted, twccId, now) -> an RtpFeed from the ring's newest key frame. codec: 1 H.264, 2
 * H.265; audioCodec: the ring's G.711 track sent (IVXS_CODEC_PCMU 4 / PCMA 5), or 0: no audio;
 * twccId: the TWCC extension's id (0: none). */
void xs_webrtc_feed_create(xsMachine *the)
{
	int codec = (int)ivxs_integer(the, &xsArg(1), IVXS_ANNEXB_H264, IVXS_ANNEXB_H265, "webrtc", "codec");
	uint32_t videoSsrc = (uint32_t)ivxs_integer(the, &xsArg(2), 0, 0xffffffff, "webrtc", "videoSsrc");
	uint16_t videoSeq = (uint16_t)ivxs_integer(the, &xsArg(3), 0, 0xffff, "webrtc", "videoSeq");
	uint8_t videoPt = (uint8_t)ivxs_integer(the, &xsArg(4), 0, 127, "webrtc", "videoPt");
	int audioCodec = (int)ivxs_integer(the, &xsArg(5), 0, IVXS_CODEC_PCMA, "webrtc", "audioCodec");
	uint32_t audioSsrc = (uint32_t)ivxs_integer(the, &xsArg(6), 0, 0xffffffff, "webrtc", "audioSsrc");
	uint16_t audioSeq = (uint16_t)ivxs_integer(the, &xsArg(7), 0, 0xffff, "webrtc", "audioSeq");
	uint8_t audioPt = (uint8_t)ivxs_integer(the, &xsArg(8), 0, 127, "webrtc", "audioPt");
	int audioCounted = xsmcTest(xsArg(9));
	uint8_t twccId = (uint8_t)ivxs_integer(the, &xsArg(10), 0, 14, "webrtc", "twccId");
	uint32_t now = ivxs_clock_ms(the, &xsArg(11), "webrtc", "now");
	ivxs_p2p_frame_source src;
	FeedRecord *r;
	ivxs_ring *ring;
	void *token = NULL;
	int status;
	if (audioCodec && audioCodec != IVXS_CODEC_PCMU && audioCodec != IVXS_CODEC_PCMA)
		ivxs_range_error(IVXS_EARG, "webrtc: a feed's audio is the ring's G.711 track (4 PCMU, 5 PCMA) or none (0)");
	ring = ivxs_ring_hold(the, &xsArg(0), &token);
	if (!(r = calloc(1, sizeof(*r)))) {
		ivxs_ring_unhold(&token);
		ivxs_error(IVXS_ENOMEM, "webrtc: no memory");
	}
	r->ring = token;
	if ((status = ivxs_p2p_ring_source_init(&r->source, ring, 0, &src))) {
		ivxs_ring_unhold(&r->ring);
		free(r);
		ivxs_error(IVXS_RING_EREADERS, "webrtc: the ring has no free reader");
	}
	ivxs_p2p_ring_source_audio(&r->source, audioCodec ? audioCodec : -1);
	ivxs_rtp_wire_init(&r->wire, codec, videoSsrc, videoSeq, videoPt, audioCodec != 0, audioSsrc, audioSeq, audioPt,
		audioCounted, twccId, &src, output, NULL, now);
	ivxs_link_taker_add(&kFeedTaker);
	p2p_gate_init(&r->rtcpGate, IVXS_WEBRTC_RTCP_PER_SECOND, now);
	r->rttMs = -1;
	r->wallMs = now;
	ivxs_mem_register(&gWebrtcMemory);
	ivxs_mem_add(&gWebrtcMemory, (int64_t)sizeof(*r));
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostHooks(xsResult, &kFeedHooks);
	xsmcSetHostData(xsResult, r);
}

/* A feed's delay as JS takes it: ms, or -1 for IVXS_FEED_IDLE (when a frame or a feedback comes). */
static xsIntegerValue delayOf(uint32_t delay)
{
	return delay == IVXS_FEED_IDLE ? -1 : (xsIntegerValue)(delay > 0x7fffffff ? 0x7fffffff : delay);
}

/* Unix time in ms (a sender report's and a round trip's NTP clock): a whole number from 0 to 2^53. */
static uint64_t wallOf(xsMachine *the, xsSlot *slot)
{
	return (uint64_t)ivxs_integer(the, slot, 0, 9007199254740991.0, "webrtc", "wall");
}

/* Whether an entry's feed sends at `now` (u32 ms): its sendUntil (a number of the same clock, 0:
 * closed) is later — within a consent's reach of it, so the u32 difference tells. */
static int sendsAt(xsMachine *the, xsSlot *sendUntil, uint32_t now)
{
	double until;
	if (!(xsmcTypeOf(*sendUntil) == xsNumberType || xsmcTypeOf(*sendUntil) == xsIntegerType))
		return 0;
	until = xsmcToNumber(*sendUntil);
	return until > 0 && until <= IVXS_MAX_SAFE_INTEGER && (int32_t)((uint32_t)(uint64_t)until - now) > 0;
}

/* The feed's tick (entered), its wall clock kept: the RTCP the socket's read takes is timed by it. */
static uint32_t tickAt(FeedRecord *r, uint32_t now, uint64_t wall)
{
	r->wall = wall;
	r->wallMs = now;
	return ivxs_rtp_wire_tick(&r->wire, now, wall);
}

/* feedTick(feed, srtp, cc, path, now, wall) -> milliseconds until it should be called again (-1: when
 * a frame or a feedback comes). `wall`: Unix ms, the sender reports' clock. */
void xs_webrtc_feed_tick(xsMachine *the)
{
	uint32_t now = ivxs_clock_ms(the, &xsArg(4), "webrtc", "now"), delay;
	uint64_t wall = wallOf(the, &xsArg(5));
	Path p;
	FeedRecord *r;
	xsmcVars(5);
	r = enter(the, &p, &xsArg(0), &xsArg(1), &xsArg(2), &xsArg(3), 0);
	delay = tickAt(r, now, wall);
	done(the, r, &p);
	xsmcSetInteger(xsResult, delayOf(delay));
}

/* feedsTick(entries, now, wall, out) -> milliseconds until the soonest of them wants another tick (-1:
 * when a frame or a feedback comes). Each entry (RtpFeed.entry: [feed, srtp, cc, path, sendUntil,
 * error]) whose sendUntil is later than `now` is ticked, from the last: one call for every viewer
 * at a push to the ring, not one each. What one entry's tick throws (its path's send(), a protect
 * that failed) is put in its error slot and the others go on; out[0]: how many threw. */
void xs_webrtc_feeds_tick(xsMachine *the)
{
	uint32_t now = ivxs_clock_ms(the, &xsArg(1), "webrtc", "now");
	uint64_t wall = wallOf(the, &xsArg(2));
	volatile uint32_t soonest = IVXS_FEED_IDLE;   /* (volatile: kept across each entry's setjmp) */
	volatile int32_t failed = 0;
	int32_t n, i;
	if (xsmcTypeOf(xsArg(0)) != xsReferenceType || !xsmcIsInstanceOf(xsArg(0), xsArrayPrototype)
			|| xsmcTypeOf(xsArg(3)) != xsReferenceType || !xsmcIsInstanceOf(xsArg(3), xsArrayPrototype))
		ivxs_type_error(IVXS_EARG, "webrtc: feedsTick takes an Array of entries and an Array for its counts");
	xsmcVars(11);
	xsmcGet(xsVar(0), xsArg(0), xsID("length"));
	n = (int32_t)ivxs_integer(the, &xsVar(0), 0, 0x7fffffff, "webrtc", "entries");
	for (i = n - 1; i >= 0; i--) {
		xsmcGetIndex(xsVar(5), xsArg(0), i);
		if (xsmcTypeOf(xsVar(5)) != xsReferenceType || !xsmcIsInstanceOf(xsVar(5), xsArrayPrototype))
			continue;   /* not an entry (RtpFeed.entry()'s): nothing to tick */
		xsmcGetIndex(xsVar(6), xsVar(5), IVXS_WEBRTC_FEED_SEND_UNTIL);
		if (!sendsAt(the, &xsVar(6), now))
			continue;   /* not sending (no consent, or closing) */
		xsmcGetIndex(xsVar(6), xsVar(5), IVXS_WEBRTC_FEED_ENTRY_FEED);
		xsmcGetIndex(xsVar(7), xsVar(5), IVXS_WEBRTC_FEED_ENTRY_SRTP);
		xsmcGetIndex(xsVar(8), xsVar(5), IVXS_WEBRTC_FEED_ENTRY_CC);
		xsmcGetIndex(xsVar(9), xsVar(5), IVXS_WEBRTC_FEED_ENTRY_PATH);
		xsTry {
			Path p;
			FeedRecord *r = enter(the, &p, &xsVar(6), &xsVar(7), &xsVar(8), &xsVar(9), 0);
			uint32_t delay = tickAt(r, now, wall);
			done(the, r, &p);
			if (delay < soonest)
				soonest = delay;
		}
		xsCatch {
			xsVar(10) = xsException;
			xsmcSetIndex(xsVar(5), IVXS_WEBRTC_FEED_ERROR, xsVar(10));
			failed++;
		}
	}
	xsmcSetInteger(xsVar(0), failed);
	xsmcSetIndex(xsArg(3), 0, xsVar(0));
	xsmcSetInteger(xsResult, delayOf(soonest));
}

/* The feed in `feed` with the CC in `ccSlot` (or undefined) lent, for a call that sends nothing. */
static FeedRecord *peek(xsMachine *the, xsSlot *feed, xsSlot *ccSlot)
{
	FeedRecord *r = ivxs_handle_open(the, feed, &kFeedHooks, "webrtc", "RtpFeed");
	CcRecord *cc = xsmcTypeOf(*ccSlot) == xsUndefinedType ? NULL : ivxs_handle_open(the, ccSlot, &kWebrtcCcHooks, "webrtc", "TransportCc");
	if (r->busy)
		ivxs_error(IVXS_EARG, "webrtc: the feed is busy (called from its own send)");
	ivxs_rtp_wire_lend(&r->wire, NULL, cc ? &cc->twcc : NULL, NULL);
	return r;
}

/* feedShareUplink(feed, uplink, now): the viewer takes its part of the viewers' uplink (an Uplink's
 * host object; undefined: none). */
void xs_webrtc_feed_share_uplink(xsMachine *the)
{
	FeedRecord *r = ivxs_handle_open(the, &xsArg(0), &kFeedHooks, "webrtc", "RtpFeed");
	uint32_t now = ivxs_clock_ms(the, &xsArg(2), "webrtc", "now");
	void *token = NULL;
	ivxs_uplink *u;
	if (gSending)
		ivxs_error(IVXS_EARG, "webrtc: a feed called from a feed's send");
	u = xsmcTypeOf(xsArg(1)) == xsUndefinedType ? NULL : ivxs_uplink_hold(the, &xsArg(1), &token);
	ivxs_uplink_detach(&r->share);
	if (u)
		ivxs_uplink_attach(u, &r->share, IVXS_FEED_BURST_MS, now);
	ivxs_feed_share_uplink(&r->wire.feed, u ? &r->share : NULL);
	ivxs_uplink_unhold(&r->uplink);
	r->uplink = token;
}

/* feedStats(feed, cc, now) -> what went out, the frame policy's counts and the NACKs' outcomes. */
void xs_webrtc_feed_stats(xsMachine *the)
{
	uint32_t now = ivxs_clock_ms(the, &xsArg(2), "webrtc", "now");
	FeedRecord *r = peek(the, &xsArg(0), &xsArg(1));
	const ivxs_rtp_wire_stats *w = &r->wire.stats;
	const ivxs_feed_stats *f = &r->wire.feed.stats;
	xsmcVars(1);
	xsmcSetNewObject(xsResult);
	ivxs_set_number(xsResult, "frames", (double)(f->frames), xsVar(0));
	ivxs_set_number(xsResult, "audioFrames", (double)(f->audio_frames), xsVar(0));
	ivxs_set_number(xsResult, "skipped", (double)(f->skipped), xsVar(0));
	ivxs_set_number(xsResult, "torn", (double)(f->torn), xsVar(0));
	ivxs_set_number(xsResult, "unwalkable", (double)(f->unwalkable), xsVar(0));
	ivxs_set_number(xsResult, "gaps", (double)(f->gaps), xsVar(0));
	ivxs_set_number(xsResult, "rewinds", (double)(f->rewinds), xsVar(0));
	ivxs_set_number(xsResult, "packets", (double)(w->video.packets), xsVar(0));
	ivxs_set_number(xsResult, "payloadBytes", (double)(w->video.payload_bytes), xsVar(0));
	ivxs_set_number(xsResult, "audioPackets", (double)(w->audio.packets), xsVar(0));
	ivxs_set_number(xsResult, "audioPayloadBytes", (double)(w->audio.payload_bytes), xsVar(0));
	ivxs_set_number(xsResult, "bytes", (double)(w->bytes), xsVar(0));
	ivxs_set_number(xsResult, "nacks", (double)(w->nacks), xsVar(0));
	ivxs_set_number(xsResult, "resent", (double)(w->resent), xsVar(0));
	ivxs_set_number(xsResult, "resendsRefused", (double)(w->resends_refused), xsVar(0));
	ivxs_set_number(xsResult, "resendsUnaffordable", (double)(w->resends_unaffordable), xsVar(0));
	ivxs_set_number(xsResult, "resendsGone", (double)(w->resends_gone), xsVar(0));
	ivxs_set_number(xsResult, "resendsRepeated", (double)(w->resends_repeated), xsVar(0));
	ivxs_set_number(xsResult, "senderReports", (double)(w->sender_reports), xsVar(0));
	ivxs_set_number(xsResult, "unrepaired", (double)(ivxs_rtp_wire_unrepaired(&r->wire)), xsVar(0));
	ivxs_set_number(xsResult, "refused", (double)(r->refused), xsVar(0));
	ivxs_set_number(xsResult, "waiting", (double)(r->wire.feed.count), xsVar(0));
	ivxs_set_number(xsResult, "rtcp", (double)(r->rtcp), xsVar(0));
	ivxs_set_number(xsResult, "refusedRtcp", (double)(r->refusedRtcp), xsVar(0));
	ivxs_set_number(xsResult, "droppedRtcp", (double)(r->droppedRtcp), xsVar(0));
	ivxs_set_number(xsResult, "rtcpTaken", (double)(r->rtcpTaken), xsVar(0));
	ivxs_set_number(xsResult, "keyFrameRequests", (double)(r->keyFrameRequests), xsVar(0));
	ivxs_set_number(xsResult, "keyFrameRequestsInRepair", (double)(r->requestsInRepair), xsVar(0));
	ivxs_set_number(xsResult, "rttMs", (double)(r->rttMs), xsVar(0));
	ivxs_set_number(xsResult, "fractionLost", r->lost / 256.0, xsVar(0));
	ivxs_set_number(xsResult, "jitterMs", (double)((r->jitter + 45) / 90), xsVar(0));
	xsmcSetBoolean(xsVar(0), ivxs_rtp_wire_repairing(&r->wire, now));
	xsmcSet(xsResult, xsID("repairing"), xsVar(0));
	xsmcSetBoolean(xsVar(0), r->wire.feed.keyed);
	xsmcSet(xsResult, xsID("keyed"), xsVar(0));
	ivxs_rtp_wire_lend(&r->wire, NULL, NULL, NULL);
}

/* feedClose(feed): its ring reader given back (after the call inside it, when there is one). */
void xs_webrtc_feed_close(xsMachine *the)
{
	FeedRecord *r = ivxs_handle_open(the, &xsArg(0), &kFeedHooks, "webrtc", "RtpFeed");
	xsmcSetHostData(xsArg(0), NULL);
	if (r->busy)
		r->closing = 1;
	else
		feedFree(r);
}

/* ---- the viewer's RTCP ---- */

#define kMaxNacks 64   /* sequence numbers answered per compound packet: the rest are dropped (a bound) */

/* What a compound RTCP packet says (rtcp.h). */
typedef struct {
	int keyFrame;              /* a PLI or FIR about the video */
	int reported, timed;       /* a report block on the video (the last one counts); an RRTR (the last one) */
	ivxs_rtcp_report report;
	ivxs_rtcp_rrtr rrtr;
	uint16_t nacks[kMaxNacks];
	int n;
} Feedback;

/* Walks the packet: a malformed one says what was read before it. Its transport-wide feedback goes
 * to `twcc` (when given), arrived at `now`. */
static void walkFeedback(const uint8_t *packet, size_t length, uint32_t media, ivxs_twcc *twcc, uint32_t now, Feedback *fb)
{
	ivxs_rtcp_packet p;
	size_t pos = 0;
	int fir;
	memset(fb, 0, sizeof(*fb));
	while (ivxs_rtcp_next(packet, length, &pos, &p) == 1) {
		ivxs_rtcp_nack_cursor c = { 0, 0 };
		uint16_t seq;
		if (ivxs_rtcp_wants_key_frame(&p, media, &fir))
			fb->keyFrame = 1;
		if (p.type == IVXS_RTCP_SR || p.type == IVXS_RTCP_RR) {
			ivxs_rtcp_report block;
			unsigned b;
			for (b = 0; ivxs_rtcp_report_at(&p, b, &block) == 0; b++)
				if (block.ssrc == media) {
					fb->report = block;
					fb->reported = 1;
				}
		}
		if (p.media == media)
			while (fb->n < kMaxNacks && ivxs_rtcp_nack_next(&p, &c, &seq) == 1)
				fb->nacks[fb->n++] = seq;
		if (twcc && p.type == IVXS_RTCP_RTPFB && p.count == 15)   /* transport-wide: about every stream */
			(void)ivxs_twcc_feedback(twcc, &p, now);   /* a malformed one is counted and ignored */
		if (ivxs_rtcp_rrtr_of(&p, &fb->rrtr) == 1)   /* a malformed XR says nothing */
			fb->timed = 1;
	}
}

/* The round trip a report block times (RFC 3550 §6.4.1: the arrival's NTP middle 32 bits less LSR
 * and DLSR, in 1/65536 s), in ms rounded; -1 when it has none or it is not one (10 s and more). */
static int32_t reportRtt(const ivxs_rtcp_report *r, uint32_t ntpMiddle)
{
	uint32_t units;
	if (!r->lastSr)
		return -1;
	units = ntpMiddle - r->lastSr - r->delaySinceLastSr;
	return units < 10u * 65536u ? (int32_t)(((uint64_t)units * 1000 + 32768) / 65536) : -1;
}

/* The viewer's SRTCP (`length` bytes of `packet`, opened in place) read for the feed: gated
 * (IVXS_WEBRTC_RTCP_PER_SECOND, before the HMAC it would cost), opened with `from` (its keys), its
 * transport-wide feedback to the lent CC, a PLI or FIR a key frame request (rtp_wire.h: it may
 * wait for the repair of the key frame the viewer was sent), its report's figures kept; while it
 * is `sending` (entered: the viewer consents) its NACKs answered from the ring, its round trip the
 * feed's and its receiver reference time answered by the sender reports. `wall`: Unix ms at its
 * arrival. IVXS_RTCP_GOT_* flags, or -1: dropped or refused (forged, replayed, damaged) — counted. */
static int readRtcp(FeedRecord *r, ivxs_srtp *from, uint8_t *packet, size_t length, int sending, uint32_t now, uint64_t wall)
{
	uint32_t media = r->wire.video.ssrc;
	size_t opened = 0;
	Feedback fb;
	int32_t rtt = -1;
	int flags = 0, i;
	if (!p2p_gate_take(&r->rtcpGate, IVXS_WEBRTC_RTCP_PER_SECOND, now)) {
		r->droppedRtcp++;
		return -1;
	}
	if (ivxs_srtcp_unprotect(from, packet, length, &opened)) {
		r->refusedRtcp++;
		return -1;
	}
	r->rtcp++;
	walkFeedback(packet, opened, media, r->wire.twcc, now, &fb);
	if (fb.reported) {
		flags |= IVXS_RTCP_GOT_REPORT;
		rtt = reportRtt(&fb.report, (uint32_t)(ivxs_ntp_of_unix_ms(wall) >> 16));
		r->lost = fb.report.fractionLost;
		r->jitter = fb.report.jitter;
		if (rtt >= 0)
			r->rttMs = rtt;
	}
	if (sending) {
		if (rtt >= 0)
			r->wire.rtt_ms = rtt;
		for (i = 0; i < fb.n; i++)
			ivxs_rtp_wire_nack(&r->wire, fb.nacks[i], now);
		if (fb.timed)
			ivxs_rtp_wire_rrtr(&r->wire, &fb.rrtr, now);
	}
	if (fb.keyFrame) {
		flags |= IVXS_RTCP_GOT_KEY_FRAME;
		r->keyFrameRequests++;
		if (!ivxs_rtp_wire_key_request(&r->wire, now))
			r->requestsInRepair++;
	}
	return flags;
}

/* readRtcp(entry, buffer, length, now, wall) -> RtcpGot flags, or -1 (dropped past the gate,
 * forged, replayed or damaged: counted in the feed's stats). The viewer's SRTCP in `buffer` (its
 * first `length` bytes, opened in a copy: `buffer` is left as it came) read for the entry's feed
 * (RtpFeed.entry: its viewer's keys, its CC, its path while it sends). */
void xs_webrtc_rtcp_read(xsMachine *the)
{
	uint8_t packet[IVXS_WEBRTC_DATAGRAM_BYTES];
	size_t length = (size_t)ivxs_integer(the, &xsArg(2), 0, sizeof(packet), "webrtc", "length");
	uint32_t now = ivxs_clock_ms(the, &xsArg(3), "webrtc", "now");
	uint64_t wall = wallOf(the, &xsArg(4));
	ivxs_srtp *from;
	FeedRecord *r;
	Path p;
	void *data;
	xsUnsignedValue size;
	int flags, sending;
	if (xsmcTypeOf(xsArg(0)) != xsReferenceType || !xsmcIsInstanceOf(xsArg(0), xsArrayPrototype))
		ivxs_type_error(IVXS_EARG, "webrtc: readRtcp takes a feed's entry (RtpFeed.entry)");
	if (xsmcTypeOf(xsArg(1)) != xsReferenceType || !xsmcIsInstanceOf(xsArg(1), xsArrayBufferPrototype))
		ivxs_type_error(IVXS_EARG, "webrtc: an RTCP packet is an ArrayBuffer");
	xsmcVars(11);
	xsmcGetIndex(xsVar(5), xsArg(0), IVXS_WEBRTC_FEED_ENTRY_FEED);
	xsmcGetIndex(xsVar(6), xsArg(0), IVXS_WEBRTC_FEED_ENTRY_SRTP);
	xsmcGetIndex(xsVar(7), xsArg(0), IVXS_WEBRTC_FEED_ENTRY_CC);
	xsmcGetIndex(xsVar(8), xsArg(0), IVXS_WEBRTC_FEED_ENTRY_PATH);
	xsmcGetIndex(xsVar(9), xsArg(0), IVXS_WEBRTC_FEED_SEND_UNTIL);
	xsmcGetIndex(xsVar(10), xsArg(0), IVXS_WEBRTC_FEED_ENTRY_FROM);
	from = ivxs_handle_open(the, &xsVar(10), &kWebrtcSrtpHooks, "webrtc", "Srtp");
	sending = sendsAt(the, &xsVar(9), now);
	if (sending)
		r = enter(the, &p, &xsVar(5), &xsVar(6), &xsVar(7), &xsVar(8), 0);
	else
		r = peek(the, &xsVar(5), &xsVar(7));
	xsmcGetBufferReadable(xsArg(1), &data, &size);   /* (after every property read: a getter may run JS) */
	if (length > size) {
		length = 0;   /* (refused below, after the feed is given back) */
		flags = -2;
	}
	else {
		memcpy(packet, data, length);
		flags = readRtcp(r, from, packet, length, sending, now, wall);
	}
	if (sending)
		done(the, r, &p);
	else
		ivxs_rtp_wire_lend(&r->wire, NULL, NULL, NULL);
	if (flags == -2)
		ivxs_range_error(IVXS_EARG, "webrtc: length past the buffer");
	xsmcSetInteger(xsResult, flags);
}

/* A datagram the socket's read offers the feed (ivxs_link_taker): the viewer's SRTCP (RFC 5761's
 * RTCP packet types) from the address its path last sent to straight is read here, with no JS —
 * as readRtcp reads it, its NACKs answered straight to the socket read, timed by the wall clock of
 * the feed's last tick. What it throws lands in the entry's error (its session fails: feedsFed). */
static int takeRtcp(xsMachine *the, xsSlot *entry, xsSlot *socket, const uint8_t from[6], const uint8_t *data, size_t length,
	uint32_t now, int var)
{
	uint8_t packet[IVXS_WEBRTC_DATAGRAM_BYTES];
	FeedRecord *r;
	if (length < 8 || length > sizeof(packet) || (data[0] & 0xc0) != 0x80 || data[1] < 192 || data[1] > 223)
		return 0;   /* not RTCP (or longer than a session reads: JS counts it) */
	xsmcGetIndex(xsVar(var), *entry, IVXS_WEBRTC_FEED_ENTRY_FEED);
	r = ivxs_host_data(the, &xsVar(var), &kFeedHooks);
	if (!r || !r->straight || r->busy || gSending || r->port != (uint16_t)((from[4] << 8) | from[5]) || memcmp(r->ip, from, 4))
		return 0;
	memcpy(packet, data, length);   /* (nothing has allocated yet: `data` is where it was) */
	xsTry {
		uint64_t wall = r->wall + P2P_SINCE(now, r->wallMs);
		ivxs_srtp *fromViewer;
		Path p;
		int sending;
		xsmcGetIndex(xsVar(var + 1), *entry, IVXS_WEBRTC_FEED_ENTRY_FROM);
		fromViewer = ivxs_handle_open(the, &xsVar(var + 1), &kWebrtcSrtpHooks, "webrtc", "Srtp");
		xsmcGetIndex(xsVar(var + 1), *entry, IVXS_WEBRTC_FEED_SEND_UNTIL);
		sending = sendsAt(the, &xsVar(var + 1), now);
		xsmcGetIndex(xsVar(var + 1), *entry, IVXS_WEBRTC_FEED_ENTRY_SRTP);
		xsmcGetIndex(xsVar(var + 2), *entry, IVXS_WEBRTC_FEED_ENTRY_CC);
		begin(the, &p, r, var + 3);
		*p.socket = *socket;
		memcpy(p.ip, from, 4);
		p.port = r->port;
		p.straight = 1;
		lend(the, &p, &xsVar(var + 1), &xsVar(var + 2));
		if (readRtcp(r, fromViewer, packet, length, sending, now, wall) >= 0) {
			r->fed = 1;
			r->rtcpTaken++;
		}
		done(the, r, &p);
	}
	xsCatch {
		xsVar(var + 1) = xsException;
		xsmcSetIndex(*entry, IVXS_WEBRTC_FEED_ERROR, xsVar(var + 1));
		r->failed = 1;
	}
	return 1;
}

/* feedsFed(entries) -> what the socket's read did for them since the last call (cleared):
 * IVXS_FEEDS_FED_FEEDBACK a feed read its viewer's feedback (the feeds' turn: it may send more
 * now), IVXS_FEEDS_FED_FAILED a feed's read failed (its error in its entry). */
void xs_webrtc_feeds_fed(xsMachine *the)
{
	int32_t n, i;
	int got = 0;
	if (xsmcTypeOf(xsArg(0)) != xsReferenceType || !xsmcIsInstanceOf(xsArg(0), xsArrayPrototype))
		ivxs_type_error(IVXS_EARG, "webrtc: feedsFed takes an Array of entries");
	xsmcVars(2);
	xsmcGet(xsVar(0), xsArg(0), xsID("length"));
	n = (int32_t)ivxs_integer(the, &xsVar(0), 0, 0x7fffffff, "webrtc", "entries");
	for (i = 0; i < n; i++) {
		FeedRecord *r;
		xsmcGetIndex(xsVar(0), xsArg(0), i);
		if (xsmcTypeOf(xsVar(0)) != xsReferenceType || !xsmcIsInstanceOf(xsVar(0), xsArrayPrototype))
			continue;
		xsmcGetIndex(xsVar(1), xsVar(0), IVXS_WEBRTC_FEED_ENTRY_FEED);
		if (!(r = ivxs_host_data(the, &xsVar(1), &kFeedHooks)))
			continue;
		got |= (r->fed ? IVXS_FEEDS_FED_FEEDBACK : 0) | (r->failed ? IVXS_FEEDS_FED_FAILED : 0);
		r->fed = r->failed = 0;
	}
	xsmcSetInteger(xsResult, got);
}

/* feedHeard(feed) -> the viewer's RTCP packets read (its keys proved: it finished the handshake). */
void xs_webrtc_feed_heard(xsMachine *the)
{
	FeedRecord *r = ivxs_handle_open(the, &xsArg(0), &kFeedHooks, "webrtc", "RtpFeed");
	xsmcSetNumber(xsResult, (double)r->rtcp);
}
