/* Tests of the RTCP core (rtcp.h) on what hand-made packets say and on what a hostile viewer may
 * send: padding, lengths past the data, fixed parts a packet cannot hold, NACK bitmasks, FIR
 * entries, TWCC feedback (the draft's chunk shapes by hand, then 2,000 random feedbacks from an
 * encoder written here, and damaged ones). The fields of well-formed packets are also checked
 * against aiortc's (tests/webrtc.test.mjs). Ends with "N passed, N failed". */
#include "rtcp.h"

#include <string.h>

#include "ivxs_test.h"
#include "ivxs_test_random.h"
#include "twcc_encode.h"

static void test_feedback(void)
{
	/* a compound packet: RR with no blocks, NACK (PID 100, BLP bits 0 and 15), PLI, FIR for two sources, padded APP */
	static const uint8_t p[] = {
		0x80, 201, 0, 1, 0, 0, 0, 7,
		0x81, 205, 0, 3, 0, 0, 0, 7, 0, 0, 0, 9, 0, 100, 0x80, 0x01,
		0x81, 206, 0, 2, 0, 0, 0, 7, 0, 0, 0, 9,
		0x84, 206, 0, 6, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 5, 3, 0, 0, 0, 0, 0, 0, 9, 42, 0, 0, 0,
		0xa0, 204, 0, 3, 0, 0, 0, 7, 'n', 'a', 'm', 'e', 0, 0, 0, 4
	};
	ivxs_rtcp_packet pk;
	ivxs_rtcp_nack_cursor c = { 0, 0 };
	size_t pos = 0;
	uint16_t seq, seqs[8];
	int n = 0, fir;
	CHECK_EQ(ivxs_rtcp_next(p, sizeof(p), &pos, &pk), 1);
	CHECK(pk.type == IVXS_RTCP_RR && pk.sender == 7 && pk.bodyLen == 0);
	CHECK_EQ(ivxs_rtcp_next(p, sizeof(p), &pos, &pk), 1);
	CHECK(pk.type == IVXS_RTCP_RTPFB && pk.count == 1 && pk.media == 9);
	while (n < 8 && ivxs_rtcp_nack_next(&pk, &c, &seq) == 1)
		seqs[n++] = seq;
	CHECK_EQ(n, 3);
	CHECK(seqs[0] == 100 && seqs[1] == 101 && seqs[2] == 116);
	CHECK_EQ(ivxs_rtcp_next(p, sizeof(p), &pos, &pk), 1);
	CHECK(ivxs_rtcp_wants_key_frame(&pk, 9, &fir) && fir == -1);
	CHECK(!ivxs_rtcp_wants_key_frame(&pk, 8, &fir));   /* a PLI about another source */
	CHECK_EQ(ivxs_rtcp_next(p, sizeof(p), &pos, &pk), 1);
	CHECK(ivxs_rtcp_wants_key_frame(&pk, 9, &fir) && fir == 42);
	CHECK(ivxs_rtcp_wants_key_frame(&pk, 5, &fir) && fir == 3);
	CHECK(!ivxs_rtcp_wants_key_frame(&pk, 6, &fir));
	CHECK_EQ(ivxs_rtcp_next(p, sizeof(p), &pos, &pk), 1);
	CHECK(pk.type == IVXS_RTCP_APP && pk.sender == 7 && pk.bodyLen == 4 && !memcmp(pk.body, "name", 4));   /* its 4 bytes of padding left out */
	CHECK_EQ(ivxs_rtcp_next(p, sizeof(p), &pos, &pk), 0);
done:;
}

static void test_hostile(void)
{
	ivxs_rtcp_packet pk;
	ivxs_rtcp_report r;
	size_t pos;
	/* each: a packet the walk must stop at */
	static const uint8_t version1[] = { 0x40, 201, 0, 1, 0, 0, 0, 7 };
	static const uint8_t pastEnd[] = { 0x80, 201, 0, 5, 0, 0, 0, 7 };
	static const uint8_t runt[] = { 0x80, 201, 0 };
	static const uint8_t zeroPad[] = { 0xa0, 201, 0, 1, 0, 0, 0, 0 };
	static const uint8_t hugePad[] = { 0xa0, 201, 0, 1, 0, 0, 0, 9 };
	static const uint8_t rrShort[] = { 0x82, 201, 0, 7, 0, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24 };
	static const uint8_t srShort[] = { 0x80, 200, 0, 1, 0, 0, 0, 7 };
	static const uint8_t fbShort[] = { 0x81, 205, 0, 1, 0, 0, 0, 7 };
	const struct { const uint8_t *p; size_t n; } bad[] = {
		{ version1, sizeof(version1) }, { pastEnd, sizeof(pastEnd) }, { runt, sizeof(runt) }, { zeroPad, sizeof(zeroPad) },
		{ hugePad, sizeof(hugePad) }, { rrShort, sizeof(rrShort) }, { srShort, sizeof(srShort) }, { fbShort, sizeof(fbShort) },
	};
	unsigned i;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pos = 0;
		CHECKF(ivxs_rtcp_next(bad[i].p, bad[i].n, &pos, &pk) == IVXS_WEBRTC_EPACKET, "case %u accepted", i);
		CHECKF(pos == 0, "case %u moved the walk", i);
	}
	/* an RR with one block: the block, and no second one */
	pos = 0;
	CHECK_EQ(ivxs_rtcp_next(rrShort, sizeof(rrShort) - 0, &pos, &pk), IVXS_WEBRTC_EPACKET);
	{
		uint8_t rr[32];
		memcpy(rr, rrShort, sizeof(rr));
		rr[0] = 0x81;
		pos = 0;
		CHECK_EQ(ivxs_rtcp_next(rr, sizeof(rr), &pos, &pk), 1);
		CHECK_EQ(ivxs_rtcp_report_at(&pk, 0, &r), 0);
		CHECK(r.ssrc == 0x01020304 && r.fractionLost == 5 && r.cumulativeLost == 0x060708);
		CHECK_EQ(ivxs_rtcp_report_at(&pk, 1, &r), IVXS_WEBRTC_EPACKET);
	}
done:;
}

static void test_sender_report(void)
{
	ivxs_rtcp_sender_info in = { 0x0102030405060708ull, 9, 10, 11 }, out;
	ivxs_rtcp_packet pk;
	uint8_t buf[28];
	size_t pos = 0;
	CHECK_EQ(ivxs_rtcp_write_sender_report(buf, 27, 5, &in), IVXS_WEBRTC_EMTU);
	CHECK_EQ(ivxs_rtcp_write_sender_report(buf, sizeof(buf), 5, &in), 28);
	CHECK_EQ(ivxs_rtcp_next(buf, sizeof(buf), &pos, &pk), 1);
	CHECK(pk.type == IVXS_RTCP_SR && pk.sender == 5 && pk.count == 0);
	CHECK_EQ(ivxs_rtcp_sender_info_of(&pk, &out), 0);
	CHECK(out.ntp == in.ntp && out.rtpTimestamp == 9 && out.packets == 10 && out.octets == 11);
done:;
}

/* ivxs_rtcp_rrtr_of of the first `n` bytes of `packet` with byte `at` set to `value` (the walk
 * must take the packet). */
static int rrtrChanged(const uint8_t *packet, size_t n, size_t at, uint8_t value)
{
	uint8_t copy[64];
	ivxs_rtcp_packet pk;
	ivxs_rtcp_rrtr r;
	size_t pos = 0;
	memcpy(copy, packet, n);
	copy[at] = value;
	CHECK_EQ(ivxs_rtcp_next(copy, n, &pos, &pk), 1);
	return ivxs_rtcp_rrtr_of(&pk, &r);
done:
	return 2;
}

/* Chromium's RRTR as it sends it (RFC 3611 §4.4), after another block: read; ours echoes it. */
static void test_rrtr(void)
{
	/* XR from SSRC 7: a DLRR block with one sub-block (as a sender would send), then an RRTR of NTP 0x11223344:0x55667788 */
	static const uint8_t xr[] = {
		0x80, 207, 0, 8, 0, 0, 0, 7,
		5, 0, 0, 3, 0, 0, 0, 9, 1, 2, 3, 4, 0, 0, 0, 5,
		4, 0, 0, 2, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88
	};
	uint8_t out[24];
	ivxs_rtcp_packet pk;
	ivxs_rtcp_rrtr r = { 0, 0 }, echoed;
	size_t pos = 0;
	CHECK_EQ(ivxs_rtcp_next(xr, sizeof(xr), &pos, &pk), 1);
	CHECK(pk.type == IVXS_RTCP_XR && pk.sender == 7);
	CHECK_EQ(ivxs_rtcp_rrtr_of(&pk, &r), 1);
	CHECK(r.ssrc == 7 && r.lrr == 0x33445566);
	/* a block length past the packet; an RRTR block of the wrong length; an XR without one */
	CHECK_EQ(rrtrChanged(xr, sizeof(xr), 11, 5), IVXS_WEBRTC_EPACKET);
	CHECK_EQ(rrtrChanged(xr, sizeof(xr), 27, 1), IVXS_WEBRTC_EPACKET);
	CHECK_EQ(rrtrChanged(xr, 24, 3, 5), 0);
	/* an RRTR, then a block past the packet: refused whole, *out as it was */
	{
		static const uint8_t tail[] = { 0x80, 207, 0, 5, 0, 0, 0, 8, 4, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8, 5, 0, 0, 9 };
		ivxs_rtcp_rrtr kept = { 1, 2 };
		pos = 0;
		CHECK_EQ(ivxs_rtcp_next(tail, sizeof(tail), &pos, &pk), 1);
		CHECK_EQ(ivxs_rtcp_rrtr_of(&pk, &kept), IVXS_WEBRTC_EPACKET);
		CHECK(kept.ssrc == 1 && kept.lrr == 2);
	}
	pos = 0;
	CHECK_EQ(ivxs_rtcp_next(xr, 24, &pos, &pk), IVXS_WEBRTC_EPACKET);   /* cut: the header's length is past it */
	/* the DLRR answering it: 24 bytes that read back as an XR of ours with the RRTR's fields and the delay */
	CHECK_EQ(ivxs_rtcp_write_dlrr(out, 23, 5, &(ivxs_rtcp_rrtr){ 7, 0x33445566 }, 0x10000), IVXS_WEBRTC_EMTU);
	CHECK_EQ(ivxs_rtcp_write_dlrr(out, sizeof(out), 5, &(ivxs_rtcp_rrtr){ 7, 0x33445566 }, 0x10000), 24);
	pos = 0;
	CHECK_EQ(ivxs_rtcp_next(out, sizeof(out), &pos, &pk), 1);
	CHECK(pk.type == IVXS_RTCP_XR && pk.sender == 5 && pk.bodyLen == 16);
	CHECK(pk.body[0] == 5 && pk.body[3] == 3);
	CHECK_EQ(ivxs_rtcp_rrtr_of(&pk, &echoed), 0);   /* a DLRR is no RRTR */
	CHECK(!memcmp(pk.body + 4, "\0\0\0\x07\x33\x44\x55\x66\0\x01\0\0", 12));
done:;
}

/* ---- transport-wide congestion control feedback (RTPFB FMT 15) ---- */


/* n bytes on the heap and not one more, so ASan sees a read past them. */
static uint8_t *exactly(const uint8_t *bytes, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	if (!p)
		abort();
	if (n)
		memcpy(p, bytes, n);
	return p;
}

/* Reads the feedback whose FCI is `fci` into got[] (at most cap): framed, as an RTPFB FMT 15
 * packet with the draft's zero padding that ivxs_rtcp_next finds; else as a packet whose FCI is
 * the n bytes alone. Returns begin's status when not 0, else the last next's (0 at the end). */
static int twccRead(const uint8_t *fci, size_t n, int framed, ivxs_rtcp_twcc *t, twcc_packet *got, size_t cap, size_t *count)
{
	ivxs_rtcp_packet pk = { IVXS_RTCP_RTPFB, 15, 7, 9, NULL, n };
	uint8_t *buf;
	int status;
	*count = 0;
	if (framed) {
		size_t words = (n + 3) / 4 + 2, pos = 0;   /* sender and media SSRC, the FCI padded */
		uint8_t *p = calloc(1, 4 * (words + 1));
		if (!p)
			abort();
		p[0] = 0x8f, p[1] = IVXS_RTCP_RTPFB, p[2] = (uint8_t)(words >> 8), p[3] = (uint8_t)words;
		p[7] = 7, p[11] = 9;
		memcpy(p + 12, fci, n);
		buf = exactly(p, 4 * (words + 1));
		free(p);
		if (ivxs_rtcp_next(buf, 4 * (words + 1), &pos, &pk) != 1) {
			free(buf);
			return -1;
		}
	}
	else
		pk.body = buf = exactly(fci, n);
	status = ivxs_rtcp_twcc_begin(&pk, t);
	if (!status)
		while ((status = ivxs_rtcp_twcc_next(t, &got[*count].seq, &got[*count].received, &got[*count].arrivalUs)) == 1)
			if (++*count == cap) {
				status = -2;   /* more than the caller expects */
				break;
			}
	free(buf);
	return status;
}

/* The draft's shapes by hand: each FCI and the packets it reports, worked out from its bytes. */
static const struct {
	const char *name;
	uint8_t fci[24];
	size_t n;
	uint16_t base, count;
	int64_t referenceUs;
	uint8_t feedbackCount;
	twcc_packet want[10];
} twccShapes[] = {
	{ "TWCC: a run-length chunk, 5 received with small deltas (0 and 255 among them)",
		{ 0, 100, 0, 5, 0, 0, 1, 3, 0x20, 0x05, 4, 8, 0, 255, 1 }, 15, 100, 5, 64000, 3,
		{ { 100, 1, 65000 }, { 101, 1, 67000 }, { 102, 1, 67000 }, { 103, 1, 130750 }, { 104, 1, 131000 } } },
	{ "TWCC: a 1-bit status vector, sequence numbers wrapping past 65535, its 4 extra symbols ignored",
		{ 0xff, 0xfa, 0, 10, 0, 0, 0, 255, 0xac, 0xfb, 10, 20, 0, 1, 2, 3, 4 }, 17, 65530, 10, 0, 255,
		{ { 65530, 1, 2500 }, { 65531, 0, 2500 }, { 65532, 1, 7500 }, { 65533, 1, 7500 }, { 65534, 0, 7500 },
			{ 65535, 0, 7500 }, { 0, 1, 7750 }, { 1, 1, 8250 }, { 2, 1, 9000 }, { 3, 1, 10000 } } },
	{ "TWCC: a 2-bit status vector: lost, small, large positive, large negative; a negative reference time",
		{ 0x03, 0xe8, 0, 7, 0xff, 0xff, 0xfe, 0, 0xc6, 0x92, 40, 4, 0, 0xff, 0x9c, 0, 0xff, 0xff }, 18, 1000, 7, -128000, 0,
		{ { 1000, 0, -128000 }, { 1001, 1, -118000 }, { 1002, 1, 138000 }, { 1003, 1, 113000 }, { 1004, 1, 113000 },
			{ 1005, 0, 113000 }, { 1006, 1, 112750 } } },
	{ "TWCC: a last run of 8191 that tells 1 status more, the largest reference time and deltas",
		{ 0, 7, 0, 3, 0x7f, 0xff, 0xff, 1, 0x40, 0x02, 0x1f, 0xff, 0x7f, 0xff, 0x80, 0x00 }, 16, 7, 3, 536870848000, 1,
		{ { 7, 1, 536879039750 }, { 8, 1, 536870847750 }, { 9, 0, 536870847750 } } },
	{ "TWCC: reserved symbols among a last 2-bit vector's extras are ignored too",
		{ 0, 0, 0, 2, 0, 0, 0, 9, 0xd7, 0xff, 1, 2 }, 12, 0, 2, 0, 9,
		{ { 0, 1, 250 }, { 1, 1, 750 } } },
	{ "TWCC: a feedback that reports no packet",
		{ 0x12, 0x34, 0, 0, 0x80, 0, 0, 42 }, 8, 0x1234, 0, -536870912000, 42, { { 0, 0, 0 } } },
};

static void test_twcc_shape(unsigned i)
{
	ivxs_rtcp_twcc t;
	twcc_packet got[11];
	size_t n, k;
	int framed;
	for (framed = 0; framed < 2; framed++) {
		CHECKF(twccRead(twccShapes[i].fci, twccShapes[i].n, framed, &t, got, 11, &n) == 0, "framed %d: refused", framed);
		CHECK(t.base == twccShapes[i].base && t.count == twccShapes[i].count);
		CHECK(t.referenceUs == twccShapes[i].referenceUs && t.feedbackCount == twccShapes[i].feedbackCount);
		CHECK_EQ(n, twccShapes[i].count);
		for (k = 0; k < n; k++)
			CHECKF(got[k].seq == twccShapes[i].want[k].seq && got[k].received == twccShapes[i].want[k].received
				&& got[k].arrivalUs == twccShapes[i].want[k].arrivalUs, "framed %d, packet %u: seq %u received %d at %lld us",
				framed, (unsigned)k, got[k].seq, got[k].received, (long long)got[k].arrivalUs);
		CHECK_EQ(ivxs_rtcp_twcc_next(&t, &got[0].seq, &got[0].received, &got[0].arrivalUs), 0);   /* and stays at the end */
	}
done:;
}

static uint32_t below(uint64_t *seed, uint32_t n)
{
	uint8_t b[4];
	ivxs_test_random(seed, b, sizeof(b));
	return ((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]) % n;
}

/* A receive delta in 250 µs units: mostly small, 1 in 20 large, 1 in 20 negative. */
static int32_t randomDelta(uint64_t *seed)
{
	uint32_t kind = below(seed, 20);
	if (kind == 0)
		return 256 + (int32_t)below(seed, 32767 - 255);
	if (kind == 1)
		return -1 - (int32_t)below(seed, 32768);
	return (int32_t)below(seed, 256);
}

/* 2,000 random feedbacks (1–300 packets, 1 in 20 lost plus now and then a burst of 5–40) written
 * by twccEncode and read back exactly, framed and as a bare FCI; every shorter prefix of each
 * refused by begin; and one byte of each changed at random: read to its end or refused, never
 * past it. */
static void test_twcc_encoder(void)
{
	static twcc_packet sent[TWCC_MAX], got[TWCC_MAX + 1];
	static uint8_t fci[8 + 2 * TWCC_MAX + 2 * TWCC_MAX];
	uint64_t seed = 0x7477636366656564ull;
	unsigned f, packets = 0, received = 0, large = 0, prefixes = 0, mutatedAccepted = 0, kinds[3] = { 0, 0, 0 };
	for (f = 0; f < 2000; f++) {
		size_t n = 1 + below(&seed, TWCC_MAX), len, i, count, burst = 0;
		uint16_t base = (uint16_t)below(&seed, 65536);
		int32_t reference = (int32_t)below(&seed, 1u << 24) - (1 << 23);
		uint8_t feedbackCount = (uint8_t)f;
		int64_t arrival = (int64_t)reference * 64000;
		ivxs_rtcp_twcc t;
		int framed;
		for (i = 0; i < n; i++) {
			int32_t d;
			if (!burst && below(&seed, 400) == 0)
				burst = 5 + below(&seed, 36);
			sent[i].seq = (uint16_t)(base + i);
			sent[i].received = burst ? (burst--, 0) : below(&seed, 20) != 0;
			if (sent[i].received) {
				d = randomDelta(&seed);
				arrival += (int64_t)d * 250;
				received++;
				large += d < 0 || d > 255;
			}
			sent[i].arrivalUs = arrival;
		}
		len = twccEncode(fci, base, reference, feedbackCount, sent, n, below(&seed, 1u << 16), kinds);
		CHECKF(len <= sizeof(fci), "feedback %u: the encoder wrote %u bytes", f, (unsigned)len);
		packets += (unsigned)n;
		for (framed = 0; framed < 2; framed++) {
			CHECKF(twccRead(fci, len, framed, &t, got, TWCC_MAX + 1, &count) == 0, "feedback %u (framed %d) refused", f, framed);
			CHECKF(t.base == base && t.count == n && t.referenceUs == (int64_t)reference * 64000 && t.feedbackCount == feedbackCount,
				"feedback %u: its header", f);
			CHECKF(count == n, "feedback %u: %u packets of %u", f, (unsigned)count, (unsigned)n);
			for (i = 0; i < n; i++)
				CHECKF(got[i].seq == sent[i].seq && got[i].received == sent[i].received && got[i].arrivalUs == sent[i].arrivalUs,
					"feedback %u, packet %u: seq %u received %d at %lld us, sent seq %u received %d at %lld us", f, (unsigned)i,
					got[i].seq, got[i].received, (long long)got[i].arrivalUs, sent[i].seq, sent[i].received, (long long)sent[i].arrivalUs);
		}
		for (i = 0; i < len; i++, prefixes++)
			CHECKF(twccRead(fci, i, 0, &t, got, TWCC_MAX + 1, &count) == IVXS_WEBRTC_EPACKET && count == 0,
				"feedback %u: its first %u bytes accepted", f, (unsigned)i);
		fci[below(&seed, (uint32_t)len)] ^= (uint8_t)(1 + below(&seed, 255));
		if (twccRead(fci, len, 0, &t, got, TWCC_MAX + 1, &count) == 0) {
			CHECKF(count == t.count, "feedback %u changed: %u packets of %u", f, (unsigned)count, t.count);
			for (i = 0; i < count; i++)
				CHECK(got[i].seq == (uint16_t)(t.base + i));
			mutatedAccepted++;
		}
	}
	NOTE("2000 feedbacks, %u packets (%u received, %u with a large or negative delta) in %u run-length, %u 1-bit and %u 2-bit chunks; "
		"%u prefixes refused; %u of 2000 changed ones still well-formed", packets, received, large, kinds[0], kinds[1], kinds[2],
		prefixes, mutatedAccepted);
done:;
}

static void test_twcc_hostile(void)
{
	/* each: an FCI (the packet's whole FCI, in a buffer of its size) begin refuses */
	static const struct { const char *what; uint8_t fci[16]; size_t n; } bad[] = {
		{ "FCI of 7 bytes", { 0, 0, 0, 0, 0, 0, 0 }, 7 },
		{ "no chunk for 1 status", { 0, 0, 0, 1, 0, 0, 0, 0 }, 8 },
		{ "chunks for 14 of 15 statuses", { 0, 0, 0, 15, 0, 0, 0, 0, 0x80, 0 }, 10 },
		{ "half a chunk at the end", { 0, 0, 0, 15, 0, 0, 0, 0, 0x80, 0, 0x20 }, 11 },
		{ "a run of 8191 for 8192", { 0, 0, 0x20, 0, 0, 0, 0, 0, 0x1f, 0xff }, 10 },
		{ "a run length of 0", { 0, 0, 0, 1, 0, 0, 0, 0, 0x20, 0, 0x20, 1, 5 }, 13 },
		{ "a run of reserved symbols", { 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 1 }, 10 },
		{ "a reserved symbol in a 2-bit vector", { 0, 0, 0, 2, 0, 0, 0, 0, 0xdc, 0, 5 }, 11 },
		{ "5 small deltas, 4 there", { 0, 0, 0, 5, 0, 0, 0, 0, 0x20, 5, 1, 2, 3, 4 }, 14 },
		{ "a large delta cut in half", { 0, 0, 0, 1, 0, 0, 0, 0, 0x40, 1, 0x7f }, 11 },
		{ "a 1-bit vector's 3 received, 2 deltas", { 0, 0, 0, 3, 0, 0, 0, 0, 0xb8, 0, 1, 2 }, 12 },
	};
	static const uint8_t good[] = { 0, 0, 0, 1, 0, 0, 0, 0, 0x20, 1, 5 };
	ivxs_rtcp_packet pk = { IVXS_RTCP_RTPFB, 15, 7, 9, NULL, sizeof(good) };
	ivxs_rtcp_twcc t;
	twcc_packet got[16];
	size_t count;
	unsigned i;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECKF(twccRead(bad[i].fci, bad[i].n, 0, &t, got, 16, &count) == IVXS_WEBRTC_EPACKET && count == 0, "%s: accepted", bad[i].what);
	/* not RTPFB FMT 15: a NACK, REMB (PSFB FMT 15), an RR */
	pk.body = exactly(good, sizeof(good));
	CHECK_EQ(ivxs_rtcp_twcc_begin(&pk, &t), 0);
	pk.count = 1;
	CHECK_EQ(ivxs_rtcp_twcc_begin(&pk, &t), IVXS_WEBRTC_EPACKET);
	pk.count = 15, pk.type = IVXS_RTCP_PSFB;
	CHECK_EQ(ivxs_rtcp_twcc_begin(&pk, &t), IVXS_WEBRTC_EPACKET);
	pk.type = IVXS_RTCP_RR;
	CHECK_EQ(ivxs_rtcp_twcc_begin(&pk, &t), IVXS_WEBRTC_EPACKET);
	/* the zero padding of the draft, framed: a run length 0 where a chunk should be */
	CHECK_EQ(twccRead(bad[1].fci, bad[1].n, 1, &t, got, 16, &count), IVXS_WEBRTC_EPACKET);
done:
	free((void *)pk.body);
}

int main(void)
{
	unsigned i;
	ivxs_test_run("a compound packet: RR, NACK with its bitmask, PLI, FIR for two sources, padding", test_feedback);
	ivxs_test_run("hostile packets stop the walk where they are: version, lengths, padding, fixed parts", test_hostile);
	ivxs_test_run("the camera's sender report, written and read back", test_sender_report);
	ivxs_test_run("XR: the viewer's receiver reference time read after another block, hostile lengths refused; our DLRR echoes it", test_rrtr);
	for (i = 0; i < sizeof(twccShapes) / sizeof(twccShapes[0]); i++) {
		ivxs_test_begin();
		test_twcc_shape(i);
		ivxs_test_end(twccShapes[i].name);
	}
	ivxs_test_run("TWCC: 2,000 random feedbacks from an encoder written from the draft, read back exactly; prefixes and changed bytes", test_twcc_encoder);
	ivxs_test_run("TWCC: hostile feedback refused by begin: chunks or deltas past the FCI, run length 0, reserved symbols, other packets", test_twcc_hostile);
	return ivxs_test_summary();
}
