/* Tests of the RTCP core (rtcp.h) on what hand-made packets say and on what a hostile viewer may
 * send: padding, lengths past the data, fixed parts a packet cannot hold, NACK bitmasks, FIR
 * entries. The fields of well-formed packets are also checked against aiortc's
 * (tests/webrtc.test.mjs). Ends with "N passed, N failed". */
#include "rtcp.h"

#include <string.h>

#include "ivxs_test.h"

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

int main(void)
{
	ivxs_test_run("a compound packet: RR, NACK with its bitmask, PLI, FIR for two sources, padding", test_feedback);
	ivxs_test_run("hostile packets stop the walk where they are: version, lengths, padding, fixed parts", test_hostile);
	ivxs_test_run("the camera's sender report, written and read back", test_sender_report);
	return ivxs_test_summary();
}
