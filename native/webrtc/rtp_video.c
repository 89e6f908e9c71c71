/*
 * H.264 (RFC 6184) and H.265 (RFC 7798) RTP packetization of one access unit (rtp_video.h), and
 * an audio frame (G.711: RFC 3551) whole in one packet. The NAL units come from native/annexb's
 * scanner; this file knows only the payload formats.
 */
#include "rtp_video.h"

#include <string.h>

#include "ivxs_bytes.h"
#define H264_STAP_A 24
#define H264_FU_A 28
#define H265_AP 48
#define H265_FU 49

static size_t headerBytes(int codec) { return codec == IVXS_ANNEXB_H264 ? 1 : 2; }

/* Parameter sets: what aggregation packets carry (H.264 SPS 7, PPS 8; H.265 VPS 32, SPS 33, PPS 34). */
static int isParameterSet(int codec, const uint8_t *h)
{
	uint8_t type = ivxs_annexb_nal_type(codec, h);
	return codec == IVXS_ANNEXB_H264 ? type == 7 || type == 8 : type >= 32 && type <= 34;
}

static int isDelimiter(int codec, const uint8_t *h)
{
	return ivxs_annexb_nal_type(codec, h) == (codec == IVXS_ANNEXB_H264 ? 9 : 35);
}

/* The next NAL unit worth sending into it->next (access unit delimiters skipped). */
static void lookAhead(ivxs_rtp_packetizer *it)
{
	int r;
	it->hasNext = 0;
	if (it->error || it->stream->codec == IVXS_RTP_AUDIO)
		return;
	while ((r = ivxs_annexb_next_nal(it->au, it->size, &it->cursor, &it->next)) == 1) {
		const uint8_t *h = it->au + it->next.start;
		if (it->next.end - it->next.start < headerBytes(it->stream->codec)) {
			r = IVXS_ANNEXB_EHEADER;   /* an H.265 NAL shorter than its 2-byte header */
			break;
		}
		if (!isDelimiter(it->stream->codec, h)) {
			it->hasNext = 1;
			return;
		}
	}
	if (r < 0)
		it->error = r;
}

static void advance(ivxs_rtp_packetizer *it)
{
	it->cur = it->next;
	it->hasCur = it->hasNext;
	it->fragment = 0;
	lookAhead(it);
}

int ivxs_rtp_begin(ivxs_rtp_packetizer *it, ivxs_rtp_stream *stream, const uint8_t *au, size_t size, uint32_t timestamp)
{
	memset(it, 0, sizeof(*it));
	if (!stream || (stream->codec != IVXS_ANNEXB_H264 && stream->codec != IVXS_ANNEXB_H265 && stream->codec != IVXS_RTP_AUDIO))
		return IVXS_WEBRTC_ECODEC;
	if (stream->mtu < IVXS_RTP_MIN_MTU)
		return IVXS_WEBRTC_EMTU;
	it->stream = stream;
	it->au = au;
	it->size = size;
	it->timestamp = timestamp;
	if (stream->codec == IVXS_RTP_AUDIO) {   /* the frame is the payload: one packet */
		if (size > stream->mtu - IVXS_RTP_HEADER_BYTES)
			return IVXS_WEBRTC_EMTU;
		it->cur.start = 0;
		it->cur.end = size;
		it->hasCur = size > 0;
		return 0;
	}
	ivxs_annexb_cursor_init(&it->cursor);
	lookAhead(it);
	advance(it);
	return 0;
}

static void rtpHeader(uint8_t *out, ivxs_rtp_stream *s, uint32_t timestamp, int marker)
{
	out[0] = 0x80;   /* version 2, no padding, no extension, no CSRC */
	out[1] = (uint8_t)((marker ? 0x80 : 0) | (s->payloadType & 0x7f));
	ivxs_put16(out + 2, s->seq);
	ivxs_put32(out + 4, timestamp);
	ivxs_put32(out + 8, s->ssrc);
	s->seq++;
}

/* STAP-A / AP: parameter sets one after the other while they fit, each with a 16-bit size. */
static size_t aggregate(ivxs_rtp_packetizer *it, uint8_t *p, size_t room)
{
	int codec = it->stream->codec;
	size_t hb = headerBytes(codec), n = hb;
	uint8_t f = 0, nri = 0, layer = 0x3f, tid = 7;
	while (it->hasCur && isParameterSet(codec, it->au + it->cur.start)) {
		const uint8_t *nal = it->au + it->cur.start;
		size_t size = it->cur.end - it->cur.start;
		if (n + 2 + size > room)
			break;
		ivxs_put16(p + n, (uint32_t)size);
		memcpy(p + n + 2, nal, size);
		n += 2 + size;
		f |= nal[0] & 0x80;
		if (codec == IVXS_ANNEXB_H264) {
			if ((nal[0] & 0x60) > nri)
				nri = nal[0] & 0x60;
		}
		else {
			uint8_t l = (uint8_t)((nal[0] & 1) << 5 | nal[1] >> 3), t = nal[1] & 7;
			if (l < layer)
				layer = l;
			if (t < tid)
				tid = t;
		}
		advance(it);
	}
	if (codec == IVXS_ANNEXB_H264)
		p[0] = (uint8_t)(f | nri | H264_STAP_A);
	else {
		p[0] = (uint8_t)(f | H265_AP << 1 | layer >> 5);
		p[1] = (uint8_t)((layer & 0x1f) << 3 | tid);
	}
	return n;
}

/* The next fragmentation unit of `cur` (FU-A / FU): the NAL header's fields in the payload header. */
static size_t fragment(ivxs_rtp_packetizer *it, uint8_t *p, size_t room, int *last)
{
	int codec = it->stream->codec;
	size_t hb = headerBytes(codec), size = it->cur.end - it->cur.start, body = size - hb, n;
	const uint8_t *nal = it->au + it->cur.start;
	uint8_t type = ivxs_annexb_nal_type(codec, nal);
	int start = it->fragment == 0;
	n = body - it->fragment;
	if (n > room - hb - 1)
		n = room - hb - 1;
	*last = it->fragment + n == body;
	if (codec == IVXS_ANNEXB_H264)
		p[0] = (uint8_t)((nal[0] & 0xe0) | H264_FU_A);
	else {
		p[0] = (uint8_t)((nal[0] & 0x81) | H265_FU << 1);
		p[1] = nal[1];
	}
	p[hb] = (uint8_t)((start ? 0x80 : 0) | (*last ? 0x40 : 0) | type);
	memcpy(p + hb + 1, nal + hb + it->fragment, n);
	it->fragment += n;
	return hb + 1 + n;
}

long ivxs_rtp_next(ivxs_rtp_packetizer *it, uint8_t *out, size_t cap)
{
	ivxs_rtp_stream *s = it->stream;
	size_t room, n;
	uint32_t timestamp = it->timestamp;
	int codec, last = 1;
	if (!s)
		return 0;
	if (cap < s->mtu)
		return IVXS_WEBRTC_EMTU;
	if (!it->hasCur) {
		int error = it->error;
		it->error = 0;
		it->stream = NULL;   /* done: 0 from now on */
		return error;
	}
	codec = s->codec;
	room = s->mtu - IVXS_RTP_HEADER_BYTES;
	n = it->cur.end - it->cur.start;
	if (it->fragment == 0 && n <= room) {
		if (it->hasNext && isParameterSet(codec, it->au + it->cur.start) && isParameterSet(codec, it->au + it->next.start)
				&& headerBytes(codec) + 4 + n + (it->next.end - it->next.start) <= room)
			n = aggregate(it, out + IVXS_RTP_HEADER_BYTES, room);
		else {
			memcpy(out + IVXS_RTP_HEADER_BYTES, it->au + it->cur.start, n);
			advance(it);
		}
	}
	else {
		n = fragment(it, out + IVXS_RTP_HEADER_BYTES, room, &last);
		if (last)
			advance(it);
	}
	/* the marker ends a video access unit; audio sends its frames as one talkspurt, unmarked */
	rtpHeader(out, s, timestamp, codec != IVXS_RTP_AUDIO && last && !it->hasCur);
	return (long)(IVXS_RTP_HEADER_BYTES + n);
}

long ivxs_rtp_packet_at(const ivxs_rtp_stream *stream, uint16_t firstSeq, const uint8_t *au, size_t size,
	uint32_t timestamp, uint16_t seq, uint8_t *out, size_t cap)
{
	ivxs_rtp_stream again = *stream;
	ivxs_rtp_packetizer it;
	uint16_t wanted = (uint16_t)(seq - firstSeq);   /* the packet's place in the unit, modulo 2^16 */
	long n;
	int status;
	again.seq = firstSeq;
	if ((status = ivxs_rtp_begin(&it, &again, au, size, timestamp)))
		return status;
	/* Packetizing is deterministic: the same unit, stream and first number make the same packets;
	 * the ones before the wanted one are written over each other in `out`. */
	for (;;) {
		if ((n = ivxs_rtp_next(&it, out, cap)) <= 0)
			return n;   /* 0: the unit has fewer packets; < 0: as ivxs_rtp_next */
		if (wanted-- == 0)
			return n;
	}
}
