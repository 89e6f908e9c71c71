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

/* What the path takes brought up to now; the rate it fills at: 0 while the path is stalled,
 * IVXS_FEED_UNBOUNDED when the wire has no feedback. */
static uint64_t refill(ivxs_feed *f, uint32_t now)
{
	uint64_t rate = pathRate(f, now);
	int64_t burst;
	if (rate == 0 || rate == IVXS_FEED_UNBOUNDED)
		return rate;
	/* a frame goes as one burst: what the path's queue holds bounds it, not a second of the rate */
	burst = (int64_t)(rate * IVXS_FEED_PATH_BURST_MS / 1000);
	if (!f->allowance_set) {   /* a burst in hand to begin with */
		f->allowance.credit = burst;
		f->allowance.ms = now;
		f->allowance_set = 1;
	}
	p2p_bucket_fill(&f->allowance, rate, burst, now);
	return rate;
}

/* Audio goes whatever the allowance says, but its bytes count: the video after it waits for them. */
static void charge(ivxs_feed *f, uint32_t bytes, uint32_t now)
{
	uint64_t rate = refill(f, now);
	if (rate != IVXS_FEED_UNBOUNDED && rate != 0)
		f->allowance.credit -= onTheWire(bytes);
	if (f->uplink)
		ivxs_uplink_charge(f->uplink, (uint32_t)onTheWire(bytes), now);
}

/* 0 when `bytes` may go now (then they are counted): within the allowance — what the path takes,
 * then its part of the viewers' budget — while neither is below `floor_ms` of its rate (a frame: 0;
 * a repair: a debt); else the milliseconds until they may. The path first: a viewer its path holds
 * back is not held back by the budget. */
static uint32_t spend(ivxs_feed *f, uint32_t bytes, uint32_t floor_ms, uint32_t now)
{
	uint64_t rate = refill(f, now);
	uint32_t ms;
	if (rate == 0)
		return IVXS_FEED_STALLED_MS;   /* stalled */
	if (rate != IVXS_FEED_UNBOUNDED && (ms = p2p_bucket_until(&f->allowance, rate, -(int64_t)(rate * floor_ms / 1000))) > 0)
		return ms;   /* over what the path takes: until it has refilled */
	if (f->uplink && (ms = ivxs_uplink_wait(f->uplink, floor_ms, now)) > 0) {
		ivxs_uplink_held(f->uplink, now);
		return ms;   /* over its part */
	}
	charge(f, bytes, now);
	return 0;
}

/* The i-th waiting frame (0: the oldest). */
static ivxs_p2p_frame *waitingAt(ivxs_feed *f, unsigned i)
{
	return &f->waiting[(f->head + i) % IVXS_FEED_WAITING];
}

static uint32_t *waitingMsAt(ivxs_feed *f, unsigned i)
{
	return &f->waiting_ms[(f->head + i) % IVXS_FEED_WAITING];
}

static int isAudio(const ivxs_p2p_frame *frame)
{
	return frame->flags == IVXS_FRAME_AUDIO;
}

/* The i-th waiting frame leaves the window (the ones behind it move up). */
static void removeAt(ivxs_feed *f, unsigned i)
{
	if (i == 0) {
		f->head = (uint8_t)((f->head + 1) % IVXS_FEED_WAITING);
		f->count--;
		return;
	}
	for (; i + 1 < f->count; i++) {
		*waitingAt(f, i) = *waitingAt(f, i + 1);
		*waitingMsAt(f, i) = *waitingMsAt(f, i + 1);
	}
	f->count--;
}

/* The oldest waiting frame skipped (its wait is over, or the window is full): a video frame takes the
 * frames after it up to a key frame with it; an audio frame goes alone. */
static void skipOldest(ivxs_feed *f)
{
	if (isAudio(waitingAt(f, 0)))
		f->stats.audio_skipped++;
	else {
		f->starved = 1;
		f->keyed = 0;
		f->stats.skipped++;
	}
	removeAt(f, 0);
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
				wakeIn(f, now, wait < f->wait_ms ? wait : f->wait_ms);
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

/* The waiting frames tried again once what held the oldest back lets it go (`ms`: spend's answer),
 * or when it will have waited its time (`left` ms from now). */
static void retryLater(ivxs_feed *f, uint32_t now, uint32_t ms, uint32_t left)
{
	wakeIn(f, now, ms < IVXS_FEED_RETRY_MIN_MS ? IVXS_FEED_RETRY_MIN_MS : ms > left ? left : ms);
}

/* Whether a video key frame newer than the oldest waits. */
static int newerKey(ivxs_feed *f)
{
	unsigned i;
	for (i = 1; i < f->count; i++)
		if (waitingAt(f, i)->key && !isAudio(waitingAt(f, i)))
			return 1;
	return 0;
}

/* An audio frame out (its wire had room): it never waits for the allowance, but its bytes count
 * against it — the video after it waits for them. */
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

/* Whether the wire takes `frame` now (a wire without a store of its own always does). */
static int roomFor(ivxs_feed *f, const ivxs_p2p_frame *frame, uint32_t now)
{
	return !f->wire.room || f->wire.room(f->wire.ctx, frame, now);
}

/* How long waiting frame i has waited (from when it was read, or captured), with the path's queue. */
static uint64_t waited(ivxs_feed *f, unsigned i, uint32_t now)
{
	uint32_t queue = f->wire.path_queue_ms ? f->wire.path_queue_ms(f->wire.ctx) : 0;
	return P2P_SINCE(now, *waitingMsAt(f, i)) + queue;
}

/* The waiting frames in the order they were read, while the wire has room and (video) the allowance
 * takes them, one video frame going out at a time; one that has waited its time is skipped when it
 * cannot go now, and — its wait counted from its capture, a deadline — even when it could (it would
 * be late). Audio behind a video frame that waits for the allowance
 * goes on (the sound carries on while the picture yields); behind one that waits for the wire's room
 * it waits too (the wire keeps the order). What still waits sets the wake: when the oldest will have
 * waited its time, or (room, but no allowance) when the allowance has refilled; a wire with no room
 * ticks the feed when it has. */
static void sendWaiting(ivxs_feed *f, uint32_t now)
{
	unsigned i = 0;   /* frames passed over: video waiting for the allowance or behind the one going out */
	uint32_t wait;
	while (i < f->count) {
		ivxs_p2p_frame *frame = waitingAt(f, i);
		uint64_t age = waited(f, i, now);
		int over = age >= f->wait_ms, late = over && f->from_capture, room;
		if (isAudio(frame)) {
			int yielded = !f->stats.frames || (f->audio == IVXS_FEED_AUDIO_YIELDS && !f->keyed);
			if (!yielded && !late && roomFor(f, frame, now)) {
				ivxs_p2p_frame audio = *frame;
				removeAt(f, i);
				sendAudio(f, &audio, now);
			}
			else if (yielded || over) {
				/* audio goes once the picture has begun; audio that yields is given up with the
				 * picture until its key frame goes */
				if (f->stats.frames)
					f->stats.audio_skipped++;
				removeAt(f, i);
			}
			else {
				if (i == 0)
					wakeIn(f, now, (uint32_t)(f->wait_ms - age));
				return;
			}
			continue;
		}
		if (i > 0 || f->active) {   /* (video behind the one that waits or goes out: waits) */
			i++;
			continue;
		}
		if (!f->keyed && (!frame->key || newerKey(f))) {   /* the picture starts again at the newest key frame */
			if (f->starved)
				f->stats.skipped++;
			else
				f->stats.passed_over++;
			removeAt(f, 0);
			continue;
		}
		room = !late && roomFor(f, frame, now);
		wait = room ? spend(f, frame->size, 0, now) : 0;
		if (!room || wait) {
			if (over)
				skipOldest(f);
			else if (!room) {
				wakeIn(f, now, (uint32_t)(f->wait_ms - age));
				return;
			}
			else {
				retryLater(f, now, wait, (uint32_t)(f->wait_ms - age));
				i = 1;
			}
			continue;
		}
		f->starved = 0;
		f->cur = *frame;
		removeAt(f, 0);
		f->cur_more = f->count > 0;
		if (f->cur.key)
			f->key_sent = f->cur.token[1];
		f->keyed = (uint8_t)start(f, now);
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

void ivxs_feed_init(ivxs_feed *f, const ivxs_p2p_frame_source *src, const ivxs_feed_wire *wire, int audio, uint32_t now)
{
	memset(f, 0, sizeof(*f));
	f->src = *src;
	f->overtaken_seen = src->overtaken ? *src->overtaken : 0;
	f->wire = *wire;
	f->audio = (uint8_t)audio;
	f->wait_ms = IVXS_FEED_WAIT_MS;
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
		if (f->src.overtaken && *f->src.overtaken != f->overtaken_seen) {   /* the ring overtook the reader: a gap in the picture */
			f->overtaken_seen = *f->src.overtaken;
			f->stats.gaps++;
			unwait(f);
			f->keyed = 0;
		}
		if (isAudio(&frame) && !f->audio)
			continue;
		if (f->count == IVXS_FEED_WAITING) {   /* what can go goes first (a rewind reads a GOP at once) */
			sendWaiting(f, now);
			if (f->count == IVXS_FEED_WAITING)
				skipOldest(f);
		}
		if (frame.key && !isAudio(&frame))
			f->key_read = frame.token[1];
		*waitingAt(f, f->count) = frame;
		*waitingMsAt(f, f->count) = f->from_capture && P2P_LT(frame.time_ms, now) ? frame.time_ms : now;
		f->count++;
		if (isAudio(&frame))   /* the sound does not wait for the reads to end */
			sendWaiting(f, now);
	}
	f->wake = 0;   /* (what the reads scheduled is superseded by what is waiting now) */
	if (goOn(f, now))
		return f->wake_ms - now;
	sendWaiting(f, now);
	return f->wake ? (P2P_LT(now, f->wake_ms) ? f->wake_ms - now : 0) : IVXS_FEED_IDLE;
}

void ivxs_feed_set_wait(ivxs_feed *f, uint32_t ms, int from_capture)
{
	f->wait_ms = ms;
	f->from_capture = (uint8_t)!!from_capture;
}

void ivxs_feed_wait_key(ivxs_feed *f)
{
	f->keyed = 0;
}

void ivxs_feed_share_uplink(ivxs_feed *f, ivxs_uplink_share *share)
{
	f->uplink = share;
}

void ivxs_feed_nacked(ivxs_feed *f, uint32_t now)
{
	f->lossy = 1;
	f->lossy_ms = now;
}

int ivxs_feed_repair(ivxs_feed *f, uint32_t now)
{
	return spend(f, IVXS_FEED_MTU, IVXS_FEED_PATH_BURST_MS, now) == 0;
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
	if (!f->src.rewind || (f->rewound && P2P_SINCE(now, f->rewound_ms) < IVXS_FEED_REWIND_MS))
		return 0;
	f->rewound = 1;
	f->rewound_ms = now;
	f->active = 0;
	unwait(f);
	f->src.rewind(f->src.ctx);
	f->stats.rewinds++;
	return 1;
}

int ivxs_feed_key_is_newest(const ivxs_feed *f)
{
	return f->key_sent == f->key_read;
}
