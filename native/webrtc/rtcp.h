/*
 * RTCP (RFC 3550 §6) as a WebRTC viewer sends it to the camera and the camera answers: compound
 * packets walked one packet at a time; report blocks of SR/RR; the feedback the sender acts on —
 * generic NACK (RFC 4585 §6.2.1: resend from the ring), PLI (§6.3.1) and FIR (RFC 5104 §4.3.1:
 * the newest key frame); transport-wide congestion control feedback (draft-holmer-rmcat-
 * transport-wide-cc-extensions-01 §3.1: each packet's arrival time at the viewer); and the
 * camera's own sender report. Every length is checked against
 * the packet before a byte is read; nothing is allocated. Parsing happens after SRTCP
 * authenticated the packet (srtp.h), but it is written for hostile bytes all the same.
 */
#ifndef IVXS_RTCP_H
#define IVXS_RTCP_H

#include <stddef.h>
#include <stdint.h>

#include "webrtc.h"

enum {
	IVXS_RTCP_SR = 200,
	IVXS_RTCP_RR = 201,
	IVXS_RTCP_SDES = 202,
	IVXS_RTCP_BYE = 203,
	IVXS_RTCP_APP = 204,
	IVXS_RTCP_RTPFB = 205,   /* transport feedback: FMT 1 generic NACK (ivxs_rtcp_nack_next), 15 transport-wide CC (ivxs_rtcp_twcc_begin) */
	IVXS_RTCP_PSFB = 206,    /* payload-specific feedback: FMT 1 PLI, 4 FIR, 15 application (REMB) */
	IVXS_RTCP_XR = 207       /* extended reports (RFC 3611): the viewer's receiver reference time (ivxs_rtcp_rrtr_of) */
};

/* One packet of a compound RTCP packet. */
typedef struct {
	uint8_t type;              /* PT */
	uint8_t count;             /* the header's 5-bit RC (SR, RR, SDES, BYE) or FMT (feedback) */
	uint32_t sender;           /* the sender's SSRC (0 when the packet has none) */
	uint32_t media;            /* RTPFB / PSFB: the media source's SSRC; else 0 */
	const uint8_t *body;       /* after the fixed part: SR's sender info, report blocks, FCI, … */
	size_t bodyLen;            /* without padding */
} ivxs_rtcp_packet;

/* The next packet of the compound packet `data` from *pos (start at 0): 1 and *out, 0 at the
 * end, or IVXS_WEBRTC_EPACKET (not version 2, a length past the data, padding that does not
 * fit, a fixed part the packet cannot hold) — the walk stops there. */
int ivxs_rtcp_next(const uint8_t *data, size_t len, size_t *pos, ivxs_rtcp_packet *out);

/* SR's sender info (RFC 3550 §6.4.1). 0, or IVXS_WEBRTC_EPACKET: not an SR. */
typedef struct {
	uint64_t ntp;              /* NTP timestamp: seconds since 1900 in the high 32 bits */
	uint32_t rtpTimestamp;
	uint32_t packets, octets;
} ivxs_rtcp_sender_info;
int ivxs_rtcp_sender_info_of(const ivxs_rtcp_packet *p, ivxs_rtcp_sender_info *out);

/* Report block `i` of an SR or RR (RFC 3550 §6.4.1). 0, or IVXS_WEBRTC_EPACKET: no such block. */
typedef struct {
	uint32_t ssrc;             /* the source it reports on */
	uint8_t fractionLost;      /* /256, since the previous report */
	int32_t cumulativeLost;    /* 24-bit signed */
	uint32_t highestSeq;       /* extended highest sequence number received */
	uint32_t jitter;           /* RTP timestamp units */
	uint32_t lastSr, delaySinceLastSr;   /* LSR (middle 32 bits of the SR's NTP time), DLSR (1/65536 s) */
} ivxs_rtcp_report;
int ivxs_rtcp_report_at(const ivxs_rtcp_packet *p, unsigned i, ivxs_rtcp_report *out);

/* The sequence numbers a generic NACK asks for, one at a time: zero the cursor, then 1 and *seq
 * until 0. Each FCI entry names at most 17 (PID and its 16-bit bitmask), so a packet of n bytes
 * names at most 17 · (n − 12) / 4: the caller bounds what it resends. */
typedef struct {
	size_t entry;              /* the FCI entry, from 0 */
	int bit;                   /* 0: its PID next; 1–16: its BLP bits */
} ivxs_rtcp_nack_cursor;
int ivxs_rtcp_nack_next(const ivxs_rtcp_packet *p, ivxs_rtcp_nack_cursor *c, uint16_t *seq);

/* Transport-wide congestion control feedback (RTPFB FMT 15, draft-holmer-rmcat-transport-wide-cc-
 * extensions-01 §3.1): for the packets base, base + 1, … (mod 2^16) whether each arrived and when,
 * on the viewer's clock. Its FCI: base, count, a 24-bit signed reference time (× 64 ms) and a
 * feedback packet count; 16-bit chunks (run length, or a vector of 14 one-bit or 7 two-bit
 * symbols) until `count` statuses are told, the last one's extras ignored; then a receive delta
 * per received packet (1 byte unsigned, or 2 signed for a large or negative one, × 250 µs) from
 * the arrival before it (the first from the reference time). The deltas follow all the chunks, so
 * begin walks the chunks once — at most bodyLen / 2 of them, each telling at least 1 status — and
 * checks the whole FCI: a feedback it accepts reads to its end. */
typedef struct {
	/* public after ivxs_rtcp_twcc_begin: */
	uint16_t base;             /* the first sequence number it reports on */
	uint16_t count;            /* how many it reports on (0 is valid) */
	uint8_t feedbackCount;     /* the viewer's count of its feedback packets, mod 256 */
	int64_t referenceUs;       /* the reference time in microseconds (24-bit signed × 64 ms: past 32 bits) */
	/* the cursor: */
	const uint8_t *chunk;      /* the chunk being read */
	const uint8_t *delta;      /* the next receive delta */
	const uint8_t *end;        /* the end of the FCI */
	uint16_t index;            /* statuses given so far */
	uint16_t symbol;           /* the next symbol of the chunk, from 0 */
	int64_t arrivalUs;         /* the last received packet's arrival (the reference time before one) */
} ivxs_rtcp_twcc;

/* Starts reading a TWCC feedback packet: 0, or IVXS_WEBRTC_EPACKET — not RTPFB FMT 15, an FCI
 * shorter than its 8-byte header, chunks that run past the FCI before telling `count` statuses, a
 * run length of 0, a reserved status (11) among the `count`, deltas that run past the FCI. All or
 * nothing: with the chunks cut short the deltas cannot be found, and a damaged feedback is not
 * worth half believing. */
int ivxs_rtcp_twcc_begin(const ivxs_rtcp_packet *p, ivxs_rtcp_twcc *t);

/* The next packet it reports on, in sequence order: 1 with *seq, *received (0: not received) and
 * *arrivalUs (the viewer's clock in microseconds: referenceUs plus the deltas so far; for a packet
 * not received, unchanged from the last received one), 0 after the last, or IVXS_WEBRTC_EPACKET
 * for a cursor begin did not accept (never for one it did: each read is checked all the same). */
int ivxs_rtcp_twcc_next(ivxs_rtcp_twcc *t, uint16_t *seq, int *received, int64_t *arrivalUs);

/* Whether the packet asks for a key frame for `media`: a PLI about it, or a FIR with an entry for
 * it (*firSeq its command sequence number, to answer each FIR once; -1 for a PLI). */
int ivxs_rtcp_wants_key_frame(const ivxs_rtcp_packet *p, uint32_t media, int *firSeq);

/* Unix time in ms as an NTP timestamp (RFC 5905): seconds since 1900 in the high 32 bits, the
 * fraction of a second in 2^-32 in the low. Its middle 32 bits (>> 16) are what a report's LSR and a
 * receiver reference time's LRR carry. */
uint64_t ivxs_ntp_of_unix_ms(uint64_t unix_ms);

/* The camera's sender report with no report blocks (28 bytes) into out: its length, or
 * IVXS_WEBRTC_EMTU when cap is smaller. */
long ivxs_rtcp_write_sender_report(uint8_t *out, size_t cap, uint32_t ssrc, const ivxs_rtcp_sender_info *info);

/* Receiver-side round trips (RFC 3611 §4.4–4.5): a viewer that only receives has no sender report
 * of its own to time a round trip by, so it sends a receiver reference time report (its NTP time)
 * and the sender echoes it in a DLRR block with the time it held it. libwebrtc asks for this when
 * the answer lists `a=rtcp-fb:<pt> rrtr`, and times its repeated NACKs by the round trip it gets
 * (100 ms when it has none). */
typedef struct {
	uint32_t ssrc;             /* the viewer's: the XR packet's sender */
	uint32_t lrr;              /* the middle 32 bits of its NTP timestamp: what the DLRR echoes */
} ivxs_rtcp_rrtr;

/* The receiver reference time report of an XR packet: 1 and *out (its last), 0 when it has none
 * (or is not an XR), IVXS_WEBRTC_EPACKET when a report block runs past the packet or an RRTR block
 * is not its 8 bytes (*out untouched). The blocks are walked in order, each at least 4 bytes:
 * bounded by the packet. */
int ivxs_rtcp_rrtr_of(const ivxs_rtcp_packet *p, ivxs_rtcp_rrtr *out);

/* An XR packet from `ssrc` with one DLRR block answering `rrtr`, held `delay` (1/65536 s) since it
 * arrived, into out (24 bytes, to follow the sender report in one compound packet): its length, or
 * IVXS_WEBRTC_EMTU when cap is smaller. */
long ivxs_rtcp_write_dlrr(uint8_t *out, size_t cap, uint32_t ssrc, const ivxs_rtcp_rrtr *rrtr, uint32_t delay);

#endif
