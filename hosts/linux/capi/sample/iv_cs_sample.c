/*
 * A sample C firmware written the seed's way (seed 000): cloud storage initialised with the two
 * callbacks, the encoder's frames pushed with iv_cs_push_stream between start_cb and stop_cb,
 * an event notified, iv_cs_exit at the end. P2P the seed 001 way: iv_avt_p2p_init with a
 * command_cb that answers a viewer's command (`npm run view -- <device> --command '{…}'`) with
 * {"ok":true,"from":"iv_cs_sample","bytes":<the command's length>} in memory it frees in its
 * buf_free_fn, an event_notify_cb that prints the events, talkback (recv_init_cb, recv_voice_cb:
 * it counts the viewer's frames and the end); iv_avt_p2p_exit before iv_cs_exit. Live view comes
 * from the ring iv_cs_push_stream fills; with --own-stream the firmware serves its own instead
 * (send_init_cb / send_get_cb / send_stop_cb: FLV made of its encoder's frames, sample_stream.c;
 * `npm run view -- <device> --format raw -o live.flv`), with watermarks set by
 * iv_avt_p2p_set_buf_watermark and iv_avt_p2p_get_send_buf / _get_send_status read in send_get_cb.
 *
 *   IVXS_DEVICE=device.json build/bin/iv_cs_sample [--seconds N] [--event-at S] [--fps N (15)] [--own-stream [--watermarks LOW,WARN,HIGH]]
 *       [--g711 pcmu|pcma [--pcm FILE] [--long-g711]] [--torn-every N] [--heap-every S] [video.h264 [audio.aac]]
 *   (npm run firmware does this against `npm start -- --cloud-only`: README "C firmware")
 *
 * The "encoder" is the sample clip played in real time by ivxs's own file source (its Annex-B
 * and ADTS splitters and pacing, native/capture: no second splitter here); its thread is this
 * firmware's encoder thread, and each frame it hands over is pushed as a SoC encoder's output
 * would be: one venc pack (the access unit) or one ADTS frame. A real firmware replaces
 * encoderStart() with its encoder SDK's stream loop. This sample links libivxs.a (the file
 * source is inside it; libivxs.so exports iv_* only).
 *
 * What a field encoder does and the clip does not (the soak's firmware profile): --long-g711 pushes
 * G.711 in 160-ms frames (1,280 B, a common SoC encoder's size) gathered from the 20-ms ones;
 * --torn-every N ends every Nth P frame with a stray 00 00 01 (a torn frame). A push the library
 * refuses is counted by its code and the loop carries on. --heap-every S prints `@@heap <bytes>`
 * every S seconds: the bytes malloc holds in use (mallinfo2: uordblks + hblkhd), for a slope.
 *
 * At the end it prints one line: @@sample {"video":…,"audio":…,"refused":{"<code>":n,…},"torn":n,"commands":n,"freed":n,
 * "voice":{"frames":n,"bytes":n,"ends":n},"streams":{"opened":n,"stopped":n,"bytes":n,"skipped":n,"maxBuffered":n,"acked":n,"watermarkEvents":n}}
 * (frames pushed with IV_ERR_NONE, the codes of the refused ones, commands answered, replies freed,
 * talkback, and its own streams: bytes handed over, bytes skipped by a viewer too slow for them,
 * the most iv_avt_p2p_get_send_buf reported, the bytes acknowledged by the last stream to stop,
 * the WATERMARK events on its channels).
 */
#include "iv_cs.h"
#include "iv_av.h"
#include "capture.h"
#include "sample_stream.h"

#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int gPushing;      /* between start_cb and stop_cb */
static atomic_int gStarted;      /* a video I frame went in since start_cb: audio may follow */
static atomic_int gStop;
static unsigned long gVideo, gAudio;
static struct { int code; unsigned long count; } gRefused[16];
static int gLongG711;          /* --long-g711 */
static unsigned gTornEvery;    /* --torn-every N */
static unsigned long gTorn;    /* torn P frames pushed (whatever the library answered) */

static int cloudStorage_start(void)
{
	atomic_store(&gStarted, 0);
	atomic_store(&gPushing, 1);
	printf("sample: start_cb: pushing\n");
	return IV_ERR_NONE;
}

static int cloudStorage_stop(void)
{
	atomic_store(&gPushing, 0);
	printf("sample: stop_cb: not pushing\n");
	return IV_ERR_NONE;
}

static atomic_ulong gCommands, gFreed;

static void p2p_reply_free(uint8_t *buf, size_t size)
{
	(void)size;
	free(buf);
	atomic_fetch_add(&gFreed, 1);
}

/* A viewer's command (the app's thread, synchronous: short). The reply's buf must be writable
 * (the seed): malloc'd here, freed by the library through buf_free_fn. */
static iv_cm_memory_s p2p_command(const char *command, size_t cmd_len, const char *peer)
{
	iv_cm_memory_s reply = { NULL, 0, p2p_reply_free };
	char *text = malloc(96);
	if (!text)
		return reply;   /* NULL: the viewer's session closes */
	reply.buf = (uint8_t *)text;
	reply.size = (size_t)snprintf(text, 96, "{\"ok\":true,\"from\":\"iv_cs_sample\",\"bytes\":%zu}", cmd_len);
	atomic_fetch_add(&gCommands, 1);
	printf("sample: command_cb: %zu bytes from %s\n", cmd_len, peer);
	(void)command;
	return reply;
}

/* P2P events (the app's thread): PEER_READY when the app's P2P started, network trouble after. */
static atomic_ulong gWatermarkEvents;   /* WATERMARK_* on its own channels */

static void p2p_event(iv_avt_event_e event, void *handle)
{
	if (handle && event >= IV_AVT_EVENT_P2P_WATERMARK_LOW && event <= IV_AVT_EVENT_P2P_WATERMARK_HIGH)
		atomic_fetch_add(&gWatermarkEvents, 1);
	static const char *const names[] = { "PEER_READY", "PEER_CONNECT_FAIL", "PEER_ERROR", "PEER_ADDR_CHANGED", "WATERMARK_LOW", "WATERMARK_WARN", "WATERMARK_HIGH" };
	printf("sample: event_notify_cb: %d (%s)%s\n", (int)event, event < IV_AVT_EVENT_P2P_BUTT ? names[event] : "?", handle ? " on a channel" : "");
}

/* Talkback (the app's thread): a real firmware feeds its speaker; this one counts what came. */
static atomic_ulong gVoiceFrames, gVoiceBytes, gVoiceEnds;
static int gTalk;   /* the handle recv_init_cb gives */

static void *p2p_recv_init(const char *params, const char *peer)
{
	printf("sample: recv_init_cb: %s talks (%s)\n", peer, params);
	return &gTalk;
}

static void p2p_recv_voice(void *handle, uint8_t *recv_buf, size_t recv_len)
{
	if (handle != &gTalk)
		return;
	if (!recv_buf && !recv_len) {   /* the viewer stopped talking */
		atomic_fetch_add(&gVoiceEnds, 1);
		printf("sample: recv_voice_cb: end after %lu frames, %lu bytes\n", atomic_load(&gVoiceFrames), atomic_load(&gVoiceBytes));
		return;
	}
	atomic_fetch_add(&gVoiceFrames, 1);
	atomic_fetch_add(&gVoiceBytes, recv_len);
}

/* Its own stream (--own-stream; the app's thread): each viewer a channel of sample_stream.c. */
static atomic_ulong gStreamsOpened, gStreamsStopped, gStreamBytes, gStreamSkipped, gMaxBuffered, gAcked;

static void *p2p_send_init(const char *params, const char *peer)
{
	void *channel = strncmp(params, "action=live", 11) ? NULL : sample_stream_open();
	printf("sample: send_init_cb: %s asks for %s: %s\n", peer, params, channel ? "its own live stream" : "refused (live only, 4 at once)");
	if (channel)
		atomic_fetch_add(&gStreamsOpened, 1);
	return channel;
}

static iv_cm_memory_s p2p_send_get(void *handle)
{
	size_t buffered = iv_avt_p2p_get_send_buf(handle);   /* the figures of this channel, fresh here */
	if (buffered > atomic_load(&gMaxBuffered))
		atomic_store(&gMaxBuffered, buffered);
	return sample_stream_get(handle);
}

static int p2p_send_stop(void *handle)
{
	unsigned long bytes, skipped;
	iv_p2p_send_stats_s stats = iv_avt_p2p_get_send_status(handle);
	sample_stream_close(handle, &bytes, &skipped);
	atomic_fetch_add(&gStreamsStopped, 1);
	atomic_fetch_add(&gStreamBytes, bytes);
	atomic_fetch_add(&gStreamSkipped, skipped);
	atomic_store(&gAcked, (unsigned long)stats.sum_sent_acked);
	printf("sample: send_stop_cb: %lu bytes handed over, %lu skipped, %llu acknowledged\n", bytes, skipped, (unsigned long long)stats.sum_sent_acked);
	return 0;
}

static void countRefused(int code)
{
	int i;
	for (i = 0; i < 16 && gRefused[i].count && gRefused[i].code != code; i++)
		;
	if (i < 16) {
		gRefused[i].code = code;
		gRefused[i].count++;
	}
}

/* --long-g711: 20-ms G.711 frames gathered into one of kLongG711 bytes (160 ms at 8 kHz), pushed whole */
enum { kLongG711 = 1280 };
static uint8_t gLong[kLongG711];
static size_t gLongBytes;
static uint64_t gLongTimestamp;

/* Whether a whole long frame is gathered (then `data`/`size`/`timestamp` are it); the encoder thread's. */
static int gatherLong(const ivxs_capture_frame *frame, const uint8_t **data, size_t *size, uint64_t *timestamp)
{
	if (gLongBytes + frame->size > kLongG711)
		gLongBytes = 0;   /* not a whole number of frames: start again */
	if (!gLongBytes)
		gLongTimestamp = frame->timestamp_ms;
	memcpy(gLong + gLongBytes, frame->data, frame->size);
	gLongBytes += frame->size;
	if (gLongBytes < kLongG711)
		return 0;
	*data = gLong;
	*size = gLongBytes;
	*timestamp = gLongTimestamp;
	gLongBytes = 0;
	return 1;
}

/* --torn-every N: a copy of a P frame with a stray start code at its end; the encoder thread's. */
static uint8_t *gTornBuf;
static size_t gTornCap;

static const uint8_t *torn(const ivxs_capture_frame *frame, size_t *size)
{
	static const uint8_t stray[3] = { 0, 0, 1 };
	if (frame->size + sizeof(stray) > gTornCap) {
		uint8_t *bigger = realloc(gTornBuf, frame->size + sizeof(stray));
		if (!bigger)
			return NULL;
		gTornBuf = bigger;
		gTornCap = frame->size + sizeof(stray);
	}
	memcpy(gTornBuf, frame->data, frame->size);
	memcpy(gTornBuf + frame->size, stray, sizeof(stray));
	*size = frame->size + sizeof(stray);
	return gTornBuf;
}

/* The encoder thread's hand-over: the seed's loop body for one frame. */
static int onEncodedFrame(void *ctx, const ivxs_capture_frame *frame)
{
	static unsigned long pFrames;
	int ret;
	(void)ctx;
	sample_stream_frame(frame);   /* its own stream, for viewers: whether or not the cloud records */
	if (!atomic_load(&gPushing)) {
		gLongBytes = 0;
		return 0;   /* the encoder runs; nothing is pushed outside start … stop */
	}
	if (frame->type == IVXS_FRAME_AUDIO) {
		iv_cm_aenc_stream_s stIvAencStream;
		const uint8_t *data = frame->data;
		size_t size = frame->size;
		uint64_t timestamp = frame->timestamp_ms;
		if (!atomic_load(&gStarted)) {
			gLongBytes = 0;
			return 0;   /* the recording starts at an I frame: audio before it would go unused */
		}
		if (gLongG711 && (frame->codec == IVXS_CODEC_PCMU || frame->codec == IVXS_CODEC_PCMA) && !gatherLong(frame, &data, &size, &timestamp))
			return 0;
		stIvAencStream.pu8Stream = (uint8_t *)data;
		stIvAencStream.u32Len = (uint32_t)size;
		stIvAencStream.u64TimeStamp = timestamp;
		ret = iv_cs_push_stream(IV_CS_STREAM_TYPE_AUDIO, IV_CM_VENC_TYPE_H264, (void *)&stIvAencStream);
		if (ret == IV_ERR_NONE)
			gAudio++;
	}
	else {
		iv_cm_venc_pack_s stPack;
		iv_cm_venc_stream_s stIvVencStream;
		memset(&stIvVencStream, 0, sizeof(stIvVencStream));
		const uint8_t *data = frame->data;
		size_t size = frame->size;
		if (!frame->key && gTornEvery && ++pFrames % gTornEvery == 0) {
			const uint8_t *copy = torn(frame, &size);
			if (copy) {
				data = copy;
				gTorn++;
			}
		}
		stPack.pu8Addr = (uint8_t *)data;
		stPack.u32Len = (uint32_t)size;
		stPack.u64PTS = frame->timestamp_ms;
		stPack.eFrameType = frame->key ? IV_CM_FRAME_TYPE_I : IV_CM_FRAME_TYPE_P;
		stPack.u32Seq = (uint32_t)frame->index;
		stIvVencStream.pstVencPack[0] = &stPack;
		stIvVencStream.u32PackCount = 1;
		if (!atomic_load(&gStarted) && !frame->key)
			return 0;   /* a real encoder would be asked for an IDR at start_cb */
		ret = iv_cs_push_stream(IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264, (void *)&stIvVencStream);
		if (ret == IV_ERR_NONE) {
			gVideo++;
			atomic_store(&gStarted, 1);
		}
	}
	if (ret != IV_ERR_NONE)
		countRefused(ret);
	return 0;
}

/* `pcm`: instead of the AAC file, a board's microphone — 16-bit PCM at 8 kHz — encoded to G.711
 * `law` in C (native/capture/g711.c, what a board runs on its I2S samples): 20-ms frames pushed as
 * the channel's audio (its device file's "firmware": { "audio": "pcmu" | "pcma" }). */
static ivxs_capture *encoderStart(const char *video, const char *audio, const char *pcm, ivxs_codec law, unsigned fps)
{
	ivxs_capture_file_config config;
	ivxs_capture *encoder = NULL;
	int status;
	memset(&config, 0, sizeof(config));
	config.video_path = video;
	config.fps_num = fps;
	config.fps_den = 1;
	config.audio_path = pcm ? NULL : audio;
	config.pcm_path = pcm;
	config.pcm_codec = law;
	config.sink = onEncodedFrame;
	status = ivxs_capture_create_file(&encoder, &config);
	if (status == 0)
		status = ivxs_capture_start(encoder);
	if (status < 0) {
		fprintf(stderr, "sample: the encoder (%s): %s\n", video, ivxs_capture_strerror(status));
		ivxs_capture_destroy(&encoder);
	}
	return encoder;
}

static void onSignal(int sig)
{
	(void)sig;
	atomic_store(&gStop, 1);
}

int main(int argc, char **argv)
{
	const char *video = "fixtures/media/h264-main-640x480.h264", *audio = "fixtures/media/aac-lc-16k-mono.aac";
	double seconds = 0, eventAt = -1;
	iv_err_code_e eErrCode;
	iv_cs_init_parm_s stCsInitParm;
	iv_p2p_parm_s stP2pParm;
	ivxs_capture *encoder;
	struct timespec t0, now;
	int i, files = 0, encoderFailed, ownStream = 0;
	double heapEvery = 0, heapAt = 0;
	size_t marks[3] = { 64 * 1024, 128 * 1024, 192 * 1024 };
	unsigned fps = 15;   /* the sample clip's rate (the camera app reads it from the SPS) */
	const char *pcm = NULL;
	ivxs_codec law = IVXS_CODEC_PCMU;
	static const char usage[] = "usage: IVXS_DEVICE=device.json iv_cs_sample [--seconds N] [--event-at S] [--fps N] [--own-stream [--watermarks LOW,WARN,HIGH]]\n"
		"       [--g711 pcmu|pcma [--pcm FILE (fixtures/media/pcm-8k-mono.s16)] [--long-g711]] [--torn-every N] [--heap-every S] [video.h264 [audio.aac]]\n";
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--event-at") && i + 1 < argc)
			eventAt = atof(argv[++i]);
		else if (!strcmp(argv[i], "--fps") && i + 1 < argc && atoi(argv[i + 1]) > 0 && atoi(argv[i + 1]) <= 240)
			fps = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--g711") && i + 1 < argc && (!strcmp(argv[i + 1], "pcmu") || !strcmp(argv[i + 1], "pcma"))) {
			law = !strcmp(argv[++i], "pcma") ? IVXS_CODEC_PCMA : IVXS_CODEC_PCMU;
			if (!pcm)
				pcm = "fixtures/media/pcm-8k-mono.s16";
		}
		else if (!strcmp(argv[i], "--pcm") && i + 1 < argc)
			pcm = argv[++i];
		else if (!strcmp(argv[i], "--long-g711"))
			gLongG711 = 1;
		else if (!strcmp(argv[i], "--torn-every") && i + 1 < argc && atoi(argv[i + 1]) > 0)
			gTornEvery = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--heap-every") && i + 1 < argc && atof(argv[i + 1]) > 0)
			heapEvery = atof(argv[++i]);
		else if (!strcmp(argv[i], "--own-stream"))
			ownStream = 1;
		else if (!strcmp(argv[i], "--watermarks") && i + 1 < argc && sscanf(argv[i + 1], "%zu,%zu,%zu", &marks[0], &marks[1], &marks[2]) == 3)
			i++;
		else if (argv[i][0] != '-' && files < 2)
			*(files++ ? &audio : &video) = argv[i];
		else {
			fputs(usage, stderr);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGINT, onSignal);
	signal(SIGTERM, onSignal);

	/* 0. P2P (seed 001): commands answered here; live from the ring iv_cs_push_stream fills, or its own */
	memset(&stP2pParm, 0, sizeof(stP2pParm));
	stP2pParm.p2p_handle_command_cb = p2p_command;
	stP2pParm.p2p_handle_event_notify_cb = p2p_event;
	stP2pParm.p2p_handle_recv_init_cb = p2p_recv_init;
	stP2pParm.p2p_handle_recv_voice_cb = p2p_recv_voice;
	if (ownStream) {
		stP2pParm.p2p_handle_send_init_cb = p2p_send_init;
		stP2pParm.p2p_handle_send_get_cb = p2p_send_get;
		stP2pParm.p2p_handle_send_stop_cb = p2p_send_stop;
	}
	stP2pParm.p2p_keep_alive.time_inter_s = 5;
	stP2pParm.p2p_keep_alive.max_attempt_num = 3;
	eErrCode = iv_avt_p2p_init(&stP2pParm);
	if (eErrCode < 0) {
		fprintf(stderr, "sample: iv_avt_p2p_init failed: %d\n", eErrCode);
		return 1;
	}
	/* send_get_cb pauses above high unsent (the viewer's path is slower than the stream), resumes below low */
	if (ownStream && (eErrCode = iv_avt_p2p_set_buf_watermark(marks[0], marks[1], marks[2])) < 0)
		fprintf(stderr, "sample: iv_avt_p2p_set_buf_watermark failed: %d\n", eErrCode);
	/* 1. cloud storage initialisation (seed 000's sample) */
	memset(&stCsInitParm, 0, sizeof(iv_cs_init_parm_s));
	stCsInitParm.u32MaxSizeInAGop = 512 * 1024;
	stCsInitParm.iv_cs_push_stream_start_cb = cloudStorage_start;
	stCsInitParm.iv_cs_push_stream_stop_cb = cloudStorage_stop;
	eErrCode = iv_cs_init(&stCsInitParm);
	if (eErrCode < 0) {
		fprintf(stderr, "sample: iv_cs_init failed: %d\n", eErrCode);
		iv_avt_p2p_exit();
		return 1;
	}
	/* 3. the encoder's frames, pushed from its thread while start … stop */
	encoder = encoderStart(video, audio, pcm, law, fps);
	encoderFailed = !encoder;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (encoder && !atomic_load(&gStop)) {
		double elapsed;
		usleep(50 * 1000);
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
		if (eventAt >= 0 && elapsed >= eventAt) {
			iv_cs_event_happen_notify(1);   /* bit 1: motion */
			printf("sample: event (motion) at %.1f s\n", elapsed);
			eventAt = -1;
		}
		if (heapEvery > 0 && elapsed >= heapAt) {
			struct mallinfo2 heap = mallinfo2();
			printf("@@heap %zu\n", heap.uordblks + heap.hblkhd);
			heapAt = elapsed + heapEvery;
		}
		if (seconds > 0 && elapsed >= seconds)
			break;
	}
	/* 2. P2P, then cloud storage deinitialisation: the app drains what it holds, stop_cb comes first */
	eErrCode = iv_avt_p2p_exit();
	if (eErrCode < 0)
		fprintf(stderr, "sample: iv_avt_p2p_exit failed: %d\n", eErrCode);
	eErrCode = iv_cs_exit();
	if (eErrCode < 0)
		fprintf(stderr, "sample: iv_cs_exit failed: %d\n", eErrCode);
	ivxs_capture_destroy(&encoder);
	free(gTornBuf);
	printf("@@sample {\"video\":%lu,\"audio\":%lu,\"refused\":{", gVideo, gAudio);
	for (i = 0; i < 16 && gRefused[i].count; i++)
		printf("%s\"%d\":%lu", i ? "," : "", gRefused[i].code, gRefused[i].count);
	printf("},\"torn\":%lu,\"commands\":%lu,\"freed\":%lu,\"voice\":{\"frames\":%lu,\"bytes\":%lu,\"ends\":%lu}", gTorn, atomic_load(&gCommands), atomic_load(&gFreed),
			atomic_load(&gVoiceFrames), atomic_load(&gVoiceBytes), atomic_load(&gVoiceEnds));
	printf(",\"streams\":{\"opened\":%lu,\"stopped\":%lu,\"bytes\":%lu,\"skipped\":%lu,\"maxBuffered\":%lu,\"acked\":%lu,\"watermarkEvents\":%lu}}\n",
			atomic_load(&gStreamsOpened), atomic_load(&gStreamsStopped), atomic_load(&gStreamBytes), atomic_load(&gStreamSkipped),
			atomic_load(&gMaxBuffered), atomic_load(&gAcked), atomic_load(&gWatermarkEvents));
	return encoderFailed || eErrCode < 0 ? 1 : 0;
}
