/*
 * `ivxs/firmware`: the camera app's side of a C firmware's link (firmware_link.h). When
 * libivxs's iv_cs_init started the app, `firmware()` gives the app the ring size the firmware
 * asked for, a feed (a capture over the push source, native/capture/push_source.c) whose
 * frames come from the firmware's iv_cs_push_stream, the plan's start/stop (which call the
 * firmware's callbacks), and the events and exit request the firmware raised. In the `ivxs`
 * program nothing attached: `firmware()` is undefined.
 *
 * Threads: the firmware's pushes arrive on its own threads and the app's start/stop on the VM
 * thread; one mutex orders them (held for a push's ring copy, never across a callback).
 */
#include "xsmc.h"
#include "host.h"
#include "capture.h"
#include "modcapture.h"
#include "modring.h"
#include "firmware_link.h"
#include "firmware_p2p.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
	ivxs_capture *capture;
	ivxs_capture_push *push;
	void *ringToken;   /* keeps the C ring alive while the firmware may push */
	int started;       /* the app started the feed */
} FeedRecord;

static struct {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int attached, opened, ended;
	ivxs_firmware_hooks hooks;
	FeedRecord *feed;       /* the open feed (one: the seed's API has one stream) */
	int recording;          /* the plan records (the app says) */
	int pushing;            /* the feed is open to pushes and start was called */
	atomic_uint events;
	atomic_int exiting;
} gLink = { .lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER };

void ivxs_firmware_attach(const ivxs_firmware_hooks *hooks)
{
	pthread_mutex_lock(&gLink.lock);
	gLink.hooks = *hooks;
	gLink.attached = 1;
	gLink.opened = gLink.ended = gLink.recording = gLink.pushing = 0;
	gLink.feed = NULL;
	atomic_store(&gLink.events, 0);
	atomic_store(&gLink.exiting, 0);
	pthread_mutex_unlock(&gLink.lock);
}

void ivxs_firmware_detach(void)
{
	pthread_mutex_lock(&gLink.lock);
	gLink.attached = 0;
	gLink.feed = NULL;
	pthread_mutex_unlock(&gLink.lock);
}

int ivxs_firmware_wait_open(unsigned timeout_ms)
{
	struct timespec until = ivxs_firmware_deadline(timeout_ms);
	int opened;
	pthread_mutex_lock(&gLink.lock);
	while (!gLink.opened && !gLink.ended)
		if (pthread_cond_timedwait(&gLink.changed, &gLink.lock, &until) == ETIMEDOUT)
			break;
	opened = gLink.opened && !gLink.ended ? 1 : gLink.ended ? 0 : -1;
	pthread_mutex_unlock(&gLink.lock);
	return opened;
}

void ivxs_firmware_app_ended(void)
{
	pthread_mutex_lock(&gLink.lock);
	gLink.ended = 1;
	pthread_cond_broadcast(&gLink.changed);
	pthread_mutex_unlock(&gLink.lock);
}

int ivxs_firmware_push(ivxs_frame_type type, ivxs_codec codec, int key, uint64_t pts_ms, const void *data, size_t size)
{
	int status = IVXS_ECLOSED;
	pthread_mutex_lock(&gLink.lock);
	if (gLink.attached && gLink.feed)
		status = ivxs_capture_push_frame(gLink.feed->push, type,
				type == IVXS_FRAME_AUDIO && !codec ? ivxs_capture_push_audio_codec(gLink.feed->push) : codec, key, pts_ms, data, size);
	pthread_mutex_unlock(&gLink.lock);
	return status;
}

void ivxs_firmware_video_lost(void)
{
	pthread_mutex_lock(&gLink.lock);
	if (gLink.attached && gLink.feed && gLink.pushing)
		ivxs_capture_drop(gLink.feed->capture, 1);
	pthread_mutex_unlock(&gLink.lock);
}

void ivxs_firmware_event(uint32_t bits)
{
	atomic_fetch_or(&gLink.events, bits);
}

void ivxs_firmware_request_exit(void)
{
	atomic_store(&gLink.exiting, 1);
}

/* The feed takes pushes while the app started it and the plan records (VM thread only). The
 * firmware hears of a start once the feed is open (its start_cb may push at once), and of a
 * stop before it closes (pushes after stop_cb are refused with an error, not lost silently). */
static void apply(void)
{
	int want, status;
	pthread_mutex_lock(&gLink.lock);
	want = gLink.feed && gLink.feed->started && gLink.recording;
	if (want == gLink.pushing) {
		pthread_mutex_unlock(&gLink.lock);
		return;
	}
	gLink.pushing = want;
	if (want)
		ivxs_capture_prepare(gLink.feed->capture);
	pthread_mutex_unlock(&gLink.lock);
	status = want ? gLink.hooks.start() : gLink.hooks.stop();
	if (status)
		ivxs_log(IVXS_LOG_INFO, "firmware: iv_cs_push_stream_%s_cb returned %d", want ? "start" : "stop", status);
	if (!want) {
		pthread_mutex_lock(&gLink.lock);
		if (gLink.feed)
			ivxs_capture_finish(gLink.feed->capture);
		pthread_mutex_unlock(&gLink.lock);
	}
}

static void closeFeed(FeedRecord *record)
{
	if (!record->capture)
		return;
	if (gLink.feed == record) {
		record->started = 0;
		apply();
		pthread_mutex_lock(&gLink.lock);
		gLink.feed = NULL;
		pthread_mutex_unlock(&gLink.lock);
	}
	ivxs_capture_destroy(&record->capture);
	ivxs_ring_release(&record->ringToken);
}

void xs_firmware_feed_destructor(void *data);
static const xsHostHooks kFeedHooks = { xs_firmware_feed_destructor, NULL, NULL };

void xs_firmware_feed_destructor(void *data)
{
	FeedRecord *record = data;
	if (!record)
		return;
	closeFeed(record);
	free(record);
}

/* attached() -> the ring size the firmware asked for (bytes of its largest GOP), or 0. */
void xs_firmware_attached(xsMachine *the)
{
	uint32_t bytes;
	pthread_mutex_lock(&gLink.lock);
	bytes = gLink.attached ? gLink.hooks.max_gop_bytes : 0;
	pthread_mutex_unlock(&gLink.lock);
	xsmcSetNumber(xsResult, bytes);
}

/* open(nativeRing, codec "h264" | "h265", audio "aac" | "pcmu" | "pcma") -> the feed (one at a time) */
void xs_firmware_open(xsMachine *the)
{
	ivxs_capture_push_config config;
	FeedRecord *record;
	char codec[8], audio[8];
	int status;
	xsmcVars(1);
	ivxs_host_attach(the);
	(void)ivxs_ring_from_js(the, &xsArg(0));   /* throws unless an open Ring */
	xsmcToStringBuffer(xsArg(1), codec, sizeof(codec));
	xsmcToStringBuffer(xsArg(2), audio, sizeof(audio));
	memset(&config, 0, sizeof(config));
	if (!strcmp(codec, "h264"))
		config.video_codec = IVXS_CODEC_H264;
	else if (!strcmp(codec, "h265"))
		config.video_codec = IVXS_CODEC_H265;
	else
		ivxs_range_error(IVXS_EARG, "firmware: codec must be \"h264\" or \"h265\"");
	if (!strcmp(audio, "aac"))
		config.audio_codec = IVXS_CODEC_AAC;
	else if (!strcmp(audio, "pcmu"))
		config.audio_codec = IVXS_CODEC_PCMU;
	else if (!strcmp(audio, "pcma"))
		config.audio_codec = IVXS_CODEC_PCMA;
	else
		ivxs_range_error(IVXS_EARG, "firmware: audio must be \"aac\", \"pcmu\" or \"pcma\"");
	pthread_mutex_lock(&gLink.lock);
	status = !gLink.attached ? IVXS_ECLOSED : gLink.feed ? IVXS_EARG : 0;
	pthread_mutex_unlock(&gLink.lock);
	if (status)
		ivxs_error(status, status == IVXS_ECLOSED ? "firmware: no C firmware attached (libivxs: iv_cs_init)" : "firmware: a feed is open already (one stream)");
	record = calloc(1, sizeof(FeedRecord));
	if (!record)
		ivxs_error(IVXS_ENOMEM, "firmware: no memory");
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostHooks(xsResult, &kFeedHooks);
	xsmcSetHostData(xsResult, record);
	xsmcSet(xsResult, xsID("ring"), xsArg(0));
	config.clock = ivxs_capture_default_clock();
	config.sink = ivxs_capture_ring_sink;
	config.sink_ctx = ivxs_ring_retain(the, &xsArg(0), &record->ringToken);
	status = ivxs_capture_create_push(&record->capture, &record->push, &config);
	if (status < 0) {
		ivxs_ring_release(&record->ringToken);
		ivxs_error(IVXS_ENOMEM, "firmware: %s", ivxs_capture_strerror(status));
	}
	pthread_mutex_lock(&gLink.lock);
	gLink.feed = record;
	gLink.opened = 1;
	pthread_cond_broadcast(&gLink.changed);
	pthread_mutex_unlock(&gLink.lock);
}

static FeedRecord *feedRecord(xsMachine *the)
{
	if (xsmcArgc < 1)
		ivxs_type_error(IVXS_EHANDLE, "firmware: not a feed");
	return ivxs_handle_get(the, &xsArg(0), &kFeedHooks, "firmware", "feed");
}

static FeedRecord *openFeed(xsMachine *the)
{
	FeedRecord *record = feedRecord(the);
	if (!record->capture)
		ivxs_error(IVXS_ECLOSED, "firmware: feed closed");
	return record;
}

void xs_firmware_start(xsMachine *the)
{
	openFeed(the)->started = 1;
	apply();
}

void xs_firmware_stop(xsMachine *the)
{
	openFeed(the)->started = 0;
	apply();
}

void xs_firmware_stats(xsMachine *the)
{
	FeedRecord *record = openFeed(the);
	ivxs_capture_stats s;
	xsmcVars(1);
	ivxs_capture_get_stats(record->capture, &s);
	s.running = record->started;   /* open for the firmware, whether the plan records now or not (OTA's "capture" check) */
	ivxs_capture_stats_to_js(the, &s, &xsResult, &xsVar(0));
}

void xs_firmware_close(xsMachine *the)
{
	closeFeed(feedRecord(the));
}

/* record(on): whether the plan records now (the firmware's start/stop follow). */
void xs_firmware_record(xsMachine *the)
{
	gLink.recording = xsmcToBoolean(xsArg(0));
	apply();
}

/* poll() -> the event bits raised since the last poll, or -1 once the firmware asked the app
 * to exit and no event waits (events raised before iv_cs_exit are reported first), or 0. It
 * also ends the firmware's P2P channels when iv_avt_p2p_exit waits for that. */
void xs_firmware_poll(xsMachine *the)
{
	uint32_t bits = atomic_exchange(&gLink.events, 0);
	if (ivxs_firmware_p2p_closing())   /* iv_avt_p2p_exit waits for the firmware's channels to end */
		ivxs_firmware_p2p_close_all();
	if (bits)
		xsmcSetNumber(xsResult, bits);
	else
		xsmcSetInteger(xsResult, atomic_load(&gLink.exiting) ? -1 : 0);
}
