/*
 * The wake-up of a Moddable host's VM thread from other threads, without
 * allocation and without blocking: a fixed array of slots (callback, ctx)
 * and one wake-up per batch of posts (posts made while a granted drain has
 * yet to start share it). Portable core: C11 atomics only, no XS
 * headers; the host injects `wake` (ESP32: a non-blocking post to the
 * machine's message queue; mcsim: lin's worker-job queue).
 *
 * Contract of ivxs_post_push() (any thread, bounded: at most kSlots
 * compare-and-swaps and one call of `wake`, which must not block):
 *   IVXS_POST_OK     callback(ctx) runs once on the VM thread, at a drain
 *                    that a granted wake-up has already scheduled;
 *   IVXS_POST_EFULL  every slot is taken: nothing queued, retry later;
 *   IVXS_POST_EWAKE  the host's queue refused the wake-up: nothing queued,
 *                    retry later (the ring retries at its next push).
 */
#ifndef IVXS_POST_H
#define IVXS_POST_H

#include "ivxs_host.h"

#if defined(__STDC_NO_ATOMICS__)
#error "ivxs post needs C11 <stdatomic.h>"
#endif
#include <stdatomic.h>

#ifndef IVXS_POST_SLOTS
#define IVXS_POST_SLOTS 16   /* distinct pending wake-ups: one per ring, socket, … */
#endif

enum { IVXS_POST_OK = 0, IVXS_POST_EFULL = -1, IVXS_POST_EWAKE = -2 };

/* Returns 0 when a call of ivxs_post_drain() on the VM thread is now
 * scheduled; non-zero when it could not be (never waits). */
typedef int (*ivxs_post_wake)(void *wakeCtx);

typedef struct {
	atomic_int state;
	ivxs_post_callback callback;
	void *ctx;
} ivxs_post_slot;

typedef struct {
	ivxs_post_slot slots[IVXS_POST_SLOTS];
	atomic_int scheduled;          /* wake-ups granted minus drains started (post.c) */
	ivxs_post_wake wake;
	void *wakeCtx;
	atomic_uint full;              /* posts refused: every slot taken */
	atomic_uint wakeFailures;      /* wake-ups the host refused */
} ivxs_post_queue;

/* Before any post (VM thread). */
void ivxs_post_init(ivxs_post_queue *queue, ivxs_post_wake wake, void *wakeCtx);
/* Any thread. */
int ivxs_post_push(ivxs_post_queue *queue, ivxs_post_callback callback, void *ctx);
/* VM thread, once per granted wake-up: runs the queued callbacks; returns how many. */
unsigned ivxs_post_drain(ivxs_post_queue *queue);
const char *ivxs_post_strerror(int status);

#endif
