/*
 * P2P transport — the endpoint: its configuration's defaults and limits,
 * creation (every fixed pool sized here; what a session takes only while it uses it — the command
 * buffers and their book, the frame feed, the receive arena — is p2p_channel.c's), destruction, the
 * allocator hook, and the stats of the endpoint and its sessions.
 */
#include "p2p_internal.h"

#include <string.h>

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
	/* frames in flight: a camera's audio beside its video is ~62 frames/s, and a lost chunk
	 * holds the window until it is repaired (an RTT and the queue): 8 frames (130 ms of such a
	 * stream) stalled it on a lossy link, 32 do not (native/p2p/README.md, issue 19) */
	c->tx_frames = c->tx_frames ? c->tx_frames : (server ? 32 : 4);
	c->rx_frames = c->rx_frames ? c->rx_frames : (server ? 4 : 32);
	c->rx_frame_bytes = c->rx_frame_bytes ? c->rx_frame_bytes : (server ? 1200 : 256 * 1024);
	c->deadline_ms = c->deadline_ms ? c->deadline_ms : 600;
	c->deadline_max_ms = c->deadline_max_ms ? c->deadline_max_ms : c->deadline_ms + c->deadline_ms / 3;
	c->keepalive_interval_ms = c->keepalive_interval_ms ? c->keepalive_interval_ms : 5000;
	c->keepalive_attempts = c->keepalive_attempts ? c->keepalive_attempts : 3;
	c->handshake_timeout_ms = c->handshake_timeout_ms ? c->handshake_timeout_ms : 5000;
	c->version = c->version ? c->version : server ? IVXS_P2P_PREFERRED_VERSION : IVXS_P2P_VERSION_AES;
	if (c->version != IVXS_P2P_VERSION && c->version != IVXS_P2P_VERSION_AES)
		return IVXS_P2P_EARG;
	if (c->max_sessions > 64 || c->max_in_flight < 8 || c->max_in_flight > 1024 || c->tx_frames < 2 || c->tx_frames > 64
			|| c->rx_frames < 2 || c->rx_frames > 64
			|| c->rx_frame_bytes > (uint32_t)IVXS_P2P_MAX_FRAME_CHUNKS * IVXS_P2P_CHUNK
			|| c->deadline_ms > 60000 || c->deadline_max_ms < c->deadline_ms || c->deadline_max_ms > 80000
			|| c->keepalive_interval_ms > 600000 || c->keepalive_attempts > 100)
		return IVXS_P2P_EARG;
	/* frame numbers wrap at 2^32 and pick their slot modulo these: powers of two keep
	 * consecutive numbers in distinct slots across the wrap */
	if ((c->tx_frames & (c->tx_frames - 1)) || (c->rx_frames & (c->rx_frames - 1)))
		return IVXS_P2P_EARG;
	return 0;
}

/* What one session owns for its whole life, allocated at creation. */
static int sessionAlloc(ivxs_p2p *p, ivxs_p2p_session *s)
{
	const ivxs_p2p_config *c = &p->cfg;
	size_t sent = mul(c->max_in_flight, sizeof(p2p_sent)), ftx = mul(c->tx_frames, sizeof(p2p_ftx_slot));
	size_t frx = mul(c->rx_frames, sizeof(p2p_frx_slot));
	/* (the receive arena comes with the first frame: its size is checked here) */
	if (!sent || !ftx || !frx || !mul(c->rx_frames, c->rx_frame_bytes))
		return IVXS_P2P_ENOMEM;
	s->p2p = p;
	s->rel.sent = p2p_alloc(p, sent);
	s->ftx.slots = p2p_alloc(p, ftx);
	s->frx.slots = p2p_alloc(p, frx);
	s->tx_aead = p2p_alloc(p, p2p_aead_size());
	s->rx_aead = p2p_alloc(p, p2p_aead_size());
	if (!s->rel.sent || !s->ftx.slots || !s->frx.slots || !s->tx_aead || !s->rx_aead)
		return IVXS_P2P_ENOMEM;
	s->rel.nsent = c->max_in_flight;
	s->ftx.n = c->tx_frames;
	s->frx.n = c->rx_frames;
	s->frx.slot_bytes = c->rx_frame_bytes;
	s->footprint = sizeof(*s) + sent + ftx + frx + 2 * p2p_aead_size();
	return 0;
}

static void sessionRelease(ivxs_p2p *p, ivxs_p2p_session *s)
{
	p2p_free(p, s->rel.sent);
	p2p_free(p, s->ftx.slots);
	p2p_free(p, s->frx.slots);
	p2p_free(p, s->tx_aead);
	p2p_free(p, s->rx_aead);
}

/* Every session leaves the uplink it had (each attaches again as it next sends). */
static void leaveUplink(ivxs_p2p *p)
{
	uint32_t i;
	for (i = 0; p->sessions && i < p->nsessions; i++)
		ivxs_uplink_detach(&p->sessions[i].uplink);
}

void ivxs_p2p_destroy(ivxs_p2p **pp)
{
	ivxs_p2p *p;
	uint32_t i;
	if (!pp || !*pp)
		return;
	p = *pp;
	leaveUplink(p);
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
	p2p_wipe(p->cookie_key, sizeof(p->cookie_key));
	{
		ivxs_p2p_allocator a = p->alloc;
		a.free(p, a.ctx);
	}
	*pp = NULL;
}

int ivxs_p2p_create(ivxs_p2p **out, const ivxs_p2p_config *config)
{
	ivxs_p2p_config c;
	ivxs_p2p_allocator a = ivxs_default_allocator();
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
	p->pkt = p->pkt_room + P2P_PKT_LEAD;
	ivxs_uplink_init(&p->own_uplink, 0);
	p->uplink = &p->own_uplink;
	p->alloc = a;
	p->cfg = c;
	p->cfg.allocator = NULL;
	if (c.role == IVXS_P2P_SERVER) {
		memcpy(p->secret, c.device_secret, c.device_secret_len);
		p->secret_len = c.device_secret_len;
	}
	p->cfg.device_secret = NULL;
	if (c.role == IVXS_P2P_SERVER && c.cb.random(c.cb.ctx, p->cookie_key, sizeof(p->cookie_key))) {
		status = IVXS_P2P_ECRYPTO;
		goto fail;
	}
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

int ivxs_p2p_set_watermarks(ivxs_p2p *p, uint32_t low, uint32_t warn, uint32_t high)
{
	/* all 0: no events; else LOW must be reachable below WARN and HIGH (or pulling never resumes) */
	if (!p || ((low || warn || high) && !(low && low <= warn && warn <= high)))
		return IVXS_P2P_EARG;
	p->cfg.low = low;
	p->cfg.warn = warn;
	p->cfg.high = high;
	return 0;
}

int ivxs_p2p_set_uplink(ivxs_p2p *p, uint64_t bytes_per_s, uint32_t now)
{
	if (!p || p->cfg.role != IVXS_P2P_SERVER)
		return IVXS_P2P_EARG;
	ivxs_uplink_set_rate(p->uplink, bytes_per_s, now);
	return 0;
}

int ivxs_p2p_share_uplink(ivxs_p2p *p, ivxs_uplink *uplink)
{
	if (!p || p->cfg.role != IVXS_P2P_SERVER)
		return IVXS_P2P_EARG;
	leaveUplink(p);
	p->uplink = uplink ? uplink : &p->own_uplink;
	return 0;
}

/* ---------------------------------------------------------------- stats */

int ivxs_p2p_session_stats_get(const ivxs_p2p_session *s, ivxs_p2p_session_stats *out)
{
	if (!s || !out || s->state == P2P_S_FREE)
		return IVXS_P2P_EARG;
	memset(out, 0, sizeof(*out));
	out->srtt_ms = s->rel.rtt.srtt;
	out->rttvar_ms = s->rel.rtt.rttvar;
	out->rto_ms = s->rel.rto;
	out->min_rtt_ms = s->rel.rtt.min == UINT32_MAX ? 0 : s->rel.rtt.min;
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
	out->commands_deferred = s->commands_deferred;
	out->rights = s->rights;
	out->version = s->version;
	memcpy(out->viewer_id, s->viewer_id, IVXS_P2P_ID_BYTES);
	out->peer = s->addr;
	out->footprint_bytes = s->footprint + p2p_chan_heap_bytes(s);
	return 0;
}

void ivxs_p2p_stats_get(const ivxs_p2p *p, ivxs_p2p_stats *out)
{
	uint32_t i;
	if (!p || !out)
		return;
	*out = p->st;
	out->footprint_bytes = p->footprint;
	for (i = 0; i < p->nsessions; i++)
		out->footprint_bytes += p2p_chan_heap_bytes(&p->sessions[i]);
}
