/*
 * The p2p benchmark in virtual time: the real native/p2p core, camera and
 * viewer in one process, joined by the link model of tests/p2p/link.mjs
 * (ported: same PRNG, same draws per packet, same order of effects), driven by
 * a discrete-event loop with no clock and no sockets. Same seed, same figures,
 * whatever the machine's load (bench/p2p/sim.mjs runs it; see there).
 *
 *   p2p-sim --frames <file> --fps 15 --seconds 20 --drain-ms 2000 --seed <n>
 *           --delay-ms 30 [--rate-bps <bits/s> --queue-bytes <n>] [--loss <p>]
 *           [--ge-good-bad <p> --ge-bad-good <p>] [--deadline-ms <n>] [--deadline-max-ms <n>]
 *
 * Both directions get the same link, seeded as the relay seeds them (a→b with
 * the seed, b→a with seed ^ 0x5bd1e995). A datagram is offered to the link
 * with 28 bytes of IPv4 + UDP header, as the TUN relay sees it. The camera is
 * udp-p2p.c's: frames (with the benchmark's 17-byte header) pushed into a GOP
 * ring at their capture time, the media channel fed by p2p_ring_source.c.
 *
 * --link-check <n>: only the link model, for its test against link.mjs: packet i
 * (size 100 + 37 i mod 1300, offered at 0.5 i ms) → its arrival ms or null, a JSON array.
 *
 * --oracle <share>: no core, no loss: the ceiling of the metric on this link — each frame
 * sent whole, back to back in capture order at the link rate, framed as the core frames it
 * (chunks of IVXS_P2P_CHUNK, each datagram with its IPv4/UDP, packet, frame header and tag
 * bytes), then the one-way delay: what a transport that knew every loss in advance and still
 * had to cross this link in these datagrams would deliver. <share> is the part of the rate it
 * may use: 1, or 1 − the mean loss (a perfect erasure code that costs exactly what is lost).
 *
 * Output, one JSON line: {"frames": [[capture ms, arrival ms or null, key 0/1],
 * …], "camera": {…the sender's counters…}}; arrival = when the viewer's core
 * delivered the frame intact. sim.mjs scores it with decodable.mjs. A run whose handshake
 * never completes within 10 s says so ("no_session": 1) with every frame lost.
 *
 * --audio-bytes N [--audio-per-s R]: an audio stream beside the video (R default 46.875: AAC,
 * 1024 samples at 48 kHz), pushed into the same ring; --tx-frames / --rx-frames: the camera's
 * and the viewer's frame slots (0: the core's defaults).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames-file.h"
#include "p2p.h"
#include "p2p_internal.h"
#include "p2p_ring_source.h"
#include "ring.h"

#define IP_UDP_BYTES 28
#define MAX_PACKETS 16384   /* datagrams in flight on both links at once */
#define QUEUE_SLOTS 4096    /* packets in one bottleneck queue */
#define T0_MS 1000000.0     /* virtual time starts here (the core's clock is u32 ms) */
#define CAM 0
#define VIEW 1

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "p2p-sim: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(1);
}

/* ---- link.mjs's PRNG: xoshiro128** seeded through splitmix32 ---- */

typedef struct {
	uint32_t s[4];
} prng;

static uint32_t rotl(uint32_t x, int k)
{
	return x << k | x >> (32 - k);
}

static void prng_seed(prng *p, uint32_t seed)
{
	uint32_t x = seed;
	for (int i = 0; i < 4; i++) {
		uint32_t z;
		x += 0x9e3779b9u;
		z = x;
		z = (z ^ z >> 16) * 0x85ebca6bu;
		z = (z ^ z >> 13) * 0xc2b2ae35u;
		p->s[i] = z ^ z >> 16;
	}
	if (!(p->s[0] | p->s[1] | p->s[2] | p->s[3]))
		p->s[0] = 1;
}

static double prng_next(prng *p)
{
	uint32_t *s = p->s;
	uint32_t r = rotl(s[1] * 5u, 7) * 9u, t = s[1] << 9;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 11);
	return r / 4294967296.0;
}

/* ---- link.mjs's LinkModel, the effects the benchmark uses ---- */

typedef struct {
	double delay_ms, rate_bps, loss, ge_good_bad, ge_bad_good;   /* rate 0: no cap; ge_bad_good 0: no bursts */
	uint32_t queue_bytes;
} link_options;

typedef struct {
	link_options o;
	prng rng;
	double finish[QUEUE_SLOTS];
	uint32_t bytes[QUEUE_SLOTS];
	uint32_t head, count, queued;
	double free_at, last_arrival;
	int bad;
	uint64_t sent, sent_bytes, dropped_queue, dropped_loss, dropped_burst;
} link_model;

/* The arrival time of a packet offered at `now`, or -1 if the link drops it. */
static double link_offer(link_model *l, double now, uint32_t size)
{
	const link_options *o = &l->o;
	/* every packet draws the same six numbers (link.mjs): loss, GE step, GE loss, jitter, reorder, duplicate */
	double u_loss = prng_next(&l->rng), u_step = prng_next(&l->rng), u_ge = prng_next(&l->rng), leaves = now, arrival;
	(void)prng_next(&l->rng);
	(void)prng_next(&l->rng);
	(void)prng_next(&l->rng);
	l->sent++;
	l->sent_bytes += size;
	while (l->count && l->finish[l->head] <= now) {
		l->queued -= l->bytes[l->head];
		l->head = (l->head + 1) % QUEUE_SLOTS;
		l->count--;
	}
	if (o->rate_bps > 0) {
		uint32_t at;
		if (l->queued + size > o->queue_bytes || l->count == QUEUE_SLOTS) {
			l->dropped_queue++;
			return -1;
		}
		leaves = (now > l->free_at ? now : l->free_at) + size * 8000.0 / o->rate_bps;
		l->free_at = leaves;
		at = (l->head + l->count++) % QUEUE_SLOTS;
		l->finish[at] = leaves;
		l->bytes[at] = size;
		l->queued += size;
	}
	if (u_loss < o->loss) {
		l->dropped_loss++;
		return -1;
	}
	if (o->ge_bad_good > 0) {
		l->bad = l->bad ? u_step >= o->ge_bad_good : u_step < o->ge_good_bad;
		if (l->bad && u_ge < 1.0) {   /* the bad state loses every packet, the good one none */
			l->dropped_burst++;
			return -1;
		}
	}
	arrival = leaves + o->delay_ms;
	if (arrival < l->last_arrival)
		arrival = l->last_arrival;
	l->last_arrival = arrival;
	return arrival;
}

/* ---- the oracle ---- */

/* Link bytes of one frame of `size` bytes as the core sends it: per chunk a DATA packet
 * (header, the frame header, tag; no padding since wire version 5) in an IPv4/UDP datagram. */
static double frame_link_bytes(uint32_t size)
{
	uint32_t chunks = (size + IVXS_P2P_CHUNK - 1) / IVXS_P2P_CHUNK;
	return size + chunks * (double)(IP_UDP_BYTES + P2P_DATA_HDR + P2P_FRAME_HDR + P2P_TAG);
}

static void oracle(const frames_file *ff, const link_options *lo, double share, uint32_t fps, uint32_t scheduled)
{
	double free_at = 0;
	printf("{\"frames\": [");
	for (uint32_t i = 0; i < scheduled; i++) {
		const frame_rec *f = &ff->list[i % ff->count];
		double capture = floor(i * 1000.0 / fps + 0.5), leaves = capture;
		if (lo->rate_bps > 0) {
			free_at = (capture > free_at ? capture : free_at) + frame_link_bytes(f->size + HEADER_BYTES) * 8000.0 / (lo->rate_bps * share);
			leaves = free_at;
		}
		printf("%s[%.3f, %.3f, %d]", i ? ", " : "", capture, leaves + lo->delay_ms, f->key);
	}
	printf("], \"camera\": {}}\n");
}

/* ---- the event queue: datagrams in flight, earliest first, then in sending order ---- */

typedef struct {
	double at;
	uint64_t order;
	int to;
	uint16_t size;
	uint8_t data[IVXS_P2P_MTU];
} packet;

static packet *g_pool;
static uint32_t g_heap[MAX_PACKETS], g_free[MAX_PACKETS], g_heap_n, g_free_n;
static uint64_t g_order;

static int before(uint32_t a, uint32_t b)
{
	return g_pool[a].at < g_pool[b].at || (g_pool[a].at == g_pool[b].at && g_pool[a].order < g_pool[b].order);
}

static void heap_swap(uint32_t i, uint32_t j)
{
	uint32_t t = g_heap[i];
	g_heap[i] = g_heap[j];
	g_heap[j] = t;
}

static void heap_push(uint32_t p)
{
	uint32_t i = g_heap_n++;
	g_heap[i] = p;
	while (i && before(g_heap[i], g_heap[(i - 1) / 2])) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static uint32_t heap_pop(void)
{
	uint32_t top = g_heap[0], i = 0;
	g_heap[0] = g_heap[--g_heap_n];
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < g_heap_n && before(g_heap[l], g_heap[m]))
			m = l;
		if (r < g_heap_n && before(g_heap[r], g_heap[m]))
			m = r;
		if (m == i)
			return top;
		heap_swap(i, m);
		i = m;
	}
}

/* ---- the world ---- */

typedef struct {
	ivxs_p2p *ep[2];
	ivxs_p2p_addr addr[2];
	link_model link[2];           /* link[CAM]: camera → viewer; link[VIEW]: viewer → camera */
	double now, tick_at[2];
	prng crypto;                  /* the core's "random" bytes: deterministic here (a benchmark, not a product) */
	ivxs_ring *ring;
	ivxs_p2p_ring_source rsrc;
	ivxs_p2p_frame_source src;
	ivxs_p2p_session *cam_session, *view_session;
	const frames_file *ff;
	double *arrival;              /* per scheduled frame: when it was delivered intact (ms), or -1 */
	uint32_t scheduled;
	size_t footprint_max;
} world;

static world W;

static uint32_t core_ms(double t)
{
	return (uint32_t)(uint64_t)floor(t);
}

static void cb_send(void *ctx, const ivxs_p2p_addr *to, const uint8_t *data, size_t size)
{
	int from = (int)(intptr_t)ctx;
	double at;
	uint32_t p;
	(void)to;
	at = link_offer(&W.link[from], W.now, (uint32_t)size + IP_UDP_BYTES);
	if (at < 0)
		return;
	if (!g_free_n)
		die("more datagrams in flight than MAX_PACKETS", NULL);
	p = g_free[--g_free_n];
	g_pool[p].at = at;
	g_pool[p].order = g_order++;
	g_pool[p].to = 1 - from;
	g_pool[p].size = (uint16_t)size;
	memcpy(g_pool[p].data, data, size);
	heap_push(p);
}

static int cb_random(void *ctx, uint8_t *out, size_t size)
{
	(void)ctx;
	while (size--)
		*out++ = (uint8_t)(prng_next(&W.crypto) * 256);
	return 0;
}

static void cb_event(void *ctx, ivxs_p2p_session *s, ivxs_p2p_event ev, int arg)
{
	int who = (int)(intptr_t)ctx, status;
	(void)arg;
	if (who != CAM || ev != IVXS_P2P_EV_CONNECTED || W.cam_session)
		return;
	W.cam_session = s;
	if ((status = ivxs_p2p_ring_source_init(&W.rsrc, W.ring, 0, &W.src)) != 0)
		die("ring source", ivxs_ring_strerror(status));
	if ((status = ivxs_p2p_attach_frames(s, &W.src)) != 0)
		die("attach", ivxs_p2p_strerror(status));
}

static void cb_frame(void *ctx, ivxs_p2p_session *s, int channel, const uint8_t *data, uint32_t size, uint32_t ts_ms,
		int key, uint32_t lost)
{
	uint32_t seq = size >= HEADER_BYTES ? get32(data + 4) : UINT32_MAX;
	(void)ctx, (void)s, (void)ts_ms, (void)key, (void)lost;
	if (channel == IVXS_P2P_CH_MEDIA && seq < W.scheduled && W.arrival[seq] < 0 && frame_intact(W.ff, data, size))
		W.arrival[seq] = W.now;
}

/* The video frames' capture times: one every 1/fps from `start`. */
static void schedule(double *capture, double start, uint32_t fps)
{
	for (uint32_t i = 0; i < W.scheduled; i++)
		capture[i] = start + floor(i * 1000.0 / fps + 0.5);
}

static void tick(int who)
{
	/* a tick may return 0 (more to do now): the virtual clock then moves by a millisecond, not less */
	uint32_t wait = ivxs_p2p_tick(W.ep[who], core_ms(W.now));
	W.tick_at[who] = floor(W.now) + (wait ? wait : 1);
}

static const char *opt(int argc, char **argv, const char *name, const char *otherwise)
{
	for (int i = 1; i + 1 < argc; i += 2)
		if (!strncmp(argv[i], "--", 2) && !strcmp(argv[i] + 2, name))
			return argv[i + 1];
	if (!otherwise)
		die("missing argument --", name);
	return otherwise;
}

static ivxs_p2p *endpoint(ivxs_p2p_config *c, int who)
{
	ivxs_p2p *p2p = NULL;
	int status;
	c->role = who == CAM ? IVXS_P2P_SERVER : IVXS_P2P_CLIENT;
	c->cb.send = cb_send;
	c->cb.event = cb_event;
	c->cb.frame = cb_frame;
	c->cb.random = cb_random;
	c->cb.ctx = (void *)(intptr_t)who;
	if ((status = ivxs_p2p_create(&p2p, c)) != 0)
		die("endpoint", ivxs_p2p_strerror(status));
	return p2p;
}

int main(int argc, char **argv)
{
	static const uint8_t secret[32] = "the bench's virtual camera (32b)";
	frames_file ff;
	ivxs_p2p_config c;
	ivxs_p2p_ticket t;
	ivxs_ring_config rc;
	link_options lo;
	uint8_t ticket[IVXS_P2P_TICKET_BYTES], psk[IVXS_P2P_PSK_BYTES], *buf;
	uint32_t seed = (uint32_t)strtoul(opt(argc, argv, "seed", "1"), NULL, 10), fps = (uint32_t)atoi(opt(argc, argv, "fps", "15"));
	double seconds = atof(opt(argc, argv, "seconds", "20")), drain = atof(opt(argc, argv, "drain-ms", "2000")), start, end, *capture;
	uint32_t seq = 0, i, aseq = 0, audio_bytes, audio_n = 0, no_session = 0;
	double audio_per_s, audio_at = INFINITY;
	static uint8_t audio[2048];
	int status;

	read_frames(opt(argc, argv, "frames", NULL), &ff);
	/* --audio-bytes N --audio-per-s R: an audio stream beside the video (AAC: 1024 samples at
	 * 48 kHz = 46.875 frames/s), pushed into the same ring; it takes link time, the metric is
	 * the video's */
	audio_bytes = (uint32_t)atoi(opt(argc, argv, "audio-bytes", "0"));
	audio_per_s = atof(opt(argc, argv, "audio-per-s", "46.875"));
	if (audio_bytes > sizeof(audio) || (audio_bytes && !(audio_per_s > 0)))
		die("bad --audio-bytes or --audio-per-s", NULL);
	memset(audio, 0xa5, sizeof(audio));
	memset(&lo, 0, sizeof(lo));
	lo.delay_ms = atof(opt(argc, argv, "delay-ms", "30"));
	lo.rate_bps = atof(opt(argc, argv, "rate-bps", "0"));
	lo.queue_bytes = (uint32_t)atoi(opt(argc, argv, "queue-bytes", "0"));
	lo.loss = atof(opt(argc, argv, "loss", "0"));
	lo.ge_good_bad = atof(opt(argc, argv, "ge-good-bad", "0"));
	lo.ge_bad_good = atof(opt(argc, argv, "ge-bad-good", "0"));
	if (!fps || seconds <= 0 || (lo.rate_bps > 0 && !lo.queue_bytes))
		die("bad --fps, --seconds or --queue-bytes", NULL);
	if (atoi(opt(argc, argv, "link-check", "0")) > 0) {
		int n = atoi(opt(argc, argv, "link-check", "0"));
		link_model l;
		memset(&l, 0, sizeof(l));
		l.o = lo;
		prng_seed(&l.rng, seed);
		for (i = 0; i < (uint32_t)n; i++) {
			double at = link_offer(&l, 0.5 * i, 100 + 37 * i % 1300);
			printf("%s", i ? ", " : "[");
			if (at < 0)
				printf("null");
			else
				printf("%.6f", at);
		}
		printf("]\n");
		return 0;
	}

	if (atof(opt(argc, argv, "oracle", "0")) > 0) {
		oracle(&ff, &lo, atof(opt(argc, argv, "oracle", "0")), fps, (uint32_t)(seconds * fps + 0.5));
		return 0;
	}

	memset(&W, 0, sizeof(W));
	W.ff = &ff;
	W.now = T0_MS;
	W.link[CAM].o = W.link[VIEW].o = lo;
	prng_seed(&W.link[CAM].rng, seed);
	prng_seed(&W.link[VIEW].rng, seed ^ 0x5bd1e995u);
	prng_seed(&W.crypto, seed ^ 0xc0ffee);
	W.scheduled = (uint32_t)(seconds * fps + 0.5);
	W.arrival = malloc(W.scheduled * sizeof(double));
	capture = malloc(W.scheduled * sizeof(double));
	g_pool = malloc(MAX_PACKETS * sizeof(packet));
	buf = malloc(frame_buffer_bytes(&ff));
	if (!W.arrival || !capture || !g_pool || !buf)
		die("out of memory", NULL);
	for (i = 0; i < MAX_PACKETS; i++)
		g_free[g_free_n++] = MAX_PACKETS - 1 - i;
	for (i = 0; i < W.scheduled; i++)
		W.arrival[i] = -1;
	W.addr[CAM].len = W.addr[VIEW].len = 1;
	W.addr[CAM].bytes[0] = 'c';
	W.addr[VIEW].bytes[0] = 'v';

	memset(&rc, 0, sizeof(rc));
	rc.arena_bytes = 1u << 20;
	if ((status = ivxs_ring_create(&W.ring, &rc)) != 0)
		die("ring", ivxs_ring_strerror(status));
	memset(&c, 0, sizeof(c));
	c.device_secret = secret;
	c.device_secret_len = sizeof(secret);
	memcpy(c.device_id, "CAM-BENCH", 9);
	c.deadline_ms = (uint32_t)atoi(opt(argc, argv, "deadline-ms", "0"));
	c.deadline_max_ms = (uint32_t)atoi(opt(argc, argv, "deadline-max-ms", "0"));
	c.tx_frames = (uint32_t)atoi(opt(argc, argv, "tx-frames", "0"));
	W.ep[CAM] = endpoint(&c, CAM);
	ivxs_p2p_set_unix_time(W.ep[CAM], 1800000000u);
	memset(&c, 0, sizeof(c));
	c.rx_frames = (uint32_t)atoi(opt(argc, argv, "rx-frames", "0"));
	W.ep[VIEW] = endpoint(&c, VIEW);

	memset(&t, 0, sizeof(t));
	memcpy(t.device_id, "CAM-BENCH", 9);
	memcpy(t.viewer_id, "viewer-bench", 12);
	t.rights = IVXS_P2P_RIGHT_LIVE | IVXS_P2P_RIGHT_COMMAND;
	t.expiry_s = 1800000000u + 3600;
	if ((status = ivxs_p2p_ticket_mint(secret, sizeof(secret), &t, ticket, psk)) != 0)
		die("ticket", ivxs_p2p_strerror(status));
	if ((status = ivxs_p2p_connect(W.ep[VIEW], &W.addr[CAM], ticket, sizeof(ticket), psk, core_ms(W.now), &W.view_session)) != 0)
		die("connect", ivxs_p2p_strerror(status));

	/* the handshake, then frames from 50 ms after the camera's CONNECTED (as udp-p2p.c) */
	start = end = INFINITY;
	W.tick_at[CAM] = W.tick_at[VIEW] = W.now;
	for (;;) {
		double next = W.tick_at[CAM] < W.tick_at[VIEW] ? W.tick_at[CAM] : W.tick_at[VIEW];
		if (g_heap_n && g_pool[g_heap[0]].at < next)
			next = g_pool[g_heap[0]].at;
		if (start != INFINITY && seq < W.scheduled && capture[seq] < next)
			next = capture[seq];
		if (audio_at < next)
			next = audio_at;
		if (W.cam_session && start == INFINITY) {
			start = floor(W.now) + 50;
			schedule(capture, start, fps);
			end = capture[W.scheduled - 1] + drain;
			if (audio_bytes) {
				audio_n = (uint32_t)(seconds * audio_per_s);
				audio_at = start;
			}
			continue;
		}
		if (next >= end)
			break;
		if (next - T0_MS > 10000 && start == INFINITY) {
			/* the handshake never completed (a bursty link's outage took the viewer's proof of its
			 * keys every time it was sent: link.mjs's burst state advances per packet): what a
			 * viewer would see is no video, so every frame of this run counts lost */
			no_session = 1;
			start = floor(W.now);
			schedule(capture, start, fps);
			break;
		}
		W.now = next;
		while (g_heap_n && g_pool[g_heap[0]].at <= W.now) {
			uint32_t p = heap_pop();
			int to = g_pool[p].to;
			(void)ivxs_p2p_input(W.ep[to], &W.addr[1 - to], g_pool[p].data, g_pool[p].size, core_ms(W.now));
			g_free[g_free_n++] = p;
			W.tick_at[to] = W.now;   /* an input changes the core's timers: ask it again */
		}
		while (start != INFINITY && seq < W.scheduled && capture[seq] <= W.now) {
			/* the encoder's frame lands in the ring at its capture time */
			uint32_t size = frame_with_header(&ff, seq, (uint64_t)(capture[seq] * 1e6), buf);
			if ((status = ivxs_ring_push(W.ring, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, ff.list[seq % ff.count].key,
					core_ms(capture[seq]), buf, size)) < 0)
				die("ring push", ivxs_ring_strerror(status));
			seq++;
			W.tick_at[CAM] = W.now;
		}
		while (audio_at <= W.now) {
			if (ivxs_ring_push(W.ring, IVXS_FRAME_AUDIO, IVXS_CODEC_AAC, 0, core_ms(audio_at), audio, audio_bytes) < 0)
				die("ring push (audio)", NULL);
			aseq++;
			audio_at = aseq < audio_n ? start + floor(aseq * 1000.0 / audio_per_s) : INFINITY;
			W.tick_at[CAM] = W.now;
		}
		for (int who = 0; who < 2; who++)
			if (W.tick_at[who] <= W.now)
				tick(who);
		if (W.cam_session) {
			ivxs_p2p_session_stats st;
			if (!ivxs_p2p_session_stats_get(W.cam_session, &st) && st.footprint_bytes > W.footprint_max)
				W.footprint_max = st.footprint_bytes;
		}
	}

	{
		ivxs_p2p_session_stats st;
		ivxs_p2p_channel_stats ch;
		camera_figures(W.cam_session, &st, &ch);
		printf("{\"frames\": [");
		for (i = 0; i < W.scheduled; i++) {
			printf("%s[%.3f, ", i ? ", " : "", capture[i] - start);
			if (W.arrival[i] < 0)
				printf("null");
			else
				printf("%.3f", W.arrival[i] - start);
			printf(", %d]", ff.list[i % ff.count].key);
		}
		printf("], \"camera\": {\"payload_bytes_on_link\": %llu, \"packets_on_link\": %llu, \"packets_from_viewer\": %llu, \"dropped_queue\": %llu, "
				"\"dropped_loss\": %llu, \"dropped_burst\": %llu, \"packets_sent\": %llu, \"packets_lost\": %llu, "
				"\"min_rtt_ms\": %u, \"srtt_ms\": %u, \"bandwidth_Bps\": %llu, \"pacing_Bps\": %llu, \"frames_acked\": %llu, "
				"\"frames_given_up\": %llu, \"frames_skipped\": %llu, \"retransmits\": %llu, "
				"\"memory_per_viewer_bytes\": %zu, \"memory_per_viewer_max_bytes\": %zu, \"no_session\": %u}}\n",
				(unsigned long long)W.link[CAM].sent_bytes, (unsigned long long)W.link[CAM].sent, (unsigned long long)W.link[VIEW].sent,
				(unsigned long long)W.link[CAM].dropped_queue, (unsigned long long)W.link[CAM].dropped_loss,
				(unsigned long long)W.link[CAM].dropped_burst, (unsigned long long)st.packets_sent,
				(unsigned long long)st.packets_lost, st.min_rtt_ms, st.srtt_ms, (unsigned long long)st.bandwidth,
				(unsigned long long)st.pacing_rate, (unsigned long long)ch.frames_sent, (unsigned long long)ch.frames_given_up,
				(unsigned long long)ch.frames_skipped, (unsigned long long)ch.retransmits,
				st.footprint_bytes, W.footprint_max, (unsigned)no_session);
	}
	ivxs_p2p_destroy(&W.ep[CAM]);
	ivxs_p2p_destroy(&W.ep[VIEW]);
	ivxs_p2p_ring_source_close(&W.rsrc);
	ivxs_ring_destroy(&W.ring);
	free(buf);
	free(g_pool);
	free(capture);
	free(W.arrival);
	free(ff.list);
	free(ff.file);
	return 0;
}
