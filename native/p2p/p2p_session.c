/*
 * P2P transport — the endpoint and its sessions: creation (every pool sized
 * here), the handshake (PROTOCOL.md "Handshake"), datagram input (decide,
 * then commit: a packet is decrypted and every frame in it checked before
 * anything changes), the send loop (ACKs, keep-alive pings, data paced by
 * congestion control), keep-alive, address migration and close.
 */
#include "p2p_internal.h"
#include "ring.h"

#include <stdlib.h>
#include <string.h>

#define kHelloInterval 250
#define kMaxHelloInterval 1000
#define kMaxBurst 64           /* packets per session per flush */
#define kKeyBytes (2 * (P2P_KEY + P2P_IV))
static const char kKeyLabel[] = "ivxs p2p v1 keys";

_Static_assert(P2P_DATA_HDR + 9 + 2 * P2P_ACK_RANGES + 1 + 15 + P2P_FRAME_HDR + IVXS_P2P_CHUNK + P2P_TAG <= IVXS_P2P_MTU,
		"a data packet with a full ACK, a ping, padding and a full chunk fits the MTU");
_Static_assert(P2P_HELLO_FIXED + IVXS_P2P_TICKET_BYTES <= IVXS_P2P_MTU, "hello fits");
_Static_assert(P2P_REPLY_BYTES < IVXS_P2P_MTU && P2P_REJECT_BYTES < IVXS_P2P_MTU, "answers are smaller than the hello");

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

/* ---------------------------------------------------------------- memory */

static void *defaultAlloc(size_t bytes, void *ctx)
{
	(void)ctx;
	return malloc(bytes);
}

static void defaultFree(void *p, void *ctx)
{
	(void)ctx;
	free(p);
}

void *p2p_alloc(ivxs_p2p *p, size_t bytes)
{
	void *m = p->alloc.alloc(bytes, p->alloc.ctx);
	if (m)
		memset(m, 0, bytes);
	return m;
}

void p2p_free(ivxs_p2p *p, void *ptr)
{
	if (ptr)
		p->alloc.free(ptr, p->alloc.ctx);
}

void p2p_event(ivxs_p2p_session *s, ivxs_p2p_event ev, int arg)
{
	if (s->p2p->cfg.cb.event)
		s->p2p->cfg.cb.event(s->p2p->cfg.cb.ctx, s, ev, arg);
}

/* Sizes with overflow checks: 0 if it does not fit a size_t. */
static size_t mul(size_t a, size_t b)
{
	return b && a > (size_t)-1 / b ? 0 : a * b;
}

static size_t add(size_t a, size_t b)
{
	return a > (size_t)-1 - b ? 0 : a + b;
}

static int applyDefaults(ivxs_p2p_config *c)
{
	int server = c->role == IVXS_P2P_SERVER;
	if (c->role != IVXS_P2P_SERVER && c->role != IVXS_P2P_CLIENT)
		return IVXS_P2P_EARG;
	if (!c->cb.send || !c->cb.random)
		return IVXS_P2P_EARG;
	if (server && (!c->device_secret || !c->device_secret_len || c->device_secret_len > 64))
		return IVXS_P2P_EARG;
	c->max_sessions = server ? (c->max_sessions ? c->max_sessions : 4) : 1;
	c->max_in_flight = c->max_in_flight ? c->max_in_flight : 64;
	c->tx_frames = c->tx_frames ? c->tx_frames : (server ? 16 : 4);
	c->rx_frames = c->rx_frames ? c->rx_frames : (server ? 4 : 8);
	c->rx_frame_bytes = c->rx_frame_bytes ? c->rx_frame_bytes : (server ? 1200 : 256 * 1024);
	c->deadline_ms = c->deadline_ms ? c->deadline_ms : 600;
	c->keepalive_interval_ms = c->keepalive_interval_ms ? c->keepalive_interval_ms : 5000;
	c->keepalive_attempts = c->keepalive_attempts ? c->keepalive_attempts : 3;
	c->handshake_timeout_ms = c->handshake_timeout_ms ? c->handshake_timeout_ms : 5000;
	if (c->max_sessions > 64 || c->max_in_flight < 8 || c->max_in_flight > 1024 || c->tx_frames < 2 || c->tx_frames > 64
			|| c->rx_frames < 2 || c->rx_frames > 64
			|| c->rx_frame_bytes > (uint32_t)IVXS_P2P_MAX_FRAME_CHUNKS * IVXS_P2P_CHUNK
			|| c->deadline_ms > 60000 || c->keepalive_interval_ms > 600000 || c->keepalive_attempts > 100)
		return IVXS_P2P_EARG;
	/* frame numbers wrap at 2^32 and pick their slot modulo these: powers of two keep
	 * consecutive numbers in distinct slots across the wrap */
	if ((c->tx_frames & (c->tx_frames - 1)) || (c->rx_frames & (c->rx_frames - 1)))
		return IVXS_P2P_EARG;
	return 0;
}

/* Everything one session owns, allocated at creation. */
static int sessionAlloc(ivxs_p2p *p, ivxs_p2p_session *s)
{
	const ivxs_p2p_config *c = &p->cfg;
	size_t sent = mul(c->max_in_flight, sizeof(p2p_sent)), ftx = mul(c->tx_frames, sizeof(p2p_ftx_slot));
	size_t frx = mul(c->rx_frames, sizeof(p2p_frx_slot)), arena = mul(c->rx_frames, c->rx_frame_bytes);
	uint32_t i;
	if (!sent || !ftx || !frx || !arena)
		return IVXS_P2P_ENOMEM;
	s->p2p = p;
	s->rel.sent = p2p_alloc(p, sent);
	s->ftx.slots = p2p_alloc(p, ftx);
	s->frx.slots = p2p_alloc(p, frx);
	s->tx_aead = p2p_alloc(p, p2p_aead_size());
	s->rx_aead = p2p_alloc(p, p2p_aead_size());
	if (!s->rel.sent || !s->ftx.slots || !s->frx.slots || !s->tx_aead || !s->rx_aead)
		return IVXS_P2P_ENOMEM;
	s->frx.slots[0].buf = p2p_alloc(p, arena);
	if (!s->frx.slots[0].buf)
		return IVXS_P2P_ENOMEM;
	for (i = 1; i < c->rx_frames; i++)
		s->frx.slots[i].buf = s->frx.slots[0].buf + (size_t)i * c->rx_frame_bytes;
	s->rel.nsent = c->max_in_flight;
	s->ftx.n = c->tx_frames;
	s->frx.n = c->rx_frames;
	s->frx.slot_bytes = c->rx_frame_bytes;
	s->footprint = sizeof(*s) + sent + ftx + frx + arena + 2 * p2p_aead_size();
	return 0;
}

static void sessionRelease(ivxs_p2p *p, ivxs_p2p_session *s)
{
	p2p_free(p, s->rel.sent);
	p2p_free(p, s->ftx.slots);
	if (s->frx.slots)
		p2p_free(p, s->frx.slots[0].buf);
	p2p_free(p, s->frx.slots);
	p2p_free(p, s->tx_aead);
	p2p_free(p, s->rx_aead);
}

void ivxs_p2p_destroy(ivxs_p2p **pp)
{
	ivxs_p2p *p;
	uint32_t i;
	if (!pp || !*pp)
		return;
	p = *pp;
	for (i = 0; p->sessions && i < p->nsessions; i++) {
		ivxs_p2p_session *s = &p->sessions[i];
		if (s->state != P2P_S_FREE) {
			p2p_aead_free(s->tx_aead);
			p2p_aead_free(s->rx_aead);
		}
		p2p_chan_release(s);
		sessionRelease(p, s);
	}
	p2p_free(p, p->sessions);
	p2p_wipe(p->secret, sizeof(p->secret));
	{
		ivxs_p2p_allocator a = p->alloc;
		a.free(p, a.ctx);
	}
	*pp = NULL;
}

int ivxs_p2p_create(ivxs_p2p **out, const ivxs_p2p_config *config)
{
	ivxs_p2p_config c;
	ivxs_p2p_allocator a = { defaultAlloc, defaultFree, NULL };
	ivxs_p2p *p = NULL;
	uint32_t i;
	int status = IVXS_P2P_EARG;
	if (!out || !config)
		goto done;
	*out = NULL;
	c = *config;
	if ((status = applyDefaults(&c)) != 0)
		goto done;
	if (c.allocator) {
		if (!c.allocator->alloc || !c.allocator->free) {
			status = IVXS_P2P_EARG;
			goto done;
		}
		a = *c.allocator;
	}
	status = IVXS_P2P_ENOMEM;
	p = a.alloc(sizeof(*p), a.ctx);
	if (!p)
		goto done;
	memset(p, 0, sizeof(*p));
	p->alloc = a;
	p->cfg = c;
	p->cfg.allocator = NULL;
	if (c.role == IVXS_P2P_SERVER) {
		memcpy(p->secret, c.device_secret, c.device_secret_len);
		p->secret_len = c.device_secret_len;
	}
	p->cfg.device_secret = NULL;
	p->nsessions = c.max_sessions;
	p->sessions = p2p_alloc(p, mul(p->nsessions, sizeof(ivxs_p2p_session)));
	if (!p->sessions)
		goto fail;
	p->footprint = sizeof(*p);
	for (i = 0; i < p->nsessions; i++) {
		if (sessionAlloc(p, &p->sessions[i]))
			goto fail;
		p->footprint = add(p->footprint, p->sessions[i].footprint);
	}
	*out = p;
	status = 0;
	goto done;
fail:
	ivxs_p2p_destroy(&p);
done:
	return status;
}

void ivxs_p2p_set_unix_time(ivxs_p2p *p, uint64_t unix_s)
{
	if (!p)
		return;
	p->unix_s = unix_s;
	p->have_time = 1;
}

/* ---------------------------------------------------------------- sessions */

static ivxs_p2p_session *sessionOpen(ivxs_p2p *p, int state, uint32_t now)
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
		p2p_rel_init(&s->rel);
		p2p_cc_init(&s->cc, now);
		p2p_chan_init(s, now);
		s->start_ms = s->hello_ms = s->last_rx_ms = s->last_ping_ms = now;
		s->hello_interval = kHelloInterval;
		s->reply_resent = 0;
		s->packets_sent = s->packets_received = s->packets_lost = s->bytes_sent = s->bytes_received = 0;
		s->dropped_auth = s->dropped_replay = s->dropped_trunc = s->bogus_acks = 0;
		p->st.sessions_open++;
		return s;
	}
	return NULL;
}

static void sessionFree(ivxs_p2p_session *s)
{
	ivxs_p2p *p = s->p2p;
	if (s->state == P2P_S_FREE)
		return;
	p2p_aead_free(s->tx_aead);
	p2p_aead_free(s->rx_aead);
	p2p_wipe(s->priv, sizeof(s->priv));
	p2p_wipe(s->psk, sizeof(s->psk));
	p2p_chan_release(s);
	s->ftx.src = NULL;
	s->state = P2P_S_FREE;
	p->st.sessions_open--;
}

/* Ends a session now: the app hears CLOSED if it had heard CONNECTED (or connected). */
static void sessionEnd(ivxs_p2p_session *s, int status)
{
	int tell = s->state == P2P_S_OPEN || s->p2p->cfg.role == IVXS_P2P_CLIENT;
	sessionFree(s);
	if (tell)
		p2p_event(s, IVXS_P2P_EV_CLOSED, status);
}

static void sendRaw(ivxs_p2p_session *s, const uint8_t *data, size_t size)
{
	s->p2p->cfg.cb.send(s->p2p->cfg.cb.ctx, &s->addr, data, size);
	s->packets_sent++;
	s->bytes_sent += size;
}

static int addrEqual(const ivxs_p2p_addr *a, const ivxs_p2p_addr *b)
{
	return a->len == b->len && a->len <= sizeof(a->bytes) && !memcmp(a->bytes, b->bytes, a->len);
}

/* ---------------------------------------------------------------- handshake */

static size_t helloBuild(const ivxs_p2p_session *s, uint8_t *out)
{
	memset(out, 0, IVXS_P2P_MTU);
	out[0] = (IVXS_P2P_VERSION << 4) | P2P_PKT_HELLO;
	memcpy(out + 1, s->local_cid, P2P_CID);
	memcpy(out + 9, s->pub, P2P_PUB);
	p2p_put16(out + 41, IVXS_P2P_TICKET_BYTES);
	memcpy(out + P2P_HELLO_FIXED, s->ticket, IVXS_P2P_TICKET_BYTES);
	out[P2P_HELLO_BODY - 1] = (uint8_t)s->p2p->cfg.rx_frames;
	return IVXS_P2P_MTU;   /* padded: the server's answer is always smaller (no amplification) */
}

/* Keys from the X25519 secret, salted with the ticket's psk, bound to both
 * hello and reply headers: c2s key | c2s iv | s2c key | s2c iv. */
static int deriveKeys(ivxs_p2p_session *s, const uint8_t shared[32], const uint8_t *hello, const uint8_t *reply)
{
	uint8_t info[sizeof(kKeyLabel) - 1 + 32], keys[kKeyBytes];
	const uint8_t *c2s = keys, *s2c = keys + P2P_KEY + P2P_IV;
	int server = s->p2p->cfg.role == IVXS_P2P_SERVER, status;
	memcpy(info, kKeyLabel, sizeof(kKeyLabel) - 1);
	status = p2p_sha256(hello, P2P_HELLO_BODY, reply, P2P_REPLY_BYTES - P2P_TAG,
			info + sizeof(kKeyLabel) - 1);
	if (!status)
		status = p2p_hkdf(s->psk, IVXS_P2P_PSK_BYTES, shared, 32, info, sizeof(info), keys, sizeof(keys));
	if (!status)
		status = p2p_aead_init(s->tx_aead, server ? s2c : c2s, (server ? s2c : c2s) + P2P_KEY);
	if (!status)
		status = p2p_aead_init(s->rx_aead, server ? c2s : s2c, (server ? c2s : s2c) + P2P_KEY);
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

static int onHello(ivxs_p2p *p, const ivxs_p2p_addr *from, const uint8_t *data, size_t size, uint32_t now)
{
	ivxs_p2p_ticket t;
	ivxs_p2p_session *s = NULL;
	uint8_t psk[IVXS_P2P_PSK_BYTES], shared[32];
	uint32_t i;
	int status;
	memset(shared, 0, sizeof(shared));
	memset(psk, 0, sizeof(psk));
	p->st.hellos++;
	if (p->cfg.role != IVXS_P2P_SERVER)
		return IVXS_P2P_EVERSION;
	/* a hello smaller than the MTU could make the answer an amplifier */
	if (size < IVXS_P2P_MTU || p2p_get16(data + 41) != IVXS_P2P_TICKET_BYTES || data[P2P_HELLO_BODY - 1] < 2) {
		p->st.dropped_trunc++;
		return IVXS_P2P_ETRUNC;
	}
	for (i = 0; i < p->nsessions; i++) {
		ivxs_p2p_session *o = &p->sessions[i];
		if (o->state != P2P_S_FREE && !memcmp(o->peer_cid, data + 1, P2P_CID)) {
			/* the hello again (our reply was lost): the same reply, never new keys */
			if (o->state == P2P_S_ACCEPTED && addrEqual(&o->addr, from) && !memcmp(o->pub, data + 9, P2P_PUB)) {
				o->reply_resent = 1;
				sendRaw(o, o->reply, P2P_REPLY_BYTES);
				return 0;
			}
			return IVXS_P2P_EREPLAY;
		}
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
	s = sessionOpen(p, P2P_S_ACCEPTED, now);
	if (!s) {
		p->st.refused_full++;
		status = IVXS_P2P_EFULL;
		sendReject(p, from, data + 1, status);
		goto done;
	}
	s->addr = *from;
	memcpy(s->peer_cid, data + 1, P2P_CID);
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
	s->reply[0] = (IVXS_P2P_VERSION << 4) | P2P_PKT_REPLY;
	memcpy(s->reply + 1, data + 1, P2P_CID);
	memcpy(s->reply + 9, s->local_cid, P2P_CID);
	s->reply[49] = (uint8_t)p->cfg.rx_frames;
	/* never more frames in flight than the viewer reassembles at once */
	s->ftx.limit = data[P2P_HELLO_BODY - 1] < s->ftx.n ? data[P2P_HELLO_BODY - 1] : s->ftx.n;
	status = deriveKeys(s, shared, data, s->reply);
	/* key confirmation: packet number 0 of the server's direction, empty */
	if (!status)
		status = p2p_aead_seal(s->tx_aead, 0, s->reply, P2P_REPLY_BYTES - P2P_TAG, NULL, 0, NULL, 0, NULL,
				s->reply + P2P_REPLY_BYTES - P2P_TAG);
	if (status)
		goto fail;
	s->rel.next_pn = 1;
	s->rel.lo_pn = 1;
	sendRaw(s, s->reply, P2P_REPLY_BYTES);
	goto done;
fail:
	sessionFree(s);
	sendReject(p, from, data + 1, status);
done:
	p2p_wipe(shared, sizeof(shared));
	p2p_wipe(psk, sizeof(psk));
	return status;
}

static void flush(ivxs_p2p_session *s, uint32_t now, int ping);

static int onReply(ivxs_p2p *p, const uint8_t *data, size_t size, uint32_t now)
{
	ivxs_p2p_session *s = &p->sessions[0];
	uint8_t shared[32], hello[IVXS_P2P_MTU];
	int status;
	if (p->cfg.role != IVXS_P2P_CLIENT)
		return IVXS_P2P_EVERSION;
	if (size != P2P_REPLY_BYTES || data[49] < 2) {
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
		status = deriveKeys(s, shared, hello, data);
	if (!status)
		status = p2p_aead_open(s->rx_aead, 0, data, P2P_REPLY_BYTES - P2P_TAG, NULL, 0, data + P2P_REPLY_BYTES - P2P_TAG,
				NULL);
	p2p_wipe(shared, sizeof(shared));
	if (status) {
		/* not from the server we trust (or damaged): keep waiting for the real one */
		p2p_aead_free(s->tx_aead);
		p2p_aead_free(s->rx_aead);
		s->dropped_auth++;
		return status == IVXS_P2P_EWEAKKEY ? status : IVXS_P2P_EAUTH;
	}
	p2p_wipe(s->priv, sizeof(s->priv));
	memcpy(s->peer_cid, data + 9, P2P_CID);
	s->ftx.limit = data[49] < s->ftx.n ? data[49] : s->ftx.n;
	s->state = P2P_S_OPEN;
	s->last_rx_ms = now;
	/* hello -> reply is the first RTT sample (unless the hello went out again: which one was
	 * answered is unknown), so the first losses are timed by the path, not the 300 ms default */
	if (s->hello_interval == kHelloInterval)
		p2p_rel_rtt_seed(&s->rel, now - s->hello_ms);
	p2p_rel_rx_mark(&s->rel, 0, 0, now);
	p2p_event(s, IVXS_P2P_EV_CONNECTED, 0);
	/* the server answers nothing more until this proves we hold the keys */
	s->last_ping_ms = now;
	flush(s, now, 1);
	return 0;
}

static int onReject(ivxs_p2p *p, const uint8_t *data, size_t size)
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
	if (!(s = sessionOpen(p, P2P_S_HELLO, now)))
		goto done;
	s->addr = *server;
	memcpy(s->ticket, ticket, IVXS_P2P_TICKET_BYTES);
	memcpy(s->psk, psk, IVXS_P2P_PSK_BYTES);
	status = p->cfg.cb.random(p->cfg.cb.ctx, s->local_cid, P2P_CID) ? IVXS_P2P_ECRYPTO : 0;
	if (!status)
		status = p2p_x25519_keypair(p->cfg.cb.random, p->cfg.cb.ctx, s->priv, s->pub);
	if (status) {
		sessionFree(s);
		goto done;
	}
	sendRaw(s, p->pkt, helloBuild(s, p->pkt));
	*out = s;
done:
	return status;
}

/* ---------------------------------------------------------------- data packets */

static int onData(ivxs_p2p *p, const ivxs_p2p_addr *from, const uint8_t *data, size_t size, uint32_t now)
{
	ivxs_p2p_session *s = NULL;
	p2p_item it;
	size_t len, pos = 0;
	uint32_t pn, i;
	int status, eliciting = 0, item;
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
	pn = p2p_get32(data + 9);
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
		else if (it.type == P2P_F_CMD)
			status = p2p_chan_check_cmd(s, &it.cc);
		if (status)
			break;
		if (it.type != P2P_F_ACK)
			eliciting = 1;
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
			p2p_rel_rtt_seed(&s->rel, now - s->hello_ms);
		p2p_event(s, IVXS_P2P_EV_CONNECTED, 0);
	}
	if (!addrEqual(from, &s->addr) && pn == s->rel.rx_largest) {
		/* connection ids do not depend on the address: the newest authenticated packet moves the session */
		s->addr = *from;
		p2p_event(s, IVXS_P2P_EV_ADDR_CHANGED, 0);
	}
	pos = 0;
	while (p2p_wire_next(p->plain, len, &pos, &it) == 1 && !s->close_pending) {
		if (it.type == P2P_F_ACK)
			p2p_rel_on_ack(s, &it.ack, now);
		else if (it.type == P2P_F_FRAME)
			p2p_chan_on_frame(s, &it.fc);
		else if (it.type == P2P_F_CMD)
			p2p_chan_on_cmd(s, &it.cc);
		else if (it.type == P2P_F_CLOSE) {
			s->close_pending = 1;
			s->close_status = 0;
		}
	}
	if (!s->close_pending)
		flush(s, now, 0);
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
	else if (data[0] >> 4 != IVXS_P2P_VERSION) {
		p->st.dropped_version++;
		status = IVXS_P2P_EVERSION;
	}
	else if ((data[0] & 15) == P2P_PKT_DATA)
		status = onData(p, from, data, size, now);
	else if ((data[0] & 15) == P2P_PKT_HELLO)
		status = size < P2P_HELLO_FIXED ? IVXS_P2P_ETRUNC : onHello(p, from, data, size, now);
	else if ((data[0] & 15) == P2P_PKT_REPLY)
		status = onReply(p, data, size, now);
	else if ((data[0] & 15) == P2P_PKT_REJECT)
		status = onReject(p, data, size);
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

/* Seals and sends one packet: head (frames, a multiple of 16 bytes when a
 * body follows) and body (payload straight from its source). 0 if sent,
 * 1 if the body was torn (nothing sent). */
static int sealAndSend(ivxs_p2p_session *s, const uint8_t *head, size_t head_len, const uint8_t *body, size_t body_len,
		p2p_sent *rec, int eliciting, uint32_t now)
{
	ivxs_p2p *p = s->p2p;
	uint8_t *out = p->pkt;
	size_t size = P2P_DATA_HDR + head_len + body_len + P2P_TAG;
	uint32_t pn = s->rel.next_pn++, before = s->rel.in_flight_bytes;
	out[0] = (IVXS_P2P_VERSION << 4) | P2P_PKT_DATA;
	memcpy(out + 1, s->peer_cid, P2P_CID);
	p2p_put32(out + 9, pn);
	if (p2p_aead_seal(s->tx_aead, pn, out, P2P_DATA_HDR, head, head_len, body, body_len, out + P2P_DATA_HDR,
			out + size - P2P_TAG))
		return 1;
	/* the zero-copy contract: the bytes are in the packet now; were they intact? */
	if (!p2p_chan_commit(s, rec, rec->carry == P2P_CARRY_NONE || p2p_chan_body_intact(s, rec), now))
		return 1;
	if (eliciting) {
		rec->pn = pn;
		rec->sent_ms = now;
		rec->bytes = (uint16_t)size;
		rec->state = P2P_SENT_FLIGHT;
		rec->app_limited = !p2p_chan_has_data(s, now);
		p2p_cc_on_send(&s->cc, rec, (uint32_t)size, before, now);
		s->rel.in_flight_bytes += (uint32_t)size;
		s->rel.in_flight_packets++;
	}
	sendRaw(s, out, size);
	return 0;
}

static void flush(ivxs_p2p_session *s, uint32_t now, int ping)
{
	ivxs_p2p *p = s->p2p;
	uint8_t hdr[P2P_FRAME_HDR > P2P_CMD_HDR ? P2P_FRAME_HDR : P2P_CMD_HDR];
	uint32_t n;
	if (s->state != P2P_S_OPEN || s->close_pending)
		return;
	for (n = 0; n < kMaxBurst; n++) {
		p2p_sent *slot = p2p_rel_slot(&s->rel), rec;
		uint8_t *head = p->plain;
		size_t pos = 0, hlen = 0, blen = 0, pad;
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
		if (slot && p2p_cc_wait(&s->cc, IVXS_P2P_MTU, s->rel.in_flight_bytes, now) == 0)
			data = p2p_chan_pick(s, now, hdr, sizeof(hdr), &hlen, &body, &blen, &rec);
		if (!data && !ack_due && !ping)
			break;
		if (has_ack && p2p_rel_ack_build(&s->rel, now, &ack))
			pos += p2p_wire_ack(head + pos, &ack);
		eliciting = data || ping;
		if (ping) {
			head[pos++] = P2P_F_PING;
			ping = 0;
		}
		if (data) {
			/* padding before the data frame's header: the cipher streams the head in 16-byte blocks */
			pad = (16 - (pos + hlen) % 16) % 16;
			memset(head + pos, P2P_F_PAD, pad);
			memcpy(head + pos + pad, hdr, hlen);
			pos += pad + hlen;
		}
		/* with every record in use (a peer that does not acknowledge) a ping goes out untracked */
		if (sealAndSend(s, head, pos, body, blen, &rec, eliciting && slot, now) == 0) {
			if (has_ack)
				s->rel.ack_pending = 0;
			if (eliciting && slot)
				*slot = rec;
		}
	}
}

static void tickSession(ivxs_p2p_session *s, uint32_t now)
{
	ivxs_p2p *p = s->p2p;
	const ivxs_p2p_config *c = &p->cfg;
	int ping = 0;
	if (s->state == P2P_S_HELLO) {
		if (P2P_DIFF(now, s->start_ms) >= (int32_t)c->handshake_timeout_ms) {
			s->close_pending = 1;
			s->close_status = IVXS_P2P_ETIMEOUT;
		}
		else if (P2P_DIFF(now, s->hello_ms) >= (int32_t)s->hello_interval) {
			sendRaw(s, p->pkt, helloBuild(s, p->pkt));
			s->hello_ms = now;
			s->hello_interval = s->hello_interval * 2 > kMaxHelloInterval ? kMaxHelloInterval : s->hello_interval * 2;
		}
		return;
	}
	if (s->state == P2P_S_ACCEPTED) {
		/* a hello that never proved its keys: the slot is given back silently */
		if (P2P_DIFF(now, s->last_rx_ms) >= (int32_t)c->handshake_timeout_ms)
			sessionFree(s);
		return;
	}
	if (s->state != P2P_S_OPEN)
		return;
	if (!c->keepalive_off) {
		uint32_t silent = now - s->last_rx_ms;
		if (P2P_LT(now, s->last_rx_ms))
			silent = 0;
		if (silent >= (uint64_t)c->keepalive_interval_ms * c->keepalive_attempts) {
			s->close_pending = 1;
			s->close_status = IVXS_P2P_ETIMEOUT;
			return;
		}
		if (silent >= c->keepalive_interval_ms && now - s->last_ping_ms >= c->keepalive_interval_ms) {
			ping = 1;
			s->last_ping_ms = now;
		}
	}
	/* the viewer's packet that proves its keys can be lost, and the camera sends nothing until
	 * it has one: until the camera acknowledges something, ping again every RTO (before the
	 * loss detection below doubles it for the lost one) */
	if (c->role == IVXS_P2P_CLIENT && !s->rel.any_acked && now - s->last_ping_ms >= p2p_rel_rto(&s->rel)) {
		ping = 1;
		s->last_ping_ms = now;
	}
	p2p_rel_detect_loss(s, now);
	p2p_chan_tick(s, now);
	flush(s, now, ping);
}

static uint32_t sessionWait(ivxs_p2p_session *s, uint32_t now)
{
	const ivxs_p2p_config *c = &s->p2p->cfg;
	uint32_t wait = 1000, w;
	if (s->state == P2P_S_HELLO) {
		int32_t d = P2P_DIFF(s->hello_ms + s->hello_interval, now);
		return d <= 0 ? 0 : (uint32_t)d;
	}
	if (s->state != P2P_S_OPEN)
		return wait;
	w = p2p_rel_next_timer(s, now);
	if (w < wait)
		wait = w;
	if (p2p_chan_has_data(s, now) || s->ftx.src) {
		w = p2p_cc_wait(&s->cc, IVXS_P2P_MTU, s->rel.in_flight_bytes, now);
		/* a source may have new frames any time: look at least every 10 ms (the seed's onSendGet period) */
		if (w > 10)
			w = 10;
		if (w < wait)
			wait = w ? w : 1;
	}
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
		sealAndSend(s, frame, sizeof(frame), NULL, 0, &rec, 0, now);
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

/* ---------------------------------------------------------------- stats */

int ivxs_p2p_session_stats_get(const ivxs_p2p_session *s, ivxs_p2p_session_stats *out)
{
	if (!s || !out || s->state == P2P_S_FREE)
		return IVXS_P2P_EARG;
	memset(out, 0, sizeof(*out));
	out->srtt_ms = s->rel.srtt;
	out->rttvar_ms = s->rel.rttvar;
	out->rto_ms = s->rel.rto;
	out->min_rtt_ms = s->rel.min_rtt == UINT32_MAX ? 0 : s->rel.min_rtt;
	out->bandwidth = s->cc.btl_bw;
	out->pacing_rate = s->cc.pacing_rate;
	out->cwnd_bytes = s->cc.cwnd;
	out->in_flight_bytes = s->rel.in_flight_bytes;
	out->packets_sent = s->packets_sent;
	out->packets_received = s->packets_received;
	out->packets_lost = s->packets_lost;
	out->bytes_sent = s->bytes_sent;
	out->bytes_received = s->bytes_received;
	out->dropped_auth = s->dropped_auth;
	out->dropped_replay = s->dropped_replay;
	out->dropped_trunc = s->dropped_trunc;
	out->bogus_acks = s->bogus_acks;
	out->frames_lost_rx = s->frx.lost;
	out->rights = s->rights;
	memcpy(out->viewer_id, s->viewer_id, IVXS_P2P_ID_BYTES);
	out->footprint_bytes = s->footprint + (s->cmd.tx ? P2P_CMD_WINDOW : 0) + (s->cmd.rx ? P2P_CMD_WINDOW : 0);
	return 0;
}

void ivxs_p2p_stats_get(const ivxs_p2p *p, ivxs_p2p_stats *out)
{
	uint32_t i;
	if (!p || !out)
		return;
	*out = p->st;
	out->footprint_bytes = p->footprint;
	for (i = 0; i < p->nsessions; i++) {
		if (p->sessions[i].cmd.tx)
			out->footprint_bytes += P2P_CMD_WINDOW;
		if (p->sessions[i].cmd.rx)
			out->footprint_bytes += P2P_CMD_WINDOW;
	}
}
