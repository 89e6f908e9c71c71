/*
 * libFuzzer harness over what the WebRTC core (native/webrtc) takes from a viewer's network
 * and from the ring; built by native/fuzz/run.mjs:
 *   clang -fsanitize=fuzzer,address,undefined -Inative/webrtc -Inative/annexb -Inative/common ... -lmbedcrypto
 * Byte 0 picks the mode, the rest is its input:
 *   0  raw bytes into SRTP unprotect, then SRTCP unprotect (a forged packet: refused, never read
 *      past its end, the context unchanged — checked by a real packet going through after);
 *   1  an RTP packet made of the bytes (version fixed to 2), protected, then byte (b1 % len) of
 *      it changed by b2: refused unless b2 is 0, and then back exactly as it was;
 *   2  the same for SRTCP;
 *   3  the bytes as an access unit for the RTP packetizer (b1: codec, b2: MTU 64 + b2 * 4):
 *      every packet within the MTU, sequence numbers in a row, the marker on the last one only;
 *   4  the bytes (from b1) as a compound RTCP packet: every packet inside the bytes, every report
 *      block and NACK'd sequence number read within it, the NACK count within 17 per entry;
 *   5  the bytes (from b1) as datagrams (each after a 16-bit length) into a fresh DTLS server
 *      session with the time moving on between them: never connected (no peer can finish a
 *      handshake without the keys), a failure stays a failure.
 * A fresh pair of contexts per input, so an input replays the same way.
 */
#include "srtp.h"
#include "rtp_video.h"
#include "rtcp.h"
#include "dtls.h"
#include "fuzz.h"
#include "ivxs_test_random.h"

#include <string.h>

static const uint8_t kKey[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
static const uint8_t kSalt[14] = { 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34 };

/* A known good packet through rx: the context still works after whatever came before. */
static void stillWorks(ivxs_srtp *tx, ivxs_srtp *rx)
{
	uint8_t p[64] = { 0x80, 96, 0x12, 0x34, 0, 0, 0, 9, 0xfe, 0xed, 0xfa, 0xce };
	size_t out, len;
	REQUIRE(ivxs_srtp_protect(tx, p, 40, sizeof(p), &out) == 0);
	REQUIRE(ivxs_srtp_unprotect(rx, p, out, &len) == 0 && len == 40);
}

/* Walks a compound RTCP packet, reading everything the camera would. */
static void rtcpWalk(const uint8_t *data, size_t size)
{
	ivxs_rtcp_packet p;
	ivxs_rtcp_sender_info info;
	ivxs_rtcp_report r;
	size_t pos = 0, last = 0;
	int status, fir;
	while ((status = ivxs_rtcp_next(data, size, &pos, &p)) == 1) {
		ivxs_rtcp_nack_cursor c = { 0, 0 };
		uint16_t seq;
		size_t nacks = 0;
		unsigned i;
		REQUIRE(pos > last && pos <= size && p.body >= data + last && p.body + p.bodyLen <= data + pos);
		last = pos;
		(void)ivxs_rtcp_sender_info_of(&p, &info);
		for (i = 0; !ivxs_rtcp_report_at(&p, i, &r); i++)
			REQUIRE(i < p.count);
		while (ivxs_rtcp_nack_next(&p, &c, &seq) == 1)
			REQUIRE(++nacks <= 17 * (p.bodyLen / 4));
		(void)ivxs_rtcp_wants_key_frame(&p, p.media, &fir);
	}
	REQUIRE(status == 0 || status == IVXS_WEBRTC_EPACKET);
}


static int dropDatagram(void *ctx, const uint8_t *datagram, size_t len)
{
	(void)ctx, (void)datagram;
	REQUIRE(len <= IVXS_DTLS_MTU);
	return 0;
}

/* Datagrams into a DTLS server session; the camera's identity is made once. */
static void dtlsFeed(const uint8_t *data, size_t size)
{
	static ivxs_dtls_identity id;
	static int haveId;
	static uint64_t seed = 0x9e3779b97f4a7c15ull;
	static const uint8_t peer[IVXS_DTLS_FINGERPRINT_BYTES] = { 1 };
	ivxs_dtls d;
	size_t pos = 0;
	uint64_t now = 5000;
	int r, failed = 0;
	if (!haveId) {
		uint8_t key[256], cert[1024];
		size_t keyLen = sizeof(key), certLen = sizeof(cert);
		REQUIRE(ivxs_dtls_identity_create(ivxs_test_random, &seed, key, &keyLen, cert, &certLen) == 0);
		REQUIRE(ivxs_dtls_identity_load(&id, key, keyLen, cert, certLen) == 0);
		haveId = 1;
	}
	REQUIRE(ivxs_dtls_setup(&d, &id, IVXS_DTLS_SERVER, peer, ivxs_test_random, &seed, dropDatagram, NULL, now) == 0);
	while (pos + 2 <= size) {
		size_t n = (size_t)data[pos] << 8 | data[pos + 1];
		pos += 2;
		if (n > size - pos)
			n = size - pos;
		r = ivxs_dtls_input(&d, data + pos, n, now);
		pos += n;
		now += 300;
		REQUIRE(r != IVXS_DTLS_CONNECTED);
		REQUIRE(!failed || r == failed);
		if (r < 0)
			failed = r;
		r = ivxs_dtls_tick(&d, now);
		REQUIRE(!failed || r == failed);
	}
	ivxs_dtls_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[4096], plain[4096];
	ivxs_srtp tx, rx;
	size_t n, out, len;
	int status;
	if (size < 3 || size - 3 > sizeof(buf) - 64)
		return 0;
	REQUIRE(ivxs_srtp_init(&tx, kKey, kSalt) == 0);
	REQUIRE(ivxs_srtp_init(&rx, kKey, kSalt) == 0);
	n = size - 3;
	memcpy(buf, data + 3, n);
	switch (data[0] % 6) {
	case 0: {
		size_t start, end;
		memcpy(buf, data + 1, size - 1);
		n = size - 1;
		/* the payload span of any bytes (the viewer's microphone, once unprotected): inside them */
		if (ivxs_rtp_payload(buf, n, &start, &end) == 0)
			REQUIRE(start >= IVXS_RTP_HEADER_BYTES && start <= end && end <= n);
		status = ivxs_srtp_unprotect(&rx, buf, n, &len);
		REQUIRE(status != 0 || len + IVXS_SRTP_TAG_BYTES == n);
		memcpy(buf, data + 1, size - 1);
		status = ivxs_srtcp_unprotect(&rx, buf, n, &len);
		REQUIRE(status != 0 || len + IVXS_SRTCP_TRAILER_BYTES == n);
		stillWorks(&tx, &rx);
		break;
	}
	case 1:
	case 2: {
		int rtcp = data[0] % 6 == 2;
		if (n < 12)
			break;
		buf[0] = (uint8_t)((buf[0] & 0x3f) | 0x80);
		memcpy(plain, buf, n);
		status = rtcp ? ivxs_srtcp_protect(&tx, buf, n, sizeof(buf), &out) : ivxs_srtp_protect(&tx, buf, n, sizeof(buf), &out);
		if (status) {
			REQUIRE(status == IVXS_WEBRTC_EPACKET);   /* an RTP header longer than the bytes (CSRCs, extension) */
			break;
		}
		buf[data[1] % out] ^= data[2];
		status = rtcp ? ivxs_srtcp_unprotect(&rx, buf, out, &len) : ivxs_srtp_unprotect(&rx, buf, out, &len);
		if (data[2]) {
			/* a change in the version bits is EPACKET, in an RTP header's lengths EPACKET, else EAUTH */
			REQUIRE(status == IVXS_WEBRTC_EAUTH || status == IVXS_WEBRTC_EPACKET);
			stillWorks(&tx, &rx);
		}
		else
			REQUIRE(status == 0 && len == n && !memcmp(buf, plain, n));
		break;
	}
	case 4:
		rtcpWalk(data + 1, size - 1);
		break;
	case 5:
		dtlsFeed(data + 1, size - 1);
		break;
	default: {
		ivxs_rtp_stream stream = { 0xabcdef01, 65530, 96, data[1] % 3 == 2 ? IVXS_RTP_AUDIO : data[1] % 3 ? IVXS_ANNEXB_H265 : IVXS_ANNEXB_H264, 64 + (size_t)data[2] * 4 };
		ivxs_rtp_packetizer it;
		uint8_t packet[1500], again[1500];
		uint16_t seq = stream.seq, first = stream.seq;
		size_t packets = 0;
		long got;
		int marked = 0;
		if (stream.mtu > sizeof(packet))
			stream.mtu = sizeof(packet);
		if (stream.codec == IVXS_RTP_AUDIO && n > stream.mtu - IVXS_RTP_HEADER_BYTES) {   /* a frame past one packet */
			REQUIRE(ivxs_rtp_begin(&it, &stream, buf, n, 90000) == IVXS_WEBRTC_EMTU);
			break;
		}
		REQUIRE(ivxs_rtp_begin(&it, &stream, buf, n, 90000) == 0);
		while ((got = ivxs_rtp_next(&it, packet, sizeof(packet))) > 0) {
			REQUIRE((size_t)got <= stream.mtu && got > IVXS_RTP_HEADER_BYTES);
			REQUIRE(!marked);
			REQUIRE((uint16_t)(packet[2] << 8 | packet[3]) == seq);
			marked = packet[1] >> 7;
			/* every fourth packet made again by its number (a NACK's resend): the same bytes */
			if (!(packets & 3))
				REQUIRE(ivxs_rtp_packet_at(&stream, first, buf, n, 90000, seq, again, sizeof(again)) == got && !memcmp(again, packet, (size_t)got));
			seq++;
			REQUIRE(++packets <= n + 2);   /* no endless loop: at least a byte of the unit per packet */
		}
		REQUIRE(got <= 0 && (got == 0 || got < -300));   /* done, or an Annex-B status */
		REQUIRE(ivxs_rtp_next(&it, packet, sizeof(packet)) == 0);
		if (stream.codec == IVXS_RTP_AUDIO)
			REQUIRE(packets == (n > 0) && !marked);   /* a frame whole in one packet, unmarked */
		else
			REQUIRE(!packets || marked);
		break;
	}
	}
	ivxs_srtp_free(&tx);
	ivxs_srtp_free(&rx);
	return 0;
}
