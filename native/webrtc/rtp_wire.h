/*
 * The WebRTC wire on the viewer core (native/p2p/feed.h): one viewer's video and G.711 audio from
 * a frame source as SRTP — each access unit packetized where it lies in the ring (rtp_video.h),
 * numbered for the transport-wide congestion control (twcc.h) and protected (srtp.h) into one
 * packet buffer, then sent through `output`. The feed decides which frames go and when; this wire
 * makes their packets, says what the viewer's path takes (its TWCC feedback), and answers its NACKs.
 *
 * Loss: a packet the viewer NACKs (RFC 4585 §6.2.1) is made again from the ring — the same access
 * unit, still intact there, packetized again from its first sequence number — and resent as it was
 * (same SSRC and number: no RTX stream). Only the last IVXS_RTP_WIRE_HISTORY units can be, at most
 * IVXS_RTP_WIRE_RESENDS_PER_SECOND packets, within the allowance the feed gives repairs, and a
 * packet at most once a round trip (a browser NACKs again after its own round-trip guess whether or
 * not the resend could have arrived; behind a queue it cannot): a viewer's NACK flood costs the
 * camera's uplink no more than that.
 *
 * Sender reports (RFC 3550 §6.4.1): once IVXS_RTP_WIRE_REPORT_MS a stream that has sent, one per
 * stream on the same wall clock (the viewer plays them in sync), protected as SRTCP, made on the
 * wire's tick. The video's also answers the viewer's last receiver reference time (RFC 3611 §4.5's
 * DLRR, with the time it was held): a viewer that only receives learns the round trip from it, and
 * libwebrtc NACKs a packet again after that round trip instead of its 100-ms default. Every report
 * carries it: one without makes Chromium forget the round trip it showed. A minute old, it is dropped.
 *
 * The stream's first packet goes twice, right behind itself: a viewer NACKs a gap after the first
 * packet it got, so the loss of the very first (the key frame's parameter sets) would cost a PLI
 * and the key frame again instead of a resend; the copy is an SRTP replay the viewer drops.
 *
 * The SRTP context and the congestion control belong to the session's host objects, and the packet
 * buffer to the caller (one for all its wires: a packet is sent before the next is made): the caller
 * lends them for each call (ivxs_rtp_wire_lend), so the wire never holds a pointer that outlives
 * them. I/O-free and allocation-free.
 */
#ifndef IVXS_RTP_WIRE_H
#define IVXS_RTP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "feed.h"
#include "rtcp.h"
#include "rtp_video.h"
#include "srtp.h"
#include "twcc.h"

#define IVXS_RTP_WIRE_MTU IVXS_FEED_MTU          /* an RTP packet, header and payload (TWCC's extension within it) */
#define IVXS_RTP_WIRE_HISTORY 32                 /* access units a NACK may reach back to (~2 s at 15 fps) */
#define IVXS_RTP_WIRE_RESENT 32                  /* packets whose last resend is remembered */
#define IVXS_RTP_WIRE_RESENDS_PER_SECOND 50u     /* packets resent at most, a burst of as many (~60 KB/s) */
#define IVXS_RTP_WIRE_AUDIO_PACKET 160u          /* G.711 bytes a packet carries at most (20 ms at 8 kHz) */
#define IVXS_RTP_WIRE_DEFAULT_RTT_MS 100u        /* the round trip before any report measured one */
#define IVXS_RTP_WIRE_REPORT_MS 1000u            /* a sender report this often per stream that has sent */
#define IVXS_RTP_WIRE_RRTR_KEPT_MS 60000u        /* the viewer's receiver reference time answered this long */
#define IVXS_RTP_WIRE_PACKET_CAP (IVXS_RTP_WIRE_MTU + IVXS_SRTP_TAG_BYTES)
#define IVXS_RTP_WIRE_BUFFER_BYTES (IVXS_RTP_WIRE_PACKET_CAP + IVXS_TWCC_EXTENSION_BYTES)   /* the packet buffer lent */

/* What went out on one stream (its sender reports'). */
typedef struct {
	uint32_t packets;
	uint32_t payload_bytes;
} ivxs_rtp_wire_counts;

typedef struct {
	ivxs_rtp_wire_counts video, audio;
	uint64_t bytes;             /* everything sent, on the wire's datagrams */
	uint32_t nacks;             /* packets the viewer NACKed */
	uint32_t resent;            /* of those, resent */
	uint32_t resends_refused;   /* not: past IVXS_RTP_WIRE_RESENDS_PER_SECOND */
	uint32_t resends_unaffordable;   /* past the allowance (ivxs_feed_repair) */
	uint32_t resends_gone;      /* older than the history, or overwritten in the ring */
	uint32_t resends_repeated;  /* asked for again within the round trip of its last resend */
	uint32_t sender_reports;    /* sender reports sent (one per stream each time) */
} ivxs_rtp_wire_stats;

/* An access unit sent: where it lies in the source (what its `intact` reads: p2p.h) and its packets. */
typedef struct {
	const uint8_t *data;
	uint32_t size;
	uint64_t token[2];
	uint32_t timestamp;         /* 90 kHz */
	uint16_t first, count;      /* its first packet's sequence number, and how many it numbered */
	uint8_t used;
} ivxs_rtp_wire_unit;

typedef struct {
	ivxs_feed feed;
	ivxs_rtp_stream video, audio;
	ivxs_rtp_packetizer vit, ait;
	uint8_t has_audio, audio_counted;
	/* lent for a call (ivxs_rtp_wire_lend): the session's SRTP context, its congestion control, and
	 * the buffer a packet is made in (one for every viewer: a packet lives from its making to its send) */
	ivxs_srtp *srtp;
	ivxs_twcc *twcc;
	uint8_t *out;
	uint8_t twcc_id;
	/* the audio frame being sent in pieces */
	const uint8_t *piece_at;
	uint32_t piece_left, piece_ts;
	size_t len;                 /* of the packet just made, in `out` */
	ivxs_rtp_wire_counts *counting;   /* the stream it counts in */
	ivxs_rtp_wire_unit sent[IVXS_RTP_WIRE_HISTORY];
	uint8_t sent_next;
	ivxs_rtp_wire_unit *sending;      /* the video unit being made (its slot) */
	uint16_t resent_seq[IVXS_RTP_WIRE_RESENT];   /* the last resends (the first resent_count of them) */
	uint32_t resent_ms[IVXS_RTP_WIRE_RESENT];
	uint8_t resent_next, resent_count;
	p2p_bucket gate;            /* resends in hand: p2p_gate_take at IVXS_RTP_WIRE_RESENDS_PER_SECOND */
	uint32_t last_resent_ms;
	int32_t rtt_ms;             /* the round trip by the viewer's receiver reports (-1: none) */
	uint32_t unrepaired_at_key; /* the unrepaired NACKs when the last key frame began */
	int fault;                  /* a protect failed (a status): the session fails */
	uint32_t report_ms;         /* when the last sender reports went (valid once `reported`) */
	uint8_t reported, timed;
	ivxs_rtcp_rrtr rrtr;        /* the viewer's last receiver reference time (while `timed`), and when it came */
	uint32_t rrtr_ms;
	int (*output)(void *ctx, const uint8_t *datagram, size_t len);
	void *output_ctx;
	ivxs_rtp_wire_stats stats;
} ivxs_rtp_wire;

/* One viewer's wire: video of `codec` (IVXS_ANNEXB_H264 / _H265) on `video_ssrc` from sequence number
 * `video_seq` under `video_pt`; audio (G.711) on `audio_ssrc` under `audio_pt` when `has_audio`,
 * numbered for the congestion control with the video when `audio_counted`; its frames from `src`
 * (as ivxs_feed_init). `twcc_id`: the TWCC extension's id (0: none). 0, or IVXS_WEBRTC_ECODEC. */
int ivxs_rtp_wire_init(ivxs_rtp_wire *w, int codec, uint32_t video_ssrc, uint16_t video_seq, uint8_t video_pt,
	int has_audio, uint32_t audio_ssrc, uint16_t audio_seq, uint8_t audio_pt, int audio_counted, uint8_t twcc_id,
	const ivxs_p2p_frame_source *src,
	int (*output)(void *ctx, const uint8_t *datagram, size_t len), void *output_ctx, uint32_t now);

/* The session's SRTP context and congestion control, and a packet buffer of IVXS_RTP_WIRE_BUFFER_BYTES
 * (NULL: none; nothing is sent without the SRTP context and the buffer) for the calls that follow. */
void ivxs_rtp_wire_lend(ivxs_rtp_wire *w, ivxs_srtp *srtp, ivxs_twcc *twcc, uint8_t *buffer);

/* ivxs_feed_tick through this wire, then the sender reports when they are due (`wall_ms`: Unix
 * time, their NTP and RTP timestamps); a protect that failed leaves its status in `fault`. */
uint32_t ivxs_rtp_wire_tick(ivxs_rtp_wire *w, uint32_t now, uint64_t wall_ms);

/* The viewer's receiver reference time (an XR RRTR), arrived at `now`: the next video reports answer it. */
void ivxs_rtp_wire_rrtr(ivxs_rtp_wire *w, const ivxs_rtcp_rrtr *rrtr, uint32_t now);

/* The viewer NACKed packet `seq` of the video: resent when the rules above allow. */
void ivxs_rtp_wire_nack(ivxs_rtp_wire *w, uint16_t seq, uint32_t now);

/* The viewer asked for a key frame (PLI, FIR). Not while the key frame it was last sent is the
 * newest and its NACKs are being answered (every one since, the last within a round trip): a
 * decoder asks when it has had nothing to show for a while, before the repair is back, and sending
 * the key frame again would put a GOP's bytes behind the repair. 0: waited for the repair; 1: the
 * feed waits for a key frame (ivxs_feed_key_request). */
int ivxs_rtp_wire_key_request(ivxs_rtp_wire *w, uint32_t now);

/* The NACKs that got no resend (gone, refused, unaffordable). */
uint32_t ivxs_rtp_wire_unrepaired(const ivxs_rtp_wire *w);
/* Whether a NACKed packet went again within the last round trip: a repair is on its way. */
int ivxs_rtp_wire_repairing(const ivxs_rtp_wire *w, uint32_t now);
/* The round trip now: the feedback's smoothed one, else the reports', else the default. */
uint32_t ivxs_rtp_wire_rtt(const ivxs_rtp_wire *w);

#endif
