/* Tests of the H.264 / H.265 RTP packetizer (rtp_video.h): the fixture clips cut into access
 * units, each packetized at a browser's MTU (1200) and at a small one (every slice in FUs), then
 * put back together by an independent depacketizer written here from RFC 6184 / RFC 7798 —
 * every NAL unit but the delimiters must come back byte for byte, in order. Also: packet sizes,
 * sequence numbers, marker bits, timestamps, aggregation of parameter sets, damaged input.
 * Ends with "N passed, N failed". */
#include "rtp_video.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivxs_test.h"

static uint8_t *readFixture(const char *name, size_t *size)
{
	char path[512];
	const char *dir = getenv("IVXS_FIXTURES");
	FILE *f;
	uint8_t *data;
	long n;
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "fixtures/media", name);
	if (!(f = fopen(path, "rb")))
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)n);
	if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		data = NULL;
	}
	fclose(f);
	*size = (size_t)n;
	return data;
}

/* The reference: the NAL units of an access unit (delimiters left out), concatenated with a
 * 4-byte length each. */
static size_t expectedNals(int codec, const uint8_t *au, size_t size, uint8_t *out)
{
	ivxs_annexb_cursor c;
	ivxs_annexb_span span;
	size_t n = 0;
	ivxs_annexb_cursor_init(&c);
	while (ivxs_annexb_next_nal(au, size, &c, &span) == 1) {
		size_t len = span.end - span.start;
		if (ivxs_annexb_nal_type(codec, au + span.start) == (codec == IVXS_ANNEXB_H264 ? 9 : 35))
			continue;
		out[n] = (uint8_t)(len >> 24), out[n + 1] = (uint8_t)(len >> 16), out[n + 2] = (uint8_t)(len >> 8), out[n + 3] = (uint8_t)len;
		memcpy(out + n + 4, au + span.start, len);
		n += 4 + len;
	}
	return n;
}

static void putNal(uint8_t *out, size_t *n, const uint8_t *nal, size_t len)
{
	out[*n] = (uint8_t)(len >> 24), out[*n + 1] = (uint8_t)(len >> 16), out[*n + 2] = (uint8_t)(len >> 8), out[*n + 3] = (uint8_t)len;
	memcpy(out + *n + 4, nal, len);
	*n += 4 + len;
}

typedef struct {
	uint8_t *out;
	size_t n;
	size_t fuStart;      /* where the NAL being reassembled from FUs begins in out (0 with fuOpen 0) */
	int fuOpen;
	unsigned aggregates, fragments, singles;
} Depacketizer;

/* One packet's payload into d->out (RFC 6184 §5.7–5.8, RFC 7798 §4.4): 0, or -1 malformed. */
static int depacketize(Depacketizer *d, int codec, const uint8_t *p, size_t len)
{
	size_t hb = codec == IVXS_ANNEXB_H264 ? 1 : 2;
	int type = codec == IVXS_ANNEXB_H264 ? p[0] & 0x1f : (p[0] >> 1) & 0x3f;
	int stap = codec == IVXS_ANNEXB_H264 ? 24 : 48, fu = codec == IVXS_ANNEXB_H264 ? 28 : 49;
	if (type == stap) {
		size_t at = hb;
		d->aggregates++;
		while (at + 2 <= len) {
			size_t size = (size_t)p[at] << 8 | p[at + 1];
			if (at + 2 + size > len || !size)
				return -1;
			putNal(d->out, &d->n, p + at + 2, size);
			at += 2 + size;
		}
		return at == len ? 0 : -1;
	}
	if (type == fu) {
		uint8_t fh = p[hb];
		if (fh & 0x80) {   /* start: the NAL header rebuilt from the payload header and the FU header */
			if (d->fuOpen)
				return -1;
			d->fuOpen = 1;
			d->fuStart = d->n;
			d->n += 4;
			if (codec == IVXS_ANNEXB_H264)
				d->out[d->n++] = (uint8_t)((p[0] & 0xe0) | (fh & 0x1f));
			else {
				d->out[d->n++] = (uint8_t)((p[0] & 0x81) | (fh & 0x3f) << 1);
				d->out[d->n++] = p[1];
			}
		}
		else if (!d->fuOpen)
			return -1;
		memcpy(d->out + d->n, p + hb + 1, len - hb - 1);
		d->n += len - hb - 1;
		if (fh & 0x40) {
			size_t nal = d->n - d->fuStart - 4;
			d->out[d->fuStart] = (uint8_t)(nal >> 24), d->out[d->fuStart + 1] = (uint8_t)(nal >> 16);
			d->out[d->fuStart + 2] = (uint8_t)(nal >> 8), d->out[d->fuStart + 3] = (uint8_t)nal;
			d->fuOpen = 0;
			d->fragments++;
		}
		return 0;
	}
	d->singles++;
	putNal(d->out, &d->n, p, len);
	return 0;
}

/* A whole clip through the packetizer at `mtu`: every access unit back exactly. */
static void clipRoundTrip(const char *name, int codec, size_t mtu, int expectAggregates, int expectFragments)
{
	size_t size = 0, expectedSize, packets = 0, aus = 0;
	uint8_t *clip = readFixture(name, &size), *expected = NULL, packet[1500], again[1500];
	ivxs_annexb_au_cursor auc;
	ivxs_rtp_stream stream = { 0x11223344, 65500, 96, codec, mtu };   /* the sequence numbers wrap on the way */
	Depacketizer d = { 0 };
	uint32_t start, end, info;
	int r;
	CHECKF(clip, "fixture %s missing (IVXS_FIXTURES)", name);
	expected = malloc(2 * size + 64);
	d.out = malloc(2 * size + 64);
	CHECK(expected && d.out);
	ivxs_annexb_au_cursor_init(&auc);
	while ((r = ivxs_annexb_next_au(codec, clip, size, &auc, &start, &end, &info)) == 1) {
		ivxs_rtp_packetizer it;
		uint16_t seq = stream.seq, first = stream.seq;
		uint32_t ts = (uint32_t)(aus * 3000);
		long n;
		int marked = 0;
		d.n = 0;
		expectedSize = expectedNals(codec, clip + start, end - start, expected);
		CHECK_EQ(ivxs_rtp_begin(&it, &stream, clip + start, end - start, ts), 0);
		while ((n = ivxs_rtp_next(&it, packet, sizeof(packet))) > 0) {
			CHECKF((size_t)n <= mtu, "a packet of %ld bytes over the MTU %zu", n, mtu);
			CHECK(!marked);   /* nothing after the marker */
			CHECK_EQ(packet[0], 0x80);
			CHECK_EQ(packet[1] & 0x7f, 96);
			CHECK_EQ((packet[2] << 8 | packet[3]), seq);
			CHECK_EQ(((uint32_t)packet[4] << 24 | packet[5] << 16 | packet[6] << 8 | packet[7]), ts);
			CHECK_EQ(((uint32_t)packet[8] << 24 | packet[9] << 16 | packet[10] << 8 | packet[11]), 0x11223344u);
			marked = packet[1] >> 7;
			/* a NACK's resend: the same packet again, byte for byte, the stream's count untouched */
			CHECK_EQ(ivxs_rtp_packet_at(&stream, first, clip + start, end - start, ts, seq, again, sizeof(again)), n);
			CHECK(!memcmp(again, packet, (size_t)n));
			seq++;
			CHECK_EQ(stream.seq, seq);
			packets++;
			CHECK_EQ(depacketize(&d, codec, packet + IVXS_RTP_HEADER_BYTES, (size_t)n - IVXS_RTP_HEADER_BYTES), 0);
		}
		CHECK_EQ(n, 0);
		CHECK_EQ(ivxs_rtp_packet_at(&stream, first, clip + start, end - start, ts, seq, again, sizeof(again)), 0);   /* past the unit's last */
		CHECK(marked || expectedSize == 0);
		CHECK_EQ(stream.seq, seq);
		CHECK(!d.fuOpen);
		CHECKF(d.n == expectedSize && !memcmp(d.out, expected, expectedSize), "access unit %zu: NAL units differ after the round trip", aus);
		aus++;
	}
	CHECK_EQ(r, 0);
	CHECK(aus >= 10);
	CHECK(!expectAggregates || d.aggregates > 0);
	CHECK(!expectFragments || d.fragments > 0);
	NOTE("%zu access units, %zu packets (%u aggregation, %u FU-ended NALs, %u single)", aus, packets, d.aggregates, d.fragments, d.singles);
done:
	free(clip);
	free(expected);
	free(d.out);
}

static void test_h264_browser_mtu(void) { clipRoundTrip("h264-main-640x480.h264", IVXS_ANNEXB_H264, 1200, 1, 1); }
static void test_h264_small_mtu(void) { clipRoundTrip("h264-main-320x240.h264", IVXS_ANNEXB_H264, 100, 1, 1); }
static void test_h264_with_delimiters(void) { clipRoundTrip("h264-aud-10s-320x240.h264", IVXS_ANNEXB_H264, 1200, 1, 0); }
static void test_h265_browser_mtu(void) { clipRoundTrip("h265-main-640x480.h265", IVXS_ANNEXB_H265, 1200, 1, 1); }
static void test_h265_small_mtu(void) { clipRoundTrip("h265-main-320x240.h265", IVXS_ANNEXB_H265, 80, 0, 1); }

/* Wrong use and damaged access units: a clear status, never a packet over the MTU. */
static void test_wrong_use(void)
{
	static const uint8_t damaged[] = { 0, 0, 0, 1, 0x65, 1, 2, 3, 0, 0, 1, 0, 0, 1, 0x41 };   /* an empty NAL after the first */
	static const uint8_t garbage[] = { 7, 7, 0, 0, 1, 0x65 };
	ivxs_rtp_stream stream = { 1, 0, 96, IVXS_ANNEXB_H264, 1200 }, bad = stream;
	ivxs_rtp_packetizer it;
	uint8_t packet[1500];
	bad.codec = 3;
	CHECK_EQ(ivxs_rtp_begin(&it, &bad, damaged, sizeof(damaged), 0), IVXS_WEBRTC_ECODEC);
	bad = stream;
	bad.mtu = 40;
	CHECK_EQ(ivxs_rtp_begin(&it, &bad, damaged, sizeof(damaged), 0), IVXS_WEBRTC_EMTU);
	CHECK_EQ(ivxs_rtp_begin(&it, &stream, damaged, sizeof(damaged), 0), 0);
	CHECK_EQ(ivxs_rtp_next(&it, packet, 100), IVXS_WEBRTC_EMTU);   /* a buffer under the MTU */
	CHECK_EQ(ivxs_rtp_next(&it, packet, sizeof(packet)), 12 + 4);   /* the NAL before the damage, marked */
	CHECK_EQ(packet[1] >> 7, 1);
	CHECK_EQ(ivxs_rtp_next(&it, packet, sizeof(packet)), IVXS_ANNEXB_EEMPTYNAL);
	CHECK_EQ(ivxs_rtp_next(&it, packet, sizeof(packet)), 0);
	CHECK_EQ(ivxs_rtp_begin(&it, &stream, garbage, sizeof(garbage), 0), 0);
	CHECK_EQ(ivxs_rtp_next(&it, packet, sizeof(packet)), IVXS_ANNEXB_EGARBAGE);
	CHECK_EQ(ivxs_rtp_next(&it, packet, sizeof(packet)), 0);
done:;
}

/* G.711: each frame whole in one packet, unmarked, numbered on; too large a frame is EMTU. */
static void test_audio(void)
{
	ivxs_rtp_stream stream = { 0x55667788, 65535, 0, IVXS_RTP_AUDIO, 1200 };
	ivxs_rtp_packetizer it;
	uint8_t frame[160], big[1200], packet[1500], again[1500];
	long n;
	memset(frame, 0xd5, sizeof(frame));
	frame[0] = 0x12;
	CHECK_EQ(ivxs_rtp_begin(&it, &stream, frame, sizeof(frame), 8000 * 3), 0);
	CHECK_EQ((n = ivxs_rtp_next(&it, packet, sizeof(packet))), 12 + 160);
	CHECK_EQ(packet[1], 0);                                  /* PT 0 (PCMU), no marker */
	CHECK(packet[2] == 0xff && packet[3] == 0xff);
	CHECK(!memcmp(packet + 12, frame, sizeof(frame)));
	CHECK_EQ(ivxs_rtp_next(&it, packet, sizeof(packet)), 0);
	CHECK_EQ(stream.seq, 0);                                 /* wrapped */
	CHECK_EQ(ivxs_rtp_packet_at(&stream, 65535, frame, sizeof(frame), 8000 * 3, 65535, again, sizeof(again)), n);
	CHECK(!memcmp(again, packet, (size_t)n));
	CHECK_EQ(ivxs_rtp_begin(&it, &stream, big, sizeof(big), 0), IVXS_WEBRTC_EMTU);   /* past one packet */
	CHECK_EQ(ivxs_rtp_begin(&it, &stream, frame, 0, 0), 0);
	CHECK_EQ(ivxs_rtp_next(&it, packet, sizeof(packet)), 0);   /* nothing to send */
done:;
}

int main(void)
{
	ivxs_test_run("H.264 at a browser's MTU (1200): single NAL units, STAP-A for SPS+PPS, FU-A, back byte for byte; each packet made again by its number (a NACK's resend) identical", test_h264_browser_mtu);
	ivxs_test_run("H.264 at an MTU of 100: every slice in FU-As", test_h264_small_mtu);
	ivxs_test_run("H.264 with access unit delimiters: dropped, the rest intact", test_h264_with_delimiters);
	ivxs_test_run("H.265 at a browser's MTU: AP for VPS+SPS+PPS, FU, back byte for byte", test_h265_browser_mtu);
	ivxs_test_run("H.265 at an MTU of 80: parameter sets alone or in FUs", test_h265_small_mtu);
	ivxs_test_run("G.711 audio: a frame whole in one packet, unmarked, numbered on; too large for a packet is EMTU", test_audio);
	ivxs_test_run("wrong use and damaged access units: a status, nothing over the MTU", test_wrong_use);
	return ivxs_test_summary();
}
