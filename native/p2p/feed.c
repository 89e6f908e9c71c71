/*
 * One viewer's live feed (feed.h): the frame policy, the allowance, pacing and the schedule.
 */
#include "feed.h"

#include <string.h>

#include "p2p_cc.h"
#include "ring.h"

enum { kDone, kFailed, kWaits };

#define PACER_FULL (INT64_MAX / 4)   /* pacing's bytes while it does not pace: its burst, once it does */

/* A payload's bytes on the wire: with each packet's headers (RTP, SRTP's tag, UDP, IPv4). */
static int64_t onTheWire(uint32_t bytes)
{
	return (int64_t)bytes + IVXS_FEED_PACKET_OVERHEAD * (int64_t)((bytes + 1099) / 1100);
}

static uint64_t pathRate(ivxs_feed *f, uint32_t now)
{
	return f->wire.path_rate ? f->wire.path_rate(f->wire.ctx, now) : IVXS_FEED_UNBOUNDED;
}

static void wakeIn(ivxs_feed *f, uint32_t now, uint32_t ms)
{
	f->wake = 1;
	f->wake_ms = now + ms;
}

/* The allowance brought up to now; the rate it fills at (its part of the uplink, or the path's when
 * that is less): 0 while the path is stalled, IVXS_FEED_UNBOUNDED when nothing bounds it. */
static uint64_t refill(ivxs_feed *f, uint32_t now)
{
	uint64_t path = pathRate(f, now), part = f->part ? f->part : IVXS_FEED_UNBOUNDED, rate;
	int64_t burst;
	if (path == 0)
		return 0;
	rate = path < part ? path : part;
	if (rate == IVXS_FEED_UNBOUNDED)
		return rate;
	/* a frame goes as one burst: what the path's queue holds bounds it, not a second of the rate */
	burst = (int64_t)(rate * (path != IVXS_FEED_UNBOUNDED && path <= part ? IVXS_FEED_PATH_BURST_MS : IVXS_FEED_BURST_MS) / 1000);
	if (!f->allowance_set) {   /* a burst in hand to begin with */
		f->allowance.credit = burst;
		f->allowance.ms = now;
		f->allowance_set = 1;
	}
	p2p_bucket_fill(&f->allowance, rate, burst, now);
	return rate;
}

/* Whether `bytes` may go now (then they are counted): within the allowance, while it is not below
 * `floor_ms` of its rate (a frame: 0; a repair: a debt). */
static int spend(ivxs_feed *f, uint32_t bytes, uint32_t floor_ms, uint32_t now)
{
	uint64_t rate = refill(f, now);
	if (rate == IVXS_FEED_UNBOUNDED)
		return 1;
	if (rate == 0 || f->allowance.credit < -(int64_t)(rate * floor_ms / 1000))
		return 0;   /* stalled, or over its part */
	f->allowance.credit -= onTheWire(bytes);
	return 1;
}

/* Audio goes whatever the allowance says, but its bytes count: the video after it waits for them. */
static void charge(ivxs_feed *f, uint32_t bytes, uint32_t now)
{
	uint64_t rate = refill(f, now);
	if (rate != IVXS_FEED_UNBOUNDED && rate != 0)
		f->allowance.credit -= onTheWire(bytes);
}

static void dropOldest(ivxs_feed *f)
{
	f->head = (uint8_t)((f->head + 1) % IVXS_FEED_WAITING);
	f->count--;
}

/* The oldest waiting frame skipped for the allowance: the frames after it up to a key frame follow it. */
static void skipOldest(ivxs_feed *f)
{
	dropOldest(f);
	f->starved = 1;
	f->keyed = 0;
	f->stats.skipped++;
}

static void unwait(ivxs_feed *f)
{
	f->head = 0;
	f->count = 0;
}

/* The frame going out: its packets while the pacer has bytes for them (when it paces), else all. */
static int pace(ivxs_feed *f, uint32_t now)
{
	const ivxs_feed_wire *w = &f->wire;
	for (;;) {
		uint64_t rate = f->lossy && P2P_SINCE(now, f->lossy_ms) < IVXS_FEED_LOSSY_MS ? pathRate(f, now) : IVXS_FEED_UNBOUNDED;
		int pacing = rate != 0 && rate != IVXS_FEED_UNBOUNDED;
		unsigned k;
		if (!pacing)
			f->pace.credit = PACER_FULL;   /* a burst in hand when pacing begins */
		else {
			uint32_t wait = p2p_bucket_wait(&f->pace, rate, IVXS_FEED_PACE_BURST_MS, now);
			if (wait) {
				wakeIn(f, now, wait < IVXS_FEED_WAIT_MS ? wait : IVXS_FEED_WAIT_MS);
				return kWaits;
			}
			/* and no more in flight than the window: a rate ahead of the path (the CC's startup)
			 * queues at the bottleneck what it sends past that */
			if (w->window_open && !w->window_open(w->ctx, IVXS_FEED_PACED_PACKETS * IVXS_FEED_MTU, now)) {
				wakeIn(f, now, IVXS_FEED_WINDOW_RETRY_MS);
				return kWaits;
			}
		}
		for (k = 0; k < IVXS_FEED_PACED_PACKETS; k++) {
			long n = w->make(w->ctx, &f->cur, f->cur_more, now);
			if (n < 0) {
				f->stats.unwalkable++;
				f->stats.last_unwalkable = (int)n;
				return kFailed;
			}
			if (n == 0) {
				f->stats.frames++;
				return kDone;
			}
			if (!f->src.intact(f->src.ctx, &f->cur)) {
				f->stats.torn++;
				return kFailed;
			}
			if (pacing)
				f->pace.credit -= w->send(w->ctx);
			else
				w->send(w->ctx);
		}
	}
}

/* Starts the frame taken off the window: whether it is going out whole so far (keyed). */
static int start(ivxs_feed *f, uint32_t now)
{
	int outcome, status;
	if ((status = f->wire.begin(f->wire.ctx, &f->cur)) < 0) {
		f->stats.unwalkable++;
		f->stats.last_unwalkable = status;
		return 0;
	}
	f->active = 1;
	if ((outcome = pace(f, now)) != kWaits)
		f->active = 0;
	return outcome != kFailed;
}

/* The waiting frames tried again once the allowance is back above 0 at its rate. */
static void retryLater(ivxs_feed *f, uint32_t now)
{
	uint64_t rate = refill(f, now), ms = IVXS_FEED_STALLED_MS;
	if (rate > 0 && rate != IVXS_FEED_UNBOUNDED && f->allowance.credit < 0)
		ms = ((uint64_t)(-f->allowance.credit) * 1000 + rate - 1) / rate;
	wakeIn(f, now, ms < IVXS_FEED_RETRY_MIN_MS ? IVXS_FEED_RETRY_MIN_MS : ms > IVXS_FEED_WAIT_MS ? IVXS_FEED_WAIT_MS : (uint32_t)ms);
}

/* The waiting video frames, oldest first, while the allowance takes them (one going out at a time). */
static void sendWaiting(ivxs_feed *f, uint32_t now)
{
	while (f->count && !f->active) {
		const ivxs_p2p_frame *oldest = &f->waiting[f->head];
		if (!f->keyed && !oldest->key) {
			if (f->starved)
				f->stats.skipped++;
			dropOldest(f);
			continue;
		}
		if (!spend(f, oldest->size, 0, now)) {
			uint32_t queue = f->wire.path_queue_ms ? f->wire.path_queue_ms(f->wire.ctx) : 0;
			if (P2P_SINCE(now, f->waiting_ms[f->head]) + queue < IVXS_FEED_WAIT_MS) {
				retryLater(f, now);
				return;
			}
			skipOldest(f);
			continue;
		}
		f->starved = 0;
		f->cur = *oldest;
		dropOldest(f);
		f->cur_more = f->count > 0;
		if (f->cur.key)
			f->key_sent = f->cur.token[1];
		f->keyed = (uint8_t)start(f, now);
	}
}

static void sendAudio(ivxs_feed *f, const ivxs_p2p_frame *frame, uint32_t now)
{
	const ivxs_feed_wire *w = &f->wire;
	long n;
	if (w->begin(w->ctx, frame) < 0)
		return;
	while ((n = w->make(w->ctx, frame, 0, now)) > 0) {
		if (!f->src.intact(f->src.ctx, frame)) {
			f->stats.torn++;
			return;
		}
		w->send(w->ctx);
	}
	if (n == 0) {
		f->stats.audio_frames++;
		charge(f, frame->size, now);
	}
}

/* The paced frame going out, on: 1 while it still waits (its wake set). One torn or unwalkable
 * on the way owes the viewer a key frame. */
static int goOn(ivxs_feed *f, uint32_t now)
{
	int outcome;
	if (!f->active)
		return 0;
	if ((outcome = pace(f, now)) == kWaits)
		return 1;
	f->active = 0;
	if (outcome == kFailed)
		ivxs_feed_key_request(f, now);
	return 0;
}

void ivxs_feed_init(ivxs_feed *f, const ivxs_p2p_frame_source *src, const uint64_t *overtaken,
	void (*rewind)(void *src_ctx), const ivxs_feed_wire *wire, int hears, uint32_t now)
{
	memset(f, 0, sizeof(*f));
	f->src = *src;
	f->overtaken = overtaken;
	f->overtaken_seen = overtaken ? *overtaken : 0;
	f->rewind = rewind;
	f->wire = *wire;
	f->hears = (uint8_t)!!hears;
	p2p_bucket_init(&f->pace, now);
	f->pace.credit = PACER_FULL;
	p2p_bucket_init(&f->allowance, now);
	f->key_read = UINT64_MAX;
	f->key_sent = UINT64_MAX - 1;
}

uint32_t ivxs_feed_tick(ivxs_feed *f, uint32_t now)
{
	ivxs_p2p_frame frame;
	f->wake = 0;
	if (goOn(f, now))
		return f->wake_ms - now;
	while (f->src.next(f->src.ctx, 0, &frame) == 1) {
		if (f->overtaken && *f->overtaken != f->overtaken_seen) {   /* the ring overtook the reader: a gap in the picture */
			f->overtaken_seen = *f->overtaken;
			f->stats.gaps++;
			unwait(f);
			f->keyed = 0;
		}
		if (frame.flags == IVXS_FRAME_AUDIO) {
			/* it never waits, but the video read before it goes first when it can; it goes once the
			 * picture has begun */
			if (f->count)
				sendWaiting(f, now);
			if (f->hears && f->stats.frames > 0)
				sendAudio(f, &frame, now);
			continue;
		}
		if (f->count == IVXS_FEED_WAITING)
			skipOldest(f);
		if (frame.key)
			f->key_read = frame.token[1];
		f->waiting[(f->head + f->count) % IVXS_FEED_WAITING] = frame;
		f->waiting_ms[(f->head + f->count) % IVXS_FEED_WAITING] = now;
		f->count++;
	}
	f->wake = 0;   /* (what the reads scheduled is superseded by what is waiting now) */
	if (goOn(f, now))
		return f->wake_ms - now;
	sendWaiting(f, now);
	return f->wake ? (P2P_LT(now, f->wake_ms) ? f->wake_ms - now : 0) : IVXS_FEED_IDLE;
}

void ivxs_feed_set_part(ivxs_feed *f, uint32_t bytes_per_second)
{
	f->part = bytes_per_second;
}

void ivxs_feed_nacked(ivxs_feed *f, uint32_t now)
{
	f->lossy = 1;
	f->lossy_ms = now;
}

int ivxs_feed_repair(ivxs_feed *f, uint32_t now)
{
	return spend(f, IVXS_FEED_MTU, IVXS_FEED_PATH_BURST_MS, now);
}

void ivxs_feed_repaired(ivxs_feed *f, uint32_t bytes)
{
	/* the pacer pays for it: the frames it paces wait, the repair does not — with the resends on top
	 * of a paced stream the path took more than its rate, and each repair waited behind the queue
	 * that grew */
	f->pace.credit -= bytes;
}

int ivxs_feed_key_request(ivxs_feed *f, uint32_t now)
{
	f->keyed = 0;
	if (!f->rewind || (f->rewound && P2P_SINCE(now, f->rewound_ms) < IVXS_FEED_REWIND_MS))
		return 0;
	f->rewound = 1;
	f->rewound_ms = now;
	f->active = 0;
	unwait(f);
	f->rewind(f->src.ctx);
	f->stats.rewinds++;
	return 1;
}

int ivxs_feed_key_is_newest(const ivxs_feed *f)
{
	return f->key_sent == f->key_read;
}
