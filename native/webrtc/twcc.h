/*
 * Transport-wide congestion control, the camera's side (draft-holmer-rmcat-transport-wide-cc-
 * extensions-01): each RTP packet to a viewer carries a transport-wide sequence number in a
 * header extension (RFC 8285's one-byte form, under the id the SDP agreed for modules/webrtc/sdp.ts'
 * TWCC_URI), the viewer reports when each
 * arrived (RTPFB FMT 15, read by rtcp.c), and those reports drive the native transport's
 * congestion control (native/p2p/p2p_cc.h: one CC, two wires). What it gives the sender is a rate:
 * the bytes a second the viewer's path takes (the CC's pacing rate), which the endpoint turns into
 * frame-aware skipping — whole frames, and the rest of a GOP after one skipped.
 *
 * The viewer's clock is not ours, so a report is turned into what an ACK would have said:
 *   - the round trip: the feedback's arrival minus the send time of the newest packet it reports
 *     (a viewer waits up to ~100 ms to send one: the windowed minimum of these is the path's);
 *   - each packet's "ACK time": its arrival on the viewer's clock moved onto ours by one offset
 *     (the least of "feedback's arrival minus its newest arrival" seen, allowing for the clocks'
 *     drift) — the delivery rates p2p_cc measures are then the viewer's arrival rates, its
 *     queueing delay in them, free of the feedback's own batching. The viewer's clock is known
 *     only modulo its reference time's span (2^24 x 64 ms), and so are the offset and every
 *     difference taken with it: bounded, whatever reference times a viewer sends.
 * A reported loss frees its bytes in flight (loss is not a signal to this CC: p2p_cc.c says why),
 * as does a feedback that starts past packets still unreported (the one that reported them was lost).
 * Packets never reported on expire after IVXS_TWCC_EXPIRE_MS; one in flight for longer than
 * the stall time with no report is a stalled path. Silence is as often the way back as the way
 * there (a viewer's sparse feedback lost in a burst), so a stalled path keeps the rate last measured
 * until the viewer has been silent two stall times, then halves it each stall time
 * (IVXS_TWCC_SILENT_HALVINGS), then gets a probe whenever nothing has gone for the probe time.
 *
 * I/O-free and allocation-free: the caller gives the time, the packets and the feedback.
 */
#ifndef IVXS_TWCC_H
#define IVXS_TWCC_H

#include <stddef.h>
#include <stdint.h>

#include "p2p_cc.h"
#include "rtcp.h"

/* Packets remembered: ~1.2 s at 1 Mbit/s (a viewer reports every 50–250 ms); the whole state is
 * 3.8 KiB a viewer. */
#define IVXS_TWCC_HISTORY 128
#define IVXS_TWCC_EXTENSION_BYTES 8     /* 0xBEDE, length 1, id/len, the number (2), padding */
#define IVXS_TWCC_EXPIRE_MS 2000u       /* a packet not reported on for this long is forgotten (lost) */
#define IVXS_TWCC_STALL_MIN_MS 500u     /* in flight for max(this, 250 + 2 x SRTT) unreported: stalled */
#define IVXS_TWCC_SILENT_HALVINGS 4u    /* stalled: the rate held, then halved this many times, one a stall time */
#define IVXS_TWCC_PROBE_MIN_MS 200u     /* then a probe once nothing went for max(this, 2 x SRTT) (at most the stall time) */
#define IVXS_TWCC_SPAN_MS ((uint64_t)0x1000000 * 64)   /* the viewer's reference time wraps here (2^30 ms, 12.4 days) */
#define IVXS_TWCC_GAP_MAX_MS 250u       /* a viewer's feedback interval counts this much at most (Chromium: 50–250 ms; longer is silence) */

typedef struct {
	p2p_cc_packet cc;
	uint16_t seq;
	uint8_t inFlight;
} ivxs_twcc_sent;

typedef struct {
	uint32_t packets;          /* stamped */
	uint32_t feedbacks;        /* accepted */
	uint32_t refused;          /* malformed (IVXS_WEBRTC_EPACKET) */
	uint32_t received, lost;   /* packets of ours reported on */
	uint32_t unknown;          /* statuses about packets we do not hold in flight (settled, forgotten, never sent) */
	uint32_t expired;          /* never reported on */
	uint32_t missed;           /* before a feedback's base unreported: their feedback was lost */
} ivxs_twcc_stats;

typedef struct {
	p2p_cc cc;
	ivxs_twcc_sent sent[IVXS_TWCC_HISTORY];
	uint16_t next;             /* the next packet's number */
	uint16_t low;              /* packets before it are settled */
	uint32_t inFlight;         /* bytes */
	p2p_rtt rtt;               /* from the feedback's newest packet of ours (p2p_cc.h) */
	int64_t ackOffsetUs;       /* our clock minus the viewer's, plus the least report delay (twcc.c offsetAdd),
	                            * modulo the viewer's clock span (2^24 x 64 ms): within ±2^29 ms */
	uint32_t ackOffsetMs;      /* when it was last taken */
	uint8_t ackOffsetAny;
	uint8_t heard;             /* a feedback was accepted: until then the rate is the CC's initial one */
	uint32_t heardMs;          /* when the last one that settled a packet of ours came */
	uint32_t gapMs;            /* the interval between those: the largest lately (twcc.c gapAdd) */
	ivxs_twcc_stats stats;
} ivxs_twcc;

void ivxs_twcc_init(ivxs_twcc *t, uint32_t now);

/* Gives the RTP packet packet[0..len) (no CSRCs, no extension: ours) the next transport-wide
 * number under extension `id` (1–14), in place — its payload moves IVXS_TWCC_EXTENSION_BYTES
 * later, so `cap` ≥ len + that — and records its send (`wireBytes`: what it costs on the wire,
 * SRTP tag included; `appLimited`: nothing more waits to be sent after it). The new length, or
 * IVXS_WEBRTC_EPACKET (not such a packet, an id out of range) or IVXS_WEBRTC_EMTU (no room). */
long ivxs_twcc_stamp(ivxs_twcc *t, uint8_t id, uint8_t *packet, size_t len, size_t cap, uint32_t wireBytes,
	int appLimited, uint32_t now);

/* A viewer's TWCC feedback (after SRTCP), arrived at `now`: 0, or IVXS_WEBRTC_EPACKET (malformed:
 * nothing of it is used). At most 2 x IVXS_TWCC_HISTORY statuses are read: a feedback naming
 * thousands of packets costs no more than one naming ours. */
int ivxs_twcc_feedback(ivxs_twcc *t, const ivxs_rtcp_packet *p, uint32_t now);

/* Bytes a second the viewer's path takes now: the CC's pacing rate; while the path is stalled (a
 * packet unreported for the stall time) the rate last measured, held and then halved as the
 * viewer's silence goes on, and past that 0 but for a probe (see above). Expires what was never
 * reported on. */
uint64_t ivxs_twcc_rate(ivxs_twcc *t, uint32_t now);

/* Whether `bytes` more may go now by the CC's window (its bytes in flight, unreported, against
 * cwnd — as the native wire waits, p2p_cc_wait — plus what the path carries in the viewer's
 * feedback interval, or in its silence since its last feedback while that is longer, up to the
 * stall time: a packet stays unreported that much longer than a round trip): a sender whose
 * rate is ahead of the path (the CC's startup) fills no more of the bottleneck's queue than that.
 * Open while a stalled path's rate is not 0 (ivxs_twcc_rate): what shuts it then is what only a
 * report of what goes settles. */
int ivxs_twcc_window_open(const ivxs_twcc *t, uint32_t bytes, uint32_t now);

#endif
