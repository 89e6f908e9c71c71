/*
 * RTP payload formats for the ring's video: H.264 (RFC 6184, packetization-mode 1) and H.265
 * (RFC 7798). One access unit (Annex-B, as the ring holds it) becomes packets of at most `mtu`
 * bytes: a NAL unit that fits is sent alone; consecutive parameter sets (H.264 SPS/PPS, H.265
 * VPS/SPS/PPS) that fit together go in one aggregation packet (STAP-A / AP) — a browser joining
 * at a key frame gets them in one datagram; a larger NAL is cut into fragmentation units (FU-A /
 * FU). Access unit delimiters are dropped (RFC 6184 §5.1: the marker bit ends the access unit).
 *
 * An iterator over the access unit, writing each packet (12-byte RTP header and payload) into the
 * caller's buffer: no allocation, the access unit read where it lies (the ring's frame).
 */
#ifndef IVXS_RTP_VIDEO_H
#define IVXS_RTP_VIDEO_H

#include <stddef.h>
#include <stdint.h>

#include "annexb.h"
#include "webrtc.h"

#define IVXS_RTP_HEADER_BYTES 12
#define IVXS_RTP_MIN_MTU 64             /* room for a FU's headers and some payload */
#define IVXS_RTP_AUDIO 0                /* a stream's codec: audio frames (G.711), each whole in one packet */


/* One RTP stream's header fields: the packetizer writes them into each packet and counts `seq`. */
typedef struct {
	uint32_t ssrc;
	uint16_t seq;                /* the next packet's sequence number */
	uint8_t payloadType;         /* 96–127: the SDP's */
	int codec;                   /* IVXS_ANNEXB_H264, IVXS_ANNEXB_H265, or IVXS_RTP_AUDIO */
	size_t mtu;                  /* largest RTP packet, bytes (header and payload; no SRTP tag) */
} ivxs_rtp_stream;

/* Holds offsets into the access unit only, and its address in `au`: a caller whose buffer may
 * move between packets (a garbage collector) sets `au` again before each ivxs_rtp_next. */
typedef struct {
	ivxs_rtp_stream *stream;
	const uint8_t *au;
	size_t size;
	ivxs_annexb_cursor cursor;   /* annexb's scan of the access unit (native/annexb: its one NAL rule) */
	ivxs_annexb_span cur, next;  /* the NAL being sent, and the one after it (the marker bit's lookahead) */
	uint8_t hasCur, hasNext;
	int error;                   /* the scan failed after `cur`: reported once `cur` is sent */
	size_t fragment;             /* bytes of cur's payload already sent in FUs (0: none yet) */
	uint32_t timestamp;          /* 90 kHz */
} ivxs_rtp_packetizer;

/* Begins an access unit (Annex-B bytes, `timestamp` in 90 kHz units; for IVXS_RTP_AUDIO an audio
 * frame, in its clock's units): 0, IVXS_WEBRTC_ECODEC, or IVXS_WEBRTC_EMTU (an MTU under
 * IVXS_RTP_MIN_MTU, or an audio frame larger than one packet). */
int ivxs_rtp_begin(ivxs_rtp_packetizer *it, ivxs_rtp_stream *stream, const uint8_t *au, size_t size, uint32_t timestamp);
/* Writes the next packet into `out` (`cap` ≥ the stream's mtu): its length; 0 when the access unit
 * is done (the last packet had the marker bit); IVXS_WEBRTC_EMTU (`cap` too small); or an
 * IVXS_ANNEXB_E* status: the access unit is damaged there (the NAL units before it were sent,
 * the last with the marker bit). */
long ivxs_rtp_next(ivxs_rtp_packetizer *it, uint8_t *out, size_t cap);

/* Packet `seq` of an access unit whose first packet was `firstSeq` (same stream fields, unit and
 * timestamp as when it was sent): written into `out` again, byte for byte as it was — a NACKed
 * packet resent from the ring (RFC 4585 §6.2.1). Its length; 0 when the unit has no packet `seq`;
 * or an ivxs_rtp_next status. `stream` is not changed (its next sequence number stays). */
long ivxs_rtp_packet_at(const ivxs_rtp_stream *stream, uint16_t firstSeq, const uint8_t *au, size_t size,
	uint32_t timestamp, uint16_t seq, uint8_t *out, size_t cap);

#endif
