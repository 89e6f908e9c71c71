/*
 * GOP ring buffer — portable core. See ring.h for the API and README.md for
 * the design (positions, eviction, seqlock validation, thread model).
 *
 * C11 + <stdatomic.h> only: no XS headers, no clocks, no I/O, no threads, no
 * allocation after ivxs_ring_create().
 */
#include "ring.h"

#include <stdlib.h>
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

/* Descriptor words: 64-bit values as lo/hi halves; kOff = pos % arena (so no
 * reader divides); kPrevDelta links random-access points for AT_TIME. */
enum { kPosLo, kPosHi, kTsLo, kTsHi, kGopLo, kGopHi, kOff, kPrevDelta, kSize, kMeta, kWords };

/* One index slot. Fields are 32-bit relaxed atomics (lock-free on every
 * target); consistency comes from the seqlock on `seq`: the slot holds frame
 * `seq` iff seq reads the same before and after the fields were copied.
 * 48 bytes. */
typedef struct {
	_Atomic uint64_t seq;
	_Atomic uint32_t w[kWords];
} ring_desc;

#define kSeqWriting UINT64_MAX

typedef struct {
	uint64_t pos, ts, gop;
	uint32_t off, prev_delta, size, meta;
} frame_info;

typedef void (*ivxs_ring_notify_fn)(void *ctx);

struct ivxs_ring_reader {
	/* reader thread only: */
	uint64_t next;       /* cursor: next seq to read */
	uint64_t lost;       /* frames skipped, not yet reported */
	uint64_t head_seen;  /* frames before this were published (cached head) */
	ivxs_ring *ring;
	atomic_int used;
	uint8_t pad_[kCacheLine - 3 * sizeof(uint64_t) - sizeof(void *) - sizeof(atomic_int)];
};

struct ivxs_ring {
	/* --- immutable after create --- */
	uint8_t *arena;
	uint64_t asize;            /* arena bytes */
	uint32_t max_frames;
	uint32_t max_readers;
	uint32_t slot_mask;        /* max_frames - 1 when a power of two */
	uint32_t slot_pow2;
	ring_desc *desc;
	ivxs_ring_reader *readers;
	ivxs_ring_allocator allocator;
	size_t footprint;
	uint8_t pad0_[kCacheLine];

	/* --- published by the writer, read by everyone --- */
	_Atomic uint64_t head_seq;   /* frames [tail_seq, head_seq) are present */
	_Atomic uint64_t last_rap1;  /* newest random-access seq + 1; 0 = none */
	uint8_t pad1_[kCacheLine - 2 * sizeof(uint64_t)];
	_Atomic uint64_t tail_seq;   /* oldest present seq (always a random-access point) */
	_Atomic uint64_t tail_pos;   /* bytes before this position may be overwritten */
	uint8_t pad2_[kCacheLine - 2 * sizeof(uint64_t)];

	/* --- stats: written by the writer (relaxed), read by get_stats --- */
	_Atomic uint64_t st_frames_pushed, st_frames_evicted, st_gops_evicted;
	_Atomic uint64_t st_bytes_pushed, st_bytes_held, st_oldest_ts, st_newest_ts;
	atomic_uint st_readers_open;
	uint8_t pad3_[kCacheLine];

	/* --- writer-private state (only the pushing thread touches it) --- */
	uint64_t w_head, w_tail;     /* private copies of head_seq / tail_seq */
	uint32_t w_head_slot, w_tail_slot;
	uint64_t w_pos;              /* next free byte position */
	uint64_t w_off;              /* w_pos % arena */
	uint64_t w_tail_pos;         /* pos of the oldest frame (when not empty) */
	uint64_t w_frames_evicted, w_gops_evicted, w_bytes_pushed;
	uint64_t w_last_rap;         /* valid when w_have_rap */
	uint64_t w_gop_next;
	uint64_t w_bytes_held;
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
	_Atomic uint64_t notify_gen;
};

/* ------------------------------------------------------------------------ */

const char *ivxs_ring_strerror(int status)
{
	switch (status) {
	case IVXS_RING_OK: return "ok";
	case IVXS_RING_EARG: return "bad argument";
	case IVXS_RING_ENOMEM: return "out of memory";
	case IVXS_RING_ETOOBIG: return "frame too big for the ring";
	case IVXS_RING_ENEEDKEY: return "key frame needed";
	case IVXS_RING_ETIME: return "timestamp went backwards";
	case IVXS_RING_ECODEC: return "bad codec or frame type";
	case IVXS_RING_EREADERS: return "no free reader slot";
	case IVXS_RING_ENOFRAME: return "no matching key frame";
	case IVXS_RING_EEMPTY: return "empty frame";
	default: return (status > 0) ? "ok" : "unknown error";
	}
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

static void *default_alloc(size_t bytes, void *ctx)
{
	(void)ctx;
	return malloc(bytes);
}

static void default_free(void *p, void *ctx)
{
	(void)ctx;
	free(p);
}

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

int ivxs_ring_create(ivxs_ring **out, const ivxs_ring_config *config)
{
	ivxs_ring_allocator al;
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
	if (config->allocator) {
		al = *config->allocator;
		if (!al.alloc || !al.free)
			return IVXS_RING_EARG;
	}
	else {
		al.alloc = default_alloc;
		al.free = default_free;
		al.ctx = NULL;
	}

	frames = config->max_frames;
	if (frames == 0) {
		/* arena / 512, rounded down to a power of two, in [64, 65536] */
		size_t d = config->arena_bytes / kBytesPerDerivedFrame;
		frames = kMinDerivedFrames;
		while (frames < kMaxDerivedFrames && (size_t)frames * 2 <= d)
			frames *= 2;
	}
	readers = config->max_readers ? config->max_readers : kDefaultReaders;

	/* One block: header, reader slots, index. Sizes checked for overflow. */
	head_bytes = (sizeof(ivxs_ring) + kCacheLine - 1) & ~(size_t)(kCacheLine - 1);
	if (!mul_size(readers, sizeof(ivxs_ring_reader), &readers_bytes)
			|| !mul_size(frames, sizeof(ring_desc), &desc_bytes)
			|| !add_size(&block, head_bytes)
			|| !add_size(&block, readers_bytes)
			|| !add_size(&block, desc_bytes))
		return IVXS_RING_ENOMEM;

	mem = (uint8_t *)al.alloc(block, al.ctx);
	if (!mem)
		return IVXS_RING_ENOMEM;
	arena = (uint8_t *)al.alloc(config->arena_bytes, al.ctx);
	if (!arena) {
		al.free(mem, al.ctx);
		return IVXS_RING_ENOMEM;
	}
	memset(mem, 0, block);

	r = (ivxs_ring *)mem;
	r->arena = arena;
	r->asize = config->arena_bytes;
	r->max_frames = frames;
	r->max_readers = readers;
	r->slot_pow2 = (frames & (frames - 1)) == 0;
	r->slot_mask = frames - 1;
	r->readers = (ivxs_ring_reader *)(mem + head_bytes);
	r->desc = (ring_desc *)(mem + head_bytes + readers_bytes);
	r->allocator = al;
	r->footprint = block + config->arena_bytes;

	atomic_init(&r->head_seq, 0);
	atomic_init(&r->last_rap1, 0);
	atomic_init(&r->tail_seq, 0);
	atomic_init(&r->tail_pos, 0);
	atomic_init(&r->st_frames_pushed, 0);
	atomic_init(&r->st_frames_evicted, 0);
	atomic_init(&r->st_gops_evicted, 0);
	atomic_init(&r->st_bytes_pushed, 0);
	atomic_init(&r->st_bytes_held, 0);
	atomic_init(&r->st_oldest_ts, 0);
	atomic_init(&r->st_newest_ts, 0);
	atomic_init(&r->st_readers_open, 0);
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
		atomic_init(&r->desc[i].seq, kSeqWriting);
		for (k = 0; k < kWords; k++)
			atomic_init(&r->desc[i].w[k], 0);
	}
	r->w_need_key = 1;
	*out = r;
	return IVXS_RING_OK;
}

void ivxs_ring_destroy(ivxs_ring **ring)
{
	ivxs_ring *r;
	ivxs_ring_allocator al;
	if (!ring || !*ring)
		return;
	r = *ring;
	*ring = NULL;
	al = r->allocator;
	al.free(r->arena, al.ctx);
	al.free(r, al.ctx);
}

/* The (callback, ctx) pair is double-buffered under a 64-bit generation so
 * that push never calls a callback with another pair's ctx, and never waits
 * for a setter (a setter preempted half-way is harmless). One setter at a
 * time. A callback that already started may still be running when this
 * returns. */
void ivxs_ring_set_notify(ivxs_ring *ring, void (*notify)(void *ctx), void *ctx)
{
	uint64_t g;
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
		uint64_t g = atomic_load_explicit(&r->notify_gen, memory_order_acquire);
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

/* Seqlock read of the slot of `seq`: 1 and *fi filled iff the slot held frame
 * `seq` for the whole copy. Any thread. */
static int desc_load(const ivxs_ring *r, uint64_t seq, frame_info *fi)
{
	ring_desc *d = &r->desc[slot_of(r, seq)];
	uint32_t w[kWords];
	int k;
	if (atomic_load_explicit(&d->seq, memory_order_acquire) != seq)
		return 0;
	for (k = 0; k < kWords; k++)
		w[k] = W_LOAD(d, k);
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&d->seq, memory_order_relaxed) != seq)
		return 0;
	fi->pos = join64(w[kPosLo], w[kPosHi]);
	fi->ts = join64(w[kTsLo], w[kTsHi]);
	fi->gop = join64(w[kGopLo], w[kGopHi]);
	fi->off = w[kOff];
	fi->prev_delta = w[kPrevDelta];
	fi->size = w[kSize];
	fi->meta = w[kMeta];
	return 1;
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

static void desc_store(ring_desc *d, uint64_t seq, const frame_info *fi)
{
	atomic_store_explicit(&d->seq, kSeqWriting, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
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
	atomic_store_explicit(&d->seq, seq, memory_order_release);
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

#define RELAXED_STORE(a, v) atomic_store_explicit(&(a), (v), memory_order_relaxed)
#define RELAXED_LOAD(a) atomic_load_explicit(&(a), memory_order_relaxed)

int ivxs_ring_push(ivxs_ring *ring, ivxs_frame_type type, ivxs_codec codec,
		int key, uint64_t timestamp_ms, const void *data, size_t size)
{
	ivxs_ring *r = ring;
	frame_info fi;
	uint64_t h, t, s, need, off, n, tpos;
	uint32_t tslot;
	uint64_t ev_frames = 0, ev_bytes = 0, ev_gops = 0;
	int video, rap;
	unsigned ti;

	if (!r)
		return IVXS_RING_EARG;
	if (type == IVXS_FRAME_VIDEO) {
		if (codec != IVXS_CODEC_H264 && codec != IVXS_CODEC_H265)
			return IVXS_RING_ECODEC;
	}
	else if (type == IVXS_FRAME_AUDIO) {
		if (codec != IVXS_CODEC_AAC)
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
		do {   /* one whole GOP: up to the next random-access point */
			ev_bytes += W_LOAD(&r->desc[tslot], kSize);
			ev_frames++;
			t++;
			tslot = slot_next(r, tslot);
		} while (t != h && !(W_LOAD(&r->desc[tslot], kMeta) & kMetaRap));
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
		r->w_bytes_held -= ev_bytes;
		r->w_frames_evicted += ev_frames;
		r->w_gops_evicted += ev_gops;
		/* Publish the new tail BEFORE any evicted byte or slot is reused. */
		atomic_store_explicit(&r->tail_seq, t, memory_order_relaxed);
		atomic_store_explicit(&r->tail_pos, tpos, memory_order_release);
		atomic_thread_fence(memory_order_release);
		RELAXED_STORE(r->st_frames_evicted, r->w_frames_evicted);
		RELAXED_STORE(r->st_gops_evicted, r->w_gops_evicted);
		if (t != h)
			RELAXED_STORE(r->st_oldest_ts, peek_ts(&r->desc[tslot]));
	}
	if (t == h) {   /* empty: this frame becomes the oldest */
		r->w_tail_pos = s;
		RELAXED_STORE(r->st_oldest_ts, timestamp_ms);
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
	if (r->w_have_rap && h - r->w_last_rap <= UINT32_MAX) {
		fi.prev_delta = (uint32_t)(h - r->w_last_rap);
		fi.meta |= kMetaHasPrev;
	}
	desc_store(&r->desc[r->w_head_slot], h, &fi);
	atomic_store_explicit(&r->head_seq, h + 1, memory_order_release);
	if (rap) {
		r->w_last_rap = h;
		r->w_have_rap = 1;
		atomic_store_explicit(&r->last_rap1, h + 1, memory_order_release);
	}

	r->w_head = h + 1;
	r->w_head_slot = slot_next(r, r->w_head_slot);
	r->w_pos = s + n;
	off += n;
	r->w_off = (off == r->asize) ? 0 : off;
	r->w_bytes_held += n;
	r->w_bytes_pushed += n;
	r->w_last_ts[ti] = timestamp_ms;
	r->w_have_ts[ti] = 1;
	if (video && key) {
		r->w_video_seen = 1;
		r->w_need_key = 0;
	}
	RELAXED_STORE(r->st_frames_pushed, h + 1);
	RELAXED_STORE(r->st_bytes_pushed, r->w_bytes_pushed);
	RELAXED_STORE(r->st_bytes_held, r->w_bytes_held);
	RELAXED_STORE(r->st_newest_ts, timestamp_ms);

	call_notify(r);
	return IVXS_RING_OK;
}

/* ------------------------------------------------------------------------ */
/* Readers */

static int find_start(const ivxs_ring *r, ivxs_ring_start start, uint64_t time_ms, uint64_t *out)
{
	int attempt;
	for (attempt = 0; attempt < 16; attempt++) {
		uint64_t k1 = atomic_load_explicit(&r->last_rap1, memory_order_acquire);
		uint64_t k, best = 0;
		int have_best = 0, newest_gone = 0;
		frame_info fi;
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
			if (SEQ_LT(k, atomic_load_explicit(&r->tail_seq, memory_order_acquire))
					|| !desc_load(r, k, &fi)) {
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

	if (!reader || !view)
		return IVXS_RING_EARG;
	if (!atomic_load_explicit(&reader->used, memory_order_relaxed))
		return IVXS_RING_EARG;
	r = reader->ring;
	seq = reader->next;
	for (;;) {
		uint64_t t;
		if (SEQ_GE(seq, reader->head_seen)) {
			reader->head_seen = atomic_load_explicit(&r->head_seq, memory_order_acquire);
			if (SEQ_GE(seq, reader->head_seen)) {
				reader->lost += seq - reader->next;
				reader->next = seq;
				return 0;
			}
		}
		/* seq < head: its slot was filled. It is ours iff the slot was not
		 * reused and its bytes were not evicted. */
		if (desc_load(r, seq, &fi)
				&& SEQ_GE(fi.pos, atomic_load_explicit(&r->tail_pos, memory_order_acquire)))
			break;
		/* Overtaken: resume at the tail, which is always a random-access
		 * point. (The writer publishes tail_seq before tail_pos and before
		 * reusing a slot, so the tail seen here is past seq.) */
		t = atomic_load_explicit(&r->tail_seq, memory_order_acquire);
		if (SEQ_LT(seq, t))
			seq = t;
	}
	view->data = r->arena + fi.off;
	view->size = fi.size;
	view->type = (uint8_t)kMetaType(fi.meta);
	view->codec = (uint8_t)kMetaCodec(fi.meta);
	view->key = (fi.meta & kMetaRap) ? 1 : 0;
	view->timestamp_ms = fi.ts;
	view->seq = seq;
	view->gop = fi.gop;
	{
		uint64_t lost = reader->lost + (seq - reader->next);
		view->lost = lost > UINT32_MAX ? UINT32_MAX : (uint32_t)lost;
	}
	view->pos_ = fi.pos;
	reader->lost = 0;
	reader->next = seq + 1;
	return 1;
}

int ivxs_ring_view_valid(const ivxs_ring *ring, const ivxs_ring_view *view)
{
	uint64_t tp;
	if (!ring || !view || !view->data)
		return 0;
	/* Order the caller's reads of the bytes before the tail check. */
	atomic_thread_fence(memory_order_acquire);
	tp = atomic_load_explicit(&ring->tail_pos, memory_order_relaxed);
	return SEQ_GE(view->pos_, tp) ? 1 : 0;
}

void ivxs_ring_get_stats(const ivxs_ring *ring, ivxs_ring_stats *out)
{
	ivxs_ring *r = (ivxs_ring *)ring;   /* atomic loads take non-const pointers in C11 */
	uint64_t t, h;
	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!r)
		return;
	t = atomic_load_explicit(&r->tail_seq, memory_order_acquire);
	h = atomic_load_explicit(&r->head_seq, memory_order_acquire);
	out->frames_pushed = RELAXED_LOAD(r->st_frames_pushed);
	out->frames_evicted = RELAXED_LOAD(r->st_frames_evicted);
	out->gops_evicted = RELAXED_LOAD(r->st_gops_evicted);
	out->bytes_pushed = RELAXED_LOAD(r->st_bytes_pushed);
	out->frames_held = SEQ_LT(t, h) ? (uint32_t)(h - t) : 0;
	out->bytes_held = RELAXED_LOAD(r->st_bytes_held);
	if (out->frames_held) {
		out->oldest_ts = RELAXED_LOAD(r->st_oldest_ts);
		out->newest_ts = RELAXED_LOAD(r->st_newest_ts);
	}
	out->arena_bytes = (size_t)r->asize;
	out->footprint_bytes = r->footprint;
	out->readers_open = atomic_load_explicit(&r->st_readers_open, memory_order_relaxed);
}
