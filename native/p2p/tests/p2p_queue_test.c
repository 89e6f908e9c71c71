/*
 * The app-fed frame source (p2p_queue_source.c: onSendGet's chunks, a viewer's talkback) and the
 * watermark setter, without sessions: what the source hands out, when it refuses a push, what
 * it reports pending and intact.
 */
#include "p2p_internal.h"
#include "p2p_queue_source.h"
#include "ivxs_test.h"

#include <stdio.h>
#include <string.h>


static uint32_t g_base;   /* the caller's clock at the start (IVXS_CLOCK_BASE) */

static void fill(uint8_t *b, uint32_t n, uint8_t v)
{
	memset(b, v, n);
}

static void test_order_and_pending(void)
{
	ivxs_p2p_queue_source q;
	ivxs_p2p_frame_source src;
	ivxs_p2p_frame f;
	uint8_t data[1000];
	int i;
	CHECK_EQ(ivxs_p2p_queue_source_init(&q, 4096, 8, NULL, &src), 0);
	CHECK(src.pending && src.next && src.intact);
	CHECK_EQ(ivxs_p2p_queue_source_push(&q, data, 0, 1, 0, 0), IVXS_P2P_EARG);
	CHECK_EQ(ivxs_p2p_queue_source_push(&q, data, 5000, 1, 0, 0), IVXS_P2P_ETOOBIG);
	for (i = 0; i < 4; i++) {
		fill(data, sizeof(data), (uint8_t)i);
		CHECK_EQ(ivxs_p2p_queue_source_push(&q, data, 1000, i == 2, 100 + i, 7), 0);
	}
	CHECK_EQ(src.pending(src.ctx), 4000);
	/* a fifth would overwrite the first, not handed out yet: refused, nothing lost */
	CHECK_EQ(ivxs_p2p_queue_source_push(&q, data, 1000, 1, 0, 0), IVXS_P2P_EAGAIN);
	q.now = g_base + 555;   /* a frame's deadline runs from when it is taken, at any clock base */
	CHECK_EQ(src.next(src.ctx, 0, &f), 1);
	CHECK(f.size == 1000 && f.data[0] == 0 && f.ts_ms == 100 && f.time_ms == g_base + 555 && f.flags == 7 && !f.key);
	CHECK_EQ(src.pending(src.ctx), 3000);
	/* the viewer fell behind: on to the oldest key frame queued */
	CHECK_EQ(src.next(src.ctx, 1, &f), 1);
	CHECK(f.data[0] == 2 && f.key);
	CHECK_EQ(src.pending(src.ctx), 1000);
	CHECK(src.intact(src.ctx, &f));
	/* room again (handed-out frames may be overwritten; they are then not intact) */
	CHECK_EQ(ivxs_p2p_queue_source_push(&q, data, 1000, 0, 0, 0), 0);
	CHECK_EQ(ivxs_p2p_queue_source_push(&q, data, 1000, 0, 0, 0), 0);
	CHECK_EQ(ivxs_p2p_queue_source_push(&q, data, 1000, 0, 0, 0), 0);
	CHECK(!src.intact(src.ctx, &f));
	/* no key frame queued: a key_only ask never cuts an app's stream */
	CHECK_EQ(src.next(src.ctx, 1, &f), 1);
	CHECK(f.data[0] == 3);
	CHECK_EQ(src.pending(src.ctx), 3000);
done:
	ivxs_p2p_queue_source_close(&q);
	ivxs_p2p_queue_source_close(&q);   /* harmless twice */
}

static void test_wrap_contiguous(void)
{
	ivxs_p2p_queue_source q;
	ivxs_p2p_frame_source src;
	ivxs_p2p_frame f;
	uint8_t data[1500];
	int i;
	fill(data, sizeof(data), 9);
	CHECK_EQ(ivxs_p2p_queue_source_init(&q, 4000, 4, NULL, &src), 0);
	for (i = 0; i < 200; i++) {
		CHECK_EQ(ivxs_p2p_queue_source_push(&q, data, 1500, 1, (uint32_t)i, 0), 0);
		CHECK_EQ(src.next(src.ctx, 0, &f), 1);
		/* a frame never crosses the arena's end */
		CHECK(f.data >= q.arena && f.data + f.size <= q.arena + q.capacity && f.ts_ms == (uint32_t)i);
		CHECK(src.intact(src.ctx, &f));
	}
	/* four index slots: a fifth frame waiting is refused even with bytes to spare */
	for (i = 0; i < 4; i++)
		CHECK_EQ(ivxs_p2p_queue_source_push(&q, data, 10, 1, 0, 0), 0);
	CHECK_EQ(ivxs_p2p_queue_source_push(&q, data, 10, 1, 0, 0), IVXS_P2P_EAGAIN);
done:
	ivxs_p2p_queue_source_close(&q);
}

static int noRandom(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	memset(out, 1, n);
	return 0;
}

static void noSend(void *ctx, const ivxs_p2p_addr *to, const uint8_t *data, size_t size)
{
	(void)ctx;
	(void)to;
	(void)data;
	(void)size;
}

static void test_set_watermarks(void)
{
	ivxs_p2p *p = NULL;
	ivxs_p2p_config c;
	uint8_t secret[32] = { 1 };
	memset(&c, 0, sizeof(c));
	c.role = IVXS_P2P_SERVER;
	c.device_secret = secret;
	c.device_secret_len = sizeof(secret);
	c.cb.random = noRandom;
	c.cb.send = noSend;
	CHECK_EQ(ivxs_p2p_create(&p, &c), 0);
	CHECK_EQ(ivxs_p2p_set_watermarks(p, 200, 400, 500), 0);
	CHECK(p->cfg.low == 200 && p->cfg.warn == 400 && p->cfg.high == 500);
	CHECK_EQ(ivxs_p2p_set_watermarks(p, 0, 0, 0), 0);
	CHECK(!p->cfg.low && !p->cfg.warn && !p->cfg.high);
	CHECK_EQ(ivxs_p2p_set_watermarks(p, 0, 400, 500), IVXS_P2P_EARG);   /* LOW never reachable */
	CHECK_EQ(ivxs_p2p_set_watermarks(p, 300, 200, 500), IVXS_P2P_EARG);
	CHECK_EQ(ivxs_p2p_set_watermarks(p, 100, 200, 150), IVXS_P2P_EARG);
	CHECK_EQ(ivxs_p2p_set_watermarks(NULL, 0, 0, 0), IVXS_P2P_EARG);
	CHECK(!p->cfg.low && !p->cfg.high);   /* a refused setting changes nothing */
done:
	ivxs_p2p_destroy(&p);
}

int main(void)
{
	g_base = ivxs_test_clock_base(0);
	ivxs_test_run("queue source: order, pending, refusal instead of loss, key-only", test_order_and_pending);
	ivxs_test_run("queue source: frames contiguous across the arena's end, index slots bound", test_wrap_contiguous);
	ivxs_test_run("watermarks: set at run time, all 0 or 0 < low <= warn <= high", test_set_watermarks);
	return ivxs_test_summary();
}
