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
 * stops growing by 25 % over 3 rounds), then a cycle of 1.25 (probe), 0.9,
 * 1, 1, ... one smoothed RTT each. Delay, not loss, says "too fast": when
 * the smoothed RTT exceeds the minimum by half of it (at least 20 ms), the
 * queue is building and the gain drops to 0.75 until it has drained. Random
 * loss does not slow it down (the benchmark links lose 2-5 % at random,
 * which a loss-based window would halve again and again).
 *
 * Samples taken while the sender had nothing more to send (app-limited) only
 * ever raise the estimate. Left out of BBR: PROBE_RTT (the minimum RTT is
 * only ever lowered), the long-term policer model.
 */
#include "p2p_internal.h"

#include <string.h>

enum { kStartup = 0, kDrain = 1, kProbeBw = 2 };
#define kInitialCwnd (10u * IVXS_P2P_MTU)
#define kStartupGain 289u      /* percent: 2/ln 2 */
#define kDrainGain 75u
#define kMinPacing 12000u      /* bytes/s: one packet per 100 ms at least */
#define kBucketMs 200u
static const uint32_t kCycle[8] = { 125, 90, 100, 100, 100, 100, 100, 100 };

void p2p_cc_init(p2p_cc *cc, uint32_t now)
{
	memset(cc, 0, sizeof(*cc));
	cc->delivered_ms = now;
	cc->bw_ms = now;
	cc->min_rtt = UINT32_MAX;
	cc->mode = kStartup;
	cc->cwnd = kInitialCwnd;
	/* until the first sample: the initial window over an assumed 100 ms */
	cc->pacing_rate = (uint64_t)kInitialCwnd * 10 * kStartupGain / 100;
	cc->credit = 2 * IVXS_P2P_MTU;
	cc->credit_ms = now;
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

void p2p_cc_on_send(p2p_cc *cc, p2p_sent *p, uint32_t bytes, uint32_t in_flight_before, uint32_t now)
{
	/* after an idle period, rate samples start from now (not from the last ack) */
	if (in_flight_before == 0)
		cc->delivered_ms = now;
	p->delivered = cc->delivered;
	p->delivered_ms = cc->delivered_ms;
	cc->credit -= bytes;
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

void p2p_cc_on_ack(p2p_cc *cc, const p2p_sent *p, uint32_t in_flight, uint32_t min_rtt, uint32_t srtt, uint32_t now)
{
	uint64_t rate, best = 0;
	uint32_t interval, i, queue_ms;
	int new_round = 0;
	cc->delivered += p->bytes;
	cc->delivered_ms = now;
	if (min_rtt && min_rtt < cc->min_rtt)
		cc->min_rtt = min_rtt;
	interval = now - p->delivered_ms;
	if (P2P_LT(now, p->delivered_ms) || interval < 1)
		interval = 1;
	rate = (cc->delivered - p->delivered) * 1000 / interval;
	if (p->delivered >= cc->round_end_delivered) {
		cc->round++;
		cc->round_end_delivered = cc->delivered;
		new_round = 1;
	}
	filterAdvance(cc, now);
	/* a sample taken while the sender had nothing more to send only counts if it is higher */
	if ((!p->app_limited || rate > cc->btl_bw) && rate > cc->bw[cc->bw_cur])
		cc->bw[cc->bw_cur] = rate;
	for (i = 0; i < P2P_BW_BUCKETS; i++)
		if (cc->bw[i] > best)
			best = cc->bw[i];
	if (best)
		cc->btl_bw = best;
	if (cc->mode == kStartup && new_round && !p->app_limited) {
		if (cc->btl_bw >= cc->full_bw * 5 / 4) {
			cc->full_bw = cc->btl_bw;
			cc->full_rounds = 0;
		}
		else if (++cc->full_rounds >= 3)
			cc->mode = kDrain;
	}
	/* queueing delay: how far the smoothed RTT is above the path's own */
	queue_ms = cc->min_rtt != UINT32_MAX && srtt > cc->min_rtt ? srtt - cc->min_rtt : 0;
	if (cc->mode == kProbeBw && cc->min_rtt != UINT32_MAX && queue_ms > (cc->min_rtt / 2 > 20 ? cc->min_rtt / 2 : 20))
		cc->mode = kDrain;
	if (cc->mode == kDrain && in_flight <= bdp(cc) + IVXS_P2P_MTU && queue_ms <= (cc->min_rtt / 4 > 10 ? cc->min_rtt / 4 : 10)) {
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

uint32_t p2p_cc_wait(p2p_cc *cc, uint32_t bytes, uint32_t in_flight, uint32_t now)
{
	int64_t cap;
	uint32_t elapsed = now - cc->credit_ms;
	if (P2P_LT(now, cc->credit_ms))
		elapsed = 0;
	if (elapsed) {
		cc->credit += (int64_t)(cc->pacing_rate * elapsed / 1000);
		cc->credit_ms = now;
	}
	/* a burst of at most 2 packets or 2 ms of the rate */
	cap = (int64_t)(cc->pacing_rate * 2 / 1000);
	if (cap < 2 * IVXS_P2P_MTU)
		cap = 2 * IVXS_P2P_MTU;
	if (cc->credit > cap)
		cc->credit = cap;
	if (in_flight && in_flight + bytes > cc->cwnd)
		return UINT32_MAX;   /* wait for acknowledgements */
	if (cc->credit > 0)
		return 0;
	return (uint32_t)((-cc->credit * 1000) / (int64_t)cc->pacing_rate) + 1;
}
