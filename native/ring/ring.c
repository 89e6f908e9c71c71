/*
 * GOP ring buffer — portable core. See ring.h for the API and README.md for
 * the design (positions, eviction, seqlock validation, thread model).
 *
 * C11 + <stdatomic.h> only: no XS headers, no clocks, no I/O, no threads, no
 * allocation after ivxs_ring_create().
 */
#include "ring.h"

#include <string.h>

#if defined(__STDC_NO_ATOMICS__)
#error "ivxs ring needs C11 <stdatomic.h>"
#endif
#include <stdatomic.h>

/* ThreadSanitizer does not model standalone fences nor the seqlock idea of
 * "racy read, validated afterwards". Under TSan the payload is copied with
 * relaxed byte atomics so that the intended (validated) races are not
 * reported; everywhere else it is a plain memcpy. */
#if defined(__SANITIZE_THREAD__)
#define IVXS_RING_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define IVXS_RING_TSAN 1
#endif
#endif

#if defined(IVXS_RING_TSAN) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
/* TSan ignores standalone fences; every racy access here is atomic anyway. */
#pragma GCC diagnostic ignored "-Wtsan"
#endif

#define kCacheLine 64
#define kDefaultReaders 8u
#define kMinDerivedFrames 64u
#define kMaxDerivedFrames 65536u
#define kBytesPerDerivedFrame 512u

/* Wrap-safe comparisons of 64-bit sequence numbers and byte positions. */
#define SEQ_LT(a, b) ((int64_t)((uint64_t)(a) - (uint64_t)(b)) < 0)
#define SEQ_GE(a, b) (!SEQ_LT(a, b))

/* Descriptor meta word. */
#define kMetaType(m) ((m) & 0xffu)
#define kMetaCodec(m) (((m) >> 8) & 0xffu)
#define kMetaRap 0x10000u       /* random-access point: starts a GOP */
#define kMetaHasPrev 0x20000u   /* the previous random-access point is at seq - w[kPrevDelta] */

/* Only 32-bit atomics, anywhere: a 64-bit atomic is a library call (a lock,
 * on ESP-IDF a critical section) on Cortex-M and Xtensa. 64-bit values are
 * stored as lo/hi halves and made consistent by a 32-bit version word. */

/* Descriptor words: 64-bit values as lo/hi halves; kOff = pos % arena (so no
 * reader divides); kPrevDelta links random-access points for AT_TIME. */
enum { kSeqLo, kSeqHi, kPosLo, kPosHi, kTsLo, kTsHi, kGopLo, kGopHi, kOff, kPrevDelta, kSize,
	kMeta, kInfo, kWords };

/* One index slot: a seqlock. The writer makes `ver` odd, writes the words,
 * makes it even again; a reader accepts a copy of the words iff it read the
 * same even `ver` before and after, and the copy's seq is the one it wants.
 * A slot that was never written holds seq UINT64_MAX. 64 bytes with the
 * writer's GOP length word, one cache line (the index is line-aligned): no
 * slot straddles two lines. */
typedef struct {
	atomic_uint ver;
	atomic_uint w[kWords];
	/* Writer-private, outside the seqlock (no reader looks at it): in the
	 * slot of a random-access point, the number of frames of its GOP, set
	 * when the next random-access point is pushed. Eviction steps a whole
	 * GOP through it instead of reading every frame's line. */
	uint32_t gop_frames;
	uint32_t spare_[14 - kWords];
} ring_desc;

_Static_assert(sizeof(ring_desc) == kCacheLine, "a descriptor is one cache line");

/* Values published by the single writer to every reader: two copies and a
 * generation. The writer fills the idle copy, then publishes gen + 1 (copy =
 * gen & 1); a reader copies the current one and retries only if gen moved
 * meanwhile, i.e. only because the writer completed a publication. A writer
 * preempted half-way never makes a reader spin (a plain seqlock would, on a
 * single core with a higher-priority reader). */
enum { kHeadLo, kHeadHi, kRapLo, kRapHi, kBytesPushedLo, kBytesPushedHi, kBytesHeldLo,
	kBytesHeldHi, kNewestLo, kNewestHi, kHeadWords };
enum { kTailSeqLo, kTailSeqHi, kTailPosLo, kTailPosHi, kOldestLo, kOldestHi, kEvFramesLo,
	kEvFramesHi, kEvGopsLo, kEvGopsHi, kTailWords };

#define kPubWords 10
typedef struct {
	atomic_uint gen;
	atomic_uint w[2][kPubWords];
} pub_block;

_Static_assert(kHeadWords <= kPubWords && kTailWords <= kPubWords, "publication block too small");

typedef struct {
	uint64_t pos, ts, gop;
	uint32_t off, prev_delta, size, meta, info;
} frame_info;

typedef void (*ivxs_ring_notify_fn)(void *ctx);

struct ivxs_ring_reader {
	/* reader thread only: */
	uint64_t next;       /* cursor: next seq to read */
	uint64_t lost;       /* frames skipped, not yet reported */
	uint64_t head_seen;  /* frames before this were published (cached head) */
	ivxs_ring *ring;
	atomic_int used;
	uint32_t next_slot;  /* slot of `next`: no modulo per read when max_frames is not 2^n */
	uint8_t pad_[kCacheLine - 3 * sizeof(uint64_t) - sizeof(void *) - sizeof(atomic_int) - sizeof(uint32_t)];
};

struct ivxs_ring {
	/* --- immutable after create --- */
	void *block;               /* the control block as allocated (this struct is line-aligned in it) */
	uint8_t *arena;
	uint64_t asize;            /* arena bytes */
	uint32_t max_frames;
	uint32_t max_readers;
	uint32_t slot_mask;        /* max_frames - 1 when a power of two */
	uint32_t slot_pow2;
	ring_desc *desc;
	ivxs_ring_reader *readers;
	ivxs_ring_allocator allocator, control_allocator;
	size_t footprint;
	uint8_t pad0_[kCacheLine];

	/* --- published by the writer, read by everyone ---
	 * head: frames [tail_seq, head_seq) are present; last_rap1 = newest
	 * random-access seq + 1 (0 = none); and the stats (frames pushed =
	 * head_seq). Republished at every push.
	 * tail: tail_seq = oldest present seq (always a random-access point);
	 * bytes before tail_pos may be overwritten. Republished at each eviction,
	 * on its own cache lines: readers validate against it at every frame. */
	pub_block head;
	uint8_t pad1_[kCacheLine];
	pub_block tail;
	uint8_t pad2_[kCacheLine];

	atomic_uint st_readers_open;
	atomic_int writer;           /* 1 while a writer holds the claim */
	uint8_t pad3_[kCacheLine];

	/* --- writer-private state (only the pushing thread touches it) --- */
	uint64_t w_head, w_tail;     /* private copies of head_seq / tail_seq */
	uint32_t w_head_slot, w_tail_slot;
	unsigned w_head_ver;         /* the (even) version of every slot from w_head_slot on: 2 per lap */
	unsigned w_head_gen;         /* head.gen, without reading it back */
	uint64_t w_pos;              /* next free byte position */
	uint64_t w_off;              /* w_pos % arena */
	uint64_t w_tail_pos;         /* pos of the oldest frame (when not empty) */
	uint64_t w_frames_evicted, w_gops_evicted, w_bytes_pushed;
	uint64_t w_last_rap;         /* valid when w_have_rap */
	uint32_t w_last_rap_slot;
	uint64_t w_pad_at, w_pad_len;   /* the newest end-of-arena skip: its position and length */
	uint64_t w_gop_next;
	uint64_t w_bytes_held;
	uint64_t w_oldest_ts, w_newest_ts;
	uint64_t w_last_ts[2];
	uint8_t w_have_ts[2];
	uint8_t w_have_rap;
	uint8_t w_video_seen;        /* a video key frame was accepted */
	uint8_t w_need_key;          /* non-key video is refused until a key frame */
	uint8_t pad4_[kCacheLine];

	/* --- notify hook: written by set_notify (any thread), read by push.
	 * Two slots and a generation: set_notify fills the idle slot, then
	 * publishes gen + 1 (slot = gen & 1). --- */
	struct {
		_Atomic(ivxs_ring_notify_fn) fn;
		_Atomic(void *) ctx;
	} notify[2];
	atomic_uint notify_gen;
};

/* ------------------------------------------------------------------------ */

const ivxs_status_entry ivxs_ring_statuses[] = {
	IVXS_STATUS(IVXS_RING_EARG, "bad argument"),
	IVXS_STATUS(IVXS_RING_ENOMEM, "out of memory"),
	IVXS_STATUS(IVXS_RING_ETOOBIG, "frame too big for the ring"),
	IVXS_STATUS(IVXS_RING_ENEEDKEY, "key frame needed"),
	IVXS_STATUS(IVXS_RING_ETIME, "timestamp went backwards"),
	IVXS_STATUS(IVXS_RING_ECODEC, "bad codec or frame type"),
	IVXS_STATUS(IVXS_RING_EREADERS, "no free reader slot"),
	IVXS_STATUS(IVXS_RING_ENOFRAME, "no matching key frame"),
	IVXS_STATUS(IVXS_RING_EEMPTY, "empty frame"),
	IVXS_STATUS(IVXS_RING_EBUSY, "another writer holds the ring"),
	IVXS_STATUS_END
};

const char *ivxs_ring_strerror(int status)
{
	return ivxs_status_message(ivxs_ring_statuses, status);
}

size_t ivxs_ring_arena_for_gop(size_t g)
{
	const size_t page = 4096;
	const size_t cap = SIZE_MAX - (page - 1);   /* largest multiple of 4 KiB */
	size_t quarter = g / 4 + ((g % 4) != 0);
	size_t n;
	if (g > (cap - quarter) / 2)
		return cap;
	n = 2 * g + quarter;
	if (n < page)
		return page;
	return (n + page - 1) & ~(page - 1);
}

/* ------------------------------------------------------------------------ */

/* A function, not an inline comparison: on 32-bit targets some of these
 * limits cannot be exceeded and -Wtype-limits would complain. */
static int exceeds(uint64_t v, uint64_t limit)
{
	return v > limit;
}

static int add_size(size_t *acc, size_t n)
{
	if (n > SIZE_MAX - *acc)
		return 0;
	*acc += n;
	return 1;
}

static int mul_size(size_t a, size_t b, size_t *out)
{
	if (a != 0 && b > SIZE_MAX / a)
		return 0;
	*out = a * b;
	return 1;
}

uint32_t ivxs_ring_derived_frames(size_t arena_bytes)
{
	size_t d = arena_bytes / kBytesPerDerivedFrame;
	uint32_t frames = kMinDerivedFrames;
	while (frames < kMaxDerivedFrames && (size_t)frames * 2 <= d)
		frames *= 2;
	return frames;
}

/* A config's allocator: the given hooks (both required), or malloc/free for NULL. */
static int allocatorOf(const ivxs_ring_allocator *given, ivxs_ring_allocator *out)
{
	*out = given ? *given : ivxs_default_allocator();
	return out->alloc && out->free;
}

int ivxs_ring_create(ivxs_ring **out, const ivxs_ring_config *config)
{
	ivxs_ring_allocator al, cal;
	size_t head_bytes, readers_bytes, desc_bytes, block = 0;
	uint32_t frames, readers;
	uint8_t *mem, *arena;
	ivxs_ring *r;
	uint32_t i;

	if (!out)
		return IVXS_RING_EARG;
	*out = NULL;
	if (!config || config->arena_bytes == 0)
		return IVXS_RING_EARG;
	if (exceeds(config->arena_bytes, UINT64_MAX >> 2))   /* positions stay far from wrapping */
		return IVXS_RING_EARG;
	if (!allocatorOf(config->allocator, &al) || !allocatorOf(config->control_allocator, &cal))
		return IVXS_RING_EARG;

	frames = config->max_frames ? config->max_frames : ivxs_ring_derived_frames(config->arena_bytes);
	readers = config->max_readers ? config->max_readers : kDefaultReaders;

	/* One block: header, reader slots, index, and room to start them on a
	 * cache line (the allocator may give less alignment). Sizes checked for
	 * overflow. */
	head_bytes = (sizeof(ivxs_ring) + kCacheLine - 1) & ~(size_t)(kCacheLine - 1);
	if (!mul_size(readers, sizeof(ivxs_ring_reader), &readers_bytes)
			|| !mul_size(frames, sizeof(ring_desc), &desc_bytes)
			|| !add_size(&block, head_bytes)
			|| !add_size(&block, readers_bytes)
			|| !add_size(&block, desc_bytes)
			|| !add_size(&block, kCacheLine - 1))
		return IVXS_RING_ENOMEM;

	mem = (uint8_t *)cal.alloc(block, cal.ctx);
	if (!mem)
		return IVXS_RING_ENOMEM;
	arena = (uint8_t *)al.alloc(config->arena_bytes, al.ctx);
	if (!arena) {
		cal.free(mem, cal.ctx);
		return IVXS_RING_ENOMEM;
	}
	memset(mem, 0, block);

	r = (ivxs_ring *)(mem + ((kCacheLine - (uintptr_t)mem % kCacheLine) % kCacheLine));
	r->block = mem;
	r->arena = arena;
	r->asize = config->arena_bytes;
	r->max_frames = frames;
	r->max_readers = readers;
	r->slot_pow2 = (frames & (frames - 1)) == 0;
	r->slot_mask = frames - 1;
	r->readers = (ivxs_ring_reader *)((uint8_t *)r + head_bytes);
	r->desc = (ring_desc *)((uint8_t *)r + head_bytes + readers_bytes);
	r->allocator = al;
	r->control_allocator = cal;
	r->footprint = block + config->arena_bytes;

	atomic_init(&r->head.gen, 0);
	atomic_init(&r->tail.gen, 0);
	for (i = 0; i < 2; i++) {
		int k;
		for (k = 0; k < kHeadWords; k++)
			atomic_init(&r->head.w[i][k], 0);
		for (k = 0; k < kTailWords; k++)
			atomic_init(&r->tail.w[i][k], 0);
	}
	atomic_init(&r->st_readers_open, 0);
	atomic_init(&r->writer, 0);
	for (i = 0; i < 2; i++) {
		atomic_init(&r->notify[i].fn, (ivxs_ring_notify_fn)NULL);
		atomic_init(&r->notify[i].ctx, NULL);
	}
	atomic_init(&r->notify_gen, 0);
	for (i = 0; i < readers; i++) {
		r->readers[i].ring = r;
		atomic_init(&r->readers[i].used, 0);
	}
	for (i = 0; i < frames; i++) {
		int k;
		atomic_init(&r->desc[i].ver, 0);
		for (k = 0; k < kWords; k++)
			atomic_init(&r->desc[i].w[k], (k == kSeqLo || k == kSeqHi) ? UINT32_MAX : 0);
	}
	r->w_need_key = 1;
	*out = r;
	return IVXS_RING_OK;
}

void ivxs_ring_destroy(ivxs_ring **ring)
{
	ivxs_ring *r;
	ivxs_ring_allocator al, cal;
	if (!ring || !*ring)
		return;
	r = *ring;
	*ring = NULL;
	al = r->allocator;
	cal = r->control_allocator;
	al.free(r->arena, al.ctx);
	cal.free(r->block, cal.ctx);
}

/* The (callback, ctx) pair is double-buffered under a 32-bit generation so
 * that push never calls a callback with another pair's ctx, and never waits
 * for a setter (a setter preempted half-way is harmless). One setter at a
 * time. A callback that already started may still be running when this
 * returns. */
void ivxs_ring_set_notify(ivxs_ring *ring, void (*notify)(void *ctx), void *ctx)
{
	unsigned g;
	int k;
	if (!ring)
		return;
	g = atomic_load_explicit(&ring->notify_gen, memory_order_relaxed);
	k = (int)((g + 1) & 1);
	/* order the previous publication before rewriting the idle slot */
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&ring->notify[k].fn, notify, memory_order_relaxed);
	atomic_store_explicit(&ring->notify[k].ctx, notify ? ctx : NULL, memory_order_relaxed);
	atomic_store_explicit(&ring->notify_gen, g + 1, memory_order_release);
}

static void call_notify(ivxs_ring *r)
{
	for (;;) {
		unsigned g = atomic_load_explicit(&r->notify_gen, memory_order_acquire);
		ivxs_ring_notify_fn f = atomic_load_explicit(&r->notify[g & 1].fn, memory_order_relaxed);
		void *ctx = atomic_load_explicit(&r->notify[g & 1].ctx, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&r->notify_gen, memory_order_relaxed) == g) {
			if (f)
				f(ctx);
			return;
		}
		/* a set_notify completed meanwhile: read the new pair */
	}
}

/* ------------------------------------------------------------------------ */
/* Descriptors */

static inline uint64_t join64(uint32_t lo, uint32_t hi)
{
	return (uint64_t)lo | ((uint64_t)hi << 32);
}

#define W_LOAD(d, k) atomic_load_explicit(&(d)->w[k], memory_order_relaxed)
#define W_STORE(d, k, v) atomic_store_explicit(&(d)->w[k], (uint32_t)(v), memory_order_relaxed)

static inline uint32_t slot_of(const ivxs_ring *r, uint64_t seq)
{
	return r->slot_pow2 ? (uint32_t)seq & r->slot_mask : (uint32_t)(seq % r->max_frames);
}

static inline uint32_t slot_next(const ivxs_ring *r, uint32_t slot)
{
	return (slot + 1 == r->max_frames) ? 0 : slot + 1;
}

/* Seqlock read of `slot` (the slot of `seq`): 1 and *fi filled iff the slot
 * held frame `seq` for the whole copy. Any thread. */
static int desc_load(const ivxs_ring *r, uint32_t slot, uint64_t seq, frame_info *fi)
{
	ring_desc *d = &r->desc[slot];
	uint32_t seq_lo, seq_hi;
	unsigned v;
	v = atomic_load_explicit(&d->ver, memory_order_acquire);
	if (v & 1)
		return 0;
	/* Word by word into locals (no loop, no array through memory): the read
	 * path of every frame. */
	seq_lo = W_LOAD(d, kSeqLo);
	seq_hi = W_LOAD(d, kSeqHi);
	fi->pos = join64(W_LOAD(d, kPosLo), W_LOAD(d, kPosHi));
	fi->ts = join64(W_LOAD(d, kTsLo), W_LOAD(d, kTsHi));
	fi->gop = join64(W_LOAD(d, kGopLo), W_LOAD(d, kGopHi));
	fi->off = W_LOAD(d, kOff);
	fi->prev_delta = W_LOAD(d, kPrevDelta);
	fi->size = W_LOAD(d, kSize);
	fi->meta = W_LOAD(d, kMeta);
	fi->info = W_LOAD(d, kInfo);
	atomic_thread_fence(memory_order_acquire);
	/* *fi is the caller's; it is used only when this returns 1 */
	return atomic_load_explicit(&d->ver, memory_order_relaxed) == v && join64(seq_lo, seq_hi) == seq;
}

/* Writer-only peeks at its own descriptors (stable: nobody else writes). */
static inline uint64_t peek_pos(const ring_desc *d)
{
	return join64(W_LOAD(d, kPosLo), W_LOAD(d, kPosHi));
}

static inline uint64_t peek_ts(const ring_desc *d)
{
	return join64(W_LOAD(d, kTsLo), W_LOAD(d, kTsHi));
}

/* `v` is the slot's current (even) version: the writer knows it without
 * reading the line back (a load there would wait for the line; the stores
 * need not). */
static void desc_store(ring_desc *d, unsigned v, uint64_t seq, const frame_info *fi)
{
	atomic_store_explicit(&d->ver, v + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	W_STORE(d, kSeqLo, seq);
	W_STORE(d, kSeqHi, seq >> 32);
	W_STORE(d, kPosLo, fi->pos);
	W_STORE(d, kPosHi, fi->pos >> 32);
	W_STORE(d, kTsLo, fi->ts);
	W_STORE(d, kTsHi, fi->ts >> 32);
	W_STORE(d, kGopLo, fi->gop);
	W_STORE(d, kGopHi, fi->gop >> 32);
	W_STORE(d, kOff, fi->off);
	W_STORE(d, kPrevDelta, fi->prev_delta);
	W_STORE(d, kSize, fi->size);
	W_STORE(d, kMeta, fi->meta);
	W_STORE(d, kInfo, fi->info);
	atomic_store_explicit(&d->ver, v + 2, memory_order_release);
}

/* Writer: fill the idle copy, publish it. The fence orders every earlier
 * publication (and what readers may still be copying) before the idle copy is
 * rewritten. */
#define PUBLISH(block, nwords, values) do { \
	unsigned g_ = atomic_load_explicit(&(block).gen, memory_order_relaxed) + 1; \
	int k_; \
	atomic_thread_fence(memory_order_release); \
	for (k_ = 0; k_ < (nwords); k_++) \
		atomic_store_explicit(&(block).w[g_ & 1][k_], (values)[k_], memory_order_relaxed); \
	atomic_store_explicit(&(block).gen, g_, memory_order_release); \
} while (0)

/* Any thread: a consistent copy of the current publication. Retries only
 * when the writer completed a publication meanwhile. */
#define SNAPSHOT(block, nwords, out) do { \
	for (;;) { \
		unsigned g_ = atomic_load_explicit(&(block).gen, memory_order_acquire); \
		int k_; \
		for (k_ = 0; k_ < (nwords); k_++) \
			(out)[k_] = atomic_load_explicit(&(block).w[g_ & 1][k_], memory_order_relaxed); \
		atomic_thread_fence(memory_order_acquire); \
		if (atomic_load_explicit(&(block).gen, memory_order_relaxed) == g_) \
			break; \
	} \
} while (0)

/* Any thread: one 64-bit value (words lo, lo + 1) of the current
 * publication of a block; plain locals, no copy through memory (a 64-bit load
 * of two 32-bit stores just made would stall on store forwarding, on the read
 * path of every frame). */
static inline uint64_t load64(const pub_block *block, int lo)
{
	pub_block *b = (pub_block *)block;   /* atomic loads take non-const pointers in C11 */
	for (;;) {
		unsigned g = atomic_load_explicit(&b->gen, memory_order_acquire);
		uint32_t l = atomic_load_explicit(&b->w[g & 1][lo], memory_order_relaxed);
		uint32_t h = atomic_load_explicit(&b->w[g & 1][lo + 1], memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&b->gen, memory_order_relaxed) == g)
			return join64(l, h);
	}
}

#define SPLIT(w, lo, v) ((w)[lo] = (uint32_t)(v), (w)[(lo) + 1] = (uint32_t)((uint64_t)(v) >> 32))

/* Writer: the head words (and stats) after a push: PUBLISH written out word
 * by word (once per frame; the loop over an array cost ~70 instructions). */
#define PUB_STORE(w, k, v) atomic_store_explicit(&(w)[k], (uint32_t)(v), memory_order_relaxed)
#define PUB_STORE64(w, lo, v) (PUB_STORE(w, lo, v), PUB_STORE(w, (lo) + 1, (uint64_t)(v) >> 32))
static inline void publish_head(ivxs_ring *r)
{
	unsigned g = ++r->w_head_gen;
	atomic_uint *w = r->head.w[g & 1];
	uint64_t rap1 = r->w_have_rap ? r->w_last_rap + 1 : 0;
	atomic_thread_fence(memory_order_release);
	PUB_STORE64(w, kHeadLo, r->w_head);
	PUB_STORE64(w, kRapLo, rap1);
	PUB_STORE64(w, kBytesPushedLo, r->w_bytes_pushed);
	PUB_STORE64(w, kBytesHeldLo, r->w_bytes_held);
	PUB_STORE64(w, kNewestLo, r->w_newest_ts);
	atomic_store_explicit(&r->head.gen, g, memory_order_release);
}

/* Writer: the tail words (and the eviction stats) after an eviction. */
static void publish_tail(ivxs_ring *r, uint64_t tail_seq, uint64_t tail_pos)
{
	uint32_t w[kTailWords];
	SPLIT(w, kTailSeqLo, tail_seq);
	SPLIT(w, kTailPosLo, tail_pos);
	SPLIT(w, kOldestLo, r->w_oldest_ts);
	SPLIT(w, kEvFramesLo, r->w_frames_evicted);
	SPLIT(w, kEvGopsLo, r->w_gops_evicted);
	PUBLISH(r->tail, kTailWords, w);
}

static void payload_copy(uint8_t *dst, const uint8_t *src, size_t n)
{
#if defined(IVXS_RING_TSAN)
	size_t i;
	for (i = 0; i < n; i++)
		__atomic_store_n(&dst[i], src[i], __ATOMIC_RELAXED);
#else
	memcpy(dst, src, n);
#endif
}

/* ------------------------------------------------------------------------ */
/* Writer */



int ivxs_ring_writer_claim(ivxs_ring *ring)
{
	if (!ring)
		return IVXS_RING_EARG;
	if (atomic_exchange_explicit(&ring->writer, 1, memory_order_acquire))
		return IVXS_RING_EBUSY;
	return IVXS_RING_OK;
}

void ivxs_ring_writer_release(ivxs_ring *ring)
{
	if (ring)
		atomic_store_explicit(&ring->writer, 0, memory_order_release);
}

static inline int push(ivxs_ring *ring, ivxs_frame_type type, ivxs_codec codec, int key,
		uint64_t timestamp_ms, uint32_t info, const void *data, size_t size)
{
	ivxs_ring *r = ring;
	frame_info fi;
	uint64_t h, t, s, need, off, n, tpos, g;
	uint32_t tslot;
	uint64_t ev_frames = 0, ev_gops = 0;
	int video, rap;
	unsigned ti;

	if (!r)
		return IVXS_RING_EARG;
	if (type == IVXS_FRAME_VIDEO) {
		if (codec != IVXS_CODEC_H264 && codec != IVXS_CODEC_H265)
			return IVXS_RING_ECODEC;
	}
	else if (type == IVXS_FRAME_AUDIO) {
		if (codec != IVXS_CODEC_AAC && codec != IVXS_CODEC_PCMU && codec != IVXS_CODEC_PCMA)
			return IVXS_RING_ECODEC;
	}
	else
		return IVXS_RING_ECODEC;
	if (size == 0)
		return IVXS_RING_EEMPTY;
	if (!data)
		return IVXS_RING_EARG;
	if (exceeds(size, r->asize) || exceeds(size, UINT32_MAX))
		return IVXS_RING_ETOOBIG;
	ti = (unsigned)type;
	if (r->w_have_ts[ti] && timestamp_ms < r->w_last_ts[ti])
		return IVXS_RING_ETIME;
	video = (type == IVXS_FRAME_VIDEO);
	key = key ? 1 : 0;
	if (video && !key && r->w_need_key)
		return IVXS_RING_ENEEDKEY;
	/* Random-access point: a video key frame; in a ring that has never seen
	 * video, every audio frame. */
	rap = video ? key : !r->w_video_seen;

	/* Placement: contiguous, never split; skip the tail end of the arena if
	 * the frame does not fit before it. */
	n = size;
	h = r->w_head;
	s = r->w_pos;
	off = r->w_off;
	if (off + n > r->asize) {
		s += r->asize - off;
		off = 0;
	}
	/* Bytes at positions before `need` get overwritten (wraps to a huge
	 * value early on; SEQ_LT handles that). */
	need = s + n - r->asize;

	/* Decide the eviction on private copies: nothing is changed on error. */
	t = r->w_tail;
	tslot = r->w_tail_slot;
	tpos = r->w_tail_pos;
	while (t != h && (SEQ_LT(tpos, need) || (h - t) >= r->max_frames)) {
		if (!rap && r->w_have_rap && t == r->w_last_rap) {
			/* The frame would have to evict its own GOP: the GOP outgrew
			 * the ring. Refuse it and, for video, everything up to the next
			 * key frame (a hole in a GOP makes the rest undecodable). */
			if (video)
				r->w_need_key = 1;
			return IVXS_RING_ENEEDKEY;
		}
		/* One whole GOP, up to the next random-access point. The tail is
		 * one; its GOP's length was recorded when the next one was pushed,
		 * and the newest GOP runs up to h. */
		g = (t == r->w_last_rap) ? h - t : r->desc[tslot].gop_frames;
		if (g - 1 >= h - t)   /* 1..h-t: a bad length must not walk the writer past head */
			g = h - t;
		ev_frames += g;
		t += g;
		g += tslot;   /* g <= frames held <= max_frames: one wrap at most */
		tslot = (uint32_t)(g >= r->max_frames ? g - r->max_frames : g);
		ev_gops++;
		if (t != h)
			tpos = peek_pos(&r->desc[tslot]);
	}

	if (ev_frames) {
		if (t == h)
			tpos = s;
		r->w_tail = t;
		r->w_tail_slot = tslot;
		r->w_tail_pos = tpos;
		r->w_frames_evicted += ev_frames;
		r->w_gops_evicted += ev_gops;
		r->w_oldest_ts = (t != h) ? peek_ts(&r->desc[tslot]) : timestamp_ms;
		/* Publish the new tail BEFORE any evicted byte or slot is reused. */
		publish_tail(r, t, tpos);
		atomic_thread_fence(memory_order_release);
	}
	if (t == h) {   /* empty: this frame becomes the oldest */
		r->w_tail_pos = s;
		if (!ev_frames) {   /* the very first frame (frames leave only by eviction) */
			r->w_oldest_ts = timestamp_ms;
			publish_tail(r, t, s);
		}
	}

	payload_copy(r->arena + off, (const uint8_t *)data, size);

	fi.pos = s;
	fi.ts = timestamp_ms;
	if (rap)
		r->w_gop_next++;
	fi.gop = r->w_gop_next - 1;   /* the first frame is always a random-access point */
	fi.off = (uint32_t)off;
	fi.prev_delta = 0;
	fi.size = (uint32_t)size;
	fi.meta = (uint32_t)type | ((uint32_t)codec << 8) | (rap ? kMetaRap : 0);
	fi.info = info;
	if (r->w_have_rap && h - r->w_last_rap <= UINT32_MAX) {
		fi.prev_delta = (uint32_t)(h - r->w_last_rap);
		fi.meta |= kMetaHasPrev;
	}
	desc_store(&r->desc[r->w_head_slot], r->w_head_ver, h, &fi);
	if (rap) {
		/* close the previous GOP if it is still held (h - w_last_rap fits:
		 * a GOP never holds more than max_frames frames) */
		if (r->w_have_rap && SEQ_GE(r->w_last_rap, t))
			r->desc[r->w_last_rap_slot].gop_frames = (uint32_t)(h - r->w_last_rap);
		r->w_last_rap = h;
		r->w_last_rap_slot = r->w_head_slot;
		r->w_have_rap = 1;
	}
	if (s != r->w_pos) {   /* skipped the end of the arena */
		r->w_pad_at = r->w_pos;
		r->w_pad_len = s - r->w_pos;
	}

	r->w_head = h + 1;
	r->w_head_slot = slot_next(r, r->w_head_slot);
	if (r->w_head_slot == 0)
		r->w_head_ver += 2;   /* every slot was written once more */
	r->w_pos = s + n;
	off += n;
	r->w_off = (off == r->asize) ? 0 : off;
	/* Bytes held, from positions: the held frames are contiguous but for at
	 * most one skip (they span at most one arena, and a skip is followed by
	 * a frame at the start of the next lap). */
	r->w_bytes_held = s + n - r->w_tail_pos - (SEQ_GE(r->w_pad_at, r->w_tail_pos) ? r->w_pad_len : 0);
	r->w_bytes_pushed += n;
	r->w_last_ts[ti] = timestamp_ms;
	r->w_have_ts[ti] = 1;
	if (video && key) {
		r->w_video_seen = 1;
		r->w_need_key = 0;
	}
	r->w_newest_ts = timestamp_ms;
	publish_head(r);   /* the frame, head_seq, last_rap1 and the push stats at once */

	call_notify(r);
	return IVXS_RING_OK;
}

int ivxs_ring_push_frame(ivxs_ring *ring, const ivxs_ring_frame *frame)
{
	if (!frame)
		return IVXS_RING_EARG;
	return push(ring, frame->type, frame->codec, frame->key, frame->timestamp_ms, frame->info,
			frame->data, frame->size);
}

int ivxs_ring_push(ivxs_ring *ring, ivxs_frame_type type, ivxs_codec codec,
		int key, uint64_t timestamp_ms, const void *data, size_t size)
{
	return push(ring, type, codec, key, timestamp_ms, 0, data, size);
}

/* ------------------------------------------------------------------------ */
/* Readers */

static int find_start(const ivxs_ring *r, ivxs_ring_start start, uint64_t time_ms, uint64_t *out)
{
	int attempt;
	for (attempt = 0; attempt < 16; attempt++) {
		uint64_t k1, k, best = 0;
		int have_best = 0, newest_gone = 0;
		frame_info fi;
		k1 = load64(&r->head, kRapLo);
		if (k1 == 0)
			return IVXS_RING_ENOFRAME;
		k = k1 - 1;
		if (start == IVXS_RING_AT_NEWEST_KEY) {
			*out = k;
			return IVXS_RING_OK;
		}
		/* Walk back along the key frames (prev links) while ts >= T. */
		for (;;) {
			/* The slot may still hold an evicted frame: check the tail too. */
			if (SEQ_LT(k, load64(&r->tail, kTailSeqLo)) || !desc_load(r, slot_of(r, k), k, &fi)) {
				/* evicted or being reused: everything older is gone too */
				newest_gone = !have_best;
				break;
			}
			if (fi.ts < time_ms)
				break;
			best = k;
			have_best = 1;
			if (!(fi.meta & kMetaHasPrev))
				break;
			k -= fi.prev_delta;
		}
		if (have_best) {
			*out = best;
			return IVXS_RING_OK;
		}
		if (!newest_gone)
			return IVXS_RING_ENOFRAME;  /* the newest key frame is older than T */
		/* The newest key frame vanished under us: retry with the new one. */
	}
	return IVXS_RING_ENOFRAME;
}

int ivxs_ring_reader_open(ivxs_ring *ring, ivxs_ring_start start,
		uint64_t time_ms, ivxs_ring_reader **out)
{
	ivxs_ring_reader *rd = NULL;
	uint64_t seq = 0;
	uint32_t i;
	int st;

	if (out)
		*out = NULL;
	if (!ring || !out)
		return IVXS_RING_EARG;
	if (start != IVXS_RING_AT_NEWEST_KEY && start != IVXS_RING_AT_TIME)
		return IVXS_RING_EARG;
	for (i = 0; i < ring->max_readers; i++) {
		int expected = 0;
		if (atomic_compare_exchange_strong_explicit(&ring->readers[i].used, &expected, 1,
				memory_order_acq_rel, memory_order_relaxed)) {
			rd = &ring->readers[i];
			break;
		}
	}
	if (!rd)
		return IVXS_RING_EREADERS;
	st = find_start(ring, start, time_ms, &seq);
	if (st < 0) {
		atomic_store_explicit(&rd->used, 0, memory_order_release);
		return st;
	}
	rd->next = seq;
	rd->next_slot = slot_of(ring, seq);
	rd->lost = 0;
	rd->head_seen = seq;
	atomic_fetch_add_explicit(&ring->st_readers_open, 1, memory_order_relaxed);
	*out = rd;
	return IVXS_RING_OK;
}

void ivxs_ring_reader_close(ivxs_ring_reader **reader)
{
	ivxs_ring_reader *rd;
	if (!reader || !*reader)
		return;
	rd = *reader;
	*reader = NULL;
	if (atomic_exchange_explicit(&rd->used, 0, memory_order_acq_rel))
		atomic_fetch_sub_explicit(&rd->ring->st_readers_open, 1, memory_order_relaxed);
}

int ivxs_ring_read(ivxs_ring_reader *reader, ivxs_ring_view *view)
{
	const ivxs_ring *r;
	frame_info fi;
	uint64_t seq;
	uint32_t slot;

	if (!reader || !view)
		return IVXS_RING_EARG;
	if (!atomic_load_explicit(&reader->used, memory_order_relaxed))
		return IVXS_RING_EARG;
	r = reader->ring;
	seq = reader->next;
	slot = reader->next_slot;
	for (;;) {
		uint64_t t;
		if (SEQ_GE(seq, reader->head_seen)) {
			reader->head_seen = load64(&r->head, kHeadLo);
			if (SEQ_GE(seq, reader->head_seen)) {
				reader->lost += seq - reader->next;
				reader->next = seq;
				reader->next_slot = slot;
				return 0;
			}
		}
		/* seq < head: its slot was filled. It is ours iff the slot was not
		 * reused and its bytes were not evicted. */
		if (desc_load(r, slot, seq, &fi) && SEQ_GE(fi.pos, load64(&r->tail, kTailPosLo)))
			break;
		/* Overtaken: resume at the tail, which is always a random-access
		 * point. (The writer publishes the tail before reusing a slot, so the
		 * tail seen here is past seq.) */
		t = load64(&r->tail, kTailSeqLo);
		if (SEQ_LT(seq, t)) {
			seq = t;
			slot = slot_of(r, seq);
		}
	}
	view->data = r->arena + fi.off;
	view->size = fi.size;
	view->type = (uint8_t)kMetaType(fi.meta);
	view->codec = (uint8_t)kMetaCodec(fi.meta);
	view->key = (fi.meta & kMetaRap) ? 1 : 0;
	view->timestamp_ms = fi.ts;
	view->seq = seq;
	view->gop = fi.gop;
	view->info = fi.info;
	{
		uint64_t lost = reader->lost + (seq - reader->next);
		view->lost = lost > UINT32_MAX ? UINT32_MAX : (uint32_t)lost;
	}
	view->pos_ = fi.pos;
	reader->lost = 0;
	reader->next = seq + 1;
	reader->next_slot = slot_next(r, slot);
	return 1;
}

int ivxs_ring_view_valid(const ivxs_ring *ring, const ivxs_ring_view *view)
{
	uint64_t tp;
	if (!ring || !view || !view->data)
		return 0;
	/* Order the caller's reads of the bytes before the tail check. */
	atomic_thread_fence(memory_order_acquire);
	tp = load64(&ring->tail, kTailPosLo);
	return SEQ_GE(view->pos_, tp) ? 1 : 0;
}

void ivxs_ring_arena(const ivxs_ring *ring, const uint8_t **base, size_t *size)
{
	*base = ring->arena;
	*size = (size_t)ring->asize;
}

void ivxs_ring_get_stats(const ivxs_ring *ring, ivxs_ring_stats *out)
{
	ivxs_ring *r = (ivxs_ring *)ring;   /* atomic loads take non-const pointers in C11 */
	uint32_t hw[kHeadWords], tw[kTailWords];
	uint64_t t, h;
	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!r)
		return;
	/* head first: a tail published later is only newer, never past head */
	SNAPSHOT(r->head, kHeadWords, hw);
	SNAPSHOT(r->tail, kTailWords, tw);
	h = join64(hw[kHeadLo], hw[kHeadHi]);
	t = join64(tw[kTailSeqLo], tw[kTailSeqHi]);
	out->frames_pushed = h;
	out->frames_evicted = join64(tw[kEvFramesLo], tw[kEvFramesHi]);
	out->gops_evicted = join64(tw[kEvGopsLo], tw[kEvGopsHi]);
	out->bytes_pushed = join64(hw[kBytesPushedLo], hw[kBytesPushedHi]);
	out->frames_held = SEQ_LT(t, h) ? (uint32_t)(h - t) : 0;
	out->bytes_held = join64(hw[kBytesHeldLo], hw[kBytesHeldHi]);
	if (out->frames_held) {
		out->oldest_ts = join64(tw[kOldestLo], tw[kOldestHi]);
		out->newest_ts = join64(hw[kNewestLo], hw[kNewestHi]);
	}
	out->arena_bytes = (size_t)r->asize;
	out->footprint_bytes = r->footprint;
	out->readers_open = atomic_load_explicit(&r->st_readers_open, memory_order_relaxed);
	out->max_frames = r->max_frames;
}
