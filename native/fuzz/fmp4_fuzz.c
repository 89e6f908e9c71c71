/*
 * libFuzzer harness over the fMP4 core (native/fmp4), built by native/fuzz/run.mjs.
 *
 * Input: a 2-byte header, then frames. Header: byte 0 bit 0 the codec (H.264 / H.265), bit 1 no
 * audio track, bit 2 no video track, bits 3-4 the mode (gop, parts, duration); byte 1 the
 * fragment target (1 + value * 8 ms). A frame: byte 0 bit 0 audio, bit 1 "a key frame" in the info
 * word, bit 2 "one VCL NAL" in it (after an AUD when the step is odd), bits 3-7 a time step (0 … 24 ms; 25 … 30: that
 * many times 400 ms, a jump; 31: back by 40 ms), then its
 * length (2 bytes, at most what is left) and its bytes. Every 16th frame flushes too.
 *
 * Checked (a failed check aborts, which libFuzzer reports with the input):
 *   - a call returns its flags or one of the core's codes; READY exactly when take() has a fragment;
 *   - every piece lies inside the frame its ref names, which was taken; a NAL's length field
 *     holds its size; the pieces come in the frames' order;
 *   - the boxes' sizes add up (moof = the header, mdat = its header + the lengths + the pieces),
 *     the mfhd numbers follow one another, and the samples emitted are the frames taken.
 */
#include "fmp4.h"
#include "annexb.h"
#include "fuzz.h"

#include <stdint.h>
#include <string.h>

#define MAX_FRAMES 4096

typedef struct {
	const uint8_t *data;
	uint32_t size;
	uint8_t taken;
} Frame;

static Frame gFrames[MAX_FRAMES];
static ivxs_fmp4 gM;

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint32_t gSequence, gSamples;
static int64_t gLastRef;

static void checkFragment(int flags)
{
	const ivxs_fmp4_fragment *f = ivxs_fmp4_take(&gM);
	uint64_t mdat = 8;
	uint32_t i;
	REQUIRE((flags & IVXS_FMP4_READY) ? f != NULL : f == NULL);
	if (!f)
		return;
	REQUIRE(ivxs_fmp4_take(&gM) == NULL);
	REQUIRE(f->sequence == gSequence + 1);
	gSequence = f->sequence;
	REQUIRE(f->header_size >= 8 + 16 + 8 && f->used <= IVXS_FMP4_HEADER_BYTES && f->used >= f->header_size);
	REQUIRE(get32(f->header) == f->header_size - 8 && !memcmp(f->header + 4, "moof", 4));
	REQUIRE(!memcmp(f->header + f->header_size - 4, "mdat", 4));
	REQUIRE(f->video_samples + f->audio_samples > 0 && f->count >= f->video_samples + f->audio_samples);
	gSamples += f->video_samples + f->audio_samples;
	for (i = 0; i < f->count; i++) {
		const ivxs_fmp4_piece *p = &f->pieces[i];
		REQUIRE(p->ref < MAX_FRAMES && gFrames[p->ref].taken);
		REQUIRE(p->size > 0 && (uint64_t)p->offset + p->size <= gFrames[p->ref].size);
		if (p->prefix != UINT32_MAX) {
			REQUIRE(p->prefix >= f->header_size && p->prefix + 4 <= f->used);
			REQUIRE(get32(f->header + p->prefix) == p->size);
			mdat += 4;
		}
		mdat += p->size;
	}
	REQUIRE(get32(f->header + f->header_size - 8) == mdat);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ivxs_fmp4_options o;
	size_t at = 2;
	uint32_t n = 0, taken = 0;
	int64_t ms = 1000;
	if (size < 2)
		return 0;
	memset(&o, 0, sizeof(o));
	o.video_codec = (data[0] & 4) ? 0 : (data[0] & 1) ? IVXS_ANNEXB_H265 : IVXS_ANNEXB_H264;
	o.audio = (data[0] & 2) ? 0 : 1;
	if (!o.video_codec && !o.audio)
		o.audio = 1;
	o.mode = (uint8_t)(((data[0] >> 3) & 3) % 3);
	o.fragment_ms = 1 + data[1] * 8u;
	o.origin_ms = 1000;
	o.first_sequence = 1;
	o.max_jump_ms = 100;
	REQUIRE(ivxs_fmp4_init(&gM, &o) == 0);
	gSequence = 0;
	gSamples = 0;
	gLastRef = -1;
	while (at + 3 <= size && n < MAX_FRAMES) {
		uint8_t kind = data[at];
		uint32_t length = ((uint32_t)data[at + 1] << 8) | data[at + 2], step = kind >> 3, info = 0;
		int r;
		at += 3;
		if (length > size - at)
			length = (uint32_t)(size - at);
		ms += step == 31 ? -40 : (int64_t)step * (step > 24 ? 400 : 1);
		gFrames[n].data = data + at;
		gFrames[n].size = length;
		gFrames[n].taken = 0;
		if (kind & 2)
			info |= IVXS_AU_INFO_KEY;
		if (kind & 4)   /* one VCL NAL, after an AUD when the step is odd */
			info |= IVXS_AU_INFO_VCL | ((step & 1) ? (2u << IVXS_AU_INFO_COUNT_SHIFT) | IVXS_AU_INFO_AUD : (1u << IVXS_AU_INFO_COUNT_SHIFT))
				| (o.video_codec == IVXS_ANNEXB_H265 ? IVXS_AU_INFO_H265 : 0);
		r = (kind & 1) ? ivxs_fmp4_audio(&gM, n, data + at, length, ms) : ivxs_fmp4_video(&gM, n, data + at, length, ms, info);
		REQUIRE(r >= 0 || r == IVXS_FMP4_ETIME || r == IVXS_FMP4_ENOKEY || r == IVXS_FMP4_EVIDEO || r == IVXS_FMP4_EADTS
			|| r == IVXS_FMP4_ETRACK || r == IVXS_FMP4_EFULL);
		if (r >= 0 && !(r & IVXS_FMP4_DROPPED)) {
			gFrames[n].taken = 1;
			taken++;
		}
		checkFragment(r >= 0 ? r : 0);
		if (n % 16 == 15)
			checkFragment(ivxs_fmp4_flush(&gM));
		at += length;
		n++;
	}
	checkFragment(ivxs_fmp4_flush(&gM));
	REQUIRE(gSamples == taken);
	return 0;
}
