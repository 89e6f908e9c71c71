/*
 * P2P transport — sessions: datagram input (decide, then commit: a packet is
 * decrypted and every frame in it checked before anything changes), the send
 * loop (ACKs, keep-alive pings, data paced by congestion control), keep-alive,
 * address migration and close; the status messages. The handshake is
 * p2p_handshake.c; creation and stats p2p_endpoint.c.
 */
#include "p2p_internal.h"
#include "ring.h"

#include <string.h>

#define kMaxBurst 64           /* packets per session per flush */

_Static_assert(P2P_DATA_HDR + 9 + 2 * P2P_ACK_RANGES + 1 + 15 + P2P_FRAME_HDR + IVXS_P2P_CHUNK + P2P_TAG <= IVXS_P2P_MTU,
		"a data packet with a full ACK, a ping, padding and a full chunk fits the MTU");

const ivxs_status_entry ivxs_p2p_statuses[] = {
	IVXS_STATUS(IVXS_P2P_EARG, "bad argument"),
	IVXS_STATUS(IVXS_P2P_ENOMEM, "out of memory"),
	IVXS_STATUS(IVXS_P2P_ECRYPTO, "crypto failure"),
	IVXS_STATUS(IVXS_P2P_ETICKET_FORGED, "ticket forged"),
	IVXS_STATUS(IVXS_P2P_ETICKET_EXPIRED, "ticket expired"),
	IVXS_STATUS(IVXS_P2P_ETICKET_DEVICE, "ticket for another device"),
	IVXS_STATUS(IVXS_P2P_ETICKET_FORMAT, "ticket malformed"),
	IVXS_STATUS(IVXS_P2P_ETRUNC, "truncated packet"),
	IVXS_STATUS(IVXS_P2P_EREPLAY, "replayed packet"),
	IVXS_STATUS(IVXS_P2P_EAUTH, "authentication failed"),
	IVXS_STATUS(IVXS_P2P_ENOSESSION, "unknown connection id"),
	IVXS_STATUS(IVXS_P2P_EFULL, "no free session"),
	IVXS_STATUS(IVXS_P2P_ESTATE, "wrong state"),
	IVXS_STATUS(IVXS_P2P_EAGAIN, "no room now"),
	IVXS_STATUS(IVXS_P2P_ETOOBIG, "too big"),
	IVXS_STATUS(IVXS_P2P_EVERSION, "unknown version or packet type"),
	IVXS_STATUS(IVXS_P2P_ECLOSED, "session closed"),
	IVXS_STATUS(IVXS_P2P_ERIGHTS, "not allowed by the ticket"),
	IVXS_STATUS(IVXS_P2P_EPROTO, "protocol violation"),
	IVXS_STATUS(IVXS_P2P_ETIMEOUT, "timed out"),
	IVXS_STATUS(IVXS_P2P_EWEAKKEY, "weak key"),
	IVXS_STATUS_END
};

/* Ring codes (-200 … -299) come through where a ring source failed. */
const char *ivxs_p2p_strerror(int status)
{
	if (ivxs_status_find(ivxs_ring_statuses, status))
		return ivxs_ring_strerror(status);
	return ivxs_status_message(ivxs_p2p_statuses, status);
}

/* ---------------------------------------------------------------- sessions */

ivxs_p2p_session *p2p_session_open(ivxs_p2p *p, int state, uint32_t now)
{
	uint32_t i;
	for (i = 0; i < p->nsessions; i++) {
		ivxs_p2p_session *s = &p->sessions[i];
		if (s->state != P2P_S_FREE)
			continue;
		s->state = state;
		s->close_pending = 0;
		s->close_status = 0;
		s->rights = 0;
		s->version = 0;
		p2p_rel_init(&s->rel, now);
		p2p_cc_init(&s->cc, now);
		p2p_chan_init(s, now);
		s->start_ms = s->hello_ms = s->last_rx_ms = s->last_ping_ms = now;
		s->reply_resent = 0;
		s->probing = s->challenged = 0;
		s->packets_sent = s->packets_received = s->packets_lost = s->bytes_sent = s->bytes_received = 0;
		s->dropped_auth = s->dropped_replay = s->dropped_trunc = s->bogus_acks = s->commands_deferred = 0;
		p->st.sessions_open++;
		return s;
	}
	return NULL;
}

void p2p_session_free(ivxs_p2p_session *s)
{
	ivxs_p2p *p = s->p2p;
	if (s->state == P2P_S_FREE)
		return;
	p2p_aead_free(s->tx_aead);
	p2p_aead_free(s->rx_aead);
	p2p_wipe(s->priv, sizeof(s->priv));
	p2p_wipe(s->psk, sizeof(s->psk));
	p2p_chan_release(s);
	ivxs_uplink_detach(&s->uplink);
	s->ftx.src = NULL;
	s->state = P2P_S_FREE;
	p->st.sessions_open--;
}

/* Ends a session now: the app hears CLOSED if it had heard CONNECTED (or connected). */
static void sessionEnd(ivxs_p2p_session *s, int status)
{
	int tell = s->state == P2P_S_OPEN || s->p2p->cfg.role == IVXS_P2P_CLIENT;
	p2p_session_free(s);
	if (tell)
		p2p_event(s, IVXS_P2P_EV_CLOSED, status);
}

static void sendTo(ivxs_p2p_session *s, const ivxs_p2p_addr *to, const uint8_t *data, size_t size)
{
	s->p2p->cfg.cb.send(s->p2p->cfg.cb.ctx, to, data, size);
	s->packets_sent++;
	s->bytes_sent += size;
}

void p2p_send_raw(ivxs_p2p_session *s, const uint8_t *data, size_t size)
{
	sendTo(s, &s->addr, data, size);
}

int p2p_addr_equal(const ivxs_p2p_addr *a, const ivxs_p2p_addr *b)
{
	return a->len == b->len && a->len <= sizeof(a->bytes) && !memcmp(a->bytes, b->bytes, a->len);
}

/* ---------------------------------------------------------------- path validation */

static int sealAndSend(ivxs_p2p_session *s, const ivxs_p2p_addr *to, const uint8_t *head, size_t head_len,
		const uint8_t *body, size_t body_len, p2p_sent *rec, int eliciting, uint32_t now);

/* One frame (a challenge or a response) in a packet of its own, never retransmitted. */
static size_t sendToken(ivxs_p2p_session *s, const ivxs_p2p_addr *to, int type, const uint8_t *token, uint32_t now)
{
	uint8_t head[1 + P2P_TOKEN];
	p2p_sent rec;
	head[0] = (uint8_t)type;
	memcpy(head + 1, token, P2P_TOKEN);
	memset(&rec, 0, sizeof(rec));
	if (s->rel.next_pn >= UINT32_MAX - 1 || sealAndSend(s, to, head, sizeof(head), NULL, 0, &rec, 0, now))
		return 0;
	return P2P_DATA_HDR + sizeof(head) + P2P_TAG;
}

/* An authenticated packet from an address that is not the session's (QUIC's path validation,
 * RFC 9000 §8.2): the session stays where it is until the new address answers a challenge,
 * and that address gets at most 3x the bytes that came from it — a copied packet sent from a
 * victim's address neither moves the session nor turns the camera into an amplifier. */
static void pathSeen(ivxs_p2p_session *s, const ivxs_p2p_addr *from, size_t size, int newest, uint32_t now)
{
	const size_t challenge = P2P_DATA_HDR + 1 + P2P_TOKEN + P2P_TAG;
	int same = s->probing && p2p_addr_equal(from, &s->probe_addr);
	if (!same && !newest)
		return;   /* an older packet (reordered, replayed) starts nothing */
	if (!same) {
		if (s->p2p->cfg.cb.random(s->p2p->cfg.cb.ctx, s->probe_token, P2P_TOKEN))
			return;
		s->probing = 1;
		s->probe_addr = *from;
		s->probe_rcvd = s->probe_sent = 0;
		s->probe_ms = now - p2p_rel_rto(&s->rel);
	}
	s->probe_rcvd += (uint32_t)size;
	/* again once per RTO while packets keep coming from there (the challenge may be lost) */
	if (P2P_DIFF(now, s->probe_ms) < (int32_t)p2p_rel_rto(&s->rel)
			|| (uint64_t)s->probe_sent + challenge > (uint64_t)P2P_PROBE_FACTOR * s->probe_rcvd)
		return;
	s->probe_ms = now;
	s->probe_sent += (uint32_t)sendToken(s, &s->probe_addr, P2P_F_CHALLENGE, s->probe_token, now);
}

/* A PATH_RESPONSE: it validates the probed address if it echoes the token from there. */
static void pathResponse(ivxs_p2p_session *s, const ivxs_p2p_addr *from, const uint8_t *token)
{
	if (!s->probing || !p2p_addr_equal(from, &s->probe_addr) || !p2p_equal(token, s->probe_token, P2P_TOKEN))
		return;
	s->probing = 0;
	s->addr = s->probe_addr;
	p2p_event(s, IVXS_P2P_EV_ADDR_CHANGED, 0);   /* arg 0: the peer moved */
}

/* A PATH_CHALLENGE: answered at once on the validated path. Only the peer can send one (it is
 * sealed), and only when this end's packets reached it from an address it has not validated:
 * this end moved (a new lease, its NAT's new mapping). The app hears of it once per challenge
 * (the peer repeats one per RTO): PEER_ADDR_CHANGED, arg 1 — nothing for it to do. */
static void pathChallenged(ivxs_p2p_session *s, const uint8_t *token, uint32_t now)
{
	sendToken(s, &s->addr, P2P_F_RESPONSE, token, now);
	if (s->challenged && p2p_equal(token, s->challenge_token, P2P_TOKEN))
		return;
	s->challenged = 1;
	memcpy(s->challenge_token, token, P2P_TOKEN);
	p2p_event(s, IVXS_P2P_EV_ADDR_CHANGED, 1);
}

/* ---------------------------------------------------------------- data packets */

/* The ACK frames of the authenticated packet in p->plain, before the packet is taken. */
static void applyAcks(ivxs_p2p_session *s, size_t len, uint32_t now)
{
	p2p_item it;
	size_t pos = 0;
	while (p2p_wire_next(s->p2p->plain, len, &pos, &it) == 1)
		if (it.type == P2P_F_ACK)
			p2p_rel_on_ack(s, &it.ack, now);
}

static int onData(ivxs_p2p *p, const ivxs_p2p_addr *from, const uint8_t *data, size_t size, uint32_t now)
{
	ivxs_p2p_session *s = NULL;
	p2p_item it;
	size_t len, pos = 0;
	uint32_t pn, i;
	int status, eliciting = 0, item, acked = 0, commands = 0;
	if (size < P2P_DATA_HDR + P2P_TAG) {
		p->st.dropped_trunc++;
		return IVXS_P2P_ETRUNC;
	}
	for (i = 0; i < p->nsessions; i++) {
		ivxs_p2p_session *o = &p->sessions[i];
		if ((o->state == P2P_S_OPEN || o->state == P2P_S_ACCEPTED) && !memcmp(o->local_cid, data + 1, P2P_CID)) {
			s = o;
			break;
		}
	}
	if (!s || s->close_pending) {
		p->st.dropped_unknown++;
		return IVXS_P2P_ENOSESSION;
	}
	if (data[0] >> 4 != s->version) {   /* not the session's (its tag could not verify either) */
		p->st.dropped_version++;
		return IVXS_P2P_EVERSION;
	}
	pn = ivxs_get32(data + 9);
	if ((status = p2p_rel_rx_check(&s->rel, pn)) != 0) {
		s->dropped_replay++;
		return status;
	}
	len = size - P2P_DATA_HDR - P2P_TAG;
	if ((status = p2p_aead_open(s->rx_aead, pn, data, P2P_DATA_HDR, data + P2P_DATA_HDR, len, data + size - P2P_TAG,
			p->plain)) != 0) {
		s->dropped_auth++;
		return status;
	}
	/* decide: every frame is checked before any is used */
	while ((item = p2p_wire_next(p->plain, len, &pos, &it)) == 1) {
		if (it.type == P2P_F_FRAME)
			status = p2p_chan_check_frame(s, &it.fc);
		else if (it.type == P2P_F_CMD && (status = p2p_chan_check_cmd(s, &it.cc)) == IVXS_P2P_EAGAIN && !acked) {
			/* no room for a command chunk while this end's own long message is under way: the
			 * packet's ACKs may be what frees it (a viewer's next request rides with its ACK
			 * of the reply), so they count first (they count once: ACKs are idempotent) */
			applyAcks(s, len, now);
			acked = 1;
			status = p2p_chan_check_cmd(s, &it.cc);
		}
		if (status)
			break;
		if (it.type != P2P_F_ACK)
			eliciting = 1;
		commands += it.type == P2P_F_CMD;
	}
	if (status == IVXS_P2P_EAGAIN) {
		/* flow control, not an error: left unacknowledged, the peer sends it again */
		s->commands_deferred++;
		s->last_rx_ms = now;
		return status;
	}
	if (item < 0 || status) {
		s->dropped_trunc++;
		return item < 0 ? item : status;
	}
	/* commit */
	p2p_rel_rx_mark(&s->rel, pn, eliciting, now);
	s->last_rx_ms = now;
	s->bytes_received += size;
	s->packets_received++;
	if (s->state == P2P_S_ACCEPTED) {
		s->state = P2P_S_OPEN;
		/* reply -> the viewer's first packet: the camera's first RTT sample (see onReply) */
		if (!s->reply_resent)
			p2p_rel_rtt_seed(&s->rel, P2P_SINCE(now, s->hello_ms));
		p2p_event(s, IVXS_P2P_EV_CONNECTED, 0);
	}
	/* connection ids do not depend on the address: a new one is validated, then moved to */
	if (!p2p_addr_equal(from, &s->addr))
		pathSeen(s, from, size, pn == s->rel.rx_largest, now);
	pos = 0;
	while (p2p_wire_next(p->plain, len, &pos, &it) == 1 && !s->close_pending) {
		if (it.type == P2P_F_CHALLENGE)
			pathChallenged(s, it.token, now);
		else if (it.type == P2P_F_RESPONSE)
			pathResponse(s, from, it.token);
		else if (it.type == P2P_F_ACK)
			p2p_rel_on_ack(s, &it.ack, now);
		else if (it.type == P2P_F_FRAME)
			p2p_chan_on_frame(s, &it.fc);
		else if (it.type == P2P_F_CMD)
			p2p_chan_on_cmd(s, &it.cc, commands == 1);
		else if (it.type == P2P_F_CLOSE) {
			s->close_pending = 1;
			s->close_status = 0;
		}
	}
	/* a message delivered gives its buffer back now: a reply that waited for it can go */
	p2p_chan_cmd_idle(s);
	if (!s->close_pending)
		p2p_flush(s, now, 0);
	return 0;
}

static void finishCloses(ivxs_p2p *p)
{
	uint32_t i;
	for (i = 0; i < p->nsessions; i++)
		if (p->sessions[i].state != P2P_S_FREE && p->sessions[i].close_pending)
			sessionEnd(&p->sessions[i], p->sessions[i].close_status);
}

int ivxs_p2p_input(ivxs_p2p *p, const ivxs_p2p_addr *from, const uint8_t *data, size_t size, uint32_t now)
{
	int status = IVXS_P2P_EARG;
	if (!p || !from || (!data && size) || from->len > sizeof(from->bytes))
		return status;
	p->busy++;
	if (size < 1 + P2P_CID) {
		p->st.dropped_trunc++;
		status = IVXS_P2P_ETRUNC;
	}
	else if (!IVXS_P2P_IS_VERSION(data[0] >> 4)
			|| (data[0] >> 4 == IVXS_P2P_VERSION_AES && (data[0] & 15) != P2P_PKT_DATA && (data[0] & 15) != P2P_PKT_REPLY)) {
		/* 6 is a DATA's and a reply's version only: the handshake's other packets are 5's */
		p->st.dropped_version++;
		status = IVXS_P2P_EVERSION;
	}
	else if ((data[0] & 15) == P2P_PKT_DATA)
		status = onData(p, from, data, size, now);
	else if ((data[0] & 15) == P2P_PKT_HELLO)
		status = size < P2P_HELLO_FIXED ? IVXS_P2P_ETRUNC : p2p_hs_on_hello(p, from, data, size, now);
	else if ((data[0] & 15) == P2P_PKT_REPLY)
		status = p2p_hs_on_reply(p, data, size, now);
	else if ((data[0] & 15) == P2P_PKT_REJECT)
		status = p2p_hs_on_reject(p, data, size);
	else if ((data[0] & 15) == P2P_PKT_RETRY)
		status = p2p_hs_on_retry(p, data, size, now);
	else {
		p->st.dropped_version++;
		status = IVXS_P2P_EVERSION;
	}
	p->busy--;
	if (!p->busy)
		finishCloses(p);
	return status;
}

/* ---------------------------------------------------------------- sending */

/* The session's part of the viewers' budget (ivxs_p2p_set_uplink; attached as it first sends
 * within one): 0 = a packet may go now. Asked only when its own congestion control lets it send;
 * held back by it — something to send that its path would take (sessionWait) — it wants more than
 * its part (a session its path holds back is not held back by the budget: its part goes to the
 * others). */
static uint32_t uplinkWait(ivxs_p2p_session *s, uint32_t now)
{
	if (!s->uplink.uplink) {
		if (!s->p2p->uplink->rate)
			return 0;
		ivxs_uplink_attach(s->p2p->uplink, &s->uplink, P2P_PACE_BURST_MS, now);
	}
	return ivxs_uplink_wait(&s->uplink, 0, now);
}

/* Seals and sends one packet: head (frames) and body (payload straight from
 * its source, after the head). 0 if sent,
 * 1 if the body was torn (nothing sent). */
static int sealAndSend(ivxs_p2p_session *s, const ivxs_p2p_addr *to, const uint8_t *head, size_t head_len,
		const uint8_t *body, size_t body_len, p2p_sent *rec, int eliciting, uint32_t now)
{
	ivxs_p2p *p = s->p2p;
	uint8_t *out = p->pkt;
	size_t size = P2P_DATA_HDR + head_len + body_len + P2P_TAG;
	uint32_t pn = s->rel.next_pn++, before = s->rel.in_flight_bytes;
	out[0] = (uint8_t)((s->version << 4) | P2P_PKT_DATA);
	memcpy(out + 1, s->peer_cid, P2P_CID);
	ivxs_put32(out + 9, pn);
	if (p2p_aead_seal(s->tx_aead, pn, out, P2P_DATA_HDR, head, head_len, body, body_len, out + P2P_DATA_HDR,
			out + size - P2P_TAG))
		return 1;
	/* the zero-copy contract: the bytes are in the packet now; were they intact? */
	if (!p2p_chan_commit(s, rec, rec->carry == P2P_CARRY_NONE || p2p_chan_body_intact(s, rec), now))
		return 1;
	ivxs_uplink_charge(&s->uplink, (uint32_t)size, now);
	if (eliciting) {
		rec->pn = pn;
		rec->cc.sent_ms = now;
		rec->cc.bytes = (uint16_t)size;
		rec->state = P2P_SENT_FLIGHT;
		rec->cc.app_limited = !p2p_chan_has_data(s, now);
		p2p_cc_on_send(&s->cc, &rec->cc, (uint32_t)size, before, now);
		s->rel.in_flight_bytes += (uint32_t)size;
		s->rel.in_flight_packets++;
	}
	sendTo(s, to, out, size);
	return 0;
}

void p2p_flush(ivxs_p2p_session *s, uint32_t now, int ping)
{
	ivxs_p2p *p = s->p2p;
	uint32_t n;
	if (s->state != P2P_S_OPEN || s->close_pending)
		return;
	for (n = 0; n < kMaxBurst; n++) {
		p2p_sent *slot = p2p_rel_slot(&s->rel), rec;
		uint8_t *head = p->plain;
		size_t pos = 0, blen = 0;
		const uint8_t *body = NULL;
		p2p_ack ack;
		int data = 0, eliciting, has_ack = s->rel.ack_pending > 0;
		int ack_due = has_ack && P2P_GE(now, s->rel.ack_due_ms);
		if (s->rel.next_pn >= UINT32_MAX - 1) {
			/* 2^32 packets: the nonce space is used up; the session must end */
			s->close_pending = 1;
			s->close_status = IVXS_P2P_ECLOSED;
			return;
		}
		memset(&rec, 0, sizeof(rec));
		/* the ACK and a ping first, then the data behind them (built in place: an ACK that is
		 * not sent costs nothing) */
		if (has_ack && p2p_rel_ack_build(&s->rel, now, &ack))
			pos += p2p_wire_ack(head + pos, &ack);
		if (ping)
			head[pos++] = P2P_F_PING;
		if (slot && p2p_cc_wait(&s->cc, IVXS_P2P_MTU, s->rel.in_flight_bytes, now) == 0 && uplinkWait(s, now) == 0)
			data = p2p_chan_pick(s, now, head, pos, P2P_PLAIN_MAX, &pos, &body, &blen, &rec);
		if (!data && !ack_due && !ping)
			break;
		eliciting = data || ping;
		ping = 0;
		/* with every record in use (a peer that does not acknowledge) a ping goes out untracked */
		if (sealAndSend(s, &s->addr, head, pos, body, blen, &rec, eliciting && slot, now) == 0) {
			if (has_ack)
				s->rel.ack_pending = 0;
			if (eliciting && slot)
				*slot = rec;
		}
	}
}

/* A viewer whose proof of its keys the camera has not acknowledged yet (it sends nothing until
 * it has one). */
static int unconfirmed(const ivxs_p2p_session *s)
{
	return s->p2p->cfg.role == IVXS_P2P_CLIENT && !s->rel.any_acked;
}

/* When such a viewer gives its proof up: the handshake timeout after its last hello, a little
 * before the camera (whose timeout runs from that hello's arrival) frees the half-open slot. */
static uint32_t proofDeadline(const ivxs_p2p_session *s)
{
	return s->hello_ms + s->p2p->cfg.handshake_timeout_ms;
}

static void tickSession(ivxs_p2p_session *s, uint32_t now)
{
	ivxs_p2p *p = s->p2p;
	const ivxs_p2p_config *c = &p->cfg;
	int ping = 0;
	if (s->state == P2P_S_HELLO) {
		p2p_hs_tick(s, now);
		return;
	}
	if (s->state == P2P_S_ACCEPTED) {
		/* a hello that never proved its keys: the slot is given back silently */
		if (P2P_DIFF(now, s->last_rx_ms) >= (int32_t)c->handshake_timeout_ms)
			p2p_session_free(s);
		return;
	}
	if (s->state != P2P_S_OPEN)
		return;
	if (!c->keepalive_off) {
		uint32_t silent = P2P_SINCE(now, s->last_rx_ms);
		if (silent >= (uint64_t)c->keepalive_interval_ms * c->keepalive_attempts) {
			s->close_pending = 1;
			s->close_status = IVXS_P2P_ETIMEOUT;
			return;
		}
		if (silent >= c->keepalive_interval_ms && P2P_SINCE(now, s->last_ping_ms) >= c->keepalive_interval_ms) {
			ping = 1;
			s->last_ping_ms = now;
		}
	}
	/* the viewer's packet that proves its keys can be lost, and the camera sends nothing until
	 * it has one: until the camera acknowledges something, ping again every RTO (before the
	 * loss detection below doubles it for the lost one) */
	if (unconfirmed(s) && P2P_SINCE(now, s->last_ping_ms) >= p2p_rel_rto(&s->rel)) {
		ping = 1;
		s->last_ping_ms = now;
	}
	if (unconfirmed(s) && P2P_GE(now, proofDeadline(s))) {
		/* never acknowledged: the camera has given its half-open slot up (its handshake timeout
		 * runs from the hello), so nothing sent now reaches a session; say so at once, not at
		 * keep-alive (3 intervals later), and the app can connect again */
		s->close_pending = 1;
		s->close_status = IVXS_P2P_ETIMEOUT;
		return;
	}
	p2p_rel_detect_loss(s, now);
	p2p_chan_tick(s, now);
	p2p_flush(s, now, ping);
}

static uint32_t sessionWait(ivxs_p2p_session *s, uint32_t now)
{
	const ivxs_p2p_config *c = &s->p2p->cfg;
	uint32_t wait = 1000, w;
	if (s->state == P2P_S_HELLO)
		return p2p_hs_wait(s, now);
	if (s->state != P2P_S_OPEN)
		return wait;
	if (unconfirmed(s)) {
		int32_t d = P2P_DIFF(proofDeadline(s), now);
		w = d <= 0 ? 0 : (uint32_t)d;
		if (w < wait)
			wait = w;
	}
	w = p2p_rel_next_timer(s, now);
	if (w < wait)
		wait = w;
	/* only when there is work: data waiting for pacing, a frame's deadline. A source's new frame
	 * is the caller's to announce (it calls tick when one lands: the ring's wake-up), so an idle
	 * thin stream costs no polling (it used to be looked at every 10 ms) */
	if (p2p_chan_has_data(s, now) && p2p_rel_slot(&s->rel)) {   /* (no record free: an ACK frees one) */
		w = p2p_cc_wait(&s->cc, IVXS_P2P_MTU, s->rel.in_flight_bytes, now);
		if (!w && (w = uplinkWait(s, now)) != 0)
			ivxs_uplink_held(&s->uplink, now);
		if (w < wait)
			wait = w ? w : 1;
	}
	w = p2p_chan_next_deadline(s, now);
	if (w < wait)
		wait = w;
	if (!c->keepalive_off) {
		int32_t d = P2P_DIFF(s->last_rx_ms + c->keepalive_interval_ms, now);
		w = d <= 0 ? c->keepalive_interval_ms : (uint32_t)d;
		if (w < wait)
			wait = w;
	}
	return wait;
}

uint32_t ivxs_p2p_tick(ivxs_p2p *p, uint32_t now)
{
	uint32_t i, wait = 1000;
	if (!p)
		return wait;
	p->busy++;
	/* sessions take turns going first: fair between viewers when the uplink is short */
	for (i = 0; i < p->nsessions; i++) {
		ivxs_p2p_session *s = &p->sessions[(p->rr + i) % p->nsessions];
		if (s->state != P2P_S_FREE && !s->close_pending)
			tickSession(s, now);
	}
	p->rr++;
	p->busy--;
	if (!p->busy)
		finishCloses(p);
	for (i = 0; i < p->nsessions; i++) {
		uint32_t w;
		if (p->sessions[i].state == P2P_S_FREE)
			continue;
		w = sessionWait(&p->sessions[i], now);
		if (w < wait)
			wait = w;
	}
	return wait;
}

int ivxs_p2p_close(ivxs_p2p_session *s, uint32_t now)
{
	ivxs_p2p *p;
	uint8_t frame[2] = { P2P_F_CLOSE, 0 };
	p2p_sent rec;
	if (!s || s->state == P2P_S_FREE)
		return IVXS_P2P_EARG;
	p = s->p2p;
	if (s->state == P2P_S_OPEN && !s->close_pending && s->rel.next_pn < UINT32_MAX - 1) {
		/* best effort, not retransmitted: a peer that misses it finds out by keep-alive */
		memset(&rec, 0, sizeof(rec));
		sealAndSend(s, &s->addr, frame, sizeof(frame), NULL, 0, &rec, 0, now);
	}
	s->close_pending = 1;
	s->close_status = 0;
	if (!p->busy)
		finishCloses(p);
	return 0;
}

int ivxs_p2p_session_index(const ivxs_p2p_session *s)
{
	return s ? (int)(s - s->p2p->sessions) : IVXS_P2P_EARG;
}

ivxs_p2p_session *ivxs_p2p_session_at(ivxs_p2p *p, uint32_t index)
{
	if (!p || index >= p->nsessions || p->sessions[index].state == P2P_S_FREE)
		return NULL;
	return &p->sessions[index];
}
