/*
 * The viewer core's feed (feed.h) over a scripted frame source and a recording wire: which frames
 * go and when — the allowance, the deadline and the skip to the next key frame, gaps, torn and
 * unwalkable frames, pacing while the viewer loses packets, the path's window, key frame requests,
 * repairs and the waiting window's bound — at any clock base.
 */
#include "feed.h"
#include "ivxs_test.h"
#include "ring.h"

#include <string.h>

#define FRAMES 128
#define PACKET 1000u   /* the fake wire's packets: a frame of n bytes is ceil(n / PACKET) packets */

static uint32_t g_base;

/* A scripted source: frames pushed, handed out in order; `overwritten` marks frames torn. */
typedef struct {
	ivxs_p2p_frame frames[FRAMES];
	uint8_t bytes[FRAMES];
	int pushed, next;
	uint64_t overtaken;
	int overwritten[FRAMES];
	int rewinds;
} Source;

static int srcNext(void *ctx, int key_only, ivxs_p2p_frame *out)
{
	Source *s = ctx;
	(void)key_only;
	if (s->next >= s->pushed)
		return 0;
	*out = s->frames[s->next++];
	return 1;
}

static int srcIntact(void *ctx, const ivxs_p2p_frame *f)
{
	const Source *s = ctx;
	return !s->overwritten[f->token[1]];
}

static void srcRewind(void *ctx)
{
	Source *s = ctx;
	int i;
	s->rewinds++;
	for (i = s->pushed - 1; i >= 0; i--)
		if (s->frames[i].key && s->frames[i].flags == IVXS_FRAME_VIDEO) {
			s->next = i;
			return;
		}
}

static void push(Source *s, int video, int key, uint32_t size)
{
	ivxs_p2p_frame *f = &s->frames[s->pushed];
	memset(f, 0, sizeof(*f));
	f->data = &s->bytes[s->pushed];
	f->size = size;
	f->key = (uint8_t)key;
	f->flags = video ? IVXS_FRAME_VIDEO : IVXS_FRAME_AUDIO;
	f->token[1] = (uint64_t)s->pushed;
	s->pushed++;
}

/* A wire that records the frames it sends whole, packet by packet. */
typedef struct {
	uint64_t rate;             /* the path's (IVXS_FEED_UNBOUNDED: no feedback) */
	uint32_t queue_ms;
	int window;                /* its window is open */
	int unwalkable;            /* frame token to refuse at begin (-1 none) */
	uint32_t left;             /* bytes of the begun frame still to make */
	int sent[FRAMES];          /* packets sent of each frame */
	int whole[FRAMES];         /* frames whose last packet went */
	int order[FRAMES], count;  /* frames whose last packet went, in order */
	uint64_t token;
	uint32_t packets;
	int full;                  /* it has no room for a frame (a store of frames in flight, full) */
} Wire;

static int wBegin(void *ctx, const ivxs_p2p_frame *f)
{
	Wire *w = ctx;
	if ((int)f->token[1] == w->unwalkable)
		return -5;
	w->left = f->size;
	w->token = f->token[1];
	return 0;
}

static long wMake(void *ctx, const ivxs_p2p_frame *f, int more, uint32_t now)
{
	Wire *w = ctx;
	(void)more;
	(void)now;
	(void)f;
	if (!w->left)
		return 0;
	return w->left < PACKET ? (long)w->left : (long)PACKET;
}

static uint32_t wSend(void *ctx)
{
	Wire *w = ctx;
	uint32_t n = w->left < PACKET ? w->left : PACKET;
	w->left -= n;
	w->sent[w->token]++;
	w->packets++;
	if (!w->left) {
		w->whole[w->token] = 1;
		w->order[w->count++] = (int)w->token;
	}
	return n;
}

static uint64_t wRate(void *ctx, uint32_t now)
{
	(void)now;
	return ((Wire *)ctx)->rate;
}

static uint32_t wQueue(void *ctx)
{
	return ((Wire *)ctx)->queue_ms;
}

static int wWindow(void *ctx, uint32_t bytes, uint32_t now)
{
	(void)bytes;
	(void)now;
	return ((Wire *)ctx)->window;
}

static int wRoom(void *ctx, const ivxs_p2p_frame *f, uint32_t now)
{
	(void)f;
	(void)now;
	return !((Wire *)ctx)->full;
}

static Source g_src;
static Wire g_wire;

/* `audio`: IVXS_FEED_AUDIO_* (0: none, 1: carries on). */
static void setup(ivxs_feed *feed, int audio, uint32_t now)
{
	ivxs_p2p_frame_source src;
	ivxs_feed_wire wire = { wBegin, wMake, wSend, wRate, wQueue, wWindow, wRoom, &g_wire };
	memset(&g_src, 0, sizeof(g_src));
	memset(&g_wire, 0, sizeof(g_wire));
	g_wire.rate = IVXS_FEED_UNBOUNDED;
	g_wire.window = 1;
	g_wire.unwalkable = -1;
	memset(&src, 0, sizeof(src));
	src.next = srcNext;
	src.intact = srcIntact;
	src.ctx = &g_src;
	src.overtaken = &g_src.overtaken;
	src.rewind = srcRewind;
	ivxs_feed_init(feed, &src, &wire, audio, now);
}

/* The feed takes its part of `uplink` through `share` (a wire's), or none. */
static void shareUplink(ivxs_feed *feed, ivxs_uplink_share *share, ivxs_uplink *uplink, uint32_t now)
{
	ivxs_uplink_detach(share);
	if (uplink)
		ivxs_uplink_attach(uplink, share, IVXS_FEED_BURST_MS, now);
	ivxs_feed_share_uplink(feed, uplink ? share : NULL);
}

static void test_unbounded(void)
{
	ivxs_feed feed;
	uint32_t t = g_base;
	setup(&feed, IVXS_FEED_AUDIO_CARRIES_ON, t);
	push(&g_src, 1, 0, 500);   /* 0: no key frame yet: not sent */
	push(&g_src, 0, 0, 160);   /* 1: audio before the picture: not sent */
	push(&g_src, 1, 1, 2500);  /* 2: the key frame, three packets */
	push(&g_src, 0, 0, 160);   /* 3: audio, sent */
	push(&g_src, 1, 0, 800);   /* 4 */
	CHECK_EQ(ivxs_feed_tick(&feed, t), IVXS_FEED_IDLE);
	CHECK(!g_wire.sent[0] && !g_wire.sent[1]);
	CHECK(g_wire.whole[2] && g_wire.sent[2] == 3 && g_wire.whole[3] && g_wire.whole[4]);
	CHECK_EQ(feed.stats.frames, 2);
	CHECK_EQ(feed.stats.audio_frames, 1);
	CHECK(feed.keyed && ivxs_feed_key_is_newest(&feed));
	/* a gap: the ring overtook the reader — the next P frame waits for a key frame */
	g_src.overtaken = 3;
	push(&g_src, 1, 0, 800);   /* 5 */
	CHECK_EQ(ivxs_feed_tick(&feed, t + 10), IVXS_FEED_IDLE);
	CHECK(!g_wire.sent[5] && feed.stats.gaps == 1);
	push(&g_src, 1, 1, 900);   /* 6 */
	ivxs_feed_tick(&feed, t + 20);
	CHECK(g_wire.whole[6]);
	CHECK(!ivxs_feed_key_is_newest(&feed) || feed.key_sent == 6);
done:
	;
}

static void test_allowance_deadline(void)
{
	ivxs_feed feed;
	ivxs_uplink uplink;
	ivxs_uplink_share share = { 0 };
	uint32_t t = g_base + 0xfffff000u, delay;   /* across the clock's wrap */
	setup(&feed, 0, t);
	ivxs_uplink_init(&uplink, t);
	ivxs_uplink_set_rate(&uplink, 10000, t);   /* 10 kB/s, this viewer's: a second's burst of 10,000 B */
	shareUplink(&feed, &share, &uplink, t);
	push(&g_src, 1, 1, 9000);  /* 0: within the burst */
	push(&g_src, 1, 0, 3000);  /* 1: the rest of it: goes, the allowance in debt */
	push(&g_src, 1, 0, 1000);  /* 2: waits for the debt to be paid */
	delay = ivxs_feed_tick(&feed, t);
	CHECK(g_wire.whole[0] && g_wire.whole[1] && !g_wire.sent[2]);
	CHECK(delay >= IVXS_FEED_RETRY_MIN_MS && delay <= IVXS_FEED_WAIT_MS);
	CHECK_EQ(delay, (10000 - 9450 - 3150) * -1000 / 10000);
	CHECK_EQ(feed.count, 1);
	/* the allowance refilled by then: it goes */
	ivxs_feed_tick(&feed, t + delay);
	CHECK(g_wire.whole[2]);
	/* a frame far over the allowance waits its deadline, then is skipped with the rest of its GOP */
	push(&g_src, 1, 0, 30000); /* 3: goes (the allowance is not in debt), and puts it deep in debt */
	push(&g_src, 1, 0, 100);   /* 4: waits past its deadline, skipped */
	push(&g_src, 1, 0, 100);   /* 5: the rest of its GOP */
	t += delay + 1000;
	delay = ivxs_feed_tick(&feed, t);
	CHECK(g_wire.whole[3] && !g_wire.sent[4] && delay != IVXS_FEED_IDLE);
	ivxs_feed_tick(&feed, t + IVXS_FEED_WAIT_MS);
	CHECK(!g_wire.sent[4] && !g_wire.sent[5]);
	CHECK_EQ(feed.stats.skipped, 2);
	CHECK(!feed.keyed && feed.starved);
	/* the next key frame goes when the allowance has it */
	push(&g_src, 1, 1, 1000);  /* 6 */
	ivxs_feed_tick(&feed, t + IVXS_FEED_WAIT_MS + 4000);
	CHECK(g_wire.whole[6]);
	/* the path's queue shortens the deadline: a frame that waited WAIT_MS less it is skipped */
	g_wire.rate = 5000;
	g_wire.queue_ms = 400;
	t += IVXS_FEED_WAIT_MS + 4000;
	push(&g_src, 1, 0, 20000); /* 7: goes, the allowance deep in debt */
	push(&g_src, 1, 0, 100);   /* 8 */
	ivxs_feed_tick(&feed, t + 1);
	CHECK(g_wire.whole[7] && !g_wire.sent[8]);
	ivxs_feed_tick(&feed, t + 1 + IVXS_FEED_WAIT_MS - 400 - 1);
	CHECK(!g_wire.sent[8] && feed.count == 1);
	ivxs_feed_tick(&feed, t + 1 + IVXS_FEED_WAIT_MS - 400);
	CHECK(!g_wire.sent[8] && feed.count == 0 && feed.stats.skipped == 3);
	/* counted from the read, the wait bounds a wait for the allowance: a queue past it (an estimate
	 * from feedback that has stopped coming) skips nothing the allowance takes — else nothing would
	 * go, no feedback come, and the estimate never fall */
	g_wire.rate = IVXS_FEED_UNBOUNDED;
	g_wire.queue_ms = IVXS_FEED_WAIT_MS + 100;
	push(&g_src, 1, 1, 1000);  /* 9 */
	push(&g_src, 0, 0, 160);   /* (audio: not heard by this feed) */
	push(&g_src, 1, 0, 500);   /* 11 */
	ivxs_feed_tick(&feed, t + 10000);
	CHECK(g_wire.whole[9] && g_wire.whole[11] && feed.stats.skipped == 3);
	g_wire.queue_ms = 400;
	/* a stalled path (rate 0): nothing goes, tried again after IVXS_FEED_STALLED_MS */
	g_wire.rate = 0;
	push(&g_src, 1, 1, 100);   /* 12 */
	CHECK_EQ(ivxs_feed_tick(&feed, t + 20000), IVXS_FEED_STALLED_MS);
	CHECK(!g_wire.sent[12]);
done:
	shareUplink(&feed, &share, NULL, t);
}

static void test_torn_unwalkable(void)
{
	ivxs_feed feed;
	uint32_t t = g_base;
	setup(&feed, 0, t);
	push(&g_src, 1, 1, 500);   /* 0 */
	push(&g_src, 1, 0, 500);   /* 1: overwritten before it goes: torn */
	push(&g_src, 1, 0, 500);   /* 2: waits for a key frame */
	g_src.overwritten[1] = 1;
	ivxs_feed_tick(&feed, t);
	CHECK(g_wire.whole[0] && !g_wire.sent[1] && !g_wire.sent[2]);
	CHECK_EQ(feed.stats.torn, 1);
	push(&g_src, 1, 1, 500);   /* 3: unwalkable */
	push(&g_src, 1, 0, 500);   /* 4 */
	g_wire.unwalkable = 3;
	ivxs_feed_tick(&feed, t + 1);
	CHECK(!g_wire.sent[3] && !g_wire.sent[4]);
	CHECK_EQ(feed.stats.unwalkable, 1);
	CHECK_EQ(feed.stats.last_unwalkable, -5);
	push(&g_src, 1, 1, 500);   /* 5 */
	ivxs_feed_tick(&feed, t + 2);
	CHECK(g_wire.whole[5]);
done:
	;
}

static void test_pacing_window(void)
{
	ivxs_feed feed;
	uint32_t t = g_base, delay;
	int ticks = 0;
	setup(&feed, 0, t);
	/* no loss: a key frame of 30 packets goes at once, whatever the path's rate */
	g_wire.rate = 100000;
	push(&g_src, 1, 1, 30 * PACKET);   /* 0 */
	ivxs_feed_tick(&feed, t);
	CHECK(g_wire.whole[0]);
	/* losing packets: at 100 kB/s past 2 kB (IVXS_FEED_PACE_BURST_MS of it, 2 MTUs at least) at once */
	ivxs_feed_nacked(&feed, t);
	push(&g_src, 1, 1, 30 * PACKET);   /* 1 */
	t += 1000;
	delay = ivxs_feed_tick(&feed, t);
	CHECK(!g_wire.whole[1] && g_wire.sent[1] > 0 && g_wire.sent[1] < 30);
	while (!g_wire.whole[1] && ticks++ < 100) {
		CHECK(delay >= 1 && delay != IVXS_FEED_IDLE);
		t += delay;
		delay = ivxs_feed_tick(&feed, t);
	}
	CHECK(g_wire.whole[1]);
	CHECK(ticks > 5);
	/* the path's window shut: the frame waits, tried again after IVXS_FEED_WINDOW_RETRY_MS */
	push(&g_src, 1, 0, 10 * PACKET);   /* 2 */
	g_wire.window = 0;
	t += 1000;
	CHECK_EQ(ivxs_feed_tick(&feed, t), IVXS_FEED_WINDOW_RETRY_MS);
	CHECK(!g_wire.sent[2]);
	g_wire.window = 1;
	/* the loss is older than IVXS_FEED_LOSSY_MS: no pacing, the frame goes whole */
	ivxs_feed_tick(&feed, t + IVXS_FEED_LOSSY_MS);
	CHECK(g_wire.whole[2]);
done:
	;
}

static void test_key_request_repair(void)
{
	ivxs_feed feed;
	ivxs_uplink uplink;
	ivxs_uplink_share share = { 0 };
	uint32_t t = g_base;
	int i;
	setup(&feed, 0, t);
	ivxs_uplink_init(&uplink, t);
	push(&g_src, 1, 1, 500);   /* 0 */
	push(&g_src, 1, 0, 500);   /* 1 */
	ivxs_feed_tick(&feed, t);
	CHECK(g_wire.whole[1]);
	/* a PLI: the source goes back to its newest key frame, which goes again */
	CHECK_EQ(ivxs_feed_key_request(&feed, t + 1), 1);
	ivxs_feed_tick(&feed, t + 1);
	CHECK_EQ(g_wire.sent[0], 2);
	CHECK_EQ(g_src.rewinds, 1);
	/* another within IVXS_FEED_REWIND_MS: no rewind, the next key frame is waited for */
	CHECK_EQ(ivxs_feed_key_request(&feed, t + 2), 0);
	push(&g_src, 1, 0, 500);   /* 2 */
	ivxs_feed_tick(&feed, t + 3);
	CHECK(!g_wire.sent[2]);
	/* the waiting window's bound: past IVXS_FEED_WAITING the oldest is skipped, and the rest of its GOP */
	ivxs_uplink_set_rate(&uplink, 1000, t + 10);
	shareUplink(&feed, &share, &uplink, t + 10);
	push(&g_src, 1, 1, 3000);  /* 3: within the allowance (2,400 B: a frame may take it into debt) */
	ivxs_feed_tick(&feed, t + 10);
	CHECK(g_wire.whole[3] && share.own.credit < 0);
	for (i = 0; i < IVXS_FEED_WAITING - 1; i++)
		push(&g_src, 1, 0, 10);
	ivxs_feed_tick(&feed, t + 11);
	CHECK_EQ(feed.count, IVXS_FEED_WAITING - 1);   /* waiting for the allowance */
	CHECK_EQ(feed.stats.skipped, 0);
	for (i = 0; i < 4; i++)
		push(&g_src, 1, 0, 10);
	ivxs_feed_tick(&feed, t + 12);
	CHECK_EQ(feed.count, 0);
	CHECK_EQ(feed.stats.skipped, IVXS_FEED_WAITING + 3);
	/* a repair may take the allowance into a debt of IVXS_FEED_PATH_BURST_MS of its rate, no further */
	ivxs_uplink_set_rate(&uplink, 100000, t + 20);
	for (i = 0; i < 100 && ivxs_feed_repair(&feed, t + 20); i++)
		ivxs_feed_repaired(&feed, IVXS_FEED_MTU);
	CHECK(i > 0 && i < 100);
	CHECK(share.own.credit < 0 && share.own.credit >= -(int64_t)(100000 * IVXS_FEED_PATH_BURST_MS / 1000) - 2 * (int64_t)IVXS_FEED_MTU);
done:
	shareUplink(&feed, &share, NULL, t);
}

/* A wire with a store of its own (the native transport's slots): frames wait in order while it has no
 * room — audio behind video too — and are skipped after wait_ms (from when they were read, or from
 * their capture); audio that yields is given up with the picture until its key frame goes; a frame
 * the wire could not deliver has the picture start again at the newest key frame waiting. */
static void test_wire_room(void)
{
	ivxs_feed feed;
	uint32_t t = g_base + 0xffffff00u;   /* across the clock's wrap */
	setup(&feed, IVXS_FEED_AUDIO_YIELDS, t);
	ivxs_feed_set_wait(&feed, 300, 0);
	g_wire.full = 1;
	push(&g_src, 1, 1, 2500);  /* 0 */
	push(&g_src, 0, 0, 160);   /* 1 */
	push(&g_src, 1, 0, 800);   /* 2 */
	push(&g_src, 0, 0, 160);   /* 3 */
	CHECK_EQ(ivxs_feed_tick(&feed, t), 300);   /* woken when the oldest has waited its time */
	CHECK_EQ(g_wire.count, 0);
	g_wire.full = 0;
	ivxs_feed_tick(&feed, t + 10);
	CHECK_EQ(g_wire.count, 4);
	CHECK(g_wire.order[0] == 0 && g_wire.order[1] == 1 && g_wire.order[2] == 2 && g_wire.order[3] == 3);
	/* no room for 300 ms: the P frame is skipped, and the audio behind it yields with the picture */
	g_wire.full = 1;
	push(&g_src, 1, 0, 800);   /* 4 */
	push(&g_src, 0, 0, 160);   /* 5 */
	CHECK_EQ(ivxs_feed_tick(&feed, t + 20), 300);
	ivxs_feed_tick(&feed, t + 320);
	CHECK_EQ(feed.stats.skipped, 1);
	CHECK_EQ(feed.stats.audio_skipped, 1);
	CHECK_EQ(feed.count, 0);
	g_wire.full = 0;
	push(&g_src, 1, 0, 800);   /* 6: follows the skipped frame */
	push(&g_src, 1, 1, 2500);  /* 7 */
	push(&g_src, 0, 0, 160);   /* 8 */
	ivxs_feed_tick(&feed, t + 330);
	CHECK(!g_wire.sent[6] && g_wire.whole[7] && g_wire.whole[8]);
	CHECK_EQ(feed.stats.skipped, 2);
	/* the wire could not deliver a frame it took: the picture starts again at the newest key frame */
	g_wire.full = 1;
	push(&g_src, 1, 1, 2500);  /* 9 */
	push(&g_src, 1, 0, 800);   /* 10 */
	push(&g_src, 1, 1, 2500);  /* 11 */
	push(&g_src, 1, 0, 800);   /* 12 */
	ivxs_feed_tick(&feed, t + 340);
	ivxs_feed_wait_key(&feed);
	g_wire.full = 0;
	ivxs_feed_tick(&feed, t + 350);
	CHECK(!g_wire.sent[9] && !g_wire.sent[10] && g_wire.whole[11] && g_wire.whole[12]);
	CHECK_EQ(feed.stats.passed_over, 2);
	CHECK_EQ(feed.stats.frames, 5);
	CHECK_EQ(feed.stats.audio_frames, 3);
	/* counted from the capture: a frame the source held past its wait is skipped, even with room */
	ivxs_feed_set_wait(&feed, 300, 1);
	push(&g_src, 1, 1, 2500);  /* 13 */
	g_src.frames[13].time_ms = t + 360 - 400;
	push(&g_src, 1, 1, 2500);  /* 14 */
	g_src.frames[14].time_ms = t + 350;
	ivxs_feed_tick(&feed, t + 360);
	CHECK(!g_wire.sent[13] && g_wire.whole[14]);
	CHECK_EQ(feed.stats.skipped, 3);
done:
	;
}

/* More frames than the window holds read in one tick (a rewind reads a GOP with its audio at once):
 * what can go goes as they are read, so the key frame is not pushed out of the window. */
static void test_many_at_once(void)
{
	ivxs_feed feed;
	int i, video = 0;
	setup(&feed, IVXS_FEED_AUDIO_CARRIES_ON, g_base);
	for (i = 0; i < 100; i++) {
		int isVideo = i % 4 == 0;
		push(&g_src, isVideo, i == 0, isVideo ? 1500 : 160);
		video += isVideo;
	}
	ivxs_feed_tick(&feed, g_base);
	CHECK(g_wire.whole[0]);
	CHECK_EQ(feed.stats.frames, (uint32_t)video);
	CHECK_EQ(feed.stats.audio_frames, (uint32_t)(100 - video));
	CHECK_EQ(feed.stats.skipped + feed.stats.audio_skipped, 0);
done:
	;
}

int main(void)
{
	g_base = ivxs_test_clock_base(0);
	ivxs_test_run("feed: frames as they come, audio from the first picture on, a gap waits for a key frame", test_unbounded);
	ivxs_test_run("feed: the allowance, the deadline less the path's queue, the skip to the next key frame, a stalled path", test_allowance_deadline);
	ivxs_test_run("feed: a torn frame and an unwalkable one, each waits for the next key frame", test_torn_unwalkable);
	ivxs_test_run("feed: pacing while the viewer loses packets, the path's window, none without loss", test_pacing_window);
	ivxs_test_run("feed: key frame requests (rewind, at most once a second), the waiting window's bound, repairs' debt", test_key_request_repair);
	ivxs_test_run("feed: more frames than the window holds in one tick: what can go goes as they are read", test_many_at_once);
	ivxs_test_run("feed: a wire with no room (frames in order, skipped after their wait; audio that yields), a frame it could not deliver", test_wire_room);
	return ivxs_test_summary();
}
