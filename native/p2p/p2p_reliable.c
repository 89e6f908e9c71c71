/*
 * P2P transport — reliability: packet numbers, the replay and ACK window,
 * selective ACK ranges, RTT and retransmission timeout (RFC 6298 style), and
 * loss detection (a packet 3 behind the largest acknowledged one is lost:
 * fast retransmit; so is one older than the timeout). Losses are handed to
 * the channels, which send the payload again in a new packet (a packet number
 * is never reused: it is the AEAD nonce).
 */
#include "p2p_internal.h"

#include <string.h>

#define kReorderPackets 3
#define kMinRto 50          /* RFC 6298 says 1 s for TCP; live video cannot wait that long */
#define kInitialRto 300
#define kAckDelay 10        /* the most a peer delays an ACK (this core: not at all; before, a lone packet 10 ms) */
#define kMaxBackoff 4

void p2p_rel_init(p2p_rel *r, uint32_t now)
{
	p2p_sent *sent = r->sent;
	uint32_t n = r->nsent;
	memset(r, 0, sizeof(*r));
	r->sent = sent;
	r->nsent = n;
	memset(sent, 0, n * sizeof(*sent));
	r->rto = kInitialRto;
	p2p_rtt_init(&r->rtt, now);
	/* every clock field starts at now: progress_ms at 0 was up to 24.8 days in the future of a
	 * clock in [2^31, 2^32), and after an ACK that acknowledged no new packet nothing timed out
	 * again (C test "time: a first ACK of lost packets then a burst loss ...") */
	r->progress_ms = r->rx_largest_ms = r->ack_due_ms = now;
}

static int rxBit(const p2p_rel *r, uint32_t back)
{
	return (int)((r->rx_bits[back / 64] >> (back % 64)) & 1u);
}

int p2p_rel_rx_check(const p2p_rel *r, uint32_t pn)
{
	if (!r->rx_any || pn > r->rx_largest)
		return 0;
	if (r->rx_largest - pn >= P2P_WINDOW || rxBit(r, r->rx_largest - pn))
		return IVXS_P2P_EREPLAY;
	return 0;
}

void p2p_rel_rx_mark(p2p_rel *r, uint32_t pn, int eliciting, uint32_t now)
{
	if (!r->rx_any || pn > r->rx_largest) {
		uint32_t shift = r->rx_any ? pn - r->rx_largest : P2P_WINDOW;
		if (shift >= P2P_WINDOW)
			r->rx_bits[0] = r->rx_bits[1] = 0;
		else if (shift >= 64) {
			r->rx_bits[1] = r->rx_bits[0] << (shift - 64);
			r->rx_bits[0] = 0;
		}
		else if (shift > 0) {
			r->rx_bits[1] = (r->rx_bits[1] << shift) | (r->rx_bits[0] >> (64 - shift));
			r->rx_bits[0] <<= shift;
		}
		r->rx_bits[0] |= 1;
		r->rx_largest = pn;
		r->rx_largest_ms = now;
		r->rx_any = 1;
	}
	else {
		uint32_t back = r->rx_largest - pn;
		r->rx_bits[back / 64] |= (uint64_t)1 << (back % 64);
	}
	if (!eliciting)
		return;
	/* every ack-eliciting packet is acknowledged at once: the sender learns of a loss (a gap, a
	 * packet out of order) as soon as the next packet arrives — on a thin stream that may be a
	 * frame later — and of delivery without a delayed-ACK wait; an ACK is ~40 bytes back per
	 * 1 200 forward (issue 19 §2, README) */
	r->ack_pending++;
	r->ack_due_ms = now;
}

int p2p_rel_ack_build(p2p_rel *r, uint32_t now, p2p_ack *out)
{
	uint32_t i = 0, n = 0;
	if (!r->rx_any)
		return 0;
	while (i < P2P_WINDOW && n <= P2P_ACK_RANGES) {
		uint32_t start;
		if (!rxBit(r, i)) {
			i++;
			continue;
		}
		start = i;
		while (i < P2P_WINDOW && rxBit(r, i))
			i++;
		out->hi[n] = r->rx_largest - start;
		out->lo[n] = r->rx_largest - (i - 1);
		n++;
	}
	out->largest = r->rx_largest;
	out->nranges = n - 1;
	out->delay_ms = P2P_SINCE(now, r->rx_largest_ms);
	return 1;
}

static uint32_t effectiveRto(const p2p_rel *r)
{
	uint32_t rto = r->rto << r->backoff;
	return rto > P2P_MAX_RTO ? P2P_MAX_RTO : rto;
}

uint32_t p2p_rel_rto(const p2p_rel *r)
{
	return effectiveRto(r);
}

static void rttSample(p2p_rel *r, uint32_t sample, uint32_t now)
{
	p2p_rtt_sample(&r->rtt, sample, now);
	/* RFC 6298's srtt + 4 rttvar, with the clock granularity G taken as 10 ms,
	 * plus the peer's ACK delay (as QUIC's PTO): a steady RTT must not time out
	 * a packet whose ACK was merely delayed */
	r->rto = r->rtt.srtt + (4 * r->rtt.rttvar > 10 ? 4 * r->rtt.rttvar : 10) + kAckDelay;
	if (r->rto < kMinRto)
		r->rto = kMinRto;
	if (r->rto > P2P_MAX_RTO)
		r->rto = P2P_MAX_RTO;
}

/* The handshake's round trip sets the first timeout as RFC 6298's first sample would
 * (R + 4 R/2), but is not taken as a sample: the padded 1200-byte hello makes it a
 * serialisation time longer than the path on a thin link, and the congestion control
 * reads srtt - min RTT as queueing. */
void p2p_rel_rtt_seed(p2p_rel *r, uint32_t sample)
{
	if (r->rtt.any)
		return;
	r->rto = sample + (2 * sample > 10 ? 2 * sample : 10) + kAckDelay;
	if (r->rto < kMinRto)
		r->rto = kMinRto;
	if (r->rto > P2P_MAX_RTO)
		r->rto = P2P_MAX_RTO;
}

static void advanceLow(p2p_rel *r)
{
	while (r->lo_pn != r->next_pn) {
		const p2p_sent *p = &r->sent[r->lo_pn % r->nsent];
		if (p->state == P2P_SENT_FLIGHT && p->pn == r->lo_pn)
			break;
		r->lo_pn++;
	}
}

static void lose(ivxs_p2p_session *s, p2p_sent *p)
{
	p2p_rel *r = &s->rel;
	p->state = P2P_SENT_FREE;
	r->in_flight_bytes -= p->cc.bytes;
	r->in_flight_packets--;
	s->packets_lost++;
	p2p_cc_on_lost(&s->cc);
	p2p_chan_on_lost(s, p);
}

int p2p_rel_on_ack(ivxs_p2p_session *s, const p2p_ack *a, uint32_t now)
{
	p2p_rel *r = &s->rel;
	uint32_t i, pn, newly = 0;
	/* an acknowledgement of a packet never sent is a lie: ignore the whole frame */
	if (a->largest >= r->next_pn) {
		s->bogus_acks++;
		return IVXS_P2P_EPROTO;
	}
	for (i = 0; i <= a->nranges; i++) {
		uint32_t lo = a->lo[i] < r->lo_pn ? r->lo_pn : a->lo[i];
		for (pn = lo; pn <= a->hi[i] && pn >= lo; pn++) {
			p2p_sent *p = &r->sent[pn % r->nsent];
			if (p->state != P2P_SENT_FLIGHT || p->pn != pn)
				continue;
			p->state = P2P_SENT_FREE;
			r->in_flight_bytes -= p->cc.bytes;
			r->in_flight_packets--;
			newly++;
			if (pn == a->largest && P2P_GE(now, p->cc.sent_ms)) {
				uint32_t sample = P2P_SINCE(now, p->cc.sent_ms);
				if (sample > a->delay_ms + (r->rtt.min == UINT32_MAX ? 0 : r->rtt.min))
					sample -= a->delay_ms;
				rttSample(r, sample, now);
			}
			p2p_cc_on_ack(&s->cc, &p->cc, r->in_flight_bytes, r->rtt.any ? r->rtt.min : 0, r->rtt.srtt, now);
			p2p_chan_on_acked(s, p, now);
		}
	}
	if (!r->any_acked || a->largest > r->largest_acked)
		r->largest_acked = a->largest;
	r->any_acked = 1;
	if (newly) {
		r->backoff = 0;
		r->progress_ms = now;
	}
	p2p_rel_detect_loss(s, now);
	return (int)newly;
}

void p2p_rel_detect_loss(ivxs_p2p_session *s, uint32_t now)
{
	p2p_rel *r = &s->rel;
	uint32_t pn, rto = effectiveRto(r), timed_out = 0;
	uint32_t reorder_ms = r->rtt.any ? r->rtt.srtt + r->rtt.srtt / 8 : rto;
	for (pn = r->lo_pn; pn != r->next_pn; pn++) {
		p2p_sent *p = &r->sent[pn % r->nsent];
		uint32_t age;
		if (p->state != P2P_SENT_FLIGHT || p->pn != pn)
			continue;
		age = P2P_SINCE(now, p->cc.sent_ms);
		if (r->any_acked && pn < r->largest_acked
				&& (pn + kReorderPackets <= r->largest_acked || age >= reorder_ms))
			lose(s, p);
		else if (age >= rto && (!r->any_acked || P2P_DIFF(now, r->progress_ms) >= (int32_t)rto)) {
			lose(s, p);
			timed_out = 1;
		}
	}
	if (timed_out && r->backoff < kMaxBackoff)
		r->backoff++;
	advanceLow(r);
}

uint32_t p2p_rel_next_timer(const ivxs_p2p_session *s, uint32_t now)
{
	const p2p_rel *r = &s->rel;
	uint32_t wait = 1000, pn;
	if (r->ack_pending) {
		int32_t d = P2P_DIFF(r->ack_due_ms, now);
		wait = d <= 0 ? 0 : (uint32_t)d;
	}
	for (pn = r->lo_pn; pn != r->next_pn; pn++) {
		const p2p_sent *p = &r->sent[pn % r->nsent];
		if (p->state == P2P_SENT_FLIGHT && p->pn == pn) {
			uint32_t from = r->any_acked && P2P_LT(p->cc.sent_ms, r->progress_ms) ? r->progress_ms : p->cc.sent_ms;
			int32_t d = P2P_DIFF(from + effectiveRto(r), now);
			uint32_t w = d <= 0 ? 0 : (uint32_t)d;
			if (w < wait)
				wait = w;
			/* a later packet was acknowledged: it is lost at 9/8 SRTT of age (p2p_rel_detect_loss) */
			if (r->any_acked && pn < r->largest_acked && r->rtt.any) {
				d = P2P_DIFF(p->cc.sent_ms + r->rtt.srtt + r->rtt.srtt / 8, now);
				w = d <= 0 ? 0 : (uint32_t)d;
				if (w < wait)
					wait = w;
			}
			break;   /* the oldest packet times out first */
		}
	}
	return wait;
}

p2p_sent *p2p_rel_slot(p2p_rel *r)
{
	p2p_sent *p = &r->sent[r->next_pn % r->nsent];
	return p->state == P2P_SENT_FLIGHT ? NULL : p;
}
