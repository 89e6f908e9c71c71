/*
 * P2P transport — a frame source fed by the app (p2p_queue_source.h).
 * The arena is a byte ring addressed by a monotonic position; a frame is
 * contiguous (one that would cross the arena's end starts again at its
 * beginning, the tail skipped). A frame is intact while no byte was written
 * more than `capacity` past its start.
 */
#include "p2p_queue_source.h"

#include <string.h>

static int next(void *ctx, int key_only, ivxs_p2p_frame *out)
{
	ivxs_p2p_queue_source *q = ctx;
	ivxs_p2p_queued *f;
	uint32_t i;
	/* the viewer fell behind: go to the oldest key frame queued, if there is one (an app's
	 * stream without key frames is never cut) */
	for (i = 0; key_only && i < q->count; i++)
		if (q->index[(q->head + i) % q->slots].key) {
			for (; i; i--) {
				q->pending -= q->index[q->head].size;
				q->head = (q->head + 1) % q->slots;
				q->count--;
			}
			break;
		}
	if (!q->count)
		return 0;
	f = &q->index[q->head];
	memset(out, 0, sizeof(*out));
	out->data = q->arena + f->pos % q->capacity;
	out->size = f->size;
	out->time_ms = q->now;
	out->ts_ms = f->ts_ms;
	out->key = f->key;
	out->flags = f->flags;
	out->token[0] = f->pos;
	q->pending -= f->size;
	q->head = (q->head + 1) % q->slots;
	q->count--;
	return 1;
}

static int intact(void *ctx, const ivxs_p2p_frame *frame)
{
	const ivxs_p2p_queue_source *q = ctx;
	return q->write_pos <= frame->token[0] + q->capacity;
}

static uint64_t pending(void *ctx)
{
	const ivxs_p2p_queue_source *q = ctx;
	return q->pending;
}

int ivxs_p2p_queue_source_init(ivxs_p2p_queue_source *q, uint32_t capacity, uint32_t slots,
		const ivxs_p2p_allocator *allocator, ivxs_p2p_frame_source *out)
{
	static const ivxs_p2p_allocator kDefault = { ivxs_default_alloc, ivxs_default_free, NULL };
	memset(q, 0, sizeof(*q));
	memset(out, 0, sizeof(*out));
	if (!capacity || !slots || slots > (uint32_t)-1 / sizeof(ivxs_p2p_queued))
		return IVXS_P2P_EARG;
	q->allocator = allocator ? allocator : &kDefault;
	q->arena = q->allocator->alloc(capacity, q->allocator->ctx);
	q->index = q->allocator->alloc(slots * sizeof(ivxs_p2p_queued), q->allocator->ctx);
	if (!q->arena || !q->index) {
		ivxs_p2p_queue_source_close(q);
		return IVXS_P2P_ENOMEM;
	}
	q->capacity = capacity;
	q->slots = slots;
	out->next = next;
	out->intact = intact;
	out->pending = pending;
	out->ctx = q;
	return 0;
}

int ivxs_p2p_queue_source_push(ivxs_p2p_queue_source *q, const uint8_t *data, uint32_t size, int key,
		uint32_t ts_ms, uint8_t flags)
{
	uint64_t pos = q->write_pos;
	ivxs_p2p_queued *f;
	if (!q->arena || !size || !data)
		return IVXS_P2P_EARG;
	if (size > q->capacity)
		return IVXS_P2P_ETOOBIG;
	if (pos % q->capacity + size > q->capacity)
		pos += q->capacity - pos % q->capacity;   /* contiguous: start again at the arena's beginning */
	/* never overwrite a frame not handed out yet */
	if (q->count == q->slots || (q->count && pos + size > q->index[q->head].pos + q->capacity))
		return IVXS_P2P_EAGAIN;
	memcpy(q->arena + pos % q->capacity, data, size);
	f = &q->index[(q->head + q->count) % q->slots];
	f->pos = pos;
	f->size = size;
	f->ts_ms = ts_ms;
	f->key = (uint8_t)(key != 0);
	f->flags = flags;
	q->count++;
	q->pending += size;
	q->write_pos = pos + size;
	return 0;
}

void ivxs_p2p_queue_source_close(ivxs_p2p_queue_source *q)
{
	if (q->arena)
		q->allocator->free(q->arena, q->allocator->ctx);
	if (q->index)
		q->allocator->free(q->index, q->allocator->ctx);
	q->arena = NULL;
	q->index = NULL;
	q->count = 0;
	q->pending = 0;
}
