/*
 * Capture — portable core (no XS headers, no I/O, no threads).
 *
 * Capture turns encoded media into frames and hands them to a sink callback
 * (the XS binding's sink pushes them into the GOP ring). Pieces:
 *   - an incremental Annex-B access-unit splitter for H.264 and H.265 and an
 *     incremental ADTS frame splitter for AAC (au_splitter.c, adts_splitter.c);
 *   - pacing arithmetic and JPEG checks (capture_common.c);
 *   - the capture object (capture_core.c): drives a source through
 *     ivxs_capture_source { prepare, step, close } with no knowledge of its
 *     kind, gates video on key frames, counts, hands frames to the sink; time
 *     is injected (ivxs_capture_clock);
 *   - the stream source core (capture_stream.c): Annex-B video + ADTS audio
 *     bytes from a reader, split, timestamped, paced, looped.
 * Outside the core, Linux only (*_linux.c): the file source (stdio, JPEG
 * stills), the V4L2 source, the default clock and the capture thread. A board
 * camera is one more source file. -DIVXS_CAPTURE_CORE_ONLY leaves everything
 * but the splitters and the arithmetic out of this header.
 *
 * Status codes: 0 or a positive count on success, a negative IVXS_CAPTURE_E*
 * (range -100 … -199) on error. Ring codes (-200 … -299) pass through unchanged
 * where a ring call failed; ivxs_capture_strerror() knows both.
 */
#ifndef IVXS_CAPTURE_H
#define IVXS_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include "ring.h"
#include "annexb.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
	IVXS_CAPTURE_OK = 0,
	IVXS_CAPTURE_EARG = -100,        /* bad argument or option */
	IVXS_CAPTURE_ENOMEM = -101,      /* allocation at start failed */
	IVXS_CAPTURE_EOPEN = -102,       /* file or device cannot be opened */
	IVXS_CAPTURE_EREAD = -103,       /* read error */
	IVXS_CAPTURE_ENOSTART = -104,    /* no Annex-B start code in the probe window */
	IVXS_CAPTURE_ENOKEY = -105,      /* no key frame in the probe window */
	IVXS_CAPTURE_ETOOBIG = -106,     /* access unit larger than the maximum (dropped) */
	IVXS_CAPTURE_EGARBAGE = -107,    /* bytes that are not NAL units (skipped) */
	IVXS_CAPTURE_ETRUNC = -108,      /* stream ends inside a frame (dropped) */
	IVXS_CAPTURE_EADTS = -109,       /* bad ADTS header or no ADTS frame (resynchronising) */
	IVXS_CAPTURE_ECODEC = -110,      /* codec unknown or unsupported */
	IVXS_CAPTURE_ESTATE = -111,      /* already running, or not prepared */
	IVXS_CAPTURE_ETHREAD = -112,     /* thread could not be created */
	IVXS_CAPTURE_ENOTDEV = -113,     /* not a V4L2 device */
	IVXS_CAPTURE_ECAPS = -114,       /* device cannot stream video capture */
	IVXS_CAPTURE_EFORMAT = -115,     /* device does not deliver H.264 */
	IVXS_CAPTURE_EIO = -116,         /* device ioctl, mmap or poll failed */
	IVXS_CAPTURE_ENOSTILL = -117,    /* no stills: folder missing, empty or not configured */
	IVXS_CAPTURE_EJPEG = -118,       /* still is not a complete JPEG (SOI/EOI) */
	IVXS_CAPTURE_ENOSPACE = -119,    /* caller's buffer is too small */
	IVXS_CAPTURE_EUNSUPPORTED = -120 /* not available on this platform */
};

/* Short fixed English message for a capture or ring status code. */
const char *ivxs_capture_strerror(int status);
/* The codes' names and messages (native/common/ivxs_status.h). */
extern const ivxs_status_entry ivxs_capture_statuses[];

/* ------------------------------------------------------------------------ */
/* Annex-B access-unit splitter (H.264 / H.265)                              */
/* ------------------------------------------------------------------------ */

/* Bytes of the splitter's buffer beyond the largest access unit. */
#define IVXS_AU_LOOKAHEAD 16

typedef struct {
	const uint8_t *data;     /* Annex-B bytes, start codes included */
	size_t size;
	int key;                 /* IDR (H.264 type 5) / IRAP (H.265 16..23, layer 0) present */
	int has_params;          /* SPS+PPS (H.264) / VPS+SPS+PPS (H.265) present */
	uint32_t nal_count;
	uint64_t nal_types;      /* bit n set: a NAL of type n is present */
	uint32_t info;           /* IVXS_AU_INFO_* (native/annexb/annexb.h) */
} ivxs_au;

/* All fields private. One AU is assembled at a time in a caller buffer; the
 * AU handed out by ivxs_au_next() stays valid until the next call on the
 * splitter. No allocation. Boundaries and NAL classes come from native/annexb
 * (the rules the XS binding and the scanner use): the splitter never hands
 * out an AU that ivxs_annexb_scan rejects. Every call makes progress: after
 * ivxs_au_next returns 0 (not finished), ivxs_au_space has room. */
typedef struct {
	ivxs_codec codec;
	uint8_t *buf;
	size_t cap, max_au;
	size_t head, len;        /* live bytes are buf[head, len) */
	size_t au_start, nal_sc, hdr, scan, bad_sc;
	uint8_t started, hdr_pending, skipping, ended, done, garbage_pending, trunc_pending,
		garbage_seen, zero_hdr;
	ivxs_annexb_au cur;
	uint64_t aus, errors, dropped, skipped_bytes;
} ivxs_au_splitter;

/* buf_size must exceed IVXS_AU_LOOKAHEAD; the largest AU is
 * buf_size - IVXS_AU_LOOKAHEAD bytes. Codec: IVXS_CODEC_H264 or _H265. */
int ivxs_au_init(ivxs_au_splitter *s, ivxs_codec codec, void *buf, size_t buf_size);
/* Forget all state and buffered bytes (new stream, e.g. after a rewind). */
void ivxs_au_reset(ivxs_au_splitter *s);
size_t ivxs_au_max(const ivxs_au_splitter *s);
/* Copy in up to len bytes; returns how many were taken (0 when full: call
 * ivxs_au_next until it returns 0, then feed the rest). */
size_t ivxs_au_feed(ivxs_au_splitter *s, const void *data, size_t len);
/* Zero-copy alternative to feed: write up to *avail bytes at the returned
 * pointer (e.g. fread into it), then ivxs_au_commit(n). */
uint8_t *ivxs_au_space(ivxs_au_splitter *s, size_t *avail);
void ivxs_au_commit(ivxs_au_splitter *s, size_t n);
/* No more input: the last NAL ends at the last byte. */
void ivxs_au_end(ivxs_au_splitter *s);
/* 1: *out is a complete AU; 0: need more input (or, after end, finished);
 * <0: IVXS_CAPTURE_EGARBAGE / ETOOBIG / ETRUNC — the bad bytes were dropped
 * and splitting resumes at the next AU boundary (call again). */
int ivxs_au_next(ivxs_au_splitter *s, ivxs_au *out);
/* 1 after end once everything was handed out. */
int ivxs_au_finished(const ivxs_au_splitter *s);

/* Describe a buffer already known to hold one AU (e.g. a V4L2 buffer):
 * NAL types, key, params. Returns the NAL count (0: no start code). */
int ivxs_au_describe(ivxs_codec codec, const void *data, size_t size, ivxs_au *out);

/* ------------------------------------------------------------------------ */
/* ADTS splitter (AAC)                                                      */
/* ------------------------------------------------------------------------ */

#define IVXS_ADTS_MAX_FRAME 8191                  /* 13-bit frame_length */
#define IVXS_ADTS_BUF (IVXS_ADTS_MAX_FRAME + 25)  /* a frame + the next header */

typedef struct {
	const uint8_t *data;     /* whole ADTS frame, header included */
	size_t size;
	uint32_t sample_rate;
	uint16_t samples;        /* 1024 per raw data block */
	uint8_t channels;        /* channel_configuration (0 = in a PCE) */
	uint8_t object_type;     /* AAC audio object type (profile + 1; 2 = AAC-LC) */
	uint8_t header_size;     /* 7, or 9 with CRC */
} ivxs_adts_frame;

typedef struct {
	uint8_t buf[IVXS_ADTS_BUF];
	size_t head, len;
	uint8_t ended, synced, in_error, trunc_reported;
	uint64_t frames, errors, skipped_bytes;
} ivxs_adts_splitter;

void ivxs_adts_init(ivxs_adts_splitter *s);
size_t ivxs_adts_feed(ivxs_adts_splitter *s, const void *data, size_t len);
uint8_t *ivxs_adts_space(ivxs_adts_splitter *s, size_t *avail);
void ivxs_adts_commit(ivxs_adts_splitter *s, size_t n);
void ivxs_adts_end(ivxs_adts_splitter *s);
/* 1: *out is a frame; 0: need more input (or finished after end);
 * <0: IVXS_CAPTURE_EADTS (once per bad run) or ETRUNC (stream ends mid-frame).
 * While in sync, a valid header's frame_length is trusted; to (re)gain sync
 * (at the start and after a bad header) a frame must be followed by another
 * sync word (or the end of the stream). */
int ivxs_adts_next(ivxs_adts_splitter *s, ivxs_adts_frame *out);
/* Parse a 7-byte header: 1 valid (fields in *out, data/size unset), 0 not. */
int ivxs_adts_parse_header(const uint8_t *h, size_t avail, ivxs_adts_frame *out);

/* ------------------------------------------------------------------------ */
/* Timestamp / pacing arithmetic and JPEG checks                            */
/* ------------------------------------------------------------------------ */

/* Offset of video frame n from the stream start, µs (fps = num/den). */
uint64_t ivxs_capture_video_offset_us(uint64_t n, uint32_t fps_num, uint32_t fps_den);
/* Offset of an audio frame starting at sample s, µs. */
uint64_t ivxs_capture_audio_offset_us(uint64_t samples, uint32_t rate);
/* 1 if data starts with SOI (FFD8FF) and ends with EOI (FFD9), trailing
 * zero/whitespace padding allowed. */
int ivxs_capture_jpeg_valid(const void *data, size_t size);
/* Which still (0-based) belongs to a clip position: floor(seconds) mod count. */
uint32_t ivxs_capture_still_index(uint64_t clip_pos_us, uint32_t count);

#ifndef IVXS_CAPTURE_CORE_ONLY
/* ------------------------------------------------------------------------ */
/* The capture object and the source interface                              */
/* ------------------------------------------------------------------------ */

/* Injected time. now_us: a monotonic clock in µs. sleep_until_us: block until
 * now_us() >= t (may return early; the caller re-checks). wall_ms: wall-clock
 * ms used as the default base timestamp (NULL: 0). */
typedef struct {
	uint64_t (*now_us)(void *ctx);
	void (*sleep_until_us)(void *ctx, uint64_t t_us);
	uint64_t (*wall_ms)(void *ctx);
	void *ctx;
} ivxs_capture_clock;

typedef struct {
	ivxs_frame_type type;
	ivxs_codec codec;
	int key;
	uint64_t timestamp_ms;
	const uint8_t *data;
	size_t size;
	uint64_t index;          /* frame number of this type since start */
	uint64_t loop;           /* completed loops of this stream's clip */
	uint64_t scheduled_us;   /* clock time it was due (paced streams) */
	uint64_t pushed_us;      /* clock time it went to the sink */
	uint32_t info;           /* video: IVXS_AU_INFO_* (annexb.h); audio: 0 */
} ivxs_capture_frame;

/* Where frames go (the capture object never touches a ring itself: the sink
 * ivxs_capture_ring_sink below pushes into one, a test's sink records). Called on the thread that steps
 * the source; the frame's bytes are valid during the call only. Returns 0
 * when the frame was taken, or a negative status: counted as a drop
 * (stats.ring_errors, last_ring_error); after a failed video frame the
 * capture waits for the next key frame (the decoder would miss a reference). */
typedef int (*ivxs_capture_sink)(void *ctx, const ivxs_capture_frame *frame);

/* The sink into a GOP ring (ctx: the ivxs_ring): each frame with its info
 * word. The XS binding's sink; the C tests and the benchmark use it too, so
 * they measure what the binding does. */
int ivxs_capture_ring_sink(void *ring, const ivxs_capture_frame *frame);

/* Called after each sink call with its result. */
typedef void (*ivxs_capture_observer)(void *ctx, const ivxs_capture_frame *frame,
		int sink_status);

typedef struct ivxs_capture ivxs_capture;

typedef struct {
	uint64_t frames_pushed;      /* taken by the sink */
	uint64_t video_frames, audio_frames, key_frames;
	uint64_t bytes_pushed;
	uint64_t loops;              /* video clip restarts */
	uint64_t dropped;            /* frames not pushed: split errors, sink errors,
	                                video before the first key frame */
	uint64_t ring_errors;        /* frames the sink refused */
	int last_ring_error;         /* its last status */
	uint64_t split_errors;       /* splitter errors (garbage, oversize, truncation) */
	int last_split_error;
	int fatal_error;             /* why the run ended early (0: it did not) */
	uint64_t max_late_us;        /* worst push lateness vs schedule (real-time pacing) */
	int running;
	int realtime;                /* the thread got the SCHED_FIFO priority asked for */
	uint32_t stills;             /* stills found at start */
	size_t footprint_bytes;      /* memory this capture holds now (object, source, buffers) */
} ivxs_capture_stats;

/* A source of frames: the capture core drives it and knows nothing of its
 * kind (file, V4L2 camera, board camera, a test's fake). prepare opens and
 * allocates what a run needs (errors are returned from ivxs_capture_prepare
 * and _start); step hands at most one frame to ivxs_capture_emit (or drops
 * one) and returns 1, or 0 when the source has ended, or a negative fatal
 * status; close undoes prepare (harmless when closed). The optional hooks:
 * release frees ctx when the capture is destroyed; stats adds the source's
 * stills and footprint_bytes; still copies the JPEG still that matches what
 * was pushed last (may be called from another thread while steps run;
 * returns its index, or a negative status, setting *len as
 * ivxs_capture_still does). All calls but still come from one thread. */
typedef struct {
	int (*prepare)(void *ctx, ivxs_capture *c);
	int (*step)(void *ctx, ivxs_capture *c);
	void (*close)(void *ctx);
	void (*release)(void *ctx);
	void (*stats)(void *ctx, ivxs_capture_stats *out);
	int (*still)(void *ctx, void *buf, size_t cap, size_t *len);
	void *ctx;
} ivxs_capture_source;

typedef struct {
	ivxs_capture_source source;       /* required: prepare, step, close */
	const ivxs_capture_clock *clock;  /* required: now_us, sleep_until_us */
	ivxs_capture_sink sink;           /* required */
	void *sink_ctx;
	ivxs_capture_observer observer;   /* optional */
	void *observer_ctx;
	int start_ms_set;                 /* 1: use start_ms as the first timestamp */
	uint64_t start_ms;                /* otherwise wall-clock ms at prepare */
	int rt_priority;                  /* >0: a runner thread asks for SCHED_FIFO at
	                                     this priority (best effort; stats.realtime) */
	size_t stack_bytes;               /* a board's capture task: its stack (0: the runner's
	                                     default, enough for the stream core; an encoder's
	                                     source asks for more) */
} ivxs_capture_config;

/* Create a capture over a source (copies the config; opens nothing). On
 * success the capture owns the source (release at destroy); on failure the
 * caller still does. What the sink writes to must outlive the capture. */
int ivxs_capture_create(ivxs_capture **out, const ivxs_capture_config *config);
/* Stops if running, closes, releases the source, frees; sets *c to NULL;
 * harmless on NULL. */
void ivxs_capture_destroy(ivxs_capture **c);

/* Driving a capture without a thread (tests; an RTOS task on a board):
 * prepare opens and probes the source; step pushes one frame (sleeping on
 * the clock until it is due under real-time pacing): 1 pushed or dropped,
 * 0 finished, <0 fatal; finish closes. Prepared captures can be prepared
 * again after finish: the source restarts and timestamps continue after the
 * last pushed ones. */
int ivxs_capture_prepare(ivxs_capture *c);
int ivxs_capture_step(ivxs_capture *c);
void ivxs_capture_finish(ivxs_capture *c);
/* Ask a running step loop to end (any thread): sleeps and the loop return. */
void ivxs_capture_request_stop(ivxs_capture *c);
int ivxs_capture_stop_requested(const ivxs_capture *c);

void ivxs_capture_get_stats(const ivxs_capture *c, ivxs_capture_stats *out);

/* The JPEG still for what was pushed last (sources with stills: the file
 * source's index = seconds into the clip mod still count). Copies it into
 * buf; *len = its size (also set on ENOSPACE); *ts_ms = the timestamp of the
 * last video frame pushed (the start timestamp before any). Safe to call
 * from another thread while running. */
int ivxs_capture_still(ivxs_capture *c, void *buf, size_t cap, size_t *len,
		uint64_t *ts_ms);

/* ---- for sources (called from their step / prepare) --------------------- */

uint64_t ivxs_capture_now_us(ivxs_capture *c);
/* Sleep until the clock reaches t_us, in slices so that a stop request is
 * seen promptly: 0 reached, 1 stop requested. */
int ivxs_capture_wait_until(ivxs_capture *c, uint64_t t_us);
/* Base timestamp of this run (chosen at prepare): start_ms or wall clock,
 * never before the timestamps already pushed by this capture. */
uint64_t ivxs_capture_base_ms(const ivxs_capture *c);
/* A frame out: a video frame while the capture waits for a key frame is
 * dropped (returns 0); otherwise it goes to the sink, is counted and
 * observed (returns 1, whatever the sink said). */
int ivxs_capture_emit(ivxs_capture *c, ivxs_capture_frame *f);
/* A restart must not go back before next_ms (the end of what was emitted). */
void ivxs_capture_advance(ivxs_capture *c, uint64_t next_ms);
/* count video frames lost (bad buffers, split errors): wait for a key frame */
void ivxs_capture_drop(ivxs_capture *c, uint64_t frames);
void ivxs_capture_split_error(ivxs_capture *c, int status);
void ivxs_capture_count_loop(ivxs_capture *c);

/* ------------------------------------------------------------------------ */
/* Stream source core: Annex-B video (+ ADTS audio) bytes → paced frames     */
/* ------------------------------------------------------------------------ */

typedef enum {
	IVXS_CAPTURE_PACE_REALTIME = 0,  /* push each frame at its time */
	IVXS_CAPTURE_PACE_FAST = 1       /* as fast as possible (timestamps unchanged) */
} ivxs_capture_pace;

/* Where a stream's bytes come from (a file, flash, memory in a test). read:
 * up to n bytes of the stream (IVXS_FRAME_VIDEO or _AUDIO) into buf; returns
 * the count, 0 at its end, <0 a status (IVXS_CAPTURE_EREAD). rewind: back to
 * the stream's first byte (looping, after the probe); 0 or <0. */
typedef struct {
	long (*read)(void *ctx, ivxs_frame_type stream, void *buf, size_t n);
	int (*rewind)(void *ctx, ivxs_frame_type stream);
	void *ctx;
} ivxs_capture_reader;

typedef struct {
	ivxs_capture_reader reader;  /* required */
	int has_audio;               /* an ADTS AAC stream beside the video */
	const ivxs_capture_reader *pcm;  /* 16-bit PCM, 8 kHz mono, native order: a G.711 track in
	                                * 20-ms frames beside them (optional; its stream argument is
	                                * IVXS_FRAME_AUDIO) */
	ivxs_codec pcm_codec;        /* IVXS_CODEC_PCMU or IVXS_CODEC_PCMA, with pcm */
	ivxs_codec video_codec;      /* 0: from the first NAL */
	uint32_t fps_num, fps_den;   /* video frame rate; 0 → 25/1 */
	ivxs_capture_pace pace;
	int once;                    /* 1: end at the end of the streams; 0: loop */
	size_t max_au_bytes;         /* 0 → 1 MiB */
	size_t read_chunk;           /* bytes per read; 0 → 64 KiB */
	size_t probe_bytes;          /* key frame must appear this early; 0 → 4 MiB */
} ivxs_capture_stream_config;

/* Splits, probes, timestamps, paces and loops the reader's streams; a
 * source's prepare/step/close call these (file source: file_source_linux.c).
 * prepare probes (codec, a start code and a key frame within probe_bytes, an
 * ADTS frame within 64 KiB), allocates and rewinds; close frees buffers. */
typedef struct ivxs_capture_stream ivxs_capture_stream;
int ivxs_capture_stream_create(ivxs_capture_stream **out, const ivxs_capture_stream_config *config);
void ivxs_capture_stream_destroy(ivxs_capture_stream **s);
int ivxs_capture_stream_prepare(ivxs_capture_stream *s, ivxs_capture *c);
int ivxs_capture_stream_step(ivxs_capture_stream *s, ivxs_capture *c);
void ivxs_capture_stream_close(ivxs_capture_stream *s);
/* Position in the clip of the last video frame pushed, µs (any thread). */
uint64_t ivxs_capture_stream_clip_us(const ivxs_capture_stream *s);
size_t ivxs_capture_stream_footprint(const ivxs_capture_stream *s);

/* ------------------------------------------------------------------------ */
/* Push source: frames handed over one by one by the pusher's own thread    */
/* ------------------------------------------------------------------------ */

/* A source fed by pushes (push_source.c): the encoder's thread (a C firmware's, through
 * libivxs's iv_cs_push_stream) calls ivxs_capture_push_frame, which steps the capture with that one
 * frame: key gating, counts and the sink (the ring: the only copy) run on the pusher's thread,
 * nothing is allocated. No runner thread: prepare (ivxs_capture_prepare) opens the feed,
 * finish closes it; the caller serialises push, prepare and finish (one mutex). */
typedef struct {
	ivxs_codec video_codec;           /* required: H264 or H265, what video pushes must carry */
	ivxs_codec audio_codec;           /* what audio pushes carry: AAC (ADTS; 0 means AAC), or PCMU / PCMA (G.711, a byte a
	                                   * sample at 8 kHz: a board's I2S microphone through its encoder) */
	const ivxs_capture_clock *clock;  /* required (wall_ms gives the base timestamp) */
	ivxs_capture_sink sink;           /* required */
	void *sink_ctx;
} ivxs_capture_push_config;

typedef struct ivxs_capture_push ivxs_capture_push;
/* The capture and its feed (*push lives as long as the capture). */
int ivxs_capture_create_push(ivxs_capture **out, ivxs_capture_push **push, const ivxs_capture_push_config *config);
/* One frame: pts_ms is the pusher's clock, mapped onto the capture's timeline (the run's first
 * pushed frame is at the wall clock as it is pushed, never before the run's base timestamp; audio
 * and video share the mapping). 0 taken; or
 * IVXS_CAPTURE_ESTATE (not prepared), _EARG (NULL or empty), _ECODEC (not the configured video
 * or audio codec), IVXS_RING_ETIME (before this run's first frame or the
 * stream's previous one), IVXS_RING_ENEEDKEY (video waits for a key frame), or what the sink
 * said (IVXS_RING_ETOOBIG, …). A refused frame changes nothing stored. */
int ivxs_capture_push_frame(ivxs_capture_push *push, ivxs_frame_type type, ivxs_codec codec, int key,
		uint64_t pts_ms, const void *data, size_t size);
/* The audio codec its pushes carry (the seed's iv_cs_push_stream names none for audio: the channel's). */
ivxs_codec ivxs_capture_push_audio_codec(const ivxs_capture_push *push);

/* ------------------------------------------------------------------------ */
/* Linux: file and V4L2 sources, the default clock, the capture thread      */
/* (the *_linux.c files; not part of the portable core)                     */
/* ------------------------------------------------------------------------ */

typedef struct {
	const char *video_path;      /* Annex-B H.264 or H.265 (required) */
	ivxs_codec video_codec;      /* 0: from the extension (.h264/.264/.avc,
	                                .h265/.265/.hevc), else from the first NAL */
	const char *audio_path;      /* ADTS AAC (optional) */
	const char *pcm_path;        /* 16-bit PCM, 8 kHz mono, little-endian: a G.711 track (optional) */
	ivxs_codec pcm_codec;        /* IVXS_CODEC_PCMU or IVXS_CODEC_PCMA, with pcm_path */
	const char *stills_dir;      /* folder of *.jpg, one per second of clip (optional) */
	uint32_t fps_num, fps_den;   /* video frame rate; 0 → 25/1 */
	ivxs_capture_pace pace;
	int once;                    /* 1: stop at EOF; 0: loop forever */
	int start_ms_set;            /* 1: use start_ms as the first timestamp */
	uint64_t start_ms;           /* otherwise wall-clock ms at start */
	size_t max_au_bytes;         /* 0 → 1 MiB */
	size_t read_chunk;           /* bytes per read; 0 → 64 KiB */
	size_t probe_bytes;          /* key frame must appear this early; 0 → 4 MiB */
	const ivxs_capture_clock *clock;  /* NULL → default clock */
	ivxs_capture_sink sink;           /* required */
	void *sink_ctx;
	ivxs_capture_observer observer;   /* optional */
	void *observer_ctx;
	int rt_priority;             /* >0: try SCHED_FIFO at this priority for the
	                                thread (best effort; see stats.realtime) */
} ivxs_capture_file_config;

/* The camera module's pins on a board (sensor_source_esp32.c), in this order; -1: not wired. */
enum {
	IVXS_CAPTURE_PIN_PWDN, IVXS_CAPTURE_PIN_RESET, IVXS_CAPTURE_PIN_XCLK, IVXS_CAPTURE_PIN_SDA, IVXS_CAPTURE_PIN_SCL,
	IVXS_CAPTURE_PIN_D0, IVXS_CAPTURE_PIN_D1, IVXS_CAPTURE_PIN_D2, IVXS_CAPTURE_PIN_D3, IVXS_CAPTURE_PIN_D4,
	IVXS_CAPTURE_PIN_D5, IVXS_CAPTURE_PIN_D6, IVXS_CAPTURE_PIN_D7, IVXS_CAPTURE_PIN_VSYNC, IVXS_CAPTURE_PIN_HREF,
	IVXS_CAPTURE_PIN_PCLK, IVXS_CAPTURE_PINS
};

typedef struct {
	const char *device;          /* e.g. /dev/video0; on a board "camera" (the sensor) or "pattern" */
	uint32_t width, height;      /* 0: keep the device's (a board: 320x240) */
	uint32_t fps_num, fps_den;   /* 0: keep the device's (a board: 10/1) */
	uint32_t buffers;            /* mmap buffers; 0 → 4 */
	/* a board's encoder and camera module (V4L2 ignores them) */
	uint32_t gop;                /* frames from one IDR to the next; 0 → 2 s of frames */
	uint32_t bitrate;            /* bit/s; 0 → 300 k */
	int pins_set;                /* 1: pins below; 0: the ESP32-S3-EYE's */
	int pins[IVXS_CAPTURE_PINS];
	int start_ms_set;
	uint64_t start_ms;
	const ivxs_capture_clock *clock;
	ivxs_capture_sink sink;      /* required */
	void *sink_ctx;
	ivxs_capture_observer observer;
	void *observer_ctx;
	int rt_priority;             /* as for the file source */
} ivxs_capture_v4l2_config;

/* CLOCK_MONOTONIC, relative sleeps to the absolute deadline (capture_thread_linux.c says why), CLOCK_REALTIME for wall_ms. */
const ivxs_capture_clock *ivxs_capture_default_clock(void);

int ivxs_capture_create_file(ivxs_capture **out, const ivxs_capture_file_config *config);
int ivxs_capture_create_v4l2(ivxs_capture **out, const ivxs_capture_v4l2_config *config);

/* Prepare, then step on a new thread until the source ends, fails or is
 * stopped. Errors from opening and probing are returned here. A second start
 * while running is IVXS_CAPTURE_ESTATE. Stopped captures can be started
 * again: the source restarts and timestamps continue after the last pushed
 * ones. A capture that ended by itself is reaped by the next start. */
int ivxs_capture_start(ivxs_capture *c);
/* Ask the thread to end, join it, close. Harmless when stopped. */
void ivxs_capture_stop(ivxs_capture *c);

#endif /* IVXS_CAPTURE_CORE_ONLY */

#ifdef __cplusplus
}
#endif
#endif
