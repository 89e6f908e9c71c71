/*
 * XS binding of the capture source (native/capture/capture.js): a file or
 * V4L2 source whose frames go into a Ring from the capture thread. The core
 * emits frames to a sink; this binding's sink pushes them into the ring. The
 * JS object keeps its Ring alive (a property) and the record holds a C
 * reference (ivxs_ring_retain), so the ring outlives the source.
 */
#include "xsmc.h"
#include "ivxs_host.h"
#include "ivxs_kit.h"
#include "capture.h"
#include "modring.h"
#include "modcapture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	ivxs_capture *capture;
	void *ringToken;   /* keeps the C ring alive until the thread is stopped */
	char source[512];  /* file or device, for error messages */
	int64_t counted;   /* bytes of this source in the "capture" memory counter */
	int holding;       /* keeps the host loop alive while the thread may push */
} CaptureRecord;

static void hold(CaptureRecord *record, int on)
{
	if (on != record->holding) {
		ivxs_loop_hold(on ? 1 : -1);
		record->holding = on;
	}
}

static ivxs_mem_counter gCaptureMemory = { "capture", 0, 0, NULL };

/* Brings the memory counter in line with what the source holds now. */
static void account(CaptureRecord *record)
{
	ivxs_capture_stats s;
	int64_t now = (int64_t)sizeof(CaptureRecord);
	if (record->capture) {
		ivxs_capture_get_stats(record->capture, &s);
		now += (int64_t)s.footprint_bytes;
	}
	ivxs_mem_add(&gCaptureMemory, now - record->counted);
	record->counted = now;
}


static const ivxs_status_entry *const kStatusTables[] = { ivxs_capture_statuses, ivxs_ring_statuses, NULL };

static void throwStatus(xsMachine *the, int status)
{
	switch (status) {
	case IVXS_CAPTURE_EARG:
	case IVXS_CAPTURE_ECODEC:
		ivxs_throw_status(the, XS_TYPE_ERROR, "capture", status, kStatusTables);
	case IVXS_CAPTURE_ESTATE:
		ivxs_throw_status(the, XS_RANGE_ERROR, "capture", status, kStatusTables);
	default:
		ivxs_throw_status(the, XS_UNKNOWN_ERROR, "capture", status, kStatusTables);
	}
}

void xs_capture_destructor(void *data);
static const xsHostHooks kCaptureHooks = { xs_capture_destructor, NULL, NULL };

void xs_capture_destructor(void *data)
{
	CaptureRecord *record = data;
	if (!record)
		return;
	ivxs_capture_destroy(&record->capture);   /* stops and joins the thread */
	ivxs_ring_release(&record->ringToken);
	hold(record, 0);
	ivxs_mem_add(&gCaptureMemory, -record->counted);
	free(record);
}

/* An optional string option copied into buffer; returns buffer or NULL. */
static const char *stringOption(xsMachine *the, const char *name, char *buffer, size_t size)
{
	return ivxs_option_string(the, &xsArg(0), name, &xsVar(0), buffer, size, "capture");
}

static double numberOption(xsMachine *the, const char *name, double fallback)
{
	return ivxs_option_number(the, &xsArg(0), name, &xsVar(0), 0, 4294967295.0, fallback, "capture");
}

/* A board camera module's pins (the `pins` option: { pwdn, reset, xclk, sda, scl, d0 … d7, vsync,
 * href, pclk }, each a GPIO number or -1), in IVXS_CAPTURE_PIN_* order; every one is required
 * (the source checks them against the chip's GPIOs). */
static const char *const kPinNames[IVXS_CAPTURE_PINS] = {
	"pwdn", "reset", "xclk", "sda", "scl", "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "vsync", "href", "pclk"
};

static void pinsOption(xsMachine *the, ivxs_capture_v4l2_config *config)
{
	int i;
	if (!ivxs_option(the, &xsArg(0), "pins", &xsVar(2)))
		return;
	if (xsmcTypeOf(xsVar(2)) != xsReferenceType)
		ivxs_type_error(IVXS_EARG, "capture: pins must be an object of GPIO numbers");
	for (i = 0; i < IVXS_CAPTURE_PINS; i++) {
		if (!ivxs_option(the, &xsVar(2), kPinNames[i], &xsVar(0)))
			ivxs_type_error(IVXS_EARG, "capture: pins.%s missing (a GPIO number, or -1)", kPinNames[i]);
		config->pins[i] = (int)ivxs_option_integer(the, &xsVar(2), kPinNames[i], &xsVar(0), -1, 63, -1, "capture");
	}
	config->pins_set = 1;
}

/* create({ ring (native), video | device, audio, g711, g711Codec, stills, codec, fps, pace, once, startTime, width, height, gop, bitrate, pins }) */
/* The options both sources take: fps (frames per second, 0: the source's
 * own) and startTime (the first frame's timestamp, ms; unset: the clock's). */
static void timingOptions(xsMachine *the, uint32_t *fpsNum, uint32_t *fpsDen, int *startSet, uint64_t *startMs)
{
	*fpsNum = (uint32_t)numberOption(the, "fps", 0);
	*fpsDen = *fpsNum ? 1 : 0;
	xsmcGet(xsVar(0), xsArg(0), xsID("startTime"));
	if (xsmcTypeOf(xsVar(0)) != xsUndefinedType) {
		*startSet = 1;
		*startMs = (uint64_t)numberOption(the, "startTime", 0);
	}
}

void xs_capture_create(xsMachine *the)
{
	char video[512], audio[512], pcm[512], stills[512], device[256], codecName[16], pace[16], law[8];
	CaptureRecord *record;
	int status;
	xsmcVars(3);
	ivxs_host_attach(the);
	if (xsmcArgc < 1 || xsmcTypeOf(xsArg(0)) != xsReferenceType)
		ivxs_type_error(IVXS_EARG, "capture: options required");
	xsmcGet(xsVar(1), xsArg(0), xsID("ring"));
	if (xsmcTypeOf(xsVar(1)) != xsReferenceType)
		ivxs_type_error(IVXS_EARG, "capture: ring required");
	(void)ivxs_ring_from_js(the, &xsVar(1));   /* throws unless an open Ring */
	record = calloc(1, sizeof(CaptureRecord));
	if (!record)
		ivxs_error(IVXS_ENOMEM, "capture: no memory");
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostHooks(xsResult, &kCaptureHooks);
	xsmcSetHostData(xsResult, record);   /* the destructor frees it if we throw below */
	ivxs_mem_register(&gCaptureMemory);
	account(record);
	xsmcSet(xsResult, xsID("ring"), xsVar(1));
	if (stringOption(the, "device", device, sizeof(device))) {
		ivxs_capture_v4l2_config config;
		memset(&config, 0, sizeof(config));
		config.device = device;
		snprintf(record->source, sizeof(record->source), "%s", device);
		config.width = (uint32_t)numberOption(the, "width", 0);
		config.height = (uint32_t)numberOption(the, "height", 0);
		/* a board's encoder and camera module (sensor_source_esp32.c); V4L2 ignores them */
		config.gop = (uint32_t)ivxs_option_integer(the, &xsArg(0), "gop", &xsVar(0), 1, 255, 0, "capture");
		config.bitrate = (uint32_t)ivxs_option_integer(the, &xsArg(0), "bitrate", &xsVar(0), 10000, 20000000, 0, "capture");
		pinsOption(the, &config);
		timingOptions(the, &config.fps_num, &config.fps_den, &config.start_ms_set, &config.start_ms);
		config.sink = ivxs_capture_ring_sink;
		/* Last: the ring's one writer from here (a bad option above leaves it free) */
		config.sink_ctx = ivxs_ring_retain(the, &xsVar(1), &record->ringToken);
		status = ivxs_capture_create_v4l2(&record->capture, &config);
#if defined(ESP_PLATFORM)
		/* a board's camera (sensor_source_esp32.c): say which options it takes */
		if (status == IVXS_CAPTURE_EUNSUPPORTED) {
			ivxs_ring_release(&record->ringToken);
			ivxs_throw(the, XS_UNKNOWN_ERROR, ivxs_status_name(kStatusTables, status),
				"capture: device \"%s\": not a camera of this host (a board's: \"camera\" or \"pattern\")", device);
		}
		if (status == IVXS_CAPTURE_EARG) {
			ivxs_ring_release(&record->ringToken);
			ivxs_throw(the, XS_RANGE_ERROR, ivxs_status_name(kStatusTables, status),
				"capture: device \"%s\": bad options (a board's camera: width x height one of 160x120, 240x176, 320x240, 400x296, 480x320, 640x480; fps 1 to 60; gop up to 255; pins GPIOs of the chip, none twice)", device);
		}
#endif
	}
	else {
		ivxs_capture_file_config config;
		memset(&config, 0, sizeof(config));
		config.video_path = stringOption(the, "video", video, sizeof(video));
		if (!config.video_path)
			ivxs_type_error(IVXS_EARG, "capture: video (a file) or device required");
		snprintf(record->source, sizeof(record->source), "%s", video);
		config.audio_path = stringOption(the, "audio", audio, sizeof(audio));
		/* g711: a 16-bit PCM file (8 kHz mono), a G.711 track beside the rest; g711Codec "pcmu" (default) or "pcma" */
		config.pcm_path = stringOption(the, "g711", pcm, sizeof(pcm));
		config.pcm_codec = IVXS_CODEC_PCMU;
		if (stringOption(the, "g711Codec", law, sizeof(law))) {
			if (!strcmp(law, "pcma"))
				config.pcm_codec = IVXS_CODEC_PCMA;
			else if (strcmp(law, "pcmu"))
				ivxs_range_error(IVXS_EARG, "capture: g711Codec must be \"pcmu\" or \"pcma\"");
		}
		config.stills_dir = stringOption(the, "stills", stills, sizeof(stills));
		if (stringOption(the, "codec", codecName, sizeof(codecName))) {
			if (!strcmp(codecName, "h264"))
				config.video_codec = IVXS_CODEC_H264;
			else if (!strcmp(codecName, "h265"))
				config.video_codec = IVXS_CODEC_H265;
			else
				ivxs_range_error(IVXS_EARG, "capture: codec must be \"h264\" or \"h265\"");
		}
		timingOptions(the, &config.fps_num, &config.fps_den, &config.start_ms_set, &config.start_ms);
		if (stringOption(the, "pace", pace, sizeof(pace))) {
			if (!strcmp(pace, "fast"))
				config.pace = IVXS_CAPTURE_PACE_FAST;
			else if (strcmp(pace, "realtime"))
				ivxs_range_error(IVXS_EARG, "capture: pace must be \"realtime\" or \"fast\"");
		}
		config.once = ivxs_option_bool(the, &xsArg(0), "once", &xsVar(0), 0);
		config.sink = ivxs_capture_ring_sink;
		/* Last: the ring's one writer from here (a bad option above leaves it free) */
		config.sink_ctx = ivxs_ring_retain(the, &xsVar(1), &record->ringToken);
		status = ivxs_capture_create_file(&record->capture, &config);
	}
	if (status < 0) {
		ivxs_ring_release(&record->ringToken);
		throwStatus(the, status);
	}
	account(record);
}

/* The record of a Capture host object made by xs_capture_create; any other
 * object (another binding's host object, a plain object) is a TypeError. */
static CaptureRecord *hostRecord(xsMachine *the)
{
	if (xsmcArgc < 1)
		ivxs_type_error(IVXS_EHANDLE, "capture: not a Capture");
	return ivxs_handle_get(the, &xsArg(0), &kCaptureHooks, "capture", "Capture");
}

static CaptureRecord *getRecord(xsMachine *the)
{
	CaptureRecord *record = hostRecord(the);
	if (!record->capture)
		ivxs_error(IVXS_ECLOSED, "capture: closed");
	return record;
}

void xs_capture_start(xsMachine *the)
{
	CaptureRecord *record = getRecord(the);
	int status = ivxs_capture_start(record->capture);
	account(record);
#if defined(ESP_PLATFORM)
	if (status == IVXS_CAPTURE_EOPEN && !strcmp(record->source, "camera"))   /* sensor_source_esp32.c */
		ivxs_throw(the, XS_UNKNOWN_ERROR, ivxs_status_name(kStatusTables, status),
			"capture: camera: no camera sensor answered on its pins (esp32-camera's probe; the pins: the device file's, or the ESP32-S3-EYE's)");
#endif
	if (status < 0)
		ivxs_throw(the, XS_UNKNOWN_ERROR, ivxs_status_name(kStatusTables, status), "capture: %s: %s", record->source, ivxs_capture_strerror(status));
	hold(record, 1);
}

void xs_capture_stop(xsMachine *the)
{
	CaptureRecord *record = getRecord(the);
	ivxs_capture_stop(record->capture);
	hold(record, 0);
	account(record);
}

void xs_capture_close(xsMachine *the)
{
	CaptureRecord *record = hostRecord(the);
	if (record->capture) {
		ivxs_capture_destroy(&record->capture);
		ivxs_ring_release(&record->ringToken);
		hold(record, 0);
		account(record);
	}
}

void ivxs_capture_stats_to_js(xsMachine *the, const ivxs_capture_stats *s, xsSlot *out, xsSlot *tmp)
{
	*out = xsmcNewObject();
	ivxs_set_number(*out, "framesPushed", (double)s->frames_pushed, *tmp);
	ivxs_set_number(*out, "videoFrames", (double)s->video_frames, *tmp);
	ivxs_set_number(*out, "audioFrames", (double)s->audio_frames, *tmp);
	ivxs_set_number(*out, "keyFrames", (double)s->key_frames, *tmp);
	ivxs_set_number(*out, "bytesPushed", (double)s->bytes_pushed, *tmp);
	ivxs_set_number(*out, "loops", (double)s->loops, *tmp);
	ivxs_set_number(*out, "dropped", (double)s->dropped, *tmp);
	ivxs_set_number(*out, "ringErrors", (double)s->ring_errors, *tmp);
	ivxs_set_number(*out, "splitErrors", (double)s->split_errors, *tmp);
	ivxs_set_number(*out, "maxLateMicroseconds", (double)s->max_late_us, *tmp);
	ivxs_set_number(*out, "stills", s->stills, *tmp);
	ivxs_set_number(*out, "footprintBytes", (double)s->footprint_bytes, *tmp);
	xsmcSetBoolean(*tmp, s->running);
	xsmcSet(*out, xsID("running"), *tmp);
	if (s->fatal_error) {
		xsmcSetString(*tmp, (char *)ivxs_capture_strerror(s->fatal_error));
		xsmcSet(*out, xsID("error"), *tmp);
	}
}

void xs_capture_stats(xsMachine *the)
{
	CaptureRecord *record = getRecord(the);
	ivxs_capture_stats s;
	xsmcVars(1);
	ivxs_capture_get_stats(record->capture, &s);
	ivxs_capture_stats_to_js(the, &s, &xsResult, &xsVar(0));
}

/* still() -> { data: ArrayBuffer, timestamp } : the JPEG matching the clip now.
 * The buffer is allocated at the still's exact size (a plain ArrayBuffer
 * cannot be shrunk): ask the size, allocate, read; the clip may move on to
 * another still in between, then ask again. */
void xs_capture_still(xsMachine *the)
{
	CaptureRecord *record = getRecord(the);
	uint8_t probe;
	size_t length = 0, capacity;
	uint64_t timestamp = 0;
	int status, tries;
	xsmcVars(2);
	for (tries = 0; ; tries++) {
		status = ivxs_capture_still(record->capture, &probe, 0, &length, &timestamp);
		if (status != IVXS_CAPTURE_ENOSPACE)
			break;   /* an error (an empty file is not a JPEG either) */
		capacity = length;
		if (capacity > 0x7fffffff)
			ivxs_range_error(IVXS_HOST_ELIMIT, "capture: still too large");
		xsmcSetArrayBuffer(xsVar(1), NULL, (xsIntegerValue)capacity);
		status = ivxs_capture_still(record->capture, xsmcToArrayBuffer(xsVar(1)), capacity, &length, &timestamp);
		if (status >= 0 && length != capacity) {
			if (tries < 3)
				continue;
			/* the stills keep changing under us: copy the bytes read (both
			 * pointers taken after the allocation, which may move them) */
			xsmcSetArrayBuffer(xsVar(0), NULL, (xsIntegerValue)length);
			memcpy(xsmcToArrayBuffer(xsVar(0)), xsmcToArrayBuffer(xsVar(1)), length);
			xsVar(1) = xsVar(0);
		}
		if (status != IVXS_CAPTURE_ENOSPACE || tries >= 3)
			break;
	}
	if (status < 0)
		throwStatus(the, status);
	xsResult = xsmcNewObject();
	xsmcSet(xsResult, xsID("data"), xsVar(1));
	ivxs_set_number(xsResult, "timestamp", (double)timestamp, xsVar(0));
}
