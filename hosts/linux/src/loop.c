/*
 * The host's event loop: poll(2) over watched descriptors, a sorted timer
 * list, and an eventfd that other threads write to after queueing work with
 * ivxs_loop_post(). Everything here runs on the loop thread except
 * ivxs_loop_post(), which only touches the mutex-guarded post queue.
 */
#define _GNU_SOURCE
#include "host.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define kMaxWatches 256
#define kMaxPosts 1024

typedef struct {
	int fd;
	int events;
	ivxs_fd_callback callback;
	void *ctx;
} Watch;

typedef struct {
	ivxs_post_callback callback;
	void *ctx;
} Post;

static Watch gWatches[kMaxWatches];
static int gWatchCount;
static ivxs_timer *gTimers;
static uint32_t gTimerOrder;
static int gWakeFd = -1;
static pthread_mutex_t gPostMutex = PTHREAD_MUTEX_INITIALIZER;
static Post gPosts[kMaxPosts];
static unsigned gPostHead, gPostCount;
static int gStopped, gExitCode, gHolds;
static volatile sig_atomic_t gReportRequested;

void ivxs_log(int level, const char *fmt, ...)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	va_list ap;
	if (level > ivxs_config.log_level)
		return;
	fprintf(stderr, "ivxs %s: ", names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint64_t ivxs_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void onSignalReport(int sig)
{
	(void)sig;
	gReportRequested = 1;
	if (gWakeFd >= 0) {
		uint64_t one = 1;
		ssize_t ignored = write(gWakeFd, &one, sizeof(one)); /* async-signal-safe */
		(void)ignored;
	}
}

int ivxs_loop_init(void)
{
	struct sigaction sa;
	/* a second run in one process (libivxs after iv_cs_exit) starts from an empty loop */
	gWatchCount = 0;
	gTimers = NULL;
	gPostHead = gPostCount = 0;
	gStopped = gExitCode = gHolds = 0;
	gWakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (gWakeFd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onSignalReport;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);   /* a peer closing a socket is an error code, not a death */
	return 0;
}

void ivxs_loop_deinit(void)
{
	if (gWakeFd >= 0)
		close(gWakeFd);
	gWakeFd = -1;
}

int ivxs_loop_watch(int fd, int events, ivxs_fd_callback callback, void *ctx)
{
	int i;
	if (!events) {
		ivxs_loop_unwatch(fd);
		return 0;
	}
	for (i = 0; i < gWatchCount; i++) {
		if (gWatches[i].fd == fd) {
			gWatches[i].events = events;
			gWatches[i].callback = callback;
			gWatches[i].ctx = ctx;
			return 0;
		}
	}
	if (gWatchCount == kMaxWatches)
		return -1;
	gWatches[gWatchCount].fd = fd;
	gWatches[gWatchCount].events = events;
	gWatches[gWatchCount].callback = callback;
	gWatches[gWatchCount].ctx = ctx;
	gWatchCount++;
	return 0;
}

void ivxs_loop_unwatch(int fd)
{
	int i;
	for (i = 0; i < gWatchCount; i++) {
		if (gWatches[i].fd == fd) {
			gWatches[i] = gWatches[--gWatchCount];
			return;
		}
	}
}

int ivxs_loop_post(ivxs_post_callback callback, void *ctx)
{
	uint64_t one = 1;
	ssize_t ignored;
	pthread_mutex_lock(&gPostMutex);
	if (gPostCount == kMaxPosts) {
		pthread_mutex_unlock(&gPostMutex);
		return -1;
	}
	gPosts[(gPostHead + gPostCount) % kMaxPosts].callback = callback;
	gPosts[(gPostHead + gPostCount) % kMaxPosts].ctx = ctx;
	gPostCount++;
	pthread_mutex_unlock(&gPostMutex);
	ignored = write(gWakeFd, &one, sizeof(one));
	(void)ignored;
	return 0;
}

static void runPosts(void)
{
	for (;;) {
		Post post;
		pthread_mutex_lock(&gPostMutex);
		if (!gPostCount) {
			pthread_mutex_unlock(&gPostMutex);
			return;
		}
		post = gPosts[gPostHead];
		gPostHead = (gPostHead + 1) % kMaxPosts;
		gPostCount--;
		pthread_mutex_unlock(&gPostMutex);
		post.callback(post.ctx);
		ivxs_run_jobs();
	}
}

static int postsPending(void)
{
	int pending;
	pthread_mutex_lock(&gPostMutex);
	pending = gPostCount > 0;
	pthread_mutex_unlock(&gPostMutex);
	return pending;
}

void ivxs_timer_disarm(ivxs_timer *timer)
{
	ivxs_timer **link = &gTimers;
	while (*link) {
		if (*link == timer) {
			*link = timer->next;
			break;
		}
		link = &(*link)->next;
	}
	timer->next = NULL;
	timer->armed = 0;
}

static void insertTimer(ivxs_timer *timer)
{
	ivxs_timer **link = &gTimers;
	while (*link && (*link)->deadline_us <= timer->deadline_us)
		link = &(*link)->next;
	timer->next = *link;
	*link = timer;
	timer->armed = 1;
}

void ivxs_timer_arm(ivxs_timer *timer, uint32_t delay_ms, uint32_t interval_ms)
{
	if (timer->armed)
		ivxs_timer_disarm(timer);
	timer->deadline_us = ivxs_now_us() + (uint64_t)delay_ms * 1000u;
	timer->interval_ms = interval_ms;
	timer->order = gTimerOrder++;
	insertTimer(timer);
}

static void runTimers(void)
{
	uint64_t now = ivxs_now_us();
	/* Fire only timers due now; a timer re-armed by its callback waits for the
	 * next pass, so a 0 ms repeat cannot starve I/O. */
	uint32_t limit = gTimerOrder;
	while (gTimers && gTimers->deadline_us <= now && !gStopped) {
		ivxs_timer *timer = gTimers;
		if ((int32_t)(timer->order - limit) >= 0)
			break;
		gTimers = timer->next;
		timer->next = NULL;
		timer->armed = 0;
		if (timer->interval_ms) {
			timer->deadline_us += (uint64_t)timer->interval_ms * 1000u;
			if (timer->deadline_us < now)
				timer->deadline_us = now;   /* late: don't burst to catch up */
			insertTimer(timer);
		}
		timer->callback(timer->ctx);
		ivxs_run_jobs();
	}
}

void ivxs_loop_hold(int delta)
{
	gHolds += delta;
}

void ivxs_loop_stop(int exit_code)
{
	if (!gStopped)
		gExitCode = exit_code;
	gStopped = 1;
}

int ivxs_loop_exit_code(void)
{
	return gExitCode;
}

void ivxs_loop_run(void)
{
	struct pollfd fds[kMaxWatches + 1];
	Watch snapshot[kMaxWatches];
	ivxs_run_jobs();
	while (!gStopped) {
		int i, n, ready, timeout = -1;
		runPosts();
		runTimers();
		if (gStopped)
			break;
		if (gReportRequested) {
			gReportRequested = 0;
			ivxs_memory_report("SIGUSR1", 1);
		}
		if (!gTimers && !gWatchCount && gHolds <= 0 && !postsPending())
			break;
		if (gTimers) {
			uint64_t now = ivxs_now_us();
			/* round up: waking early would only spin */
			timeout = gTimers->deadline_us > now ? (int)((gTimers->deadline_us - now + 999) / 1000) : 0;
		}
		fds[0].fd = gWakeFd;
		fds[0].events = POLLIN;
		fds[0].revents = 0;
		n = gWatchCount;
		memcpy(snapshot, gWatches, sizeof(Watch) * (size_t)n);
		for (i = 0; i < n; i++) {
			fds[i + 1].fd = snapshot[i].fd;
			fds[i + 1].events = (short)snapshot[i].events;
			fds[i + 1].revents = 0;
		}
		ivxs_profile_wait(1);   /* (the wait is no JS function's time) */
		ready = poll(fds, (nfds_t)n + 1, timeout);
		ivxs_profile_wait(0);
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			ivxs_log(IVXS_LOG_ERROR, "poll: %s", strerror(errno));
			ivxs_loop_stop(1);
			break;
		}
		if (fds[0].revents & POLLIN) {
			uint64_t count;
			ssize_t ignored = read(gWakeFd, &count, sizeof(count));
			(void)ignored;
		}
		for (i = 0; i < n && !gStopped; i++) {
			int j, still = 0;
			if (!fds[i + 1].revents)
				continue;
			/* A callback may have closed or replaced another watch: only
			 * dispatch to watches that still exist unchanged. */
			for (j = 0; j < gWatchCount; j++) {
				if (gWatches[j].fd == snapshot[i].fd && gWatches[j].callback == snapshot[i].callback && gWatches[j].ctx == snapshot[i].ctx) {
					still = 1;
					break;
				}
			}
			if (still) {
				snapshot[i].callback(snapshot[i].ctx, snapshot[i].fd, fds[i + 1].revents);
				ivxs_run_jobs();
			}
		}
	}
}
