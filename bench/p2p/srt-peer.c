/*
 * srt-peer — the SRT peer of the p2p benchmark (bench/p2p/transports.mjs): a sender and a
 * receiver on libsrt's message API in live mode (SRTT_LIVE: timestamp-based delivery after
 * SRTO_LATENCY, late packets dropped), AES-128 (a passphrase), as the transport contract of
 * transports.mjs wants them. Built by the benchmark on first use: gcc … -lsrt (Debian's
 * libsrt-openssl-dev).
 *
 * Live mode sends messages of at most SRTO_PAYLOADSIZE (1316) bytes, so a frame travels as
 * chunks, each with its own header (all big-endian):
 *   u32 seq, u64 capture time (CLOCK_MONOTONIC ns), u32 frame size, u16 chunk index,
 *   u16 chunk count, u8 flags (bit 0: key frame) — 21 bytes — then up to 1295 payload bytes.
 * The receiver reassembles a frame when its last missing chunk arrives; a chunk SRT dropped
 * (too late) leaves its frame incomplete: never received.
 *
 *   srt-peer sender --connect <addr>:<port> --frames <file> --fps 15 --seconds 10 --drain-ms 2000 --latency-ms 120
 *   srt-peer receiver --listen <addr>:<port> --frames <file> --latency-ms 120
 *
 * The sender's "done" line: cpu_ms (CPU time of this process, SRT's threads included, from the
 * connection to the end), max_rss_kb (getrusage), and SRT's own counters (srt_bstats).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <srt/srt.h>

#define CHUNK 1316
#define HEAD 21
#define PASSPHRASE "ivxs-bench-srt-passphrase"
#define SLOTS 4096

typedef struct { uint32_t size; uint8_t key; const uint8_t *data; } Frame;
typedef struct { Frame *list; uint32_t count; uint8_t *blob; } Frames;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
}

static void die(const char *what)
{
	fprintf(stderr, "srt-peer: %s: %s\n", what, srt_getlasterror_str());
	exit(1);
}

static void load_frames(const char *path, Frames *ff)
{
	FILE *f = fopen(path, "rb");
	long n;
	size_t at = 0, cap = 64;
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) { perror(path); exit(1); }
	ff->blob = malloc((size_t)n + 1);
	if (!ff->blob || fread(ff->blob, 1, (size_t)n, f) != (size_t)n) { perror(path); exit(1); }
	fclose(f);
	ff->list = malloc(cap * sizeof(Frame));
	ff->count = 0;
	while (at + 5 <= (size_t)n) {
		uint32_t size = ((uint32_t)ff->blob[at] << 24) | ((uint32_t)ff->blob[at + 1] << 16) | ((uint32_t)ff->blob[at + 2] << 8) | ff->blob[at + 3];
		if (at + 5 + size > (size_t)n) { fprintf(stderr, "%s: truncated\n", path); exit(1); }
		if (ff->count == cap) ff->list = realloc(ff->list, (cap *= 2) * sizeof(Frame));
		ff->list[ff->count++] = (Frame){ size, ff->blob[at + 4] & 1, ff->blob + at + 5 };
		at += 5 + size;
	}
	if (!ff->count) { fprintf(stderr, "%s: no frames\n", path); exit(1); }
}

static const char *arg(int argc, char **argv, const char *name, const char *fallback)
{
	for (int i = 2; i + 1 < argc; i += 2)
		if (strcmp(argv[i] + 2, name) == 0) return argv[i + 1];
	if (!fallback) { fprintf(stderr, "srt-peer: --%s missing\n", name); exit(2); }
	return fallback;
}

static struct sockaddr_in address(const char *text)
{
	struct sockaddr_in sa;
	char host[64];
	const char *colon = strrchr(text, ':');
	memset(&sa, 0, sizeof sa);
	if (!colon || (size_t)(colon - text) >= sizeof host) { fprintf(stderr, "bad address %s\n", text); exit(2); }
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = 0;
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) { fprintf(stderr, "bad address %s\n", text); exit(2); }
	return sa;
}

static SRTSOCKET live_socket(int latency_ms)
{
	SRTSOCKET s = srt_create_socket();
	int live = SRTT_LIVE, keylen = 16;
	if (s == SRT_INVALID_SOCK) die("socket");
	if (srt_setsockflag(s, SRTO_TRANSTYPE, &live, sizeof live) || srt_setsockflag(s, SRTO_LATENCY, &latency_ms, sizeof latency_ms)
			|| srt_setsockflag(s, SRTO_PASSPHRASE, PASSPHRASE, (int)strlen(PASSPHRASE)) || srt_setsockflag(s, SRTO_PBKEYLEN, &keylen, sizeof keylen))
		die("setsockflag");
	return s;
}

static void put32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }
static uint32_t get32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }

/* CPU time of the whole process, SRT's own threads included */
static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int sender(int argc, char **argv)
{
	Frames ff;
	struct sockaddr_in sa = address(arg(argc, argv, "connect", NULL));
	int fps = atoi(arg(argc, argv, "fps", NULL));
	uint32_t count = (uint32_t)(atof(arg(argc, argv, "seconds", NULL)) * fps + 0.5);
	uint64_t drain = (uint64_t)atoi(arg(argc, argv, "drain-ms", NULL)) * 1000000ull;
	SRTSOCKET s = live_socket(atoi(arg(argc, argv, "latency-ms", "120")));
	uint8_t buf[CHUNK];
	uint64_t t0, start;
	unsigned send_failures = 0;
	double cpu0;
	SRT_TRACEBSTATS st;
	struct rusage ru;

	load_frames(arg(argc, argv, "frames", NULL), &ff);
	t0 = now_ns();
	if (srt_connect(s, (struct sockaddr *)&sa, sizeof sa) == SRT_ERROR) die("connect");
	cpu0 = cpu_ms();
	printf("{\"connected\": true, \"connect_ms\": %.3f}\n", (double)(now_ns() - t0) / 1e6);
	fflush(stdout);
	start = now_ns() + 50000000ull;
	for (uint32_t seq = 0; seq < count; seq++) {
		uint64_t capture = start + (uint64_t)seq * 1000000000ull / (uint64_t)fps;
		const Frame *f = &ff.list[seq % ff.count];
		uint32_t room = CHUNK - HEAD, chunks = f->size ? (f->size + room - 1) / room : 1;
		int sent = 1;
		sleep_until(capture);
		for (uint32_t c = 0; c < chunks; c++) {
			uint32_t at = c * room, n = f->size - at < room ? f->size - at : room;
			put32(buf, seq);
			put32(buf + 4, (uint32_t)(capture >> 32));
			put32(buf + 8, (uint32_t)capture);
			put32(buf + 12, f->size);
			buf[16] = (uint8_t)(c >> 8); buf[17] = (uint8_t)c;
			buf[18] = (uint8_t)(chunks >> 8); buf[19] = (uint8_t)chunks;
			buf[20] = f->key;
			memcpy(buf + HEAD, f->data + at, n);
			if (srt_sendmsg2(s, (const char *)buf, (int)(HEAD + n), NULL) == SRT_ERROR) {
				if (!send_failures++) fprintf(stderr, "srt-peer: send: %s\n", srt_getlasterror_str());
				sent = 0;
			}
		}
		printf("{\"seq\": %u, \"capture_ns\": \"%llu\", \"bytes\": %u, \"key\": %s, \"sent\": %s}\n", seq,
				(unsigned long long)capture, f->size, f->key ? "true" : "false", sent ? "true" : "false");
	}
	fflush(stdout);
	sleep_until(now_ns() + drain);
	memset(&st, 0, sizeof st);
	if (srt_bstats(s, &st, 0) == SRT_ERROR) fprintf(stderr, "srt-peer: stats: %s\n", srt_getlasterror_str());
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"done\": true, \"send_failures\": %u, \"cpu_ms\": %.1f, \"max_rss_kb\": %ld, \"packets_sent\": %lld, \"packets_retransmitted\": %d, "
			"\"packets_dropped_at_sender\": %d, \"packets_lost_reported\": %d, \"rtt_ms\": %.1f, \"send_buffer_bytes\": %d}\n",
			send_failures, cpu_ms() - cpu0, ru.ru_maxrss, (long long)st.pktSentTotal, st.pktRetransTotal, st.pktSndDropTotal, st.pktSndLossTotal,
			st.msRTT, st.byteAvailSndBuf);
	fflush(stdout);
	srt_close(s);
	srt_cleanup();
	return 0;
}

typedef struct { uint32_t seq, got, chunks, size; uint8_t used, done; uint8_t *data; uint8_t *have; } Slot;

static int receiver(int argc, char **argv)
{
	Frames ff;
	struct sockaddr_in sa = address(arg(argc, argv, "listen", NULL));
	SRTSOCKET l = live_socket(atoi(arg(argc, argv, "latency-ms", "120"))), s;
	static Slot slots[SLOTS];
	uint8_t buf[CHUNK + 64];
	int timeout = 200;

	load_frames(arg(argc, argv, "frames", NULL), &ff);
	if (srt_bind(l, (struct sockaddr *)&sa, sizeof sa) == SRT_ERROR || srt_listen(l, 1) == SRT_ERROR) die("listen");
	printf("{\"ready\": true}\n");
	fflush(stdout);
	s = srt_accept(l, NULL, NULL);
	if (s == SRT_INVALID_SOCK) die("accept");
	srt_setsockflag(s, SRTO_RCVTIMEO, &timeout, sizeof timeout);
	for (;;) {
		struct pollfd in = { 0, POLLIN, 0 };
		int n;
		/* The harness holds our stdin: when it closes, we go. */
		if (poll(&in, 1, 0) > 0 && read(0, buf, sizeof buf) <= 0) break;
		n = srt_recvmsg2(s, (char *)buf, sizeof buf, NULL);
		uint64_t at = now_ns();
		if (n == SRT_ERROR) {
			int error = srt_getlasterror(NULL);
			/* a quiet spell (SRTO_RCVTIMEO passed) is not the end: look at stdin again */
			if (error == SRT_ETIMEOUT || error == SRT_EASYNCRCV) continue;
			fprintf(stderr, "srt-peer: receive: %s\n", srt_getlasterror_str());
			break;
		}
		if (n < HEAD) continue;
		uint32_t seq = get32(buf), size = get32(buf + 12), c = ((uint32_t)buf[16] << 8) | buf[17], chunks = ((uint32_t)buf[18] << 8) | buf[19];
		uint64_t capture = ((uint64_t)get32(buf + 4) << 32) | get32(buf + 8);
		uint32_t room = CHUNK - HEAD;
		Slot *sl = &slots[seq % SLOTS];
		if (c >= chunks || size > 64u << 20 || (uint64_t)c * room + (uint32_t)(n - HEAD) > size + 0ull) continue;
		if (!sl->used || sl->seq != seq) {
			free(sl->data); free(sl->have);
			*sl = (Slot){ seq, 0, chunks, size, 1, 0, malloc(size ? size : 1), calloc(chunks, 1) };
		}
		if (sl->done || chunks != sl->chunks || sl->have[c]) continue;
		sl->have[c] = 1;
		memcpy(sl->data + (size_t)c * room, buf + HEAD, (size_t)(n - HEAD));
		if (++sl->got == chunks) {
			const Frame *f = &ff.list[seq % ff.count];
			int intact = f->size == size && memcmp(f->data, sl->data, size) == 0;
			sl->done = 1;
			printf("{\"seq\": %u, \"capture_ns\": \"%llu\", \"recv_ns\": \"%llu\", \"bytes\": %u, \"intact\": %s}\n", seq,
					(unsigned long long)capture, (unsigned long long)at, size, intact ? "true" : "false");
			fflush(stdout);
		}
	}
	srt_close(s);
	srt_close(l);
	srt_cleanup();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "sender") && strcmp(argv[1], "receiver"))) {
		fprintf(stderr, "usage: srt-peer sender|receiver --name value …\n");
		return 2;
	}
	srt_startup();
	srt_setloglevel(LOG_ERR);
	return strcmp(argv[1], "sender") == 0 ? sender(argc, argv) : receiver(argc, argv);
}
