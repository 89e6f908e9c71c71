/*
 * P2P transport — congestion control and pacing: BBR's model with a
 * LEDBAT-style delay check (README "Congestion control").
 *
 * The bottleneck bandwidth is the largest delivery rate measured over the
 * last 2 s (10 buckets of 200 ms: long enough to remember the key-frame
 * bursts of a 1 s GOP, which are the only moments a video sender is not
 * limited by its own encoder), the propagation delay the smallest RTT seen.
 * Packets are paced at gain x bandwidth; the window is 2 x bandwidth x min
 * RTT (at least 10 packets). Gains: 2.89 at startup (until the bandwidth
 * stops growing by 25 % over 3 rounds — app-limited rounds count: a video
 * sender is limited by its encoder nearly always, and one that stayed in
 * startup sent every key frame into the bottleneck queue at 2.89 x), then a
 * cycle of 1.25 (probe), 0.75 (drains what the probe queued: a backlogged
 * sender keeps no standing queue for its repairs to wait behind), 1, 1, ...
 * one smoothed RTT each. Delay, not loss, says "too fast": when
 * the smoothed RTT exceeds the minimum by half of it (at least 20 ms), the
 * queue is building and the gain drops to 0.75 until it has drained. Random
 * loss does not slow it down (the benchmark links lose 2-5 % at random,
 * which a loss-based window would halve again and again).
 *
 * The minimum RTT is a windowed minimum (p2p_rtt_sample, fed by p2p_reliable.c and twcc.c: 5-10 s, as
 * BBR's 10-s filter): a path whose delay rose is read as a queue for 15 s at
 * most, not for good. A rise past a slack is held for kMinHoldMs first: the
 * window rises on its own when a queue stood through it, and a queue read as
 * the path's delay is never drained (BBR's PROBE_RTT drains it before the
 * filter expires; here the delay check does, against the held minimum). The
 * queueing delay is measured per acknowledged packet and
 * leaves out the delay the sender's own burst explains: the bytes it sent
 * ahead of the packet that the bottleneck (at btl_bw) had not drained yet —
 * a key frame queues behind itself on a thin link, and that is not
 * congestion (it is what the window bounds).
 *
 * Samples taken while the sender had nothing more to send (app-limited), or
 * while it drained on purpose at its own pacing rate, only ever raise the
 * estimate: they measure the sender, not the path. Left out of BBR: the
 * PROBE_RTT state's window cut (the minimum expires instead), the long-term
 * policer model.
 */
#include "p2p_internal.h"

#include <string.h>

enum { kStartup = 0, kDrain = 1, kProbeBw = 2 };
#define kInitialCwnd (10u * IVXS_P2P_MTU)
#define kStartupGain 289u      /* percent: 2/ln 2 */
#define kDrainGain 75u
#define kMinPacing 12000u      /* bytes/s: one packet per 100 ms at least */
#define kBucketMs 200u
#define kBurstMs 1000u         /* the longest burst whose own queue is not congestion (a key frame) */
#define kLossyQ16 (65536u / 50) /* a loss rate above 2 % (of the last ~64 packets): no clamp */
#define kMinHoldMs 5000u       /* how long a risen minimum RTT is held at the old one (a drain's time) */
static const uint32_t kCycle[8] = { 125, 75, 100, 100, 100, 100, 100, 100 };

void p2p_cc_init(p2p_cc *cc, uint32_t now)
{
	memset(cc, 0, sizeof(*cc));
	/* every clock field starts at now, never at 0 (p2p_internal.h) */
	cc->delivered_ms = cc->first_sent_ms = cc->bw_ms = cc->backlog_ms = cc->busy_ms = cc->cycle_ms = now;
	cc->min_rtt = UINT32_MAX;
	cc->mode = kStartup;
	cc->cwnd = kInitialCwnd;
	/* until the first sample: the initial window over an assumed 100 ms */
	cc->pacing_rate = (uint64_t)kInitialCwnd * 10 * kStartupGain / 100;
	p2p_bucket_init(&cc->pace, now);
}

static uint32_t gain(const p2p_cc *cc)
{
	return cc->mode == kStartup ? kStartupGain : cc->mode == kDrain ? kDrainGain : kCycle[cc->cycle];
}

static uint64_t bdp(const p2p_cc *cc)
{
	return cc->min_rtt == UINT32_MAX ? kInitialCwnd : cc->btl_bw * (cc->min_rtt ? cc->min_rtt : 1) / 1000;
}

static void setRates(p2p_cc *cc)
{
	uint64_t window, rate;
	if (!cc->btl_bw)
		return;
	rate = cc->btl_bw * gain(cc) / 100;
	cc->pacing_rate = rate < kMinPacing ? kMinPacing : rate;
	window = 2 * bdp(cc);
	if (cc->mode == kStartup)
		window = window * kStartupGain / 200;
	if (window < kInitialCwnd)
		window = kInitialCwnd;
	cc->cwnd = window > (1u << 30) ? (1u << 30) : (uint32_t)window;
}

void p2p_cc_on_send(p2p_cc *cc, p2p_cc_packet *p, uint32_t bytes, uint32_t in_flight_before, uint32_t now)
{
	/* after an idle period, rate samples start from now (not from the last ack) */
	uint64_t drained;
	if (in_flight_before == 0)
		cc->delivered_ms = cc->first_sent_ms = now;
	p->delivered = (uint32_t)cc->delivered;
	p->delivered_ms = cc->delivered_ms;
	p->first_sent_ms = cc->first_sent_ms;
	cc->pace.credit -= bytes;
	/* our own backlog at the bottleneck, drained at btl_bw since the last send */
	drained = cc->btl_bw * P2P_SINCE(now, cc->backlog_ms) / 1000;
	cc->backlog = cc->backlog > drained ? cc->backlog - drained : 0;
	if (!cc->btl_bw || in_flight_before == 0)
		cc->backlog = 0;
	cc->backlog_ms = now;
	if (cc->idle || in_flight_before == 0)
		cc->busy_ms = now;
	cc->idle = p->app_limited;
	/* a burst (a key frame) is forgiven its own queue; a sender busy for longer than
	 * kBurstMs is a bulk sender, whose standing queue the delay check drains as before */
	p->queued = P2P_DIFF(now, cc->busy_ms) > (int32_t)kBurstMs ? UINT32_MAX
			: cc->backlog > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)cc->backlog;
	cc->backlog += bytes;
}

/* Moves the bucketed maximum filter to now, forgetting buckets older than 2 s. */
static void filterAdvance(p2p_cc *cc, uint32_t now)
{
	uint32_t steps = 0;
	while (P2P_DIFF(now, cc->bw_ms) >= (int32_t)kBucketMs && steps++ < P2P_BW_BUCKETS) {
		cc->bw_cur = (cc->bw_cur + 1) % P2P_BW_BUCKETS;
		cc->bw[cc->bw_cur] = 0;
		cc->bw_ms += kBucketMs;
	}
	if (P2P_DIFF(now, cc->bw_ms) >= (int32_t)kBucketMs)
		cc->bw_ms = now;
}

/* The reliability layer's windowed minimum RTT, taken when it falls or rises within a slack; a
 * larger rise is held at the old minimum for kMinHoldMs, which the delay check then drains
 * against. Taken at once, a queue that stood for the window's 5-10 s became the path's delay:
 * a thin last hop's drain (audio, never held back, taking most of it) outlasted the window and a
 * queue of 0.6-1 s stood for good (the NAT tests' Chromium over 150 kbit/s). A path whose delay
 * really rose is read as a queue for those 5 s more. */
static void minRttUpdate(p2p_cc *cc, uint32_t min_rtt, uint32_t now)
{
	uint32_t slack = cc->min_rtt / 4 > 20 ? cc->min_rtt / 4 : 20;
	if (cc->min_rtt == UINT32_MAX || min_rtt <= cc->min_rtt + slack
			|| (cc->min_held && P2P_SINCE(now, cc->min_held_ms) >= kMinHoldMs)) {
		cc->min_rtt = min_rtt;
		cc->min_held = 0;
	}
	else if (!cc->min_held) {
		cc->min_held = 1;
		cc->min_held_ms = now;
	}
}

/* The queueing delay past which a queue is building: half the min RTT, at least 20 ms. */
static uint32_t queueLimit(const p2p_cc *cc)
{
	return cc->min_rtt / 2 > 20 ? cc->min_rtt / 2 : 20;
}

/* A packet that waited behind a standing queue was delivered at the bottleneck's rate (busy all
 * the while); a higher figure in the filter is a burst a token bucket let through at line rate
 * once its queue had emptied (tc tbf, a router's shaper), and the filter forgets it: kept for its
 * 2 s it let the camera send at the stream's full rate into a 150 kbit/s hop — 1.3 MB/s read from
 * 3 KB that passed at once — and each time a queue of ~1 s stood, then took 6 s to drain (the NAT
 * tests' Chromium). Only packets delivered more slowly than they were sent: a path whose delay
 * rose reads as a queue too (until the minimum RTT follows), but it delivers as fast as we send,
 * and clamped to that the rate spiralled down with the drain's 0.75. Not while more than 2 % of
 * the last packets were lost: bytes lost are not delivered, and the bench's bursty links read low
 * (camera stream, 1.25x, native: 79 -> 37 % decodable, seed 2103). Only on a wire whose ACK
 * times are the viewer's arrival times (TWCC, clamp_queued): the native transport's are when its
 * ACK reached us, and a viewer slow to send one (a busy CPU) read as a standing queue — one of
 * five viewers sharing the uplink budget got half its share (CI, camera-viewers). What such
 * packets were delivered at is smoothed (a sample's interval may reach back before the queue). */
static void clampToQueued(p2p_cc *cc, uint32_t excess, uint64_t rate, int slower)
{
	uint32_t i;
	if (!cc->clamp_queued || !slower || excess <= queueLimit(cc) || cc->queue_ms <= queueLimit(cc)
			|| cc->loss_q16 > kLossyQ16) {
		if (!excess)
			cc->queued_bw = 0;
		return;
	}
	cc->queued_bw = cc->queued_bw ? (3 * cc->queued_bw + rate) / 4 : rate;
	if (cc->btl_bw <= cc->queued_bw)
		return;
	for (i = 0; i < P2P_BW_BUCKETS; i++)
		if (cc->bw[i] > cc->queued_bw)
			cc->bw[i] = cc->queued_bw;
	cc->btl_bw = cc->queued_bw;
}

void p2p_cc_on_ack(p2p_cc *cc, const p2p_cc_packet *p, uint32_t in_flight, uint32_t min_rtt, uint32_t srtt, uint32_t now)
{
	uint64_t rate, best = 0;
	uint32_t interval, i, sample, self, excess, limit, sent_over;
	int new_round = 0, sender_limited, slower, faster;
	cc->delivered += p->bytes;
	cc->delivered_ms = now;
	cc->first_sent_ms = p->sent_ms;
	cc->loss_q16 -= cc->loss_q16 >> 6;
	if (min_rtt)
		minRttUpdate(cc, min_rtt, now);
	interval = P2P_SINCE(now, p->delivered_ms);
	if (interval < 1)
		interval = 1;
	rate = (uint64_t)((uint32_t)cc->delivered - p->delivered) * 1000 / interval;   /* (bytes in flight: far below 2^32) */
	/* the sample's bytes were delivered more slowly than they were sent (a bottleneck queued them),
	 * or faster (a queue ahead of them drained): else the path carried them as sent */
	sent_over = P2P_SINCE(p->sent_ms, p->first_sent_ms);
	slower = interval > sent_over + sent_over / 8 + 2;
	faster = interval + interval / 8 + 2 < sent_over;
	if ((int32_t)(p->delivered - (uint32_t)cc->round_end_delivered) >= 0) {   /* sent after the round's end was delivered */
		cc->round++;
		cc->round_end_delivered = cc->delivered;
		new_round = 1;
	}
	filterAdvance(cc, now);
	/* a sample taken while the sender had nothing more to send, or drained on purpose and was
	 * delivered at about its own pacing rate, only counts if it is higher — but one delivered
	 * faster than it was sent measures the bottleneck draining a queue (with the filter's figure
	 * too high, draining at 0.75 of it kept the queue standing, the filter's samples all left out) */
	sender_limited = p->app_limited || (cc->mode == kDrain && rate * 10 >= cc->pacing_rate * 9 && !faster);
	if ((!sender_limited || rate > cc->btl_bw) && rate > cc->bw[cc->bw_cur])
		cc->bw[cc->bw_cur] = rate;
	for (i = 0; i < P2P_BW_BUCKETS; i++)
		if (cc->bw[i] > best)
			best = cc->bw[i];
	if (best)
		cc->btl_bw = best;
	if (cc->mode == kStartup && new_round) {
		if (cc->btl_bw >= cc->full_bw * 5 / 4) {
			cc->full_bw = cc->btl_bw;
			cc->full_rounds = 0;
		}
		else if (++cc->full_rounds >= 3)
			cc->mode = kDrain;
	}
	/* queueing delay: how far this packet's RTT is above the path's own, less what the bytes
	 * we sent just ahead of it explain (the packet's own serialisation included) */
	if (cc->min_rtt != UINT32_MAX && P2P_GE(now, p->sent_ms) && cc->btl_bw) {
		sample = P2P_SINCE(now, p->sent_ms);
		self = p->queued == UINT32_MAX ? 0 : (uint32_t)(((uint64_t)p->queued + p->bytes) * 1000 / cc->btl_bw);
		limit = cc->min_rtt + self;
		excess = sample > limit ? sample - limit : 0;
		cc->queue_ms = (3 * cc->queue_ms + excess) / 4;
		clampToQueued(cc, excess, rate, slower);
	}
	if (cc->mode == kProbeBw && cc->min_rtt != UINT32_MAX && cc->queue_ms > queueLimit(cc))
		cc->mode = kDrain;
	if (cc->mode == kDrain && in_flight <= bdp(cc) + IVXS_P2P_MTU
			&& cc->queue_ms <= (cc->min_rtt / 4 > 10 ? cc->min_rtt / 4 : 10)) {
		cc->mode = kProbeBw;
		cc->cycle = 2;
		cc->cycle_ms = now;
	}
	if (cc->mode == kProbeBw && P2P_DIFF(now, cc->cycle_ms) >= (int32_t)(srtt > 10 ? srtt : 10)) {
		cc->cycle = (cc->cycle + 1) % 8;
		cc->cycle_ms = now;
	}
	setRates(cc);
}

void p2p_cc_on_lost(p2p_cc *cc)
{
	cc->loss_q16 += (65536u - cc->loss_q16) >> 6;
}

void p2p_rtt_init(p2p_rtt *r, uint32_t now)
{
	memset(r, 0, sizeof(*r));
	r->min = r->min_cur = r->min_prev = UINT32_MAX;
	r->min_epoch_ms = now;
}

void p2p_rtt_sample(p2p_rtt *r, uint32_t sample, uint32_t now)
{
	uint32_t diff;
	/* windowed minimum: the current window's and the one before it, if that ended less than a
	 * window ago (a sample older than 10 s is forgotten) */
	if (r->min_cur == UINT32_MAX || P2P_DIFF(now, r->min_epoch_ms) >= (int32_t)P2P_MIN_RTT_WINDOW) {
		r->min_prev = P2P_DIFF(now, r->min_epoch_ms) < 2 * (int32_t)P2P_MIN_RTT_WINDOW ? r->min_cur : UINT32_MAX;
		r->min_cur = sample;
		r->min_epoch_ms = now;
	}
	else if (sample < r->min_cur)
		r->min_cur = sample;
	r->min = r->min_cur < r->min_prev ? r->min_cur : r->min_prev;
	if (!r->any) {
		r->srtt = sample;
		r->rttvar = sample / 2;
		r->any = 1;
		return;
	}
	diff = r->srtt > sample ? r->srtt - sample : sample - r->srtt;
	r->rttvar = (3 * r->rttvar + diff) / 4;
	r->srtt = (7 * r->srtt + sample) / 8;
}

void p2p_bucket_init(p2p_bucket *b, uint32_t now)
{
	b->credit = 2 * IVXS_P2P_MTU;
	b->ms = now;
}

void p2p_bucket_fill(p2p_bucket *b, uint64_t rate, int64_t cap, uint32_t now)
{
	uint32_t elapsed = P2P_SINCE(now, b->ms);
	if (elapsed) {
		/* (10 s at most: no burst is longer, and the product stays far from overflow whatever rate
		 * a viewer's feedback makes its path's) */
		b->credit += (int64_t)(rate * (elapsed < 10000 ? elapsed : 10000) / 1000);
		b->ms = now;
	}
	if (b->credit > cap)
		b->credit = cap;
}

uint32_t p2p_bucket_wait(p2p_bucket *b, uint64_t rate, uint32_t burst_ms, uint32_t now)
{
	/* a burst of at most 2 packets or burst_ms of the rate */
	int64_t cap = (int64_t)(rate * burst_ms / 1000);
	p2p_bucket_fill(b, rate, cap < 2 * IVXS_P2P_MTU ? 2 * IVXS_P2P_MTU : cap, now);
	return p2p_bucket_until(b, rate, 1);   /* (a packet goes while any credit is left) */
}

uint32_t p2p_bucket_until(const p2p_bucket *b, uint64_t rate, int64_t floor)
{
	uint64_t ms;
	if (b->credit >= floor)
		return 0;
	ms = ((uint64_t)(floor - b->credit) * 1000 + rate - 1) / rate;
	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

int p2p_cc_window_open(const p2p_cc *cc, uint32_t bytes, uint32_t in_flight)
{
	return !in_flight || in_flight + bytes <= cc->cwnd;
}

uint32_t p2p_cc_wait(p2p_cc *cc, uint32_t bytes, uint32_t in_flight, uint32_t now)
{
	uint32_t wait = p2p_bucket_wait(&cc->pace, cc->pacing_rate, P2P_PACE_BURST_MS, now);
	if (!p2p_cc_window_open(cc, bytes, in_flight))
		return UINT32_MAX;   /* wait for acknowledgements */
	return wait;
}

#define GATE_UNIT 1000   /* one of a gate's counts, in its bucket's units */

void p2p_gate_init(p2p_bucket *b, uint32_t per_second, uint32_t now)
{
	b->credit = (int64_t)per_second * GATE_UNIT;
	b->ms = now;
}

int p2p_gate_take(p2p_bucket *b, uint32_t per_second, uint32_t now)
{
	int64_t full = (int64_t)per_second * GATE_UNIT;
	p2p_bucket_fill(b, (uint64_t)full, full, now);
	if (b->credit < GATE_UNIT)
		return 0;
	b->credit -= GATE_UNIT;
	return 1;
}
