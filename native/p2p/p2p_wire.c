/*
 * P2P transport — the frames inside a decrypted packet (PROTOCOL.md
 * "Frames"). Every multi-byte field is big-endian (ivxs_bytes.h). The parser
 * checks every length against the bytes that are there before it reads.
 */
#include "p2p_internal.h"

#include <string.h>

size_t p2p_wire_ack_size(const p2p_ack *a)
{
	return 9 + 2 * (size_t)a->nranges;
}

/* type, largest u32, delay u16, extra ranges u8, first range u8, then (gap u8, length u8) each. */
size_t p2p_wire_ack(uint8_t *p, const p2p_ack *a)
{
	uint32_t i;
	p[0] = P2P_F_ACK;
	ivxs_put32(p + 1, a->largest);
	ivxs_put16(p + 5, a->delay_ms > 0xffff ? 0xffff : a->delay_ms);
	p[7] = (uint8_t)a->nranges;
	p[8] = (uint8_t)(a->hi[0] - a->lo[0]);
	for (i = 1; i <= a->nranges; i++) {
		p[7 + 2 * i] = (uint8_t)(a->lo[i - 1] - a->hi[i] - 2);
		p[8 + 2 * i] = (uint8_t)(a->hi[i] - a->lo[i]);
	}
	return p2p_wire_ack_size(a);
}

/* FRAME: type, chan, seq, ts, key, flags, total, off, floor u32, length, data */
size_t p2p_wire_frame_hdr(uint8_t *p, const p2p_frame_chunk *c)
{
	p[0] = P2P_F_FRAME;
	p[1] = c->chan;
	ivxs_put32(p + 2, c->seq);
	ivxs_put32(p + 6, c->ts);
	p[10] = c->key;
	p[11] = c->flags;
	ivxs_put32(p + 12, c->total);
	ivxs_put32(p + 16, c->off);
	ivxs_put32(p + 20, c->floor);
	ivxs_put16(p + 24, c->len);
	return P2P_FRAME_HDR;
}

void p2p_wire_cmd_hdr(uint8_t *p, uint32_t off, uint32_t len)
{
	p[0] = P2P_F_CMD;
	ivxs_put32(p + 1, off);
	ivxs_put16(p + 5, len);
}

static int parseAck(const uint8_t *p, size_t room, p2p_ack *a)
{
	uint32_t i;
	if (room < 9)
		return IVXS_P2P_ETRUNC;
	a->largest = ivxs_get32(p + 1);
	a->delay_ms = ivxs_get16(p + 5);
	a->nranges = p[7];
	if (a->nranges > P2P_ACK_RANGES)
		return IVXS_P2P_EPROTO;
	if (room < p2p_wire_ack_size(a))
		return IVXS_P2P_ETRUNC;
	a->hi[0] = a->largest;
	if (p[8] > a->largest)
		return IVXS_P2P_EPROTO;
	a->lo[0] = a->largest - p[8];
	for (i = 1; i <= a->nranges; i++) {
		uint32_t gap = p[7 + 2 * i], len = p[8 + 2 * i];
		/* next range ends gap + 2 below the previous one's start: no underflow */
		if (a->lo[i - 1] < gap + 2 + len)
			return IVXS_P2P_EPROTO;
		a->hi[i] = a->lo[i - 1] - gap - 2;
		a->lo[i] = a->hi[i] - len;
	}
	return 0;
}

int p2p_wire_next(const uint8_t *plain, size_t len, size_t *pos, p2p_item *out)
{
	const uint8_t *p;
	size_t room, need;
	int status = 1;
	/* PAD bytes are skipped (the sender aligns frame headers for the cipher) */
	while (*pos < len && plain[*pos] == P2P_F_PAD)
		(*pos)++;
	if (*pos >= len)
		return 0;
	p = plain + *pos;
	room = len - *pos;
	out->type = p[0];
	switch (p[0]) {
	case P2P_F_PING:
		need = 1;
		break;
	case P2P_F_CLOSE:
		need = 2;
		if (room >= need)
			out->code = p[1];
		break;
	case P2P_F_CHALLENGE:
	case P2P_F_RESPONSE:
		need = 1 + P2P_TOKEN;
		out->token = p + 1;
		break;
	case P2P_F_ACK:
		status = parseAck(p, room, &out->ack);
		need = status < 0 ? room + 1 : p2p_wire_ack_size(&out->ack);
		if (status == 0)
			status = 1;
		break;
	case P2P_F_FRAME:
		need = P2P_FRAME_HDR;
		if (room < need)
			break;
		out->fc.chan = p[1];
		out->fc.seq = ivxs_get32(p + 2);
		out->fc.ts = ivxs_get32(p + 6);
		out->fc.key = p[10];
		out->fc.flags = p[11];
		out->fc.total = ivxs_get32(p + 12);
		out->fc.off = ivxs_get32(p + 16);
		out->fc.floor = ivxs_get32(p + 20);
		out->fc.len = ivxs_get16(p + 24);
		out->fc.data = p + need;
		need += out->fc.len;
		break;
	case P2P_F_CMD:
		need = P2P_CMD_HDR;
		if (room < need)
			break;
		out->cc.off = ivxs_get32(p + 1);
		out->cc.len = ivxs_get16(p + 5);
		out->cc.data = p + P2P_CMD_HDR;
		need += out->cc.len;
		break;
	default:
		return IVXS_P2P_EPROTO;   /* unknown frame type: the whole packet is refused */
	}
	if (status < 0)
		return status;
	if (room < need)
		return IVXS_P2P_ETRUNC;
	*pos += need;
	return 1;
}
