/*
 * The "udp" transport of the p2p benchmark (bench/p2p/transports.mjs): the
 * real native/p2p core over real UDP sockets, one process per side.
 *
 *   udp-p2p receiver --listen <addr>:<port> --frames <file> --ticket <hex> --psk <hex>
 *   udp-p2p sender --connect <addr>:<port> --frames <file> --fps 15 --seconds 10
 *                  --drain-ms 2000 --secret <hex> --device <id> [--deadline-ms n]
 *
 * The sender plays the camera: an IVXS_P2P_SERVER endpoint, frames of the
 * frames file pushed into a GOP ring (native/ring) at their capture time, the
 * viewer's media channel fed from the ring by p2p_ring_source.c (zero-copy:
 * chunks are encrypted straight from the ring's arena). The receiver plays the
 * viewer: an IVXS_P2P_CLIENT endpoint that opens the session with the ticket
 * and psk the harness minted from the device secret with modules/protocol
 * (standing in for the cloud, which mints them the same way); the camera
 * gets the secret.
 *
 * Who speaks first: the contract starts the receiver, then the sender with the
 * receiver's address, but in ivxs the viewer says hello. So the camera sends
 * a plain 16-byte "punch" datagram (PUNCH) every 100 ms until it is connected,
 * as NAT traversal's rendezvous would make it; the viewer learns the camera's
 * (possibly NAT-translated) address from it and sends its hello there. The
 * punch carries nothing secret and the camera ignores anything but the core's
 * packets.
 *
 * Each ring frame is the benchmark's 17-byte frame header (frames.mjs: size,
 * seq, capture time in CLOCK_MONOTONIC ns, flags) followed by the payload, so
 * the receiver reports the exact capture time the sender scheduled. Time given
 * to the core: CLOCK_MONOTONIC in ms, truncated to u32 (the core is wrap-safe);
 * the ring's timestamps are the same milliseconds, so a frame's deadline runs
 * from its capture.
 *
 * Output (stdout, one JSON object per line) is the contract of transports.mjs;
 * besides, the receiver prints {"event": "connected" | "addr_changed" |
 * "closed", "at_ns": …} lines (the rebinding benchmark and test read them) and
 * the sender's "done" line carries the camera-side figures: handshake, CPU per
 * Mbit/s (getrusage of this process from connection to the end / megabits it
 * sent), memory per viewer (the core's own footprint_bytes), congestion
 * control and channel counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "frames-file.h"
#include "p2p.h"
#include "p2p_ring_source.h"
#include "ring.h"

#define PUNCH_BYTES 16
static const uint8_t PUNCH[PUNCH_BYTES] = "ivxs-bench-punch";
#define RING_ARENA (1u << 20)
#define CONNECT_TIMEOUT_MS 10000

/* ---- small helpers ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t ms_of(uint64_t ns)
{
	return (uint32_t)(ns / 1000000u);
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "udp-p2p: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(1);
}

static const char *opt(int argc, char **argv, const char *name)
{
	int i;
	for (i = 2; i + 1 < argc; i += 2)
		if (!strcmp(argv[i] + 2, name) && !strncmp(argv[i], "--", 2))
			return argv[i + 1];
	return NULL;
}

static const char *arg(int argc, char **argv, const char *name)
{
	const char *value = opt(argc, argv, name);
	if (!value)
		die("missing argument --", name);
	return value;
}

static void parse_hex(const char *hex, uint8_t *out, size_t len)
{
	size_t i;
	if (strlen(hex) != 2 * len)
		die("--secret/--ticket/--psk: hex of the wrong length", hex);
	for (i = 0; i < len; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			die("--secret/--ticket/--psk: not hex", hex);
		out[i] = (uint8_t)v;
	}
}

static void parse_addr(const char *text, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	if (!colon || (size_t)(colon - text) >= sizeof(host))
		die("address must be <ipv4>:<port>", text);
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = 0;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		die("not an IPv4 address", host);
}

static void to_p2p_addr(const struct sockaddr_in *sa, ivxs_p2p_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->len = sizeof(*sa);
	memcpy(a->bytes, sa, sizeof(*sa));
}

static int open_socket(const struct sockaddr_in *bind_to)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int size = 1 << 20;
	if (fd < 0)
		die("socket", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (bind_to && bind(fd, (const struct sockaddr *)bind_to, sizeof(*bind_to)))
		die("bind", strerror(errno));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK))
		die("fcntl", strerror(errno));
	return fd;
}

static int g_fd = -1;
static uint64_t g_sent;   /* datagrams the core sent (the rendezvous punches are not the core's) */

static void cb_send(void *ctx, const ivxs_p2p_addr *to, const uint8_t *data, size_t size)
{
	(void)ctx;
	g_sent++;
	/* a full socket buffer drops the datagram: the core's loss recovery handles it like link loss */
	(void)sendto(g_fd, data, size, 0, (const struct sockaddr *)to->bytes, to->len);
}

static int cb_random(void *ctx, uint8_t *out, size_t size)
{
	(void)ctx;
	while (size) {
		ssize_t n = getrandom(out, size, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		out += n;
		size -= (size_t)n;
	}
	return 0;
}

/* Creates an endpoint over the socket with the core's defaults (what the benchmark measures). */
static ivxs_p2p *endpoint(ivxs_p2p_config *c, int role, void (*event)(void *, ivxs_p2p_session *, ivxs_p2p_event, int),
		void (*frame)(void *, ivxs_p2p_session *, int, const uint8_t *, uint32_t, uint32_t, int, uint32_t), void *ctx)
{
	ivxs_p2p *p2p = NULL;
	int status;
	c->role = role;
	c->cb.send = cb_send;
	c->cb.event = event;
	c->cb.frame = frame;
	c->cb.random = cb_random;
	c->cb.ctx = ctx;
	if ((status = ivxs_p2p_create(&p2p, c)) != 0)
		die("endpoint", ivxs_p2p_strerror(status));
	return p2p;
}

/* Waits for the socket (and, if given, the other fd) until `until_ns`. */
static void wait_until(int other_fd, uint64_t until_ns)
{
	struct pollfd fds[2] = { { .fd = g_fd, .events = POLLIN }, { .fd = other_fd, .events = POLLIN } };
	uint64_t now = now_ns();
	struct timespec ts = { 0, 0 };
	if (until_ns > now) {
		ts.tv_sec = (time_t)((until_ns - now) / 1000000000u);
		ts.tv_nsec = (long)((until_ns - now) % 1000000000u);
	}
	if (ppoll(fds, other_fd >= 0 ? 2 : 1, &ts, NULL) < 0 && errno != EINTR)
		die("ppoll", strerror(errno));
	if (other_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
		char buf[256];
		if (read(other_fd, buf, sizeof(buf)) <= 0)
			exit(0);   /* the harness went away */
	}
}

/* ---- the camera (sender) ---- */

typedef struct {
	ivxs_p2p *p2p;
	ivxs_p2p_session *session;
	ivxs_ring *ring;
	ivxs_p2p_ring_source rsrc;
	ivxs_p2p_frame_source inner;   /* the ring source */
	ivxs_p2p_frame_source outer;   /* the same, noting which frames were handed to the core */
	uint8_t *handed;               /* per scheduled frame: 1 once handed to the core */
	uint32_t scheduled;
	uint64_t connected_ns, first_rx_ns;
	/* the handshake in datagrams, counted up to the session's proof of keys: one round trip is
	 * the hello and the viewer's first authenticated packet in, one reply out — a count a loaded
	 * machine cannot change, where the handshake's milliseconds include its scheduling delays */
	uint64_t received, handshake_rx, handshake_tx;
	int closed, closed_status;
	uint64_t addr_changes;
} camera;

static int outer_next(void *ctx, int key_only, ivxs_p2p_frame *out)
{
	camera *cam = ctx;
	int status = cam->inner.next(cam->inner.ctx, key_only, out);
	if (status == 1 && out->size >= HEADER_BYTES) {
		uint32_t seq = get32(out->data + 4);
		if (seq < cam->scheduled)
			cam->handed[seq] = 1;
	}
	return status;
}

static int outer_intact(void *ctx, const ivxs_p2p_frame *frame)
{
	camera *cam = ctx;
	return cam->inner.intact(cam->inner.ctx, frame);
}

static uint64_t outer_pending(void *ctx)
{
	camera *cam = ctx;
	return cam->inner.pending ? cam->inner.pending(cam->inner.ctx) : 0;
}

static void outer_rewind(void *ctx)
{
	camera *cam = ctx;
	cam->inner.rewind(cam->inner.ctx);
}

static void cam_event(void *ctx, ivxs_p2p_session *s, ivxs_p2p_event ev, int arg)
{
	camera *cam = ctx;
	int status;
	if (ev == IVXS_P2P_EV_CONNECTED && !cam->session) {
		cam->session = s;
		cam->connected_ns = now_ns();
		cam->handshake_rx = cam->received;
		cam->handshake_tx = g_sent;
		/* offset 0: ring timestamps are already the core's milliseconds */
		if ((status = ivxs_p2p_ring_source_init(&cam->rsrc, cam->ring, 0, &cam->inner)) != 0)
			die("ring source", ivxs_ring_strerror(status));
		cam->outer.next = outer_next;
		cam->outer.intact = outer_intact;
		cam->outer.pending = outer_pending;
		cam->outer.rewind = outer_rewind;   /* a live source, as the ring's (p2p.h) */
		cam->outer.overtaken = cam->inner.overtaken;
		cam->outer.ctx = cam;
		if ((status = ivxs_p2p_attach_frames(s, &cam->outer)) != 0)
			die("attach", ivxs_p2p_strerror(status));
	}
	else if (ev == IVXS_P2P_EV_ADDR_CHANGED)
		cam->addr_changes++;
	else if (ev == IVXS_P2P_EV_CLOSED && s == cam->session) {
		cam->closed = 1;
		cam->closed_status = arg;
		cam->session = NULL;
	}
}

/* Hands every waiting datagram to the core; returns how many. */
static int cam_receive(camera *cam)
{
	uint8_t buf[2048];
	struct sockaddr_in from;
	int count = 0;
	for (;; count++) {
		socklen_t len = sizeof(from);
		ivxs_p2p_addr a;
		ssize_t n = recvfrom(g_fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
		if (n < 0)
			return count;
		if (!cam->first_rx_ns)
			cam->first_rx_ns = now_ns();   /* the viewer's hello */
		cam->received++;
		to_p2p_addr(&from, &a);
		(void)ivxs_p2p_input(cam->p2p, &a, buf, (size_t)n, ms_of(now_ns()));
	}
}

static double cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int run_sender(int argc, char **argv)
{
	frames_file ff;
	camera cam;
	ivxs_p2p_config c;
	ivxs_ring_config rc;
	struct sockaddr_in viewer;
	uint8_t secret[32];
	uint32_t fps = (uint32_t)atoi(arg(argc, argv, "fps"));
	double seconds = atof(arg(argc, argv, "seconds"));
	uint64_t drain_ns = (uint64_t)atoi(arg(argc, argv, "drain-ms")) * 1000000u;
	uint64_t t0, start, next_tick, next_punch, end, cpu0_ns;
	double cpu0;
	uint32_t seq = 0, i;
	size_t footprint_max = 0;
	uint8_t *buf;
	size_t buf_size = 0;
	int status;
	uint64_t *capture;

	read_frames(arg(argc, argv, "frames"), &ff);
	parse_hex(arg(argc, argv, "secret"), secret, sizeof(secret));
	parse_addr(arg(argc, argv, "connect"), &viewer);
	buf_size = frame_buffer_bytes(&ff);
	memset(&cam, 0, sizeof(cam));
	cam.scheduled = (uint32_t)(seconds * fps + 0.5);
	cam.handed = calloc(cam.scheduled + 1, 1);
	capture = calloc(cam.scheduled + 1, sizeof(uint64_t));
	buf = malloc(buf_size);
	if (!fps || !cam.handed || !capture || !buf)
		die("bad --fps or out of memory", NULL);
	g_fd = open_socket(NULL);

	memset(&rc, 0, sizeof(rc));
	rc.arena_bytes = RING_ARENA;
	if ((status = ivxs_ring_create(&cam.ring, &rc)) != 0)
		die("ring", ivxs_ring_strerror(status));
	memset(&c, 0, sizeof(c));
	c.device_secret = secret;
	c.device_secret_len = sizeof(secret);
	if (strlen(arg(argc, argv, "device")) > IVXS_P2P_ID_BYTES)
		die("--device: at most 16 characters", arg(argc, argv, "device"));
	memcpy(c.device_id, arg(argc, argv, "device"), strlen(arg(argc, argv, "device")));
	/* optional: the media deadline (0 = the core's default, 600 ms) */
	c.deadline_ms = opt(argc, argv, "deadline-ms") ? (uint32_t)atoi(opt(argc, argv, "deadline-ms")) : 0;
	cam.p2p = endpoint(&c, IVXS_P2P_SERVER, cam_event, NULL, &cam);
	ivxs_p2p_set_unix_time(cam.p2p, (uint64_t)time(NULL));

	/* rendezvous: punch until the viewer's hello has made a session that proved its keys */
	t0 = now_ns();
	next_punch = t0;
	next_tick = t0;
	while (!cam.session) {
		uint64_t now = now_ns();
		if (now - t0 > (uint64_t)CONNECT_TIMEOUT_MS * 1000000u)
			die("no viewer connected within 10 s", NULL);
		if (now >= next_punch) {
			(void)sendto(g_fd, PUNCH, PUNCH_BYTES, 0, (const struct sockaddr *)&viewer, sizeof(viewer));
			next_punch = now + 100000000u;
		}
		if (cam_receive(&cam))
			next_tick = 0;   /* an input changes the core's timers: ask it again */
		if (now_ns() >= next_tick)
			next_tick = now_ns() + (uint64_t)ivxs_p2p_tick(cam.p2p, ms_of(now_ns())) * 1000000u;
		if (!cam.session)
			wait_until(-1, next_tick < next_punch ? next_tick : next_punch);
	}
	printf("{\"connected\": true, \"connect_ms\": %.3f}\n", (double)(cam.connected_ns - t0) / 1e6);

	cpu0 = cpu_ms();
	cpu0_ns = now_ns();
	start = now_ns() + 50000000u;
	for (i = 0; i < cam.scheduled; i++)
		capture[i] = start + (uint64_t)((double)i * 1e9 / fps + 0.5);
	end = capture[cam.scheduled - 1] + drain_ns;
	for (;;) {
		uint64_t now = now_ns(), wake;
		if (now >= end)
			break;
		if (cam_receive(&cam))
			next_tick = 0;   /* an input changes the core's timers (an ACK due, a loss found): ask it again */
		now = now_ns();
		if (seq < cam.scheduled && now >= capture[seq]) {
			/* the encoder's frame lands in the ring at its capture time */
			uint32_t size = frame_with_header(&ff, seq, capture[seq], buf);
			status = ivxs_ring_push(cam.ring, IVXS_FRAME_VIDEO, IVXS_CODEC_H264, ff.list[seq % ff.count].key,
					capture[seq] / 1000000u, buf, size);
			if (status < 0)
				die("ring push", ivxs_ring_strerror(status));
			seq++;
			next_tick = now;   /* send it now, as far as pacing allows */
			if (cam.session) {
				ivxs_p2p_session_stats st;
				if (!ivxs_p2p_session_stats_get(cam.session, &st) && st.footprint_bytes > footprint_max)
					footprint_max = st.footprint_bytes;
			}
		}
		if (now >= next_tick)
			next_tick = now_ns() + (uint64_t)ivxs_p2p_tick(cam.p2p, ms_of(now_ns())) * 1000000u;
		wake = next_tick;
		if (seq < cam.scheduled && capture[seq] < wake)
			wake = capture[seq];
		if (end < wake)
			wake = end;
		wait_until(-1, wake);
	}

	{
		double cpu = cpu_ms() - cpu0;
		double wall_s = (double)(now_ns() - cpu0_ns) / 1e9;
		ivxs_p2p_session_stats st;
		ivxs_p2p_channel_stats ch;
		ivxs_p2p_stats es;
		double mbit;
		camera_figures(cam.session, &st, &ch);
		ivxs_p2p_stats_get(cam.p2p, &es);
		mbit = (double)st.bytes_sent * 8 / 1e6;
		for (i = 0; i < cam.scheduled; i++)
			printf("{\"seq\": %u, \"capture_ns\": \"%llu\", \"bytes\": %u, \"key\": %s, \"sent\": %s}\n", i,
					(unsigned long long)capture[i], ff.list[i % ff.count].size, ff.list[i % ff.count].key ? "true" : "false",
					cam.handed[i] ? "true" : "false");
		printf("{\"done\": true, \"session_open\": %s, \"closed_status\": %d, "
				"\"handshake_ms_at_camera\": %.3f, \"handshake_rtts\": %.2f, \"handshake_datagrams_in\": %llu, \"handshake_datagrams_out\": %llu, \"min_rtt_ms\": %u, \"srtt_ms\": %u, "
				"\"cpu_ms\": %.1f, \"wall_s\": %.2f, \"cpu_share\": %.4f, \"wire_mbit_sent\": %.3f, \"cpu_ms_per_mbit\": %.1f, "
				"\"memory_per_viewer_bytes\": %zu, \"memory_per_viewer_max_bytes\": %zu, \"endpoint_bytes\": %zu, \"ring_arena_bytes\": %u, "
				"\"packets_sent\": %llu, \"packets_lost\": %llu, \"bandwidth_Bps\": %llu, \"pacing_Bps\": %llu, "
				"\"frames_acked\": %llu, \"frames_given_up\": %llu, \"frames_torn\": %llu, \"frames_skipped\": %llu, "
				"\"retransmits\": %llu, \"ring_source_skipped\": %llu, \"ring_source_jumps\": %llu, \"addr_changes\": %llu}\n",
				cam.session ? "true" : "false", cam.closed_status,
				(double)(cam.connected_ns - cam.first_rx_ns) / 1e6,
				st.min_rtt_ms ? (double)(cam.connected_ns - cam.first_rx_ns) / 1e6 / st.min_rtt_ms : 0.0,
				(unsigned long long)cam.handshake_rx, (unsigned long long)cam.handshake_tx,
				st.min_rtt_ms, st.srtt_ms, cpu, wall_s, cpu / 1e3 / wall_s, mbit, mbit > 0 ? cpu / mbit : 0.0,
				st.footprint_bytes, footprint_max, es.footprint_bytes, RING_ARENA,
				(unsigned long long)st.packets_sent, (unsigned long long)st.packets_lost,
				(unsigned long long)st.bandwidth, (unsigned long long)st.pacing_rate,
				(unsigned long long)ch.frames_sent, (unsigned long long)ch.frames_given_up,
				(unsigned long long)ch.frames_torn, (unsigned long long)ch.frames_skipped,
				(unsigned long long)ch.retransmits, (unsigned long long)cam.rsrc.skipped,
				(unsigned long long)cam.rsrc.jumps, (unsigned long long)cam.addr_changes);
		fflush(stdout);
	}
	if (cam.session)
		(void)ivxs_p2p_close(cam.session, ms_of(now_ns()));
	ivxs_p2p_destroy(&cam.p2p);
	ivxs_p2p_ring_source_close(&cam.rsrc);
	ivxs_ring_destroy(&cam.ring);
	free(buf);
	free(capture);
	free(cam.handed);
	free(ff.list);
	free(ff.file);
	close(g_fd);
	return 0;
}

/* ---- the viewer (receiver) ---- */

typedef struct {
	ivxs_p2p *p2p;
	ivxs_p2p_session *session;
	const frames_file *ff;
	uint64_t hello_ns;
} viewer;

static void view_event(void *ctx, ivxs_p2p_session *s, ivxs_p2p_event ev, int arg)
{
	viewer *v = ctx;
	uint64_t at = now_ns();
	(void)s;
	if (ev == IVXS_P2P_EV_CONNECTED)
		printf("{\"event\": \"connected\", \"at_ns\": \"%llu\", \"handshake_ms\": %.3f}\n", (unsigned long long)at,
				(double)(at - v->hello_ns) / 1e6);
	else if (ev == IVXS_P2P_EV_ADDR_CHANGED)
		printf("{\"event\": \"addr_changed\", \"at_ns\": \"%llu\"}\n", (unsigned long long)at);
	else if (ev == IVXS_P2P_EV_CLOSED) {
		printf("{\"event\": \"closed\", \"at_ns\": \"%llu\", \"status\": %d}\n", (unsigned long long)at, arg);
		v->session = NULL;
	}
}

static void view_frame(void *ctx, ivxs_p2p_session *s, int channel, const uint8_t *data, uint32_t size, uint32_t ts_ms,
		int key, uint32_t lost)
{
	viewer *v = ctx;
	uint64_t at = now_ns();
	uint32_t seq;
	int intact;
	(void)s;
	(void)ts_ms;
	(void)key;
	(void)lost;
	if (channel != IVXS_P2P_CH_MEDIA || size < HEADER_BYTES)
		return;
	seq = get32(data + 4);
	intact = frame_intact(v->ff, data, size);
	printf("{\"seq\": %u, \"capture_ns\": \"%llu\", \"recv_ns\": \"%llu\", \"bytes\": %u, \"intact\": %s}\n", seq,
			(unsigned long long)get64(data + 8), (unsigned long long)at, size - HEADER_BYTES, intact ? "true" : "false");
}

static int run_receiver(int argc, char **argv)
{
	frames_file ff;
	viewer v;
	ivxs_p2p_config c;
	struct sockaddr_in listen_at;
	uint8_t ticket[IVXS_P2P_TICKET_BYTES], psk[IVXS_P2P_PSK_BYTES], buf[2048];
	uint64_t next_tick;
	int status;

	read_frames(arg(argc, argv, "frames"), &ff);
	/* what the cloud hands the viewer: a ticket for this camera, and its pre-shared key */
	parse_hex(arg(argc, argv, "ticket"), ticket, sizeof(ticket));
	parse_hex(arg(argc, argv, "psk"), psk, sizeof(psk));
	parse_addr(arg(argc, argv, "listen"), &listen_at);
	memset(&v, 0, sizeof(v));
	v.ff = &ff;
	memset(&c, 0, sizeof(c));
	/* optional: frames reassembled at once (the camera keeps min(this, its tx_frames) in flight) */
	c.rx_frames = opt(argc, argv, "rx-frames") ? (uint32_t)atoi(opt(argc, argv, "rx-frames")) : 0;
	c.rx_frame_bytes = opt(argc, argv, "rx-frame-bytes") ? (uint32_t)atoi(opt(argc, argv, "rx-frame-bytes")) : 0;
	v.p2p = endpoint(&c, IVXS_P2P_CLIENT, view_event, view_frame, &v);
	g_fd = open_socket(&listen_at);
	printf("{\"ready\": true}\n");
	next_tick = now_ns();
	for (;;) {
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		ssize_t n;
		while ((n = recvfrom(g_fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len)) >= 0) {
			next_tick = 0;   /* the delay the last tick returned is stale: an ACK may be due in 10 ms */
			ivxs_p2p_addr a;
			to_p2p_addr(&from, &a);
			if (n == PUNCH_BYTES && !memcmp(buf, PUNCH, PUNCH_BYTES)) {
				if (!v.session) {
					v.hello_ns = now_ns();
					status = ivxs_p2p_connect(v.p2p, &a, ticket, sizeof(ticket), psk, ms_of(v.hello_ns), &v.session);
					if (status)
						die("connect", ivxs_p2p_strerror(status));
				}
			}
			else
				(void)ivxs_p2p_input(v.p2p, &a, buf, (size_t)n, ms_of(now_ns()));
			len = sizeof(from);
		}
		if (now_ns() >= next_tick)
			next_tick = now_ns() + (uint64_t)ivxs_p2p_tick(v.p2p, ms_of(now_ns())) * 1000000u;
		wait_until(0, next_tick);
	}
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "sender"))
		return run_sender(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "receiver"))
		return run_receiver(argc, argv);
	fprintf(stderr, "usage: udp-p2p sender|receiver --name value …\n");
	return 2;
}
