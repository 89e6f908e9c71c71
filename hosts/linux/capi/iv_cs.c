/*
 * libivxs's cloud storage front: the seed's iv_cs_* calls (native/capi/include/iv_cs.h) over
 * the camera app. iv_cs_init runs the app through the host's one start path (ivxs_main, as
 * `ivxs modules/app/camera -- --device …` would) on a thread of its own and waits until the app
 * opened the firmware feed; pushes go through the link (src/firmware_link.h) into the feed's
 * capture and its ring; iv_cs_exit asks the app to stop and joins its thread. A frame's bounds
 * (iv_cs.h: IV_CS_MAX_*_BYTES, video walkable as Annex-B by native/annexb) are checked here,
 * before the link.
 */
#define _GNU_SOURCE
#include "iv_cs.h"
#include "host.h"
#include "firmware_link.h"
#include "annexb.h"

#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define kMinGop (16u * 1024)          /* the device file's maxGopBytes range (device-file.ts) */
#define kMaxGop (64u * 1024 * 1024)
#define kOpenTimeoutMs 60000          /* the app's start takes ~0.1 s; over 15 s under ThreadSanitizer on a loaded machine */
#define kOpenTimeoutMaxMs 600000      /* IVXS_INIT_TIMEOUT_MS at most */
#define kMaxArgs 48

static pthread_mutex_t gApi = PTHREAD_MUTEX_INITIALIZER;   /* init and exit, one at a time */
static int gStarted;
static pthread_t gThread;
static char *gArgv[kMaxArgs + 1];
static int gArgc;
static char gRoots[2][PATH_MAX];
static char *gExtra;   /* IVXS_CAMERA_ARGS, split in place */
static _Thread_local int tAppThread;   /* set on the app's thread: the firmware's callbacks run there */

static void *runApp(void *unused)
{
	int status;
	(void)unused;
	tAppThread = 1;
	status = ivxs_main(gArgc, gArgv);
	if (status)
		fprintf(stderr, "libivxs: the camera app ended with %d\n", status);
	ivxs_firmware_app_ended();
	return NULL;
}

/* The build folder the app's modules are in: IVXS_HOME, or the folder above this code's file
 * (build/lib/libivxs.so, or a program linked with libivxs.a in build/bin). */
static int findHome(char *out, size_t size)
{
	const char *home = getenv("IVXS_HOME");
	Dl_info info;
	char path[PATH_MAX];
	if (home && *home)
		return snprintf(out, size, "%s", home) < (int)size ? 0 : -1;
	if (!dladdr((void *)iv_cs_init, &info) || !info.dli_fname || !realpath(info.dli_fname, path))
		return -1;
	return snprintf(out, size, "%s", dirname(dirname(path))) < (int)size ? 0 : -1;
}

/* ivxs -m <home>/ts -m <home>/mods [--data D] modules/app/camera -- --device F [IVXS_CAMERA_ARGS] */
static int buildArgs(const char *device)
{
	char home[PATH_MAX];
	const char *data = getenv("IVXS_DATA"), *extra = getenv("IVXS_CAMERA_ARGS");
	char *save, *item;
	if (findHome(home, sizeof(home)) < 0 || snprintf(gRoots[0], PATH_MAX, "%s/ts", home) >= PATH_MAX ||
			snprintf(gRoots[1], PATH_MAX, "%s/mods", home) >= PATH_MAX)
		return -1;
	gArgc = 0;
	gArgv[gArgc++] = "ivxs";
	gArgv[gArgc++] = "-m";
	gArgv[gArgc++] = gRoots[0];
	gArgv[gArgc++] = "-m";
	gArgv[gArgc++] = gRoots[1];
	if (data && *data) {
		gArgv[gArgc++] = "--data";
		gArgv[gArgc++] = (char *)data;
	}
	gArgv[gArgc++] = "modules/app/camera";
	gArgv[gArgc++] = "--";
	gArgv[gArgc++] = "--device";
	gArgv[gArgc++] = (char *)device;
	free(gExtra);
	gExtra = extra ? strdup(extra) : NULL;
	for (item = gExtra ? strtok_r(gExtra, " ", &save) : NULL; item; item = strtok_r(NULL, " ", &save)) {
		if (gArgc == kMaxArgs)
			return -1;
		gArgv[gArgc++] = item;
	}
	gArgv[gArgc] = NULL;
	return 0;
}

/* How long iv_cs_init waits for the app: IVXS_INIT_TIMEOUT_MS (1 … 600000), or 60 s. */
static unsigned openTimeoutMs(void)
{
	const char *text = getenv("IVXS_INIT_TIMEOUT_MS");
	char *end = NULL;
	unsigned long ms = text && *text ? strtoul(text, &end, 10) : 0;
	if (!text || !*text)
		return kOpenTimeoutMs;
	if (*end || ms < 1 || ms > kOpenTimeoutMaxMs) {
		fprintf(stderr, "libivxs: iv_cs_init: IVXS_INIT_TIMEOUT_MS takes 1 … %u (ms); waiting %u\n", kOpenTimeoutMaxMs, kOpenTimeoutMs);
		return kOpenTimeoutMs;
	}
	return (unsigned)ms;
}

int iv_cs_init(iv_cs_init_parm_s *pstInitParm)
{
	ivxs_firmware_hooks hooks;
	const char *device = getenv("IVXS_DEVICE");
	unsigned timeoutMs = openTimeoutMs();
	int status = IV_ERR_NONE, opened;
	if (!pstInitParm)
		return IV_ERR_CS_INIT_PRM_NULL;
	if (!pstInitParm->iv_cs_push_stream_start_cb || !pstInitParm->iv_cs_push_stream_stop_cb)
		return IV_ERR_CS_INIT_CB_NULL;
	if (pstInitParm->u32MaxSizeInAGop < kMinGop || pstInitParm->u32MaxSizeInAGop > kMaxGop)
		return IV_ERR_CS_INIT_PRM_RANGE;
	pthread_mutex_lock(&gApi);
	if (gStarted)
		status = IV_ERR_CS_INIT_REPEAT;
	else if (!device || !*device) {
		fprintf(stderr, "libivxs: iv_cs_init: set IVXS_DEVICE to the camera's device file (iv_cs.h)\n");
		status = IV_ERR_SYS_DEVICE_INFORMATION;
	}
	else if (buildArgs(device) < 0) {
		fprintf(stderr, "libivxs: iv_cs_init: cannot find the app's modules (IVXS_HOME), or IVXS_CAMERA_ARGS is too long\n");
		status = IV_ERR_SYS_DEVICE_INFORMATION;
	}
	if (status) {
		pthread_mutex_unlock(&gApi);
		return status;
	}
	hooks.max_gop_bytes = pstInitParm->u32MaxSizeInAGop;
	hooks.start = pstInitParm->iv_cs_push_stream_start_cb;
	hooks.stop = pstInitParm->iv_cs_push_stream_stop_cb;
	ivxs_firmware_attach(&hooks);
	if (pthread_create(&gThread, NULL, runApp, NULL)) {
		ivxs_firmware_detach();
		pthread_mutex_unlock(&gApi);
		return IV_ERR_SYS_MALLOC_FAIL;
	}
	opened = ivxs_firmware_wait_open(timeoutMs);
	if (opened <= 0) {
		/* 0: the app refused the device file, or it has no "firmware" channel (it said why);
		 * -1: it had not opened the feed in time (a stalled start): stopped, iv_cs_init may follow */
		if (opened < 0)
			fprintf(stderr, "libivxs: iv_cs_init: the app did not start within %u ms (IVXS_INIT_TIMEOUT_MS); stopped\n", timeoutMs);
		ivxs_firmware_request_exit();
		pthread_join(gThread, NULL);
		ivxs_firmware_detach();
		pthread_mutex_unlock(&gApi);
		return opened < 0 ? IV_ERR_CS_INIT_TIMEOUT : IV_ERR_SYS_DEVICE_INFORMATION;
	}
	gStarted = 1;
	pthread_mutex_unlock(&gApi);
	return IV_ERR_NONE;
}

int iv_cs_exit(void)
{
	int error;
	if (tAppThread) {
		/* a callback (start_cb, a "reboot" command's command_cb): joining would wait for itself */
		fprintf(stderr, "libivxs: iv_cs_exit from a callback (the app's thread) refused: call it from the firmware's thread\n");
		return IV_ERR_CS_EXIT_FAILED;
	}
	pthread_mutex_lock(&gApi);
	if (!gStarted) {
		pthread_mutex_unlock(&gApi);
		return IV_ERR_CS_PRM_NOT_AVAILABLE;
	}
	ivxs_firmware_request_exit();   /* the app drains to the cloud (at most ~8 s) and ends */
	error = pthread_join(gThread, NULL);
	if (error) {
		/* the app was asked to stop but is not known to have: it stays started (init refuses) */
		fprintf(stderr, "libivxs: iv_cs_exit: joining the app's thread failed (%s)\n", strerror(error));
		pthread_mutex_unlock(&gApi);
		return IV_ERR_CS_EXIT_FAILED;
	}
	ivxs_firmware_detach();
	gStarted = 0;
	pthread_mutex_unlock(&gApi);
	return IV_ERR_NONE;
}

/* One video frame's bytes: its packs, which must follow each other in memory. */
static int videoFrame(const iv_cm_venc_stream_s *v, const uint8_t **data, size_t *size, uint64_t *pts, int *key)
{
	const iv_cm_venc_pack_s *first;
	uint32_t i;
	if (!v->u32PackCount)
		return IV_ERR_CS_PUSH_PRM_NULL;
	if (v->u32PackCount > IV_CM_VENC_MAX_PACKS)
		return IV_ERR_CS_PUSH_PRM_RANGE;
	first = v->pstVencPack[0];
	*size = 0;
	*key = 0;
	for (i = 0; i < v->u32PackCount; i++) {
		const iv_cm_venc_pack_s *p = v->pstVencPack[i];
		if (!p || !p->pu8Addr || !p->u32Len)
			return IV_ERR_CS_PUSH_PRM_NULL;
		if (p->pu8Addr != first->pu8Addr + *size || p->eFrameType >= IV_CM_FRAME_TYPE_BUTT)
			return IV_ERR_CS_PUSH_PRM_RANGE;   /* a gather into the ring is not there yet */
		if (p->u32Len > IV_CS_MAX_VIDEO_BYTES - *size)
			return IV_ERR_CS_PUSH_TOO_BIG;     /* (no sum of 8 lengths can wrap a 32-bit size_t) */
		*size += p->u32Len;
		*key |= p->eFrameType == IV_CM_FRAME_TYPE_I;
	}
	*data = first->pu8Addr;
	*pts = first->u64PTS;
	return IV_ERR_NONE;
}

/* Whether the bytes walk as Annex-B NAL units, by native/annexb's scanner (its rules: a start
 * code first, no empty NAL unit, none at the very end, forbidden_zero_bit clear). */
static int walkable(const uint8_t *data, size_t size)
{
	ivxs_annexb_cursor cursor;
	ivxs_annexb_span span;
	int status;
	ivxs_annexb_cursor_init(&cursor);
	while ((status = ivxs_annexb_next_nal(data, size, &cursor, &span)) == 1)
		;
	return status == 0;
}

static int toIvErr(int status)
{
	switch (status) {
	case 0: return IV_ERR_NONE;
	case IVXS_ECLOSED: return IV_ERR_CS_PRM_NOT_AVAILABLE;   /* not started, exited, or the app ended */
	case IVXS_CAPTURE_ESTATE: return IV_ERR_CS_PUSH_NOT_STARTED;
	case IVXS_CAPTURE_EARG: case IVXS_RING_EEMPTY: return IV_ERR_CS_PUSH_PRM_NULL;
	case IVXS_RING_ETIME: return IV_ERR_CS_PUSH_TIME_BACK;
	case IVXS_RING_ETOOBIG: return IV_ERR_CS_PUSH_TOO_BIG;
	case IVXS_RING_ENEEDKEY: return IV_ERR_CS_NEED_IDR_FRAME;
	default: return IV_ERR_CS_PUSH_PRM_RANGE;   /* ECODEC (capture, ring): not the channel's codec */
	}
}

int iv_cs_push_stream(iv_cs_stream_type_e eCsStreamType, iv_cm_venc_type_e eCmVencType, void *pstCsStream)
{
	const uint8_t *data;
	size_t size;
	uint64_t pts;
	int key = 0, status;
	if (!pstCsStream)
		return IV_ERR_CS_PUSH_PRM_NULL;
	if (eCsStreamType == IV_CS_STREAM_TYPE_AUDIO) {
		const iv_cm_aenc_stream_s *a = pstCsStream;
		if (!a->pu8Stream || !a->u32Len)
			return IV_ERR_CS_PUSH_PRM_NULL;
		if (a->u32Len > IV_CS_MAX_AUDIO_BYTES)
			return IV_ERR_CS_PUSH_TOO_BIG;
		/* in the channel's audio codec (AAC or G.711, its device file's "firmware": { "audio": … }) */
		return toIvErr(ivxs_firmware_push(IVXS_FRAME_AUDIO, 0, 0, a->u64TimeStamp, a->pu8Stream, a->u32Len));
	}
	if (eCsStreamType != IV_CS_STREAM_TYPE_VIDEO || (eCmVencType != IV_CM_VENC_TYPE_H264 && eCmVencType != IV_CM_VENC_TYPE_H265))
		return IV_ERR_CS_PUSH_PRM_RANGE;
	status = videoFrame(pstCsStream, &data, &size, &pts, &key);
	if (status == IV_ERR_CS_PUSH_TOO_BIG || (!status && !walkable(data, size))) {
		ivxs_firmware_video_lost();   /* the GOP lost a frame: the next video must be an I frame */
		return status ? status : IV_ERR_CS_PUSH_NOT_ANNEXB;
	}
	if (status)
		return status;
	return toIvErr(ivxs_firmware_push(IVXS_FRAME_VIDEO, eCmVencType == IV_CM_VENC_TYPE_H264 ? IVXS_CODEC_H264 : IVXS_CODEC_H265,
			key, pts, data, size));
}

void iv_cs_event_happen_notify(int s32EventType)
{
	if (s32EventType)
		ivxs_firmware_event((uint32_t)s32EventType);
}
