/*
 * The camera's uplink for its viewers, on every wire (the viewer core): the bytes/s its viewers may
 * take together — what is left after its other senders (cloud storage: modules/app/uplink-share.ts)
 * — and how they share it. One rule for the native transport's sessions (every packet they send) and
 * WebRTC's feeds (every frame), whichever wire a viewer came by.
 *
 * Max-min fair: each viewer holds a share, a bucket at its part of the rate; the part is the same
 * for every viewer (the level), and what viewers that want less than it (a thin path, a thin
 * stream: never held back lately) use is left to the others — the level is the rate less what those
 * use, split among the viewers held back, and never below an equal part. So viewers that all want
 * more than an equal part each get one, whatever they send in (packets, or frames whole), and what
 * one leaves goes to the others (a viewer held back by a burst — a key frame faster than its part —
 * counts as wanting more for IVXS_UPLINK_HELD_MS: the others' parts then fall back towards an equal
 * part, never below). The level is measured again every IVXS_UPLINK_LEVEL_MS: a viewer
 * that begins to want more takes up to the level at once (the others' parts follow within that
 * time; the rate is exceeded by no more than that while they do).
 *
 * I/O-free and allocation-free: the caller gives the time and keeps the memory (a share points at
 * its uplink: the uplink outlives its shares).
 */
#ifndef IVXS_UPLINK_H
#define IVXS_UPLINK_H

#include <stdint.h>

#include "p2p_cc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IVXS_UPLINK_LEVEL_MS 100u   /* the level measured again this often */
#define IVXS_UPLINK_HELD_MS 500u    /* a viewer held back this recently wants more than it has */

typedef struct ivxs_uplink_share ivxs_uplink_share;

typedef struct ivxs_uplink {
	uint64_t rate;               /* bytes/s the viewers share (0: no budget — nothing waits) */
	uint64_t level;              /* each viewer's part, bytes/s */
	uint32_t viewers;            /* shares attached */
	uint32_t level_ms;           /* when the viewers' use was measured */
	uint8_t relevel;             /* the level to work out again (the rate or the viewers changed) */
	ivxs_uplink_share *shares;   /* the shares attached (a list) */
} ivxs_uplink;   /* (p2p.h names it too) */

struct ivxs_uplink_share {
	ivxs_uplink *uplink;         /* NULL: not attached (nothing waits) */
	ivxs_uplink_share *next;
	uint32_t burst_ms;           /* its bucket's burst (a wire that sends frames whole: a frame's worth) */
	p2p_bucket own;              /* its part's bytes */
	uint64_t bytes;              /* sent since the level was measured */
	uint64_t usage;              /* bytes/s it sent lately (smoothed) */
	uint32_t held_ms;            /* when it was last held back (ivxs_uplink_held), or attached (it wants its part) */
};

void ivxs_uplink_init(ivxs_uplink *uplink, uint32_t now);

/* The viewers' budget from now on, bytes/s (0: none). */
void ivxs_uplink_set_rate(ivxs_uplink *uplink, uint64_t bytes_per_s, uint32_t now);

/* A viewer's share (one not attached: zeroed, or detached), attached, its part in hand to begin
 * with; `burst_ms`: its bucket's. */
void ivxs_uplink_attach(ivxs_uplink *uplink, ivxs_uplink_share *share, uint32_t burst_ms, uint32_t now);

/* The viewer has gone: its part goes to the others. (Detached again, or never attached: nothing.) */
void ivxs_uplink_detach(ivxs_uplink_share *share);

/* Its part, bytes/s: the level (IVXS_UPLINK_UNBOUNDED: no budget, or not attached). */
#define IVXS_UPLINK_UNBOUNDED UINT64_MAX
uint64_t ivxs_uplink_part(const ivxs_uplink_share *share);

/* 0 when the viewer may send now — its part not in debt, or (a repair) in debt by no more than
 * `floor_ms` of it — else the milliseconds until it may. */
uint32_t ivxs_uplink_wait(ivxs_uplink_share *share, uint32_t floor_ms, uint32_t now);

/* The viewer had something to send that its path took and its part did not (ivxs_uplink_wait said
 * to wait): it wants more than it has. Its sender says so — not the wait itself, which a sender
 * may ask with nothing to send. */
void ivxs_uplink_held(ivxs_uplink_share *share, uint32_t now);

/* What the viewer sent: `bytes` on the wire, from its part (into debt: a frame bigger than what is
 * in hand goes whole, the next waits for it). */
void ivxs_uplink_charge(ivxs_uplink_share *share, uint32_t bytes, uint32_t now);

#ifdef __cplusplus
}
#endif

#endif
