/*
 * Annex-B byte streams (H.264 / H.265) — the one implementation of the rules
 * (portable core: no XS headers, no allocation, no stdio).
 *
 *   - start-code search (3- and 4-byte start codes, leading zero bytes);
 *   - NAL scanning of a whole buffer, one NAL at a time (no count limit);
 *   - NAL header classification (type, validity, VCL, key, starts-an-AU);
 *   - access-unit boundaries (H.264 7.4.1.2.3 / H.265 7.4.2.4.4) and the
 *     32-bit AU info word (IVXS_AU_INFO_*) that travels with each frame.
 *
 * Capture's incremental splitter (native/capture/au_splitter.c) and the XS
 * binding (modannexb.c) both use these functions. modules/media/annexb.ts
 * keeps a JS copy of the same rules for Node; tests/xs-only/annexb.test.ts
 * checks on XS that both give the same answers.
 *
 * Scanner rules: a NAL runs from the byte after 00 00 01 to the next 00 00 01
 * (or the end), trailing zero bytes trimmed. Errors: empty buffer, no start
 * code, non-zero bytes before the first start code, an empty NAL between two
 * start codes, a start code with nothing after it, forbidden_zero_bit set.
 */
#ifndef IVXS_ANNEXB_H
#define IVXS_ANNEXB_H

#include <stddef.h>
#include <stdint.h>

#include "ivxs_status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {   /* annexb's range: -300 … -399 (ivxs_status.h) */
	IVXS_ANNEXB_EEMPTY = -301,    /* empty buffer */
	IVXS_ANNEXB_ENOSTART = -302,  /* no start code */
	IVXS_ANNEXB_EGARBAGE = -303,  /* non-zero bytes before the first start code */
	IVXS_ANNEXB_EEMPTYNAL = -304, /* two start codes with nothing between */
	IVXS_ANNEXB_ETRUNC = -305,    /* start code at the very end */
	IVXS_ANNEXB_EFORBIDDEN = -306, /* forbidden_zero_bit set in a NAL header */
	IVXS_ANNEXB_EFULL = -307,     /* more NAL units than out can hold (ivxs_annexb_scan) */
	IVXS_ANNEXB_EHEADER = -308,   /* H.265 header cut short or nuh_temporal_id_plus1 == 0 */
	IVXS_ANNEXB_ECODEC = -309     /* codec is neither H.264 nor H.265 */
};

/* Codecs: the values of ivxs_codec (native/ring/ring.h). */
#define IVXS_ANNEXB_H264 1
#define IVXS_ANNEXB_H265 2

/* Short fixed English message for an IVXS_ANNEXB_E* code. */
const char *ivxs_annexb_strerror(int status);
/* The codes' names and messages (native/common/ivxs_status.h). */
extern const ivxs_status_entry ivxs_annexb_statuses[];

/* Index of the first byte of the next 00 00 01 at or after from, or -1. */
long ivxs_annexb_find_start(const uint8_t *data, size_t size, size_t from);

/* ---- NAL scanning -------------------------------------------------------- */

typedef struct {
	uint32_t sc;      /* start code offset (its zero_byte included, when it has one) */
	uint32_t start;   /* first byte of the NAL header */
	uint32_t end;     /* exclusive, trailing zero bytes trimmed */
} ivxs_annexb_span;

/* Scan position; holds offsets only, so the caller may pass the buffer again
 * at a new address between calls (a garbage collector moved it). Zero it to
 * start (or call ivxs_annexb_cursor_init). */
typedef struct {
	long next;        /* start code of the next NAL, -1 none */
	uint32_t count;   /* NAL units returned so far */
	uint32_t prev_end;
	uint8_t started, done;
} ivxs_annexb_cursor;

void ivxs_annexb_cursor_init(ivxs_annexb_cursor *cursor);
/* 1: *span is the next NAL; 0: no more; <0: an IVXS_ANNEXB_E* error (the
 * same one again on later calls). Buffers above 4 GiB are refused (EFULL). */
int ivxs_annexb_next_nal(const uint8_t *data, size_t size, ivxs_annexb_cursor *cursor,
		ivxs_annexb_span *span);

/* All NAL units at once: triples [sc, start, end) into out (3 * max_nals
 * entries). Returns the NAL count, or an error (EFULL when out is short). */
int ivxs_annexb_scan(const uint8_t *data, size_t size, uint32_t *out, size_t max_nals);

/* ---- NAL classification and access-unit boundaries ------------------------ */

typedef struct {
	uint8_t type;       /* nal_unit_type */
	uint8_t layer;      /* nuh_layer_id (H.265; 0 for H.264) */
	uint8_t valid;      /* forbidden_zero_bit clear; H.265: 2-byte header, temporal id plus 1 != 0 */
	uint8_t vcl;        /* H.264 types 1-5, H.265 types 0-31 */
	uint8_t key;        /* H.264 IDR (5); H.265 IRAP (16-23) of layer 0 */
	uint8_t starts_au;  /* starts a new AU when the current one already holds a VCL NAL */
} ivxs_annexb_nal;

/* nal_unit_type of the NAL whose header starts at h (h must hold one byte):
 * the one place the header's layout is read in C. */
uint8_t ivxs_annexb_nal_type(int codec, const uint8_t *h);

/* Bytes of a NAL needed to classify it: the header, plus the first slice
 * header byte for slices (first_mb_in_slice / first_slice_segment_in_pic_flag).
 * h must hold at least one byte. */
size_t ivxs_annexb_nal_need(int codec, const uint8_t *h);

/* Classify the NAL at h from its first avail bytes (a NAL shorter than
 * ivxs_annexb_nal_need is classified as if the missing bits were zero).
 * Boundary rules, from the standards:
 *   H.264 (7.4.1.2.3): SEI (6), SPS (7), PPS (8), AUD (9), 14-18, and the
 *     first slice of a picture (types 1, 2, 5 with first_mb_in_slice == 0)
 *     start an AU; partitions B/C (3, 4) carry slice_id, never start one.
 *   H.265 (7.4.2.4.4): only NAL units with nuh_layer_id 0 start an AU: VPS,
 *     SPS, PPS (32-34), AUD (35), prefix SEI (39), 41-44, 48-55, and a VCL NAL
 *     (0-31) with first_slice_segment_in_pic_flag set.
 * Not detected (they need slice-header parsing with the parameter sets):
 * arbitrary slice order and redundant pictures (H.264 7.4.1.2.4). */
void ivxs_annexb_classify(int codec, const uint8_t *h, size_t avail, ivxs_annexb_nal *out);

/*
 * The AU info word: what capture learnt about an access unit, carried with
 * the frame (frame.info in JS) so consumers need not scan it again.
 *   bit 0        KEY     IDR / IRAP picture
 *   bit 1        PARAMS  SPS+PPS (H.264) / VPS+SPS+PPS (H.265) all present
 *   bits 2-7     which kinds of NAL units are present
 *   bits 8-15    NAL unit count (saturates at 255)
 *   bits 16-21   nal_unit_type of the first VCL NAL (valid when VCL is set)
 *   bit 22       H265    the codec is H.265 (else H.264)
 *   bits 23-31   zero (reserved)
 */
#define IVXS_AU_INFO_KEY        (1u << 0)
#define IVXS_AU_INFO_PARAMS     (1u << 1)
#define IVXS_AU_INFO_VCL        (1u << 2)
#define IVXS_AU_INFO_VPS        (1u << 3)
#define IVXS_AU_INFO_SPS        (1u << 4)
#define IVXS_AU_INFO_PPS        (1u << 5)
#define IVXS_AU_INFO_AUD        (1u << 6)
#define IVXS_AU_INFO_SEI        (1u << 7)
#define IVXS_AU_INFO_COUNT_SHIFT 8
#define IVXS_AU_INFO_COUNT_MASK (0xffu << IVXS_AU_INFO_COUNT_SHIFT)
#define IVXS_AU_INFO_VCL_TYPE_SHIFT 16
#define IVXS_AU_INFO_VCL_TYPE_MASK (0x3fu << IVXS_AU_INFO_VCL_TYPE_SHIFT)
#define IVXS_AU_INFO_H265       (1u << 22)

#define IVXS_AU_INFO_COUNT(info) (((info) & IVXS_AU_INFO_COUNT_MASK) >> IVXS_AU_INFO_COUNT_SHIFT)
#define IVXS_AU_INFO_VCL_TYPE(info) (((info) & IVXS_AU_INFO_VCL_TYPE_MASK) >> IVXS_AU_INFO_VCL_TYPE_SHIFT)

/* The access unit being assembled. Zero it (or ivxs_annexb_au_clear) to begin. */
typedef struct {
	uint32_t info;        /* IVXS_AU_INFO_* of the NAL units added so far */
	uint32_t nal_count;   /* not saturated */
	uint64_t nal_types;   /* bit n: a NAL of type n is present */
} ivxs_annexb_au;

void ivxs_annexb_au_clear(ivxs_annexb_au *au, int codec);
/* 1 if nal starts a new AU given what au holds (a VCL NAL, then a boundary). */
int ivxs_annexb_au_starts(const ivxs_annexb_au *au, const ivxs_annexb_nal *nal);
/* Adds a NAL (after the caller closed the previous AU if it started one). */
void ivxs_annexb_au_add(ivxs_annexb_au *au, int codec, const ivxs_annexb_nal *nal);

/* Whole-buffer AU grouping (tools, the XS binding): the next AU of a stream
 * held in memory. The AU runs from its first start code to the next AU's
 * (the last one to the end of data); a trailing group without a picture is
 * returned too (info without IVXS_AU_INFO_VCL). 1: *start, *end, *info set;
 * 0: no more; <0: a scanner error or EHEADER (invalid H.265 header). The
 * first call scans the whole buffer once, so a scanner error anywhere comes
 * before any AU and before a header error (as in the JS copy). */
typedef struct {
	ivxs_annexb_cursor nals;
	ivxs_annexb_span pending;   /* first NAL of the next AU */
	uint8_t has_pending, done, checked;
	uint32_t au_start;
} ivxs_annexb_au_cursor;

void ivxs_annexb_au_cursor_init(ivxs_annexb_au_cursor *cursor);
int ivxs_annexb_next_au(int codec, const uint8_t *data, size_t size,
		ivxs_annexb_au_cursor *cursor, uint32_t *start, uint32_t *end, uint32_t *info);

#ifdef __cplusplus
}
#endif
#endif
