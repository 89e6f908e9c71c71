/*
 * The link between a C firmware (libivxs's iv_cs_* front, hosts/linux/capi) and the camera app
 * it runs (mod_firmware.c, `ivxs/firmware`): the feed the firmware's pushes go into, the
 * plan's start/stop, events, the exit request. In the `ivxs` program nothing attaches and the
 * app sees no firmware. Every function here is safe from any thread.
 */
#ifndef IVXS_FIRMWARE_LINK_H
#define IVXS_FIRMWARE_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "capture.h"

/* The realtime clock timeout_ms from now: a deadline for pthread_cond_timedwait (both halves of the link wait with it). */
static inline struct timespec ivxs_firmware_deadline(unsigned timeout_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L)
		until.tv_sec++, until.tv_nsec -= 1000000000L;
	return until;
}

typedef struct {
	uint32_t max_gop_bytes;     /* sizes the firmware channel's ring */
	int (*start)(void);         /* the plan records: push (VM thread) */
	int (*stop)(void);          /* it no longer does (VM thread) */
} ivxs_firmware_hooks;

/* Before the app starts: the app will see a firmware with these hooks. */
void ivxs_firmware_attach(const ivxs_firmware_hooks *hooks);
/* After the app's thread ended: the link forgets everything (pushes get IVXS_ECLOSED). */
void ivxs_firmware_detach(void);
/* Waits until the app opened the firmware feed: 1; the app ended first (it refused its device
 * file, or has no "firmware" channel): 0; timeout_ms passed: -1. */
int ivxs_firmware_wait_open(unsigned timeout_ms);
/* The app's thread ended (wakes ivxs_firmware_wait_open). */
void ivxs_firmware_app_ended(void);
/* One frame into the feed: 0, IVXS_ECLOSED (not attached, or no feed open), or what
 * ivxs_capture_push_frame says (IVXS_CAPTURE_ESTATE: not recording now). Audio with codec 0 is
 * in the channel's audio codec (AAC or G.711: the seed's push names none for audio). */
int ivxs_firmware_push(ivxs_frame_type type, ivxs_codec codec, int key, uint64_t pts_ms, const void *data, size_t size);
/* A video frame refused before the feed (its bytes cannot be walked): while the feed takes
 * pushes it is counted as dropped and video waits for the next key frame (the decoder would miss
 * a reference). Not attached or not pushing: nothing. */
void ivxs_firmware_video_lost(void);
/* Event bits for the app (ignored when not attached). */
void ivxs_firmware_event(uint32_t bits);
/* Asks the app to stop (it drains to the cloud, then exits). */
void ivxs_firmware_request_exit(void);

#endif
