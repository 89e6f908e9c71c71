/* Tests of the Moddable hosts' VM wake-up (post.c): coalescing, a full slot
 * array, a refused wake-up, no allocation, and a multi-threaded run where
 * posters race the drain and the host refuses some wake-ups: every post
 * that said OK runs exactly once. Ends with "N passed, N failed". */
#include "post.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IVXS_TEST_LEAVE return
#include "ivxs_test.h"

/* Linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc: counts the
 * allocations made while gCountAllocations is set (single-threaded tests). */
static int gCountAllocations, gAllocations;
void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size) { gAllocations += gCountAllocations; return __real_malloc(size); }
void *__wrap_calloc(size_t count, size_t size) { gAllocations += gCountAllocations; return __real_calloc(count, size); }
void *__wrap_realloc(void *p, size_t size) { gAllocations += gCountAllocations; return __real_realloc(p, size); }

/* A host whose queue takes `room` wake-ups, then refuses. */
typedef struct {
	int wakes, refused, room;
} FakeHost;

static int fakeWake(void *ctx)
{
	FakeHost *host = ctx;
	if (host->room <= 0) {
		host->refused++;
		return -1;
	}
	host->room--;
	host->wakes++;
	return 0;
}

static int gRuns[IVXS_POST_SLOTS + 4];
static void countRun(void *ctx)
{
	gRuns[(intptr_t)ctx]++;
}

static void testCoalesces(void)
{
	ivxs_post_queue queue;
	FakeHost host = { 0, 0, 100 };
	memset(gRuns, 0, sizeof(gRuns));
	ivxs_post_init(&queue, fakeWake, &host);
	gCountAllocations = 1;
	gAllocations = 0;
	CHECKF(ivxs_post_push(&queue, countRun, (void *)0) == IVXS_POST_OK, "first post");
	CHECKF(ivxs_post_push(&queue, countRun, (void *)1) == IVXS_POST_OK, "second post");
	CHECKF(ivxs_post_push(&queue, countRun, (void *)2) == IVXS_POST_OK, "third post");
	gCountAllocations = 0;
	CHECKF(gAllocations == 0, "a post allocated %d times", gAllocations);
	CHECKF(host.wakes == 1, "three posts before a drain make one wake-up, got %d", host.wakes);
	CHECKF(ivxs_post_drain(&queue) == 3, "the drain runs all three");
	CHECKF(gRuns[0] == 1 && gRuns[1] == 1 && gRuns[2] == 1, "each callback once");
	CHECKF(ivxs_post_drain(&queue) == 0, "a second drain runs nothing");
	CHECKF(ivxs_post_push(&queue, countRun, (void *)0) == IVXS_POST_OK, "post after the drain");
	CHECKF(host.wakes == 2, "a post after the drain wakes again, got %d", host.wakes);
}

static void testFull(void)
{
	ivxs_post_queue queue;
	FakeHost host = { 0, 0, 100 };
	int i;
	memset(gRuns, 0, sizeof(gRuns));
	ivxs_post_init(&queue, fakeWake, &host);
	for (i = 0; i < IVXS_POST_SLOTS; i++)
		CHECKF(ivxs_post_push(&queue, countRun, (void *)(intptr_t)i) == IVXS_POST_OK, "post %d", i);
	CHECKF(ivxs_post_push(&queue, countRun, (void *)(intptr_t)IVXS_POST_SLOTS) == IVXS_POST_EFULL, "slot %d: full", IVXS_POST_SLOTS);
	CHECKF(atomic_load(&queue.full) == 1, "the refusal is counted");
	CHECKF(ivxs_post_drain(&queue) == IVXS_POST_SLOTS, "the drain runs every slot");
	CHECKF(gRuns[IVXS_POST_SLOTS] == 0, "the refused post never runs");
	CHECKF(ivxs_post_push(&queue, countRun, (void *)0) == IVXS_POST_OK, "slots are free again");
}

static void testRefusedWake(void)
{
	ivxs_post_queue queue;
	FakeHost host = { 0, 0, 0 };
	memset(gRuns, 0, sizeof(gRuns));
	ivxs_post_init(&queue, fakeWake, &host);
	CHECKF(ivxs_post_push(&queue, countRun, (void *)0) == IVXS_POST_EWAKE, "a refused wake-up fails the post");
	CHECKF(atomic_load(&queue.wakeFailures) == 1, "and is counted");
	host.room = 1;
	CHECKF(ivxs_post_push(&queue, countRun, (void *)1) == IVXS_POST_OK, "the retry is queued");
	CHECKF(host.wakes == 1, "with a wake-up of its own");
	CHECKF(ivxs_post_drain(&queue) == 1 && gRuns[1] == 1 && gRuns[0] == 0, "only the retry runs");
	/* A post never relies on a wake-up that may still be refused: after a
	 * refusal the next post asks for its own (the first version of post.c
	 * left such posts stranded until some later post woke the VM). */
	host.room = 0;
	CHECKF(ivxs_post_push(&queue, countRun, (void *)2) == IVXS_POST_EWAKE, "refused again");
	host.room = 1;
	CHECKF(ivxs_post_push(&queue, countRun, (void *)3) == IVXS_POST_OK, "the next post wakes");
	CHECKF(host.wakes == 2, "one wake-up per granted batch, got %d", host.wakes);
	CHECKF(ivxs_post_drain(&queue) == 1 && gRuns[3] == 1 && gRuns[2] == 0, "only the queued post runs");
	CHECKF(strcmp(ivxs_post_strerror(IVXS_POST_EWAKE), "the host's message queue refused the wake-up") == 0, "strerror");
}

/* A host that runs the drain before its wake call even returns (the VM
 * thread got there first): the drain starts before the poster counts its
 * grant, and no later post may rely on that spent wake-up. */
static ivxs_post_queue *gEagerQueue;
static int gEagerWakes;
static int eagerWake(void *ctx)
{
	(void)ctx;
	gEagerWakes++;
	ivxs_post_drain(gEagerQueue);
	return 0;
}

static void testDrainBeforeCount(void)
{
	static ivxs_post_queue queue;
	int i;
	memset(gRuns, 0, sizeof(gRuns));
	gEagerQueue = &queue;
	gEagerWakes = 0;
	ivxs_post_init(&queue, eagerWake, NULL);
	for (i = 0; i < 5; i++) {
		CHECKF(ivxs_post_push(&queue, countRun, (void *)(intptr_t)i) == IVXS_POST_OK, "post %d", i);
		CHECKF(gRuns[i] == 1, "post %d ran at its own wake-up", i);
	}
	CHECKF(gEagerWakes == 5, "each post woke the VM (none relied on a spent wake-up), got %d", gEagerWakes);
	CHECKF(atomic_load(&queue.scheduled) == 0, "no drain is left scheduled, got %d", atomic_load(&queue.scheduled));
}

/* ---- threads: posters like the ring (a pending flag per poster), a VM thread ---- */
#define kPosters 4
#define kPostsEach 5000

typedef struct {
	ivxs_post_queue queue;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int wakes;            /* wake-ups granted, not yet drained */
	unsigned seed;
	atomic_int stop;
	atomic_int pending[kPosters];
	atomic_long queued[kPosters];
	atomic_long ran[kPosters];
} Stress;

static Stress gStress;

static int stressWake(void *ctx)
{
	Stress *s = ctx;
	int refuse;
	pthread_mutex_lock(&s->lock);
	s->seed = s->seed * 1103515245u + 12345u;
	refuse = (s->seed >> 16) % 8 == 0;   /* one wake-up in eight refused */
	if (!refuse) {
		s->wakes++;
		pthread_cond_signal(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
	return refuse ? -1 : 0;
}

static void stressRun(void *ctx)
{
	intptr_t id = (intptr_t)ctx;
	atomic_fetch_add(&gStress.ran[id], 1);
	atomic_store(&gStress.pending[id], 0);
}

static void *vmThread(void *arg)
{
	Stress *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->lock);
		while (!s->wakes && !atomic_load(&s->stop))
			pthread_cond_wait(&s->cond, &s->lock);
		if (!s->wakes && atomic_load(&s->stop)) {
			pthread_mutex_unlock(&s->lock);
			return NULL;
		}
		s->wakes--;
		pthread_mutex_unlock(&s->lock);
		ivxs_post_drain(&s->queue);
	}
}

static void *posterThread(void *arg)
{
	intptr_t id = (intptr_t)arg;
	long posts = 0;
	while (posts < kPostsEach) {
		if (atomic_exchange(&gStress.pending[id], 1)) {
			sched_yield();   /* coalesced: one outstanding per poster */
			continue;
		}
		if (ivxs_post_push(&gStress.queue, stressRun, (void *)id) == IVXS_POST_OK)
			atomic_fetch_add(&gStress.queued[id], 1);
		else
			atomic_store(&gStress.pending[id], 0);
		posts++;
	}
	return NULL;
}

static void testThreads(void)
{
	pthread_t vm, posters[kPosters];
	long queued = 0, ran = 0;
	int i;
	memset(&gStress, 0, sizeof(gStress));
	pthread_mutex_init(&gStress.lock, NULL);
	pthread_cond_init(&gStress.cond, NULL);
	gStress.seed = 12345u;
	ivxs_post_init(&gStress.queue, stressWake, &gStress);
	pthread_create(&vm, NULL, vmThread, &gStress);
	for (i = 0; i < kPosters; i++)
		pthread_create(&posters[i], NULL, posterThread, (void *)(intptr_t)i);
	for (i = 0; i < kPosters; i++)
		pthread_join(posters[i], NULL);
	/* Every post that said OK has a granted drain coming: nothing to rescue. */
	pthread_mutex_lock(&gStress.lock);
	atomic_store(&gStress.stop, 1);
	pthread_cond_signal(&gStress.cond);
	pthread_mutex_unlock(&gStress.lock);
	pthread_join(vm, NULL);
	ivxs_post_drain(&gStress.queue);
	for (i = 0; i < kPosters; i++) {
		CHECKF(atomic_load(&gStress.queued[i]) == atomic_load(&gStress.ran[i]),
			"poster %d: %ld posts said OK, %ld ran", i, (long)atomic_load(&gStress.queued[i]), (long)atomic_load(&gStress.ran[i]));
		queued += atomic_load(&gStress.queued[i]);
		ran += atomic_load(&gStress.ran[i]);
	}
	printf("  threads: %ld posts queued and run, %u wake-ups refused, %u full\n",
		ran, atomic_load(&gStress.queue.wakeFailures), atomic_load(&gStress.queue.full));
	CHECKF(queued > kPosters, "posts went through");
	CHECKF(atomic_load(&gStress.queue.wakeFailures) > 0, "some wake-ups were refused");
}

int main(void)
{
	static const struct { const char *name; void (*run)(void); } kTests[] = {
		{ "posts before a drain share one wake-up; no allocation", testCoalesces },
		{ "a full slot array refuses, then recovers", testFull },
		{ "a refused wake-up withdraws the post; no post relies on it", testRefusedWake },
		{ "a drain that starts before its poster counts the grant strands nothing", testDrainBeforeCount },
		{ "threads: every post that said OK runs exactly once", testThreads },
	};
	size_t i;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof(kTests) / sizeof(kTests[0]); i++)
		ivxs_test_run(kTests[i].name, kTests[i].run);
	return ivxs_test_summary();
}
