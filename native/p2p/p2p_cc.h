/*
 * Congestion control and pacing (p2p_cc.c: BBR's model with a LEDBAT-style delay check), one for
 * both wires: the P2P transport feeds it its ACKs (p2p_reliable.c), WebRTC's sender the viewer's
 * transport-wide feedback (native/webrtc/twcc.c). A wire keeps a p2p_cc_packet per packet in
 * flight, hands it to p2p_cc_on_send when the packet goes and to p2p_cc_on_ack when it is known
 * to have arrived.
 */
#ifndef IVXS_P2P_CC_H
#define IVXS_P2P_CC_H

#include <stdint.h>

#include "p2p.h"

/* Wrap-safe comparisons of u32 times and sequence numbers. The caller's clock has any origin
 * (Linux: uptime in ms, past 2^31 after 24.8 days), so a time is only ever compared with another
 * through these: never with <, > or a plain subtraction, and every time field starts at the
 * `now` of its creation, never at 0 (README "Time"). */
#define P2P_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define P2P_LE(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define P2P_GE(a, b) (!P2P_LT(a, b))
#define P2P_DIFF(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)))
/* Milliseconds from `since` to `now`; 0 if `since` is later (a clock that stepped back). */
#define P2P_SINCE(now, since) (P2P_LT(now, since) ? 0u : (uint32_t)(now) - (uint32_t)(since))

#define P2P_BW_BUCKETS 10      /* the bandwidth filter: max over 10 x 200 ms */
#define P2P_MIN_RTT_WINDOW 5000u   /* ms, one of a min RTT filter's two windows (BBR's 10-s filter) */

/* The path's round-trip time, one filter for both wires (p2p_reliable.c: the P2P ACKs; twcc.c:
 * WebRTC's transport-wide feedback): the smallest sample of the last 5–10 s (two windows of
 * P2P_MIN_RTT_WINDOW, as BBR's 10-s filter, so a path whose delay rose is not read as a standing
 * queue for good) and RFC 6298's smoothed RTT and variation. */
typedef struct {
	uint32_t min;              /* ms; UINT32_MAX until the first sample */
	uint32_t min_cur, min_prev, min_epoch_ms;
	uint32_t srtt, rttvar;     /* ms; 0 until the first sample */
	int any;                   /* a sample was taken */
} p2p_rtt;

void p2p_rtt_init(p2p_rtt *r, uint32_t now);
void p2p_rtt_sample(p2p_rtt *r, uint32_t sample, uint32_t now);

/* A token bucket (bytes), one for every wire's pacing: the native session's and the camera-wide
 * uplink budget (P2P_PACE_BURST_MS), WebRTC's while its viewer loses packets (feed.h's). */
typedef struct {
	int64_t credit;
	uint32_t ms;
} p2p_bucket;

#define P2P_PACE_BURST_MS 2u   /* the native wire's burst: 2 ms of the rate (2 packets at least) */

void p2p_bucket_init(p2p_bucket *b, uint32_t now);
/* Adds what `rate` (bytes/s) earned since the last call, up to `cap` bytes in hand. */
void p2p_bucket_fill(p2p_bucket *b, uint64_t rate, int64_t cap, uint32_t now);
/* Adds what `rate` (bytes/s) earned since the last call, capped to a burst of 2 packets or
 * `burst_ms` of the rate; 0 when a packet may go now (the credit is above 0), else the
 * milliseconds until it may. A sender takes what it sends from `credit`. */
uint32_t p2p_bucket_wait(p2p_bucket *b, uint64_t rate, uint32_t burst_ms, uint32_t now);
/* The milliseconds until the credit, earning `rate` (> 0) bytes/s, reaches `floor` (a debt the
 * sender allows itself: 0, or below): 0 when it has; rounded up, at most UINT32_MAX. */
uint32_t p2p_bucket_until(const p2p_bucket *b, uint64_t rate, int64_t floor);
/* A count a second as a bucket: at most `per_second`, a burst of as many (WebRTC's resends, a
 * viewer's RTCP read). Full from p2p_gate_init; 1 when one more may go at `now` (then it is
 * counted), 0 when not. */
void p2p_gate_init(p2p_bucket *b, uint32_t per_second, uint32_t now);
int p2p_gate_take(p2p_bucket *b, uint32_t per_second, uint32_t now);

/* What the congestion control keeps of one packet sent: the wire sets sent_ms, bytes and
 * app_limited (nothing more was waiting to be sent), p2p_cc_on_send the rest. */
typedef struct {
	uint32_t delivered;        /* the CC's delivery count at send, modulo 2^32: only its distance to a later count is used */
	uint32_t delivered_ms;
	uint32_t first_sent_ms;    /* when the packet last delivered before this one's send was sent */
	uint32_t queued;           /* our own bytes queued at the bottleneck ahead of this one (estimate) */
	uint32_t sent_ms;
	uint16_t bytes;            /* datagram bytes */
	uint8_t app_limited;
} p2p_cc_packet;

typedef struct {
	uint64_t delivered;
	uint32_t delivered_ms;
	uint32_t first_sent_ms;    /* the send time of the packet last delivered (BBR's first_tx_mstamp) */
	uint64_t round_end_delivered;
	uint32_t round;
	uint64_t bw[P2P_BW_BUCKETS];
	uint32_t bw_ms;            /* start of the current bucket */
	uint32_t bw_cur;
	uint64_t btl_bw;           /* bytes/s: the path's bottleneck bandwidth, as measured */
	int clamp_queued;          /* the wire reports arrival times (TWCC): a standing queue's delivery clamps the filter */
	uint64_t queued_bw;        /* what packets behind the standing queue were delivered at, smoothed (0: none) */
	uint32_t loss_q16;         /* the share of packets lost, x 65536, over the last ~64 (settled) */
	uint32_t min_rtt;          /* the path's, as the CC uses it: the windowed minimum, a rise held (p2p_cc.c) */
	int min_held;              /* the windowed minimum rose past the slack at min_held_ms; min_rtt kept */
	uint32_t min_held_ms;
	uint32_t queue_ms;         /* smoothed queueing delay not caused by our own burst */
	uint64_t backlog;          /* our bytes at the bottleneck if it drains at btl_bw (key-frame bursts) */
	uint32_t backlog_ms;
	uint32_t busy_ms;          /* when the sender last started sending after being idle or app-limited */
	int idle;                  /* the last packet left nothing more to send */
	int mode;
	uint32_t cycle, cycle_ms;
	uint64_t full_bw;
	uint32_t full_rounds;
	uint64_t pacing_rate;      /* bytes/s */
	uint32_t cwnd;
	p2p_bucket pace;           /* pacing credit */
} p2p_cc;

void p2p_cc_init(p2p_cc *cc, uint32_t now);
/* `p` was sent (its sent_ms, bytes and app_limited set); `in_flight_before`: bytes in flight before it. */
void p2p_cc_on_send(p2p_cc *cc, p2p_cc_packet *p, uint32_t bytes, uint32_t in_flight_before, uint32_t now);
/* `p` arrived, known at `now`; `in_flight` after it; the path's min RTT (0: none yet) and smoothed RTT. */
void p2p_cc_on_ack(p2p_cc *cc, const p2p_cc_packet *p, uint32_t in_flight, uint32_t min_rtt, uint32_t srtt, uint32_t now);
/* A packet was declared lost. */
void p2p_cc_on_lost(p2p_cc *cc);
/* Whether `bytes` more fit the window with `in_flight` bytes out (nothing out: always). */
int p2p_cc_window_open(const p2p_cc *cc, uint32_t bytes, uint32_t in_flight);
/* 0 = may send `bytes` now; otherwise the milliseconds to wait (UINT32_MAX: for acknowledgements, the window is full). */
uint32_t p2p_cc_wait(p2p_cc *cc, uint32_t bytes, uint32_t in_flight, uint32_t now);

#endif
