/* The fMP4 core (native/fmp4) on made-up frames: the boxes and their fields, how fragments are
 * cut (parts, gop, duration, a jump, full tables), the held samples' durations, refusals that
 * change nothing, a new AAC configuration. tests/xs-only/segment-mux.test.ts checks it against
 * the media layer's muxer in JS on the fixture clips, byte for byte. */
#define IVXS_TEST_LEAVE return
#include "fmp4.h"
#include "annexb.h"
#include "ivxs_test.h"

#include <string.h>

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* A box of `type` at or after `from` in the header (its offset), or -1. */
static long findBox(const ivxs_fmp4_fragment *f, const char *type, long from)
{
	long i;
	for (i = from; i + 8 <= (long)f->header_size; i++)
		if (!memcmp(f->header + i + 4, type, 4))
			return i;
	return -1;
}

/* An H.264 IDR (with an AUD, SPS and PPS before it, as capture's key frames) or a P slice. */
static size_t frame264(uint8_t *out, int key, size_t payload)
{
	static const uint8_t keyHead[] = { 0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, 0, 0, 0, 1, 0x68, 0xce, 0x38, 0x80,
		0, 0, 0, 1, 0x65, 0x88 };
	static const uint8_t interHead[] = { 0, 0, 0, 1, 0x41, 0x9a };
	size_t n = key ? sizeof(keyHead) : sizeof(interHead), i;
	memcpy(out, key ? keyHead : interHead, n);
	for (i = 0; i < payload; i++)
		out[n + i] = (uint8_t)(0x80 | (i & 0x7f));
	return n + payload;
}

static uint32_t infoOf(int key)
{
	return key ? IVXS_AU_INFO_KEY | IVXS_AU_INFO_PARAMS | IVXS_AU_INFO_VCL | IVXS_AU_INFO_SPS | IVXS_AU_INFO_PPS | IVXS_AU_INFO_AUD
			| (4u << IVXS_AU_INFO_COUNT_SHIFT)
		: IVXS_AU_INFO_VCL | (1u << IVXS_AU_INFO_COUNT_SHIFT);
}

/* An ADTS frame: AAC-LC, 16 kHz (index 8), mono, `payload` bytes. */
static size_t adts(uint8_t *out, size_t payload, int rateIndex)
{
	size_t n = 7 + payload, i;
	out[0] = 0xff;
	out[1] = 0xf1;
	out[2] = (uint8_t)((1 << 6) | (rateIndex << 2));
	out[3] = (uint8_t)((1 << 6) | ((n >> 11) & 3));
	out[4] = (uint8_t)(n >> 3);
	out[5] = (uint8_t)(((n & 7) << 5) | 0x1f);
	out[6] = 0xfc;
	for (i = 0; i < payload; i++)
		out[7 + i] = (uint8_t)i;
	return n;
}

static ivxs_fmp4_options options(uint8_t mode)
{
	ivxs_fmp4_options o;
	memset(&o, 0, sizeof(o));
	o.video_codec = IVXS_ANNEXB_H264;
	o.audio = 1;
	o.mode = mode;
	o.fragment_ms = 200;
	o.origin_ms = 1000;
	o.first_sequence = 5;
	o.max_jump_ms = 10000;
	return o;
}

static ivxs_fmp4 gM;
static uint8_t gFrame[4096];

static void test_parts(void)
{
	ivxs_fmp4 *m = &gM;
	ivxs_fmp4_options o = options(IVXS_FMP4_PARTS);
	const ivxs_fmp4_fragment *f;
	size_t n;
	long at;
	int r, i;
	CHECK_EQ(ivxs_fmp4_init(m, &o), 0);
	ivxs_fmp4_set_video_duration(m, 6000);
	/* 15 fps: 3 frames (18000 ticks) fill a 200-ms part; the 4th cuts it */
	for (i = 0; i < 3; i++) {
		n = frame264(gFrame, i == 0, 100 + i);
		CHECK_EQ(ivxs_fmp4_video(m, (uint32_t)i, gFrame, n, 1000 + i * 66 + (i == 2), infoOf(i == 0)), 0);
	}
	n = frame264(gFrame, 0, 50);
	r = ivxs_fmp4_video(m, 3, gFrame, n, 1000 + 200, infoOf(0));
	CHECK_EQ(r, IVXS_FMP4_READY);
	CHECK_EQ(ivxs_fmp4_video(m, 4, gFrame, n, 1300, infoOf(0)), IVXS_FMP4_EBUSY);
	f = ivxs_fmp4_take(m);
	CHECK(f != NULL);
	CHECK(ivxs_fmp4_take(m) == NULL);
	CHECK_EQ(f->sequence, 5);
	CHECK_EQ(f->video_samples, 3);
	CHECK_EQ(f->audio_samples, 0);
	CHECK(f->key && f->new_init);
	CHECK(f->start_ms == 0);
	CHECK(!memcmp(f->header + 4, "moof", 4));
	CHECK_EQ(get32(f->header), f->header_size - 8);
	at = findBox(f, "tfdt", 0);
	CHECK(at > 0);
	CHECK_EQ(get32(f->header + at + 12), 0);
	CHECK_EQ(get32(f->header + at + 16), 0);
	at = findBox(f, "trun", 0);
	CHECK(at > 0);
	CHECK_EQ(get32(f->header + at + 8) & 0xffffff, 0x701);
	CHECK_EQ(get32(f->header + at + 12), 3);
	CHECK_EQ(get32(f->header + at + 16), f->header_size);
	/* durations 66 and 67 ms at 90 kHz; the key frame's sample is its slice alone (AUD, SPS, PPS out) */
	CHECK_EQ(get32(f->header + at + 20), 66 * 90);
	CHECK_EQ(get32(f->header + at + 24), 4 + 2 + 100);
	CHECK_EQ(get32(f->header + at + 28), 0x02000000);
	CHECK_EQ(get32(f->header + at + 32), 67 * 90);
	CHECK_EQ(get32(f->header + at + 40), 0x01010000);
	/* the third frame got the 200-ms frame's distance: 200 - 133 = 67 ms */
	CHECK_EQ(get32(f->header + at + 44), 67 * 90);
	at = findBox(f, "mdat", 0);
	CHECK_EQ((unsigned long)at, f->header_size - 8);
	CHECK_EQ(get32(f->header + at), 8 + (4 + 102) * 3 + 3);
	/* pieces: each NAL after its length; the key frame's slice starts past its AUD, SPS and PPS */
	CHECK_EQ(f->count, 3);
	CHECK_EQ(f->pieces[0].ref, 0);
	CHECK_EQ(f->pieces[0].offset, 26);
	CHECK_EQ(f->pieces[0].size, 102);
	CHECK_EQ(get32(f->header + f->pieces[0].prefix), 102);
	CHECK_EQ(f->pieces[1].offset, 4);
	CHECK_EQ(f->used, f->header_size + 12);
	/* flush: the held frame goes with the duration before it */
	CHECK_EQ(ivxs_fmp4_flush(m), IVXS_FMP4_READY);
	f = ivxs_fmp4_take(m);
	CHECK_EQ(f->sequence, 6);
	CHECK_EQ(f->video_samples, 1);
	CHECK(!f->key && !f->new_init);
	CHECK(f->start_ms == 200);
	at = findBox(f, "trun", 0);
	CHECK_EQ(get32(f->header + at + 20), 67 * 90);
	CHECK_EQ(ivxs_fmp4_flush(m), 0);
}

static void test_aud_fast_path(void)
{
	ivxs_fmp4 *m = &gM;
	ivxs_fmp4_options o = options(IVXS_FMP4_PARTS);
	static const uint8_t inter[] = { 0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x41, 0x9a, 1, 2, 3, 0, 0 };
	const uint32_t info = IVXS_AU_INFO_VCL | IVXS_AU_INFO_AUD | (2u << IVXS_AU_INFO_COUNT_SHIFT);
	const ivxs_fmp4_fragment *f;
	size_t n;
	CHECK_EQ(ivxs_fmp4_init(m, &o), 0);
	n = frame264(gFrame, 1, 10);
	CHECK_EQ(ivxs_fmp4_video(m, 0, gFrame, n, 1000, infoOf(1)), 0);
	/* the slice after the AUD, its trailing zero bytes trimmed */
	CHECK_EQ(ivxs_fmp4_video(m, 1, inter, sizeof(inter), 1040, info), 0);
	CHECK_EQ(ivxs_fmp4_flush(m), IVXS_FMP4_READY);
	f = ivxs_fmp4_take(m);
	CHECK_EQ(f->count, 2);
	CHECK_EQ(f->pieces[1].offset, 10);
	CHECK_EQ(f->pieces[1].size, 5);
}

static void test_refusals(void)
{
	ivxs_fmp4 *m = &gM;
	ivxs_fmp4_options o = options(IVXS_FMP4_GOP);
	static const uint8_t forbidden[] = { 0, 0, 0, 1, 0xe5, 1, 2 }, sps[] = { 0, 0, 0, 1, 0x67, 1, 2 };
	size_t n;
	CHECK_EQ(ivxs_fmp4_init(m, &o), 0);
	n = frame264(gFrame, 0, 10);
	CHECK_EQ(ivxs_fmp4_video(m, 0, gFrame, n, 1000, 0), IVXS_FMP4_ENOKEY);
	n = adts(gFrame, 20, 8);
	CHECK_EQ(ivxs_fmp4_audio(m, 0, gFrame, n, 1000), IVXS_FMP4_DROPPED);   /* before the video's first */
	n = frame264(gFrame, 1, 10);
	CHECK_EQ(ivxs_fmp4_video(m, 0, gFrame, n, 999, 0), IVXS_FMP4_ETIME);   /* before time 0 */
	CHECK_EQ(ivxs_fmp4_video(m, 0, forbidden, sizeof(forbidden), 1000, 0), IVXS_FMP4_EVIDEO);
	CHECK_EQ(ivxs_fmp4_video(m, 0, sps, sizeof(sps), 1000, 0), IVXS_FMP4_EVIDEO);   /* no slice */
	CHECK_EQ(ivxs_fmp4_video(m, 0, gFrame, 0, 1000, 0), IVXS_FMP4_EVIDEO);
	CHECK_EQ(ivxs_fmp4_video(m, 0, gFrame, n, 1000, 0), 0);
	CHECK_EQ(ivxs_fmp4_video(m, 1, gFrame, n, 1000, 0), IVXS_FMP4_ETIME);   /* repeated */
	n = adts(gFrame, 20, 8);
	gFrame[1] = 0xf3;   /* layer 1 */
	CHECK_EQ(ivxs_fmp4_audio(m, 1, gFrame, n, 1000), IVXS_FMP4_EADTS);
	gFrame[1] = 0xf1;
	CHECK_EQ(ivxs_fmp4_audio(m, 1, gFrame, n - 1, 1000), IVXS_FMP4_EADTS);   /* frame_length not its size */
	CHECK_EQ(ivxs_fmp4_audio(m, 1, gFrame, n, 1000), IVXS_FMP4_NEW_AUDIO);
	CHECK_EQ(ivxs_fmp4_audio(m, 2, gFrame, n, 1064), 0);
	/* a new configuration (48 kHz) cuts the fragment; the next one has an init before it */
	n = adts(gFrame, 20, 3);
	CHECK_EQ(ivxs_fmp4_audio(m, 3, gFrame, n, 1128), IVXS_FMP4_NEW_AUDIO | IVXS_FMP4_READY);
	CHECK(ivxs_fmp4_take(m)->new_init);
	CHECK_EQ(ivxs_fmp4_flush(m), IVXS_FMP4_READY);
	CHECK(ivxs_fmp4_take(m)->new_init);
	o.video_codec = 0;
	o.audio = 0;
	CHECK_EQ(ivxs_fmp4_init(m, &o), IVXS_EARG);
	o.audio = 1;
	CHECK_EQ(ivxs_fmp4_init(m, &o), 0);
	n = frame264(gFrame, 1, 10);
	CHECK_EQ(ivxs_fmp4_video(m, 0, gFrame, n, 1000, 0), IVXS_FMP4_ETRACK);
}

static void test_gop_jump_and_full_tables(void)
{
	ivxs_fmp4 *m = &gM;
	ivxs_fmp4_options o = options(IVXS_FMP4_GOP);
	const ivxs_fmp4_fragment *f;
	size_t n;
	int i, r, fragments = 0;
	uint32_t samples = 0;
	CHECK_EQ(ivxs_fmp4_init(m, &o), 0);
	/* a GOP of 100 frames is cut at the table's 64 samples, then at the next key frame */
	for (i = 0; i < 130; i++) {
		n = frame264(gFrame, i % 100 == 0, 8);
		r = ivxs_fmp4_video(m, (uint32_t)i, gFrame, n, 1000 + i * 40 + (i >= 120 ? 20000 : 0), infoOf(i % 100 == 0));
		CHECK(r >= 0);
		if (r & IVXS_FMP4_READY) {
			f = ivxs_fmp4_take(m);
			samples += f->video_samples;
			CHECK_EQ(f->video_samples, fragments == 0 ? 64 : fragments == 1 ? 36 : 20);
			CHECK_EQ(f->key, fragments != 1);
			if (fragments == 2) {
				long at = findBox(f, "trun", 0);
				/* the frame before the 20-s jump takes the duration before it */
				CHECK_EQ(get32(f->header + at + 20 + 19 * 12), 40 * 90);
			}
			fragments++;
		}
	}
	CHECK_EQ(fragments, 3);
	CHECK_EQ(ivxs_fmp4_flush(m), IVXS_FMP4_READY);
	f = ivxs_fmp4_take(m);
	samples += f->video_samples;
	CHECK_EQ(samples, 130);
	CHECK(f->start_ms == 120 * 40 + 20000);
}

int main(void)
{
	ivxs_test_run("parts: boxes, durations, pieces, flush", test_parts);
	ivxs_test_run("an inter frame of an AUD and a slice, as its info word says", test_aud_fast_path);
	ivxs_test_run("refusals change nothing; a new AAC configuration", test_refusals);
	ivxs_test_run("gop: full tables and a jump cut fragments", test_gop_jump_and_full_tables);
	return ivxs_test_summary();
}
