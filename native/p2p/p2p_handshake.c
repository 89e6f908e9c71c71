/*
 * P2P transport — the handshake (PROTOCOL.md "Handshake"): the viewer's hello
 * (sent again, backing off, until answered or timed out), the camera's reply
 * or reject, and the session keys both derive. Meets the rest of the core
 * through p2p_internal.h: a session is opened, freed and sent on by
 * p2p_session.c, and datagrams reach p2p_hs_on_* from ivxs_p2p_input.
 */
#include "p2p_internal.h"

#include <string.h>

#define kHelloInterval 250
#define kMaxHelloInterval 1000
/* HKDF's info: the label of the DATA's version, then the transcript hash (and for 6, the offer) */
static const char kKeyLabel5[] = "ivxs p2p v5 keys";
static const char kKeyLabel6[] = "ivxs p2p v6 keys";
_Static_assert(sizeof(kKeyLabel5) == sizeof(kKeyLabel6), "one label size");

_Static_assert(P2P_HELLO_OFFER < IVXS_P2P_MTU, "hello, its cookie and its offer fit");
_Static_assert(P2P_REPLY_BYTES < IVXS_P2P_MTU && P2P_REJECT_BYTES < IVXS_P2P_MTU, "answers are smaller than the hello");

static size_t helloBuild(const ivxs_p2p_session *s, uint8_t *out)
{
	memset(out, 0, IVXS_P2P_MTU);
	out[0] = (IVXS_P2P_VERSION << 4) | P2P_PKT_HELLO;
	memcpy(out + 1, s->local_cid, P2P_CID);
	memcpy(out + 9, s->pub, P2P_PUB);
	ivxs_put16(out + 41, IVXS_P2P_TICKET_BYTES);
	memcpy(out + P2P_HELLO_FIXED, s->ticket, IVXS_P2P_TICKET_BYTES);
	out[P2P_HELLO_RXF] = (uint8_t)s->p2p->cfg.rx_frames;
	ivxs_put32(out + P2P_HELLO_RXB, s->p2p->cfg.rx_frame_bytes);
	out[P2P_HELLO_BODY] = s->cookie_len;
	memcpy(out + P2P_HELLO_BODY + 1, s->cookie, s->cookie_len);
	out[P2P_HELLO_OFFER] = s->p2p->cfg.version == IVXS_P2P_VERSION_AES ? P2P_OFFER_AES : 0;
	return IVXS_P2P_MTU;   /* padded: the server's answer is always smaller (no amplification) */
}

/* Keys from the X25519 secret, salted with the ticket's psk, bound to both hello and reply
 * headers (and for version 6, to the hello's offer): c2s keys | s2c keys, the session's version's
 * (p2p_aead_key_bytes: key, IV, and for 6 the MAC key). */
static int deriveKeys(ivxs_p2p_session *s, int version, const uint8_t shared[32], const uint8_t *hello, const uint8_t *reply)
{
	uint8_t info[sizeof(kKeyLabel5) - 1 + 32 + 1], keys[2 * P2P_KEYS_MAX];
	size_t label = sizeof(kKeyLabel5) - 1, n = p2p_aead_key_bytes(version), info_len = label + 32;
	const uint8_t *c2s = keys, *s2c = keys + n;
	int server = s->p2p->cfg.role == IVXS_P2P_SERVER, status;
	memcpy(info, version == IVXS_P2P_VERSION_AES ? kKeyLabel6 : kKeyLabel5, label);
	if (version == IVXS_P2P_VERSION_AES)
		info[info_len++] = hello[P2P_HELLO_OFFER];
	status = p2p_sha256(hello, P2P_HELLO_BODY, reply, P2P_REPLY_BYTES - P2P_TAG, info + label);
	if (!status)
		status = p2p_hkdf(s->psk, IVXS_P2P_PSK_BYTES, shared, 32, info, info_len, keys, 2 * n);
	if (!status)
		status = p2p_aead_init(s->tx_aead, version, server ? s2c : c2s);
	if (!status)
		status = p2p_aead_init(s->rx_aead, version, server ? c2s : s2c);
	if (!status)
		s->version = (uint8_t)version;
	p2p_wipe(keys, sizeof(keys));
	return status;
}

static void sendReject(ivxs_p2p *p, const ivxs_p2p_addr *to, const uint8_t *cid, int status)
{
	uint8_t out[P2P_REJECT_BYTES];
	out[0] = (IVXS_P2P_VERSION << 4) | P2P_PKT_REJECT;
	memcpy(out + 1, cid, P2P_CID);
	out[9] = (uint8_t)(IVXS_STATUS_P2P - status);   /* the wire's number: 4 … 12 (PROTOCOL.md) */
	p->cfg.cb.send(p->cfg.cb.ctx, to, out, sizeof(out));
}

/* A stateless cookie for this hello from this address in time slot `slot` (8.192 s):
 * slot u32 || HMAC-SHA256(cookie key, slot || address || the hello's cid and key)[0..16). */
static int cookieMake(const ivxs_p2p *p, const ivxs_p2p_addr *from, const uint8_t *hello, uint32_t slot,
		uint8_t out[P2P_COOKIE])
{
	uint8_t msg[4 + sizeof(from->bytes) + P2P_CID + P2P_PUB], mac[32];
	size_t n = 4;
	ivxs_put32(msg, slot);
	memcpy(msg + n, from->bytes, from->len);
	n += from->len;
	memcpy(msg + n, hello + 1, P2P_CID + P2P_PUB);
	n += P2P_CID + P2P_PUB;
	if (p2p_hmac_sha256(p->cookie_key, sizeof(p->cookie_key), msg, n, NULL, 0, mac))
		return IVXS_P2P_ECRYPTO;
	ivxs_put32(out, slot);
	memcpy(out + 4, mac, P2P_COOKIE - 4);
	return 0;
}

static int cookieValid(const ivxs_p2p *p, const ivxs_p2p_addr *from, const uint8_t *hello, uint32_t now)
{
	uint8_t want[P2P_COOKIE];
	uint32_t slot;
	if (hello[P2P_HELLO_BODY] != P2P_COOKIE)
		return 0;
	slot = ivxs_get32(hello + P2P_HELLO_BODY + 1);
	/* slots are now >> 13, 0 … 2^19 - 1: the one before slot 0 is the last (the clock wrapped) */
	if (slot != now >> 13 && slot != (((now >> 13) - 1) & (UINT32_MAX >> 13)))
		return 0;   /* older than one slot: expired */
	return cookieMake(p, from, hello, slot, want) == 0 && p2p_equal(want, hello + P2P_HELLO_BODY + 1, P2P_COOKIE);
}

/* Keeping state for a hello costs a slot: when one is already pending, or at most one slot is
 * free, the address must first prove it receives (a RETRY with a cookie, as DTLS's
 * HelloVerifyRequest and QUIC's Retry); otherwise the hello is answered in one round trip. */
static int cookieNeeded(const ivxs_p2p *p)
{
	uint32_t i, pending = 0, free = 0;
	for (i = 0; i < p->nsessions; i++) {
		pending += p->sessions[i].state == P2P_S_ACCEPTED;
		free += p->sessions[i].state == P2P_S_FREE;
	}
	return pending > 0 || free <= 1;
}

int p2p_hs_on_hello(ivxs_p2p *p, const ivxs_p2p_addr *from, const uint8_t *data, size_t size, uint32_t now)
{
	ivxs_p2p_ticket t;
	ivxs_p2p_session *s = NULL;
	uint8_t psk[IVXS_P2P_PSK_BYTES], shared[32];
	uint32_t i;
	int status, version;
	memset(shared, 0, sizeof(shared));
	memset(psk, 0, sizeof(psk));
	p->st.hellos++;
	if (p->cfg.role != IVXS_P2P_SERVER)
		return IVXS_P2P_EVERSION;
	/* a hello smaller than the MTU could make the answer an amplifier */
	if (size < IVXS_P2P_MTU || ivxs_get16(data + 41) != IVXS_P2P_TICKET_BYTES || data[P2P_HELLO_RXF] < 2
			|| !ivxs_get32(data + P2P_HELLO_RXB)) {
		p->st.dropped_trunc++;
		return IVXS_P2P_ETRUNC;
	}
	for (i = 0; i < p->nsessions; i++) {
		ivxs_p2p_session *o = &p->sessions[i];
		if (o->state != P2P_S_FREE && !memcmp(o->peer_cid, data + 1, P2P_CID)) {
			/* the hello again (our reply was lost): the same reply, never new keys */
			if (o->state == P2P_S_ACCEPTED && p2p_addr_equal(&o->addr, from) && !memcmp(o->pub, data + 9, P2P_PUB)) {
				o->reply_resent = 1;
				p2p_send_raw(o, o->reply, P2P_REPLY_BYTES);
				return 0;
			}
			return IVXS_P2P_EREPLAY;
		}
	}
	if (cookieNeeded(p) && !cookieValid(p, from, data, now)) {
		uint8_t retry[P2P_RETRY_BYTES];
		retry[0] = (IVXS_P2P_VERSION << 4) | P2P_PKT_RETRY;
		memcpy(retry + 1, data + 1, P2P_CID);
		if (cookieMake(p, from, data, now >> 13, retry + 1 + P2P_CID))
			return IVXS_P2P_ECRYPTO;
		p->st.retries++;
		p->cfg.cb.send(p->cfg.cb.ctx, from, retry, sizeof(retry));   /* smaller than the hello, no state */
		return 0;
	}
	status = p->have_time ? ivxs_p2p_ticket_verify(p->secret, p->secret_len, p->cfg.device_id, p->unix_s,
			data + P2P_HELLO_FIXED, IVXS_P2P_TICKET_BYTES, &t, psk) : IVXS_P2P_ETICKET_EXPIRED;
	if (status) {
		if (status == IVXS_P2P_ETICKET_FORGED)
			p->st.refused_forged++;
		else if (status == IVXS_P2P_ETICKET_EXPIRED)
			p->st.refused_expired++;
		else if (status == IVXS_P2P_ETICKET_DEVICE)
			p->st.refused_device++;
		else
			p->st.refused_format++;
		sendReject(p, from, data + 1, status);
		goto done;
	}
	/* one pending handshake per ticket: a newer hello with it replaces the older (only the
	 * holder of the psk can finish either); open sessions are never evicted. The key exchange
	 * (two X25519 operations: milliseconds of a board's CPU) runs at most once per
	 * P2P_HS_SPACING_MS per ticket: a ticket holder sending hellos with fresh connection ids
	 * (each through the cookie) drove it as fast as it sent. A dropped hello is sent again by
	 * its viewer's own timer; a repeated one (same id and key) got its reply above. */
	for (i = 0; i < p->nsessions; i++) {
		ivxs_p2p_session *o = &p->sessions[i];
		if (o->state != P2P_S_ACCEPTED || !p2p_equal(o->ticket, data + P2P_HELLO_FIXED, IVXS_P2P_TICKET_BYTES))
			continue;
		if (P2P_SINCE(now, o->start_ms) < P2P_HS_SPACING_MS) {
			p->st.refused_rate++;
			status = IVXS_P2P_EAGAIN;
			goto done;
		}
		p2p_session_free(o);
	}
	s = p2p_session_open(p, P2P_S_ACCEPTED, now);
	if (!s) {
		p->st.refused_full++;
		status = IVXS_P2P_EFULL;
		sendReject(p, from, data + 1, status);
		goto done;
	}
	s->addr = *from;
	memcpy(s->peer_cid, data + 1, P2P_CID);
	memcpy(s->ticket, data + P2P_HELLO_FIXED, IVXS_P2P_TICKET_BYTES);
	memcpy(s->psk, psk, sizeof(psk));
	s->rights = t.rights;
	memcpy(s->viewer_id, t.viewer_id, IVXS_P2P_ID_BYTES);
	status = p->cfg.cb.random(p->cfg.cb.ctx, s->local_cid, P2P_CID) ? IVXS_P2P_ECRYPTO : 0;
	if (!status)
		status = p2p_x25519_keypair(p->cfg.cb.random, p->cfg.cb.ctx, s->priv, s->reply + 17);
	if (!status)
		status = p2p_x25519_shared(p->cfg.cb.random, p->cfg.cb.ctx, s->priv, data + 9, shared);
	p2p_wipe(s->priv, sizeof(s->priv));   /* the server's ephemeral key lives for one exchange */
	if (status)
		goto fail;
	/* remembered to recognise a repeated hello */
	memcpy(s->pub, data + 9, P2P_PUB);
	/* the DATA's version: 6 when the viewer offers it and this camera prefers it (its engines) */
	version = (data[P2P_HELLO_OFFER] & P2P_OFFER_AES) && p->cfg.version == IVXS_P2P_VERSION_AES
			? IVXS_P2P_VERSION_AES : IVXS_P2P_VERSION;
	s->reply[0] = (uint8_t)((version << 4) | P2P_PKT_REPLY);
	memcpy(s->reply + 1, data + 1, P2P_CID);
	memcpy(s->reply + 9, s->local_cid, P2P_CID);
	s->reply[P2P_REPLY_RXF] = (uint8_t)p->cfg.rx_frames;
	ivxs_put32(s->reply + P2P_REPLY_RXB, p->cfg.rx_frame_bytes);
	/* never more frames in flight than the viewer reassembles at once */
	s->ftx.limit = data[P2P_HELLO_RXF] < s->ftx.n ? data[P2P_HELLO_RXF] : s->ftx.n;
	s->ftx.max_bytes = ivxs_get32(data + P2P_HELLO_RXB);   /* no frame the viewer would have to drop */
	status = deriveKeys(s, version, shared, data, s->reply);
	/* key confirmation: packet number 0 of the server's direction, empty */
	if (!status)
		status = p2p_aead_seal(s->tx_aead, 0, s->reply, P2P_REPLY_BYTES - P2P_TAG, NULL, 0, NULL, 0, NULL,
				s->reply + P2P_REPLY_BYTES - P2P_TAG);
	if (status)
		goto fail;
	s->rel.next_pn = 1;
	s->rel.lo_pn = 1;
	p2p_send_raw(s, s->reply, P2P_REPLY_BYTES);
	goto done;
fail:
	p2p_session_free(s);
	sendReject(p, from, data + 1, status);
done:
	p2p_wipe(shared, sizeof(shared));
	p2p_wipe(psk, sizeof(psk));
	return status;
}

int p2p_hs_on_reply(ivxs_p2p *p, const uint8_t *data, size_t size, uint32_t now)
{
	ivxs_p2p_session *s = &p->sessions[0];
	uint8_t shared[32], hello[IVXS_P2P_MTU];
	int status, version = data[0] >> 4;
	if (p->cfg.role != IVXS_P2P_CLIENT)
		return IVXS_P2P_EVERSION;
	if (version == IVXS_P2P_VERSION_AES && p->cfg.version != IVXS_P2P_VERSION_AES) {
		p->st.dropped_version++;   /* not offered: no reply to our hello */
		return IVXS_P2P_EVERSION;
	}
	if (size != P2P_REPLY_BYTES || data[P2P_REPLY_RXF] < 2 || !ivxs_get32(data + P2P_REPLY_RXB)) {
		p->st.dropped_trunc++;
		return IVXS_P2P_ETRUNC;
	}
	if (s->state != P2P_S_HELLO || memcmp(s->local_cid, data + 1, P2P_CID)) {
		p->st.dropped_unknown++;
		return IVXS_P2P_ENOSESSION;
	}
	helloBuild(s, hello);
	status = p2p_x25519_shared(p->cfg.cb.random, p->cfg.cb.ctx, s->priv, data + 17, shared);
	if (!status)
		status = deriveKeys(s, version, shared, hello, data);
	if (!status)
		status = p2p_aead_open(s->rx_aead, 0, data, P2P_REPLY_BYTES - P2P_TAG, NULL, 0, data + P2P_REPLY_BYTES - P2P_TAG,
				NULL);
	p2p_wipe(shared, sizeof(shared));
	if (status) {
		/* not from the server we trust (or damaged): keep waiting for the real one */
		p2p_aead_free(s->tx_aead);
		p2p_aead_free(s->rx_aead);
		s->version = 0;
		s->dropped_auth++;
		return status == IVXS_P2P_EWEAKKEY ? status : IVXS_P2P_EAUTH;
	}
	p2p_wipe(s->priv, sizeof(s->priv));
	memcpy(s->peer_cid, data + 9, P2P_CID);
	s->ftx.limit = data[P2P_REPLY_RXF] < s->ftx.n ? data[P2P_REPLY_RXF] : s->ftx.n;
	s->ftx.max_bytes = ivxs_get32(data + P2P_REPLY_RXB);
	s->state = P2P_S_OPEN;
	s->last_rx_ms = now;
	/* hello -> reply is the first RTT sample (unless the hello went out again: which one was
	 * answered is unknown), so the first losses are timed by the path, not the 300 ms default */
	if (s->hello_interval == kHelloInterval)
		p2p_rel_rtt_seed(&s->rel, P2P_SINCE(now, s->hello_ms));
	p2p_rel_rx_mark(&s->rel, 0, 0, now);
	p2p_event(s, IVXS_P2P_EV_CONNECTED, 0);
	/* the server answers nothing more until this proves we hold the keys */
	s->last_ping_ms = now;
	p2p_flush(s, now, 1);
	return 0;
}

int p2p_hs_on_reject(ivxs_p2p *p, const uint8_t *data, size_t size)
{
	ivxs_p2p_session *s = &p->sessions[0];
	int code;
	if (p->cfg.role != IVXS_P2P_CLIENT || size != P2P_REJECT_BYTES)
		return IVXS_P2P_ETRUNC;
	if (s->state != P2P_S_HELLO || memcmp(s->local_cid, data + 1, P2P_CID))
		return IVXS_P2P_ENOSESSION;
	code = IVXS_STATUS_P2P - (int)data[9];
	/* unauthenticated: only ticket and capacity refusals name their reason */
	if ((code > IVXS_P2P_ETICKET_FORGED || code < IVXS_P2P_ETICKET_FORMAT) && code != IVXS_P2P_EFULL)
		code = IVXS_P2P_EPROTO;
	s->close_pending = 1;
	s->close_status = code;
	return 0;
}

/* A RETRY: the camera wants its cookie echoed before it keeps any state; the hello goes
 * again at once with it. */
int p2p_hs_on_retry(ivxs_p2p *p, const uint8_t *data, size_t size, uint32_t now)
{
	ivxs_p2p_session *s = &p->sessions[0];
	if (p->cfg.role != IVXS_P2P_CLIENT || size != P2P_RETRY_BYTES) {
		p->st.dropped_trunc++;
		return IVXS_P2P_ETRUNC;
	}
	if (s->state != P2P_S_HELLO || memcmp(s->local_cid, data + 1, P2P_CID)) {
		p->st.dropped_unknown++;
		return IVXS_P2P_ENOSESSION;
	}
	memcpy(s->cookie, data + 1 + P2P_CID, P2P_COOKIE);
	s->cookie_len = P2P_COOKIE;
	p2p_send_raw(s, p->pkt, helloBuild(s, p->pkt));
	s->hello_ms = now;   /* the reply answers this hello: its round trip seeds the RTO */
	return 0;
}

int ivxs_p2p_connect(ivxs_p2p *p, const ivxs_p2p_addr *server, const uint8_t *ticket, size_t ticket_len,
		const uint8_t psk[IVXS_P2P_PSK_BYTES], uint32_t now, ivxs_p2p_session **out)
{
	ivxs_p2p_session *s = NULL;
	int status = IVXS_P2P_EARG;
	if (!p || !server || !ticket || !psk || !out || p->cfg.role != IVXS_P2P_CLIENT || server->len > sizeof(server->bytes))
		goto done;
	*out = NULL;
	status = IVXS_P2P_ETICKET_FORMAT;
	if (ticket_len != IVXS_P2P_TICKET_BYTES)
		goto done;
	status = IVXS_P2P_ESTATE;
	if (!(s = p2p_session_open(p, P2P_S_HELLO, now)))
		goto done;
	s->addr = *server;
	s->hello_interval = kHelloInterval;
	s->cookie_len = 0;
	memcpy(s->ticket, ticket, IVXS_P2P_TICKET_BYTES);
	memcpy(s->psk, psk, IVXS_P2P_PSK_BYTES);
	status = p->cfg.cb.random(p->cfg.cb.ctx, s->local_cid, P2P_CID) ? IVXS_P2P_ECRYPTO : 0;
	if (!status)
		status = p2p_x25519_keypair(p->cfg.cb.random, p->cfg.cb.ctx, s->priv, s->pub);
	if (status) {
		p2p_session_free(s);
		goto done;
	}
	p2p_send_raw(s, p->pkt, helloBuild(s, p->pkt));
	*out = s;
done:
	return status;
}

void p2p_hs_tick(ivxs_p2p_session *s, uint32_t now)
{
	ivxs_p2p *p = s->p2p;
	if (P2P_DIFF(now, s->start_ms) >= (int32_t)p->cfg.handshake_timeout_ms) {
		s->close_pending = 1;
		s->close_status = IVXS_P2P_ETIMEOUT;
	}
	else if (P2P_DIFF(now, s->hello_ms) >= (int32_t)s->hello_interval) {
		p2p_send_raw(s, p->pkt, helloBuild(s, p->pkt));
		s->hello_ms = now;
		s->hello_interval = s->hello_interval * 2 > kMaxHelloInterval ? kMaxHelloInterval : s->hello_interval * 2;
	}
}

/* The next hello or the deadline, whichever comes first: a wait past the deadline made
 * the timeout fire at the next hello after it (2.75 s for a 2 s setting). */
uint32_t p2p_hs_wait(const ivxs_p2p_session *s, uint32_t now)
{
	int32_t hello = P2P_DIFF(s->hello_ms + s->hello_interval, now);
	int32_t deadline = P2P_DIFF(s->start_ms + s->p2p->cfg.handshake_timeout_ms, now);
	int32_t d = hello < deadline ? hello : deadline;
	return d <= 0 ? 0 : (uint32_t)d;
}
