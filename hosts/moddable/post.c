/*
 * Allocation-free, non-blocking wake-up of the VM thread (post.h).
 *
 * A slot goes FREE -> FILLING (the poster owns it) -> READY (published with
 * seq_cst) -> TAKEN (the drain owns it) -> FREE. A poster whose own wake-up
 * was refused withdraws its slot (READY -> FREE) unless a drain took it. The
 * state word carries a generation that each drain moves on, so a withdrawal
 * can never hit the slot after a drain took it and another poster reused it
 * (an ABA the first version had: a poster told "withdrawn" whose callback
 * ran, and another poster told "queued" whose callback never did).
 *
 * No lost post: `scheduled` counts wake-ups the host GRANTED minus drains
 * that have STARTED (a poster adds 1 after its grant, a drain takes 1 away
 * before it scans; the two may come in either order, so it can dip below 0,
 * never above the truth). A poster that published READY and then sees
 * scheduled > 0 knows a granted drain has yet to start: that drain's scan
 * comes after its decrement, which comes after this poster's load in the
 * seq_cst order, so it sees the slot. Otherwise the poster asks for its own
 * wake-up. Nobody ever relies on a wake-up that may still be refused (the
 * first version coalesced on a wake-up *requested*, and a refusal then
 * stranded the slots that had relied on it until some later post).
 */
#include "post.h"

#include <stddef.h>

enum { kFree = 0, kFilling, kReady, kTaken, kKindMask = 3, kGeneration = 4 };

#define KIND(state) ((state) & kKindMask)
#define WITH(state, kind) (((state) & ~kKindMask) | (kind))

void ivxs_post_init(ivxs_post_queue *queue, ivxs_post_wake wake, void *wakeCtx)
{
	int i;
	for (i = 0; i < IVXS_POST_SLOTS; i++) {
		atomic_init(&queue->slots[i].state, kFree);
		queue->slots[i].callback = NULL;
		queue->slots[i].ctx = NULL;
	}
	atomic_init(&queue->scheduled, 0);
	atomic_init(&queue->full, 0);
	atomic_init(&queue->wakeFailures, 0);
	queue->wake = wake;
	queue->wakeCtx = wakeCtx;
}

int ivxs_post_push(ivxs_post_queue *queue, ivxs_post_callback callback, void *ctx)
{
	ivxs_post_slot *slot = NULL;
	int expected = 0, i;
	for (i = 0; i < IVXS_POST_SLOTS && !slot; i++) {
		expected = atomic_load(&queue->slots[i].state);
		if (KIND(expected) == kFree &&
				atomic_compare_exchange_strong(&queue->slots[i].state, &expected, WITH(expected, kFilling)))
			slot = &queue->slots[i];
	}
	if (!slot) {
		atomic_fetch_add(&queue->full, 1);
		return IVXS_POST_EFULL;
	}
	slot->callback = callback;
	slot->ctx = ctx;
	expected = WITH(expected, kReady);   /* this generation's READY: what a withdrawal expects */
	atomic_store(&slot->state, expected);
	if (atomic_load(&queue->scheduled) > 0)
		return IVXS_POST_OK;   /* a granted drain has yet to start: it will see the slot */
	if (queue->wake(queue->wakeCtx) == 0) {
		atomic_fetch_add(&queue->scheduled, 1);
		return IVXS_POST_OK;
	}
	atomic_fetch_add(&queue->wakeFailures, 1);
	if (atomic_compare_exchange_strong(&slot->state, &expected, WITH(expected, kFree)))
		return IVXS_POST_EWAKE;   /* withdrawn: nothing queued, the caller retries */
	return IVXS_POST_OK;          /* a drain (someone else's wake-up) already took it */
}

unsigned ivxs_post_drain(ivxs_post_queue *queue)
{
	unsigned ran = 0;
	int i;
	atomic_fetch_sub(&queue->scheduled, 1);
	for (i = 0; i < IVXS_POST_SLOTS; i++) {
		ivxs_post_slot *slot = &queue->slots[i];
		int expected = atomic_load(&slot->state);
		ivxs_post_callback callback;
		void *ctx;
		if (KIND(expected) != kReady || !atomic_compare_exchange_strong(&slot->state, &expected, WITH(expected, kTaken)))
			continue;
		callback = slot->callback;
		ctx = slot->ctx;
		/* Free, in the next generation, before running: the callback may post again. */
		atomic_store(&slot->state, (int)(((unsigned)expected + kGeneration) & ~(unsigned)kKindMask) | kFree);
		callback(ctx);
		ran++;
	}
	return ran;
}

const char *ivxs_post_strerror(int status)
{
	switch (status) {
	case IVXS_POST_OK: return "ok";
	case IVXS_POST_EFULL: return "every wake-up slot is taken";
	case IVXS_POST_EWAKE: return "the host's message queue refused the wake-up";
	default: return "unknown status";
	}
}
