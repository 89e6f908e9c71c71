/*
 * libivxs's cloud storage API used wrongly (iv_cs.h): each wrong call returns its IV_ERR_* and
 * harms nothing (a good push after it goes in), and a call before init or after exit is an
 * error, not a crash. Run by tests/capi.test.mjs, plain and with ASan + UBSan, against a test
 * cloud:
 *   IVXS_DEVICE=<device file with a "firmware" channel> IVXS_DATA=<dir> iv_cs_test <clip.h264>
 */
#include "iv_cs.h"
#include "capture.h"
#include "ivxs_test.h"

#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static atomic_int gStarts, gStops;
static atomic_int gExitInStart;   /* 1: start_cb calls iv_cs_exit (a "reboot" handler would); then its answer */
static int onStart(void)
{
	if (atomic_load(&gExitInStart) == 1)
		atomic_store(&gExitInStart, iv_cs_exit());
	atomic_fetch_add(&gStarts, 1);
	return 0;
}
static int onStop(void) { atomic_fetch_add(&gStops, 1); return 0; }

/* The clip's first frames (a key frame, then P frames), copied out of the file source. */
#define kFrames 3
static struct { uint8_t *data; size_t size; int key; } gFrames[kFrames];
static int gFrameCount;
static const char *gClip;

static int keep(void *ctx, const ivxs_capture_frame *f)
{
	(void)ctx;
	if (f->type != IVXS_FRAME_VIDEO || gFrameCount == kFrames)
		return 0;
	gFrames[gFrameCount].data = malloc(f->size);
	memcpy(gFrames[gFrameCount].data, f->data, f->size);
	gFrames[gFrameCount].size = f->size;
	gFrames[gFrameCount++].key = f->key;
	return 0;
}

static void readClip(void)
{
	ivxs_capture_file_config config;
	ivxs_capture *c = NULL;
	memset(&config, 0, sizeof(config));
	config.video_path = gClip;
	config.pace = IVXS_CAPTURE_PACE_FAST;
	config.once = 1;
	config.sink = keep;
	if (ivxs_capture_create_file(&c, &config) == 0 && ivxs_capture_prepare(c) == 0)
		while (gFrameCount < kFrames && ivxs_capture_step(c) == 1)
			;
	ivxs_capture_destroy(&c);
}

/* Pushes frame i of the clip with time pts and the given frame type. */
static int pushVideo(int i, uint64_t pts, iv_cm_frame_type_e type)
{
	iv_cm_venc_pack_s pack = { gFrames[i].data, (uint32_t)gFrames[i].size, pts, type, (uint32_t)i };
	iv_cm_venc_stream_s stream;
	memset(&stream, 0, sizeof(stream));
	stream.pstVencPack[0] = &pack;
	stream.u32PackCount = 1;
	return iv_cs_push_stream(IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264, &stream);
}

static iv_cs_init_parm_s params(uint32_t gop)
{
	iv_cs_init_parm_s p = { gop, onStart, onStop };
	return p;
}

static void t_before_init(void)
{
	iv_cm_aenc_stream_s audio = { (uint8_t *)"\xff\xf1", 2, 0 };
	CHECK_EQ(iv_cs_push_stream(IV_CS_STREAM_TYPE_AUDIO, IV_CM_VENC_TYPE_H264, &audio), IV_ERR_CS_PRM_NOT_AVAILABLE);
	CHECK_EQ(pushVideo(0, 0, IV_CM_FRAME_TYPE_I), IV_ERR_CS_PRM_NOT_AVAILABLE);
	CHECK_EQ(iv_cs_exit(), IV_ERR_CS_PRM_NOT_AVAILABLE);
	iv_cs_event_happen_notify(1);   /* ignored */
done:;
}

static void t_init_refuses(void)
{
	iv_cs_init_parm_s p = params(512 * 1024);
	char *device = strdup(getenv("IVXS_DEVICE"));
	CHECK_EQ(iv_cs_init(NULL), IV_ERR_CS_INIT_PRM_NULL);
	p.iv_cs_push_stream_stop_cb = NULL;
	CHECK_EQ(iv_cs_init(&p), IV_ERR_CS_INIT_CB_NULL);
	p = params(0);
	CHECK_EQ(iv_cs_init(&p), IV_ERR_CS_INIT_PRM_RANGE);
	p = params(65u * 1024 * 1024);
	CHECK_EQ(iv_cs_init(&p), IV_ERR_CS_INIT_PRM_RANGE);
	p = params(512 * 1024);
	unsetenv("IVXS_DEVICE");
	CHECK_EQ(iv_cs_init(&p), IV_ERR_SYS_DEVICE_INFORMATION);
	setenv("IVXS_DEVICE", "/nonexistent/device.json", 1);
	CHECK_EQ(iv_cs_init(&p), IV_ERR_SYS_DEVICE_INFORMATION);   /* the app said why and ended */
	CHECK_EQ(iv_cs_exit(), IV_ERR_CS_PRM_NOT_AVAILABLE);
done:
	setenv("IVXS_DEVICE", device, 1);
	free(device);
}

static void t_wrong_pushes(void)
{
	iv_cs_init_parm_s p = params(16 * 1024);
	iv_cm_venc_pack_s packs[9];
	iv_cm_venc_stream_s stream;
	iv_cm_aenc_stream_s audio = { NULL, 10, 0 };
	uint8_t *big = NULL;
	int i, waited;
	CHECK_EQ(iv_cs_init(&p), IV_ERR_NONE);
	CHECK_EQ(iv_cs_init(&p), IV_ERR_CS_INIT_REPEAT);
	/* wrong structures: refused before anything is looked up */
	CHECK_EQ(iv_cs_push_stream(IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264, NULL), IV_ERR_CS_PUSH_PRM_NULL);
	CHECK_EQ(iv_cs_push_stream(IV_CS_STREAM_TYPE_AUDIO, IV_CM_VENC_TYPE_H264, &audio), IV_ERR_CS_PUSH_PRM_NULL);
	CHECK_EQ(iv_cs_push_stream((iv_cs_stream_type_e)7, IV_CM_VENC_TYPE_H264, &audio), IV_ERR_CS_PUSH_PRM_RANGE);
	memset(&stream, 0, sizeof(stream));
	CHECK_EQ(iv_cs_push_stream(IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264, &stream), IV_ERR_CS_PUSH_PRM_NULL);   /* no packs */
	for (i = 0; i < 9; i++) {
		packs[i] = (iv_cm_venc_pack_s){ gFrames[0].data, (uint32_t)gFrames[0].size, 0, IV_CM_FRAME_TYPE_I, 0 };
		if (i < 8)
			stream.pstVencPack[i] = &packs[i];
	}
	stream.u32PackCount = 9;
	CHECK_EQ(iv_cs_push_stream(IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264, &stream), IV_ERR_CS_PUSH_PRM_RANGE);
	stream.u32PackCount = 2;   /* two packs that do not follow each other in memory */
	CHECK_EQ(iv_cs_push_stream(IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264, &stream), IV_ERR_CS_PUSH_PRM_RANGE);
	stream.pstVencPack[1] = NULL;
	CHECK_EQ(iv_cs_push_stream(IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264, &stream), IV_ERR_CS_PUSH_PRM_NULL);
	stream.u32PackCount = 1;
	CHECK_EQ(iv_cs_push_stream(IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_MJPG, &stream), IV_ERR_CS_PUSH_PRM_RANGE);
	CHECK_EQ(iv_cs_push_stream(IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H265, &stream), IV_ERR_CS_PUSH_PRM_RANGE);   /* not the channel's */
	/* before start_cb (the plan comes from the cloud): nothing is recorded */
	if (!atomic_load(&gStarts))
		CHECK_EQ(pushVideo(0, 1000, IV_CM_FRAME_TYPE_I), IV_ERR_CS_PUSH_NOT_STARTED);
	for (waited = 0; !atomic_load(&gStarts) && waited < 300; waited++)
		usleep(100 * 1000);
	CHECKF(atomic_load(&gStarts) == 1, "start_cb not called within 30 s");
	/* recording: a P frame first waits for an I frame; then the clip's frames go in */
	CHECK_EQ(pushVideo(1, 1000, IV_CM_FRAME_TYPE_P), IV_ERR_CS_NEED_IDR_FRAME);
	CHECK_EQ(pushVideo(0, 1000, IV_CM_FRAME_TYPE_I), IV_ERR_NONE);
	CHECK_EQ(pushVideo(1, 1040, IV_CM_FRAME_TYPE_P), IV_ERR_NONE);
	CHECK_EQ(pushVideo(2, 1039, IV_CM_FRAME_TYPE_P), IV_ERR_CS_PUSH_TIME_BACK);
	CHECK_EQ(pushVideo(2, 1080, IV_CM_FRAME_TYPE_P), IV_ERR_NONE);   /* the refusal harmed nothing */
	/* a frame larger than the ring takes (a 16 KiB GOP: the ring is far smaller than 8 MiB) */
	big = calloc(1, 8u << 20);
	memcpy(big, gFrames[0].data, gFrames[0].size);
	packs[0] = (iv_cm_venc_pack_s){ big, 8u << 20, 1120, IV_CM_FRAME_TYPE_I, 0 };
	stream.pstVencPack[0] = &packs[0];
	CHECK_EQ(iv_cs_push_stream(IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264, &stream), IV_ERR_CS_PUSH_TOO_BIG);
	CHECK_EQ(pushVideo(1, 1160, IV_CM_FRAME_TYPE_P), IV_ERR_CS_NEED_IDR_FRAME);   /* the GOP lost a frame */
	CHECK_EQ(pushVideo(0, 1200, IV_CM_FRAME_TYPE_I), IV_ERR_NONE);
	CHECK_EQ(pushVideo(1, 1240, IV_CM_FRAME_TYPE_P), IV_ERR_NONE);
	/* audio longer than IV_CS_MAX_AUDIO_BYTES (G.711 of 1 s at 8 kHz): refused, nothing changes */
	audio = (iv_cm_aenc_stream_s){ big, IV_CS_MAX_AUDIO_BYTES + 1, 1240 };
	CHECK_EQ(iv_cs_push_stream(IV_CS_STREAM_TYPE_AUDIO, IV_CM_VENC_TYPE_H264, &audio), IV_ERR_CS_PUSH_TOO_BIG);
	/* video whose Annex-B cannot be walked: refused, and the GOP lost a frame */
	memcpy(big, gFrames[1].data, gFrames[1].size);
	memcpy(big + gFrames[1].size, "\0\0\1", 3);   /* a stray start code at the end */
	packs[0] = (iv_cm_venc_pack_s){ big, (uint32_t)gFrames[1].size + 3, 1280, IV_CM_FRAME_TYPE_P, 0 };
	CHECK_EQ(iv_cs_push_stream(IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264, &stream), IV_ERR_CS_PUSH_NOT_ANNEXB);
	CHECK_EQ(pushVideo(2, 1320, IV_CM_FRAME_TYPE_P), IV_ERR_CS_NEED_IDR_FRAME);
	big[0] = 0x47;   /* bytes before the first start code */
	packs[0] = (iv_cm_venc_pack_s){ big, (uint32_t)gFrames[1].size, 1360, IV_CM_FRAME_TYPE_P, 0 };
	CHECK_EQ(iv_cs_push_stream(IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264, &stream), IV_ERR_CS_PUSH_NOT_ANNEXB);
	memcpy(big, "\0\0\1\0\0\1\x41", 7);   /* an empty NAL unit */
	packs[0] = (iv_cm_venc_pack_s){ big, 7, 1360, IV_CM_FRAME_TYPE_P, 0 };
	CHECK_EQ(iv_cs_push_stream(IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264, &stream), IV_ERR_CS_PUSH_NOT_ANNEXB);
	/* packs summing past IV_CS_MAX_VIDEO_BYTES (they never reach the ring) */
	for (i = 0; i < 8; i++) {
		packs[i] = (iv_cm_venc_pack_s){ big + (size_t)i * (IV_CS_MAX_VIDEO_BYTES / 8), IV_CS_MAX_VIDEO_BYTES / 8 + (i == 7), 1360, IV_CM_FRAME_TYPE_I, 0 };
		stream.pstVencPack[i] = &packs[i];
	}
	stream.u32PackCount = 8;
	CHECK_EQ(iv_cs_push_stream(IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264, &stream), IV_ERR_CS_PUSH_TOO_BIG);
	stream.u32PackCount = 1;
	stream.pstVencPack[0] = &packs[0];
	CHECK_EQ(pushVideo(0, 1400, IV_CM_FRAME_TYPE_I), IV_ERR_NONE);   /* what was accepted is there: the stream goes on */
	CHECK_EQ(pushVideo(1, 1440, IV_CM_FRAME_TYPE_P), IV_ERR_NONE);
	/* an event flood: bits gather in one word, the app reports them at most once per 200 ms tick
	 * (tests/capi.test.mjs counts the events the cloud got) */
	for (i = 0; i < 100000; i++)
		iv_cs_event_happen_notify((int)(1u << (i % 32)));
	usleep(600 * 1000);
	CHECK_EQ(atomic_load(&gStops), 0);
	CHECK_EQ(iv_cs_exit(), IV_ERR_NONE);
	CHECK_EQ(atomic_load(&gStops), 1);   /* the app's stop reached stop_cb */
	/* after exit: errors, not crashes */
	CHECK_EQ(pushVideo(0, 1480, IV_CM_FRAME_TYPE_I), IV_ERR_CS_PRM_NOT_AVAILABLE);
	CHECK_EQ(iv_cs_exit(), IV_ERR_CS_PRM_NOT_AVAILABLE);
	iv_cs_event_happen_notify(1);
done:
	free(big);
	iv_cs_exit();
}

/* A callback (a "reboot" command's handler) calling iv_cs_exit is refused: joining the app's
 * thread from itself would fail, and the app would run on unnoticed beside a second one. */
static void t_exit_in_callback(void)
{
	iv_cs_init_parm_s p = params(512 * 1024);
	int waited, starts = atomic_load(&gStarts);
	atomic_store(&gExitInStart, 1);
	CHECK_EQ(iv_cs_init(&p), IV_ERR_NONE);
	for (waited = 0; atomic_load(&gStarts) == starts && waited < 300; waited++)
		usleep(100 * 1000);
	CHECKF(atomic_load(&gStarts) > starts, "start_cb not called within 30 s");
	CHECK_EQ(atomic_load(&gExitInStart), IV_ERR_CS_EXIT_FAILED);
	CHECK_EQ(iv_cs_init(&p), IV_ERR_CS_INIT_REPEAT);   /* the app still runs: no second one */
	CHECK_EQ(iv_cs_exit(), IV_ERR_NONE);              /* from the firmware's thread it stops */
	CHECK_EQ(iv_cs_exit(), IV_ERR_CS_PRM_NOT_AVAILABLE);
done:
	atomic_store(&gExitInStart, 0);
	iv_cs_exit();
}

/* An app that has not started in time is stopped and says so (not as a bad device file); the
 * firmware may call iv_cs_init again. 1 ms: no app starts that fast (it loads its modules). */
static void t_init_timeout(void)
{
	iv_cs_init_parm_s p = params(512 * 1024);
	setenv("IVXS_INIT_TIMEOUT_MS", "1", 1);
	CHECK_EQ(iv_cs_init(&p), IV_ERR_CS_INIT_TIMEOUT);
	CHECK_EQ(iv_cs_exit(), IV_ERR_CS_PRM_NOT_AVAILABLE);   /* not started */
	setenv("IVXS_INIT_TIMEOUT_MS", "not a number", 1);    /* said on stderr; the default is taken */
	CHECK_EQ(iv_cs_init(&p), IV_ERR_NONE);
	CHECK_EQ(iv_cs_exit(), IV_ERR_NONE);
done:
	unsetenv("IVXS_INIT_TIMEOUT_MS");
	iv_cs_exit();
}

static void t_init_again(void)
{
	iv_cs_init_parm_s p = params(512 * 1024);
	CHECK_EQ(iv_cs_init(&p), IV_ERR_NONE);
	iv_cs_event_happen_notify(1);
	CHECK_EQ(iv_cs_exit(), IV_ERR_NONE);
done:
	iv_cs_exit();
}

int main(int argc, char **argv)
{
	int i;
	gClip = argc > 1 ? argv[1] : "fixtures/media/h264-main-640x480.h264";
	readClip();
	if (gFrameCount < kFrames || !gFrames[0].key || !getenv("IVXS_DEVICE")) {
		fprintf(stderr, "usage: IVXS_DEVICE=<device file> iv_cs_test <clip.h264> (read %d frames)\n", gFrameCount);
		return 2;
	}
	ivxs_test_run("before iv_cs_init: push and exit are errors, an event is ignored", t_before_init);
	ivxs_test_run("iv_cs_init refuses NULL, missing callbacks, a GOP out of range, no or a bad device file", t_init_refuses);
	ivxs_test_run("wrong pushes return their IV_ERR_* and harm nothing; exit calls stop_cb; calls after exit are errors", t_wrong_pushes);
	ivxs_test_run("iv_cs_exit from a callback (the app's thread) is refused with IV_ERR_CS_EXIT_FAILED; the app runs on until exit from the firmware's thread", t_exit_in_callback);
	ivxs_test_run("iv_cs_init that times out (IVXS_INIT_TIMEOUT_MS) returns IV_ERR_CS_INIT_TIMEOUT, stops the app, and may be called again", t_init_timeout);
	ivxs_test_run("iv_cs_init works again after iv_cs_exit", t_init_again);
	for (i = 0; i < gFrameCount; i++)
		free(gFrames[i].data);
	return ivxs_test_summary();
}
