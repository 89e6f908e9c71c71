/*
 * Transport-wide congestion control, the camera's side: twcc.h says what and why.
 */
#include "twcc.h"

#include <string.h>

#include "webrtc.h"

#define kSpanUs ((int64_t)IVXS_TWCC_SPAN_MS * 1000)
#define kMaxStatuses (2 * IVXS_TWCC_HISTORY)

void ivxs_twcc_init(ivxs_twcc *t, uint32_t now)
{
	memset(t, 0, sizeof(*t));
	p2p_cc_init(&t->cc, now);
	t->cc.clamp_queued = 1;   /* TWCC: ACK times are the viewer's arrival times (p2p_cc.c) */
	p2p_rtt_init(&t->rtt, now);
}

static ivxs_twcc_sent *slotOf(ivxs_twcc *t, uint16_t seq)
{
	return &t->sent[seq % IVXS_TWCC_HISTORY];
}

/* The record of packet `seq` when it is ours and still in flight, else NULL. */
static ivxs_twcc_sent *held(ivxs_twcc *t, uint16_t seq)
{
	ivxs_twcc_sent *s = slotOf(t, seq);
	if ((uint16_t)(seq - t->low) >= (uint16_t)(t->next - t->low))
		return NULL;
	return s->inFlight && s->seq == seq ? s : NULL;
}

static void settle(ivxs_twcc *t, ivxs_twcc_sent *s)
{
	s->inFlight = 0;
	t->inFlight = t->inFlight > s->cc.bytes ? t->inFlight - s->cc.bytes : 0;
}

static void advanceLow(ivxs_twcc *t)
{
	while (t->low != t->next && !held(t, t->low))
		t->low++;
}

long ivxs_twcc_stamp(ivxs_twcc *t, uint8_t id, uint8_t *packet, size_t len, size_t cap, uint32_t wireBytes,
	int appLimited, uint32_t now)
{
	ivxs_twcc_sent *s;
	uint32_t before;
	if (!t || !packet || id < 1 || id > 14 || len < 12 || (packet[0] & 0xc0) != 0x80 || (packet[0] & 0x1f))
		return IVXS_WEBRTC_EPACKET;   /* not version 2, or padding, an extension or CSRCs already: not ours */
	if (cap < len + IVXS_TWCC_EXTENSION_BYTES || len + IVXS_TWCC_EXTENSION_BYTES > 0xffff)
		return IVXS_WEBRTC_EMTU;
	memmove(packet + 12 + IVXS_TWCC_EXTENSION_BYTES, packet + 12, len - 12);
	packet[0] |= 0x10;   /* X */
	packet[12] = 0xbe;   /* RFC 8285 §4.2: the one-byte form, one 32-bit word */
	packet[13] = 0xde;
	packet[14] = 0;
	packet[15] = 1;
	packet[16] = (uint8_t)(id << 4 | 1);   /* id, length - 1 */
	packet[17] = (uint8_t)(t->next >> 8);
	packet[18] = (uint8_t)t->next;
	packet[19] = 0;
	s = slotOf(t, t->next);
	if (s->inFlight) {   /* the history is full: its oldest packet was never reported on */
		settle(t, s);
		t->stats.expired++;
	}
	s->seq = t->next;
	s->inFlight = 1;
	memset(&s->cc, 0, sizeof(s->cc));
	s->cc.sent_ms = now;
	s->cc.bytes = (uint16_t)(wireBytes > 0xffff ? 0xffff : wireBytes);
	s->cc.app_limited = (uint8_t)!!appLimited;
	before = t->inFlight;
	p2p_cc_on_send(&t->cc, &s->cc, s->cc.bytes, before, now);
	t->inFlight += s->cc.bytes;
	t->next++;
	advanceLow(t);
	t->stats.packets++;
	return (long)(len + IVXS_TWCC_EXTENSION_BYTES);
}

/* `v` modulo the viewer's clock span, in [-kSpanUs / 2, kSpanUs / 2): the viewer's clock is known
 * only modulo its span, and so is every difference taken with it — as a difference wrapped so, it
 * stays bounded however far (or often) the viewer's reference time moves. */
static int64_t spanWrap(int64_t v)
{
	v %= kSpanUs;
	if (v < -kSpanUs / 2)
		v += kSpanUs;
	else if (v >= kSpanUs / 2)
		v -= kSpanUs;
	return v;
}

/* Our time `now` minus the viewer's `arrivalUs` (µs), modulo its clock's span (a divisor of 2^32 ms:
 * our clock's own wrap changes nothing). */
static int64_t sinceRemoteUs(uint32_t now, int64_t arrivalUs)
{
	return spanWrap((int64_t)(now % IVXS_TWCC_SPAN_MS) * 1000 - arrivalUs);
}

/* The feedback's newest arrival seen from our clock: `sampleUs` is our time now minus that arrival
 * (the two clocks' offset, plus the viewer's wait before reporting and the way back). The ACK
 * offset is the least of these — a report that waited least — creeping up by kDriftPpm of the time
 * since (the two clocks may drift apart: a minimum kept for ever would fall behind a slower
 * viewer's clock). Taken over windows that restart, as before, it fell in steps whenever a report
 * waited less than the last window's best, and every rate sample spanning a step read its
 * interval short: 175 kbit/s measured on a 143 kbit/s link (the p2p bench's webrtc entry). */
#define kDriftPpm 100
static void offsetAdd(ivxs_twcc *t, int64_t sampleUs, uint32_t now)
{
	if (!t->ackOffsetAny) {
		t->ackOffsetUs = sampleUs;
		t->ackOffsetAny = 1;
	}
	else {
		t->ackOffsetUs = spanWrap(t->ackOffsetUs + (int64_t)P2P_SINCE(now, t->ackOffsetMs) * kDriftPpm / 1000);
		if (spanWrap(sampleUs - t->ackOffsetUs) < 0)
			t->ackOffsetUs = sampleUs;
	}
	t->ackOffsetMs = now;
}

/* The viewer's feedback interval: the largest lately — a longer gap is taken at once, a shorter
 * one an eighth of the way (the window must hold what the longest usual gap leaves unreported);
 * a gap past IVXS_TWCC_GAP_MAX_MS is silence (the stall's business), counted as that much. */
static void gapAdd(ivxs_twcc *t, uint32_t gap)
{
	if (gap > IVXS_TWCC_GAP_MAX_MS)
		gap = IVXS_TWCC_GAP_MAX_MS;
	t->gapMs = gap >= t->gapMs ? gap : t->gapMs - (t->gapMs - gap) / 8;
}

int ivxs_twcc_feedback(ivxs_twcc *t, const ivxs_rtcp_packet *p, uint32_t now)
{
	ivxs_rtcp_twcc f;
	ivxs_twcc_sent *s;
	uint16_t seq, newest = 0;
	int received, found = 0, status, steps;
	int64_t arrivalUs, newestUs = 0, ageUs;
	uint32_t minRtt, ack, settledBefore;
	if ((status = ivxs_rtcp_twcc_begin(p, &f))) {
		t->stats.refused++;
		return status;
	}
	settledBefore = t->stats.received + t->stats.lost + t->stats.missed;
	/* packets before its base still in flight were in a feedback that never came: a viewer reports
	 * a packet once (libwebrtc's next feedback starts past the last one's), so a feedback lost on
	 * the way leaves them unreported for good — settled now as missed, neither delivered nor lost
	 * (left in flight they read as a stalled path until they expire: 1.5 s without a frame per
	 * lost feedback). A feedback that comes late after a newer one finds them settled: unknown. */
	if ((uint16_t)(f.base - t->low) <= (uint16_t)(t->next - t->low))   /* (not about numbers never sent) */
		for (seq = t->low; seq != f.base; seq++)
			if ((s = held(t, seq))) {
				settle(t, s);
				t->stats.missed++;
			}
	advanceLow(t);
	/* first: the round trip (by the newest packet of ours it reports) and the ACK offset (by its arrival) */
	for (steps = 0; steps < kMaxStatuses && ivxs_rtcp_twcc_next(&f, &seq, &received, &arrivalUs) == 1; steps++) {
		if (!received || !held(t, seq))
			continue;
		newest = seq;
		newestUs = arrivalUs;
		found = 1;
	}
	if (found) {
		uint32_t sample = P2P_SINCE(now, slotOf(t, newest)->cc.sent_ms);
		p2p_rtt_sample(&t->rtt, sample, now);
		offsetAdd(t, sinceRemoteUs(now, newestUs), now);
	}
	/* then each packet settled, those that arrived given to the CC at their "ACK time" */
	ivxs_rtcp_twcc_begin(p, &f);
	minRtt = t->rtt.any ? t->rtt.min : 0;
	for (steps = 0; steps < kMaxStatuses && ivxs_rtcp_twcc_next(&f, &seq, &received, &arrivalUs) == 1; steps++) {
		if (!(s = held(t, seq))) {
			t->stats.unknown++;
			continue;
		}
		if (!received) {
			/* not received, and a later one was: lost (one after the newest may still come) */
			if (found && (int16_t)(uint16_t)(newest - seq) > 0) {
				settle(t, s);
				t->stats.lost++;
				p2p_cc_on_lost(&t->cc);
			}
			continue;
		}
		settle(t, s);
		t->stats.received++;
		/* its "ACK time": its arrival on our clock by the offset — the delivery rates are then the
		 * viewer's arrival rates, its queueing delay in it — within [sent, now] (a hostile clock);
		 * `ageUs`: how long before now that is (whole ms, rounded up) */
		ageUs = spanWrap(sinceRemoteUs(now, arrivalUs) - t->ackOffsetUs);
		if (ageUs <= 0)
			ack = now;
		else if ((ageUs + 999) / 1000 >= (int64_t)P2P_SINCE(now, s->cc.sent_ms))
			ack = s->cc.sent_ms;
		else
			ack = now - (uint32_t)((ageUs + 999) / 1000);
		p2p_cc_on_ack(&t->cc, &s->cc, t->inFlight, minRtt, t->rtt.srtt, ack);
	}
	advanceLow(t);
	t->heard = 1;
	/* heard from: it settled a packet of ours (one about numbers we hold none of says nothing of the path) */
	if (t->stats.received + t->stats.lost + t->stats.missed != settledBefore) {
		if (settledBefore)
			gapAdd(t, P2P_SINCE(now, t->heardMs));
		t->heardMs = now;
	}
	t->stats.feedbacks++;
	return 0;
}

/* The stall time (a packet unreported this long stalls the path) and the probe time (stalled, a
 * burst goes once nothing has for this long): twcc.h. */
static uint32_t stallMs(const ivxs_twcc *t)
{
	uint32_t stall = 250 + 2 * t->rtt.srtt;
	return stall < IVXS_TWCC_STALL_MIN_MS ? IVXS_TWCC_STALL_MIN_MS : stall;
}

static uint32_t probeMs(const ivxs_twcc *t)
{
	uint32_t probe = 2 * t->rtt.srtt, stall = stallMs(t);
	if (probe < IVXS_TWCC_PROBE_MIN_MS)
		probe = IVXS_TWCC_PROBE_MIN_MS;
	return probe > stall ? stall : probe;
}

/* Whether the path is stalled now: the viewer has reported before, and its oldest packet in flight
 * (the one at `low`) is unreported for the stall time. */
static int stalled(const ivxs_twcc *t, uint32_t now)
{
	const ivxs_twcc_sent *oldest = &t->sent[t->low % IVXS_TWCC_HISTORY];
	return t->heard && t->low != t->next && oldest->inFlight && oldest->seq == t->low
		&& P2P_SINCE(now, oldest->cc.sent_ms) >= stallMs(t);
}

/* What a stalled path may take (twcc.h): the rate last measured, held until the viewer has been
 * silent for two stall times and then halved each stall time, IVXS_TWCC_SILENT_HALVINGS times;
 * past that a burst at the pacing rate once nothing has gone for the probe time, else 0. Counted
 * from the viewer's last feedback, not from the oldest packet unreported: packets sent into the
 * silence expire in turn, and a dead path would otherwise get the rate of its first halvings
 * until the consent check ends it. */
static uint64_t stalledRate(const ivxs_twcc *t, uint32_t now)
{
	const ivxs_twcc_sent *newest = &t->sent[(uint16_t)(t->next - 1) % IVXS_TWCC_HISTORY];
	uint32_t stall = stallMs(t), silent = P2P_SINCE(now, t->heardMs);
	uint32_t halvings = silent < 2 * stall ? 0 : (silent - stall) / stall;
	uint64_t held = t->cc.btl_bw && t->cc.btl_bw < t->cc.pacing_rate ? t->cc.btl_bw : t->cc.pacing_rate;
	if (halvings <= IVXS_TWCC_SILENT_HALVINGS)
		return held >> halvings;
	return P2P_SINCE(now, newest->cc.sent_ms) >= probeMs(t) ? t->cc.pacing_rate : 0;
}

uint64_t ivxs_twcc_rate(ivxs_twcc *t, uint32_t now)
{
	advanceLow(t);
	while (t->low != t->next) {
		ivxs_twcc_sent *s = slotOf(t, t->low);
		if (P2P_SINCE(now, s->cc.sent_ms) < IVXS_TWCC_EXPIRE_MS)
			break;
		settle(t, s);
		t->stats.expired++;
		advanceLow(t);
	}
	/* Before the viewer's first report, no report is not a stall (it may send none). A stalled
	 * path is one the camera hears nothing from, and that is often the way back, not the way
	 * there: a viewer reports what arrives, so packets lost at the end of what was sent, or its
	 * feedback lost on the way (Chromium sends one every 50-100 ms: a burst of lost packets on
	 * that sparse flow is seconds long), are settled only once something after them arrives and
	 * its report comes back. So the path keeps the rate it last had until the viewer has been
	 * silent two stall times, and then halves it (libwebrtc keeps its estimate without feedback;
	 * TCP backs off): the frames go on while the camera is deaf, and a dead path costs about two
	 * stall times of the rate. Stopping at once skipped a GOP per silence (frames waited past the
	 * endpoint's WAIT_MS): the p2p bench's camera stream at 2x with bursty loss, 82.9 % decodable
	 * on time, 94.2 % with this (eight seeds: native/webrtc/README.md). Past the halvings a dead
	 * path gets a burst per probe time until its packets expire (the camera's consent check ends
	 * the session). */
	if (stalled(t, now))
		return stalledRate(t, now);
	return t->cc.pacing_rate;
}

/* How long what the path delivered may wait unreported now: the viewer's feedback interval, or
 * the silence since its last feedback while that is longer, up to the stall time (past it the
 * stall's rules govern). A feedback lost on the way lengthens the wait: on the p2p bench's bursty
 * links a burst on the viewer's sparse flow (Chromium: ~16 packets a second) silences it for
 * 300-600 ms, and with the usual interval's allowance alone the window shut until the stall time —
 * a key frame waited 225 ms behind it (camera 1.25x bursty, seed 1110). The path carried on
 * meanwhile; what it carried counts as delivered, at its measured rate, so the sender's pace stays
 * what it was and no faster. */
static uint32_t waitMs(const ivxs_twcc *t, uint32_t now)
{
	uint32_t silent = t->heard ? P2P_SINCE(now, t->heardMs) : 0, stall = stallMs(t);
	if (silent > stall)
		silent = stall;
	return silent > t->gapMs ? silent : t->gapMs;
}

int ivxs_twcc_window_open(const ivxs_twcc *t, uint32_t bytes, uint32_t now)
{
	/* cwnd is two round trips of the path (p2p_cc.c), as for a receiver that ACKs every packet;
	 * a viewer reports a batch every 50–250 ms, so what it has received waits unreported that
	 * much longer — the bytes the path carries in that interval count on top (BBR's allowance
	 * for ACK aggregation). Without them, on the p2p bench's camera stream at 1.25x with bursty
	 * loss (60-ms path, Chromium's feedback every 60-100 ms), the window (2 x BDP, 24 KB) shut 114
	 * times in a 10-s run with 22-29 KB in flight, the sender paced the frames behind each key
	 * frame below the stream's rate and their lag grew from GOP to GOP: 65 % decodable on time,
	 * 78 % with this (eight seeds, native/webrtc/README.md). */
	uint64_t extra = t->cc.btl_bw * waitMs(t, now) / 1000;
	uint32_t counted = t->inFlight > extra ? t->inFlight - (uint32_t)extra : 0;
	/* a stalled path's rate goes whatever the window says: what holds the window is what the
	 * stall waits to hear about, and only a report of what goes now settles it (with the window
	 * shut the path waited for its packets to expire: camera 2x bursty, 58 frames skipped in a run) */
	return p2p_cc_window_open(&t->cc, bytes, counted) || (stalled(t, now) && stalledRate(t, now) > 0);
}
