/*
 * Allocation-free, non-blocking wake-up of the VM thread (post.h).
 *
 * A slot goes FREE -> FILLING (the poster owns it) -> READY (published with
 * seq_cst) -> TAKEN (the drain owns it) -> FREE. A poster whose wake-up was
 * refused withdraws its own slot (READY -> FREE) unless the drain took it.
 *
 * No lost wake-up: the drain clears wakePending before it scans; a poster
 * publishes READY before it tests-and-sets wakePending. Either the scan sees
 * the slot, or the poster sees wakePending clear and wakes again.
 */
#include "post.h"

#include <stddef.h>

enum { kFree = 0, kFilling, kReady, kTaken };

void ivxs_post_init(ivxs_post_queue *queue, ivxs_post_wake wake, void *wakeCtx)
{
	int i;
	for (i = 0; i < IVXS_POST_SLOTS; i++) {
		atomic_init(&queue->slots[i].state, kFree);
		queue->slots[i].callback = NULL;
		queue->slots[i].ctx = NULL;
	}
	atomic_init(&queue->wakePending, 0);
	atomic_init(&queue->full, 0);
	atomic_init(&queue->wakeFailures, 0);
	queue->wake = wake;
	queue->wakeCtx = wakeCtx;
}

static int anyReady(ivxs_post_queue *queue)
{
	int i;
	for (i = 0; i < IVXS_POST_SLOTS; i++)
		if (atomic_load(&queue->slots[i].state) == kReady)
			return 1;
	return 0;
}

/* Schedules a drain unless one is already pending; 0 when one is. */
static int wakeOnce(ivxs_post_queue *queue)
{
	if (atomic_exchange(&queue->wakePending, 1))
		return 0;
	if (queue->wake(queue->wakeCtx) == 0)
		return 0;
	atomic_fetch_add(&queue->wakeFailures, 1);
	atomic_store(&queue->wakePending, 0);
	return -1;
}

int ivxs_post_push(ivxs_post_queue *queue, ivxs_post_callback callback, void *ctx)
{
	ivxs_post_slot *slot = NULL;
	int status = IVXS_POST_OK;
	int i;
	for (i = 0; i < IVXS_POST_SLOTS && !slot; i++) {
		int expected = kFree;
		if (atomic_compare_exchange_strong(&queue->slots[i].state, &expected, kFilling))
			slot = &queue->slots[i];
	}
	if (!slot) {
		atomic_fetch_add(&queue->full, 1);
		status = IVXS_POST_EFULL;
	}
	else {
		slot->callback = callback;
		slot->ctx = ctx;
		atomic_store(&slot->state, kReady);
		if (wakeOnce(queue) < 0) {
			int expected = kReady;
			/* Withdraw ours: the caller retries. A drain that already took
			 * it runs it, so then it counts as queued. */
			if (atomic_compare_exchange_strong(&slot->state, &expected, kFree))
				status = IVXS_POST_EWAKE;
			/* Others may have published relying on our wake-up: one more
			 * try for them; else the next successful wake-up runs them. */
			if (anyReady(queue))
				(void)wakeOnce(queue);
		}
	}
	return status;
}

unsigned ivxs_post_drain(ivxs_post_queue *queue)
{
	unsigned ran = 0;
	int i;
	atomic_store(&queue->wakePending, 0);
	for (i = 0; i < IVXS_POST_SLOTS; i++) {
		ivxs_post_slot *slot = &queue->slots[i];
		int expected = kReady;
		ivxs_post_callback callback;
		void *ctx;
		if (!atomic_compare_exchange_strong(&slot->state, &expected, kTaken))
			continue;
		callback = slot->callback;
		ctx = slot->ctx;
		atomic_store(&slot->state, kFree);   /* free before running: the callback may post again */
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
