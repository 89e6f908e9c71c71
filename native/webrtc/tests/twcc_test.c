/* Tests of the sender's transport-wide congestion control (twcc.h): the header extension it
 * writes, and the rate it gives over simulated links — a camera's video (bursts of key frames, the
 * endpoint's frame skipping) through a bottleneck queue with a propagation delay to a viewer whose
 * clock is not ours, reporting every 100 ms with feedback written by the tests' own encoder
 * (twcc_encode.h). Then stalls, and feedback a hostile viewer might send. The clock starts at
 * IVXS_CLOCK_BASE. Ends with "N passed, N failed". */
#include "twcc.h"

#include <string.h>

#include "ivxs_test.h"
#include "ivxs_test_random.h"
#include "twcc_encode.h"

#define ID 3
static uint32_t g_base;

/* An RTP packet of ours: version 2, payload type 96, `size` bytes with a payload pattern. */
static size_t rtpPacket(uint8_t *p, size_t size, uint16_t seq)
{
	size_t i;
	memset(p, 0, 12);
	p[0] = 0x80;
	p[1] = 96;
	p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
	p[11] = 7;
	for (i = 12; i < size; i++)
		p[i] = (uint8_t)(i * 31);
	return size;
}

static void test_stamp(void)
{
	static ivxs_twcc t;
	uint8_t p[1300], copy[1300];
	size_t i;
	long n;
	ivxs_twcc_init(&t, g_base);
	rtpPacket(p, 1000, 5);
	memcpy(copy, p, sizeof(p));
	n = ivxs_twcc_stamp(&t, ID, p, 1000, sizeof(p), 1010, 0, g_base);
	CHECK_EQ(n, 1008);
	CHECK_EQ(p[0], 0x90);   /* X set */
	CHECK(!memcmp(p + 1, copy + 1, 11));
	CHECK(p[12] == 0xbe && p[13] == 0xde && p[14] == 0 && p[15] == 1);
	CHECK(p[16] == (ID << 4 | 1) && p[17] == 0 && p[18] == 0 && p[19] == 0);
	CHECK(!memcmp(p + 20, copy + 12, 988));
	rtpPacket(p, 1000, 6);
	CHECK_EQ(ivxs_twcc_stamp(&t, ID, p, 1000, sizeof(p), 1010, 1, g_base), 1008);
	CHECK(p[17] == 0 && p[18] == 1);   /* numbered in order */
	CHECK_EQ(t.inFlight, 2020);
	/* refused, and nothing changed: an extension already, CSRCs, not version 2, an id out of range, no room */
	for (i = 0; i < 5; i++) {
		rtpPacket(p, 100, 1);
		if (i == 0) p[0] |= 0x10;
		if (i == 1) p[0] |= 0x01;
		if (i == 2) p[0] = 0x40;
		memcpy(copy, p, 100);
		n = ivxs_twcc_stamp(&t, i == 3 ? 15 : ID, p, 100, i == 4 ? 107 : sizeof(p), 110, 0, g_base);
		CHECKF(n == (i == 4 ? IVXS_WEBRTC_EMTU : IVXS_WEBRTC_EPACKET), "case %u: %ld", (unsigned)i, n);
		CHECK(!memcmp(copy, p, 100));
	}
	CHECK_EQ(ivxs_twcc_stamp(&t, 0, p, 100, sizeof(p), 110, 0, g_base), IVXS_WEBRTC_EPACKET);
	CHECK_EQ(t.stats.packets, 2);
	CHECK_EQ(t.next, 2);
done:;
}

/* ---- a simulated path ---- */

#define SIM_PACKETS 65536
typedef struct {
	/* the link: a FIFO at `rate` bytes/s, at most `queueMs` of backlog (then tail drop), `delayMs` one way */
	uint32_t rate, queueMs, delayMs;
	uint32_t burstBytes;       /* a token bucket's burst, sent at line rate (0: a plain FIFO) */
	uint64_t freeUs;           /* when the bottleneck has sent what it holds */
	/* the camera: frames at 15 fps, `videoRate` bytes/s on average, a key frame of 5 x a P frame every 15 */
	uint32_t videoRate;
	uint32_t audioBytes;       /* an audio packet every 20 ms, never held back (charged to the allowance) */
	int64_t remoteOffsetUs;    /* the viewer's clock minus ours */
	/* what arrived, by transport-wide number (mod 2^16), and when on the viewer's clock (-1: not) */
	int64_t arrival[SIM_PACKETS];
	uint16_t reportFrom;       /* the next number to report on */
	uint16_t highest;
	int any;
	uint8_t feedbackCount;
	/* feedback in flight back to the camera */
	struct { uint8_t fci[1200]; size_t len; uint64_t atUs; } fb[64];
	unsigned fbHead, fbTail;
	/* what the viewer got, and the endpoint's frame skipping */
	uint32_t framesSent, framesSkipped, packetsDropped, bytesDelivered;
	uint64_t lastUs, maxDelayUs, minDelayUs;
	double allowance;
	int keyed;
	int feedbackOff;           /* the viewer stops reporting */
	unsigned feedbackLossEvery; /* every Nth feedback is lost on the way (0: none) */
	int feedbackLost;          /* every feedback is lost on the way */
	int noCc;                  /* the sender before this CC: every frame sent at once */
	int cwndOnly;              /* simSaturate: the CC's window alone, without the feedback interval's bytes */
	int chain;                 /* the frames sent since the last key frame all arrived whole */
	uint32_t framesDecodable;  /* arrived whole, and every frame they depend on too */
} sim;

/* How early the link's token bucket lets a packet go: its burst at the link's rate. */
static uint64_t burstUs(const sim *s)
{
	return (uint64_t)s->burstBytes * 1000000 / s->rate;
}

static void simSend(sim *s, ivxs_twcc *t, size_t bytes, int last, uint64_t nowUs, uint32_t now)
{
	uint8_t p[1300];
	uint16_t seq;
	uint64_t start, doneUs;
	long n;
	rtpPacket(p, bytes, 0);
	n = ivxs_twcc_stamp(t, ID, p, bytes, sizeof(p), (uint32_t)bytes + 8 + 10, last, now);
	if (n < 0)
		abort();
	seq = (uint16_t)(p[17] << 8 | p[18]);
	start = s->freeUs > nowUs ? s->freeUs : nowUs;
	if (start - nowUs > (uint64_t)s->queueMs * 1000 + burstUs(s)) {   /* the queue is full: dropped */
		s->arrival[seq] = -1;
		s->packetsDropped++;
		return;
	}
	/* a token bucket: a packet leaves once the fluid backlog ahead of it is within the burst */
	s->freeUs = start + (uint64_t)(n + 10 + 28) * 1000000 / s->rate;
	doneUs = s->freeUs - burstUs(s) > nowUs && s->freeUs > burstUs(s) ? s->freeUs - burstUs(s) : nowUs;
	s->arrival[seq] = (int64_t)(doneUs + (uint64_t)s->delayMs * 1000) + s->remoteOffsetUs;
	if (doneUs - nowUs > s->maxDelayUs)
		s->maxDelayUs = doneUs - nowUs;
	if (doneUs - nowUs < s->minDelayUs)
		s->minDelayUs = doneUs - nowUs;
	s->bytesDelivered += (uint32_t)n;
}

/* The viewer at `nowUs` (ours): a feedback on every number from the last one reported to the
 * highest that has arrived, like a browser's, every 100 ms. */
static void simReport(sim *s, ivxs_twcc *t, uint64_t nowUs)
{
	static twcc_packet pk[TWCC_MAX];
	int64_t remoteNow = (int64_t)nowUs + s->remoteOffsetUs, first = -1;
	uint16_t seq, end;
	size_t n = 0, i;
	int32_t ref, ref24;
	unsigned kinds[3] = { 0, 0, 0 };
	int found = 0;
	/* the highest number arrived by now (among those sent) */
	for (seq = s->reportFrom; seq != t->next; seq++)
		if (s->arrival[seq] >= 0 && s->arrival[seq] <= remoteNow)
			end = seq, found = 1;
	if (!found || s->feedbackOff)
		return;
	for (seq = s->reportFrom; n < TWCC_MAX; seq++) {
		int arrived = s->arrival[seq] >= 0 && s->arrival[seq] <= remoteNow;
		pk[n].seq = seq;
		pk[n].received = arrived;
		pk[n].arrivalUs = arrived ? s->arrival[seq] : 0;
		if (arrived && first < 0)
			first = s->arrival[seq];
		n++;
		if (seq == end)
			break;
	}
	/* the reference time: the first arrival's 64-ms tick, as 24 bits wrap it; the arrivals shifted alike */
	ref = (int32_t)(first / 64000);
	ref24 = (int32_t)((uint32_t)ref & 0xffffff);
	if (ref24 & 0x800000)
		ref24 -= 0x1000000;
	for (i = 0; i < n; i++)
		pk[i].arrivalUs -= (int64_t)(ref - ref24) * 64000;
	/* a receive delta after a loss may exceed 16 bits only when the link idled ~8 s: not here */
	if (s->feedbackLost || (s->feedbackLossEvery && s->feedbackCount % s->feedbackLossEvery == s->feedbackLossEvery - 1))
		s->feedbackCount++;   /* sent, lost on the way: its numbers are never reported again */
	else if (s->fbTail - s->fbHead < 64) {
		unsigned k = s->fbTail++ % 64;
		s->fb[k].len = twccEncode(s->fb[k].fci, s->reportFrom, ref24, s->feedbackCount++, pk, n, 0, kinds);
		s->fb[k].atUs = nowUs + (uint64_t)s->delayMs * 1000;
	}
	s->reportFrom = (uint16_t)(pk[n - 1].seq + 1);
}

static void simDeliverFeedback(sim *s, ivxs_twcc *t, uint64_t nowUs, uint32_t now)
{
	while (s->fbHead != s->fbTail && s->fb[s->fbHead % 64].atUs <= nowUs) {
		ivxs_rtcp_packet p;
		memset(&p, 0, sizeof(p));
		p.type = IVXS_RTCP_RTPFB;
		p.count = 15;
		p.body = s->fb[s->fbHead % 64].fci;
		p.bodyLen = s->fb[s->fbHead % 64].len;
		if (ivxs_twcc_feedback(t, &p, now))
			abort();
		s->fbHead++;
	}
}

/* Runs `seconds` of the camera's stream over the link in 1-ms steps; the endpoint's skipping: a
 * frame goes when the allowance (refilled at the rate twcc gives, at most 0.25 s of it) is not below 0. */
static void simRun(sim *s, ivxs_twcc *t, uint32_t seconds, uint64_t *clockUs)
{
	uint32_t step, frame = 0, dropped;
	uint64_t nowUs = *clockUs;
	for (step = 0; step < seconds * 1000; step++, nowUs += 1000) {
		uint32_t now = g_base + (uint32_t)(nowUs / 1000);
		uint64_t rate;
		simDeliverFeedback(s, t, nowUs, now);
		if (step % 100 == 0)
			simReport(s, t, nowUs);
		rate = s->noCc ? 1000000000 : ivxs_twcc_rate(t, now);
		s->allowance += (double)rate * (double)(nowUs - s->lastUs) / 1e6;
		if (s->allowance > (double)rate / 4)   /* the endpoint's PATH_BURST_S: a quarter second of the rate */
			s->allowance = (double)rate / 4;
		s->lastUs = nowUs;
		if (s->audioBytes && step % 20 == 0) {
			s->allowance -= (double)s->audioBytes;
			simSend(s, t, s->audioBytes, 1, nowUs, now);
		}
		if (step % 67 == 0) {   /* ~15 fps */
			int key = frame % 15 == 0;
			size_t size = (size_t)s->videoRate / 15 * (key ? 5 : 1) * 15 / 19, left;
			frame++;
			if (!key && !s->keyed) {
				s->framesSkipped++;
				continue;
			}
			if (s->allowance < 0) {
				s->keyed = 0;
				s->framesSkipped++;
				continue;
			}
			s->allowance -= (double)size;
			s->keyed = 1;
			s->framesSent++;
			dropped = s->packetsDropped;
			for (left = size; left; ) {
				size_t chunk = left > 1150 ? 1150 : left;
				left -= chunk;
				simSend(s, t, chunk + 12, left == 0, nowUs, now);
			}
			s->chain = (key || s->chain) && s->packetsDropped == dropped;
			s->framesDecodable += (uint32_t)s->chain;
		}
	}
	*clockUs = nowUs;
}

/* A sender that always has more to send (the frames waiting behind a key frame), paced at the
 * rate twcc gives and sending only while ivxs_twcc_window_open says so — as the session paces a
 * lossy viewer's frames (modules/webrtc/session.ts). */
static void simSaturate(sim *s, ivxs_twcc *t, uint32_t ms, uint64_t *clockUs)
{
	uint64_t nowUs = *clockUs;
	double pacer = 0;
	uint32_t step;
	for (step = 0; step < ms; step++, nowUs += 1000) {
		uint32_t now = g_base + (uint32_t)(nowUs / 1000);
		simDeliverFeedback(s, t, nowUs, now);
		if ((nowUs / 1000) % 100 == 0)
			simReport(s, t, nowUs);
		pacer += (double)ivxs_twcc_rate(t, now) / 1000;
		if (pacer > 2 * 1200)
			pacer = 2 * 1200;
		while (pacer > 0 && (s->cwndOnly ? p2p_cc_window_open(&t->cc, 1200, t->inFlight) : ivxs_twcc_window_open(t, 1200, now))) {
			simSend(s, t, 1162, 0, nowUs, now);
			pacer -= 1200;
		}
	}
	*clockUs = nowUs;
}

static sim *simNew(uint32_t rate, uint32_t delayMs, uint32_t videoRate)
{
	sim *s = calloc(1, sizeof(*s));
	if (!s)
		abort();
	s->rate = rate;
	s->delayMs = delayMs;
	s->queueMs = 500;
	s->videoRate = videoRate;
	s->remoteOffsetUs = 987654321000LL;
	s->allowance = 1e12;   /* as the endpoint's: the first refill caps it to 1 s of the rate */
	memset(s->arrival, 0xff, sizeof(s->arrival));
	return s;
}

/* A link that carries the stream: the rate never holds it back (no frame skipped after the start)
 * and stays above the stream's, at 20 ms and at 200 ms one way. */
static void test_fat_link(uint32_t delayMs)
{
	static ivxs_twcc t;
	sim *s = simNew(1000000, delayMs, 125000);   /* 8 Mbit/s, a 1 Mbit/s stream */
	uint64_t clockUs = 0;
	uint32_t skipped;
	ivxs_test_begin();
	ivxs_twcc_init(&t, g_base);
	simRun(s, &t, 4, &clockUs);
	skipped = s->framesSkipped;
	simRun(s, &t, 16, &clockUs);
	NOTE("%u ms: bottleneck %llu B/s, pacing %llu B/s, min RTT %lld ms; %u frames sent, %u skipped; %u feedbacks, "
		"%u received, %u lost, %u expired", delayMs, (unsigned long long)t.cc.btl_bw, (unsigned long long)t.cc.pacing_rate,
		(long long)t.rtt.min, s->framesSent, s->framesSkipped, t.stats.feedbacks,
		t.stats.received, t.stats.lost, t.stats.expired);
	CHECKF(s->framesSkipped == skipped, "%u frames skipped after the first 4 s", s->framesSkipped - skipped);
	CHECKF(t.cc.pacing_rate >= 125000, "pacing %llu B/s under the stream's 125000", (unsigned long long)t.cc.pacing_rate);
	CHECK_EQ(t.stats.lost, 0);
	CHECK(t.stats.feedbacks > 150 && t.stats.received > 1500);
	CHECKF(t.rtt.min >= 2 * delayMs && t.rtt.min <= 2 * delayMs + 40, "min RTT %lld ms", (long long)t.rtt.min);
done:
	free(s);
	ivxs_test_end(delayMs == 20 ? "a link that carries the stream (20 ms one way): never held back" : "a link that carries the stream (200 ms one way): never held back");
}

/* A link at 40 % of the stream, its queue holding 1 s: the rate settles near the link's, frames are
 * skipped whole (a GOP's tail) and nearly nothing is dropped, where sending every frame (the sender
 * before this CC) loses nearly all of them in the queue. The stream is harsh: a key frame is 660 ms
 * of this link, more than the allowance's quarter second of burst, so the frame after it cannot
 * follow and the viewer gets the key frames (one a second) — what frame-aware skipping without
 * an encoder to slow down can give. Measured over 20 s after the first 5. */
static void test_thin_link(void)
{
	static ivxs_twcc t, t0;
	sim *s = simNew(50000, 30, 125000), *s0 = simNew(50000, 30, 125000);   /* 400 kbit/s under a 1 Mbit/s stream */
	uint64_t clockUs = 0, clock0 = 0;
	uint32_t decodable, decodable0, dropped, dropped0, packets;
	s->queueMs = s0->queueMs = 1000;
	s0->noCc = 1;
	ivxs_twcc_init(&t, g_base);
	ivxs_twcc_init(&t0, g_base);
	simRun(s, &t, 5, &clockUs);
	simRun(s0, &t0, 5, &clock0);
	decodable = s->framesDecodable, dropped = s->packetsDropped, packets = t.stats.packets;
	decodable0 = s0->framesDecodable, dropped0 = s0->packetsDropped;
	simRun(s, &t, 20, &clockUs);
	simRun(s0, &t0, 20, &clock0);
	decodable = s->framesDecodable - decodable, dropped = s->packetsDropped - dropped, packets = t.stats.packets - packets;
	decodable0 = s0->framesDecodable - decodable0, dropped0 = s0->packetsDropped - dropped0;
	NOTE("bottleneck %llu B/s (link 50000); %u frames decodable, %u of %u packets dropped; every frame sent: %u "
		"decodable, %u dropped", (unsigned long long)t.cc.btl_bw, decodable, dropped, packets, decodable0, dropped0);
	CHECKF(t.cc.btl_bw >= 40000 && t.cc.btl_bw <= 60000, "bottleneck %llu B/s", (unsigned long long)t.cc.btl_bw);
	CHECKF(decodable >= 18 && decodable >= 3 * decodable0, "%u frames decodable, %u sending every frame", decodable, decodable0);
	CHECKF(dropped * 50 <= packets, "%u of %u packets dropped", dropped, packets);
done:
	free(s);
	free(s0);
}

/* The same thin link as a token bucket (tc tbf) with a 3 KB burst, which leaves at line rate: the
 * key frames still arrive, nearly nothing is dropped. */
static void test_token_bucket(void)
{
	static ivxs_twcc t;
	sim *s = simNew(50000, 10, 125000);
	uint64_t clockUs = 0;
	uint32_t decodable, dropped, packets, i;
	uint64_t most = 0;
	s->queueMs = 1000;
	s->burstBytes = 3000;
	ivxs_twcc_init(&t, g_base);
	simRun(s, &t, 5, &clockUs);
	decodable = s->framesDecodable, dropped = s->packetsDropped, packets = t.stats.packets;
	for (i = 0; i < 20; i++) {
		simRun(s, &t, 1, &clockUs);
		if (t.cc.btl_bw > most)
			most = t.cc.btl_bw;
	}
	decodable = s->framesDecodable - decodable, dropped = s->packetsDropped - dropped, packets = t.stats.packets - packets;
	NOTE("bottleneck %llu B/s at the end, %llu B/s at most (link 50000); %u frames decodable, %u of %u packets dropped",
		(unsigned long long)t.cc.btl_bw, (unsigned long long)most, decodable, dropped, packets);
	CHECKF(decodable >= 18, "%u frames decodable", decodable);
	CHECKF(dropped * 50 <= packets, "%u of %u packets dropped", dropped, packets);
done:
	free(s);
}

/* A last hop that thins mid-stream to a little above the audio: 150 kbit/s with a 1.6 s queue and a
 * 3 KB token bucket (the NAT tests' tc tbf towards Chromium) under ~100 kbit/s of audio on the wire
 * (never held back) and a 120 kbit/s stream. What the old rate queued drains slowly, longer than
 * the minimum RTT's window: taken at once, the window's rise made that queue the path's delay. And
 * once it had drained, 3 KB passed the bucket at once and read as a bandwidth the filter kept for
 * 2 s: a queue of ~1.3 s again every ~11 s. Now the least-delayed packet of every second of the
 * last 10 waits little (no standing queue) and the CC's minimum RTT is the path's. */
static void test_thinned(void)
{
	static ivxs_twcc t;
	sim *s = simNew(1000000, 1, 15000);
	uint64_t clockUs = 0, standing = 0;
	uint32_t second;
	s->audioBytes = 200;
	s->queueMs = 100;
	ivxs_twcc_init(&t, g_base);
	simRun(s, &t, 5, &clockUs);
	s->rate = 18750;
	s->queueMs = 1600;
	s->burstBytes = 3000;
	for (second = 0; second < 25; second++) {
		s->minDelayUs = UINT64_MAX;
		simRun(s, &t, 1, &clockUs);
		if (second >= 15 && s->minDelayUs > standing)
			standing = s->minDelayUs;
	}
	NOTE("bottleneck %llu B/s (link 18750), the CC's min RTT %u ms; the last 10 s: a second's least-delayed packet "
		"queued %llu ms at most; %u frames sent, %u skipped, %u packets dropped", (unsigned long long)t.cc.btl_bw,
		t.cc.min_rtt, (unsigned long long)standing / 1000, s->framesSent, s->framesSkipped, s->packetsDropped);
	CHECKF(t.cc.min_rtt <= 2 + 120, "the CC's min RTT %u ms", t.cc.min_rtt);
	CHECKF(standing <= 200000, "a queue of %llu ms stood", (unsigned long long)standing / 1000);
done:
	free(s);
}

/* The stall time for `t` as twcc.c reckons it: max(IVXS_TWCC_STALL_MIN_MS, 250 + 2 x SRTT). */
static uint32_t stallOf(const ivxs_twcc *t)
{
	return 250 + 2 * t->rtt.srtt < IVXS_TWCC_STALL_MIN_MS ? IVXS_TWCC_STALL_MIN_MS : 250 + 2 * t->rtt.srtt;
}

/* The viewer stops reporting (gone, or every report lost on the way back): the rate last measured
 * is held until it has been silent two stall times, then halved each stall time,
 * IVXS_TWCC_SILENT_HALVINGS times; then 0 but for a probe once nothing has gone for the probe time.
 * Its packets expire; on the link, the frames go on for the first second and then mostly stop. */
static void test_stall(void)
{
	static ivxs_twcc t;
	sim *s = simNew(1000000, 20, 125000);
	uint64_t clockUs = 0, held;
	uint32_t now, heard, stall, sent, skipped, h;
	uint8_t p[1300];
	ivxs_twcc_init(&t, g_base);
	simRun(s, &t, 3, &clockUs);
	now = g_base + (uint32_t)(clockUs / 1000);
	CHECK(ivxs_twcc_rate(&t, now) > 0);
	/* the rates by the clock alone, on a copy (nothing sent meanwhile but one packet at the cut) */
	{
		static ivxs_twcc c;
		c = t;
		rtpPacket(p, 1000, 1);
		CHECK(ivxs_twcc_stamp(&c, ID, p, 1000, sizeof(p), 1018, 1, now) > 0);
		heard = c.heardMs, stall = stallOf(&c);
		held = c.cc.btl_bw && c.cc.btl_bw < c.cc.pacing_rate ? c.cc.btl_bw : c.cc.pacing_rate;
		CHECKF(ivxs_twcc_rate(&c, heard + 2 * stall - 1) == held, "rate %llu, held %llu",
			(unsigned long long)ivxs_twcc_rate(&c, heard + 2 * stall - 1), (unsigned long long)held);
		CHECK(ivxs_twcc_window_open(&c, 0xffff, heard + 2 * stall - 1));
		for (h = 1; h <= IVXS_TWCC_SILENT_HALVINGS && (h + 2) * stall < IVXS_TWCC_EXPIRE_MS; h++)
			CHECKF(ivxs_twcc_rate(&c, heard + (h + 1) * stall) == held >> h, "%u halvings: rate %llu",
				h, (unsigned long long)ivxs_twcc_rate(&c, heard + (h + 1) * stall));
		/* past the halvings: a packet sent within the probe time holds it at 0, then a probe may go */
		now = heard + (IVXS_TWCC_SILENT_HALVINGS + 2) * stall;
		(void)ivxs_twcc_rate(&c, now - stall);   /* (what went at the cut expires) */
		rtpPacket(p, 1000, 2);
		CHECK(ivxs_twcc_stamp(&c, ID, p, 1000, sizeof(p), 1018, 1, now - stall) > 0);
		rtpPacket(p, 1000, 3);
		CHECK(ivxs_twcc_stamp(&c, ID, p, 1000, sizeof(p), 1018, 1, now) > 0);
		CHECKF(ivxs_twcc_rate(&c, now + 1) == 0, "rate %llu", (unsigned long long)ivxs_twcc_rate(&c, now + 1));
		CHECK(ivxs_twcc_rate(&c, now + IVXS_TWCC_PROBE_MIN_MS + 2 * c.rtt.srtt) > 0);
	}
	/* on the link: the first second of silence costs no frame, the next four carry few */
	s->feedbackOff = 1;
	s->fbHead = s->fbTail;
	skipped = s->framesSkipped;
	simRun(s, &t, 1, &clockUs);
	CHECKF(s->framesSkipped == skipped, "%u frames skipped in the first second of silence", s->framesSkipped - skipped);
	sent = s->framesSent;
	simRun(s, &t, 4, &clockUs);
	NOTE("%u of 60 frames sent in the 4 s after that", s->framesSent - sent);
	CHECKF(s->framesSent - sent <= 30, "%u frames sent into a path silent for 1-5 s", s->framesSent - sent);   /* the rate held: all 60 */
	CHECK(t.stats.expired > 0);
	CHECK(ivxs_twcc_rate(&t, g_base + (uint32_t)(clockUs / 1000) + IVXS_TWCC_EXPIRE_MS) > 0);
	CHECK(t.inFlight == 0);
done:
	free(s);
}

/* A fresh state with packets 0-9 sent at the clock's base (1000 bytes each, the last app-limited),
 * and `rp` an empty TWCC feedback packet to fill: 1, or 0 when a stamp failed. */
static int tenSent(ivxs_twcc *t, ivxs_rtcp_packet *rp)
{
	uint8_t p[1300];
	unsigned i;
	ivxs_twcc_init(t, g_base);
	for (i = 0; i < 10; i++) {
		rtpPacket(p, 1000, (uint16_t)i);
		if (ivxs_twcc_stamp(t, ID, p, 1000, sizeof(p), 1018, i == 9, g_base) <= 0)
			return 0;
	}
	memset(rp, 0, sizeof(*rp));
	rp->type = IVXS_RTCP_RTPFB;
	rp->count = 15;
	return 1;
}

/* The last packets sent are lost and nothing follows them: no report can say so until something
 * after them arrives. Stalled, the rate stays the last measured and the window lets it through,
 * though what the tail holds would shut it; what goes next gets reported, that report settles the
 * tail as lost, and the path is back. */
static void test_tail_lost(void)
{
	static ivxs_twcc t;
	static twcc_packet pk[TWCC_MAX];
	uint8_t fci[1200], p[1300];
	ivxs_rtcp_packet rp;
	unsigned kinds[3] = { 0, 0, 0 }, i;
	size_t len;
	CHECK(tenSent(&t, &rp));
	for (i = 0; i < 5; i++)   /* 0-4 arrived; 5-9, the tail, did not (a feedback covers up to the last arrival) */
		pk[i].seq = (uint16_t)i, pk[i].received = 1, pk[i].arrivalUs = 64000 + i * 1000;
	len = twccEncode(fci, 0, 1, 0, pk, 5, 0, kinds);
	rp.body = fci, rp.bodyLen = len;
	CHECK_EQ(ivxs_twcc_feedback(&t, &rp, g_base + 60), 0);
	CHECK(ivxs_twcc_rate(&t, g_base + 400) > 0);
	rtpPacket(p, 1000, 10);   /* one more that goes nowhere */
	CHECK(ivxs_twcc_stamp(&t, ID, p, 1000, sizeof(p), 1018, 1, g_base + 450) > 0);
	/* the tail unreported past the stall time: the rate held, and the window open though it holds the tail */
	CHECKF(ivxs_twcc_rate(&t, g_base + 600) > 0, "rate %llu", (unsigned long long)ivxs_twcc_rate(&t, g_base + 600));
	CHECK(!p2p_cc_window_open(&t.cc, t.cc.cwnd, t.inFlight));
	CHECK(ivxs_twcc_window_open(&t, t.cc.cwnd, g_base + 600));
	rtpPacket(p, 1000, 11);
	CHECK(ivxs_twcc_stamp(&t, ID, p, 1000, sizeof(p), 1018, 1, g_base + 650) > 0);
	for (i = 0; i < 7; i++)   /* its report: the tail not received, the one after received */
		pk[i].seq = (uint16_t)(5 + i), pk[i].received = i == 6, pk[i].arrivalUs = i == 6 ? 128000 + 680000 : 0;
	len = twccEncode(fci, 5, 1, 1, pk, 7, 0, kinds);
	rp.body = fci, rp.bodyLen = len;
	CHECK_EQ(ivxs_twcc_feedback(&t, &rp, g_base + 720), 0);
	CHECK(t.stats.lost == 6 && t.inFlight == 0 && t.stats.expired == 0);
	CHECK(ivxs_twcc_rate(&t, g_base + 730) > 0);
done:;
}

/* The window: with ten packets of 1018 bytes out, two more MTUs do not fit the initial window (ten
 * MTUs); nothing out, anything fits (a key frame is never held back for good); their report opens
 * it again, as the native wire's ACKs do. */
static void test_window(void)
{
	static ivxs_twcc t;
	static twcc_packet pk[TWCC_MAX];
	uint8_t fci[1200];
	ivxs_rtcp_packet rp;
	unsigned kinds[3] = { 0, 0, 0 }, i;
	ivxs_twcc_init(&t, g_base);
	CHECK(ivxs_twcc_window_open(&t, 60000, g_base));   /* nothing in flight */
	CHECK(tenSent(&t, &rp));
	CHECKF(t.inFlight == 10180 && !ivxs_twcc_window_open(&t, 2 * IVXS_P2P_MTU, g_base) && ivxs_twcc_window_open(&t, t.cc.cwnd - t.inFlight, g_base),
		"in flight %u, window %u", t.inFlight, t.cc.cwnd);
	for (i = 0; i < 10; i++)
		pk[i].seq = (uint16_t)i, pk[i].received = 1, pk[i].arrivalUs = 64000 + i * 1000;
	rp.body = fci, rp.bodyLen = twccEncode(fci, 0, 1, 0, pk, 10, 0, kinds);
	CHECK_EQ(ivxs_twcc_feedback(&t, &rp, g_base + 60), 0);
	CHECK(t.inFlight == 0 && ivxs_twcc_window_open(&t, 2 * IVXS_P2P_MTU, g_base + 60));
done:;
}

/* A backlogged sender on a 60-ms path whose viewer reports every 100 ms: what arrived waits up to
 * 100 ms longer than a round trip to be reported, so the CC's window (two round trips of the
 * path) alone holds the sender to ~3/4 of the link; with the feedback interval's bytes counted it
 * fills the link. The interval is measured (t.gapMs). Over 5 s after the first 3. */
static void test_window_feedback_interval(void)
{
	static ivxs_twcc t, t0;
	sim *s = simNew(160000, 30, 125000), *s0 = simNew(160000, 30, 125000);   /* 1.28 Mbit/s */
	uint64_t clockUs = 0, clock0 = 0;
	uint32_t bytes, bytes0;
	s0->cwndOnly = 1;
	ivxs_twcc_init(&t, g_base);
	ivxs_twcc_init(&t0, g_base);
	simSaturate(s, &t, 3000, &clockUs);
	simSaturate(s0, &t0, 3000, &clock0);
	bytes = s->bytesDelivered, bytes0 = s0->bytesDelivered;
	simSaturate(s, &t, 5000, &clockUs);
	simSaturate(s0, &t0, 5000, &clock0);
	bytes = s->bytesDelivered - bytes, bytes0 = s0->bytesDelivered - bytes0;
	NOTE("feedback every %u ms, window %u B + %llu B; delivered %u B/s of 160000 (the window alone: %u B/s); %u dropped",
		t.gapMs, t.cc.cwnd, (unsigned long long)(t.cc.btl_bw * t.gapMs / 1000), bytes / 5, bytes0 / 5, s->packetsDropped);
	CHECKF(t.gapMs >= 90 && t.gapMs <= 110, "feedback interval %u ms", t.gapMs);
	CHECKF(bytes / 5 >= 160000 * 9 / 10, "%u B/s delivered", bytes / 5);
	CHECKF(bytes0 / 5 <= 160000 * 85 / 100, "the window alone: %u B/s delivered (the case this tests is gone)", bytes0 / 5);
	CHECK(s->packetsDropped == 0);
done:
	free(s);
	free(s0);
}

/* The same backlogged sender when the viewer's feedback is lost for 400 ms (a burst on its sparse
 * flow: the p2p bench's bursty links silence Chromium's feedback for 300-600 ms at a time): the
 * path carries on, and so does the sender, at its pace — what the path delivered in the silence
 * counts as delivered (twcc.c waitMs). With the usual interval's allowance alone the window shut
 * after a few packets until the stall time (500 ms), and a key frame waited behind it. Nothing is
 * dropped at the link: the sender's pace is the path's, not faster. */
static void test_window_feedback_silence(void)
{
	static ivxs_twcc t;
	sim *s = simNew(160000, 30, 125000);   /* 1.28 Mbit/s, 60-ms path */
	uint64_t clockUs = 0;
	uint32_t packets, dropped;
	ivxs_twcc_init(&t, g_base);
	simSaturate(s, &t, 3000, &clockUs);
	packets = t.stats.packets, dropped = s->packetsDropped;
	s->feedbackLost = 1;
	simSaturate(s, &t, 400, &clockUs);
	s->feedbackLost = 0;
	packets = t.stats.packets - packets;
	NOTE("%u packets (%u B) sent in 400 ms without feedback, the path carrying %u B; bottleneck %llu B/s; %u dropped",
		packets, packets * 1200, 160000 * 4 / 10, (unsigned long long)t.cc.btl_bw, s->packetsDropped - dropped);
	/* two thirds: the silence's first feedback interval (100 ms) goes as any interval does — the
	 * window full by its end, awaiting the report — and from then on the path's pace (22 packets
	 * before, 39 with waitMs) */
	CHECKF(packets * 1200 >= 160000 * 4 / 10 * 2 / 3, "%u packets sent in the silence", packets);
	simSaturate(s, &t, 2000, &clockUs);
	CHECKF(s->packetsDropped == dropped, "%u dropped", s->packetsDropped - dropped);
done:
	free(s);
}

/* Every 5th feedback lost on the way back (the viewer reports each packet once): the packets it
 * reported are settled as missed when the next one starts past them, so the path never reads as
 * stalled — as many frames go as with every feedback heard, and the rate stays the link's. */
static void test_feedback_lost(void)
{
	static ivxs_twcc t, t0;
	sim *s = simNew(250000, 30, 125000), *s0 = simNew(250000, 30, 125000);   /* 2 Mbit/s, a 1 Mbit/s stream */
	uint64_t clockUs = 0, clock0 = 0;
	uint32_t skipped;
	ivxs_twcc_init(&t, g_base);
	ivxs_twcc_init(&t0, g_base);
	s->feedbackLossEvery = 5;
	simRun(s, &t, 3, &clockUs);
	simRun(s0, &t0, 3, &clock0);
	skipped = s->framesSkipped;
	simRun(s, &t, 10, &clockUs);
	simRun(s0, &t0, 10, &clock0);
	NOTE("%u feedbacks heard, %u packets missed; %u frames skipped after the start (all heard: %u); rate %llu B/s (all heard: %llu)",
		t.stats.feedbacks, t.stats.missed, s->framesSkipped - skipped, s0->framesSkipped, (unsigned long long)t.cc.pacing_rate, (unsigned long long)t0.cc.pacing_rate);
	CHECKF(s->framesSkipped - skipped <= s0->framesSkipped + 2, "%u frames skipped", s->framesSkipped - skipped);
	CHECK(t.stats.missed > 0 && t0.stats.missed == 0);
	CHECKF(t.cc.pacing_rate * 10 >= t0.cc.pacing_rate * 7, "rate %llu", (unsigned long long)t.cc.pacing_rate);
	CHECK(t.stats.expired == 0);
done:
	free(s);
	free(s0);
}

/* The viewer's feedback lost for a second on the way back — a burst of lost packets on a flow of
 * 10-20 feedbacks a second (the p2p bench's bursty links: 2.25 s) — while its stream arrives: the
 * frames go on as with every feedback heard (before a silent path kept its rate, those after the
 * stall time were skipped, and their GOP), and the feedback after the burst settles what the lost
 * ones would have reported as missed (what the history no longer holds, as expired). */
static void test_feedback_burst(void)
{
	static ivxs_twcc t, t0;
	sim *s = simNew(250000, 30, 125000), *s0 = simNew(250000, 30, 125000);   /* 2 Mbit/s, a 1 Mbit/s stream */
	uint64_t clockUs = 0, clock0 = 0;
	uint32_t skipped, skipped0;
	ivxs_twcc_init(&t, g_base);
	ivxs_twcc_init(&t0, g_base);
	simRun(s, &t, 3, &clockUs);
	simRun(s0, &t0, 3, &clock0);
	skipped = s->framesSkipped, skipped0 = s0->framesSkipped;
	s->feedbackLost = 1;
	simRun(s, &t, 1, &clockUs);
	simRun(s0, &t0, 1, &clock0);
	s->feedbackLost = 0;
	simRun(s, &t, 9, &clockUs);
	simRun(s0, &t0, 9, &clock0);
	NOTE("%u frames skipped with 1 s of feedback lost (all heard: %u); %u packets missed, %u expired; rate %llu B/s (all heard: %llu)",
		s->framesSkipped - skipped, s0->framesSkipped - skipped0, t.stats.missed, t.stats.expired,
		(unsigned long long)t.cc.pacing_rate, (unsigned long long)t0.cc.pacing_rate);
	CHECKF(s->framesSkipped - skipped <= s0->framesSkipped - skipped0 + 2, "%u frames skipped", s->framesSkipped - skipped);
	CHECKF(t.stats.missed > 0, "%u missed, %u expired", t.stats.missed, t.stats.expired);   /* (those past the history's 128 packets expire) */
	CHECKF(t.cc.pacing_rate * 10 >= t0.cc.pacing_rate * 7, "rate %llu", (unsigned long long)t.cc.pacing_rate);
done:
	free(s);
	free(s0);
}

/* Feedback a hostile viewer may send: about numbers never sent, thousands of statuses in a few
 * bytes, malformed. None of it moves the rate or what is in flight, and each costs a bounded read. */
static void test_hostile(void)
{
	static ivxs_twcc t;
	static twcc_packet pk[TWCC_MAX];
	uint8_t fci[1200];
	ivxs_rtcp_packet rp;
	unsigned kinds[3] = { 0, 0, 0 }, i;
	uint64_t rate;
	uint32_t inFlight, heardMs;
	size_t len;
	CHECK(tenSent(&t, &rp));
	rate = t.cc.pacing_rate;
	inFlight = t.inFlight;
	heardMs = t.heardMs;
	/* numbers 1000..1099, never sent, all received */
	for (i = 0; i < 100; i++)
		pk[i].seq = (uint16_t)(1000 + i), pk[i].received = 1, pk[i].arrivalUs = 64000 + i * 1000;
	len = twccEncode(fci, 1000, 1, 0, pk, 100, 0, kinds);
	rp.body = fci, rp.bodyLen = len;
	CHECK_EQ(ivxs_twcc_feedback(&t, &rp, g_base + 50), 0);
	CHECK(t.inFlight == inFlight && t.cc.pacing_rate == rate && t.stats.received == 0);
	CHECK_EQ(t.stats.unknown, 2 * IVXS_TWCC_HISTORY > 100 ? 100 : 2 * IVXS_TWCC_HISTORY);
	/* 8191 "not received" in one run-length chunk, then ours: read no further than the bound */
	memset(fci, 0, sizeof(fci));
	fci[0] = 0xe0, fci[1] = 0x00;   /* base 57344 */
	fci[2] = 0x1f, fci[3] = 0xff;   /* 8191 statuses */
	fci[8] = 0x1f, fci[9] = 0xff;   /* run of 8191, not received */
	rp.body = fci, rp.bodyLen = 12;
	t.stats.unknown = 0;
	CHECK_EQ(ivxs_twcc_feedback(&t, &rp, g_base + 60), 0);
	CHECK_EQ(t.stats.unknown, 2 * IVXS_TWCC_HISTORY);
	CHECK(t.inFlight == inFlight && t.stats.lost == 0);
	CHECK(t.heardMs == heardMs);   /* neither settled a packet of ours: a stalled path's silence goes on */
	/* malformed: refused, counted */
	rp.bodyLen = 7;
	CHECK_EQ(ivxs_twcc_feedback(&t, &rp, g_base + 70), IVXS_WEBRTC_EPACKET);
	CHECK_EQ(t.stats.refused, 1);
	CHECK(t.inFlight == inFlight);
	/* the real report, then the same again (a replayed feedback: nothing left to settle) */
	for (i = 0; i < 10; i++)
		pk[i].seq = (uint16_t)i, pk[i].received = 1, pk[i].arrivalUs = 128000 + i * 200;
	len = twccEncode(fci, 0, 2, 1, pk, 10, 0, kinds);
	rp.body = fci, rp.bodyLen = len;
	CHECK_EQ(ivxs_twcc_feedback(&t, &rp, g_base + 80), 0);
	CHECK(t.inFlight == 0 && t.stats.received == 10);
	CHECK(t.heardMs == g_base + 80);
	CHECK_EQ(ivxs_twcc_feedback(&t, &rp, g_base + 90), 0);
	CHECK(t.stats.received == 10 && t.stats.unknown == 2 * IVXS_TWCC_HISTORY + 10 && t.heardMs == g_base + 80);
	CHECK(t.gapMs == 0);   /* one feedback that settled packets: no interval yet */
	/* a viewer that reports 10 s later: its interval (what the window adds bytes for) counts 250 ms at most */
	{
		uint8_t p[1300];
		rtpPacket(p, 1000, 10);
		CHECK(ivxs_twcc_stamp(&t, ID, p, 1000, sizeof(p), 1018, 1, g_base + 100) > 0);
		pk[0].seq = 10, pk[0].received = 1, pk[0].arrivalUs = 192000;
		rp.body = fci, rp.bodyLen = twccEncode(fci, 10, 3, 2, pk, 1, 0, kinds);
		CHECK_EQ(ivxs_twcc_feedback(&t, &rp, g_base + 10080), 0);
		CHECKF(t.stats.received == 11 && t.gapMs == IVXS_TWCC_GAP_MAX_MS, "interval %u ms", t.gapMs);
	}
done:;
}

#define SPAN_US ((int64_t)IVXS_TWCC_SPAN_MS * 1000)

/* The viewer's reference time wraps (24 bits of 64 ms: every 12.4 days) mid-stream: the same run
 * as with a clock far from its wrap, to the byte. */
static void test_remote_wrap(void)
{
	static ivxs_twcc t, t0;
	sim *s = simNew(1000000, 30, 125000), *s0 = simNew(1000000, 30, 125000);
	uint64_t clockUs = 0, clock0 = 0;
	ivxs_twcc_init(&t, g_base);
	ivxs_twcc_init(&t0, g_base);
	/* 5 s before the wrap of the signed reference (2^23 x 64 ms); the other 448 s before it
	 * (7,000 x 64 ms: the same reference-time rounding) */
	s->remoteOffsetUs = (int64_t)0x800000 * 64000 - 5056000;
	s0->remoteOffsetUs = s->remoteOffsetUs - 7 * 64000 * 1000;
	simRun(s, &t, 15, &clockUs);
	simRun(s0, &t0, 15, &clock0);
	NOTE("bottleneck %llu B/s; without the wrap %llu B/s", (unsigned long long)t.cc.btl_bw, (unsigned long long)t0.cc.btl_bw);
	CHECK(t.cc.btl_bw == t0.cc.btl_bw && t.cc.pacing_rate == t0.cc.pacing_rate && s->framesSent == s0->framesSent);
	CHECK(t.stats.received == t0.stats.received && t.rtt.min == t0.rtt.min && t.rtt.srtt == t0.rtt.srtt);
done:
	free(s);
	free(s0);
}

/* A viewer whose reference time runs a third of its span ahead at each feedback (well-formed, each
 * reporting a packet of ours): 3,000 wraps in 9,000 feedbacks. The clock offset it keeps stays
 * within half the span (unwrapped, it grew a span a wrap: a signed 64-bit overflow after ~8.4 M
 * wraps), and each packet still settles as received, its ACK time within [sent, now]. */
static void test_remote_hops(void)
{
	static ivxs_twcc t;
	twcc_packet pk;
	uint8_t p[1300], fci[64];
	ivxs_rtcp_packet rp;
	unsigned kinds[3] = { 0, 0, 0 }, i, n = 9000, far = 0;
	int32_t reference = 0;
	uint32_t now = g_base;
	ivxs_twcc_init(&t, now);
	memset(&rp, 0, sizeof(rp));
	rp.type = IVXS_RTCP_RTPFB;
	rp.count = 15;
	for (i = 0; i < n; i++, now += 20) {
		rtpPacket(p, 1000, (uint16_t)i);
		if (ivxs_twcc_stamp(&t, ID, p, 1000, sizeof(p), 1018, 1, now) <= 0)
			break;
		reference = (reference + 0x555556) & 0xffffff;
		pk.seq = (uint16_t)i, pk.received = 1, pk.arrivalUs = (int64_t)reference * 64000;
		rp.body = fci, rp.bodyLen = twccEncode(fci, (uint16_t)i, reference, (uint8_t)i, &pk, 1, 0, kinds);
		if (ivxs_twcc_feedback(&t, &rp, now + 10))
			break;
		if (t.ackOffsetUs < -SPAN_US / 2 || t.ackOffsetUs >= SPAN_US / 2)
			far++;
	}
	NOTE("%u feedbacks, ACK offset %lld µs, out of half the span %u times", i, (long long)t.ackOffsetUs, far);
	CHECK_EQ(i, n);
	CHECK_EQ(far, 0);
	CHECK(t.stats.received == n && t.stats.feedbacks == n && t.inFlight == 0);
	CHECK(ivxs_twcc_rate(&t, now) > 0);
done:;
}

int main(void)
{
	g_base = ivxs_test_clock_base(0xfffff000u);
	ivxs_test_run("the transport-wide number's header extension (RFC 8285 one-byte form); packets not ours refused", test_stamp);
	test_fat_link(20);
	test_fat_link(200);
	ivxs_test_run("a link at 40 % of the stream: the rate follows the link's, frames skipped whole, ≤ 2 % dropped; sending them all, nothing decodable", test_thin_link);
	ivxs_test_run("the same link as a token bucket with a 3 KB burst at line rate: key frames arrive, ≤ 2 % dropped", test_token_bucket);
	ivxs_test_run("a last hop thinned mid-stream to a little above the audio: the queue the old rate filled is drained, not taken for the path's delay", test_thinned);
	ivxs_test_run("a viewer that stops reporting: the rate held for two stall times of silence, then halved, then probes; packets expire", test_stall);
	ivxs_test_run("the tail of what was sent lost, nothing after it: the rate held and the window open, the next report settles the tail", test_tail_lost);
	ivxs_test_run("the congestion control's window: full with its bytes unreported, open again by their report", test_window);
	ivxs_test_run("a viewer reporting every 100 ms on a 60-ms path: the window holds what waits for the report, the sender fills the link", test_window_feedback_interval);
	ivxs_test_run("the viewer's feedback lost for 400 ms: the window stays open at the path's pace, nothing dropped", test_window_feedback_silence);
	ivxs_test_run("every 5th feedback lost: its packets settled as missed by the next, the path never stalled", test_feedback_lost);
	ivxs_test_run("the viewer's feedback lost for a second on the way back: the frames go on", test_feedback_burst);
	ivxs_test_run("hostile feedback: numbers never sent, 8191 statuses in 4 bytes, malformed, replayed", test_hostile);
	ivxs_test_run("the viewer's clock wraps (24-bit reference time) mid-stream", test_remote_wrap);
	ivxs_test_run("a viewer's reference time hopping a third of its span a feedback: 3,000 wraps, its clock offset stays bounded", test_remote_hops);
	return ivxs_test_summary();
}
