/*
 * The WebRTC wire on the viewer core (rtp_wire.h).
 */
#include "rtp_wire.h"

#include <string.h>

#include "p2p_cc.h"
#include "ring.h"

static int isAudio(const ivxs_p2p_frame *f)
{
	return f->flags == IVXS_FRAME_AUDIO;
}

static int begin(void *ctx, const ivxs_p2p_frame *f)
{
	ivxs_rtp_wire *w = ctx;
	ivxs_rtp_wire_unit *slot;
	int status;
	if (isAudio(f)) {
		if (!w->has_audio)
			return IVXS_WEBRTC_ECODEC;
		/* a frame longer than a packet (an encoder's 160-ms frame: 1,280 B) goes in pieces, each
		 * stamped where it starts (G.711: a byte a sample at 8 kHz) */
		w->piece_at = f->data;
		w->piece_left = f->size;
		w->piece_ts = f->ts_ms * 8u;
		return 0;
	}
	slot = &w->sent[w->sent_next];
	slot->used = 0;
	w->sending = NULL;
	if ((status = ivxs_rtp_begin(&w->vit, &w->video, f->data, f->size, f->ts_ms * 90u)))
		return status;
	w->sent_next = (uint8_t)((w->sent_next + 1) % IVXS_RTP_WIRE_HISTORY);
	slot->data = f->data;
	slot->size = f->size;
	slot->token[0] = f->token[0];
	slot->token[1] = f->token[1];
	slot->timestamp = f->ts_ms * 90u;
	slot->first = w->video.seq;
	slot->count = 0;
	slot->used = 1;
	w->sending = slot;
	if (f->key)
		w->unrepaired_at_key = ivxs_rtp_wire_unrepaired(w);
	return 0;
}

/* Numbers the RTP packet packet[0..n) for the congestion control (ivxs_twcc_stamp; `cap`: its
 * buffer, room for the SRTP tag included), its send recorded with what it costs on the wire: the new
 * length (a packet it cannot number goes as it is). */
static long number(ivxs_twcc *t, uint8_t id, uint8_t *packet, size_t n, size_t cap, int appLimited, uint32_t now)
{
	/* on the wire: the SRTP tag, UDP and IPv4 after it (what the allowance counts: native/p2p/feed.c) */
	long stamped = ivxs_twcc_stamp(t, id, packet, n, cap - IVXS_SRTP_TAG_BYTES,
		(uint32_t)(n + IVXS_TWCC_EXTENSION_BYTES + IVXS_SRTP_TAG_BYTES + 28), appLimited, now);
	return stamped < 0 ? (long)n : stamped;   /* a packet it cannot number goes as it is (never: ours) */
}

/* The packet in `out` (`n` bytes of RTP) numbered for the congestion control when `numbered`, and
 * protected: its length, or < 0 (the protect's status, kept in `fault`). */
static long seal(ivxs_rtp_wire *w, long n, int numbered, int appLimited, uint32_t now)
{
	size_t len;
	int status;
	if (numbered)
		n = number(w->twcc, w->twcc_id, w->out, (size_t)n, IVXS_RTP_WIRE_PACKET_CAP, appLimited, now);
	if ((status = ivxs_srtp_protect(w->srtp, w->out, (size_t)n, IVXS_RTP_WIRE_PACKET_CAP, &len))) {
		w->fault = status;
		return status;
	}
	return (long)len;
}

static long make(void *ctx, const ivxs_p2p_frame *f, int more, uint32_t now)
{
	ivxs_rtp_wire *w = ctx;
	int status, numbered;
	long n;
	if (!w->srtp)
		return IVXS_WEBRTC_ECRYPTO;
	if (!w->out)
		return IVXS_WEBRTC_EMTU;
	if (isAudio(f)) {
		uint32_t size = w->piece_left < IVXS_RTP_WIRE_AUDIO_PACKET ? w->piece_left : IVXS_RTP_WIRE_AUDIO_PACKET;
		if (!size)
			return 0;
		if ((status = ivxs_rtp_begin(&w->ait, &w->audio, w->piece_at, size, w->piece_ts)))
			return status;
		if ((n = ivxs_rtp_next(&w->ait, w->out, w->audio.mtu)) <= 0)
			return n ? n : IVXS_WEBRTC_EMTU;
		w->piece_at += size;
		w->piece_left -= size;
		w->piece_ts += size;
		w->counting = &w->stats.audio;
		/* one packet, one talkspurt: nothing waits after it */
		numbered = w->twcc && w->audio_counted;
		if ((n = seal(w, n, numbered, 1, now)) < 0)
			return n;
		w->len = (size_t)n;
		return n;
	}
	if (!w->sending)
		return IVXS_WEBRTC_EPACKET;
	w->vit.au = f->data;
	if ((n = ivxs_rtp_next(&w->vit, w->out, w->video.mtu)) <= 0)
		return n;
	w->sending->count++;   /* numbered even when torn: the stream counted it */
	w->counting = &w->stats.video;
	numbered = w->twcc != NULL;
	/* the marker: the access unit's last packet, after which nothing waits (unless `more`: a sender
	 * with frames waiting is not app-limited — marked so, every frame read as a new burst whose queue
	 * the CC forgave, and a queue stood: p2p_cc.c) */
	n = seal(w, n, numbered, (w->out[1] & 0x80) && !more, now);
	if (n < 0)
		return n;
	w->len = (size_t)n;
	return n;
}

static uint32_t send(void *ctx)
{
	ivxs_rtp_wire *w = ctx;
	size_t header = IVXS_RTP_HEADER_BYTES + IVXS_SRTP_TAG_BYTES + (w->twcc && (w->counting == &w->stats.video || w->audio_counted) ? IVXS_TWCC_EXTENSION_BYTES : 0);
	w->output(w->output_ctx, w->out, w->len);
	if (w->counting == &w->stats.video && w->stats.video.packets == 0)
		w->output(w->output_ctx, w->out, w->len);   /* the stream's first packet, twice (rtp_wire.h) */
	w->counting->packets++;
	w->counting->payload_bytes += (uint32_t)(w->len > header ? w->len - header : 0);
	w->stats.bytes += w->len;
	return (uint32_t)w->len;
}

static uint64_t pathRate(void *ctx, uint32_t now)
{
	ivxs_rtp_wire *w = ctx;
	return w->twcc ? ivxs_twcc_rate(w->twcc, now) : IVXS_FEED_UNBOUNDED;
}

/* How much longer than the path's least round trip its smoothed one is: the queue at its bottleneck. */
static uint32_t pathQueueMs(void *ctx)
{
	ivxs_rtp_wire *w = ctx;
	const p2p_rtt *r = w->twcc ? &w->twcc->rtt : NULL;
	return r && r->any && r->srtt > r->min ? r->srtt - r->min : 0;
}

static int windowOpen(void *ctx, uint32_t bytes, uint32_t now)
{
	ivxs_rtp_wire *w = ctx;
	return !w->twcc || ivxs_twcc_window_open(w->twcc, bytes, now);
}

int ivxs_rtp_wire_init(ivxs_rtp_wire *w, int codec, uint32_t video_ssrc, uint16_t video_seq, uint8_t video_pt,
	int has_audio, uint32_t audio_ssrc, uint16_t audio_seq, uint8_t audio_pt, int audio_counted, uint8_t twcc_id,
	const ivxs_p2p_frame_source *src,
	int (*output)(void *ctx, const uint8_t *datagram, size_t len), void *output_ctx, uint32_t now)
{
	ivxs_feed_wire wire = { begin, make, send, pathRate, pathQueueMs, windowOpen, NULL, NULL };
	size_t mtu = IVXS_RTP_WIRE_MTU - (twcc_id ? IVXS_TWCC_EXTENSION_BYTES : 0);
	if (codec != IVXS_ANNEXB_H264 && codec != IVXS_ANNEXB_H265)
		return IVXS_WEBRTC_ECODEC;
	memset(w, 0, sizeof(*w));
	w->video = (ivxs_rtp_stream){ .codec = codec, .ssrc = video_ssrc, .seq = video_seq, .payloadType = video_pt, .mtu = mtu };
	w->audio = (ivxs_rtp_stream){ .codec = IVXS_RTP_AUDIO, .ssrc = audio_ssrc, .seq = audio_seq, .payloadType = audio_pt, .mtu = mtu };
	w->has_audio = (uint8_t)!!has_audio;
	w->audio_counted = (uint8_t)!!audio_counted;
	w->twcc_id = twcc_id;
	w->output = output;
	w->output_ctx = output_ctx;
	p2p_gate_init(&w->gate, IVXS_RTP_WIRE_RESENDS_PER_SECOND, now);
	w->rtt_ms = -1;
	wire.ctx = w;
	ivxs_feed_init(&w->feed, src, &wire, has_audio ? IVXS_FEED_AUDIO_CARRIES_ON : IVXS_FEED_AUDIO_NONE, now);
	return 0;
}

void ivxs_rtp_wire_lend(ivxs_rtp_wire *w, ivxs_srtp *srtp, ivxs_twcc *twcc, uint8_t *buffer)
{
	w->srtp = srtp;
	w->out = buffer;
	w->twcc = w->twcc_id ? twcc : NULL;
}

/* One stream's sender report, the video's with the DLRR answering the viewer's receiver reference
 * time, protected and sent: 0, or a protect's status (kept in `fault`). */
static int report(ivxs_rtp_wire *w, const ivxs_rtp_stream *stream, const ivxs_rtp_wire_counts *sent, uint32_t clock_khz,
	uint64_t wall_ms, uint64_t ntp, uint32_t now)
{
	ivxs_rtcp_sender_info info = { ntp, (uint32_t)(wall_ms * clock_khz), sent->packets, sent->payload_bytes };
	long n = ivxs_rtcp_write_sender_report(w->out, IVXS_RTP_WIRE_BUFFER_BYTES, stream->ssrc, &info), m;
	size_t len;
	int status;
	if (n < 0)
		return (int)n;
	if (stream == &w->video && w->timed && P2P_SINCE(now, w->rrtr_ms) <= IVXS_RTP_WIRE_RRTR_KEPT_MS) {
		/* DLRR's delay is in 1/65536 s */
		if ((m = ivxs_rtcp_write_dlrr(w->out + n, IVXS_RTP_WIRE_BUFFER_BYTES - (size_t)n, stream->ssrc, &w->rrtr,
				(uint32_t)((uint64_t)P2P_SINCE(now, w->rrtr_ms) * 65536 / 1000))) < 0)
			return (int)m;
		n += m;
	}
	else if (stream == &w->video)
		w->timed = 0;
	if ((status = ivxs_srtcp_protect(w->srtp, w->out, (size_t)n, IVXS_RTP_WIRE_BUFFER_BYTES, &len)))
		return w->fault = status;
	w->output(w->output_ctx, w->out, len);
	w->stats.sender_reports++;
	w->stats.bytes += len;
	return 0;
}

/* The sender reports when due: the ms until the next are (IVXS_FEED_IDLE before the video sent any). */
static uint32_t reports(ivxs_rtp_wire *w, uint32_t now, uint64_t wall_ms)
{
	uint64_t ntp;
	if (!w->stats.video.packets || !w->srtp || !w->out)
		return IVXS_FEED_IDLE;
	if (w->reported && P2P_SINCE(now, w->report_ms) < IVXS_RTP_WIRE_REPORT_MS)
		return IVXS_RTP_WIRE_REPORT_MS - P2P_SINCE(now, w->report_ms);
	w->reported = 1;
	w->report_ms = now;
	ntp = ivxs_ntp_of_unix_ms(wall_ms);
	if (report(w, &w->video, &w->stats.video, 90, wall_ms, ntp, now) == 0 && w->has_audio && w->stats.audio.packets)
		(void)report(w, &w->audio, &w->stats.audio, 8, wall_ms, ntp, now);
	return IVXS_RTP_WIRE_REPORT_MS;
}

uint32_t ivxs_rtp_wire_tick(ivxs_rtp_wire *w, uint32_t now, uint64_t wall_ms)
{
	uint32_t frames = ivxs_feed_tick(&w->feed, now), next = reports(w, now, wall_ms);
	return frames < next ? frames : next;
}

void ivxs_rtp_wire_rrtr(ivxs_rtp_wire *w, const ivxs_rtcp_rrtr *rrtr, uint32_t now)
{
	w->rrtr = *rrtr;
	w->rrtr_ms = now;
	w->timed = 1;
}

uint32_t ivxs_rtp_wire_unrepaired(const ivxs_rtp_wire *w)
{
	return w->stats.resends_gone + w->stats.resends_refused + w->stats.resends_unaffordable;
}

uint32_t ivxs_rtp_wire_rtt(const ivxs_rtp_wire *w)
{
	if (w->twcc && w->twcc->rtt.srtt)
		return w->twcc->rtt.srtt;
	return w->rtt_ms >= 0 ? (uint32_t)w->rtt_ms : IVXS_RTP_WIRE_DEFAULT_RTT_MS;
}

int ivxs_rtp_wire_repairing(const ivxs_rtp_wire *w, uint32_t now)
{
	return w->resent_count && P2P_SINCE(now, w->last_resent_ms) < ivxs_rtp_wire_rtt(w);
}

/* Whether packet `seq` was resent less than a round trip ago. */
static int resentLately(const ivxs_rtp_wire *w, uint16_t seq, uint32_t now)
{
	uint32_t rtt = ivxs_rtp_wire_rtt(w);
	unsigned i;
	for (i = 0; i < w->resent_count; i++)
		if (w->resent_seq[i] == seq && P2P_SINCE(now, w->resent_ms[i]) < rtt)
			return 1;
	return 0;
}

/* Whether a unit sent is still intact in the source. */
static int unitIntact(const ivxs_feed *feed, const ivxs_rtp_wire_unit *unit)
{
	ivxs_p2p_frame f;
	memset(&f, 0, sizeof(f));
	f.data = unit->data;
	f.size = unit->size;
	f.token[0] = unit->token[0];
	f.token[1] = unit->token[1];
	return feed->src.intact(feed->src.ctx, &f);
}

void ivxs_rtp_wire_nack(ivxs_rtp_wire *w, uint16_t seq, uint32_t now)
{
	const ivxs_feed *feed = &w->feed;
	const ivxs_rtp_wire_unit *unit = NULL;
	unsigned i;
	long n;
	w->stats.nacks++;
	ivxs_feed_nacked(&w->feed, now);
	for (i = 0; i < IVXS_RTP_WIRE_HISTORY && !unit; i++)
		if (w->sent[i].used && (uint16_t)(seq - w->sent[i].first) < w->sent[i].count)
			unit = &w->sent[i];
	if (!unit || !w->srtp || !w->out || !unitIntact(feed, unit)) {
		w->stats.resends_gone++;
		return;
	}
	if (resentLately(w, seq, now)) {
		w->stats.resends_repeated++;
		return;
	}
	if (!p2p_gate_take(&w->gate, IVXS_RTP_WIRE_RESENDS_PER_SECOND, now)) {
		w->stats.resends_refused++;
		return;
	}
	if (!ivxs_feed_repair(&w->feed, now)) {
		w->stats.resends_unaffordable++;
		return;
	}
	n = ivxs_rtp_packet_at(&w->video, unit->first, unit->data, unit->size, unit->timestamp, seq, w->out, w->video.mtu);
	if (n > 0)
		n = seal(w, n, w->twcc != NULL, 1, now);
	/* (the ring may have moved on while it was made) */
	if (n <= 0 || !unitIntact(feed, unit)) {
		w->stats.resends_gone++;
		return;
	}
	w->output(w->output_ctx, w->out, (size_t)n);
	w->resent_seq[w->resent_next] = seq;
	w->resent_ms[w->resent_next] = now;
	if (w->resent_count < IVXS_RTP_WIRE_RESENT)
		w->resent_count++;
	w->resent_next = (uint8_t)((w->resent_next + 1) % IVXS_RTP_WIRE_RESENT);
	w->last_resent_ms = now;
	ivxs_feed_repaired(&w->feed, (uint32_t)n);
	w->stats.resent++;
	w->stats.bytes += (uint64_t)n;
}

int ivxs_rtp_wire_key_request(ivxs_rtp_wire *w, uint32_t now)
{
	if (w->feed.keyed && ivxs_feed_key_is_newest(&w->feed) && ivxs_rtp_wire_unrepaired(w) == w->unrepaired_at_key
		&& ivxs_rtp_wire_repairing(w, now))
		return 0;
	ivxs_feed_key_request(&w->feed, now);
	return 1;
}
