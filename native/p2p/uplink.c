/*
 * The camera's uplink for its viewers (uplink.h): a part each, at the level measured from what they
 * use and whether they were held back.
 */
#include "uplink.h"

#include <string.h>

#include "p2p.h"

/* A bucket's burst: `burst_ms` of its rate, 2 packets at least (a sender woken a little late
 * loses none of its part). */
static uint64_t bucketCap(uint64_t rate, uint32_t burst_ms)
{
	uint64_t cap = rate * burst_ms / 1000;
	return cap < 2 * IVXS_P2P_MTU ? 2 * IVXS_P2P_MTU : cap;
}

static uint64_t equalPart(const ivxs_uplink *u)
{
	uint64_t part = u->rate / (u->viewers ? u->viewers : 1);
	return part ? part : 1;
}

/* What each viewer used since the last time (smoothed), every IVXS_UPLINK_LEVEL_MS; and, then or
 * when the rate or the viewers changed, the level: the rate less what the viewers not held back
 * lately use, split among those that were — never below an equal part. */
static void measure(ivxs_uplink *u, uint32_t now)
{
	uint32_t elapsed = P2P_SINCE(now, u->level_ms), held = 0;
	uint64_t used = 0;
	ivxs_uplink_share *s;
	if (elapsed >= IVXS_UPLINK_LEVEL_MS) {
		for (s = u->shares; s; s = s->next) {
			s->usage = (s->usage + s->bytes * 1000 / elapsed) / 2;
			s->bytes = 0;
		}
		u->level_ms = now;
		u->relevel = 1;
	}
	if (!u->relevel)
		return;
	for (s = u->shares; s; s = s->next)
		if (P2P_SINCE(now, s->held_ms) < IVXS_UPLINK_HELD_MS)
			held++;
		else
			used += s->usage;
	u->level = equalPart(u);
	if (held && used < u->rate && (u->rate - used) / held > u->level)
		u->level = (u->rate - used) / held;
	u->relevel = 0;
}

void ivxs_uplink_init(ivxs_uplink *u, uint32_t now)
{
	memset(u, 0, sizeof(*u));
	u->level_ms = now;
}

void ivxs_uplink_set_rate(ivxs_uplink *u, uint64_t bytes_per_s, uint32_t now)
{
	u->rate = bytes_per_s;
	u->relevel = 1;
	measure(u, now);
}

void ivxs_uplink_attach(ivxs_uplink *u, ivxs_uplink_share *s, uint32_t burst_ms, uint32_t now)
{
	memset(s, 0, sizeof(*s));
	s->uplink = u;
	s->burst_ms = burst_ms;
	s->held_ms = now;   /* a viewer comes wanting its part: the others' fall to make room for it */
	s->next = u->shares;
	u->shares = s;
	u->viewers++;
	u->relevel = 1;
	measure(u, now);
	s->own.credit = u->rate ? (int64_t)bucketCap(u->level, burst_ms) : 0;
	s->own.ms = now;
}

void ivxs_uplink_detach(ivxs_uplink_share *s)
{
	ivxs_uplink *u = s->uplink;
	ivxs_uplink_share **at;
	if (!u)
		return;
	for (at = &u->shares; *at; at = &(*at)->next)
		if (*at == s) {
			*at = s->next;
			u->viewers--;
			u->relevel = 1;   /* (at the next call) */
			break;
		}
	s->uplink = NULL;
	s->next = NULL;
}

/* Whether the viewer's sends count against a budget: attached, and the uplink has one. */
static int budgeted(const ivxs_uplink_share *s)
{
	return s->uplink && s->uplink->rate;
}

uint64_t ivxs_uplink_part(const ivxs_uplink_share *s)
{
	if (!budgeted(s))
		return IVXS_UPLINK_UNBOUNDED;
	return s->uplink->level ? s->uplink->level : 1;
}

/* Its bucket brought up to now, the level measured when due; its part. */
static uint64_t fill(ivxs_uplink_share *s, uint32_t now)
{
	uint64_t part;
	measure(s->uplink, now);
	part = ivxs_uplink_part(s);
	p2p_bucket_fill(&s->own, part, (int64_t)bucketCap(part, s->burst_ms), now);
	return part;
}

uint32_t ivxs_uplink_wait(ivxs_uplink_share *s, uint32_t floor_ms, uint32_t now)
{
	uint64_t part;
	if (!budgeted(s))
		return 0;
	part = fill(s, now);
	return p2p_bucket_until(&s->own, part, -(int64_t)(part * floor_ms / 1000));
}

void ivxs_uplink_held(ivxs_uplink_share *s, uint32_t now)
{
	s->held_ms = now;
}

void ivxs_uplink_charge(ivxs_uplink_share *s, uint32_t bytes, uint32_t now)
{
	if (!budgeted(s))
		return;
	fill(s, now);
	s->own.credit -= bytes;
	s->bytes += bytes;
}
