/*
 * Tests for the P2P transport core: a camera endpoint and a viewer endpoint
 * wired back to back through an in-test link (delay, jitter, loss, bandwidth,
 * blocking, tampering, NAT rebinding), driven by a fake clock that starts
 * just before the u32 wrap, so every timer crosses it. Media comes from a real
 * GOP ring (native/ring) through p2p_ring_source.c.
 *
 * Prints one line per test and ends with "N passed, M failed" (native/common/ivxs_test.h).
 * P2P_ONLY=<text> runs the tests whose name contains it; P2P_DEBUG=1 traces
 * the link and the camera's congestion state every 500 ms.
 */
#define _POSIX_C_SOURCE 200809L

#include "p2p_internal.h"
#include "p2p_ring_source.h"
#include "ivxs_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void teardown(void);

/* P2P_ONLY=<part of a name> runs only the tests whose name holds it. */
static void run(const char *name, void (*fn)(void))
{
	const char *only = getenv("P2P_ONLY");
	if (only && !strstr(name, only))
		return;
	ivxs_test_begin();
	fn();
	teardown();
	ivxs_test_end(name);
}

/* ------------------------------------------------------------------------ */
/* Deterministic randomness: crypto (a test only!) and the link */

static uint64_t g_crypto_rng = 0x9e3779b97f4a7c15ull;
static uint64_t g_link_rng = 1;

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int testRandom(void *ctx, uint8_t *out, size_t n)
{
	size_t i;
	(void)ctx;
	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(xorshift(&g_crypto_rng) >> 24);
	return 0;
}

static uint32_t linkRand(uint32_t below)
{
	return (uint32_t)(xorshift(&g_link_rng) >> 11) % below;
}

/* ------------------------------------------------------------------------ */
/* The world: two endpoints, a link, a ring */

#define SRV 0
#define CLI 1
#define MAX_QUEUE 20000
/* Where every test's fake clock starts: IVXS_CLOCK_BASE (tests/native-c.test.mjs runs the suite
 * at 0, 2^31 - 1 s and 2^32 - 1 s), by default 1.5 s before the wrap, so every timer crosses it. */
static uint32_t g_base;
/* The ring's timestamps are 64-bit and never go back: media time is the fake
 * clock unwrapped, 1000 s at the start; the ring source maps it back. */
#define RING_T0 1000000u
#define RING_OFFSET ((int64_t)g_base - RING_T0)
static uint32_t g_now;
static uint32_t ringTime(void)
{
	return g_now - g_base + RING_T0;
}

typedef struct {
	int to;
	uint32_t at;
	ivxs_p2p_addr from;
	uint16_t size;
	uint8_t data[IVXS_P2P_MTU];
} packet;

typedef struct {
	uint32_t delay_ms, jitter_ms;
	uint32_t loss_permille;
	int blocked;
	uint64_t bandwidth;        /* bytes/s, 0 = unlimited */
	uint64_t queue_bytes;      /* drop-tail limit of the bottleneck queue */
	uint64_t busy_until_us;
	/* returns 0 to drop; may change the bytes */
	int (*tamper)(int dir, uint8_t *data, uint16_t *size);
	uint64_t sent, dropped, bytes;
} direction;

typedef struct {
	int id;
	ivxs_p2p_session *session;
	int events[8];
	int closed_status;
	uint32_t closed_at;
	uint32_t connected_at;
	/* frames received */
	uint32_t frames, frame_bad, frames_lost, first_delivered, keys;
	int32_t last_number;
	uint32_t first_after_gap_key, gaps;
	uint64_t frame_bytes;
	uint32_t latency_max;
	uint64_t latency_sum;      /* of every frame delivered */
	/* commands received */
	uint32_t cmds, cmd_bad, next_cmd_id;
	int reply;                 /* server: answer each request */
	uint16_t pending[64];      /* replies that did not fit yet, in order (an app's outbox) */
	uint32_t npending;
} side;

typedef struct {
	ivxs_p2p *ep[2];
	side sides[2];
	packet *queue;
	uint32_t nqueue;
	direction dir[2];          /* dir[SRV]: towards the server (client -> server), dir[CLI]: towards the client */
	ivxs_p2p_addr srv_addr, cli_addr;
	uint64_t misrouted, misrouted_cli, misrouted_bytes;
	int addr_changed_arg[2];   /* the last IVXS_P2P_EV_ADDR_CHANGED's arg, per side */
	uint8_t other[IVXS_P2P_MTU];
	uint16_t other_size;
	/* bytes the server sent / received before it heard CONNECTED (anti-amplification) */
	uint64_t srv_sent_unverified, srv_rcvd_unverified;
	/* media */
	ivxs_ring *ring;
	ivxs_p2p_ring_source rsrc;
	ivxs_p2p_frame_source src;
	int producing;
	uint32_t produced, next_produce, frame_interval, gop, key_bytes, delta_bytes;
	uint32_t audio_bytes, audio_per_frame;   /* audio frames after each video frame (0: one) */
	uint32_t inputs[2];        /* datagrams handed to each side (a driver asks for its timers again) */      /* > 0: an audio frame (key 0, as the capture pushes it) after each video frame */
	/* capture of packets for replay tests */
	uint8_t captured[IVXS_P2P_MTU];
	uint16_t captured_size;
	int capture_dir;
	int capture_now;
	uint32_t captured_at;
} world;

static world W;
static const uint8_t kSecret[] = "device secret of camera 0001, 32b";
static uint8_t kDeviceId[IVXS_P2P_ID_BYTES] = "CAM-0001";
static uint8_t kViewerId[IVXS_P2P_ID_BYTES] = "viewer-42";
#define NOW_S 1800000000ull

static void enqueue(int to, const ivxs_p2p_addr *from, const uint8_t *data, size_t size)
{
	direction *d = &W.dir[to];
	packet *p;
	uint16_t n = (uint16_t)size;
	uint8_t copy[IVXS_P2P_MTU];
	uint64_t now_us = (uint64_t)(g_now - g_base) * 1000, depart_us;
	d->sent++;
	d->bytes += size;
	if (size > IVXS_P2P_MTU) {
		d->dropped++;
		return;
	}
	memcpy(copy, data, size);
	if (W.capture_now && W.capture_dir == to) {
		memcpy(W.captured, data, size);
		W.captured_size = n;
		W.captured_at = g_now;
		W.capture_now = 0;
	}
	if (d->blocked || (d->loss_permille && linkRand(1000) < d->loss_permille) || (d->tamper && !d->tamper(to, copy, &n))
			|| W.nqueue == MAX_QUEUE) {
		d->dropped++;
		return;
	}
	depart_us = now_us;
	if (d->bandwidth) {
		if (d->busy_until_us > now_us && (d->busy_until_us - now_us) * d->bandwidth / 1000000 > d->queue_bytes) {
			d->dropped++;
			return;
		}
		depart_us = (d->busy_until_us > now_us ? d->busy_until_us : now_us) + n * 1000000ull / d->bandwidth;
		d->busy_until_us = depart_us;
	}
	p = &W.queue[W.nqueue++];
	p->to = to;
	p->at = g_base + (uint32_t)(depart_us / 1000) + d->delay_ms + (d->jitter_ms ? linkRand(d->jitter_ms + 1) : 0);
	p->from = *from;
	p->size = n;
	memcpy(p->data, copy, n);
}

static int addrIs(const ivxs_p2p_addr *a, const ivxs_p2p_addr *b)
{
	return a->len == b->len && !memcmp(a->bytes, b->bytes, a->len);
}

static void cbSend(void *ctx, const ivxs_p2p_addr *to, const uint8_t *data, size_t size)
{
	side *s = ctx;
	if (s->id == SRV) {
		if (!W.sides[SRV].connected_at)
			W.srv_sent_unverified += size;
		/* the NAT forgets the old mapping: only the client's current address reaches it */
		if (!addrIs(to, &W.cli_addr)) {
			W.misrouted++;
			W.misrouted_bytes += size;
			if (size <= sizeof(W.other)) {
				memcpy(W.other, data, size);   /* what an attacker at that address receives */
				W.other_size = (uint16_t)size;
			}
			return;
		}
		enqueue(CLI, &W.srv_addr, data, size);
	}
	else if (!addrIs(to, &W.srv_addr)) {
		W.misrouted_cli++;   /* the viewer sent somewhere else than the camera */
		W.misrouted_bytes += size;
	}
	else
		enqueue(SRV, &W.cli_addr, data, size);
}

static void cbEvent(void *ctx, ivxs_p2p_session *session, ivxs_p2p_event ev, int arg)
{
	side *s = ctx;
	s->events[ev]++;
	if (ev == IVXS_P2P_EV_ADDR_CHANGED)
		W.addr_changed_arg[s->id] = arg;
	if (ev == IVXS_P2P_EV_CONNECTED) {
		s->session = session;
		s->connected_at = g_now ? g_now : 1;
	}
	if (ev == IVXS_P2P_EV_CLOSED) {
		s->closed_status = arg;
		s->closed_at = g_now;
		s->session = NULL;
	}
}

/* Frame k: 4 bytes k, then byte i = (k * 7 + i) & 0xff. */
static void fillFrame(uint8_t *buf, uint32_t k, uint32_t size)
{
	uint32_t i;
	ivxs_put32(buf, k);
	for (i = 4; i < size; i++)
		buf[i] = (uint8_t)(k * 7 + i);
}

static void cbFrame(void *ctx, ivxs_p2p_session *session, int channel, const uint8_t *data, uint32_t size, uint32_t ts,
		int key, uint32_t lost)
{
	side *s = ctx;
	uint32_t k, i;
	(void)session;
	(void)channel;
	if (size < 4) {
		s->frame_bad++;
		return;
	}
	k = ivxs_get32(data);
	for (i = 4; i < size; i++)
		if (data[i] != (uint8_t)(k * 7 + i)) {
			s->frame_bad++;
			return;
		}
	if ((int32_t)k <= s->last_number) {
		if (getenv("P2P_DEBUG"))
			fprintf(stderr, "t=%u out of order: frame %u after %d (key %d, lost %u)\n", g_now - g_base, k, s->last_number, key, lost);
		s->frame_bad++;   /* out of order or twice */
	}
	if (s->frames && (int32_t)k != s->last_number + 1) {
		if (getenv("P2P_DEBUG"))
			fprintf(stderr, "t=%u gap: frame %u after %d (key %d, lost %u)\n", g_now - g_base, k, s->last_number, key, lost);
		s->gaps++;
		if (key)
			s->first_after_gap_key++;
	}
	s->latency_sum += (uint32_t)P2P_DIFF(ringTime(), ts);
	if (P2P_DIFF(ringTime(), ts) > (int32_t)s->latency_max)
		s->latency_max = (uint32_t)P2P_DIFF(ringTime(), ts);
	s->last_number = (int32_t)k;
	s->frames++;
	s->frames_lost += lost;
	s->frame_bytes += size;
	s->keys += key ? 1 : 0;
}

static size_t g_cmd_peak;   /* the camera's footprint at its largest inside a command callback */
static uint32_t g_cmd_len;  /* > 0: every command message has this length */

/* Command message i: payload length (i * 977) % 16385 (or g_cmd_len), byte j = (i + j) & 0xff. */
static uint32_t cmdLen(uint32_t i)
{
	return g_cmd_len ? g_cmd_len : (i * 977u) % (IVXS_P2P_MAX_COMMAND + 1);
}

static void cbCommand(void *ctx, ivxs_p2p_session *session, int kind, uint16_t id, const uint8_t *data, uint32_t size)
{
	side *s = ctx;
	uint32_t j;
	if (id != s->next_cmd_id || size != cmdLen(id)) {
		if (getenv("P2P_DEBUG"))
			fprintf(stderr, "side %d command id %u (want %u) size %u (want %u)\n", s->id, id, s->next_cmd_id, size, cmdLen(id));
		s->cmd_bad++;
	}
	for (j = 0; j < size; j++)
		if (data[j] != (uint8_t)(id + j)) {
			s->cmd_bad++;
			break;
		}
	s->next_cmd_id = id + 1u;
	s->cmds++;
	if (s->reply && kind == IVXS_P2P_REQUEST) {
		/* the reply echoes the request, from inside the callback; when the buffer has no room
		 * (EAGAIN), later and in order, as an app would */
		int status = s->npending ? IVXS_P2P_EAGAIN : ivxs_p2p_command(session, IVXS_P2P_REPLY, id, data, size, g_now);
		if (status == IVXS_P2P_EAGAIN && s->npending < sizeof(s->pending) / sizeof(s->pending[0]))
			s->pending[s->npending++] = id;
		else if (status != 0)
			s->cmd_bad++;
	}
	if (s->id == SRV) {
		ivxs_p2p_session_stats st;
		if (ivxs_p2p_session_stats_get(session, &st) == 0 && st.footprint_bytes > g_cmd_peak)
			g_cmd_peak = st.footprint_bytes;   /* request and reply buffered at once */
	}
}

/* Input and tick per side through functions of their own: callgrind_annotate
 * gives each side's instructions (tick schedule, CPU per Mbit). */
static __attribute__((noinline)) int feedCamera(const ivxs_p2p_addr *from, const uint8_t *data, size_t size)
{
	return ivxs_p2p_input(W.ep[SRV], from, data, size, g_now);
}

static __attribute__((noinline)) int feedViewer(const ivxs_p2p_addr *from, const uint8_t *data, size_t size)
{
	return ivxs_p2p_input(W.ep[CLI], from, data, size, g_now);
}

static int feed(int to, const ivxs_p2p_addr *from, const uint8_t *data, size_t size)
{
	return to == SRV ? feedCamera(from, data, size) : feedViewer(from, data, size);
}

static __attribute__((noinline)) uint32_t tickCamera(void)
{
	return ivxs_p2p_tick(W.ep[SRV], g_now);
}

static __attribute__((noinline)) uint32_t tickViewer(void)
{
	return ivxs_p2p_tick(W.ep[CLI], g_now);
}

static void deliver(void)
{
	uint32_t i, kept = 0;
	for (i = 0; i < W.nqueue; i++) {
		packet *p = &W.queue[i];
		if (P2P_LE(p->at, g_now)) {
			packet copy = *p;   /* input may send, which appends to the queue */
			int status = feed(copy.to, &copy.from, copy.data, copy.size);
			W.inputs[copy.to]++;
			if (status < 0 && getenv("P2P_DEBUG"))
				fprintf(stderr, "t=%u to %d: %d bytes dropped: %s\n", g_now - g_base, copy.to, copy.size, ivxs_p2p_strerror(status));
			if (copy.to == SRV && !W.sides[SRV].connected_at)
				W.srv_rcvd_unverified += copy.size;
		}
		else
			W.queue[kept++] = *p;
	}
	/* packets appended during delivery sit after the old end: move them down */
	if (W.nqueue > i) {
		memmove(&W.queue[kept], &W.queue[i], (W.nqueue - i) * sizeof(packet));
		kept += W.nqueue - i;
	}
	W.nqueue = kept;
}

static void produce(void)
{
	static uint8_t buf[300000];
	uint32_t k = W.produced, size;
	int key = k % W.gop == 0;
	size = key ? W.key_bytes : W.delta_bytes;
	fillFrame(buf, k, size);
	if (ivxs_ring_push(W.ring, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, key, ringTime(), buf, size) == 0)
		W.produced++;
	for (k = 0; W.audio_bytes && k < (W.audio_per_frame ? W.audio_per_frame : 1); k++) {
		fillFrame(buf, W.produced, W.audio_bytes);
		if (ivxs_ring_push(W.ring, IVXS_FRAME_AUDIO, IVXS_CODEC_AAC, 0, ringTime(), buf, W.audio_bytes) == 0)
			W.produced++;
	}
}

static void step(uint32_t ms)
{
	uint32_t i;
	for (i = 0; i < ms; i++) {
		g_now++;
		if (W.producing && P2P_GE(g_now, W.next_produce)) {
			produce();
			W.next_produce += W.frame_interval;
		}
		deliver();
		while (W.sides[SRV].npending && W.sides[SRV].session) {
			static uint8_t echo[IVXS_P2P_MAX_COMMAND];
			side *srv = &W.sides[SRV];
			uint16_t id = srv->pending[0];
			uint32_t j, len = cmdLen(id);
			for (j = 0; j < len; j++)
				echo[j] = (uint8_t)(id + j);
			if (ivxs_p2p_command(srv->session, IVXS_P2P_REPLY, id, echo, len, g_now) != 0)
				break;
			memmove(srv->pending, srv->pending + 1, --srv->npending * sizeof(srv->pending[0]));
		}
		ivxs_p2p_tick(W.ep[SRV], g_now);
		if (W.ep[CLI])
			ivxs_p2p_tick(W.ep[CLI], g_now);
	}
}

static ivxs_p2p_channel_stats chanStats(int who, int channel);
static ivxs_p2p_session_stats sessStats(int who);

/* step(), printing the camera's view every 500 ms when P2P_DEBUG is set */
static void stepTraced(uint32_t ms)
{
	uint32_t k;
	for (k = 0; k < ms; k += 500) {
		ivxs_p2p_session_stats ss = sessStats(SRV);
		ivxs_p2p_channel_stats cs = chanStats(SRV, IVXS_P2P_CH_MEDIA);
		if (getenv("P2P_DEBUG"))
			fprintf(stderr, "t=%u srtt %u min %u rto %u bw %llu pace %llu cwnd %u flight %u sent %llu lost %llu rtx %llu "
					"frames %u acked %llu given up %llu skipped %llu/%llu\n",
					k, ss.srtt_ms, ss.min_rtt_ms, ss.rto_ms, (unsigned long long)ss.bandwidth, (unsigned long long)ss.pacing_rate,
					ss.cwnd_bytes, ss.in_flight_bytes, (unsigned long long)ss.packets_sent, (unsigned long long)ss.packets_lost,
					(unsigned long long)cs.retransmits, W.sides[CLI].frames, (unsigned long long)cs.acked_bytes,
					(unsigned long long)cs.frames_given_up, (unsigned long long)cs.frames_skipped, (unsigned long long)W.rsrc.skipped);
		step(ms - k < 500 ? ms - k : 500);
	}
}

typedef struct {
	uint32_t rights;
	int64_t expiry_offset_s;
	const uint8_t *device_id;   /* the ticket's; NULL = the camera's */
	const uint8_t *secret;      /* the ticket's; NULL = the camera's */
	ivxs_p2p_config srv, cli;   /* overrides (zero fields keep defaults) */
	uint32_t delay_ms;
	int no_connect;
} options;

static uint8_t g_ticket[IVXS_P2P_TICKET_BYTES], g_psk[IVXS_P2P_PSK_BYTES];

static void addr(ivxs_p2p_addr *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->len = (uint8_t)strlen(name);
	memcpy(a->bytes, name, a->len);
}

static int setup(const options *o)
{
	ivxs_p2p_config c;
	ivxs_p2p_ticket t;
	ivxs_ring_config rc;
	int status, i;
	memset(&W, 0, sizeof(W));
	W.queue = malloc(MAX_QUEUE * sizeof(packet));
	if (!W.queue)
		return -1;
	g_now = g_base;
	g_link_rng = 12345;
	for (i = 0; i < 2; i++) {
		W.sides[i].id = i;
		W.sides[i].last_number = -1;
		W.dir[i].delay_ms = o->delay_ms ? o->delay_ms : 20;
	}
	addr(&W.srv_addr, "camera:4000");
	addr(&W.cli_addr, "viewer:5000");

	c = o->srv;
	c.role = IVXS_P2P_SERVER;
	c.device_secret = kSecret;
	c.device_secret_len = sizeof(kSecret) - 1;
	memcpy(c.device_id, kDeviceId, IVXS_P2P_ID_BYTES);
	c.cb.send = cbSend;
	c.cb.event = cbEvent;
	c.cb.frame = cbFrame;
	c.cb.command = cbCommand;
	c.cb.random = testRandom;
	c.cb.ctx = &W.sides[SRV];
	if ((status = ivxs_p2p_create(&W.ep[SRV], &c)) != 0)
		return status;
	ivxs_p2p_set_unix_time(W.ep[SRV], NOW_S);

	c = o->cli;
	c.role = IVXS_P2P_CLIENT;
	c.cb.send = cbSend;
	c.cb.event = cbEvent;
	c.cb.frame = cbFrame;
	c.cb.command = cbCommand;
	c.cb.random = testRandom;
	c.cb.ctx = &W.sides[CLI];
	if ((status = ivxs_p2p_create(&W.ep[CLI], &c)) != 0)
		return status;

	memset(&rc, 0, sizeof(rc));
	rc.arena_bytes = 4u << 20;
	if ((status = ivxs_ring_create(&W.ring, &rc)) != 0)
		return status;
	W.frame_interval = 33;
	W.gop = 30;
	W.key_bytes = 20000;
	W.delta_bytes = 2000;

	memset(&t, 0, sizeof(t));
	memcpy(t.device_id, o->device_id ? o->device_id : kDeviceId, IVXS_P2P_ID_BYTES);
	memcpy(t.viewer_id, kViewerId, IVXS_P2P_ID_BYTES);
	t.rights = o->rights ? o->rights : IVXS_P2P_RIGHT_LIVE | IVXS_P2P_RIGHT_TALK | IVXS_P2P_RIGHT_COMMAND;
	t.expiry_s = (uint64_t)((int64_t)NOW_S + (o->expiry_offset_s ? o->expiry_offset_s : 3600));
	if ((status = ivxs_p2p_ticket_mint(o->secret ? o->secret : kSecret, sizeof(kSecret) - 1, &t, g_ticket, g_psk)) != 0)
		return status;
	if (o->no_connect)
		return 0;
	return ivxs_p2p_connect(W.ep[CLI], &W.srv_addr, g_ticket, sizeof(g_ticket), g_psk, g_now, &W.sides[CLI].session);
}

static void teardown(void)
{
	ivxs_p2p_destroy(&W.ep[SRV]);
	ivxs_p2p_destroy(&W.ep[CLI]);
	ivxs_p2p_ring_source_close(&W.rsrc);
	ivxs_ring_destroy(&W.ring);
	free(W.queue);
	W.queue = NULL;
}

/* Starts the ring, the producer and the server's media from it. */
static int startMedia(void)
{
	int status;
	W.producing = 1;
	W.next_produce = g_now + 1;
	step(2);
	if ((status = ivxs_p2p_ring_source_init(&W.rsrc, W.ring, RING_OFFSET, &W.src)) != 0)
		return status;
	return ivxs_p2p_attach_frames(W.sides[SRV].session, &W.src);
}

static ivxs_p2p_channel_stats chanStats(int who, int channel)
{
	ivxs_p2p_channel_stats st;
	memset(&st, 0, sizeof(st));
	if (W.sides[who].session)
		ivxs_p2p_channel_stats_get(W.sides[who].session, channel, &st);
	return st;
}

static ivxs_p2p_session_stats sessStats(int who)
{
	ivxs_p2p_session_stats st;
	memset(&st, 0, sizeof(st));
	if (W.sides[who].session)
		ivxs_p2p_session_stats_get(W.sides[who].session, &st);
	return st;
}

/* ------------------------------------------------------------------------ */
/* Tests */

static void test_ticket_codes(void)
{
	ivxs_p2p_ticket t, got;
	uint8_t ticket[IVXS_P2P_TICKET_BYTES], psk[32], psk2[32];
	uint8_t other[IVXS_P2P_ID_BYTES] = "CAM-0002";
	memset(&t, 0, sizeof(t));
	memcpy(t.device_id, kDeviceId, sizeof(kDeviceId));
	memcpy(t.viewer_id, kViewerId, sizeof(kViewerId));
	t.rights = IVXS_P2P_RIGHT_LIVE | IVXS_P2P_RIGHT_COMMAND;
	t.expiry_s = NOW_S + 60;
	CHECK_EQ(ivxs_p2p_ticket_mint(kSecret, sizeof(kSecret) - 1, &t, ticket, psk), 0);
	CHECK_EQ(ivxs_p2p_ticket_verify(kSecret, sizeof(kSecret) - 1, kDeviceId, NOW_S, ticket, sizeof(ticket), &got, psk2), 0);
	CHECK(!memcmp(psk, psk2, 32));
	CHECK_EQ(got.rights, t.rights);
	CHECK(!memcmp(got.viewer_id, kViewerId, sizeof(kViewerId)));
	CHECK_EQ(got.expiry_s, NOW_S + 60);
	/* expired: at and after the expiry second */
	CHECK_EQ(ivxs_p2p_ticket_verify(kSecret, sizeof(kSecret) - 1, kDeviceId, NOW_S + 60, ticket, sizeof(ticket), &got, psk2),
			IVXS_P2P_ETICKET_EXPIRED);
	/* another camera */
	CHECK_EQ(ivxs_p2p_ticket_verify(kSecret, sizeof(kSecret) - 1, other, NOW_S, ticket, sizeof(ticket), &got, psk2),
			IVXS_P2P_ETICKET_DEVICE);
	/* another secret = forged */
	CHECK_EQ(ivxs_p2p_ticket_verify((const uint8_t *)"other", 5, kDeviceId, NOW_S, ticket, sizeof(ticket), &got, psk2),
			IVXS_P2P_ETICKET_FORGED);
	/* rights raised by the holder = forged */
	ticket[1] |= IVXS_P2P_RIGHT_TALK;
	CHECK_EQ(ivxs_p2p_ticket_verify(kSecret, sizeof(kSecret) - 1, kDeviceId, NOW_S, ticket, sizeof(ticket), &got, psk2),
			IVXS_P2P_ETICKET_FORGED);
	ticket[1] &= (uint8_t)~IVXS_P2P_RIGHT_TALK;
	/* expiry pushed back by the holder = forged */
	ticket[11] ^= 1;
	CHECK_EQ(ivxs_p2p_ticket_verify(kSecret, sizeof(kSecret) - 1, kDeviceId, NOW_S, ticket, sizeof(ticket), &got, psk2),
			IVXS_P2P_ETICKET_FORGED);
	ticket[11] ^= 1;
	CHECK_EQ(ivxs_p2p_ticket_verify(kSecret, sizeof(kSecret) - 1, kDeviceId, NOW_S, ticket, sizeof(ticket) - 1, &got, psk2),
			IVXS_P2P_ETICKET_FORMAT);
	ticket[0] = 2;
	CHECK_EQ(ivxs_p2p_ticket_verify(kSecret, sizeof(kSecret) - 1, kDeviceId, NOW_S, ticket, sizeof(ticket), &got, psk2),
			IVXS_P2P_ETICKET_FORMAT);
	CHECK(strcmp(ivxs_p2p_strerror(IVXS_P2P_ETICKET_EXPIRED), ivxs_p2p_strerror(IVXS_P2P_ETICKET_FORGED)) != 0);
	CHECK(strcmp(ivxs_p2p_strerror(IVXS_P2P_EWEAKKEY), "weak key") == 0);
done:
	return;
}

/* A known vector pins the derivation the cloud must reproduce (README "Tickets"). */
static void test_ticket_vector(void)
{
	ivxs_p2p_ticket t;
	uint8_t ticket[IVXS_P2P_TICKET_BYTES], psk[32], key[32], mac[32];
	static const char label[] = "ivxs p2p ticket v1";
	memset(&t, 0, sizeof(t));
	memcpy(t.device_id, kDeviceId, sizeof(kDeviceId));
	memcpy(t.viewer_id, kViewerId, sizeof(kViewerId));
	t.rights = 5;
	t.expiry_s = 0x0102030405060708ull;
	CHECK_EQ(ivxs_p2p_ticket_mint(kSecret, sizeof(kSecret) - 1, &t, ticket, psk), 0);
	CHECK_EQ(ticket[0], 1);
	CHECK_EQ(ticket[1], 5);
	CHECK_EQ(ticket[4], 1);
	CHECK_EQ(ticket[11], 8);
	CHECK(!memcmp(ticket + 12, kDeviceId, 16));
	CHECK(!memcmp(ticket + 28, kViewerId, 16));
	CHECK_EQ(p2p_hmac_sha256(kSecret, sizeof(kSecret) - 1, (const uint8_t *)label, sizeof(label) - 1, NULL, 0, key), 0);
	CHECK_EQ(p2p_hmac_sha256(key, 32, ticket, 44, NULL, 0, mac), 0);
	CHECK(!memcmp(mac, ticket + 44, 32));
	CHECK_EQ(p2p_hmac_sha256(key, 32, (const uint8_t *)"ivxs p2p psk v1", 15, mac, 32, mac), 0);
	CHECK(!memcmp(mac, psk, 32));
done:
	return;
}

static void test_handshake(void)
{
	options o;
	ivxs_p2p_session_stats st;
	ivxs_p2p_stats es;
	memset(&o, 0, sizeof(o));
	CHECK_EQ(setup(&o), 0);
	step(19);
	/* nothing before the hello arrives */
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CONNECTED], 0);
	step(25);
	/* one round trip: the viewer is connected when the reply arrives (40 ms) */
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_CONNECTED], 1);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CONNECTED], 0);
	step(25);
	/* the server trusts the viewer after its first packet proves the keys */
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CONNECTED], 1);
	/* no amplification: the server answered with fewer bytes than it got */
	CHECK(W.srv_sent_unverified > 0);
	CHECK(W.srv_sent_unverified * 10 < W.srv_rcvd_unverified);
	CHECK_EQ(ivxs_p2p_session_stats_get(W.sides[SRV].session, &st), 0);
	CHECK_EQ(st.rights, IVXS_P2P_RIGHT_LIVE | IVXS_P2P_RIGHT_TALK | IVXS_P2P_RIGHT_COMMAND);
	CHECK(!memcmp(st.viewer_id, kViewerId, sizeof(kViewerId)));
	ivxs_p2p_stats_get(W.ep[SRV], &es);
	CHECK_EQ(es.sessions_open, 1);
	CHECK_EQ(es.hellos, 1);
	/* stays up on keep-alive alone across the clock's wrap */
	step(20000);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CLOSED], 0);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_CLOSED], 0);
	/* a local close reaches the peer */
	CHECK_EQ(ivxs_p2p_close(W.sides[CLI].session, g_now), 0);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_CLOSED], 1);
	step(30);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CLOSED], 1);
	CHECK_EQ(W.sides[SRV].closed_status, 0);
	ivxs_p2p_stats_get(W.ep[SRV], &es);
	CHECK_EQ(es.sessions_open, 0);
	NOTE("server sent %llu bytes for %llu before verifying the viewer", (unsigned long long)W.srv_sent_unverified,
			(unsigned long long)W.srv_rcvd_unverified);
done:
	return;
}

static void refused(int64_t expiry, const uint8_t *device, const uint8_t *secret, int want, int counter)
{
	options o;
	ivxs_p2p_stats es;
	uint64_t counts[4];
	memset(&o, 0, sizeof(o));
	o.expiry_offset_s = expiry;
	o.device_id = device;
	o.secret = secret;
	CHECK_EQ(setup(&o), 0);
	step(100);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_CONNECTED], 0);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CONNECTED], 0);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_CLOSED], 1);
	CHECK_EQ(W.sides[CLI].closed_status, want);
	ivxs_p2p_stats_get(W.ep[SRV], &es);
	CHECK_EQ(es.sessions_open, 0);
	counts[0] = es.refused_expired;
	counts[1] = es.refused_device;
	counts[2] = es.refused_forged;
	counts[3] = es.refused_format;
	CHECK_EQ(counts[counter], 1);
	CHECK_EQ(counts[0] + counts[1] + counts[2] + counts[3], 1);
done:
	return;
}

static void test_refused_expired(void)
{
	refused(-1, NULL, NULL, IVXS_P2P_ETICKET_EXPIRED, 0);
}

static void test_refused_wrong_device(void)
{
	static const uint8_t other[IVXS_P2P_ID_BYTES] = "CAM-0002";
	refused(0, other, NULL, IVXS_P2P_ETICKET_DEVICE, 1);
}

static void test_refused_forged(void)
{
	refused(0, NULL, (const uint8_t *)"another secret of the same size!!", IVXS_P2P_ETICKET_FORGED, 2);
}

/* A viewer with a valid ticket but not its psk (a stolen ticket) never gets keys. */
static void test_stolen_ticket(void)
{
	options o;
	memset(&o, 0, sizeof(o));
	o.no_connect = 1;
	CHECK_EQ(setup(&o), 0);
	g_psk[0] ^= 1;
	CHECK_EQ(ivxs_p2p_connect(W.ep[CLI], &W.srv_addr, g_ticket, sizeof(g_ticket), g_psk, g_now, &W.sides[CLI].session), 0);
	step(6000);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_CONNECTED], 0);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CONNECTED], 0);
	CHECK_EQ(W.sides[CLI].closed_status, IVXS_P2P_ETIMEOUT);
done:
	return;
}

/* Lost hellos and replies are repeated; a repeated hello gets the same reply (no new keys). */
static void test_handshake_loss(void)
{
	options o;
	ivxs_p2p_stats es;
	memset(&o, 0, sizeof(o));
	CHECK_EQ(setup(&o), 0);
	W.dir[CLI].blocked = 1;          /* replies lost */
	step(700);
	W.dir[CLI].blocked = 0;
	step(1200);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_CONNECTED], 1);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CONNECTED], 1);
	ivxs_p2p_stats_get(W.ep[SRV], &es);
	CHECK(es.hellos >= 3);
	CHECK_EQ(es.sessions_open, 1);
done:
	return;
}

/* The viewer's first authenticated packet (the one that proves its keys) is
 * lost: the viewer, connected since the reply, sends it again at its RTO until
 * the camera acknowledges it; before, nothing was resent and the camera gave
 * the slot back after its handshake timeout (seen in the benchmark over a
 * link with 5 % loss: the camera never connected). */
static int g_drop_client_data;

static int dropClientData(int dir, uint8_t *data, uint16_t *size)
{
	if (dir == SRV && *size >= 1 && (data[0] & 15) == P2P_PKT_DATA && g_drop_client_data > 0) {
		g_drop_client_data--;
		return 0;
	}
	return 1;
}

static void test_handshake_confirm_lost(void)
{
	options o;
	memset(&o, 0, sizeof(o));
	CHECK_EQ(setup(&o), 0);
	g_drop_client_data = 2;   /* the first packet and its first repetition */
	W.dir[SRV].tamper = dropClientData;
	step(100);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_CONNECTED], 1);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CONNECTED], 0);
	step(1000);
	CHECK_EQ(g_drop_client_data, 0);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CONNECTED], 1);
	NOTE("camera connected %u ms after the viewer", W.sides[SRV].connected_at - W.sides[CLI].connected_at);
	/* media flows */
	CHECK_EQ(startMedia(), 0);
	step(1000);
	CHECK(W.sides[CLI].frames > 0);
done:
	W.dir[SRV].tamper = NULL;
	return;
}

/* Every proof of the viewer's keys is lost (a long outage right after the reply): the camera
 * gives its half-open slot up after its handshake timeout, so the viewer's session can never
 * open. The viewer says so (CLOSED, ETIMEOUT) at its own handshake timeout after its hello,
 * and the app can connect again; before, it learnt only from keep-alive, 15 s after the reply
 * (seen in p2p_sim: a bursty link took six proofs in a row, from 100 ms to 7.75 s). */
static void test_handshake_proof_never_acknowledged(void)
{
	options o;
	uint32_t start;
	memset(&o, 0, sizeof(o));
	CHECK_EQ(setup(&o), 0);
	start = g_now;   /* the hello went out in setup */
	g_drop_client_data = 1000000;
	W.dir[SRV].tamper = dropClientData;
	while (!W.sides[CLI].events[IVXS_P2P_EV_CLOSED] && P2P_DIFF(g_now, start) < 20000)
		step(1);
	NOTE("viewer connected at +%d ms, closed at +%d ms (status %d), camera connected %d times",
			P2P_DIFF(W.sides[CLI].connected_at, start), P2P_DIFF(W.sides[CLI].closed_at, start), W.sides[CLI].closed_status,
			W.sides[SRV].events[IVXS_P2P_EV_CONNECTED]);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_CONNECTED], 1);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CONNECTED], 0);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_CLOSED], 1);
	CHECK_EQ(W.sides[CLI].closed_status, IVXS_P2P_ETIMEOUT);
	CHECKF(P2P_DIFF(W.sides[CLI].closed_at, start) >= 5000 && P2P_DIFF(W.sides[CLI].closed_at, start) <= 5010,
			"closed %d ms after the hello (handshake timeout 5000)", P2P_DIFF(W.sides[CLI].closed_at, start));
done:
	g_drop_client_data = 0;
	W.dir[SRV].tamper = NULL;
	return;
}

static uint8_t g_reply1[P2P_REPLY_BYTES];
static int g_grab_reply;

static int grabReply(int dir, uint8_t *data, uint16_t *size)
{
	(void)dir;
	if (g_grab_reply && *size == P2P_REPLY_BYTES) {
		memcpy(g_reply1, data, P2P_REPLY_BYTES);
		g_grab_reply = 0;
	}
	return 1;
}

/* Each session has its own ephemeral keys: the second session's server key
 * differs, and a packet of the first is rejected by the second. */
static void test_fresh_keys(void)
{
	options o;
	uint8_t first[P2P_REPLY_BYTES], old[IVXS_P2P_MTU];
	uint16_t old_size;
	ivxs_p2p_session_stats st;
	memset(&o, 0, sizeof(o));
	CHECK_EQ(setup(&o), 0);
	W.dir[CLI].tamper = grabReply;
	g_grab_reply = 1;
	step(100);
	memcpy(first, g_reply1, sizeof(first));
	W.capture_dir = SRV;
	W.capture_now = 1;
	CHECK_EQ(ivxs_p2p_command(W.sides[CLI].session, IVXS_P2P_REQUEST, 0, NULL, 0, g_now), 0);
	step(100);
	memcpy(old, W.captured, W.captured_size);
	old_size = W.captured_size;
	CHECK_EQ(ivxs_p2p_close(W.sides[CLI].session, g_now), 0);
	step(100);
	g_grab_reply = 1;
	CHECK_EQ(ivxs_p2p_connect(W.ep[CLI], &W.srv_addr, g_ticket, sizeof(g_ticket), g_psk, g_now, &W.sides[CLI].session), 0);
	step(100);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CONNECTED], 2);
	CHECK(memcmp(first + 17, g_reply1 + 17, P2P_PUB) != 0);
	CHECK(memcmp(first + 9, g_reply1 + 9, P2P_CID) != 0);
	/* the old packet, readdressed to the new session: authentication fails */
	memcpy(old + 1, g_reply1 + 9, P2P_CID);
	CHECK_EQ(ivxs_p2p_input(W.ep[SRV], &W.cli_addr, old, old_size, g_now), IVXS_P2P_EAUTH);
	CHECK_EQ(ivxs_p2p_session_stats_get(W.sides[SRV].session, &st), 0);
	CHECK_EQ(st.dropped_auth, 1);
done:
	return;
}

/* Requests both ways... the viewer asks, the camera echoes from its callback. */
static void commandsOver(uint32_t loss, uint32_t jitter, uint32_t count, uint32_t outstanding, uint32_t stream_start)
{
	options o;
	uint32_t i, sent = 0, waited = 0, start, took = 0;
	static uint8_t buf[IVXS_P2P_MAX_COMMAND];
	ivxs_p2p_channel_stats st;
	memset(&o, 0, sizeof(o));
	CHECK_EQ(setup(&o), 0);
	step(100);
	CHECK(W.sides[SRV].session);
	start = g_now;
	if (stream_start) {
		/* both command streams start just before their u32 offsets wrap */
		W.sides[CLI].session->cmd.tx_base = W.sides[CLI].session->cmd.tx_head = stream_start;
		W.sides[SRV].session->cmd.rx_off = stream_start;
		W.sides[SRV].session->cmd.tx_base = W.sides[SRV].session->cmd.tx_head = stream_start;
		W.sides[CLI].session->cmd.rx_off = stream_start;
	}
	W.sides[SRV].reply = 1;
	W.dir[SRV].loss_permille = W.dir[CLI].loss_permille = loss;
	W.dir[SRV].jitter_ms = W.dir[CLI].jitter_ms = jitter;
	/* request/reply: a few requests outstanding at most (the camera replies from its callback,
	 * and its reply buffer holds 16 KiB + 64 bytes) */
	while (sent < count && waited < 60000) {
		int status;
		uint32_t len = cmdLen(sent);
		if (sent >= W.sides[CLI].cmds + outstanding) {
			step(1);
			waited++;
			continue;
		}
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)(sent + i);
		status = ivxs_p2p_command(W.sides[CLI].session, IVXS_P2P_REQUEST, (uint16_t)sent, buf, len, g_now);
		if (status == 0)
			sent++;
		else {
			CHECK_EQ(status, IVXS_P2P_EAGAIN);
			step(1);
			waited++;
		}
	}
	while (W.sides[CLI].cmds < count && waited++ < 60000)
		step(1);
	took = g_now - start;
	step(5000);
	CHECK_EQ(W.sides[SRV].cmds, count);
	CHECK_EQ(W.sides[SRV].cmd_bad, 0);
	CHECK_EQ(W.sides[CLI].cmds, count);
	CHECK_EQ(W.sides[CLI].cmd_bad, 0);
	st = chanStats(CLI, IVXS_P2P_CH_COMMAND);
	CHECK_EQ(st.send_buffered, 0);
	if (loss)
		CHECK(st.retransmits > 0);
	else if (g_cmd_len && P2P_MSG_HDR + g_cmd_len <= P2P_CMD_SMALL) {
		/* short messages never wait for the camera's memory bound */
		CHECK_EQ(sessStats(SRV).commands_deferred, 0);
		CHECK_EQ(st.retransmits, 0);
	}
	/* idle again: the command buffers are given back */
	CHECK_EQ(sessStats(SRV).footprint_bytes, W.sides[SRV].session->footprint);
	NOTE("%u requests + replies in %u ms, %llu retransmitted chunks", count, took, (unsigned long long)st.retransmits);
done:
	return;
}

static void test_commands(void)
{
	commandsOver(0, 0, 40, 2, 0);
}

/* Short commands (the usual kind), three requests outstanding: the camera's short buffers. */
static void test_commands_short(void)
{
	g_cmd_len = 700;
	commandsOver(0, 0, 60, 3, 0);
	g_cmd_len = 0;
}

static void test_commands_lossy_reordered(void)
{
	commandsOver(50, 25, 40, 1, 0);
}

/* The largest message after smaller ones (it wraps around the ring's end). */
static void test_command_largest(void)
{
	options o;
	static const uint32_t sizes[] = { 0, 1, 1088, 1089, 5000, IVXS_P2P_MAX_COMMAND, IVXS_P2P_MAX_COMMAND };
	static uint8_t buf[IVXS_P2P_MAX_COMMAND];
	uint32_t i, j, got = 0;
	memset(&o, 0, sizeof(o));
	CHECK_EQ(setup(&o), 0);
	step(100);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int status, tries = 0;
		for (j = 0; j < sizes[i]; j++)
			buf[j] = (uint8_t)(j * 13 + i);
		while ((status = ivxs_p2p_command(W.sides[CLI].session, IVXS_P2P_REQUEST, (uint16_t)i, buf, sizes[i], g_now))
				== IVXS_P2P_EAGAIN && tries++ < 2000)
			step(1);
		CHECK_EQ(status, 0);
		step(150);
		got = W.sides[SRV].cmds;
		CHECK_EQ(got, i + 1);
	}
done:
	return;
}

static void test_commands_offset_wrap(void)
{
	commandsOver(20, 10, 40, 1, UINT32_MAX - 100000u);
}

static void streamOver(uint32_t loss, uint32_t jitter, uint32_t seconds, uint32_t deadline, uint32_t first_frame)
{
	options o;
	ivxs_p2p_channel_stats st;
	memset(&o, 0, sizeof(o));
	o.srv.deadline_ms = deadline;
	o.delay_ms = 30;
	CHECK_EQ(setup(&o), 0);
	step(200);
	if (first_frame) {
		/* frame numbers start just before they wrap */
		W.sides[SRV].session->ftx.base = W.sides[SRV].session->ftx.next = first_frame;
		W.sides[CLI].session->frx.next = first_frame;
	}
	CHECK_EQ(startMedia(), 0);
	W.dir[SRV].loss_permille = W.dir[CLI].loss_permille = loss;
	W.dir[SRV].jitter_ms = W.dir[CLI].jitter_ms = jitter;
	stepTraced(seconds * 1000);
	W.producing = 0;
	step(2000);
	st = chanStats(SRV, IVXS_P2P_CH_MEDIA);
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
	CHECK_EQ(st.frames_torn, 0);
	CHECK_EQ(st.frames_given_up, 0);
	CHECK_EQ(W.sides[CLI].frames, W.produced - (uint32_t)W.rsrc.skipped);
	CHECK_EQ(st.frames_sent, W.sides[CLI].frames);
	CHECK_EQ(st.acked_bytes, W.sides[CLI].frame_bytes);
	if (loss)
		CHECK(st.retransmits > 0);
	NOTE("%u frames, %llu retransmitted chunks, latency max %u ms", W.sides[CLI].frames, (unsigned long long)st.retransmits,
			W.sides[CLI].latency_max);
done:
	return;
}

/* Which DATA version a camera and a viewer configured so agree on (0: the default), and the
 * stream over it: 5% loss and reordering, every frame whole, nothing refused. */
static void streamVersion(uint32_t camera, uint32_t viewer, uint32_t want)
{
	options o;
	ivxs_p2p_channel_stats st;
	memset(&o, 0, sizeof(o));
	o.srv.version = camera;
	o.cli.version = viewer;
	CHECK_EQ(setup(&o), 0);
	step(200);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_CONNECTED], 1);
	CHECK_EQ(sessStats(SRV).version, want);
	CHECK_EQ(sessStats(CLI).version, want);
	CHECK_EQ(startMedia(), 0);
	W.dir[SRV].loss_permille = W.dir[CLI].loss_permille = 50;
	W.dir[SRV].jitter_ms = W.dir[CLI].jitter_ms = 20;
	step(3000);
	W.producing = 0;
	step(2000);
	st = chanStats(SRV, IVXS_P2P_CH_MEDIA);
	CHECK(W.sides[CLI].frames > 0);
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
	CHECK_EQ(W.sides[CLI].frames, W.produced - (uint32_t)W.rsrc.skipped);
	CHECK_EQ(st.frames_sent, W.sides[CLI].frames);
	CHECK_EQ(sessStats(SRV).dropped_auth + sessStats(CLI).dropped_auth, 0);
	NOTE("camera %u, viewer %u: version %u, %u frames", camera, viewer, want, W.sides[CLI].frames);
done:
	teardown();
}

static void test_versions_negotiated(void)
{
	streamVersion(0, 0, IVXS_P2P_PREFERRED_VERSION);   /* this build's preference (5 without engines) */
	streamVersion(IVXS_P2P_VERSION_AES, 0, IVXS_P2P_VERSION_AES);    /* offered and preferred */
	streamVersion(IVXS_P2P_VERSION_AES, IVXS_P2P_VERSION, IVXS_P2P_VERSION);   /* a viewer of 5 alone */
	streamVersion(IVXS_P2P_VERSION, IVXS_P2P_VERSION_AES, IVXS_P2P_VERSION);   /* a camera preferring 5 */
	return;
}

/* Packets of the other version: a 6's DATA to a 5's session, a hello or retry marked 6, a reply of 6
 * to a viewer that offered 5 alone: dropped, counted as the wrong version, the session unharmed. */
static void test_versions_mismatched(void)
{
	options o;
	ivxs_p2p_stats es;
	uint8_t hello[IVXS_P2P_MTU];
	memset(&o, 0, sizeof(o));
	o.srv.version = IVXS_P2P_VERSION_AES;
	o.cli.version = IVXS_P2P_VERSION;
	CHECK_EQ(setup(&o), 0);
	step(200);
	CHECK_EQ(sessStats(SRV).version, IVXS_P2P_VERSION);
	CHECK_EQ(startMedia(), 0);   /* the viewer's ACKs: a DATA to copy */
	step(300);
	W.capture_dir = SRV;
	W.capture_now = 1;
	step(200);
	CHECK_EQ(W.capture_now, 0);
	CHECK_EQ(W.captured[0], (IVXS_P2P_VERSION << 4) | P2P_PKT_DATA);
	W.captured[0] = (IVXS_P2P_VERSION_AES << 4) | P2P_PKT_DATA;
	CHECK_EQ(ivxs_p2p_input(W.ep[SRV], &W.cli_addr, W.captured, W.captured_size, g_now), IVXS_P2P_EVERSION);
	memset(hello, 0, sizeof(hello));
	hello[0] = (IVXS_P2P_VERSION_AES << 4) | P2P_PKT_HELLO;
	CHECK_EQ(ivxs_p2p_input(W.ep[SRV], &W.cli_addr, hello, sizeof(hello), g_now), IVXS_P2P_EVERSION);
	hello[0] = (IVXS_P2P_VERSION_AES << 4) | P2P_PKT_RETRY;
	CHECK_EQ(ivxs_p2p_input(W.ep[CLI], &W.srv_addr, hello, P2P_RETRY_BYTES, g_now), IVXS_P2P_EVERSION);
	hello[0] = (IVXS_P2P_VERSION_AES << 4) | P2P_PKT_REPLY;
	CHECK_EQ(ivxs_p2p_input(W.ep[CLI], &W.srv_addr, hello, P2P_REPLY_BYTES, g_now), IVXS_P2P_EVERSION);
	ivxs_p2p_stats_get(W.ep[SRV], &es);
	CHECK_EQ(es.dropped_version, 2);
	CHECK_EQ(sessStats(SRV).dropped_auth, 0);
	step(1000);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CLOSED], 0);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_CLOSED], 0);
done:
	return;
}

static void test_media_seq_wrap(void)
{
	streamOver(30, 10, 4, 2000, UINT32_MAX - 40u);
}

static void test_media_clean(void)
{
	streamOver(0, 0, 4, 0, 0);
}

static void test_media_loss_recovered(void)
{
	/* 5 % loss each way, reordering: every frame arrives, whole and in order */
	streamOver(50, 20, 6, 2000, 0);
}

static int g_flip_next;

static int flipOne(int dir, uint8_t *data, uint16_t *size)
{
	(void)dir;
	if (g_flip_next && *size > 100 && (data[0] & 15) == P2P_PKT_DATA) {
		data[*size / 2] ^= 0x40;
		g_flip_next = 0;
	}
	return 1;
}

/* Forged (altered), replayed and truncated packets are dropped and counted;
 * the stream goes on whole. */
static void test_forged_replayed_truncated(void)
{
	options o;
	ivxs_p2p_session_stats st;
	ivxs_p2p_stats es;
	uint32_t cut, frames;
	int status;
	memset(&o, 0, sizeof(o));
	CHECK_EQ(setup(&o), 0);
	step(100);
	CHECK_EQ(startMedia(), 0);
	step(500);
	/* forged: one bit of a packet to the viewer */
	W.dir[CLI].tamper = flipOne;
	g_flip_next = 1;
	step(200);
	CHECK_EQ(g_flip_next, 0);
	CHECK_EQ(sessStats(CLI).dropped_auth, 1);
	/* replayed: a packet the server already took */
	W.capture_dir = SRV;
	W.capture_now = 1;
	step(200);
	CHECK_EQ(W.capture_now, 0);
	frames = W.sides[SRV].cmds;
	status = ivxs_p2p_input(W.ep[SRV], &W.cli_addr, W.captured, W.captured_size, g_now);
	CHECK_EQ(status, IVXS_P2P_EREPLAY);
	CHECK_EQ(sessStats(SRV).dropped_replay, 1);
	CHECK_EQ(W.sides[SRV].cmds, frames);
	/* truncated: every prefix */
	for (cut = 0; cut < W.captured_size; cut++) {
		status = ivxs_p2p_input(W.ep[SRV], &W.cli_addr, W.captured, cut, g_now);
		CHECK(status < 0);
	}
	/* a valid packet with a forged header byte (connection id, packet number) */
	W.captured[9] ^= 0x80;
	CHECK(ivxs_p2p_input(W.ep[SRV], &W.cli_addr, W.captured, W.captured_size, g_now) < 0);
	step(2000);
	W.producing = 0;
	step(1500);
	st = sessStats(SRV);
	CHECK(st.dropped_auth + st.dropped_replay + st.dropped_trunc >= 2);
	ivxs_p2p_stats_get(W.ep[SRV], &es);
	CHECK(es.dropped_trunc > 0);
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
	CHECK_EQ(W.sides[CLI].frames, W.produced - (uint32_t)W.rsrc.skipped);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CLOSED], 0);
done:
	return;
}

/* A viewer that never acknowledges: the camera's memory stays what it was,
 * frames are given up at their deadline, and keep-alive ends the session. */
static void test_never_acks(void)
{
	options o;
	ivxs_p2p_stats before, after;
	ivxs_p2p_session_stats st;
	ivxs_p2p_channel_stats cs;
	uint32_t blocked_at, max_flight = 0, i;
	memset(&o, 0, sizeof(o));
	o.srv.keepalive_interval_ms = 2000;
	o.srv.keepalive_attempts = 3;
	o.cli.keepalive_off = 1;
	CHECK_EQ(setup(&o), 0);
	step(100);
	CHECK_EQ(startMedia(), 0);
	ivxs_p2p_stats_get(W.ep[SRV], &before);
	step(300);
	W.dir[SRV].blocked = 1;   /* nothing from the viewer reaches the camera */
	blocked_at = g_now;
	for (i = 0; i < 5500 && W.sides[SRV].session; i += 10) {
		step(10);
		st = sessStats(SRV);
		if (st.in_flight_bytes > max_flight)
			max_flight = st.in_flight_bytes;
		cs = chanStats(SRV, IVXS_P2P_CH_MEDIA);
		CHECK(cs.send_buffered <= 16u * W.key_bytes);
		ivxs_p2p_stats_get(W.ep[SRV], &after);
		CHECK_EQ(after.footprint_bytes, before.footprint_bytes);
		if (i == 3000)
			CHECK(cs.frames_given_up + cs.frames_skipped > 10);
	}
	CHECK(max_flight <= 64u * IVXS_P2P_MTU);
	step(1000);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CLOSED], 1);
	CHECK_EQ(W.sides[SRV].closed_status, IVXS_P2P_ETIMEOUT);
	/* dead within interval x attempts of the last packet heard */
	CHECK(P2P_DIFF(W.sides[SRV].closed_at, blocked_at) <= 6000 + 40);
	CHECK(P2P_DIFF(W.sides[SRV].closed_at, blocked_at) >= 6000 - 40);
	NOTE("peak in flight %u bytes; endpoint footprint %zu bytes throughout", max_flight, before.footprint_bytes);
done:
	return;
}

/* Seals frames with the viewer's own keys, as a misbehaving (but authenticated) viewer would. */
static int fromViewer(const uint8_t *plain, size_t n)
{
	ivxs_p2p_session *c = W.sides[CLI].session;
	uint8_t pkt[IVXS_P2P_MTU];
	uint32_t pn = c->rel.next_pn++;
	pkt[0] = (IVXS_P2P_VERSION << 4) | P2P_PKT_DATA;
	memcpy(pkt + 1, c->peer_cid, P2P_CID);
	ivxs_put32(pkt + 9, pn);
	if (p2p_aead_seal(c->tx_aead, pn, pkt, P2P_DATA_HDR, plain, n, NULL, 0, pkt + P2P_DATA_HDR, pkt + P2P_DATA_HDR + n))
		return IVXS_P2P_ECRYPTO;
	return ivxs_p2p_input(W.ep[SRV], &W.cli_addr, pkt, P2P_DATA_HDR + n + P2P_TAG, g_now);
}

/* An authenticated peer that acknowledges packets never sent: ignored, counted. */
static void test_ack_of_unsent(void)
{
	options o;
	ivxs_p2p_session *sv;
	ivxs_p2p_channel_stats before, after;
	uint8_t plain[32];
	p2p_ack a;
	size_t n;
	memset(&o, 0, sizeof(o));
	CHECK_EQ(setup(&o), 0);
	step(100);
	CHECK_EQ(startMedia(), 0);
	step(500);
	sv = W.sides[SRV].session;
	before = chanStats(SRV, IVXS_P2P_CH_MEDIA);
	/* an ACK of the server's next 100 packets (and 5 real ones) */
	memset(&a, 0, sizeof(a));
	a.largest = sv->rel.next_pn + 100;
	a.lo[0] = sv->rel.next_pn - 5;
	a.hi[0] = a.largest;
	n = p2p_wire_ack(plain, &a);
	CHECK_EQ(fromViewer(plain, n), 0);
	after = chanStats(SRV, IVXS_P2P_CH_MEDIA);
	CHECK_EQ(sessStats(SRV).bogus_acks, 1);
	CHECK_EQ(after.acked_bytes, before.acked_bytes);
	CHECK_EQ(after.frames_sent, before.frames_sent);
	step(2000);
	W.producing = 0;
	step(1000);
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
	CHECK_EQ(W.sides[CLI].frames, W.produced - (uint32_t)W.rsrc.skipped);
done:
	return;
}

/* Appends a COMMAND frame for bytes [from, to) of the viewer's stream of requests of `len`
 * bytes each (the harness's pattern) to plain[n]; returns the new length. */
static size_t cmdFrame(uint8_t *plain, size_t n, uint32_t from, uint32_t to, uint32_t len)
{
	uint32_t total = P2P_MSG_HDR + len, off;
	p2p_wire_cmd_hdr(plain + n, from, to - from);
	n += P2P_CMD_HDR;
	for (off = from; off < to; off++) {
		uint32_t id = off / total, at = off % total;
		uint8_t hdr[P2P_MSG_HDR] = { IVXS_P2P_REQUEST, (uint8_t)(id >> 8), (uint8_t)id, (uint8_t)(len >> 8), (uint8_t)len };
		plain[n++] = at < P2P_MSG_HDR ? hdr[at] : (uint8_t)(id + at - P2P_MSG_HDR);
	}
	return n;
}

/* The viewer's first request (stream offset 0, empty), straight to the camera. */
static int firstRequest(void)
{
	uint8_t plain[P2P_CMD_HDR + P2P_MSG_HDR];
	return fromViewer(plain, cmdFrame(plain, 0, 0, P2P_MSG_HDR, 0));
}

/* A packet may carry several COMMANDs (this core's sender puts one in each): the end of a
 * request and the start of the next. The reply to the first, queued from the callback, must not
 * take the request's buffer over — the next chunk of the same packet is kept in it; before, it
 * was dropped although the packet was acknowledged, and the stream stalled for good. */
static void test_two_commands_in_a_packet(void)
{
	options o;
	static uint8_t plain[P2P_PLAIN_MAX];
	uint32_t total;
	size_t n;
	memset(&o, 0, sizeof(o));
	CHECK_EQ(setup(&o), 0);
	step(100);
	g_cmd_len = 2000;
	total = P2P_MSG_HDR + g_cmd_len;
	W.sides[SRV].reply = 1;
	CHECK_EQ(fromViewer(plain, cmdFrame(plain, 0, 0, 1088, g_cmd_len)), 0);
	n = cmdFrame(plain, 0, 1088, total, g_cmd_len);             /* the first request's end ... */
	n = cmdFrame(plain, n, total, total + 200, g_cmd_len);      /* ... and the second's start */
	CHECK_EQ(fromViewer(plain, n), 0);
	CHECK_EQ(W.sides[SRV].cmds, 1);
	CHECK_EQ(fromViewer(plain, cmdFrame(plain, 0, total + 200, total + 1288, g_cmd_len)), 0);
	CHECK_EQ(fromViewer(plain, cmdFrame(plain, 0, total + 1288, 2 * total, g_cmd_len)), 0);
	CHECK_EQ(W.sides[SRV].cmds, 2);
	step(1000);
	CHECK_EQ(W.sides[CLI].cmds, 2);   /* both replies */
	CHECK_EQ(W.sides[SRV].cmd_bad + W.sides[CLI].cmd_bad, 0);
	CHECK(sessStats(SRV).footprint_bytes <= W.sides[SRV].session->footprint + P2P_CMD_SMALL + sizeof(p2p_cmd_book));
done:
	g_cmd_len = 0;
}

/* Every ack-eliciting packet is acknowledged at once: in order, after a gap, out of order.
 * Before, a lone in-order packet waited up to 10 ms for a second one, and so did one after a
 * gap: the sender learnt of a loss a delayed-ACK later (on a thin stream, the difference between
 * a retransmission in time and a late frame). */
static void test_ack_at_once(void)
{
	p2p_rel r;
	const uint32_t t0 = g_base + 1000;
	memset(&r, 0, sizeof(r));
	p2p_rel_rx_mark(&r, 0, 1, t0);
	CHECK_EQ(r.ack_due_ms, t0);
	r.ack_pending = 0;                     /* (an ACK went out) */
	p2p_rel_rx_mark(&r, 1, 1, t0 + 3);
	CHECK_EQ(r.ack_due_ms, t0 + 3);
	r.ack_pending = 0;
	p2p_rel_rx_mark(&r, 3, 1, t0 + 5);     /* packet 2 missing */
	CHECK_EQ(r.ack_due_ms, t0 + 5);
	r.ack_pending = 0;
	p2p_rel_rx_mark(&r, 2, 1, t0 + 7);     /* the missing one, late */
	CHECK_EQ(r.ack_due_ms, t0 + 7);
	CHECK_EQ(r.ack_pending, 1);
	p2p_rel_rx_mark(&r, 4, 0, t0 + 9);     /* not ack-eliciting (an ACK alone): no ACK for it */
	CHECK_EQ(r.ack_pending, 1);
done:
	return;
}

/* The REPAIR frame (0x12, wire version 3's XOR parity) is retired: an authenticated packet
 * carrying one is refused as an unknown frame type (before, the camera parsed it and dropped
 * it), and the session carries on. */
static void test_repair_retired(void)
{
	options o;
	uint8_t plain[26 + 8];
	memset(&o, 0, sizeof(o));
	CHECK_EQ(setup(&o), 0);
	step(100);
	/* the old REPAIR layout: a FRAME header with count u8 in place of the floor */
	memset(plain, 0, sizeof(plain));
	plain[0] = 0x12;
	plain[1] = IVXS_P2P_CH_VOICE;
	ivxs_put32(plain + 12, 8);       /* frame size */
	plain[20] = 1;                  /* count */
	ivxs_put16(plain + 21, 8);       /* length */
	CHECK_EQ(fromViewer(plain, 23 + 8), IVXS_P2P_EPROTO);
	CHECK(W.sides[SRV].session != NULL);
	CHECK_EQ(firstRequest(), 0);   /* a real request after it still arrives */
	CHECK_EQ(W.sides[SRV].cmds, 1);
done:
	return;
}

/* Found by the fuzzer: an empty command chunk must not leave an empty
 * received range behind (it broke the ranges' order invariant); a chunk
 * 2^31 bytes behind is old data, not an overflow (UBSan aborted on it). */
static void test_empty_command_chunk(void)
{
	options o;
	uint8_t plain[P2P_CMD_HDR + 8];
	memset(&o, 0, sizeof(o));
	CHECK_EQ(setup(&o), 0);
	step(100);
	p2p_wire_cmd_hdr(plain, 3, 0);   /* inside the window, past what was received */
	CHECK_EQ(fromViewer(plain, P2P_CMD_HDR), 0);
	CHECK_EQ(W.sides[SRV].session->cmd.nranges, 0);
	p2p_wire_cmd_hdr(plain, 0x80000000u, 1);
	CHECK_EQ(fromViewer(plain, P2P_CMD_HDR + 1), 0);
	CHECK_EQ(W.sides[SRV].session->cmd.nranges, 0);
	CHECK_EQ(firstRequest(), 0);   /* a real request after it still arrives */
	CHECK_EQ(W.sides[SRV].cmds, 1);
	CHECK_EQ(W.sides[SRV].cmd_bad, 0);
	CHECK_EQ(W.sides[SRV].session->cmd.nranges, 0);
done:
	return;
}

/* The viewer's link goes dark for 1.5 s: frames past their deadline are not
 * sent again, the camera skips to the next key frame, and the viewer resumes
 * there with live latency. */
static void test_deadline_skip(void)
{
	options o;
	ivxs_p2p_channel_stats st;
	uint32_t frames_before, lat_after;
	memset(&o, 0, sizeof(o));
	o.srv.deadline_ms = 400;
	CHECK_EQ(setup(&o), 0);
	step(100);
	CHECK_EQ(startMedia(), 0);
	step(1000);
	frames_before = W.sides[CLI].frames;
	CHECK(frames_before > 20);
	W.dir[CLI].blocked = 1;
	step(1500);
	W.dir[CLI].blocked = 0;
	W.sides[CLI].latency_max = 0;
	step(3000);
	lat_after = W.sides[CLI].latency_max;
	st = chanStats(SRV, IVXS_P2P_CH_MEDIA);
	CHECK(st.frames_given_up + st.frames_skipped > 0);
	/* frames passed over in the viewer core's window (feed.h) to reach a key frame */
	CHECK(W.sides[SRV].session->ftx.feed && W.sides[SRV].session->ftx.feed->stats.skipped + W.sides[SRV].session->ftx.feed->stats.passed_over > 0);
	CHECK(W.sides[CLI].gaps >= 1);
	/* the camera resumed at a key frame (a frame the viewer had whole before its
	 * predecessor was given up is still delivered, with `lost` saying so) */
	CHECK(W.sides[CLI].first_after_gap_key >= 1);
	CHECK(W.sides[CLI].frames_lost > 0);
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
	CHECK(lat_after <= 400);
	NOTE("given up %llu, skipped %llu, latency after the outage <= %u ms",
			(unsigned long long)st.frames_given_up, (unsigned long long)st.frames_skipped, lat_after);
done:
	return;
}

/* A frame overwritten in the ring before it was acknowledged is given up and
 * counted, never sent torn. */
static void test_torn_frames(void)
{
	options o;
	ivxs_ring_config rc;
	ivxs_p2p_channel_stats st;
	memset(&o, 0, sizeof(o));
	o.srv.deadline_ms = 5000;   /* the deadline must not be what saves us */
	CHECK_EQ(setup(&o), 0);
	ivxs_ring_destroy(&W.ring);
	memset(&rc, 0, sizeof(rc));
	rc.arena_bytes = 96 * 1024;   /* a few GOPs: the writer laps unacknowledged frames quickly */
	CHECK_EQ(ivxs_ring_create(&W.ring, &rc), 0);
	W.frame_interval = 5;
	W.gop = 10;
	step(100);
	CHECK_EQ(startMedia(), 0);
	step(500);
	/* the viewer's acks stop: chunks wait for retransmission while the ring wraps */
	W.dir[CLI].loss_permille = 300;
	W.dir[SRV].blocked = 1;
	step(700);
	W.dir[SRV].blocked = 0;
	step(2000);
	W.producing = 0;
	step(3000);
	st = chanStats(SRV, IVXS_P2P_CH_MEDIA);
	if (getenv("P2P_DEBUG"))
		fprintf(stderr, "torn %llu given up %llu skipped %llu ring skipped %llu overtaken %llu delivered %u produced %u\n",
				(unsigned long long)st.frames_torn, (unsigned long long)st.frames_given_up, (unsigned long long)st.frames_skipped,
				(unsigned long long)W.rsrc.skipped, (unsigned long long)W.rsrc.overtaken, W.sides[CLI].frames, W.produced);
	CHECK(st.frames_torn > 0);
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
	CHECK(W.sides[CLI].frames > 50);
	NOTE("%llu frames torn in the ring and given up, %u delivered whole", (unsigned long long)st.frames_torn,
			W.sides[CLI].frames);
done:
	return;
}

/* Default options, live media for a second: 0 when it runs. */
static int streaming(void)
{
	options o;
	int status;
	memset(&o, 0, sizeof(o));
	if ((status = setup(&o)) != 0)
		return status;
	step(100);
	if ((status = startMedia()) != 0)
		return status;
	step(1000);
	return 0;
}

/* Frames keep coming, intact: 1 when 25 more came in the next second. */
static int videoCarriesOn(void)
{
	uint32_t frames = W.sides[CLI].frames;
	step(1000);
	return W.sides[CLI].frames >= frames + 25 && !W.sides[CLI].frame_bad;
}

/* The viewer's address changes (NAT rebinding): one authenticated packet from
 * the new address moves the session; frames keep coming. */
static void test_migration(void)
{
	CHECK_EQ(streaming(), 0);
	addr(&W.cli_addr, "viewer:61000");
	step(100);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_ADDR_CHANGED], 1);
	{
		ivxs_p2p_session_stats st = sessStats(SRV);
		CHECK(addrIs(&st.peer, &W.cli_addr));   /* what the camera reports its path by */
	}
	CHECK(videoCarriesOn());
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CLOSED], 0);
	/* a replayed packet from the old address does not move it back */
	W.capture_dir = SRV;
	W.capture_now = 1;
	step(100);
	CHECK_EQ(W.capture_now, 0);
	{
		ivxs_p2p_addr old;
		addr(&old, "viewer:5000");
		if (getenv("P2P_DEBUG"))
			fprintf(stderr, "captured %u bytes type %u pn %u largest %u at %u, now %u\n", W.captured_size, W.captured[0],
					ivxs_get32(W.captured + 9), W.sides[SRV].session->rel.rx_largest, W.captured_at - g_base, g_now - g_base);
		CHECK_EQ(ivxs_p2p_input(W.ep[SRV], &old, W.captured, W.captured_size, g_now), IVXS_P2P_EREPLAY);
	}
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_ADDR_CHANGED], 1);
	NOTE("%llu packets sent to the old address after the change", (unsigned long long)W.misrouted);
done:
	return;
}

/* Drops the packets of a PATH_CHALLENGE's or PATH_RESPONSE's size (a lone token frame, 38 bytes). */
static uint32_t g_tokens_dropped;
static int dropTokens(int dir, uint8_t *data, uint16_t *size)
{
	(void)dir;
	(void)data;
	if (*size != P2P_DATA_HDR + 1 + P2P_TOKEN + P2P_TAG)
		return 1;
	g_tokens_dropped++;
	return 0;
}

/* The camera's own address changes (a new DHCP lease, its NAT's new mapping; issue 14 §3): the
 * viewer validates the new address and moves; the camera learns of it from the viewer's
 * PATH_CHALLENGE and tells its app once (PEER_ADDR_CHANGED, arg 1), however often the viewer
 * repeats the challenge. Video carries on, no app action. */
static void test_camera_moves(void)
{
	CHECK_EQ(streaming(), 0);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_ADDR_CHANGED], 0);
	W.dir[CLI].tamper = dropTokens;   /* the camera's responses are lost: the viewer challenges again */
	g_tokens_dropped = 0;
	addr(&W.srv_addr, "camera:7001");
	step(1000);
	CHECK(g_tokens_dropped >= 2);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_ADDR_CHANGED], 0);
	W.dir[CLI].tamper = NULL;
	step(500);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_ADDR_CHANGED], 1);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_ADDR_CHANGED], 1);
	CHECK_EQ(W.addr_changed_arg[SRV], 1);
	CHECK_EQ(W.addr_changed_arg[CLI], 0);
	{
		ivxs_p2p_session_stats st = sessStats(CLI);
		CHECK(addrIs(&st.peer, &W.srv_addr));   /* the viewer's path line follows it */
	}
	CHECK(videoCarriesOn());
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CLOSED] + W.sides[CLI].events[IVXS_P2P_EV_CLOSED], 0);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_ADDR_CHANGED], 1);
	NOTE("%u responses lost, %llu viewer packets to the camera's old address", g_tokens_dropped, (unsigned long long)W.misrouted_cli);
done:
	return;
}

/* The link dies: both ends detect it within interval x attempts. */
static void test_keepalive_death(void)
{
	options o;
	uint32_t cut;
	memset(&o, 0, sizeof(o));
	o.srv.keepalive_interval_ms = o.cli.keepalive_interval_ms = 1000;
	o.srv.keepalive_attempts = o.cli.keepalive_attempts = 3;
	CHECK_EQ(setup(&o), 0);
	step(100);
	step(5000);   /* idle: keep-alive alone holds the session */
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CLOSED], 0);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_CLOSED], 0);
	W.dir[SRV].blocked = W.dir[CLI].blocked = 1;
	cut = g_now;
	step(3100);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CLOSED], 1);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_CLOSED], 1);
	CHECK_EQ(W.sides[SRV].closed_status, IVXS_P2P_ETIMEOUT);
	CHECK_EQ(W.sides[CLI].closed_status, IVXS_P2P_ETIMEOUT);
	CHECK(P2P_DIFF(W.sides[SRV].closed_at, cut) <= 3000);
	CHECK(P2P_DIFF(W.sides[CLI].closed_at, cut) <= 3000);
	CHECK(P2P_DIFF(W.sides[SRV].closed_at, cut) >= 1900);
done:
	return;
}

/* Watermark crossings are reported once per crossing. */
static void test_watermarks(void)
{
	options o;
	uint32_t i;
	static uint8_t buf[4000];
	memset(&o, 0, sizeof(o));
	o.cli.low = 1000;
	o.cli.warn = 2000;
	o.cli.high = 3000;
	CHECK_EQ(setup(&o), 0);
	step(100);
	memset(buf, 0, sizeof(buf));
	/* 4005 bytes unsent at once: above warn and above high */
	CHECK_EQ(ivxs_p2p_command(W.sides[CLI].session, IVXS_P2P_REQUEST, 0, buf, sizeof(buf), g_now), 0);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_WATERMARK_WARN], 1);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_WATERMARK_HIGH], 1);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_WATERMARK_LOW], 0);
	CHECK_EQ(chanStats(CLI, IVXS_P2P_CH_COMMAND).send_buffered, 4005);
	/* above high, the app-fed channel takes nothing more */
	CHECK_EQ(ivxs_p2p_command(W.sides[CLI].session, IVXS_P2P_REQUEST, 1, buf, sizeof(buf), g_now), IVXS_P2P_EAGAIN);
	/* staying above does not repeat the events */
	for (i = 0; i < 10; i++)
		ivxs_p2p_channel_stats_get(W.sides[CLI].session, IVXS_P2P_CH_COMMAND, NULL);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_WATERMARK_HIGH], 1);
	step(500);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_WATERMARK_LOW], 1);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_WATERMARK_WARN], 1);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_WATERMARK_HIGH], 1);
	CHECK_EQ(chanStats(CLI, IVXS_P2P_CH_COMMAND).send_buffered, 0);
	CHECK_EQ(W.sides[SRV].cmds, 1);
	/* the next crossing is reported again */
	CHECK_EQ(ivxs_p2p_command(W.sides[CLI].session, IVXS_P2P_REQUEST, 1, buf, 2500, g_now), 0);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_WATERMARK_WARN], 2);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_WATERMARK_HIGH], 1);
done:
	return;
}

/* The camera-wide uplink budget (ivxs_p2p_set_uplink) holds a stream that would take more
 * within it on an unlimited link, the session's own congestion control inside it; lifting it
 * lets the stream through again. Only the camera has one. */
static void test_uplink_budget(void)
{
	options o;
	uint64_t before, capped, free_bytes;
	memset(&o, 0, sizeof(o));
	o.delay_ms = 10;
	CHECK_EQ(setup(&o), 0);
	CHECK_EQ(ivxs_p2p_set_uplink(W.ep[CLI], 1000, g_now), IVXS_P2P_EARG);
	CHECK_EQ(ivxs_p2p_set_uplink(W.ep[SRV], 40000, g_now), 0);
	W.frame_interval = 33;
	W.gop = 30;
	W.key_bytes = 12000;
	W.delta_bytes = 3000;   /* about 100 KB/s */
	step(200);
	CHECK_EQ(startMedia(), 0);
	step(1000);   /* past the start-up */
	before = sessStats(SRV).bytes_sent;
	step(3000);
	capped = sessStats(SRV).bytes_sent - before;
	CHECK_EQ(ivxs_p2p_set_uplink(W.ep[SRV], 0, g_now), 0);
	step(1000);
	before = sessStats(SRV).bytes_sent;
	step(3000);
	free_bytes = sessStats(SRV).bytes_sent - before;
	NOTE("3 s within a 40000 B/s budget: %llu bytes; without it: %llu", (unsigned long long)capped, (unsigned long long)free_bytes);
	CHECK(capped <= 40000 * 3 + 2 * IVXS_P2P_MTU);
	CHECK(capped >= 40000 * 3 * 90 / 100);
	CHECK(free_bytes >= 40000 * 3 * 2);
done:
	return;
}

/* A camera and a viewer whose session shares a 100,000-B/s budget with `other`, another wire's
 * viewer (ivxs_p2p_share_uplink). */
static int sharedSetup(ivxs_uplink *uplink, ivxs_uplink_share *other)
{
	options o;
	int status;
	memset(&o, 0, sizeof(o));
	memset(other, 0, sizeof(*other));
	o.delay_ms = 10;
	if ((status = setup(&o)) != 0)
		return status;
	ivxs_uplink_init(uplink, g_now);
	ivxs_uplink_set_rate(uplink, 100000, g_now);
	if ((status = ivxs_p2p_share_uplink(W.ep[SRV], uplink)) != 0)
		return status;
	ivxs_uplink_attach(uplink, other, 1000, g_now);
	return 0;
}

/* `ms` of the world, `other` sending 10-kB frames whole as many as its part lets go (held back
 * when it has one more): the bytes it sent. */
static uint64_t greedyFor(ivxs_uplink_share *other, uint32_t ms)
{
	uint64_t sent = 0;
	uint32_t i;
	for (i = 0; i < ms; i++) {
		step(1);
		while (!ivxs_uplink_wait(other, 0, g_now)) {
			ivxs_uplink_charge(other, 10000, g_now);
			sent += 10000;
		}
		ivxs_uplink_held(other, g_now);
	}
	return sent;
}

/* A budget shared with another wire's viewer (ivxs_p2p_share_uplink): a session whose stream wants
 * less than an equal part gets all of it, and the other viewer — a greedy one sending frames whole —
 * what it leaves, not just an equal part; the two within the rate. */
static void test_uplink_shared(void)
{
	ivxs_uplink uplink;
	ivxs_uplink_share other;
	uint64_t before, native, greedy;
	CHECK_EQ(sharedSetup(&uplink, &other), 0);
	CHECK_EQ(ivxs_p2p_share_uplink(W.ep[CLI], &uplink), IVXS_P2P_EARG);
	W.frame_interval = 100;
	W.gop = 10;
	W.key_bytes = 12000;
	W.delta_bytes = 2000;   /* 30 KB/s: under an equal part (50 KB/s) */
	step(200);
	CHECK_EQ(startMedia(), 0);
	step(2000);   /* past the start-up */
	before = sessStats(SRV).bytes_sent;
	greedy = greedyFor(&other, 4000);
	native = sessStats(SRV).bytes_sent - before;
	NOTE("4 s within 100000 B/s: the session's 30 KB/s stream %llu bytes, the other viewer %llu; the part %llu B/s",
		(unsigned long long)native, (unsigned long long)greedy, (unsigned long long)ivxs_uplink_part(&other));
	CHECK_EQ(uplink.viewers, 2);
	CHECK(native >= 30000 * 4 * 90 / 100 && native <= 30000 * 4 * 120 / 100);   /* (all of its stream) */
	CHECK(ivxs_uplink_part(&other) >= 100000 * 60 / 100);   /* not an equal part: what the session leaves */
	CHECK(greedy >= 100000 * 4 * 60 / 100);
	CHECK(native + greedy <= 100000 * 4 + 100000);   /* the rate, and a second's burst of the other's part */
done:
	ivxs_uplink_detach(&other);
	teardown();
}

/* A session on a thin path beside a greedy viewer under one budget: its own congestion control
 * holds it to what its path takes, so the budget never holds it back — it does not count as
 * wanting more — and the greedy viewer gets what it leaves, not an equal part. */
static void test_uplink_thin_path(void)
{
	ivxs_uplink uplink;
	ivxs_uplink_share other;
	uint64_t before, native, greedy;
	CHECK_EQ(sharedSetup(&uplink, &other), 0);
	W.dir[CLI].bandwidth = 20000;   /* camera -> viewer: 20 kB/s, a fifth of the budget */
	W.frame_interval = 33;
	W.gop = 30;
	W.key_bytes = 12000;
	W.delta_bytes = 3000;   /* about 100 KB/s: more than its path and its equal part take */
	step(200);
	CHECK_EQ(startMedia(), 0);
	greedyFor(&other, 8000);   /* past the start-up: the session's rate settles at its path's */
	before = sessStats(SRV).bytes_sent;
	greedy = greedyFor(&other, 4000);
	native = sessStats(SRV).bytes_sent - before;
	NOTE("4 s within 100000 B/s: the session on a 20 kB/s path %llu bytes, the other viewer %llu; the part %llu B/s",
		(unsigned long long)native, (unsigned long long)greedy, (unsigned long long)ivxs_uplink_part(&other));
	CHECK(native <= 20000 * 4 * 110 / 100);   /* what its path takes */
	CHECK(native >= 20000 * 4 * 50 / 100);
	CHECK(ivxs_uplink_part(&other) >= 100000 * 70 / 100);   /* what the session leaves */
	CHECK(greedy >= 100000 * 4 * 65 / 100);
	CHECK(native + greedy <= 100000 * 4 + 100000);
done:
	ivxs_uplink_detach(&other);
	teardown();
}

/* The ticket's rights are enforced by the camera. */
static void test_rights(void)
{
	options o;
	static uint8_t buf[10], control[977];
	uint32_t i;
	memset(&o, 0, sizeof(o));
	o.rights = IVXS_P2P_RIGHT_PLAYBACK;
	CHECK_EQ(setup(&o), 0);
	step(100);
	memset(buf, 0, sizeof(buf));
	CHECK(W.sides[SRV].session);
	W.next_produce = g_now + 1;
	/* playback only, no command right: a request still reaches the app, which sees the session's
	 * rights and answers a refusal (a dropped request left the viewer waiting for a reply) */
	CHECK_EQ(ivxs_p2p_command(W.sides[CLI].session, IVXS_P2P_REQUEST, 0, buf, cmdLen(0), g_now), 0);
	step(200);
	CHECK_EQ(W.sides[SRV].cmds, 1);
	{
		ivxs_p2p_session_stats st;
		CHECK_EQ(ivxs_p2p_session_stats_get(W.sides[SRV].session, &st), 0);
		CHECK_EQ(st.rights, IVXS_P2P_RIGHT_PLAYBACK);
	}
	/* control (opening a stream) too; its reply comes back */
	for (i = 0; i < sizeof(control); i++)
		control[i] = (uint8_t)(1 + i);   /* the harness's pattern for id 1 */
	W.sides[SRV].next_cmd_id = 1;
	CHECK_EQ(ivxs_p2p_command(W.sides[CLI].session, IVXS_P2P_CONTROL, 1, control, cmdLen(1), g_now), 0);
	step(200);
	CHECK_EQ(W.sides[SRV].cmds, 2);
	CHECK_EQ(W.sides[SRV].cmd_bad, 0);
	W.sides[CLI].next_cmd_id = 1;
	CHECK_EQ(ivxs_p2p_command(W.sides[SRV].session, IVXS_P2P_CONTROL_REPLY, 1, control, cmdLen(1), g_now), 0);
	step(200);
	CHECK_EQ(W.sides[CLI].cmds, 1);
	/* a kind past CONTROL_REPLY is refused by the sender */
	CHECK_EQ(ivxs_p2p_command(W.sides[CLI].session, 5, 2, buf, 1, g_now), IVXS_P2P_EARG);
	teardown();
	o.rights = IVXS_P2P_RIGHT_COMMAND;
	CHECK_EQ(setup(&o), 0);
	W.key_bytes = W.delta_bytes = 320;   /* voice-sized: the camera reassembles frames up to 1200 bytes */
	step(100);
	W.producing = 1;
	W.next_produce = g_now + 1;
	step(50);
	CHECK_EQ(ivxs_p2p_ring_source_init(&W.rsrc, W.ring, RING_OFFSET, &W.src), 0);
	CHECK_EQ(ivxs_p2p_attach_frames(W.sides[SRV].session, &W.src), IVXS_P2P_ERIGHTS);
	/* voice without the talk right is not delivered */
	CHECK_EQ(ivxs_p2p_attach_frames(W.sides[CLI].session, &W.src), 0);
	step(500);
	CHECK_EQ(W.sides[SRV].frames, 0);
	CHECK(chanStats(CLI, IVXS_P2P_CH_VOICE).acked_bytes > 0);
done:
	return;
}

/* Talkback: voice frames from the viewer reach the camera. */
/* The viewer starts talking: 20 ms of G.711 a frame, from its ring. */
static void startTalking(void)
{
	W.key_bytes = W.delta_bytes = 320;
	W.frame_interval = 20;
	W.gop = 1;
	step(100);
	W.producing = 1;
	W.next_produce = g_now + 1;
	step(2);
	CHECK_EQ(ivxs_p2p_ring_source_init(&W.rsrc, W.ring, RING_OFFSET, &W.src), 0);
	CHECK_EQ(ivxs_p2p_attach_frames(W.sides[CLI].session, &W.src), 0);
done:
	return;
}

static void test_voice(void)
{
	options o;
	memset(&o, 0, sizeof(o));
	CHECK_EQ(setup(&o), 0);
	startTalking();
	step(2000);
	W.producing = 0;
	step(500);
	CHECK_EQ(W.sides[SRV].frame_bad, 0);
	CHECK_EQ(W.sides[SRV].frames, W.produced);
	CHECK(W.sides[SRV].frames >= 95);
	CHECK(W.sides[SRV].latency_max <= 60);
done:
	return;
}

/* The camera's talkback bytes come with the first voice frame: a viewer who never talks holds
 * none of them, one who talks holds them until the session ends, and with no memory for them
 * the voice is dropped, the session and its video going on, until there is. */
static size_t g_refuse_bytes;   /* an allocation of this size fails */
static void plainFree(void *p, void *ctx);

static void *refusingAlloc(size_t n, void *ctx)
{
	(void)ctx;
	return n == g_refuse_bytes ? NULL : malloc(n);
}

static void test_voice_arena(void)
{
	options o;
	ivxs_p2p_allocator a = { refusingAlloc, plainFree, NULL };
	size_t arena = 4 * 1200, quiet, before;
	memset(&o, 0, sizeof(o));
	o.srv.allocator = &a;
	g_refuse_bytes = arena;
	CHECK_EQ(setup(&o), 0);
	step(100);
	quiet = sessStats(SRV).footprint_bytes;
	startTalking();
	step(1000);
	CHECK_EQ(W.sides[SRV].frames, 0);   /* no memory for them: dropped */
	CHECK_EQ(sessStats(SRV).footprint_bytes, quiet);
	CHECK(W.sides[SRV].session && !W.sides[SRV].closed_at);   /* the session goes on */
	g_refuse_bytes = 0;
	before = W.produced;
	step(1000);
	W.producing = 0;
	step(1000);
	CHECK(W.sides[SRV].frames >= (W.produced - before) * 9 / 10);   /* heard again */
	CHECK_EQ(W.sides[SRV].frame_bad, 0);
	CHECK_EQ(sessStats(SRV).footprint_bytes, quiet + arena);
	NOTE("%zu bytes per viewer until it talks, %zu after; %u frames heard once there was memory (%u pushed then)",
			quiet, quiet + arena, W.sides[SRV].frames, (unsigned)(W.produced - before));
done:
	g_refuse_bytes = 0;
}

/* Audio has no key frames (the capture pushes it with key 0): a lost audio
 * frame costs that frame only. It used to take every later audio frame in
 * flight with it (waiting for an audio key frame that never comes) and send
 * the source to the next video key frame, skipping the video in between. */
static uint32_t g_audio_drop_until;
static int dropAudio(int dir, uint8_t *data, uint16_t *size)
{
	(void)dir;
	(void)data;
	/* packets of audio frames only (200 bytes each, one to four of them; a 1000-byte video frame
	 * or a key frame's chunk makes a packet of 1 000 bytes or more) */
	return !(P2P_LT(g_now, g_audio_drop_until) && *size > 200 && *size < 1000);
}

static void test_audio_independent(void)
{
	options o;
	ivxs_p2p_channel_stats st;
	uint32_t produced;
	memset(&o, 0, sizeof(o));
	o.srv.deadline_ms = 200;   /* the frames of the loss fit the sender's 16 slots */
	o.srv.deadline_max_ms = 200;   /* (not kept longer while repaired: then they would not) */
	CHECK_EQ(setup(&o), 0);
	W.audio_bytes = 200;   /* too large to share a packet with a 1000-byte video frame: it travels alone */
	W.delta_bytes = 1000;
	W.key_bytes = 18 * IVXS_P2P_CHUNK;   /* full chunks: no tail for an audio frame to share */
	step(100);
	CHECK_EQ(startMedia(), 0);
	step(1000);
	/* the audio of 250 ms is lost (more than the deadline: given up) */
	g_audio_drop_until = g_now + 250;
	W.dir[CLI].tamper = dropAudio;
	step(3000);
	W.producing = 0;
	step(1000);
	produced = W.produced;
	st = chanStats(SRV, IVXS_P2P_CH_MEDIA);
	NOTE("delivered %u of %u, given up %llu, skipped %llu", W.sides[CLI].frames,
			produced, (unsigned long long)st.frames_given_up, (unsigned long long)st.frames_skipped);
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
	CHECK(st.frames_given_up > 0);             /* the audio frames of the window */
	CHECK(st.frames_given_up <= 25);
	CHECK_EQ(st.frames_skipped, 0);            /* nothing taken with them */
	CHECK(W.sides[SRV].session->ftx.feed->keyed);   /* no wait for a key frame: the video went on */
	/* (the viewer, which never saw the lost frames' stream, still holds back the video's P frames up
	 * to the next key frame: a frame of which nothing arrived could have been video) */
	CHECK(W.sides[CLI].frames + st.frames_given_up + W.gop >= produced);
done:
	W.dir[CLI].tamper = NULL;
	return;
}

/* A camera's microphone beside its video: 15 fps video (56 KB key frames every 2 s, 4 KB P
 * frames) and three 256-byte audio frames after each video frame (45 frames/s; AAC at 48 kHz
 * is 47) on a link 1.25x the stream with 2 % loss, 60 ms RTT. Frames in flight are counted,
 * and a lost chunk holds them until it is repaired (an RTT and the queue): with 16 slots at the
 * camera and 8 at the viewer, 8 frames (133 ms of this stream) could not cover a key frame's
 * 460 ms on the link, and the frames waiting behind them were skipped. The defaults are 32
 * each now, and audio frames share packets (before: 79 of 1 196 frames delivered, and 2 618
 * packets for 2 573 chunks; after: all, in 2 013 packets). */
static void test_audio_beside_video(void)
{
	options o;
	ivxs_p2p_session_stats ss;
	uint32_t i, produced;
	memset(&o, 0, sizeof(o));
	o.delay_ms = 30;
	CHECK_EQ(setup(&o), 0);
	W.dir[CLI].bandwidth = W.dir[SRV].bandwidth = 122000;
	W.dir[CLI].queue_bytes = W.dir[SRV].queue_bytes = 61000;
	W.dir[CLI].loss_permille = W.dir[SRV].loss_permille = 20;
	W.frame_interval = 67;
	W.gop = 120;   /* (produce() numbers audio frames too: a key frame every 30 video frames) */
	W.key_bytes = 56000;
	W.delta_bytes = 4000;
	W.audio_bytes = 256;
	W.audio_per_frame = 3;
	step(200);
	CHECK_EQ(startMedia(), 0);
	for (i = 0; i < 20; i++)
		step(1000);
	W.producing = 0;
	step(2000);
	produced = W.produced;
	ss = sessStats(SRV);
	NOTE("%u of %u frames delivered, latency mean %u ms, max %u ms; %llu packets sent", W.sides[CLI].frames, produced,
			W.sides[CLI].frames ? (unsigned)(W.sides[CLI].latency_sum / W.sides[CLI].frames) : 0, W.sides[CLI].latency_max,
			(unsigned long long)ss.packets_sent);
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
	CHECKF(W.sides[CLI].frames >= produced * 9 / 10, "%u of %u frames delivered", W.sides[CLI].frames, produced);
	{
		/* the audio frames waiting behind a chunk ride in its packet: fewer packets than the
		 * frames' chunks would take alone (retransmissions included) */
		uint32_t video = produced / 4, keys = (video + 29) / 30, chunks = (uint32_t)(keys * ((56000 + IVXS_P2P_CHUNK - 1) / IVXS_P2P_CHUNK)
				+ (video - keys) * ((4000 + IVXS_P2P_CHUNK - 1) / IVXS_P2P_CHUNK) + (produced - video));
		CHECKF(ss.packets_sent * 100 < (uint64_t)chunks * 85, "%llu packets for %u chunks", (unsigned long long)ss.packets_sent, chunks);
	}
done:
	return;
}

/* ms milliseconds of a driver that ticks each side only when the delay it
 * returned has passed, a datagram came in, or (camera) a frame landed in the
 * ring. (Its own function: callgrind --toggle-collect=scheduledRun measures it.) */
static __attribute__((noinline)) void scheduledRun(uint32_t ms, uint32_t ticks[2])
{
	uint32_t due[2], seen[2], i, k;
	seen[0] = W.inputs[0];
	seen[1] = W.inputs[1];
	due[0] = due[1] = g_now;
	for (i = 0; i < ms; i++) {
		uint32_t made = W.produced;
		g_now++;
		if (W.producing && P2P_GE(g_now, W.next_produce)) {
			produce();
			W.next_produce += W.frame_interval;
		}
		deliver();
		if (W.produced != made)
			due[SRV] = g_now;   /* the ring's wake-up */
		for (k = 0; k < 2; k++) {
			if (W.inputs[k] != seen[k])
				due[k] = g_now;
			seen[k] = W.inputs[k];
			if (P2P_GE(g_now, due[k])) {
				due[k] = g_now + (k == SRV ? tickCamera() : tickViewer());
				ticks[k]++;
			}
		}
	}
}

/* The tick schedule: a driver that calls tick only when the delay it returned
 * has passed, a datagram came in, or a frame landed in the ring (as the bench
 * driver and an event loop do) ticks about once per frame on a thin stream,
 * and the stream still arrives whole. With the old fixed 10-ms look at the
 * source it ticked at least 100 times a second. */
static void test_tick_schedule(void)
{
	options o;
	uint32_t ticks[2] = { 0, 0 }, ms = 5000, produced0, frames, mean, lossy_ticks, lossy_worst;
	uint64_t sent0;
	memset(&o, 0, sizeof(o));
	o.delay_ms = 30;
	CHECK_EQ(setup(&o), 0);
	W.key_bytes = 6000;        /* ~105 kbit/s as the bench's thin fixture: 15 fps, a 2-s GOP */
	W.delta_bytes = 700;
	W.frame_interval = 66;
	step(100);
	CHECK_EQ(startMedia(), 0);
	step(1000);
	produced0 = W.produced;
	sent0 = sessStats(SRV).bytes_sent;
	W.sides[CLI].frames = 0;
	scheduledRun(ms, ticks);
	sent0 = sessStats(SRV).bytes_sent - sent0;
	W.producing = 0;
	step(1000);
	NOTE("ticks per second: camera %u, viewer %u (%u frames of %u; camera sent %llu bytes)", ticks[SRV] * 1000 / ms,
			ticks[CLI] * 1000 / ms, W.sides[CLI].frames, W.produced - produced0,
			(unsigned long long)sent0);
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
	CHECK(W.sides[CLI].frames + 1 >= W.produced - produced0);
	CHECK(ticks[SRV] * 1000 / ms <= 40);
	CHECK(ticks[CLI] * 1000 / ms <= 40);
	/* with loss: a packet behind an acknowledged one is lost at 9/8 SRTT of age, a deadline the
	 * tick must come back for (without it the loss waited for the RTO, and every later frame
	 * with it: the frames are delivered in order) */
	W.producing = 1;
	W.next_produce = g_now + 1;
	W.dir[CLI].loss_permille = 50;
	W.sides[CLI].latency_max = 0;
	ticks[SRV] = ticks[CLI] = 0;
	scheduledRun(ms, ticks);
	lossy_ticks = ticks[SRV] * 1000 / ms;
	lossy_worst = W.sides[CLI].latency_max;
	CHECK(W.sides[CLI].latency_max <= 200);
	/* on a link at 1.25x the stream, where pacing holds frames back: a frame announced while
	 * pacing waits is sent when pacing allows, not at the next acknowledgement */
	W.dir[CLI].loss_permille = 0;
	W.dir[CLI].bandwidth = 16400;
	W.dir[CLI].queue_bytes = 15000;
	step(3000);
	W.sides[CLI].latency_sum = 0;
	frames = W.sides[CLI].frames;
	scheduledRun(ms, ticks);
	frames = W.sides[CLI].frames - frames;
	mean = frames ? (uint32_t)(W.sides[CLI].latency_sum / frames) : 0;
	NOTE("at 5 %% loss: %u ticks/s, worst frame latency %u ms; at 1.25x the stream: mean latency %u ms (%u frames)", lossy_ticks,
			lossy_worst, mean, frames);
	if (getenv("P2P_DEBUG"))
		fprintf(stderr, "1.25x: mean %u ms over %u frames, worst %u\n", mean, frames, W.sides[CLI].latency_max);
	CHECK(frames >= 70);
	CHECK(mean <= 300);   /* (252 ms with a tick every millisecond: the same) */
done:
	return;
}

/* Congestion control on a 300 KB/s bottleneck with a 30 KB queue: a sender
 * with more to send than the link takes fills it without building a long
 * queue, and random loss does not collapse it. */
static void ccOver(uint32_t loss, uint32_t *goodput, uint32_t *srtt)
{
	options o;
	ivxs_p2p_channel_stats st0, st1;
	ivxs_p2p_session_stats ss;
	memset(&o, 0, sizeof(o));
	o.srv.deadline_ms = 3000;
	o.srv.max_in_flight = 256;
	o.delay_ms = 30;
	CHECK_EQ(setup(&o), 0);
	W.dir[CLI].bandwidth = 300000;
	W.dir[CLI].queue_bytes = 30000;
	W.dir[CLI].loss_permille = loss;
	W.key_bytes = W.delta_bytes = 40000;   /* 1.2 MB/s offered: 4x the link */
	W.gop = 1;
	step(100);
	CHECK_EQ(startMedia(), 0);
	stepTraced(3000);
	st0 = chanStats(SRV, IVXS_P2P_CH_MEDIA);
	stepTraced(5000);
	st1 = chanStats(SRV, IVXS_P2P_CH_MEDIA);
	ss = sessStats(SRV);
	*goodput = (uint32_t)((st1.acked_bytes - st0.acked_bytes) / 5);
	*srtt = ss.srtt_ms;
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
done:
	return;
}

static void test_cc_bottleneck(void)
{
	uint32_t goodput = 0, srtt = 0, lossy = 0, lossy_srtt = 0;
	ccOver(0, &goodput, &srtt);
	CHECK(!ivxs_test_failing);
	teardown();
	ccOver(50, &lossy, &lossy_srtt);
	CHECK(!ivxs_test_failing);
	if (getenv("P2P_DEBUG"))
		fprintf(stderr, "goodput %u srtt %u lossy %u srtt %u\n", goodput, srtt, lossy, lossy_srtt);
	NOTE("goodput %u B/s clean (srtt %u ms), %u B/s with 5%% loss (srtt %u ms), link 300000 B/s", goodput, srtt, lossy,
			lossy_srtt);
	CHECK(goodput >= 300000 * 70 / 100);
	CHECK(srtt <= 60 + 150);
	CHECK(lossy >= 300000 * 50 / 100);
done:
	return;
}

/* A thin link (a little above the stream, as the benchmark's) with no loss: a
 * key frame's chunks wait in the bottleneck queue longer than the RTO derived
 * from the small frames' RTT, while acknowledgements of the packets ahead of
 * them keep arriving. The retransmission timer restarts on every ACK of new
 * packets (RFC 6298 5.3), so nothing is declared lost and nothing is sent
 * twice; before, each packet timed out by its own age and the spurious
 * retransmissions took the link's headroom (the benchmark gave frames up). */
/* A 15 fps, GOP 15 stream on a 17 KB/s link both ways (60 ms RTT) for `ms`, then drained;
 * the camera's media and session stats after. */
static int thinLink(uint32_t key_bytes, uint32_t delta_bytes, uint32_t queue_bytes, uint32_t ms,
		ivxs_p2p_channel_stats *st, ivxs_p2p_session_stats *ss)
{
	options o;
	int status;
	memset(&o, 0, sizeof(o));
	o.delay_ms = 30;
	if ((status = setup(&o)) != 0)
		return status;
	W.dir[CLI].bandwidth = W.dir[SRV].bandwidth = 17000;
	W.dir[CLI].queue_bytes = W.dir[SRV].queue_bytes = queue_bytes;
	W.frame_interval = 67;
	W.gop = 15;
	W.key_bytes = key_bytes;
	W.delta_bytes = delta_bytes;
	step(200);
	if ((status = startMedia()) != 0)
		return status;
	stepTraced(ms);
	W.producing = 0;
	step(3000);
	*st = chanStats(SRV, IVXS_P2P_CH_MEDIA);
	*ss = sessStats(SRV);
	return 0;
}

/* Overload: 4 000-byte key frames and 1 300-byte P frames at 15 fps (22 KB/s) on a 17 KB/s
 * link. A P frame that cannot reach the viewer before its deadline is not sent at all (counted
 * skipped), so the link carries what can still make it: the next key frame. Before, each such
 * frame went out, was given up half-way, and delayed the key frame behind it. */
static void test_doomed_not_sent(void)
{
	ivxs_p2p_channel_stats st;
	ivxs_p2p_session_stats ss;
	CHECK_EQ(thinLink(4000, 1300, 15000, 10000, &st, &ss), 0);
	NOTE("%u of %u frames delivered (%u key), %llu given up, %llu skipped (+%llu in the ring), latency max %u ms",
			W.sides[CLI].frames, W.produced, W.sides[CLI].keys, (unsigned long long)st.frames_given_up,
			(unsigned long long)st.frames_skipped, (unsigned long long)W.rsrc.skipped, W.sides[CLI].latency_max);
	/* before: 82 of 150 (the P frames given up half-way took the key frames' link time) */
	CHECKF(W.sides[CLI].frames >= 90, "%u of %u frames delivered", W.sides[CLI].frames, W.produced);
	CHECK(st.frames_skipped > 0);
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
done:
	return;
}

/* A video sender is limited by its encoder nearly all the time: only its key frames' first
 * packets measure the path. Its startup (pacing at 2.89 x the estimate) must still end once
 * the estimate stops growing, or every key frame floods the bottleneck queue at 2.89 x and the
 * repairs behind it wait there (p2p_sim: fixture 5 % 90.8 -> 91.3 %, 0.8x key frames' p50
 * 540 -> 407 ms). Before, rounds that ended on an app-limited packet did not count, and a
 * 114 kbit/s stream stayed in startup for more than 4 s (here: all 6 s). */
static void test_cc_startup_ends_app_limited(void)
{
	ivxs_p2p_channel_stats st;
	ivxs_p2p_session_stats ss;
	CHECK_EQ(thinLink(4000, 850, 15000, 6000, &st, &ss), 0);
	NOTE("bandwidth %llu B/s, pacing %llu B/s", (unsigned long long)ss.bandwidth, (unsigned long long)ss.pacing_rate);
	CHECK(ss.bandwidth >= 15000 && ss.bandwidth <= 17500);
	CHECKF(ss.pacing_rate <= ss.bandwidth * 5 / 4, "pacing %llu B/s, bandwidth %llu B/s: still in startup",
			(unsigned long long)ss.pacing_rate, (unsigned long long)ss.bandwidth);
	CHECK_EQ(W.sides[CLI].frames, W.produced);
done:
	return;
}

static void test_no_spurious_timeouts(void)
{
	ivxs_p2p_channel_stats st;
	ivxs_p2p_session_stats ss;
	/* 4000 + 14 x 850 bytes a second (15.9 KB/s) */
	CHECK_EQ(thinLink(4000, 850, 15000, 10000, &st, &ss), 0);
	NOTE("%u frames, %llu packets lost, %llu retransmits, srtt %u rto %u, %llu link drops", W.sides[CLI].frames,
			(unsigned long long)ss.packets_lost, (unsigned long long)st.retransmits, ss.srtt_ms, ss.rto_ms,
			(unsigned long long)W.dir[CLI].dropped);
	CHECK_EQ(W.dir[CLI].dropped, 0);
	CHECK_EQ(ss.packets_lost, 0);
	CHECK_EQ(st.retransmits, 0);
	CHECK_EQ(st.frames_given_up, 0);
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
done:
	return;
}

/* Memory per viewer on the camera: connected, then with a command under way. */
static void test_memory(void)
{
	options o;
	ivxs_p2p_session_stats st;
	ivxs_p2p_stats es;
	size_t steady;
	static uint8_t buf[IVXS_P2P_MAX_COMMAND];
	memset(&o, 0, sizeof(o));
	CHECK_EQ(setup(&o), 0);
	step(100);
	CHECK_EQ(ivxs_p2p_session_stats_get(W.sides[SRV].session, &st), 0);
	steady = st.footprint_bytes;
	ivxs_p2p_stats_get(W.ep[SRV], &es);
	/* 4 sessions' pools, all at creation */
	CHECK(es.footprint_bytes >= 4 * steady);
	CHECK(steady <= 16 * 1024);
	memset(buf, 0, sizeof(buf));
	W.sides[SRV].reply = 1;
	W.dir[CLI].blocked = 1;   /* the reply stays buffered */
	CHECK_EQ(ivxs_p2p_command(W.sides[CLI].session, IVXS_P2P_REQUEST, 0, buf, cmdLen(0), g_now), 0);
	step(100);
	CHECK_EQ(ivxs_p2p_session_stats_get(W.sides[SRV].session, &st), 0);
	NOTE("camera per viewer: %zu bytes steady, %zu with a command under way (endpoint of 4: %zu)", steady,
			st.footprint_bytes, es.footprint_bytes);
done:
	return;
}

/* Allocation failures at creation leave nothing behind (ASan checks leaks). */
static int g_fail_after;

static void *failingAlloc(size_t n, void *ctx)
{
	(void)ctx;
	return g_fail_after-- > 0 ? malloc(n) : NULL;
}

static void plainFree(void *p, void *ctx)
{
	(void)ctx;
	free(p);
}

static void test_create_failures(void)
{
	ivxs_p2p_config c;
	ivxs_p2p_allocator a = { failingAlloc, plainFree, NULL };
	ivxs_p2p *p = NULL;
	int i, status = -1;
	memset(&c, 0, sizeof(c));
	c.role = IVXS_P2P_SERVER;
	c.device_secret = kSecret;
	c.device_secret_len = 8;
	c.cb.send = cbSend;
	c.cb.random = testRandom;
	c.allocator = &a;
	for (i = 0; i < 40 && status != 0; i++) {
		g_fail_after = i;
		status = ivxs_p2p_create(&p, &c);
		CHECK(status == 0 || status == IVXS_P2P_ENOMEM);
		CHECK(status == 0 || p == NULL);
	}
	CHECK_EQ(status, 0);
	ivxs_p2p_destroy(&p);
	CHECK(p == NULL);
	c.cb.random = NULL;
	CHECK_EQ(ivxs_p2p_create(&p, &c), IVXS_P2P_EARG);
	c.cb.random = testRandom;
	c.max_in_flight = 4;
	CHECK_EQ(ivxs_p2p_create(&p, &c), IVXS_P2P_EARG);
	c.max_in_flight = 0;
	c.tx_frames = 10;   /* frame numbers wrap: slots must be a power of two */
	CHECK_EQ(ivxs_p2p_create(&p, &c), IVXS_P2P_EARG);
	c.tx_frames = 32;
	c.rx_frames = 6;
	CHECK_EQ(ivxs_p2p_create(&p, &c), IVXS_P2P_EARG);
	c.rx_frames = 0;
	c.deadline_ms = 600;
	c.deadline_max_ms = 500;   /* the adaptive deadline never shortens it */
	CHECK_EQ(ivxs_p2p_create(&p, &c), IVXS_P2P_EARG);
done:
	ivxs_p2p_destroy(&p);
}

/* ACK ranges survive the trip through the wire format. */
static void test_ack_codec(void)
{
	p2p_rel r;
	p2p_sent sent[8];
	p2p_ack a, b;
	p2p_item it;
	uint8_t buf[64];
	size_t n, pos = 0;
	uint32_t pns[] = { 1000, 1001, 1002, 1005, 1006, 1010, 1100, 1127 }, i;
	memset(&r, 0, sizeof(r));
	r.sent = sent;
	r.nsent = 8;
	p2p_rel_init(&r, g_base);
	for (i = 0; i < sizeof(pns) / sizeof(pns[0]); i++)
		p2p_rel_rx_mark(&r, pns[i], 1, g_base);
	CHECK_EQ(p2p_rel_rx_check(&r, 1005), IVXS_P2P_EREPLAY);
	CHECK_EQ(p2p_rel_rx_check(&r, 1004), 0);
	CHECK_EQ(p2p_rel_rx_check(&r, 999), IVXS_P2P_EREPLAY);   /* 128 behind: too old */
	CHECK_EQ(p2p_rel_ack_build(&r, g_base + 3, &a), 1);
	CHECK_EQ(a.delay_ms, 3);
	CHECK_EQ(a.nranges, 4);   /* 5 ranges: the first and 4 more */
	n = p2p_wire_ack(buf, &a);
	CHECK_EQ(p2p_wire_next(buf, n, &pos, &it), 1);
	CHECK_EQ(pos, n);
	b = it.ack;
	CHECK_EQ(b.nranges, a.nranges);
	for (i = 0; i <= a.nranges; i++) {
		CHECK_EQ(b.lo[i], a.lo[i]);
		CHECK_EQ(b.hi[i], a.hi[i]);
	}
	CHECK_EQ(b.lo[4], 1000);
	CHECK_EQ(b.hi[4], 1002);
	CHECK_EQ(b.hi[0], 1127);
	/* a range reaching below packet 0 is malformed */
	a.largest = a.hi[0] = 5;
	a.lo[0] = 0;
	a.nranges = 0;
	n = p2p_wire_ack(buf, &a);
	buf[8] = 6;
	pos = 0;
	CHECK(p2p_wire_next(buf, n, &pos, &it) < 0);
done:
	return;
}

/* The handshake's round trip seeds the RTO on both sides: the first loss is timed by the path
 * (40 ms here), not by the 300 ms default. */
static void test_handshake_rtt(void)
{
	options o;
	ivxs_p2p_session_stats st;
	memset(&o, 0, sizeof(o));
	CHECK_EQ(setup(&o), 0);
	step(45);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_CONNECTED], 1);
	CHECK_EQ(ivxs_p2p_session_stats_get(W.sides[CLI].session, &st), 0);
	NOTE("viewer: srtt %u rto %u", st.srtt_ms, st.rto_ms);
	CHECK(st.rto_ms < 200);
	step(25);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CONNECTED], 1);
	CHECK_EQ(ivxs_p2p_session_stats_get(W.sides[SRV].session, &st), 0);
	NOTE("viewer: srtt %u rto %u; camera: srtt %u rto %u", sessStats(CLI).srtt_ms, sessStats(CLI).rto_ms, st.srtt_ms,
			st.rto_ms);
	CHECK(st.rto_ms < 200);
done:
	return;
}


/* ------------------------------------------------------------------------ */
/* Issue 19 §1: defects found by independent tests, each test failing on the old code */

/* The handshake deadline holds to the tick the core asks for: the viewer is told
 * ETIMEOUT at its setting, not at the next hello after it (was 2.75 s for 2 s: the
 * wait before the next hello ignored the deadline). The driver sleeps exactly as long
 * as tick() asks. */
static void test_handshake_deadline(void)
{
	options o;
	uint32_t start, n;
	memset(&o, 0, sizeof(o));
	o.cli.handshake_timeout_ms = 2000;
	CHECK_EQ(setup(&o), 0);
	W.dir[SRV].blocked = 1;   /* the camera never hears the hello */
	start = g_now;
	for (n = 0; n < 100 && !W.sides[CLI].events[IVXS_P2P_EV_CLOSED]; n++)
		g_now += ivxs_p2p_tick(W.ep[CLI], g_now);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_CLOSED], 1);
	CHECK_EQ(W.sides[CLI].closed_status, IVXS_P2P_ETIMEOUT);
	NOTE("timed out %d ms after connect (setting 2000)", P2P_DIFF(W.sides[CLI].closed_at, start));
	CHECK(P2P_DIFF(W.sides[CLI].closed_at, start) >= 2000);
	CHECKF(P2P_DIFF(W.sides[CLI].closed_at, start) <= 2010, "timed out after %d ms (setting 2000)",
			P2P_DIFF(W.sides[CLI].closed_at, start));
done:
	return;
}

/* The path's delay rises (RTT 2 -> 80 ms, a route change) on a path with room: the
 * minimum RTT is a windowed minimum (10 s, as BBR's), so the delay check stops
 * reading the new propagation delay as a queue. Before, the minimum never expired and
 * the sender stayed in drain (gain 0.75) for good, its rate collapsing. */
/* The congestion control alone, fed a path that delivers 1 000 bytes a millisecond with a 50-ms
 * RTT to a sender that always has more: once it probes for bandwidth (ProbeBW), the phase after
 * each probe drains what the probe queued. Over the two phases it sends no more than the path
 * carries (probe + drain gains <= 2): a backlogged video sender (a key frame, the frames behind
 * it) keeps no standing queue at the bottleneck, where a repair would wait behind it. Before,
 * the drain phase was 0.9 x: 1.25 + 0.9 left 15 % of an RTT queued per cycle (p2p_sim: camera
 * 1.25x 5 % 87.0 -> 87.6 % decodable). */
static void test_cc_probe_drained(void)
{
	p2p_cc cc;
	p2p_cc_packet q[50];
	uint64_t rate[8] = { 0 };
	uint32_t t, now, in_flight = 0;
	p2p_cc_init(&cc, g_base);
	memset(q, 0, sizeof(q));
	for (t = 0; t < 3000; t++) {
		p2p_cc_packet *p = &q[t % 50];
		now = g_base + t;
		if (t >= 50) {   /* the packet sent 50 ms ago is acknowledged */
			in_flight -= p->bytes;
			p2p_cc_on_ack(&cc, p, in_flight, 50, 50, now);
			if (cc.mode == 2 && cc.pacing_rate > rate[cc.cycle])
				rate[cc.cycle] = cc.pacing_rate;
		}
		memset(p, 0, sizeof(*p));
		p->sent_ms = now;
		p->bytes = 1000;
		p2p_cc_on_send(&cc, p, 1000, in_flight, now);
		in_flight += 1000;
	}
	NOTE("bottleneck %llu B/s, pacing %llu B/s probing, %llu B/s draining, %llu B/s cruising",
			(unsigned long long)cc.btl_bw, (unsigned long long)rate[0], (unsigned long long)rate[1],
			(unsigned long long)rate[2]);
	CHECKF(cc.btl_bw >= 990000 && cc.btl_bw <= 1010000, "bottleneck %llu B/s", (unsigned long long)cc.btl_bw);
	CHECK(rate[0] > cc.btl_bw && rate[2] > 0);
	CHECKF(rate[0] + rate[1] <= 2 * cc.btl_bw, "probe %llu + drain %llu B/s > 2 x %llu", (unsigned long long)rate[0],
			(unsigned long long)rate[1], (unsigned long long)cc.btl_bw);
done:
	return;
}

/* A packet keeps the CC's delivery count modulo 2^32 (p2p_cc_packet.delivered): a session that has
 * delivered 4 GiB (9.5 hours at 1 Mbit/s) measures its bottleneck and counts its rounds as one just
 * begun — the same path, the count started just short of the wrap, the same figures. */
static void ccRun(uint64_t delivered_from, uint64_t *btl_bw, uint32_t *rounds)
{
	p2p_cc cc;
	p2p_cc_packet q[50];
	uint32_t t, now, in_flight = 0;
	p2p_cc_init(&cc, g_base);
	cc.delivered = cc.round_end_delivered = delivered_from;
	memset(q, 0, sizeof(q));
	for (t = 0; t < 3000; t++) {
		p2p_cc_packet *p = &q[t % 50];
		now = g_base + t;
		if (t >= 50) {
			in_flight -= p->bytes;
			p2p_cc_on_ack(&cc, p, in_flight, 50, 50, now);
		}
		memset(p, 0, sizeof(*p));
		p->sent_ms = now;
		p->bytes = 1000;
		p2p_cc_on_send(&cc, p, 1000, in_flight, now);
		in_flight += 1000;
	}
	*btl_bw = cc.btl_bw;
	*rounds = cc.round;
}

static void test_cc_delivered_wraps(void)
{
	uint64_t btl[2];
	uint32_t rounds[2];
	ccRun(0, &btl[0], &rounds[0]);
	ccRun(((uint64_t)1 << 32) - 1500000, &btl[1], &rounds[1]);   /* wraps after 1.5 s of the 3 */
	NOTE("bottleneck %llu / %llu B/s, rounds %u / %u", (unsigned long long)btl[0], (unsigned long long)btl[1],
			(unsigned)rounds[0], (unsigned)rounds[1]);
	CHECK(btl[0] >= 990000 && btl[0] <= 1010000);
	CHECK(btl[1] == btl[0] && rounds[1] == rounds[0]);
done:
	return;
}

static void test_cc_rtt_rise(void)
{
	options o;
	ivxs_p2p_channel_stats st0, st1;
	ivxs_p2p_session_stats ss;
	uint32_t goodput;
	memset(&o, 0, sizeof(o));
	o.srv.deadline_ms = 3000;
	o.srv.max_in_flight = 256;
	o.delay_ms = 1;
	CHECK_EQ(setup(&o), 0);
	W.key_bytes = W.delta_bytes = 20000;   /* 600 KB/s offered, an unlimited path */
	W.gop = 1;
	step(100);
	CHECK_EQ(startMedia(), 0);
	stepTraced(3000);
	W.dir[CLI].delay_ms = W.dir[SRV].delay_ms = 40;
	stepTraced(15000);
	st0 = chanStats(SRV, IVXS_P2P_CH_MEDIA);
	stepTraced(5000);
	st1 = chanStats(SRV, IVXS_P2P_CH_MEDIA);
	ss = sessStats(SRV);
	goodput = (uint32_t)((st1.acked_bytes - st0.acked_bytes) / 5);
	NOTE("15-20 s after the rise: goodput %u B/s of 600000 offered, pacing %llu B/s, min RTT %u, srtt %u", goodput,
			(unsigned long long)ss.pacing_rate, ss.min_rtt_ms, ss.srtt_ms);
	CHECKF(goodput >= 600000 * 90 / 100, "goodput %u B/s, pacing %llu B/s, min RTT %u ms, srtt %u ms", goodput,
			(unsigned long long)ss.pacing_rate, ss.min_rtt_ms, ss.srtt_ms);
	CHECK(ss.min_rtt_ms >= 70);
	CHECK_EQ(st1.frames_given_up - st0.frames_given_up, 0);
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
done:
	return;
}

/* A thin link a little above the stream (15 KB/s with 8 KB key frames on 17 KB/s), no
 * loss: a key frame's own burst queues at the bottleneck, and that delay is not
 * congestion (it is explained by the bytes the sender itself has in flight ahead of
 * each packet). Before, srtt - min RTT kept the sender in drain and frames were given
 * up without any loss. */
static void test_cc_key_burst(void)
{
	ivxs_p2p_channel_stats st;
	ivxs_p2p_session_stats ss;
	CHECK_EQ(thinLink(8000, 500, 30000, 20000, &st, &ss), 0);
	NOTE("%u of %u frames, %llu given up, %llu skipped, %llu lost, pacing %llu B/s, latency max %u ms", W.sides[CLI].frames,
			W.produced, (unsigned long long)st.frames_given_up, (unsigned long long)st.frames_skipped,
			(unsigned long long)ss.packets_lost, (unsigned long long)ss.pacing_rate, W.sides[CLI].latency_max);
	CHECK_EQ(W.dir[CLI].dropped, 0);
	CHECKF(st.frames_given_up + st.frames_skipped + W.rsrc.skipped == 0 && W.sides[CLI].frames == W.produced,
			"%u of %u frames, %llu given up, %llu skipped, pacing %llu B/s", W.sides[CLI].frames, W.produced,
			(unsigned long long)st.frames_given_up, (unsigned long long)(st.frames_skipped + W.rsrc.skipped),
			(unsigned long long)ss.pacing_rate);
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
done:
	return;
}

/* The adaptive deadline: a 15 fps stream (20 KB key frames, 2 KB P frames) on a 40-ms path
 * with room to spare; once armed, the link drops the next `drops` copies of a key frame's
 * last chunk (its 416 bytes are the only packets of that size), so that key frame is
 * repaired late while everything else flows. */
static uint32_t g_tail_drops;

static int dropKeyTail(int dir, uint8_t *data, uint16_t *size)
{
	(void)dir;
	(void)data;
	if (g_tail_drops && *size > 416 && *size < 416 + 80) {
		g_tail_drops--;
		return 0;
	}
	return 1;
}

static int keyTailLost(uint32_t deadline_max_ms, uint32_t drops, ivxs_p2p_channel_stats *st)
{
	options o;
	int status;
	memset(&o, 0, sizeof(o));
	o.srv.deadline_max_ms = deadline_max_ms;
	if ((status = setup(&o)) != 0)
		return status;
	W.frame_interval = 67;
	W.gop = 15;
	W.dir[CLI].tamper = dropKeyTail;
	step(100);
	if ((status = startMedia()) != 0)
		return status;
	step(1500);
	g_tail_drops = drops;
	step(3000);
	W.producing = 0;
	step(1000);
	*st = chanStats(SRV, IVXS_P2P_CH_MEDIA);
	return 0;
}

/* Nine copies of its last chunk lost: its repair ends between 600 and 800 ms after capture;
 * kept, as the sender is not behind the link, and no frame is lost. Before (the deadline
 * fixed at 600 ms, as with deadline_max_ms = deadline_ms) the key frame was given up with
 * the 7 frames after it that depend on it (53 of 68 frames delivered). */
static void test_adaptive_deadline(void)
{
	ivxs_p2p_channel_stats st;
	CHECK_EQ(keyTailLost(0, 9, &st), 0);
	NOTE("%u of %u frames, %llu given up, %llu skipped, %u gaps, latency max %u ms", W.sides[CLI].frames, W.produced,
			(unsigned long long)st.frames_given_up, (unsigned long long)(st.frames_skipped + W.rsrc.skipped),
			W.sides[CLI].gaps, W.sides[CLI].latency_max);
	CHECKF(st.frames_given_up + st.frames_skipped + W.rsrc.skipped == 0 && W.sides[CLI].frames == W.produced,
			"%u of %u frames, %llu given up, %llu skipped", W.sides[CLI].frames, W.produced, (unsigned long long)st.frames_given_up,
			(unsigned long long)(st.frames_skipped + W.rsrc.skipped));
	CHECKF(W.sides[CLI].latency_max > 600 && W.sides[CLI].latency_max <= 800, "latency max %u ms", W.sides[CLI].latency_max);
	CHECK_EQ(g_tail_drops, 0);
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
done:
	return;
}

/* Feeds the viewer's media receiver one whole frame k (numbered as fillFrame does) of
 * `size` bytes, the sender's floor on every chunk: the receiver as a unit. */
static void feedFrame(uint32_t k, uint32_t size, int key, uint32_t floor)
{
	static uint8_t buf[64 * 1024];
	p2p_frame_chunk c;
	uint32_t off;
	fillFrame(buf, k, size);
	memset(&c, 0, sizeof(c));
	c.chan = IVXS_P2P_CH_MEDIA;
	c.seq = k;
	c.key = (uint8_t)key;
	c.flags = IVXS_FRAME_VIDEO;
	c.total = size;
	c.floor = floor;
	for (off = 0; off < size; off += IVXS_P2P_CHUNK) {
		c.off = off;
		c.len = size - off < IVXS_P2P_CHUNK ? size - off : IVXS_P2P_CHUNK;
		c.data = buf + off;
		p2p_chan_on_frame(W.sides[CLI].session, &c);
	}
}

/* One P frame is lost and the sender gives it up (with its dependents up to the next
 * key frame); the key frame after it and the frames after that arrived whole. The floor
 * then passes them all at once: the viewer delivers the key frame and what follows, and
 * drops only the dependents of the lost frame. Before, every frame below the floor was
 * discarded, the whole key frame included, while the camera counted them sent. */
static void test_floor_keeps_complete_frames(void)
{
	options o;
	memset(&o, 0, sizeof(o));
	o.cli.rx_frames = 8;
	CHECK_EQ(setup(&o), 0);
	step(100);
	CHECK(W.sides[CLI].session != NULL);
	feedFrame(0, 5000, 1, 0);
	feedFrame(1, 1500, 0, 0);
	/* frame 2 (P) never arrives; 3 (P, depends on 2) does, then key 4 and P 5 */
	feedFrame(3, 1500, 0, 0);
	feedFrame(4, 5000, 1, 0);
	feedFrame(5, 1500, 0, 0);
	CHECK_EQ(W.sides[CLI].frames, 2);   /* in order: 3 … 5 wait for 2 */
	/* the sender gave 2 up (and 3 with it); 4 and 5 were acknowledged: its floor is 6 */
	feedFrame(6, 1500, 0, 6);
	CHECKF(W.sides[CLI].frames == 5 && W.sides[CLI].keys == 2, "%u frames delivered (%u key), want 0 1 4 5 6",
			W.sides[CLI].frames, W.sides[CLI].keys);
	CHECK_EQ(W.sides[CLI].last_number, 6);
	CHECK_EQ(W.sides[CLI].gaps, 1);
	CHECK_EQ(W.sides[CLI].first_after_gap_key, 1);   /* resumed at the key frame, 3 not delivered */
	CHECK_EQ(W.sides[CLI].frames_lost, 2);
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
done:
	return;
}

/* Key frames larger than the viewer reassembles (8 KiB here, 20 KB key frames): no P
 * frame that depends on one is delivered (it could not be decoded). Before, the key frame
 * was dropped and the P frames after it delivered. */
static void test_key_over_limit(void)
{
	options o;
	ivxs_p2p_channel_stats st;
	memset(&o, 0, sizeof(o));
	o.cli.rx_frame_bytes = 8192;
	CHECK_EQ(setup(&o), 0);
	step(100);
	CHECK_EQ(startMedia(), 0);
	step(3000);
	st = chanStats(SRV, IVXS_P2P_CH_MEDIA);
	CHECKF(W.sides[CLI].frames == W.sides[CLI].keys, "%u frames delivered, %u of them key frames: P frames without "
			"their key frame", W.sides[CLI].frames, W.sides[CLI].keys);
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
	/* negotiated in the handshake: the camera does not send what the viewer would drop */
	CHECKF(st.frames_sent == 0 && st.frames_given_up > 0, "camera: %llu frames sent the viewer could not use, %llu given up",
			(unsigned long long)st.frames_sent, (unsigned long long)st.frames_given_up);
	NOTE("%u delivered, camera: %llu given up, %llu skipped, %llu sent", W.sides[CLI].frames,
			(unsigned long long)st.frames_given_up, (unsigned long long)st.frames_skipped,
			(unsigned long long)st.frames_sent);
done:
	return;
}

/* Worst-case memory per viewer: a 16 KiB request and its 16 KiB reply (queued from the
 * command callback) at once. The aim is 32 KiB (steady 16 KiB); it was 47 184 bytes (both
 * 16 KiB buffers held at once). */
static void test_memory_command_pair(void)
{
	options o;
	static uint8_t buf[IVXS_P2P_MAX_COMMAND];
	uint32_t id;
	memset(&o, 0, sizeof(o));
	CHECK_EQ(setup(&o), 0);
	step(100);
	g_cmd_peak = 0;
	W.sides[SRV].reply = 1;
	/* one request at a time, each answered from the callback (sizes up to 16 384) */
	for (id = 0; id < 20; id++) {
		uint32_t j, waited = 0;
		for (j = 0; j < cmdLen(id); j++)
			buf[j] = (uint8_t)(id + j);
		CHECK_EQ(ivxs_p2p_command(W.sides[CLI].session, IVXS_P2P_REQUEST, (uint16_t)id, buf, cmdLen(id), g_now), 0);
		while (W.sides[CLI].cmds < id + 1 && waited++ < 2000)
			step(1);
	}
	CHECK_EQ(W.sides[SRV].cmds, 20);
	CHECK_EQ(W.sides[CLI].cmds, 20);
	CHECK_EQ(W.sides[SRV].cmd_bad + W.sides[CLI].cmd_bad, 0);
	CHECKF(g_cmd_peak <= 32 * 1024, "camera per viewer %zu bytes with a request and its reply at once (aim 32768)",
			g_cmd_peak);
	NOTE("camera per viewer at most %zu bytes with a 16 KiB request and reply at once", g_cmd_peak);
done:
	return;
}

/* step(ms), keeping the camera's largest footprint per viewer seen in *peak. */
static void stepPeak(uint32_t ms, size_t *peak)
{
	while (ms--) {
		size_t now = sessStats(SRV).footprint_bytes;
		if (now > *peak)
			*peak = now;
		step(1);
	}
}

/* Queues command `id` (the harness's pattern) from `who`, as an app does: again every
 * millisecond while the buffer has no room, at most `patience` ms. */
static int commandFrom(int who, int kind, uint32_t id, uint32_t patience, size_t *peak)
{
	static uint8_t buf[IVXS_P2P_MAX_COMMAND];
	uint32_t j, len = cmdLen(id), waited = 0;
	int status;
	for (j = 0; j < len; j++)
		buf[j] = (uint8_t)(id + j);
	while ((status = ivxs_p2p_command(W.sides[who].session, kind, (uint16_t)id, buf, len, g_now)) == IVXS_P2P_EAGAIN
			&& waited++ < patience)
		stepPeak(1, peak);
	return status;
}

/* Worst-case memory per viewer: each side sends a 16 KiB message of its own at once (the
 * camera a request of its own, or a notification, while the viewer's request is under way),
 * the camera's a few milliseconds after the viewer's or before it. Both arrive whole, and the
 * camera holds one 16 KiB command buffer at a time (it was 47 016 bytes: both). */
static void commandsCrossing(uint32_t loss, uint32_t rounds)
{
	options o;
	size_t peak = 0;
	uint32_t id, slowest = 0;
	memset(&o, 0, sizeof(o));
	CHECK_EQ(setup(&o), 0);
	step(100);
	W.dir[SRV].loss_permille = W.dir[CLI].loss_permille = loss;
	g_cmd_len = IVXS_P2P_MAX_COMMAND;
	for (id = 0; id < rounds; id++) {
		uint32_t start = g_now, waited = 0;
		CHECK_EQ(commandFrom(CLI, IVXS_P2P_REQUEST, id, 5000, &peak), 0);
		stepPeak((id * 7) % 50, &peak);   /* 0 … 49 ms later: before, during and after the viewer's arrives */
		CHECK_EQ(commandFrom(SRV, IVXS_P2P_REQUEST, id, 5000, &peak), 0);
		while ((W.sides[SRV].cmds < id + 1 || W.sides[CLI].cmds < id + 1) && waited++ < 10000)
			stepPeak(1, &peak);
		CHECK_EQ(W.sides[SRV].cmds, id + 1);
		CHECK_EQ(W.sides[CLI].cmds, id + 1);
		if (g_now - start > slowest)
			slowest = g_now - start;
	}
	CHECK_EQ(W.sides[SRV].cmd_bad + W.sides[CLI].cmd_bad, 0);
	CHECKF(peak <= 32 * 1024, "camera per viewer %zu bytes with two 16 KiB messages crossing (aim 32768)", peak);
	CHECK(sessStats(SRV).commands_deferred > 0);   /* the viewer's waited for the camera's */
	step(3000);
	/* idle again: the command buffers are given back */
	CHECK_EQ(sessStats(SRV).footprint_bytes, W.sides[SRV].session->footprint);
	NOTE("camera per viewer at most %zu bytes with two 16 KiB messages crossing (%u %% loss); slowest pair %u ms, "
			"%llu packets deferred", peak, loss / 10, slowest, (unsigned long long)sessStats(SRV).commands_deferred);
done:
	g_cmd_len = 0;
}

static void test_memory_commands_crossing(void)
{
	commandsCrossing(0, 12);
}

static void test_memory_commands_crossing_lossy(void)
{
	commandsCrossing(50, 12);
}

/* An on-path observer copies one authenticated packet and sends the copy first, from a
 * victim's address: the session does not move (a new address must answer a challenge
 * first), and what goes to the unvalidated address is at most 3x what came from it.
 * Before, the copy moved the session: the camera streamed to the victim and the viewer
 * was blacked out. The same towards the viewer (a copied camera packet). */
static void copiedPacket(int to)
{
	options o;
	ivxs_p2p_addr victim;
	uint32_t frames;
	uint64_t copies = 0, ack_before;
	uint32_t waited;
	int i;
	memset(&o, 0, sizeof(o));
	CHECK_EQ(setup(&o), 0);
	step(100);
	CHECK_EQ(startMedia(), 0);
	step(1000);
	addr(&victim, "victim:9999");
	frames = W.sides[CLI].frames;
	ack_before = chanStats(SRV, IVXS_P2P_CH_MEDIA).acked_bytes;
	for (i = 0; i < 10; i++) {
		/* the next packet towards `to`, copied as it leaves and sent ahead of it */
		W.capture_dir = to;
		W.capture_now = 1;
		for (waited = 0; W.capture_now && waited < 2000; waited++)
			step(1);
		if (W.capture_now)
			break;   /* nothing goes that way any more (the session moved away) */
		ivxs_p2p_input(W.ep[to], &victim, W.captured, W.captured_size, g_now);
		copies += W.captured_size;
		step(200);
	}
	step(1000);
	CHECKF(W.misrouted_bytes <= 3 * copies, "%llu bytes sent to the victim for %llu bytes copied",
			(unsigned long long)W.misrouted_bytes, (unsigned long long)copies);
	CHECK_EQ(W.sides[to].events[IVXS_P2P_EV_ADDR_CHANGED], 0);
	CHECK(W.sides[CLI].frames >= frames + 80);   /* 3 s of video at 30 fps kept coming */
	CHECK(chanStats(SRV, IVXS_P2P_CH_MEDIA).acked_bytes > ack_before);
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
	NOTE("%llu bytes to the victim for %llu copied, %u frames meanwhile", (unsigned long long)W.misrouted_bytes,
			(unsigned long long)copies, W.sides[CLI].frames - frames);
done:
	return;
}

static void test_copied_packet_camera(void)
{
	copiedPacket(SRV);
}

static void test_copied_packet_viewer(void)
{
	copiedPacket(CLI);
}

/* A ticket seen on the wire is replayed in HELLOs with fresh connection ids, twice a
 * second for 10 s, from spoofed addresses and from a replayer that answers whatever it
 * gets (a cookie round included): the ticket holds at most one pending slot beside its
 * open session, which stays. Before, each replay parked a session for the handshake
 * timeout and all slots were taken. */
/* A camera with 4 slots and its viewer connected; the viewer's hello (its ticket) in `hello`. */
static int viewerConnected(uint8_t hello[IVXS_P2P_MTU])
{
	options o;
	memset(&o, 0, sizeof(o));
	o.no_connect = 1;
	o.srv.max_sessions = 4;
	CHECK_EQ(setup(&o), 0);
	W.capture_dir = SRV;
	W.capture_now = 1;
	CHECK_EQ(ivxs_p2p_connect(W.ep[CLI], &W.srv_addr, g_ticket, sizeof(g_ticket), g_psk, g_now, &W.sides[CLI].session), 0);
	CHECK_EQ(W.captured_size, IVXS_P2P_MTU);
	memcpy(hello, W.captured, IVXS_P2P_MTU);
	step(200);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CONNECTED], 1);
	return 0;
done:
	return -1;
}

/* `hello` from `from`, which answers a cookie round as a viewer would; the camera's last
 * answer to it is in W.other (W.other_size 0: none). */
static void helloAnsweringCookies(const ivxs_p2p_addr *from, uint8_t hello[IVXS_P2P_MTU])
{
	W.other_size = 0;
	ivxs_p2p_input(W.ep[SRV], from, hello, IVXS_P2P_MTU, g_now);
	if (W.other_size && (W.other[0] & 15) == P2P_PKT_RETRY) {
		hello[P2P_HELLO_BODY] = (uint8_t)(W.other_size - 9);   /* PROTOCOL.md: cookie length, cookie */
		memcpy(hello + P2P_HELLO_BODY + 1, W.other + 9, W.other_size - 9);
		W.other_size = 0;
		ivxs_p2p_input(W.ep[SRV], from, hello, IVXS_P2P_MTU, g_now);
	}
}

static void test_ticket_replay(void)
{
	ivxs_p2p_addr spoofed, replayer;
	uint8_t hello[IVXS_P2P_MTU];
	uint32_t i, most = 0;
	CHECK_EQ(viewerConnected(hello), 0);
	addr(&replayer, "replayer:7");
	for (i = 0; i < 20; i++) {
		ivxs_p2p_stats es;
		hello[1] = (uint8_t)i;   /* a new connection id each time */
		hello[2] = 0xee;
		addr(&spoofed, i % 2 ? "spoofed:1" : "spoofed:2");
		ivxs_p2p_input(W.ep[SRV], &spoofed, hello, sizeof(hello), g_now);
		hello[2] = 0xdd;
		helloAnsweringCookies(&replayer, hello);
		ivxs_p2p_stats_get(W.ep[SRV], &es);
		if (es.sessions_open > most)
			most = es.sessions_open;
		step(500);
	}
	CHECKF(most <= 2, "%u of 4 slots taken by one ticket", most);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CLOSED], 0);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_CLOSED], 0);
	NOTE("at most %u slots for one ticket under replay", most);
done:
	return;
}

/* A ticket holder sends hellos with fresh connection ids every 10 ms for 3 s, answering each
 * cookie: each one the camera took cost it a key exchange (two X25519 operations). At most
 * one a second per ticket now; before, every hello (300) was one. */
static void test_hello_flood(void)
{
	ivxs_p2p_addr flooder;
	ivxs_p2p_stats es;
	uint8_t hello[IVXS_P2P_MTU];
	uint32_t i, replies = 0;
	CHECK_EQ(viewerConnected(hello), 0);
	addr(&flooder, "flooder:9");
	for (i = 0; i < 300; i++) {
		hello[1] = (uint8_t)i;   /* a new connection id each time */
		hello[2] = (uint8_t)(i >> 8);
		hello[3] = 0xcc;
		helloAnsweringCookies(&flooder, hello);
		replies += W.other_size && (W.other[0] & 15) == P2P_PKT_REPLY;
		step(10);
	}
	ivxs_p2p_stats_get(W.ep[SRV], &es);
	CHECKF(replies <= 4, "%u key exchanges for 300 hellos in 3 s from one ticket", replies);
	CHECK(es.refused_rate >= 290);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CLOSED], 0);   /* the ticket's open session stays */
	NOTE("%u key exchanges for 300 hellos in 3 s, %llu dropped", replies, (unsigned long long)es.refused_rate);
done:
	return;
}

/* A NAT rebinding with nothing in flight to the viewer (the old mapping dead at once): the
 * viewer hears nothing, so the first packet from its new address is its keep-alive PING; the
 * camera validates the new address (one round trip) and the video is back well within two
 * keep-alive intervals, with no new handshake. */
static void test_rebinding_silent(void)
{
	options o;
	uint32_t frames, changed, i, kept = 0;
	memset(&o, 0, sizeof(o));
	o.srv.keepalive_interval_ms = o.cli.keepalive_interval_ms = 1000;
	CHECK_EQ(setup(&o), 0);
	step(100);
	CHECK_EQ(startMedia(), 0);
	step(1000);
	addr(&W.cli_addr, "viewer:62000");
	for (i = 0; i < W.nqueue; i++)   /* what was on its way to the old mapping is lost */
		if (W.queue[i].to != CLI)
			W.queue[kept++] = W.queue[i];
	W.nqueue = kept;
	changed = g_now;
	frames = W.sides[CLI].frames;
	while (!W.sides[SRV].events[IVXS_P2P_EV_ADDR_CHANGED] && P2P_DIFF(g_now, changed) < 2000)
		step(1);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_ADDR_CHANGED], 1);
	step(300);
	CHECKF(W.sides[CLI].frames >= frames + 5, "%u frames in the 300 ms after the move", W.sides[CLI].frames - frames);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CLOSED] + W.sides[CLI].events[IVXS_P2P_EV_CLOSED], 0);
	CHECK_EQ(W.sides[CLI].frame_bad, 0);
	NOTE("moved %d ms after the rebinding (keep-alive 1000 ms)", P2P_DIFF(g_now, changed) - 300);
done:
	return;
}

/* One run of the issue-27 scenario from a clock starting at `base`: the camera's first packet
 * crosses a link so slow (1 000 B/s, no queue) that it is declared lost long before it arrives,
 * and everything sent behind it is dropped (a burst loss), so the first ACK the camera gets
 * acknowledges only a packet already timed out. Then the link heals. Frames the viewer gets in
 * 10 s; *lost: the camera's packets declared lost. */
static uint32_t firstAckOfLostRun(uint32_t base, uint64_t *lost)
{
	options o;
	uint32_t frames = 0, saved = g_base;
	memset(&o, 0, sizeof(o));
	g_base = base;
	CHECK_EQ(setup(&o), 0);
	step(200);
	CHECK(W.sides[SRV].session && W.sides[CLI].session);
	W.dir[CLI].bandwidth = 1000;   /* camera -> viewer: the first packet takes 1.15 s, the rest dropped */
	CHECK_EQ(startMedia(), 0);
	step(1000);
	W.dir[CLI].blocked = 1;        /* the burst loss goes on past the first ACK (at ~1.2 s) */
	step(1000);
	CHECK(W.sides[SRV].session && W.sides[SRV].session->rel.any_acked);
	W.dir[CLI].blocked = 0;
	W.dir[CLI].bandwidth = 0;
	step(10000);
	frames = W.sides[CLI].frames;
	*lost = sessStats(SRV).packets_lost;
done:
	teardown();
	g_base = saved;
	return frames;
}

/* Issue 27 item 8 (found by fuzzing): the progress clock started at 0, not at now. From a clock
 * in [2^31, 2^32) ms — a Linux camera up longer than 24.8 days, half the time — a first ACK that
 * acknowledged only timed-out packets left "now - progress" negative, and no packet ever timed
 * out again: after one burst loss the window stayed full, no video, the session open. The same
 * run from 65 536 ms and from 2^31 + 65 536 ms now delivers the same frames (before: 0 from the
 * second). */
static void test_first_ack_of_lost_packets(void)
{
	uint64_t lost_low = 0, lost_high = 0;
	uint32_t low = firstAckOfLostRun(65536u, &lost_low);
	uint32_t high = firstAckOfLostRun(0x80000000u + 65536u, &lost_high);
	NOTE("%u frames from 65 536 ms, %u from 2^31 + 65 536 ms (%llu / %llu packets lost)", low, high,
			(unsigned long long)lost_low, (unsigned long long)lost_high);
	CHECK(low > 200);
	CHECK_EQ(high, low);
	CHECK_EQ(lost_high, lost_low);
done:
	return;
}

static uint32_t g_retries;

static int countRetry(int dir, uint8_t *data, uint16_t *size)
{
	if (dir == CLI && *size == P2P_RETRY_BYTES && (data[0] & 15) == P2P_PKT_RETRY)
		g_retries++;
	return 1;
}

/* A RETRY cookie names its 8.192-s time slot (now >> 13, 0 … 2^19 - 1) and holds for that slot
 * and the next: one minted in the last slot before the clock wraps holds in slot 0 after it
 * (before: refused, and the viewer took a second cookie round). */
static void test_cookie_across_wrap(void)
{
	options o;
	uint32_t saved = g_base;
	memset(&o, 0, sizeof(o));
	o.srv.max_sessions = 1;        /* one slot: every hello gets a cookie round first */
	o.no_connect = 1;
	g_base = UINT32_MAX - 20u;     /* the hello reaches the camera 1 ms before the wrap, the echo 39 ms after */
	g_retries = 0;
	CHECK_EQ(setup(&o), 0);
	W.dir[CLI].tamper = countRetry;
	CHECK_EQ(ivxs_p2p_connect(W.ep[CLI], &W.srv_addr, g_ticket, sizeof(g_ticket), g_psk, g_now, &W.sides[CLI].session), 0);
	step(300);
	CHECK_EQ(W.sides[SRV].events[IVXS_P2P_EV_CONNECTED], 1);
	CHECK_EQ(W.sides[CLI].events[IVXS_P2P_EV_CONNECTED], 1);
	CHECK_EQ(g_retries, 1);
done:
	g_base = saved;
}

int main(void)
{
	g_base = ivxs_test_clock_base(UINT32_MAX - 1500u);
	run("uplink: a camera-wide budget holds the sessions' packets", test_uplink_budget);
	run("uplink: shared with another wire's viewer, a session with a thin stream gets all of it, the other what it leaves", test_uplink_shared);
	run("uplink: a session on a thin path beside a greedy viewer is held by its path, the other gets what it leaves", test_uplink_thin_path);
	run("ticket: mint, verify, distinct refusals", test_ticket_codes);
	run("ticket: the documented derivation", test_ticket_vector);
	run("ack ranges: window, replay, wire codec", test_ack_codec);
	run("create: allocation failures, bad configs", test_create_failures);
	run("handshake: one round trip, no amplification, close", test_handshake);
	run("handshake: its round trip seeds the RTO on both sides", test_handshake_rtt);
	run("handshake: lost replies, repeated hello", test_handshake_loss);
	run("handshake: the viewer's first packet lost, sent again", test_handshake_confirm_lost);
	run("handshake: a proof never acknowledged closes the viewer at its handshake timeout", test_handshake_proof_never_acknowledged);
	run("handshake: expired ticket refused", test_refused_expired);
	run("handshake: wrong-device ticket refused", test_refused_wrong_device);
	run("handshake: forged ticket refused", test_refused_forged);
	run("handshake: a ticket without its psk gets no keys", test_stolen_ticket);
	run("keys: fresh per session", test_fresh_keys);
	run("commands: request/reply up to 16 KiB, in order", test_commands);
	run("commands: short ones pipelined never wait", test_commands_short);
	run("commands: two in one packet", test_two_commands_in_a_packet);
	run("commands: 5% loss and reordering, all delivered in order", test_commands_lossy_reordered);
	run("commands: the largest message after smaller ones", test_command_largest);
	run("commands: stream offsets wrap", test_commands_offset_wrap);
	run("media: from the ring, every frame whole", test_media_clean);
	run("media: 5% loss and reordering recovered", test_media_loss_recovered);
	run("media: frame numbers wrap", test_media_seq_wrap);
	run("versions: 6 (AES-128-CTR + HMAC-SHA-256) when offered and preferred, else 5; a stream over each", test_versions_negotiated);
	run("versions: the other version's packets are dropped, the session unharmed", test_versions_mismatched);
	run("packets: forged, replayed, truncated", test_forged_replayed_truncated);
	run("peer never acknowledges: memory bounded, dead by keep-alive", test_never_acks);
	run("peer acknowledges what was never sent", test_ack_of_unsent);
	run("commands: an empty chunk leaves no empty range", test_empty_command_chunk);
	run("wire: the retired REPAIR frame is refused, the session carries on", test_repair_retired);
	run("acks: every ack-eliciting packet is acknowledged at once", test_ack_at_once);
	run("media: deadline passed, skip to the key frame", test_deadline_skip);
	run("media: the adaptive deadline keeps a key frame repaired late on a link with room", test_adaptive_deadline);
	run("media: overwritten in the ring before acked, never sent torn", test_torn_frames);
	run("address change: session migrates", test_migration);
	run("address change: the camera moves, both ends know", test_camera_moves);
	run("keep-alive: dead peer within interval x attempts", test_keepalive_death);
	run("watermarks: once per crossing", test_watermarks);
	run("rights: enforced by the camera", test_rights);
	run("voice: talkback frames to the camera", test_voice);
	run("voice: the camera's talkback bytes come with the first voice frame", test_voice_arena);
	run("audio: a lost audio frame costs that frame only, not the audio after it nor the video", test_audio_independent);
	run("audio beside video on a lossy link: the frames in flight keep the link busy", test_audio_beside_video);
	run("tick schedule: a thin stream ticks about once per frame, not every 10 ms", test_tick_schedule);
	run("congestion control: bottleneck filled, loss tolerated", test_cc_bottleneck);
	run("doomed P frames are not sent", test_doomed_not_sent);
	run("congestion control: an app-limited sender leaves startup", test_cc_startup_ends_app_limited);
	run("no spurious timeouts behind a key frame on a thin link", test_no_spurious_timeouts);
	run("memory per viewer", test_memory);
	run("handshake: the deadline fires at its setting", test_handshake_deadline);
	run("congestion control: the minimum RTT expires after the path's delay rises", test_cc_rtt_rise);
	run("congestion control: the phase after a probe drains what it queued", test_cc_probe_drained);
	run("congestion control: the delivery count a packet keeps wraps at 2^32 unnoticed", test_cc_delivered_wraps);
	run("congestion control: a key frame's own burst is not congestion", test_cc_key_burst);
	run("media: the floor passing a lost frame keeps the complete frames after it", test_floor_keeps_complete_frames);
	run("media: a key frame over the viewer's limit takes its dependents", test_key_over_limit);
	run("memory per viewer: a 16 KiB request and its reply at once", test_memory_command_pair);
	run("memory per viewer: two 16 KiB messages crossing", test_memory_commands_crossing);
	run("memory per viewer: two 16 KiB messages crossing on a lossy link", test_memory_commands_crossing_lossy);
	run("address change: a copied packet does not move the camera's session", test_copied_packet_camera);
	run("address change: a copied packet does not move the viewer's session", test_copied_packet_viewer);
	run("handshake: a replayed ticket holds one slot at most", test_ticket_replay);
	run("handshake: one key exchange per ticket per second under a hello flood", test_hello_flood);
	run("address change: a silent NAT rebinding, video back within two keep-alive intervals", test_rebinding_silent);
	run("time: a first ACK of lost packets then a burst loss, from a clock past 2^31 ms", test_first_ack_of_lost_packets);
	run("time: a RETRY cookie minted before the clock wraps holds after it", test_cookie_across_wrap);
	return ivxs_test_summary();
}
