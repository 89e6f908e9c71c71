/*
 * The camera's uplink for its viewers (uplink.h) over simulated senders: each viewer sends when its
 * share lets it, as much as it wants; what each got, and all together, over simulated seconds — at
 * any clock base.
 */
#include "uplink.h"
#include "ivxs_test.h"
#include "p2p.h"

#include <string.h>

#define RATE 100000u   /* bytes/s the viewers share */
#define SECONDS 10u

static uint32_t g_base;

/* A viewer that wants `want` bytes/s (0: all it can get) in units of `unit` bytes (a packet, or a
 * frame sent whole). */
typedef struct {
	ivxs_uplink_share share;
	uint32_t want, unit;
	uint64_t wanted, sent;
} Viewer;

/* Runs the viewers for `ms` from `*now` (1-ms steps, the first to go taking turns), each sending
 * while its share lets it and it has something to send. */
static void run(Viewer *v, int n, uint32_t ms, uint32_t *now)
{
	uint32_t step;
	int i;
	for (step = 0; step < ms; step++, (*now)++) {
		for (i = 0; i < n; i++) {
			Viewer *x = &v[(step + (uint32_t)i) % (uint32_t)n];
			if (!x->share.uplink)
				continue;
			x->wanted += x->want ? x->want / 1000 : x->unit;
			while (x->sent + x->unit <= x->wanted) {
				if (ivxs_uplink_wait(&x->share, 0, *now)) {
					ivxs_uplink_held(&x->share, *now);
					break;
				}
				ivxs_uplink_charge(&x->share, x->unit, *now);
				x->sent += x->unit;
			}
			if (!x->want && x->wanted > x->sent + x->unit)
				x->wanted = x->sent + x->unit;   /* (all it can get: no backlog beyond the next unit) */
		}
	}
}

static int within(uint64_t got, uint64_t expected, unsigned percent)
{
	uint64_t d = got > expected ? got - expected : expected - got;
	return d * 100 <= expected * percent;
}

/* The uplink at RATE from `now`, with `n` viewers on it that want all they can get, a packet at a
 * time (v[n] and on: zeroed, not attached). */
static void begin(ivxs_uplink *u, Viewer *v, int n, int size, uint32_t now)
{
	int i;
	memset(v, 0, sizeof(*v) * (size_t)size);
	ivxs_uplink_init(u, now);
	ivxs_uplink_set_rate(u, RATE, now);
	for (i = 0; i < n; i++) {
		v[i].unit = IVXS_P2P_MTU;
		ivxs_uplink_attach(u, &v[i].share, P2P_PACE_BURST_MS, now);
	}
}

/* A viewer that wants a tenth of the rate (a thin path, or a thin stream). */
static void thin(Viewer *x)
{
	x->want = RATE / 10;
	x->unit = 500;
}

/* No budget: nothing waits. */
static void test_none(void)
{
	ivxs_uplink u;
	Viewer v[1];
	uint32_t now = g_base;
	memset(v, 0, sizeof(v));
	ivxs_uplink_init(&u, now);
	ivxs_uplink_attach(&u, &v[0].share, 20, now);
	CHECK_EQ(ivxs_uplink_part(&v[0].share), IVXS_UPLINK_UNBOUNDED);
	CHECK_EQ(ivxs_uplink_wait(&v[0].share, 0, now), 0);
	ivxs_uplink_charge(&v[0].share, 1u << 30, now);
	CHECK_EQ(ivxs_uplink_wait(&v[0].share, 0, now), 0);
done:
	;
}

/* Viewers that all want more than the rate: a part each, all within the rate; one that leaves
 * leaves its part to the others. */
static void test_equal_parts(void)
{
	ivxs_uplink u;
	Viewer v[3];
	uint32_t now = g_base + 0xfffff000u;   /* across the clock's wrap */
	int i;
	begin(&u, v, 3, 3, now);
	CHECK_EQ(ivxs_uplink_part(&v[0].share), RATE / 3);
	run(v, 3, SECONDS * 1000, &now);
	for (i = 0; i < 3; i++) {
		NOTE("%llu %llu %llu B", (unsigned long long)v[0].sent, (unsigned long long)v[1].sent, (unsigned long long)v[2].sent);
		CHECK(within(v[i].sent, RATE * SECONDS / 3, 5));
	}
	CHECK(v[0].sent + v[1].sent + v[2].sent <= RATE * SECONDS + 3 * 2 * IVXS_P2P_MTU + RATE / 50);
	CHECK(P2P_SINCE(now, v[0].share.held_ms) < IVXS_UPLINK_HELD_MS);   /* held back: it wants more */
	ivxs_uplink_detach(&v[2].share);
	ivxs_uplink_detach(&v[2].share);   /* (again: nothing) */
	CHECK_EQ(u.viewers, 2);
	v[0].sent = v[1].sent = 0;
	v[0].wanted = v[1].wanted = 0;
	run(v, 3, SECONDS * 1000, &now);
	CHECK(within(v[0].sent, RATE * SECONDS / 2, 5) && within(v[1].sent, RATE * SECONDS / 2, 5));
done:
	;
}

/* A viewer that wants less than its part (a thin path, a thin stream) leaves the rest to the others,
 * which share it; the thin one still gets all it wants. Frames sent whole (30 kB, a 1-s burst) and
 * packets share alike. */
static void test_leftover(void)
{
	ivxs_uplink u;
	Viewer v[3];
	uint32_t now = g_base;
	begin(&u, v, 2, 3, now);
	thin(&v[0]);
	v[2].unit = 30000;
	ivxs_uplink_attach(&u, &v[2].share, 1000, now);
	run(v, 3, SECONDS * 1000, &now);
	NOTE("%llu %llu %llu B", (unsigned long long)v[0].sent, (unsigned long long)v[1].sent, (unsigned long long)v[2].sent);
	CHECK(v[0].sent + 500 >= v[0].wanted);
	CHECK(within(v[1].sent, RATE * SECONDS * 45 / 100, 15) && within(v[2].sent, RATE * SECONDS * 45 / 100, 15));
	CHECK(v[0].sent + v[1].sent + v[2].sent <= RATE * SECONDS + 30000 + RATE);
done:
	;
}

/* A viewer that comes gets an equal part at once (the others' fall to make room for it); once it
 * shows it uses less, what it leaves goes back to them. */
static void test_newcomer(void)
{
	ivxs_uplink u;
	Viewer v[3];
	uint32_t now = g_base;
	begin(&u, v, 2, 3, now);
	run(v, 2, 1000, &now);
	CHECK_EQ(ivxs_uplink_part(&v[0].share), RATE / 2);
	thin(&v[2]);
	ivxs_uplink_attach(&u, &v[2].share, P2P_PACE_BURST_MS, now);
	CHECK_EQ(ivxs_uplink_part(&v[0].share), RATE / 3);
	run(v, 3, 2000, &now);
	NOTE("the part after 2 s: %llu B/s", (unsigned long long)ivxs_uplink_part(&v[0].share));
	CHECK(within(ivxs_uplink_part(&v[0].share), RATE * 45 / 100, 10));
done:
	;
}

/* The budget changed: the parts follow; 0 ends it (nothing waits). */
static void test_rate_change(void)
{
	ivxs_uplink u;
	Viewer v[2];
	uint32_t now = g_base;
	begin(&u, v, 2, 2, now);
	run(v, 2, 1000, &now);
	ivxs_uplink_set_rate(&u, RATE * 2, now);
	v[0].sent = v[1].sent = v[0].wanted = v[1].wanted = 0;
	run(v, 2, SECONDS * 1000, &now);
	CHECK(within(v[0].sent, RATE * SECONDS, 5) && within(v[1].sent, RATE * SECONDS, 5));
	ivxs_uplink_set_rate(&u, 0, now);
	CHECK_EQ(ivxs_uplink_wait(&v[0].share, 0, now), 0);
done:
	;
}

int main(void)
{
	g_base = ivxs_test_clock_base(0);
	ivxs_test_run("uplink: no budget, nothing waits", test_none);
	ivxs_test_run("uplink: viewers that want more get a part each, within the rate; one leaving leaves its part", test_equal_parts);
	ivxs_test_run("uplink: what a thin viewer leaves goes to the others (packets and whole frames alike)", test_leftover);
	ivxs_test_run("uplink: a viewer that comes gets an equal part at once; what it leaves goes back", test_newcomer);
	ivxs_test_run("uplink: the budget changed, the parts follow; none, nothing waits", test_rate_change);
	return ivxs_test_summary();
}
