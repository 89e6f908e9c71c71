/*
 * P2P transport — channels: the outgoing frame channel (server: media,
 * client: voice) cut zero-copy from a frame source, the incoming one
 * reassembled, and the command stream (reliable, in order, both ways).
 * Per channel: bytes unsent, rates, acknowledged bytes, watermark events.
 *
 * Frames are partially reliable: a chunk that is lost is sent again until
 * the frame's deadline (capture time + deadline_ms; up to deadline_max_ms
 * while a loss is repaired and the sender is not behind: ftxExtend); then
 * the frame is given up, and so is a frame whose bytes the source overwrote (the zero-copy
 * contract of native/ring: encrypt from the source, check intact, then send
 * — or drop the packet and count). After either, the sender asks the source
 * for the next key frame: the frames in between depend on what was lost.
 * A P frame that could not reach the viewer before its deadline even if it
 * went now (the bytes ahead of it at btl_bw) is not sent at all (ftxDoomed).
 * Each frame chunk carries the sender's floor (its oldest frame still being
 * sent), so the receiver stops waiting for what was given up.
 */
#include "p2p_internal.h"

#include <string.h>

#define kMaxPulls 256          /* frames looked at per fill (stale ones are skipped) */
#define kExtendStepMs 20       /* a frame kept past its deadline is looked at again this often */

static int txFrameChannel(const ivxs_p2p_session *s)
{
	return s->p2p->cfg.role == IVXS_P2P_SERVER ? IVXS_P2P_CH_MEDIA : IVXS_P2P_CH_VOICE;
}

static int rxFrameChannel(const ivxs_p2p_session *s)
{
	return s->p2p->cfg.role == IVXS_P2P_SERVER ? IVXS_P2P_CH_VOICE : IVXS_P2P_CH_MEDIA;
}

static int bitGet(const uint32_t *b, uint32_t i)
{
	return (int)((b[i / 32] >> (i % 32)) & 1u);
}

static void bitSet(uint32_t *b, uint32_t i)
{
	b[i / 32] |= 1u << (i % 32);
}

static void bitClear(uint32_t *b, uint32_t i)
{
	b[i / 32] &= ~(1u << (i % 32));
}

void p2p_chan_meter(p2p_meter *m, uint32_t now)
{
	uint32_t steps = 0;
	if (P2P_DIFF(now, m->bucket_ms) >= 100 * P2P_METER) {
		memset(m->sent, 0, sizeof(m->sent));
		memset(m->acked, 0, sizeof(m->acked));
		m->bucket_ms = now;
		return;
	}
	while (P2P_DIFF(now, m->bucket_ms) >= 100 && steps++ < P2P_METER) {
		m->cur = (m->cur + 1) % P2P_METER;
		m->sent[m->cur] = m->acked[m->cur] = 0;
		m->bucket_ms += 100;
	}
}

void p2p_chan_init(ivxs_p2p_session *s, uint32_t now)
{
	uint32_t i;
	p2p_ftx *t = &s->ftx;
	p2p_frx *r = &s->frx;
	for (i = 0; i < t->n; i++)
		t->slots[i].used = 0;
	t->base = t->next = 0;
	t->limit = t->n;
	t->max_bytes = UINT32_MAX;
	t->need_key = 1;
	memset(t->keyed, 0, sizeof(t->keyed));
	t->src = NULL;
	t->unsent = 0;
	for (i = 0; i < r->n; i++)
		r->slots[i].used = 0;
	r->next = 0;
	r->lost = 0;
	memset(r->keyed, 0, sizeof(r->keyed));
	memset(r->broken, 0, sizeof(r->broken));
	s->cmd.tx_base = s->cmd.tx_head = s->cmd.tx_head_pos = 0;
	s->cmd.d_tail = s->cmd.d_count = 0;
	s->cmd.unsent = 0;
	s->cmd.rx_off = 0;
	s->cmd.nranges = 0;
	s->cmd.lend = s->cmd.peer_waiting = 0;
	memset(s->chan, 0, sizeof(s->chan));
	for (i = 0; i < IVXS_P2P_CHANNELS; i++)
		s->chan[i].meter.bucket_ms = now;
	s->rr = 0;
}

void p2p_chan_release(ivxs_p2p_session *s)
{
	p2p_free(s->p2p, s->cmd.tx);
	p2p_free(s->p2p, s->cmd.rx);
	p2p_free(s->p2p, s->cmd.book);
	p2p_free(s->p2p, s->ftx.feed);
	p2p_free(s->p2p, s->frx.arena);
	s->cmd.tx = s->cmd.rx = NULL;
	s->cmd.book = NULL;
	s->ftx.feed = NULL;
	s->frx.arena = NULL;
}

/* ---------------------------------------------------------------- frames out */

static p2p_ftx_slot *ftxSlot(const p2p_ftx *t, uint32_t seq)
{
	return &t->slots[seq % t->n];
}

static uint32_t chunkLen(const p2p_ftx_slot *f, uint32_t idx)
{
	uint32_t off = idx * IVXS_P2P_CHUNK;
	return f->f.size - off < IVXS_P2P_CHUNK ? f->f.size - off : IVXS_P2P_CHUNK;
}

/* Bytes of frame f not sent once (chunks go out in order the first time). */
static uint64_t ftxUnsent(const p2p_ftx_slot *f)
{
	return f->nsent < f->nchunks ? f->f.size - (uint64_t)f->nsent * IVXS_P2P_CHUNK : 0;
}

enum { kDone, kGivenUp, kTorn, kSkipped };

static void ftxRelease(ivxs_p2p_session *s, p2p_ftx_slot *f, int outcome)
{
	p2p_ftx *t = &s->ftx;
	ivxs_p2p_channel_stats *st = &s->chan[txFrameChannel(s)].st;
	t->unsent -= ftxUnsent(f);
	f->used = 0;
	if (outcome == kDone)
		st->frames_sent++;
	else if (outcome == kTorn)
		st->frames_torn++;
	else if (outcome == kGivenUp)
		st->frames_given_up++;
	else
		st->frames_skipped++;
}

/* A frame leaves the slots. One that was not delivered takes with it the
 * later frames of its stream (same flags) up to the next key frame: they
 * depend on it. The source is then asked for a key frame. A stream without
 * key frames (audio) has independent frames: the lost one goes alone. */
static void ftxFinish(ivxs_p2p_session *s, p2p_ftx_slot *f, int outcome)
{
	p2p_ftx *t = &s->ftx;
	uint32_t seq;
	ftxRelease(s, f, outcome);
	if (outcome != kDone && bitGet(t->keyed, f->f.flags)) {
		for (seq = f->seq + 1; seq != t->next; seq++) {
			p2p_ftx_slot *later = ftxSlot(t, seq);
			if (!later->used || later->f.flags != f->f.flags)
				continue;
			if (later->f.key)
				break;
			ftxRelease(s, later, kSkipped);
		}
		if (t->feed)
			ivxs_feed_wait_key(t->feed);
		else
			t->need_key = 1;
	}
	while (t->base != t->next && !ftxSlot(t, t->base)->used)
		t->base++;
}

/* Whether the slots take another frame: one is free, and what they hold not sent once would leave
 * (at btl_bw, or its part of the viewers' uplink if less) within half a deadline — the window is what
 * the link can carry; a frame waits before it, from where a late one is skipped instead of being
 * given up half-sent. */
static int ftxRoom(const ivxs_p2p_session *s)
{
	const p2p_ftx *t = &s->ftx;
	uint64_t rate = s->cc.btl_bw, part = ivxs_uplink_part(&s->uplink);
	if (part != IVXS_UPLINK_UNBOUNDED && (!rate || part < rate))
		rate = part;
	return t->next - t->base < t->limit && !(rate && t->unsent * 1000 / rate >= s->p2p->cfg.deadline_ms / 2);
}

/* Frame f into the next slot (its deadline counts from its capture): 0, or -1 when the peer could
 * not reassemble it (nor what depends on it): not sent, given up. */
static int ftxTake(ivxs_p2p_session *s, const ivxs_p2p_frame *f)
{
	p2p_ftx *t = &s->ftx;
	p2p_ftx_slot *slot;
	uint32_t nchunks = (f->size + IVXS_P2P_CHUNK - 1) / IVXS_P2P_CHUNK;
	if (nchunks > IVXS_P2P_MAX_FRAME_CHUNKS || f->size > t->max_bytes) {
		s->chan[txFrameChannel(s)].st.frames_given_up++;
		return -1;
	}
	slot = ftxSlot(t, t->next);
	memset(slot, 0, sizeof(*slot));
	slot->f = *f;
	slot->seq = t->next++;
	slot->deadline = f->time_ms + s->p2p->cfg.deadline_ms;
	slot->nchunks = (uint16_t)nchunks;
	slot->used = 1;
	if (f->key)
		bitSet(t->keyed, f->flags);
	t->unsent += f->size;
	return 0;
}

/* A source that is not live (an app's queue): its frames wait in it until the slots have room, in
 * order; after a frame that did not reach the viewer it skips to its next key frame. */
static void ftxFill(ivxs_p2p_session *s, uint32_t now)
{
	p2p_ftx *t = &s->ftx;
	ivxs_p2p_channel_stats *st = &s->chan[txFrameChannel(s)].st;
	uint32_t pulls = 0;
	while (t->src && ftxRoom(s) && pulls++ < kMaxPulls) {
		ivxs_p2p_frame f;
		if (t->src->next(t->src->ctx, t->need_key, &f) <= 0)
			break;
		if (!f.size || !f.data)
			continue;
		if (P2P_GE(now, f.time_ms + s->p2p->cfg.deadline_ms / 2)) {
			/* half its deadline gone before it was sent: the viewer fell behind (this frame
			 * would likely be given up half-way); jump to a key frame */
			st->frames_skipped++;
			t->need_key = 1;
			continue;
		}
		t->need_key = ftxTake(s, &f) < 0;
	}
}

/* ---------------------------------------------------------------- a live source: the viewer core */

/* The slots as the feed's wire (feed.h): a frame waits in the feed while the slots have no room, and
 * is skipped after half a deadline from its capture; a frame the wire takes (begin) is the channel's,
 * its chunks sent, repaired and given up by the session — for the feed it went out whole at once. */
static int feedRoom(void *ctx, const ivxs_p2p_frame *f, uint32_t now)
{
	(void)f;
	(void)now;
	return ftxRoom(ctx);
}

static int feedBegin(void *ctx, const ivxs_p2p_frame *f)
{
	return ftxTake(ctx, f);
}

static long feedMake(void *ctx, const ivxs_p2p_frame *f, int more, uint32_t now)
{
	(void)ctx;
	(void)f;
	(void)more;
	(void)now;
	return 0;
}

static uint32_t feedSend(void *ctx)
{
	(void)ctx;
	return 0;
}

static void feedTick(ivxs_p2p_session *s, uint32_t now)
{
	p2p_ftx *t = &s->ftx;
	uint32_t skipped;
	ivxs_feed_tick(t->feed, now);
	skipped = t->feed->stats.skipped + t->feed->stats.passed_over + t->feed->stats.audio_skipped;
	s->chan[txFrameChannel(s)].st.frames_skipped += skipped - t->feed_skipped;
	t->feed_skipped = skipped;
}

/* The frames the slots have room for now, from the feed or the source. */
static void ftxAdmit(ivxs_p2p_session *s, uint32_t now)
{
	if (s->ftx.feed)
		feedTick(s, now);
	else
		ftxFill(s, now);
}

/* The feed for a live source (made once, kept while live sources follow), or none. */
static int feedAttach(ivxs_p2p_session *s, const ivxs_p2p_frame_source *source)
{
	p2p_ftx *t = &s->ftx;
	ivxs_feed_wire wire = { feedBegin, feedMake, feedSend, NULL, NULL, NULL, feedRoom, s };
	if (!source || !source->rewind) {
		p2p_free(s->p2p, t->feed);
		t->feed = NULL;
		return 0;
	}
	if (!t->feed && !(t->feed = p2p_alloc(s->p2p, sizeof(*t->feed))))
		return IVXS_P2P_ENOMEM;
	/* (the feed's clock is used only for an allowance and pacing, which this wire has not) */
	ivxs_feed_init(t->feed, source, &wire, IVXS_FEED_AUDIO_YIELDS, s->last_rx_ms);
	ivxs_feed_set_wait(t->feed, s->p2p->cfg.deadline_ms / 2, 1);   /* (a frame's deadline counts from its capture) */
	t->feed_skipped = 0;
	return 0;
}

/* Chunk idx of an outgoing frame: sent (in flight or acknowledged), acknowledged. */
static int chunkSent(const p2p_ftx_slot *f, uint32_t idx)
{
	return idx < f->c0 || (idx - f->c0 < P2P_FRAME_WINDOW && ((f->sent >> (idx - f->c0)) & 1));
}

static int chunkAcked(const p2p_ftx_slot *f, uint32_t idx)
{
	return idx < f->c0 || (idx - f->c0 < P2P_FRAME_WINDOW && ((f->acked >> (idx - f->c0)) & 1));
}

/* The first chunk of a frame that needs sending (lost ones first, then the next new one
 * within the frame's window), or -1. */
static int ftxChunk(const p2p_ftx_slot *f)
{
	uint64_t missing = ~f->sent;
	uint32_t n = f->nsent - f->c0;   /* chunks [c0, nsent) went out once: a clear bit is lost */
	if (n < P2P_FRAME_WINDOW)
		missing &= (UINT64_C(1) << n) - 1;
	if (missing) {
		uint32_t i = 0;
		while (!((missing >> i) & 1))
			i++;
		return (int)(f->c0 + i);
	}
	return f->nsent < f->nchunks && n < P2P_FRAME_WINDOW ? (int)f->nsent : -1;
}

/* The FRAME header fields of chunk idx of f (no floor). */
static void chunkHeader(const ivxs_p2p_session *s, const p2p_ftx_slot *f, uint32_t idx, p2p_frame_chunk *c)
{
	memset(c, 0, sizeof(*c));
	c->chan = (uint8_t)txFrameChannel(s);
	c->seq = f->seq;
	c->ts = f->f.ts_ms;
	c->key = f->f.key ? 1 : 0;
	c->flags = f->f.flags;
	c->total = f->f.size;
	c->off = idx * IVXS_P2P_CHUNK;
	c->len = chunkLen(f, idx);
}

/* A P frame not started yet that cannot reach the viewer before it would be given up (the
 * bytes ahead of it and its own leave at btl_bw, then half an RTT): not sent at all, so its
 * link time goes to what can still make it — in the end the next key frame. It takes its
 * dependents with it (ftxFinish), as its give-up would have, only earlier. */
static int ftxDoomed(const ivxs_p2p_session *s, const p2p_ftx_slot *f, uint64_t ahead, uint32_t now)
{
	int32_t left = P2P_DIFF(f->deadline, now);
	if (f->f.key || !s->cc.btl_bw || !bitGet(s->ftx.keyed, f->f.flags))
		return 0;
	return left <= 0 || (ahead + f->f.size) * 1000 / s->cc.btl_bw + s->rel.rtt.srtt / 2 >= (uint64_t)left;
}

/* A frame that can ride in another's packet: one chunk of a stream without key frames (audio,
 * voice), waiting to be sent (first time or again), and (first time) not doomed. Video frames
 * keep datagrams of their own: a frame that shares one completes only when the whole datagram
 * has crossed the link, so a P frame riding behind another's tail delays it by its own size
 * (35-55 ms on the thin benchmark link: p99 300 -> 333 ms with no loss) for no decodable gain;
 * an audio frame delays it by a few ms and saves a datagram a few times per video frame. */
static int ftxPackable(const ivxs_p2p_session *s, const p2p_ftx_slot *f, uint64_t ahead, uint32_t now)
{
	return f->used && f->nchunks == 1 && !bitGet(s->ftx.keyed, f->f.flags) && !chunkSent(f, 0)
			&& (f->nsent || !ftxDoomed(s, f, ahead, now));
}

/* The frame channel's next packet: the oldest chunk that needs sending (lost ones first within
 * a frame), and, when that chunk leaves room, the audio frames waiting right behind it (a
 * microphone's ~47 frames a second queue up behind a key frame): each costs its 26-byte FRAME
 * header instead of a datagram of its own (89 bytes of headers and tag), so a thin link keeps
 * its headroom for repairs. A lone chunk goes zero-copy; shared packets are copied into the
 * plaintext (≤ 1 088 bytes), and every frame in one is checked intact after sealing. */
static int pickFrame(ivxs_p2p_session *s, uint32_t now, uint8_t *plain, size_t pos, size_t room, size_t *end,
		const uint8_t **body, size_t *body_len, p2p_sent *rec)
{
	p2p_ftx *t = &s->ftx;
	uint32_t seq;
	uint64_t ahead = 0;   /* bytes of older frames not sent once */
	for (seq = t->base; seq != t->next; seq++) {
		p2p_ftx_slot *f = ftxSlot(t, seq);
		p2p_frame_chunk c;
		uint32_t run, more = 0, skip = 0, used;
		int idx;
		if (!f->used)
			continue;
		if (!f->nsent && ftxDoomed(s, f, ahead, now)) {
			ftxFinish(s, f, kSkipped);
			continue;
		}
		ahead += ftxUnsent(f);
		if ((idx = ftxChunk(f)) < 0)
			continue;
		chunkHeader(s, f, (uint32_t)idx, &c);
		c.floor = t->base;
		/* the frames after it that share the packet: past those with nothing to send, then a
		 * run of consecutive audio frames while they fit (send order kept) */
		used = pos + P2P_FRAME_HDR + c.len;
		for (run = seq + 1; run != t->next && skip + more < 255; run++) {
			p2p_ftx_slot *g = ftxSlot(t, run);
			if (!more && (!g->used || ftxChunk(g) < 0)) {
				skip++;
				continue;
			}
			if (!ftxPackable(s, g, ahead, now) || used + P2P_FRAME_HDR + g->f.size > room)
				break;
			if (!more)
				skip++;
			more++;
			used += P2P_FRAME_HDR + g->f.size;
			ahead += ftxUnsent(g);
		}
		rec->carry = P2P_CARRY_FRAME;
		rec->a = f->seq;
		rec->b = (uint16_t)idx;
		rec->len = (uint16_t)c.len;
		rec->more = (uint8_t)more;
		rec->skip = (uint8_t)skip;
		if (!more) {
			if (pos + P2P_FRAME_HDR + c.len > room)
				return 0;
			*end = pos + p2p_wire_frame_hdr(plain + pos, &c);
			*body = f->f.data + c.off;
			*body_len = c.len;
			return 1;
		}
		pos += p2p_wire_frame_hdr(plain + pos, &c);
		memcpy(plain + pos, f->f.data + c.off, c.len);
		pos += c.len;
		for (run = seq + skip; run != seq + skip + more; run++) {
			p2p_ftx_slot *g = ftxSlot(t, run);
			chunkHeader(s, g, 0, &c);
			c.floor = t->base;
			pos += p2p_wire_frame_hdr(plain + pos, &c);
			memcpy(plain + pos, g->f.data, c.len);
			pos += c.len;
			rec->len = (uint16_t)(rec->len + c.len);
		}
		*end = pos;
		*body = NULL;
		*body_len = 0;
		return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- commands out */

static int pickCmd(ivxs_p2p_session *s, uint8_t *plain, size_t pos, size_t room, size_t *end, const uint8_t **body,
		size_t *body_len, p2p_sent *rec)
{
	p2p_cmd *c = &s->cmd;
	uint32_t i;
	if (!c->tx)
		return 0;
	for (i = 0; i < c->d_count; i++) {
		uint32_t k = (c->d_tail + i) % P2P_CMD_DESCS;
		const p2p_cdesc *d = &c->book->desc[k];
		if (d->state != P2P_CD_UNSENT)
			continue;
		if (pos + P2P_CMD_HDR + d->len > room)
			return 0;
		p2p_wire_cmd_hdr(plain + pos, d->off, d->len);
		*end = pos + P2P_CMD_HDR;
		*body = c->tx + d->pos;
		*body_len = d->len;
		rec->carry = P2P_CARRY_CMD;
		rec->a = d->off;
		rec->b = (uint16_t)k;
		rec->len = d->len;
		return 1;
	}
	return 0;
}

int p2p_chan_pick(ivxs_p2p_session *s, uint32_t now, uint8_t *plain, size_t pos, size_t room, size_t *end,
		const uint8_t **body, size_t *body_len, p2p_sent *rec)
{
	uint32_t k;
	ftxAdmit(s, now);
	/* round robin: a long video frame does not hold a command back, nor the reverse */
	for (k = 0; k < 2; k++) {
		uint32_t which = (s->rr + k) % 2;
		int got = which == 0 ? pickCmd(s, plain, pos, room, end, body, body_len, rec)
				: pickFrame(s, now, plain, pos, room, end, body, body_len, rec);
		if (got) {
			s->rr = which + 1;
			return 1;
		}
	}
	return 0;
}

int p2p_chan_has_data(const ivxs_p2p_session *s, uint32_t now)
{
	const p2p_ftx *t = &s->ftx;
	uint32_t seq, i;
	(void)now;
	for (i = 0; s->cmd.tx && i < s->cmd.d_count; i++)
		if (s->cmd.book->desc[(s->cmd.d_tail + i) % P2P_CMD_DESCS].state == P2P_CD_UNSENT)
			return 1;
	for (seq = t->base; seq != t->next; seq++) {
		const p2p_ftx_slot *f = ftxSlot(t, seq);
		if (f->used && ftxChunk(f) >= 0)
			return 1;
	}
	return 0;
}

uint32_t p2p_chan_next_deadline(const ivxs_p2p_session *s, uint32_t now)
{
	const p2p_ftx *t = &s->ftx;
	uint32_t seq, wait = 1000;
	if (t->feed && t->feed->wake) {   /* a frame waiting in the feed goes or is skipped then */
		uint32_t w = P2P_LT(now, t->feed->wake_ms) ? t->feed->wake_ms - now : 0;
		if (w < wait)
			wait = w;
	}
	for (seq = t->base; seq != t->next; seq++) {
		const p2p_ftx_slot *f = ftxSlot(t, seq);
		if (f->used) {
			int32_t d = P2P_DIFF(f->deadline, now);
			uint32_t w = d <= 0 ? 0 : (uint32_t)d;
			if (w < wait)
				wait = w;
		}
	}
	return wait;
}

/* The frame item i of a packet carried (0: its first chunk, then the frames that shared it),
 * and that item's chunk index. */
static uint32_t recSeq(const p2p_sent *rec, uint32_t i)
{
	return i ? rec->a + rec->skip + i - 1 : rec->a;
}

static uint32_t recChunk(const p2p_sent *rec, uint32_t i)
{
	return i ? 0 : rec->b;
}

static p2p_ftx_slot *recFrame(const p2p_ftx *t, const p2p_sent *rec, uint32_t i)
{
	return ftxSlot(t, recSeq(rec, i));
}

/* Item i's frame if it is still being sent and that chunk is not acknowledged, else NULL. */
static p2p_ftx_slot *recPending(const p2p_ftx *t, const p2p_sent *rec, uint32_t i)
{
	p2p_ftx_slot *f = recFrame(t, rec, i);
	return f->used && f->seq == recSeq(rec, i) && !chunkAcked(f, recChunk(rec, i)) ? f : NULL;
}

static int frameIntact(const p2p_ftx *t, const p2p_ftx_slot *f)
{
	return t->src && t->src->intact ? t->src->intact(t->src->ctx, &f->f) == 1 : 1;
}

int p2p_chan_body_intact(ivxs_p2p_session *s, const p2p_sent *rec)
{
	uint32_t i;
	if (rec->carry != P2P_CARRY_FRAME)
		return 1;
	for (i = 0; i <= rec->more; i++)
		if (!frameIntact(&s->ftx, recFrame(&s->ftx, rec, i)))
			return 0;
	return 1;
}

/* Chunk idx of frame f went out (the first time, or again). */
static void ftxSent(ivxs_p2p_session *s, p2p_ftx_slot *f, uint32_t idx)
{
	f->sent |= UINT64_C(1) << (idx - f->c0);   /* (ftxChunk picks within the window) */
	if (idx == f->nsent) {
		f->nsent++;
		s->ftx.unsent -= chunkLen(f, idx);
	}
	else
		s->chan[txFrameChannel(s)].st.retransmits++;
}

int p2p_chan_commit(ivxs_p2p_session *s, const p2p_sent *rec, int intact, uint32_t now)
{
	p2p_chan *ch;
	uint32_t i;
	if (rec->carry == P2P_CARRY_FRAME) {
		ch = &s->chan[txFrameChannel(s)];
		if (!intact) {
			/* the torn frames are given up (with what depends on them); the others wait */
			for (i = 0; i <= rec->more; i++) {
				p2p_ftx_slot *f = recFrame(&s->ftx, rec, i);
				if (f->used && !frameIntact(&s->ftx, f))
					ftxFinish(s, f, kTorn);
			}
			return 0;
		}
		for (i = 0; i <= rec->more; i++)
			ftxSent(s, recFrame(&s->ftx, rec, i), recChunk(rec, i));
	}
	else if (rec->carry == P2P_CARRY_CMD) {
		p2p_cdesc *d = &s->cmd.book->desc[rec->b];   /* (just made: tx is there) */
		ch = &s->chan[IVXS_P2P_CH_COMMAND];
		d->state = P2P_CD_FLIGHT;
		if (d->ever)
			ch->st.retransmits++;
		else {
			d->ever = 1;
			s->cmd.unsent -= d->len;
		}
	}
	else
		return 1;
	p2p_chan_meter(&ch->meter, now);
	ch->meter.sent[ch->meter.cur] += rec->len;
	return 1;
}

static void credit(ivxs_p2p_session *s, int channel, uint32_t bytes, uint32_t now)
{
	p2p_chan *ch = &s->chan[channel];
	ch->st.acked_bytes += bytes;
	p2p_chan_meter(&ch->meter, now);
	ch->meter.acked[ch->meter.cur] += bytes;
}

/* Chunk idx of frame f is acknowledged. */
static void ftxAcked(ivxs_p2p_session *s, p2p_ftx_slot *f, uint32_t idx, uint32_t now)
{
	f->acked |= UINT64_C(1) << (idx - f->c0);   /* (recPending: not acknowledged, so ≥ c0) */
	while (f->acked & 1) {
		/* the window slides past the acknowledged prefix */
		f->acked >>= 1;
		f->sent >>= 1;
		f->c0++;
	}
	credit(s, txFrameChannel(s), chunkLen(f, idx), now);
	if (++f->nacked == f->nchunks)
		ftxFinish(s, f, kDone);
}

/* The bookkeeping comes with the first command buffer. Its descriptors start acknowledged: a
 * packet of a command the last book held, acknowledged or lost now, finds nothing to do. */
static int bookNeeded(ivxs_p2p_session *s)
{
	uint32_t i;
	if (s->cmd.book)
		return 1;
	if (!(s->cmd.book = p2p_alloc(s->p2p, sizeof(p2p_cmd_book))))
		return 0;
	for (i = 0; i < P2P_CMD_DESCS; i++)
		s->cmd.book->desc[i].state = P2P_CD_ACKED;
	return 1;
}

/* ... and goes with the last. */
static void bookIdle(ivxs_p2p_session *s)
{
	if (!s->cmd.tx && !s->cmd.rx) {
		p2p_free(s->p2p, s->cmd.book);
		s->cmd.book = NULL;
	}
}

/* The send buffer goes once all of it is acknowledged. */
static void txIdle(ivxs_p2p_session *s)
{
	if (s->cmd.tx && s->cmd.d_count == 0) {
		p2p_free(s->p2p, s->cmd.tx);
		s->cmd.tx = NULL;
		bookIdle(s);
	}
}

void p2p_chan_on_acked(ivxs_p2p_session *s, const p2p_sent *rec, uint32_t now)
{
	uint32_t i;
	if (rec->carry == P2P_CARRY_FRAME) {
		for (i = 0; i <= rec->more; i++) {
			p2p_ftx_slot *f = recPending(&s->ftx, rec, i);
			if (f)
				ftxAcked(s, f, recChunk(rec, i), now);   /* (not twice; not one finished meanwhile) */
		}
	}
	else if (rec->carry == P2P_CARRY_CMD) {
		p2p_cmd *c = &s->cmd;
		p2p_cdesc *d;
		if (!c->tx)
			return;
		d = &c->book->desc[rec->b];
		if (d->off != rec->a || d->state == P2P_CD_ACKED)
			return;
		d->state = P2P_CD_ACKED;
		credit(s, IVXS_P2P_CH_COMMAND, rec->len, now);
		while (c->d_count && c->book->desc[c->d_tail].state == P2P_CD_ACKED) {
			c->tx_base += c->book->desc[c->d_tail].len;
			c->d_tail = (c->d_tail + 1) % P2P_CMD_DESCS;
			c->d_count--;
		}
		/* all acknowledged: the buffer goes now, so a request arriving in the same packet
		 * can lend its own to the reply (p2p_chan_on_cmd) */
		txIdle(s);
	}
}

void p2p_chan_on_lost(ivxs_p2p_session *s, const p2p_sent *rec)
{
	uint32_t i;
	if (rec->carry == P2P_CARRY_FRAME) {
		for (i = 0; i <= rec->more; i++) {
			p2p_ftx_slot *f = recPending(&s->ftx, rec, i);
			if (f) {
				f->sent &= ~(UINT64_C(1) << (recChunk(rec, i) - f->c0));
				f->lost = 1;
			}
		}
	}
	else if (rec->carry == P2P_CARRY_CMD && s->cmd.tx) {
		p2p_cdesc *d = &s->cmd.book->desc[rec->b];
		if (d->off == rec->a && d->state == P2P_CD_FLIGHT)
			d->state = P2P_CD_UNSENT;
	}
}

/* Copies into a command ring of `cap` bytes at index `at`, wrapping at its end; returns the index after. */
static uint32_t ringCopy(uint8_t *ring, uint32_t cap, uint32_t at, const uint8_t *src, uint32_t len)
{
	uint32_t first = cap - at < len ? cap - at : len;
	memcpy(ring + at, src, first);
	memcpy(ring, src + first, len - first);
	return (at + len) % cap;
}

/* Command buffers, bounded on the camera (its memory per viewer is 31.4 KiB at most, not 47):
 * one window-sized ("long") buffer per viewer at a time, either way, and a short one beside it.
 * A short message (or the start of a viewer's, received) gets a short buffer; a long one needs
 * the other way's buffer short, or none. A viewer's chunk that would need a long receive buffer
 * while the camera's long message is sending is left unacknowledged (the viewer sends it again:
 * p2p_chan_check_cmd), and no new long message is queued until it gets in (peer_waiting). A
 * viewer is not bounded: it always takes the camera's messages in, so the two never wait for
 * each other. */
static int isCamera(const ivxs_p2p_session *s)
{
	return s->p2p->cfg.role == IVXS_P2P_SERVER;
}

static int longTx(const p2p_cmd *c)
{
	return c->tx && c->tx_cap > P2P_CMD_SMALL;
}

static int longRx(const p2p_cmd *c)
{
	return c->rx && c->rx_cap > P2P_CMD_SMALL;
}

/* The size of a new send buffer for a message of `total` bytes, or 0: it must wait. */
static uint32_t txCapFor(const ivxs_p2p_session *s, uint32_t total)
{
	const p2p_cmd *c = &s->cmd;
	if (!isCamera(s))
		return P2P_CMD_WINDOW;
	if (total <= P2P_CMD_SMALL)
		return P2P_CMD_SMALL;
	return longRx(c) || c->peer_waiting ? 0 : P2P_CMD_WINDOW;
}

int ivxs_p2p_command(ivxs_p2p_session *s, int kind, uint16_t id, const uint8_t *data, uint32_t size, uint32_t now)
{
	p2p_cmd *c;
	uint8_t hdr[P2P_MSG_HDR];
	uint32_t total, need = 0, off, end, pos, cap;
	int status = IVXS_P2P_EARG, lend;
	if (!s || !IVXS_P2P_KIND_VALID(kind) || (!data && size))
		goto done;
	c = &s->cmd;
	status = IVXS_P2P_ESTATE;
	if (s->state != P2P_S_OPEN || s->close_pending)
		goto done;
	status = IVXS_P2P_ETOOBIG;
	if (size > IVXS_P2P_MAX_COMMAND)
		goto done;
	total = P2P_MSG_HDR + size;
	/* a reply from the callback takes the request's buffer over (the request's bytes, which
	 * `data` may point into, are moved, then overwritten by the header) — unless it is short
	 * enough for a short buffer of the camera's own */
	lend = !c->tx && c->lend && c->rx && total <= c->rx_cap && (!isCamera(s) || total > P2P_CMD_SMALL);
	if (c->tx)
		cap = c->peer_waiting && longTx(c) ? 0 : c->tx_cap;   /* a viewer waits: drain first */
	else {
		c->tx_head_pos = 0;   /* nothing queued: the ring starts over */
		cap = lend ? c->rx_cap : txCapFor(s, total);
	}
	status = IVXS_P2P_EAGAIN;
	if (!cap)
		goto done;
	/* chunks break at IVXS_P2P_CHUNK and at the ring's end, so none wraps */
	for (off = c->tx_head, pos = c->tx_head_pos, end = c->tx_head + total; off != end; need++) {
		uint32_t room = cap - pos, len = end - off;
		if (len > IVXS_P2P_CHUNK)
			len = IVXS_P2P_CHUNK;
		if (len > room)
			len = room;
		off += len;
		pos = (pos + len) % cap;
	}
	if (c->tx_head - c->tx_base + total > cap || c->d_count + need > P2P_CMD_DESCS)
		goto done;
	/* an app-fed channel above its high watermark takes nothing until it is below low */
	if (s->p2p->cfg.high && s->chan[IVXS_P2P_CH_COMMAND].level == 2)
		goto done;
	hdr[0] = (uint8_t)kind;
	ivxs_put16(hdr + 1, id);
	ivxs_put16(hdr + 3, size);
	if (lend) {
		c->tx = c->rx;
		c->rx = NULL;
		c->lend = 0;
		if (size)
			memmove(c->tx + P2P_MSG_HDR, data, size);
		memcpy(c->tx, hdr, P2P_MSG_HDR);
	}
	else {
		status = IVXS_P2P_ENOMEM;
		if (!bookNeeded(s))
			goto done;
		if (!c->tx && !(c->tx = p2p_alloc(s->p2p, cap))) {
			bookIdle(s);
			goto done;
		}
		pos = ringCopy(c->tx, cap, c->tx_head_pos, hdr, P2P_MSG_HDR);
		if (size)
			ringCopy(c->tx, cap, pos, data, size);
	}
	c->tx_cap = cap;
	for (off = c->tx_head, pos = c->tx_head_pos, end = c->tx_head + total; off != end;) {
		uint32_t room = cap - pos, len = end - off;
		p2p_cdesc *d = &c->book->desc[(c->d_tail + c->d_count++) % P2P_CMD_DESCS];
		if (len > IVXS_P2P_CHUNK)
			len = IVXS_P2P_CHUNK;
		if (len > room)
			len = room;
		d->off = off;
		d->pos = (uint16_t)pos;
		d->len = (uint16_t)len;
		d->state = P2P_CD_UNSENT;
		d->ever = 0;
		off += len;
		pos = (pos + len) % cap;
	}
	c->tx_head = end;
	c->tx_head_pos = pos;
	c->unsent += total;
	s->chan[IVXS_P2P_CH_COMMAND].st.frames_sent++;
	p2p_chan_tick(s, now);
	status = 0;
done:
	return status;
}

/* ---------------------------------------------------------------- incoming */

int p2p_chan_check_frame(const ivxs_p2p_session *s, const p2p_frame_chunk *c)
{
	uint32_t want, nchunks;
	if (c->chan != rxFrameChannel(s))
		return IVXS_P2P_EPROTO;
	nchunks = (c->total + IVXS_P2P_CHUNK - 1) / IVXS_P2P_CHUNK;
	if (!c->total || c->off % IVXS_P2P_CHUNK || c->off >= c->total || nchunks > IVXS_P2P_MAX_FRAME_CHUNKS)
		return IVXS_P2P_EPROTO;
	want = c->total - c->off < IVXS_P2P_CHUNK ? c->total - c->off : IVXS_P2P_CHUNK;
	return c->len == want ? 0 : IVXS_P2P_EPROTO;
}

/* Frame `f` (its slot, or NULL if nothing of it arrived) is lost: the stream it belongs to
 * (every stream with key frames, if it is unknown) cannot be decoded until its next key frame. */
static void frxBreak(p2p_frx *r, const p2p_frx_slot *f)
{
	uint32_t i;
	if (f && bitGet(r->keyed, f->flags))
		bitSet(r->broken, f->flags);
	else if (!f)
		for (i = 0; i < 8; i++)
			r->broken[i] |= r->keyed[i];
	r->lost++;
}

/* Where slot f's bytes are. */
static uint8_t *frxBytes(const p2p_frx *r, const p2p_frx_slot *f)
{
	return r->arena + (size_t)(f - r->slots) * r->slot_bytes;
}

/* Frame r->next leaves the receiver: delivered when whole and decodable (a key frame, or
 * its stream's chain unbroken), otherwise counted lost. */
static void frxTake(ivxs_p2p_session *s, p2p_frx_slot *d)
{
	p2p_frx *r = &s->frx;
	int whole = d->used && d->seq == r->next && d->got == d->nchunks && d->total <= r->slot_bytes;
	uint32_t lost;
	if (!whole)
		frxBreak(r, d->used && d->seq == r->next ? d : NULL);
	else if (!d->key && bitGet(r->broken, d->flags))
		r->lost++;   /* depends on a frame that was lost */
	if (d->seq == r->next)
		d->used = 0;
	r->next++;
	if (!whole || (!d->key && bitGet(r->broken, d->flags)))
		return;
	if (d->key)
		bitClear(r->broken, d->flags);
	lost = r->lost;
	r->lost = 0;
	if (s->p2p->cfg.cb.frame && !s->close_pending)
		s->p2p->cfg.cb.frame(s->p2p->cfg.cb.ctx, s, rxFrameChannel(s), frxBytes(r, d), d->total, d->ts, d->key, lost);
}

/* Frames below `upto` are not waited for any more (the sender gave them up, or there is no
 * room): the whole ones among them are still delivered, in order. */
static void frxAdvance(ivxs_p2p_session *s, uint32_t upto)
{
	p2p_frx *r = &s->frx;
	uint32_t gap = upto - r->next, i;
	for (i = 0; i < gap && i < r->n; i++)
		frxTake(s, &r->slots[r->next % r->n]);
	if (gap > r->n) {
		/* beyond the slots: nothing of these arrived */
		frxBreak(r, NULL);
		r->lost += gap - r->n - 1;
		r->next = upto;
	}
}

void p2p_chan_on_frame(ivxs_p2p_session *s, const p2p_frame_chunk *c)
{
	p2p_frx *r = &s->frx;
	p2p_frx_slot *f;
	uint32_t idx = c->off / IVXS_P2P_CHUNK;
	if (s->p2p->cfg.role == IVXS_P2P_SERVER && !(s->rights & IVXS_P2P_RIGHT_TALK))
		return;   /* acknowledged, not delivered: the ticket does not allow talkback */
	/* not cleared: a slot's bytes are written before they are read, and a viewer's 32 slots of
	 * 256 KiB then cost only the pages its frames touch. Without them the chunk is dropped (the
	 * sender gives its frame up at its deadline, and the floor counts it lost). */
	if (!r->arena && !(r->arena = s->p2p->alloc.alloc((size_t)r->n * r->slot_bytes, s->p2p->alloc.ctx)))
		return;
	if (P2P_LT(r->next, c->floor))
		frxAdvance(s, c->floor);        /* the sender gave these up */
	if (P2P_LT(c->seq, r->next))
		goto deliver;                   /* late or duplicate */
	if (c->seq - r->next >= r->n)
		frxAdvance(s, c->seq - r->n + 1);   /* no room: the oldest frames go (whole ones delivered) */
	f = &r->slots[c->seq % r->n];
	if (!f->used || f->seq != c->seq) {
		memset(f->bits, 0, sizeof(f->bits));
		f->used = 1;
		f->seq = c->seq;
		f->total = c->total;
		f->ts = c->ts;
		f->key = c->key;
		f->flags = c->flags;
		f->nchunks = (uint16_t)((c->total + IVXS_P2P_CHUNK - 1) / IVXS_P2P_CHUNK);
		f->got = 0;
		f->got_bytes = 0;
		if (c->key)
			bitSet(r->keyed, c->flags);   /* a stream with key frames: its P frames depend on them */
	}
	if (f->total != c->total || c->total > r->slot_bytes) {
		/* larger than this side reassembles, or inconsistent: the frame is lost, and with it
		 * what depends on it (frxTake) */
		if (c->total > r->slot_bytes && c->seq == r->next)
			frxAdvance(s, r->next + 1);
		goto deliver;
	}
	if (!bitGet(f->bits, idx)) {
		memcpy(frxBytes(r, f) + c->off, c->data, c->len);
		bitSet(f->bits, idx);
		f->got++;
		f->got_bytes += c->len;
	}
deliver:
	while (!s->close_pending) {
		p2p_frx_slot *d = &r->slots[r->next % r->n];
		if (!d->used || d->seq != r->next || d->got != d->nchunks || d->total > r->slot_bytes)
			break;
		frxTake(s, d);
	}
}

int p2p_chan_check_cmd(ivxs_p2p_session *s, const p2p_cmd_chunk *c)
{
	p2p_cmd *m = &s->cmd;
	int32_t rel = P2P_DIFF(c->off, m->rx_off);
	uint32_t need, cap;
	uint8_t *grown;
	if (rel + (int64_t)c->len > P2P_CMD_WINDOW)
		return IVXS_P2P_EPROTO;   /* beyond the window the sender may use */
	if (rel + (int64_t)c->len <= 0)
		return 0;
	need = (uint32_t)(rel + c->len);
	if (m->rx && need <= m->rx_cap)
		return 0;
	cap = isCamera(s) && need <= P2P_CMD_SMALL ? P2P_CMD_SMALL : P2P_CMD_WINDOW;
	if (isCamera(s) && cap > P2P_CMD_SMALL && longTx(m)) {
		m->peer_waiting = 1;
		return IVXS_P2P_EAGAIN;   /* not acknowledged: the peer sends it again */
	}
	if (!bookNeeded(s) || !(grown = p2p_alloc(s->p2p, cap))) {
		bookIdle(s);
		return IVXS_P2P_ENOMEM;   /* likewise */
	}
	if (m->rx) {
		memcpy(grown, m->rx, m->rx_cap);
		p2p_free(s->p2p, m->rx);
	}
	m->rx = grown;
	m->rx_cap = cap;
	if (cap > P2P_CMD_SMALL)
		m->peer_waiting = 0;
	return 0;
}

static void rangeAdd(p2p_cmd *c, uint32_t lo, uint32_t hi)
{
	uint32_t *rlo = c->book->rlo, *rhi = c->book->rhi, i = 0, j;
	while (i < c->nranges && rhi[i] < lo)
		i++;
	if (i < c->nranges && rlo[i] <= hi) {
		/* overlaps or touches range i: widen it, then swallow the ones it reaches */
		if (lo < rlo[i])
			rlo[i] = lo;
		if (hi > rhi[i])
			rhi[i] = hi;
		for (j = i + 1; j < c->nranges && rlo[j] <= rhi[i]; j++)
			if (rhi[j] > rhi[i])
				rhi[i] = rhi[j];
		memmove(&rlo[i + 1], &rlo[j], (c->nranges - j) * sizeof(rlo[0]));
		memmove(&rhi[i + 1], &rhi[j], (c->nranges - j) * sizeof(rhi[0]));
		c->nranges -= j - i - 1;
		return;
	}
	/* A sender cuts the window into at most 16 chunks (fewer ranges than this);
	 * only a peer that cuts its own stream into slivers gets here, and loses them. */
	if (c->nranges == P2P_CMD_RANGES)
		return;
	memmove(&rlo[i + 1], &rlo[i], (c->nranges - i) * sizeof(rlo[0]));
	memmove(&rhi[i + 1], &rhi[i], (c->nranges - i) * sizeof(rhi[0]));
	rlo[i] = lo;
	rhi[i] = hi;
	c->nranges++;
}

void p2p_chan_on_cmd(ivxs_p2p_session *s, const p2p_cmd_chunk *c, int sole)
{
	p2p_cmd *m = &s->cmd;
	int32_t rel = P2P_DIFF(c->off, m->rx_off);
	uint32_t skip, i, *rlo, *rhi;
	if (rel + (int64_t)c->len <= 0 || !c->len || !m->rx)
		return;   /* old, empty, or (no buffer) nothing to keep */
	/* (the book stays while the callback runs: rx is there, or lent to tx) */
	rlo = m->book->rlo;
	rhi = m->book->rhi;
	skip = rel < 0 ? 0u - (uint32_t)rel : 0;   /* here rel > -65536: no overflow */
	memcpy(m->rx + rel + skip, c->data + skip, c->len - skip);
	rangeAdd(m, (uint32_t)rel + skip, (uint32_t)rel + c->len);
	while (m->nranges && rlo[0] == 0 && rhi[0] >= P2P_MSG_HDR && !s->close_pending) {
		uint32_t len = ivxs_get16(m->rx + 3), kind = m->rx[0], used = P2P_MSG_HDR + len, end;
		uint16_t id = (uint16_t)ivxs_get16(m->rx + 1);
		if (!IVXS_P2P_KIND_VALID(kind) || len > IVXS_P2P_MAX_COMMAND) {
			s->close_pending = 1;
			s->close_status = IVXS_P2P_EPROTO;
			return;
		}
		if (rhi[0] < used)
			break;
		end = rhi[m->nranges - 1];
		m->lend = !m->tx && end == used && sole;
		/* every message reaches the app, which answers by the ticket's rights (a request it
		 * does not cover gets a refusal, not silence: modules/protocol/viewer-commands.ts) */
		if (s->p2p->cfg.cb.command)
			s->p2p->cfg.cb.command(s->p2p->cfg.cb.ctx, s, (int)kind, id, m->rx + P2P_MSG_HDR, len);
		m->lend = 0;
		if (!m->rx) {
			/* lent to the reply: it held this message only */
			m->nranges = 0;
			m->rx_off += used;
			break;
		}
		memmove(m->rx, m->rx + used, end - used);
		for (i = 0; i < m->nranges; i++) {
			rlo[i] = rlo[i] > used ? rlo[i] - used : 0;
			rhi[i] -= used;
		}
		if (rhi[0] == 0) {
			memmove(&rlo[0], &rlo[1], (m->nranges - 1) * sizeof(rlo[0]));
			memmove(&rhi[0], &rhi[1], (m->nranges - 1) * sizeof(rhi[0]));
			m->nranges--;
		}
		m->rx_off += used;
	}
}

/* ---------------------------------------------------------------- timers, stats */

size_t p2p_chan_cmd_bytes(const ivxs_p2p_session *s)
{
	return (s->cmd.tx ? s->cmd.tx_cap : 0) + (s->cmd.rx ? s->cmd.rx_cap : 0);
}

size_t p2p_chan_heap_bytes(const ivxs_p2p_session *s)
{
	return p2p_chan_cmd_bytes(s) + (s->cmd.book ? sizeof(*s->cmd.book) : 0) + (s->ftx.feed ? sizeof(*s->ftx.feed) : 0)
			+ (s->frx.arena ? (size_t)s->frx.n * s->frx.slot_bytes : 0);
}

/* The command buffers exist only while commands are under way. */
void p2p_chan_cmd_idle(ivxs_p2p_session *s)
{
	txIdle(s);
	if (s->cmd.rx && s->cmd.nranges == 0) {
		p2p_free(s->p2p, s->cmd.rx);
		s->cmd.rx = NULL;
		bookIdle(s);
	}
}

void p2p_chan_watermarks(ivxs_p2p_session *s)
{
	const ivxs_p2p_config *cfg = &s->p2p->cfg;
	int channels[2] = { IVXS_P2P_CH_COMMAND, txFrameChannel(s) }, i;
	if (!cfg->low && !cfg->warn && !cfg->high)
		return;
	for (i = 0; i < 2; i++) {
		p2p_chan *ch = &s->chan[channels[i]];
		uint64_t b = ch->st.send_buffered;
		/* one event per crossing: a jump from below warn to above high is both */
		if (cfg->warn && b > cfg->warn && ch->level < 1) {
			ch->level = 1;
			p2p_event(s, IVXS_P2P_EV_WATERMARK_WARN, channels[i]);
		}
		if (cfg->high && b > cfg->high && ch->level < 2) {
			ch->level = 2;
			p2p_event(s, IVXS_P2P_EV_WATERMARK_HIGH, channels[i]);
		}
		if (b < cfg->low && ch->level > 0) {
			ch->level = 0;
			p2p_event(s, IVXS_P2P_EV_WATERMARK_LOW, channels[i]);
		}
	}
}

/* The adaptive deadline: a frame late because a loss is being repaired (a chunk of it, or of
 * an older frame still in flight, was lost) is kept past deadline_ms, up to deadline_max_ms,
 * while what is not sent yet of the frames up to it would leave the link (at btl_bw) before
 * then: the sender is not behind the link, so the repair costs the viewer some latency instead
 * of the rest of the GOP. (Up to it, not all unsent bytes: with 32 frames in the slots the
 * newer ones would deny it for a backlog it does not wait behind.) A sender behind the link
 * (overload: nothing lost, frames late in the queue) keeps the short deadline, so the newest
 * key frame stays within it. Checked again every step. */
static int ftxExtend(ivxs_p2p_session *s, p2p_ftx_slot *f, uint32_t now)
{
	const p2p_ftx *t = &s->ftx;
	uint32_t last = f->f.time_ms + s->p2p->cfg.deadline_max_ms, seq;
	int32_t left = P2P_DIFF(last, now);
	int repairing = 0;
	uint64_t upto = 0;   /* bytes not sent once of the frames up to this one: what it waits behind */
	for (seq = t->base; seq != f->seq + 1; seq++) {
		const p2p_ftx_slot *g = ftxSlot(t, seq);
		if (g->used) {
			upto += ftxUnsent(g);
			repairing |= g->lost;
		}
	}
	if (left <= 0 || !s->cc.btl_bw || upto * 1000 / s->cc.btl_bw > (uint64_t)left || !repairing)
		return 0;
	f->deadline = left > kExtendStepMs ? now + kExtendStepMs : last;
	return 1;
}

void p2p_chan_tick(ivxs_p2p_session *s, uint32_t now)
{
	p2p_ftx *t = &s->ftx;
	uint32_t seq;
	int i;
	for (seq = t->base; seq != t->next; seq++) {
		p2p_ftx_slot *f = ftxSlot(t, seq);
		if (f->used && P2P_GE(now, f->deadline) && !ftxExtend(s, f, now))
			ftxFinish(s, f, kGivenUp);
	}
	/* a tick is how a new frame is announced (the core does not poll its source): take it now,
	 * so the tick's delay counts its pacing, even when pacing holds the send back */
	if (s->state == P2P_S_OPEN && !s->close_pending)
		ftxAdmit(s, now);
	p2p_chan_cmd_idle(s);
	for (i = 0; i < IVXS_P2P_CHANNELS; i++)
		p2p_chan_meter(&s->chan[i].meter, now);
	s->chan[IVXS_P2P_CH_COMMAND].st.send_buffered = s->cmd.unsent;
	s->chan[txFrameChannel(s)].st.send_buffered = t->unsent
			+ (t->src && t->src->pending ? t->src->pending(t->src->ctx) : 0);
	p2p_chan_watermarks(s);
}

int ivxs_p2p_channel_stats_get(const ivxs_p2p_session *s, int channel, ivxs_p2p_channel_stats *out)
{
	const p2p_chan *ch;
	uint64_t acked = 0;
	uint32_t i;
	if (!s || !out || channel < 0 || channel >= IVXS_P2P_CHANNELS || s->state == P2P_S_FREE)
		return IVXS_P2P_EARG;
	ch = &s->chan[channel];
	*out = ch->st;
	for (i = 0; i < P2P_METER; i++)
		acked += ch->meter.acked[i];
	out->avg_rate = acked;
	out->inst_rate = (uint64_t)ch->meter.sent[(ch->meter.cur + P2P_METER - 1) % P2P_METER] * 10;
	return 0;
}

int ivxs_p2p_attach_frames(ivxs_p2p_session *s, const ivxs_p2p_frame_source *source)
{
	uint32_t seq;
	int status = IVXS_P2P_EARG;
	if (!s || s->state == P2P_S_FREE || (source && (!source->next || !source->intact)))
		goto done;
	status = IVXS_P2P_ERIGHTS;
	if (source && s->p2p->cfg.role == IVXS_P2P_SERVER && !(s->rights & (IVXS_P2P_RIGHT_LIVE | IVXS_P2P_RIGHT_PLAYBACK)))
		goto done;
	/* frames in flight came from the old source: only it can say whether they are intact */
	for (seq = s->ftx.base; seq != s->ftx.next; seq++)
		if (ftxSlot(&s->ftx, seq)->used)
			ftxFinish(s, ftxSlot(&s->ftx, seq), kGivenUp);
	s->ftx.base = s->ftx.next;
	if ((status = feedAttach(s, source)) != 0) {
		s->ftx.src = NULL;
		goto done;
	}
	if (source) {
		s->ftx.src_copy = *source;
		s->ftx.src = &s->ftx.src_copy;
	}
	else
		s->ftx.src = NULL;
done:
	return status;
}
