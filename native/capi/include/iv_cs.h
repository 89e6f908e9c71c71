/*
 * iv_cs.h — cloud storage, the seed's C API (seed 000) over the ivxs camera app (libivxs).
 *
 * The flow, as the seed gives it: fill iv_cs_init_parm_s (the two callbacks) → iv_cs_init →
 * when start_cb is called, push audio and video with iv_cs_push_stream until stop_cb →
 * iv_cs_exit.
 *
 * What ivxs does behind it: iv_cs_init starts the ivxs camera app (modules/app/camera, the app
 * `npm start` runs) on an XS machine in a thread of its own; it uploads to the ivxs cloud what
 * the cloud's plan asks for. The camera's identity and cloud come from its device file, as for
 * `ivxs modules/app/camera -- --device FILE`; the seed's init parameters have no field for it,
 * so (an ivxs extension) the environment gives it:
 *   IVXS_DEVICE       the device file (required): its first channel with "firmware" set is the
 *                     one iv_cs_push_stream feeds, e.g.
 *                       "channels": [ { "firmware": { "audio": true }, "codec": "h264" } ]
 *   IVXS_HOME         the ivxs build folder (its ts/ and mods/ hold the app's modules); default:
 *                     the folder above the one libivxs.so (or the program, when linked with
 *                     libivxs.a) is in: build/lib/libivxs.so → build
 *   IVXS_DATA         the camera's data folder (default ./ivxs-data)
 *   IVXS_CAMERA_ARGS  more arguments for the camera app, separated by spaces (e.g. "--no-p2p")
 *
 * Threading:
 *   - iv_cs_init and iv_cs_exit: from one thread (the firmware's main thread), not from a
 *     callback (iv_cs_exit refuses it: IV_ERR_CS_EXIT_FAILED). iv_cs_init returns once the
 *     camera app is up (its feed open), or with an error when it could not start (at most 60 s).
 *     iv_cs_exit asks the app to stop, waits while it drains what the ring holds to the cloud
 *     (at most ~8 s, the app's bound), then frees all.
 *   - iv_cs_push_stream: from any thread (the encoder's), between iv_cs_init and iv_cs_exit;
 *     calls are serialised (one mutex, never held across anything slow). It copies the frame
 *     once, into the ring, and allocates nothing; when it returns, the firmware may reuse the
 *     buffer. A frame refused returns an IV_ERR_* and leaves what is stored as it was.
 *   - iv_cs_event_happen_notify: from any thread; the event reaches the app within ~200 ms.
 *   - start_cb and stop_cb run on the library's thread (the one that runs the app): return
 *     quickly (start your encoder's stream, set a flag), and do not call iv_cs_init/iv_cs_exit
 *     from them. start_cb comes when the cloud's plan records (continuous or event mode, or a
 *     viewer's live lease), stop_cb when it no longer does and at iv_cs_exit.
 *
 * Process-wide, as in `ivxs`: SIGPIPE is ignored (a socket the peer closed is an error code),
 * SIGUSR1 prints the app's memory report on stderr, and a fatal condition of the engine (its
 * memory full) ends the process. The app logs on stdout/stderr ("camera <id>: …").
 */
#ifndef IV_CS_H
#define IV_CS_H

#include "iv_cm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What iv_cs_push_stream carries (seed 000 prints it under the name iv_cs_data_type_e too). */
typedef enum {
	IV_CS_STREAM_TYPE_AUDIO = 0,    /* pstCsStream is an iv_cm_aenc_stream_s */
	IV_CS_STREAM_TYPE_VIDEO = 1,    /* pstCsStream is an iv_cm_venc_stream_s */
	IV_CS_STREAM_TYPE_BUTT
} iv_cs_stream_type_e;
typedef iv_cs_stream_type_e iv_cs_data_type_e;

typedef struct iv_cs_init_parm_s {
	/* The largest GOP (bytes of video from one I frame to the next), an estimate: the ring
	 * holds about two of them plus audio. 16 KiB … 64 MiB (IV_ERR_CS_INIT_PRM_RANGE). */
	uint32_t u32MaxSizeInAGop;
	/* Start pushing (the plan records): required. Its return value is logged, not acted on. */
	int (*iv_cs_push_stream_start_cb)(void);
	/* Stop pushing: required. */
	int (*iv_cs_push_stream_stop_cb)(void);
} iv_cs_init_parm_s;

/* Starts cloud storage. IV_ERR_NONE; IV_ERR_CS_INIT_PRM_NULL, _CB_NULL, _PRM_RANGE;
 * IV_ERR_CS_INIT_REPEAT (already started); IV_ERR_SYS_DEVICE_INFORMATION (no IVXS_DEVICE, or
 * the app refused the device file or found no "firmware" channel in it); IV_ERR_CS_INIT_TIMEOUT
 * (the app had not started within IVXS_INIT_TIMEOUT_MS, 60 s unless set: it is stopped, and
 * iv_cs_init may be called again); IV_ERR_SYS_MALLOC_FAIL. */
int iv_cs_init(iv_cs_init_parm_s *pstInitParm);

/* Stops the app (draining to the cloud) and releases everything; iv_cs_init may follow.
 * IV_ERR_NONE; IV_ERR_CS_PRM_NOT_AVAILABLE when not started; IV_ERR_CS_EXIT_FAILED when called
 * on the library's thread (from a callback: start_cb, stop_cb, a P2P callback such as a "reboot"
 * command's — it would wait for itself; the app runs on: call it from the firmware's own thread)
 * or when the app's thread could not be joined. */
int iv_cs_exit(void);

/* An audio frame's bytes at most: G.711 at 8 kHz (a byte a sample) up to 1 s; an AAC frame (one
 * ADTS frame of 1024 samples, at most 6144 bits a channel: 1,545 bytes in stereo) never comes
 * near. Longer: IV_ERR_CS_PUSH_TOO_BIG. */
#define IV_CS_MAX_AUDIO_BYTES 8000u
/* A video frame's bytes at most (the largest u32MaxSizeInAGop); the ring refuses a frame larger
 * than its arena (about two GOPs of u32MaxSizeInAGop) sooner. Both: IV_ERR_CS_PUSH_TOO_BIG. */
#define IV_CS_MAX_VIDEO_BYTES (64u * 1024 * 1024)

/* One frame: eCsStreamType AUDIO with an iv_cm_aenc_stream_s (one ADTS frame, or G.711 of at
 * most 1 s: IV_CS_MAX_AUDIO_BYTES), or VIDEO with an iv_cm_venc_stream_s (one access unit in
 * Annex-B, start codes included; several packs must lie one after the other in memory, as an
 * encoder's stream buffer gives them). eCmVencType is the video codec and must be the channel's
 * (device file "codec"); for audio it is not looked at (the seed's sample passes H264). The
 * first video frame must be an I frame, and so must the first after a frame refused for its
 * bytes (IV_ERR_CS_PUSH_TOO_BIG, IV_ERR_CS_PUSH_NOT_ANNEXB: the GOP lost a frame); a frame
 * refused for its structure or time (PRM_NULL, PRM_RANGE, TIME_BACK) changes nothing.
 * IV_ERR_NONE, or: IV_ERR_CS_PRM_NOT_AVAILABLE (not started), IV_ERR_CS_PUSH_NOT_STARTED (no
 * start_cb yet, or after stop_cb), IV_ERR_CS_PUSH_PRM_NULL, IV_ERR_CS_PUSH_PRM_RANGE,
 * IV_ERR_CS_PUSH_TOO_BIG, IV_ERR_CS_PUSH_NOT_ANNEXB (no start code first, an empty NAL unit, a
 * start code at the end, forbidden_zero_bit set), IV_ERR_CS_PUSH_TIME_BACK,
 * IV_ERR_CS_NEED_IDR_FRAME. */
int iv_cs_push_stream(iv_cs_stream_type_e eCsStreamType, iv_cm_venc_type_e eCmVencType, void *pstCsStream);

/* An event happened: s32EventType is a bit mask, bits numbered from 1 as the seed does: 1 (value
 * 0x1) motion, 2 a person, 3 abnormal sound, 4 linkage (data model); 5–16 reserved; 17–32 the
 * firmware's own. Event-mode plans
 * record around it. Ignored before iv_cs_init and after iv_cs_exit. */
void iv_cs_event_happen_notify(int s32EventType);

#ifdef __cplusplus
}
#endif
#endif
