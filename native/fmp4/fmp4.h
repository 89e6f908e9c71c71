/*
 * Fragmented MP4 from ring frames — the fragments (moof + mdat) of one stream
 * (portable core: no XS headers, no allocation, no stdio).
 *
 * Frames go in as the ring holds them (H.264/H.265 Annex-B access units with
 * capture's AU info word, AAC in ADTS, timestamps in whole ms); fragments come
 * out as a header (moof, the mdat header, then every video NAL's 4-byte length)
 * and a list of pieces naming the bytes each sample takes from its frame. No
 * payload is copied: a frame's bytes must stay where they are until its
 * fragment has been taken, and the caller names each frame with a `ref` of its
 * own (the binding: a slot holding the frame's view). The same frames always
 * give the same bytes, so a fragment is made again by reading the ring again.
 *
 * The rules are the fMP4 muxer's (modules/media/fmp4-muxer.ts, track.ts,
 * mp4-boxes.ts), for one case: PTS = DTS (the ring carries one time), the
 * stream's time 0 given (`origin_ms`), a jump of more than `max_jump_ms` a
 * discontinuity, and the video configuration fixed for the whole stream (a key
 * frame with other parameter sets starts a new stream: the caller checks it,
 * and builds the init segment). Each sample is held until the next one of its
 * track gives its duration; the last of a fragment gets the one before's.
 * Fragments are cut before a key frame ("gop"), before a frame that would take
 * the fragment past `fragment_ms` ("parts": LL-HLS parts), or at the first
 * frame once it reached it ("duration"); audio alone cuts by duration. A
 * fragment is also cut when a track's samples or NAL units fill this core's
 * fixed tables (IVXS_FMP4_*_SAMPLES, IVXS_FMP4_NALS): far past what a part
 * or a GOP of a camera holds.
 *
 * Every call either takes the frame and changes the state, or returns an
 * IVXS_FMP4_E* code and changes nothing.
 */
#ifndef IVXS_FMP4_H
#define IVXS_FMP4_H
#include <stddef.h>
#include <stdint.h>
#include "ivxs_status.h"
#ifdef __cplusplus
extern "C" {
#endif

enum {   /* fmp4's range: -700 … -799 (ivxs_status.h) */
	IVXS_FMP4_ETIME = -701,      /* a timestamp repeated, backwards, before time 0 or out of range */
	IVXS_FMP4_ENOKEY = -702,     /* video must start with a key frame */
	IVXS_FMP4_EVIDEO = -703,     /* a malformed access unit (no slice, a NAL cut short, bad Annex-B) */
	IVXS_FMP4_EADTS = -704,      /* a malformed or unsupported ADTS frame */
	IVXS_FMP4_ETRACK = -705,     /* the stream has no such track */
	IVXS_FMP4_EFULL = -706,      /* one sample has more NAL units than a fragment holds */
	IVXS_FMP4_EBUSY = -707       /* a fragment is waiting to be taken */
};
extern const ivxs_status_entry ivxs_fmp4_statuses[];
const char *ivxs_fmp4_strerror(int status);

#define IVXS_FMP4_VIDEO_SAMPLES 64
#define IVXS_FMP4_AUDIO_SAMPLES 128
#define IVXS_FMP4_NALS 192
/* NAL units of one access unit, at most */
#define IVXS_FMP4_SAMPLE_NALS 64
/* moof + mdat header + the NAL lengths, at most */
#define IVXS_FMP4_HEADER_BYTES (8 + 16 + (8 + 16 + 20 + 20 + 12 * IVXS_FMP4_VIDEO_SAMPLES) + \
		(8 + 16 + 20 + 20 + 8 * IVXS_FMP4_AUDIO_SAMPLES) + 8 + 4 * IVXS_FMP4_NALS)
#define IVXS_FMP4_PIECES (IVXS_FMP4_NALS + IVXS_FMP4_AUDIO_SAMPLES)
/* The largest frame reference plus one a fragment may hold at once (samples + the held two):
 * a caller that numbers frames by a counter keeps their views in a table this large. */
#define IVXS_FMP4_REFS 256

enum { IVXS_FMP4_GOP = 0, IVXS_FMP4_PARTS = 1, IVXS_FMP4_DURATION = 2 };

/* What a call returns when it took the frame (flags, >= 0). */
#define IVXS_FMP4_READY 1        /* a fragment is in `out`: take it before the next call */
#define IVXS_FMP4_DROPPED 2      /* an audio frame before the video's first, or before time 0: left out */
#define IVXS_FMP4_NEW_AUDIO 4    /* this frame's AAC configuration differs from the last one's */

typedef struct {
	uint8_t video_codec;     /* 1 H.264, 2 H.265 (ring.h's codecs), 0: no video track */
	uint8_t audio;           /* an AAC track */
	uint8_t mode;            /* IVXS_FMP4_GOP / PARTS / DURATION */
	uint32_t fragment_ms;    /* parts and duration: the target (> 0) */
	int64_t origin_ms;       /* the stream's time 0 */
	uint32_t first_sequence; /* the first fragment's mfhd number (>= 1) */
	uint32_t max_jump_ms;    /* a larger step between two frames of a track is a discontinuity */
} ivxs_fmp4_options;

/* Bytes of the fragment that come from a frame: its `ref`, where in the frame, how many;
 * a video NAL's piece follows its length at `prefix` in the header (audio: UINT32_MAX). */
typedef struct {
	uint32_t ref, offset, size, prefix;
} ivxs_fmp4_piece;

typedef struct {
	uint8_t header[IVXS_FMP4_HEADER_BYTES];
	uint32_t header_size;    /* moof + the mdat header; the NAL lengths follow up to `used` */
	uint32_t used;
	ivxs_fmp4_piece pieces[IVXS_FMP4_PIECES];
	uint32_t count;          /* pieces */
	uint32_t sequence;
	uint32_t video_samples, audio_samples;
	uint8_t key;             /* starts with a video key frame (always, for audio alone) */
	uint8_t new_init;        /* an init segment goes before it (the first, or a new AAC configuration) */
	double start_ms;         /* its start, ms from time 0 (the video's, when there is video) */
} ivxs_fmp4_fragment;

typedef struct {
	uint32_t ref, offset, size;
} ivxs_fmp4_span;

typedef struct {
	uint64_t base;           /* the first sample's decode time, in the track's timescale */
	uint32_t count;          /* samples in the fragment (the held one not counted) */
	uint64_t duration;       /* sum of their durations */
	uint32_t durations[IVXS_FMP4_AUDIO_SAMPLES + 1];
	uint32_t sizes[IVXS_FMP4_AUDIO_SAMPLES + 1];
	uint8_t keys[IVXS_FMP4_VIDEO_SAMPLES + 1];
	uint16_t nals[IVXS_FMP4_VIDEO_SAMPLES + 1];   /* video: each sample's NAL count */
	uint32_t last_duration;
	/* the held sample (at index `count` of the tables above) */
	uint8_t holding;
	uint64_t held_dts;
	/* the track's previous frame time (ms), for the timestamp rules */
	uint8_t started;
	int64_t last_ms;
} ivxs_fmp4_track;

typedef struct {
	ivxs_fmp4_options o;
	uint32_t sequence;       /* the last fragment's mfhd number */
	uint32_t default_video_duration;   /* 90 kHz: a fragment's only sample, after a jump */
	ivxs_fmp4_track video, audio;
	/* video NAL spans of the fragment's samples, the held one's last */
	ivxs_fmp4_span spans[IVXS_FMP4_NALS];
	uint32_t span_count;
	ivxs_fmp4_span scratch[IVXS_FMP4_SAMPLE_NALS];   /* the access unit being taken */
	ivxs_fmp4_span audio_spans[IVXS_FMP4_AUDIO_SAMPLES + 1];
	uint64_t run_bytes;      /* mdat bytes of the samples, the held ones included */
	uint32_t audio_config;   /* object type, rate index, channels of the last AAC frame (0: none yet) */
	uint32_t audio_rate;
	uint32_t init_audio_config;
	uint8_t init_written;
	uint8_t ready;           /* `out` holds a fragment not taken */
	ivxs_fmp4_fragment out;
} ivxs_fmp4;

/* 0, or IVXS_EARG for options out of range. */
int ivxs_fmp4_init(ivxs_fmp4 *m, const ivxs_fmp4_options *options);
/* The duration a video sample gets when nothing else gives one (90 kHz; default 3600):
 * 90000 / the stream's frame rate, as its SPS says. */
void ivxs_fmp4_set_video_duration(ivxs_fmp4 *m, uint32_t ticks);
/* One video access unit (Annex-B) at `ms`, with capture's AU info word (0: none). */
int ivxs_fmp4_video(ivxs_fmp4 *m, uint32_t ref, const uint8_t *au, size_t size, int64_t ms, uint32_t info);
/* One ADTS frame at `ms`. */
int ivxs_fmp4_audio(ivxs_fmp4 *m, uint32_t ref, const uint8_t *adts, size_t size, int64_t ms);
/* 1 when an ADTS frame's configuration is not the last one taken's (its `audio` call would say
 * IVXS_FMP4_NEW_AUDIO): a caller that reads frames on its own stops there for the new one. */
int ivxs_fmp4_audio_is_new(const ivxs_fmp4 *m, const uint8_t *adts, size_t size);
/* Ends the fragment, the held samples with the durations before them. */
int ivxs_fmp4_flush(ivxs_fmp4 *m);
/* The fragment made ready (NULL: none); it is gone at the next call but this one. */
const ivxs_fmp4_fragment *ivxs_fmp4_take(ivxs_fmp4 *m);

#ifdef __cplusplus
}
#endif
#endif
