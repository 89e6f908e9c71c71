/*
 * iv_cm.h — the common module of the seed's C API (ivxs's libivxs): stream and codec enums, the
 * audio and video stream structures iv_cs_push_stream takes, iv_cm_memory_s, the IV_ERR_* codes.
 *
 * Where each part comes from:
 *   - Seed 000 (cloud storage) shows iv_cm_venc_type_e (IV_CM_VENC_TYPE_H264 …), the audio
 *     stream as its sample fills it (pu8Stream, u32Len, u64TimeStamp), iv_err_code_e and
 *     IV_ERR_NONE; seed 001 (P2P) shows iv_cm_memory_s (buffer, size, free callback).
 *   - For video, seed 000 points to "the common module's structure" without printing it. We
 *     follow the vendor's published layout (the Tencent IoT Video device SDK's public iv_cm.h,
 *     MIT-licensed, "v1.0.0"): a stream is up to 8 pointers to encoder packs and their count; a
 *     pack has an address, a length, a PTS, a frame type (I = 0, P = 1) and a sequence number.
 *   - The IV_ERR_* numbers are the vendor's (its public iv_err.h) for the modules ivxs has
 *     (system, audio/video talk, cloud storage); the codes marked "ivxs" are ours, numbered
 *     after the vendor's last cloud-storage code, for the wrong input the seed does not name.
 *
 * Assumed (the seeds do not say; the vendor's documents do): timestamps (u64PTS, u64TimeStamp)
 * are milliseconds on one clock for audio and video; audio is AAC in ADTS frames (or G.711, a
 * byte a sample at 8 kHz, when the device file's channel says so); video packs
 * are Annex-B (start codes included).
 */
#ifndef IV_CM_H
#define IV_CM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The stream a buffer belongs to (the common module's; iv_cs_stream_type_e has the same values). */
typedef enum {
	IV_CM_STREAM_TYPE_AUDIO = 0,
	IV_CM_STREAM_TYPE_VIDEO = 1,
	IV_CM_STREAM_TYPE_BUTT
} iv_cm_stream_type_e;

/* Video codec. ivxs stores H.264 and H.265; MJPG is refused by iv_cs_push_stream. */
typedef enum {
	IV_CM_VENC_TYPE_H264 = 0,
	IV_CM_VENC_TYPE_H265 = 1,
	IV_CM_VENC_TYPE_MJPG = 2,
	IV_CM_VENC_TYPE_BUTT
} iv_cm_venc_type_e;

/* Audio codec (vendor values). ivxs takes AAC (ADTS: cloud storage keeps it) and G.711A/U (WebRTC
 * viewers hear it); iv_cs_push_stream does not name it: the device file's channel does. */
typedef enum {
	IV_CM_AENC_TYPE_PCM = 0,
	IV_CM_AENC_TYPE_G711A = 1,
	IV_CM_AENC_TYPE_G711U = 2,
	IV_CM_AENC_TYPE_G726 = 3,
	IV_CM_AENC_TYPE_AAC = 4,
	IV_CM_AENC_TYPE_AMR = 5,
	IV_CM_AENC_TYPE_ADPCMA = 6,
	IV_CM_AENC_TYPE_BUTT
} iv_cm_aenc_type_e;

/* A video pack's frame type: a pack of an I frame makes the access unit a key frame. */
typedef enum {
	IV_CM_FRAME_TYPE_I = 0,
	IV_CM_FRAME_TYPE_P = 1,
	IV_CM_FRAME_TYPE_BUTT
} iv_cm_frame_type_e;

/* One audio frame, as seed 000's sample fills it: an ADTS AAC frame, its length, its time (ms). */
typedef struct iv_cm_aenc_stream_s {
	uint8_t *pu8Stream;
	uint32_t u32Len;
	uint64_t u64TimeStamp;
} iv_cm_aenc_stream_s;

/* One encoder pack: part of an access unit (parameter sets, SEI, slices), Annex-B. */
typedef struct iv_cm_venc_pack_s {
	uint8_t *pu8Addr;               /* the pack's bytes */
	uint32_t u32Len;                /* their length */
	uint64_t u64PTS;                /* the frame's time, ms (every pack of a frame has it) */
	iv_cm_frame_type_e eFrameType;  /* I or P */
	uint32_t u32Seq;                /* the encoder's sequence number (not used by ivxs) */
} iv_cm_venc_pack_s;

/* One video frame (access unit): its packs, in order. */
#define IV_CM_VENC_MAX_PACKS 8
typedef struct iv_cm_venc_stream_s {
	iv_cm_venc_pack_s *pstVencPack[IV_CM_VENC_MAX_PACKS];
	uint32_t u32PackCount;          /* 1 … 8 */
} iv_cm_venc_stream_s;

/* Memory handed across the API with the callback that frees it (seed 001: send_get, commands).
 * buf_free_fn(buf, size) is called once the library is done with buf; NULL: nothing to free. */
typedef struct {
	uint8_t *buf;
	size_t size;
	void (*buf_free_fn)(uint8_t *buf, size_t size);
} iv_cm_memory_s;

/* Status codes: IV_ERR_NONE or a negative code. */
typedef enum {
	IV_ERR_NONE = 0,

	/* system (vendor numbers) */
	IV_ERR_SYS_INIT_PRM_NULL = -100,
	IV_ERR_SYS_INIT_CB_NULL = -101,
	IV_ERR_SYS_INIT_PRM_RANGE = -102,
	IV_ERR_SYS_DEVICE_INFORMATION = -103,   /* the device file is missing or wrong (ivxs: IVXS_DEVICE) */
	IV_ERR_SYS_NOT_SUPPORT = -105,
	IV_ERR_SYS_MALLOC_FAIL = -108,

	/* audio/video talk, P2P (vendor numbers; slice 2) */
	IV_ERR_AVT_INIT_PRM_NULL = -300,
	IV_ERR_AVT_INIT_CB_NULL = -301,
	IV_ERR_AVT_INIT_PRM_RANGE = -302,
	IV_ERR_AVT_REQ_CHN_BUSY = -303,
	IV_ERR_AVT_SEND_STREAM_TOO_BIG = -304,
	IV_ERR_AVT_CHN_NOT_EXIT = -305,
	IV_ERR_AVT_NEED_IDR_FRAME = -306,
	IV_ERR_AVT_MALLOC_BUFFER_FAILED = -307,
	IV_ERR_AVT_FAILED = -308,
	IV_ERR_AVT_INPUT_PARAM_NULL = -309,
	IV_ERR_AVT_INPUT_PARAM_INVAILD = -310,   /* the vendor's spelling */
	IV_ERR_AVT_SEND_DATA_TIMEOUT = -311,
	IV_ERR_AVT_STATE_ERROR = -312,
	IV_ERR_AVT_VIDEO_DATA_ERROR = -313,

	/* cloud storage (vendor numbers) */
	IV_ERR_CS_INIT_PRM_NULL = -600,         /* iv_cs_init(NULL) */
	IV_ERR_CS_INIT_CB_NULL = -601,          /* a start/stop callback is NULL */
	IV_ERR_CS_INIT_PRM_RANGE = -602,        /* u32MaxSizeInAGop out of range */
	IV_ERR_CS_PRM_NOT_AVAILABLE = -605,     /* not initialised: before iv_cs_init, after iv_cs_exit */
	IV_ERR_CS_PRM_MALLOC_FAIL = -606,
	IV_ERR_CS_INIT_REPEAT = -610,           /* iv_cs_init twice */
	IV_ERR_CS_NEED_IDR_FRAME = -611,        /* video refused until the next I frame */

	/* cloud storage: wrong input to iv_cs_push_stream (ivxs; the vendor names none) */
	IV_ERR_CS_PUSH_PRM_NULL = -620,         /* NULL stream, pack or bytes, zero length, no packs */
	IV_ERR_CS_PUSH_PRM_RANGE = -621,        /* bad stream type or codec (not the channel's), >8 packs,
	                                           packs not adjacent in memory */
	IV_ERR_CS_PUSH_TOO_BIG = -622,          /* audio over IV_CS_MAX_AUDIO_BYTES, video over IV_CS_MAX_VIDEO_BYTES
	                                           or larger than the ring takes (u32MaxSizeInAGop) */
	IV_ERR_CS_PUSH_TIME_BACK = -623,        /* earlier than the stream's previous frame */
	IV_ERR_CS_PUSH_NOT_STARTED = -624,      /* outside start_cb … stop_cb: nothing is recorded */
	IV_ERR_CS_PUSH_NOT_ANNEXB = -625,       /* video whose Annex-B cannot be walked: no start code first, an empty
	                                           NAL unit, a start code at the end, forbidden_zero_bit set */
	IV_ERR_CS_EXIT_FAILED = -626,           /* iv_cs_exit on the app's thread (from a callback: it would wait for
	                                           itself), or the app's thread could not be joined: the app runs on */
	IV_ERR_CS_INIT_TIMEOUT = -627,          /* iv_cs_init: the app had not started within IVXS_INIT_TIMEOUT_MS
	                                           (60 s unless set): it is stopped, and iv_cs_init may be called again */

	IV_ERR_DEVICE_OFFLINE = -1001,

	IV_ERR_BUTT
} iv_err_code_e;

#ifdef __cplusplus
}
#endif
#endif
