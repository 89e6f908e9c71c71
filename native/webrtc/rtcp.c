/*
 * RTCP parsing and the camera's sender report (rtcp.h).
 */
#include "rtcp.h"

#include "ivxs_bytes.h"
#define HEADER 4
#define REPORT_BLOCK 24
#define SENDER_INFO 20


int ivxs_rtcp_next(const uint8_t *data, size_t len, size_t *pos, ivxs_rtcp_packet *out)
{
	const uint8_t *p = data + *pos;
	size_t left = len - *pos, size, content, fixed;
	if (*pos >= len)
		return 0;
	if (left < HEADER || (p[0] >> 6) != 2)
		return IVXS_WEBRTC_EPACKET;
	size = 4 * ((size_t)ivxs_get16(p + 2) + 1);
	if (size > left)
		return IVXS_WEBRTC_EPACKET;
	content = size;
	if (p[0] & 0x20) {   /* padding: its count in the packet's last byte, at least 1 */
		uint8_t pad = p[size - 1];
		if (!pad || pad > size - HEADER)
			return IVXS_WEBRTC_EPACKET;
		content -= pad;
	}
	out->type = p[1];
	out->count = p[0] & 0x1f;
	out->sender = out->media = 0;
	switch (out->type) {
	case IVXS_RTCP_SR:
		fixed = HEADER + 4;
		if (content < fixed + SENDER_INFO + (size_t)out->count * REPORT_BLOCK)
			return IVXS_WEBRTC_EPACKET;
		break;
	case IVXS_RTCP_RR:
		fixed = HEADER + 4;
		if (content < fixed + (size_t)out->count * REPORT_BLOCK)
			return IVXS_WEBRTC_EPACKET;
		break;
	case IVXS_RTCP_RTPFB:
	case IVXS_RTCP_PSFB:
		fixed = HEADER + 8;
		if (content < fixed)
			return IVXS_WEBRTC_EPACKET;
		out->media = ivxs_get32(p + HEADER + 4);
		break;
	default:   /* SDES, BYE, APP, XR, …: what follows the header is theirs */
		fixed = content >= HEADER + 4 ? HEADER + 4 : HEADER;
		break;
	}
	if (fixed >= HEADER + 4)
		out->sender = ivxs_get32(p + HEADER);
	out->body = p + fixed;
	out->bodyLen = content - fixed;
	*pos += size;
	return 1;
}

int ivxs_rtcp_sender_info_of(const ivxs_rtcp_packet *p, ivxs_rtcp_sender_info *out)
{
	if (p->type != IVXS_RTCP_SR || p->bodyLen < SENDER_INFO)
		return IVXS_WEBRTC_EPACKET;
	out->ntp = (uint64_t)ivxs_get32(p->body) << 32 | ivxs_get32(p->body + 4);
	out->rtpTimestamp = ivxs_get32(p->body + 8);
	out->packets = ivxs_get32(p->body + 12);
	out->octets = ivxs_get32(p->body + 16);
	return 0;
}

int ivxs_rtcp_report_at(const ivxs_rtcp_packet *p, unsigned i, ivxs_rtcp_report *out)
{
	size_t at = (p->type == IVXS_RTCP_SR ? SENDER_INFO : 0) + (size_t)i * REPORT_BLOCK;
	const uint8_t *b;
	uint32_t lost;
	if ((p->type != IVXS_RTCP_SR && p->type != IVXS_RTCP_RR) || i >= p->count || at + REPORT_BLOCK > p->bodyLen)
		return IVXS_WEBRTC_EPACKET;
	b = p->body + at;
	out->ssrc = ivxs_get32(b);
	out->fractionLost = b[4];
	lost = ivxs_get24(b + 5);
	out->cumulativeLost = (int32_t)(lost & 0x800000 ? lost | 0xff000000u : lost);
	out->highestSeq = ivxs_get32(b + 8);
	out->jitter = ivxs_get32(b + 12);
	out->lastSr = ivxs_get32(b + 16);
	out->delaySinceLastSr = ivxs_get32(b + 20);
	return 0;
}

int ivxs_rtcp_nack_next(const ivxs_rtcp_packet *p, ivxs_rtcp_nack_cursor *c, uint16_t *seq)
{
	if (p->type != IVXS_RTCP_RTPFB || p->count != 1)
		return 0;
	while ((c->entry + 1) * 4 <= p->bodyLen) {
		const uint8_t *e = p->body + c->entry * 4;
		uint16_t pid = (uint16_t)ivxs_get16(e), blp = (uint16_t)ivxs_get16(e + 2);
		if (c->bit == 0) {   /* the entry's PID, then PID + 1 + i for each bit i of its BLP */
			c->bit = 1;
			*seq = pid;
			return 1;
		}
		while (c->bit <= 16) {
			int i = c->bit++ - 1;
			if (blp >> i & 1) {
				*seq = (uint16_t)(pid + i + 1);
				return 1;
			}
		}
		c->entry++;
		c->bit = 0;
	}
	return 0;
}

#define TWCC_FMT 15
#define TWCC_HEADER 8   /* base, count, reference time, feedback packet count */

/* A TWCC chunk's number of symbols: its run length, or 14 one-bit / 7 two-bit symbols. */
static unsigned twccSymbols(unsigned chunk)
{
	if (!(chunk & 0x8000))
		return chunk & 0x1fff;
	return chunk & 0x4000 ? 7 : 14;
}

/* Symbol i of a chunk: 0 not received, 1 small delta, 2 large or negative delta, 3 reserved —
 * also the bytes of its receive delta. */
static unsigned twccSymbol(unsigned chunk, unsigned i)
{
	if (!(chunk & 0x8000))
		return chunk >> 13 & 3;
	if (!(chunk & 0x4000))
		return chunk >> (13 - i) & 1;
	return chunk >> (12 - 2 * i) & 3;
}

int ivxs_rtcp_twcc_begin(const ivxs_rtcp_packet *p, ivxs_rtcp_twcc *t)
{
	const uint8_t *b = p->body, *end, *c;
	size_t deltaBytes = 0;
	uint32_t ref;
	unsigned left;
	if (p->type != IVXS_RTCP_RTPFB || p->count != TWCC_FMT || p->bodyLen < TWCC_HEADER)
		return IVXS_WEBRTC_EPACKET;
	end = b + p->bodyLen;
	t->base = (uint16_t)ivxs_get16(b);
	t->count = (uint16_t)ivxs_get16(b + 2);
	ref = ivxs_get24(b + 4);
	t->referenceUs = ((int64_t)ref - (ref & 0x800000 ? 0x1000000 : 0)) * 64000;   /* 24-bit signed */
	t->feedbackCount = b[7];
	/* the chunks once, for where the deltas start and how many bytes they take: each chunk
	 * tells at least 1 status, so at most bodyLen / 2 turns */
	for (c = b + TWCC_HEADER, left = t->count; left; c += 2) {
		unsigned chunk, size, n, i;
		if (end - c < 2)
			return IVXS_WEBRTC_EPACKET;
		chunk = ivxs_get16(c);
		size = twccSymbols(chunk);
		if (!size)
			return IVXS_WEBRTC_EPACKET;
		n = size < left ? size : left;   /* the last chunk's extras: ignored */
		if (!(chunk & 0x8000)) {   /* a run: one symbol n times */
			if (twccSymbol(chunk, 0) == 3)
				return IVXS_WEBRTC_EPACKET;
			deltaBytes += (size_t)n * twccSymbol(chunk, 0);
		}
		else
			for (i = 0; i < n; i++) {
				unsigned s = twccSymbol(chunk, i);
				if (s == 3)
					return IVXS_WEBRTC_EPACKET;
				deltaBytes += s;
			}
		left -= n;
	}
	if ((size_t)(end - c) < deltaBytes)
		return IVXS_WEBRTC_EPACKET;
	t->chunk = b + TWCC_HEADER;
	t->delta = c;
	t->end = end;
	t->index = t->symbol = 0;
	t->arrivalUs = t->referenceUs;
	return 0;
}

int ivxs_rtcp_twcc_next(ivxs_rtcp_twcc *t, uint16_t *seq, int *received, int64_t *arrivalUs)
{
	unsigned chunk, s;
	if (t->index >= t->count)
		return 0;
	if (t->end - t->chunk < 2)
		return IVXS_WEBRTC_EPACKET;
	chunk = ivxs_get16(t->chunk);
	if (t->symbol >= twccSymbols(chunk))
		return IVXS_WEBRTC_EPACKET;
	s = twccSymbol(chunk, t->symbol);
	if (s == 3 || t->end - t->delta < (ptrdiff_t)s)
		return IVXS_WEBRTC_EPACKET;
	if (s == 1)
		t->arrivalUs += (int64_t)t->delta[0] * 250;
	else if (s == 2) {   /* 16-bit signed */
		long d = (long)ivxs_get16(t->delta);
		t->arrivalUs += (int64_t)(d - (d & 0x8000 ? 0x10000 : 0)) * 250;
	}
	t->delta += s;
	if (++t->symbol == twccSymbols(chunk)) {
		t->chunk += 2;
		t->symbol = 0;
	}
	*seq = (uint16_t)(t->base + t->index++);
	*received = s != 0;
	*arrivalUs = t->arrivalUs;
	return 1;
}

int ivxs_rtcp_wants_key_frame(const ivxs_rtcp_packet *p, uint32_t media, int *firSeq)
{
	size_t at;
	if (p->type != IVXS_RTCP_PSFB)
		return 0;
	if (p->count == 1) {   /* PLI: about the media SSRC of its header */
		*firSeq = -1;
		return p->media == media;
	}
	if (p->count != 4)
		return 0;
	for (at = 0; at + 8 <= p->bodyLen; at += 8)   /* FIR: entries of SSRC, command sequence number, 3 reserved bytes */
		if (ivxs_get32(p->body + at) == media) {
			*firSeq = p->body[at + 4];
			return 1;
		}
	return 0;
}

#define NTP_UNIX_SECONDS 2208988800u   /* 1900 to 1970 */

uint64_t ivxs_ntp_of_unix_ms(uint64_t unix_ms)
{
	uint32_t seconds = (uint32_t)(unix_ms / 1000 + NTP_UNIX_SECONDS);   /* (era 0 wraps in 2036, as NTP's does) */
	uint32_t fraction = (uint32_t)(((unix_ms % 1000) << 32) / 1000);
	return ((uint64_t)seconds << 32) | fraction;
}

long ivxs_rtcp_write_sender_report(uint8_t *out, size_t cap, uint32_t ssrc, const ivxs_rtcp_sender_info *info)
{
	if (cap < HEADER + 4 + SENDER_INFO)
		return IVXS_WEBRTC_EMTU;
	out[0] = 0x80;   /* version 2, no padding, no report blocks */
	out[1] = IVXS_RTCP_SR;
	out[2] = 0, out[3] = 6;   /* 7 words − 1 */
	ivxs_put32(out + 4, ssrc);
	ivxs_put32(out + 8, (uint32_t)(info->ntp >> 32));
	ivxs_put32(out + 12, (uint32_t)info->ntp);
	ivxs_put32(out + 16, info->rtpTimestamp);
	ivxs_put32(out + 20, info->packets);
	ivxs_put32(out + 24, info->octets);
	return HEADER + 4 + SENDER_INFO;
}

#define XR_BLOCK 4          /* block type, reserved, block length (words − 1) */
#define XR_RRTR 4           /* block type: receiver reference time, an NTP timestamp */
#define XR_DLRR 5           /* block type: delay since last receiver report, a sub-block per receiver */

int ivxs_rtcp_rrtr_of(const ivxs_rtcp_packet *p, ivxs_rtcp_rrtr *out)
{
	size_t at = 0;
	int found = 0;
	uint32_t lrr = 0;
	if (p->type != IVXS_RTCP_XR)   /* its body: the report blocks after the sender's SSRC */
		return 0;
	while (at + XR_BLOCK <= p->bodyLen) {
		const uint8_t *b = p->body + at;
		size_t size = 4 * ((size_t)ivxs_get16(b + 2) + 1);
		if (size > p->bodyLen - at)
			return IVXS_WEBRTC_EPACKET;
		if (b[0] == XR_RRTR) {
			if (size != XR_BLOCK + 8)
				return IVXS_WEBRTC_EPACKET;
			lrr = ivxs_get32(b + XR_BLOCK + 2);   /* the NTP timestamp's low 16 bits of seconds, high 16 of fraction */
			found = 1;
		}
		at += size;
	}
	if (found) {   /* *out only for a packet read whole */
		out->ssrc = p->sender;
		out->lrr = lrr;
	}
	return found;
}

long ivxs_rtcp_write_dlrr(uint8_t *out, size_t cap, uint32_t ssrc, const ivxs_rtcp_rrtr *rrtr, uint32_t delay)
{
	if (cap < HEADER + 4 + XR_BLOCK + 12)
		return IVXS_WEBRTC_EMTU;
	out[0] = 0x80;
	out[1] = IVXS_RTCP_XR;
	out[2] = 0, out[3] = 5;   /* 6 words − 1 */
	ivxs_put32(out + 4, ssrc);
	out[8] = XR_DLRR, out[9] = 0;
	out[10] = 0, out[11] = 3;   /* one sub-block: 4 words − 1 */
	ivxs_put32(out + 12, rrtr->ssrc);
	ivxs_put32(out + 16, rrtr->lrr);
	ivxs_put32(out + 20, delay);
	return HEADER + 4 + XR_BLOCK + 12;
}
