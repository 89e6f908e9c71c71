/* Tests of the SRTP/SRTCP core (srtp.h): RFC 3711's key derivation vectors (B.3), protect and
 * unprotect between two contexts of the same keys (sequence numbers wrapping, several SSRCs,
 * reordering inside the window), and what a receiver must refuse — a changed byte, a replay, a
 * packet older than the window, too many SSRCs, a runt — without its state moving. Interop with
 * an independent SRTP (Debian's libsrtp2): libsrtp_interop.c, run by tests/webrtc.test.mjs.
 * Ends with "N passed, N failed". */
#include "srtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbedtls/md.h"
#include "ivxs_test.h"

static void hex(const char *text, uint8_t *out, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		unsigned v;
		sscanf(text + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

/* An RTP packet: version 2, payload type 96, `seq`, timestamp, `ssrc`, then `payload` bytes. */
static size_t rtp(uint8_t *p, uint16_t seq, uint32_t ssrc, size_t payload)
{
	size_t i;
	p[0] = 0x80, p[1] = 96, p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
	p[4] = 0, p[5] = 0, p[6] = (uint8_t)(seq >> 8), p[7] = (uint8_t)seq;
	p[8] = (uint8_t)(ssrc >> 24), p[9] = (uint8_t)(ssrc >> 16), p[10] = (uint8_t)(ssrc >> 8), p[11] = (uint8_t)ssrc;
	for (i = 0; i < payload; i++)
		p[12 + i] = (uint8_t)(i * 7 + seq);
	return 12 + payload;
}

static void test_key_derivation(void)
{
	uint8_t key[16], salt[14], cipherKey[16], cipherSalt[14], authKey[20], a[16], b[16], packet[128], tag[20];
	uint8_t iv[16] = { 0 }, plain[128];
	ivxs_srtp s;
	psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t expected = 0;
	size_t n, out, i, written;
	hex("E1F97A0D3E018BE0D64FA32C06DE4139", key, 16);
	hex("0EC675AD498AFEEBB6960B3AABE6", salt, 14);
	hex("C61E7A93744F39EE10734AFE3FF7A087", cipherKey, 16);
	hex("30CBBC08863D8C85D49DB34A9AE1", cipherSalt, 14);
	hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4", authKey, 20);
	CHECK_EQ(ivxs_srtp_init(&s, key, salt), 0);
	CHECK(!memcmp(s.rtp.salt, cipherSalt, 14));
	/* the session key, seen through what it encrypts: a packet's first keystream block is
	 * AES(cipher key, IV) with IV = salt·2^16 ⊕ SSRC·2^64 ⊕ index·2^16 (§4.1.1) — AES here as an ECB
	 * block of its own */
	n = rtp(packet, 1, 0xcafe, 40);
	memcpy(plain, packet, n);
	CHECK_EQ(ivxs_srtp_protect(&s, packet, n, sizeof(packet), &out), 0);
	CHECK_EQ(out, n + IVXS_SRTP_TAG_BYTES);
	memcpy(iv, cipherSalt, 14);
	iv[6] ^= 0xca, iv[7] ^= 0xfe;   /* the SSRC in bytes 4…7 */
	iv[13] ^= 1;                    /* index 1 (ROC 0, sequence number 1) in bytes 8…13 */
	CHECK_EQ(psa_crypto_init(), PSA_SUCCESS);
	psa_set_key_type(&attributes, PSA_KEY_TYPE_AES);
	psa_set_key_algorithm(&attributes, PSA_ALG_ECB_NO_PADDING);
	psa_set_key_usage_flags(&attributes, PSA_KEY_USAGE_ENCRYPT);
	CHECK_EQ(psa_import_key(&attributes, cipherKey, 16, &expected), PSA_SUCCESS);
	CHECK_EQ(psa_cipher_encrypt(expected, PSA_ALG_ECB_NO_PADDING, iv, 16, a, sizeof(a), &written), PSA_SUCCESS);
	for (i = 0; i < 16; i++)
		b[i] = packet[12 + i] ^ plain[12 + i];
	CHECK(!memcmp(a, b, 16));
	/* the session authentication key, seen through a tag: HMAC-SHA1(packet || ROC 0), 80 bits */
	memset(packet + n, 0, 4);   /* the ROC after the (encrypted) packet */
	{
		uint8_t saved[10];
		memcpy(saved, packet + n, 0);
		CHECK(!mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA1), authKey, 20, packet, n + 4, tag));
	}
	/* protect again (a new context: the same packet index) to read the tag it wrote */
	ivxs_srtp_free(&s);
	CHECK_EQ(ivxs_srtp_init(&s, key, salt), 0);
	n = rtp(packet, 1, 0xcafe, 40);
	CHECK_EQ(ivxs_srtp_protect(&s, packet, n, sizeof(packet), &out), 0);
	CHECK(!memcmp(packet + n, tag, IVXS_SRTP_TAG_BYTES));
done:
	psa_destroy_key(expected);
	ivxs_srtp_free(&s);
}

static void test_round_trip(void)
{
	uint8_t key[16], salt[14], packet[1500], plain[1500];
	ivxs_srtp tx, rx;
	size_t n, out, i;
	unsigned sent = 0;
	for (i = 0; i < 16; i++)
		key[i] = (uint8_t)(i * 13 + 1);
	for (i = 0; i < 14; i++)
		salt[i] = (uint8_t)(i * 29 + 3);
	CHECK_EQ(ivxs_srtp_init(&tx, key, salt), 0);
	CHECK_EQ(ivxs_srtp_init(&rx, key, salt), 0);
	/* two streams across a sequence number wrap, with reordering inside the window */
	for (i = 0; i < 400; i++) {
		uint16_t seq = (uint16_t)(65400 + i);
		uint32_t ssrc = i % 3 ? 0x1111 : 0x2222;
		if (i % 10 == 3)
			seq = (uint16_t)(seq - 2);   /* a late packet */
		n = rtp(packet, seq, ssrc, i % 200);
		memcpy(plain, packet, n);
		CHECK_EQ(ivxs_srtp_protect(&tx, packet, n, sizeof(packet), &out), 0);
		CHECK(n == 12 || memcmp(packet + 12, plain + 12, n - 12));   /* encrypted */
		if (i % 10 == 3 && ssrc == 0x1111)
			continue;   /* its earlier copy went already (same index): a replay for rx */
		CHECKF(ivxs_srtp_unprotect(&rx, packet, out, &n) == 0, "packet %zu (seq %u) refused", i, (unsigned)seq);
		CHECK(!memcmp(packet, plain, n));
		sent++;
	}
	NOTE("%u packets through a sequence number wrap", sent);
done:
	ivxs_srtp_free(&tx);
	ivxs_srtp_free(&rx);
}

static void test_refusals(void)
{
	uint8_t key[16] = { 1 }, salt[14] = { 2 }, packet[256], copy[256], old[256];
	ivxs_srtp tx, rx;
	size_t n, out, oldLen = 0;
	uint32_t i;
	CHECK_EQ(ivxs_srtp_init(&tx, key, salt), 0);
	CHECK_EQ(ivxs_srtp_init(&rx, key, salt), 0);
	for (i = 0; i < 100; i++) {
		n = rtp(packet, (uint16_t)i, 7, 50);
		CHECK_EQ(ivxs_srtp_protect(&tx, packet, n, sizeof(packet), &out), 0);
		if (i == 10) {
			memcpy(old, packet, out);
			oldLen = out;
			continue;   /* held back: it arrives after the window moved past it */
		}
		memcpy(copy, packet, out);
		CHECK_EQ(ivxs_srtp_unprotect(&rx, packet, out, &n), 0);
		if (i == 50) {   /* the same packet again */
			memcpy(packet, copy, out);
			CHECK_EQ(ivxs_srtp_unprotect(&rx, packet, out, &n), IVXS_WEBRTC_EREPLAY);
		}
	}
	CHECK_EQ(ivxs_srtp_unprotect(&rx, old, oldLen, &n), IVXS_WEBRTC_EREPLAY);   /* 89 behind: past the window */
	/* a changed byte anywhere: refused, and the next good packet still goes through */
	n = rtp(packet, 100, 7, 50);
	CHECK_EQ(ivxs_srtp_protect(&tx, packet, n, sizeof(packet), &out), 0);
	memcpy(copy, packet, out);
	for (i = 0; i < out; i += 7) {
		memcpy(packet, copy, out);
		packet[i] ^= 0x10;
		CHECKF(ivxs_srtp_unprotect(&rx, packet, out, &n) != 0, "byte %u changed, accepted", i);
	}
	memcpy(packet, copy, out);
	CHECK_EQ(ivxs_srtp_unprotect(&rx, packet, out, &n), 0);
	/* runts, and a packet that is not RTP */
	CHECK_EQ(ivxs_srtp_unprotect(&rx, packet, 21, &n), IVXS_WEBRTC_EPACKET);
	packet[0] = 0x40;
	CHECK_EQ(ivxs_srtp_unprotect(&rx, packet, out, &n), IVXS_WEBRTC_EPACKET);
	n = rtp(packet, 1, 7, 10);
	CHECK_EQ(ivxs_srtp_protect(&tx, packet, n, n + 9, &out), IVXS_WEBRTC_EPACKET);   /* no room for the tag */
	/* more SSRCs than a context follows */
	for (i = 0; i < IVXS_SRTP_STREAMS; i++) {
		n = rtp(packet, 1, 1000 + i, 10);
		CHECK_EQ(ivxs_srtp_protect(&tx, packet, n, sizeof(packet), &out), i == IVXS_SRTP_STREAMS - 1 ? IVXS_WEBRTC_ESTREAMS : 0);
	}
done:
	ivxs_srtp_free(&tx);
	ivxs_srtp_free(&rx);
}

static void test_srtcp(void)
{
	uint8_t key[16] = { 9 }, salt[14] = { 8 }, packet[256], plain[256], copy[256];
	ivxs_srtp tx, rx;
	size_t n = 28, out, len;
	int i;
	CHECK_EQ(ivxs_srtp_init(&tx, key, salt), 0);
	CHECK_EQ(ivxs_srtp_init(&rx, key, salt), 0);
	for (i = 0; i < 5; i++) {
		/* a sender report: V=2, PT 200, length 6, SSRC, NTP, RTP time, counts */
		memset(packet, 0, sizeof(packet));
		packet[0] = 0x80, packet[1] = 200, packet[3] = 6;
		packet[4] = 0xab, packet[7] = (uint8_t)i;
		packet[20] = (uint8_t)i;
		memcpy(plain, packet, n);
		CHECK_EQ(ivxs_srtcp_protect(&tx, packet, n, sizeof(packet), &out), 0);
		CHECK_EQ(out, n + IVXS_SRTCP_TRAILER_BYTES);
		CHECK(!memcmp(packet, plain, 8) && memcmp(packet + 8, plain + 8, n - 8));   /* header and SSRC clear, the rest encrypted */
		CHECK_EQ(packet[n] >> 7, 1);   /* E */
		memcpy(copy, packet, out);
		packet[10 + i] ^= 1;   /* a changed byte first: refused, and the packet itself still goes through */
		CHECK_EQ(ivxs_srtcp_unprotect(&rx, packet, out, &len), IVXS_WEBRTC_EAUTH);
		memcpy(packet, copy, out);
		CHECK_EQ(ivxs_srtcp_unprotect(&rx, packet, out, &len), 0);
		CHECK_EQ(len, n);
		CHECK(!memcmp(packet, plain, n));
		memcpy(packet, copy, out);
		CHECK_EQ(ivxs_srtcp_unprotect(&rx, packet, out, &len), IVXS_WEBRTC_EREPLAY);
	}
	CHECK_EQ(ivxs_srtcp_unprotect(&rx, packet, 21, &len), IVXS_WEBRTC_EPACKET);
done:
	ivxs_srtp_free(&tx);
	ivxs_srtp_free(&rx);
}

/* A context for SRTCP alone, allocated exactly IVXS_SRTP_RTCP_BYTES (the sanitizer sees any reach
 * past them): it opens and seals SRTCP as a whole context does, and refuses RTP either way. */
static void test_rtcp_only(void)
{
	uint8_t key[16] = { 9 }, salt[14] = { 8 }, packet[256], plain[256];
	ivxs_srtp tx, *rx = malloc(IVXS_SRTP_RTCP_BYTES);
	size_t n = 28, out, len;
	CHECK(rx != NULL && IVXS_SRTP_RTCP_BYTES < sizeof(ivxs_srtp));
	CHECK_EQ(ivxs_srtp_init(&tx, key, salt), 0);
	CHECK_EQ(ivxs_srtp_init_rtcp(rx, key, salt), 0);
	memset(packet, 0, sizeof(packet));
	packet[0] = 0x80, packet[1] = 200, packet[3] = 6;
	memcpy(plain, packet, n);
	CHECK_EQ(ivxs_srtcp_protect(&tx, packet, n, sizeof(packet), &out), 0);
	CHECK_EQ(ivxs_srtcp_unprotect(rx, packet, out, &len), 0);
	CHECK(len == n && !memcmp(packet, plain, n));
	CHECK_EQ(ivxs_srtcp_protect(rx, packet, n, sizeof(packet), &out), 0);
	CHECK_EQ(ivxs_srtcp_unprotect(&tx, packet, out, &len), 0);
	n = rtp(packet, 1, 7, 50);
	CHECK_EQ(ivxs_srtp_protect(rx, packet, n, sizeof(packet), &out), IVXS_WEBRTC_ECRYPTO);
	CHECK_EQ(ivxs_srtp_protect(&tx, packet, n, sizeof(packet), &out), 0);
	CHECK_EQ(ivxs_srtp_unprotect(rx, packet, out, &len), IVXS_WEBRTC_ECRYPTO);
done:
	ivxs_srtp_free(&tx);
	if (rx)
		ivxs_srtp_free(rx);
	free(rx);
}

/* The payload's span: after CSRCs and an extension, before padding; lengths past the packet refused. */
static void test_payload(void)
{
	uint8_t p[64];
	size_t start = 0, end = 0;
	memset(p, 0, sizeof(p));
	p[0] = 0x80;
	CHECK_EQ(ivxs_rtp_payload(p, 40, &start, &end), 0);
	CHECK(start == 12 && end == 40);
	p[0] = 0x80 | 0x10 | 2;   /* two CSRCs, an extension of one word */
	p[20 + 3] = 1;
	CHECK_EQ(ivxs_rtp_payload(p, 40, &start, &end), 0);
	CHECK(start == 12 + 8 + 4 + 4 && end == 40);
	p[0] |= 0x20;             /* padding: 3 bytes, the last one counting them */
	p[39] = 3;
	CHECK_EQ(ivxs_rtp_payload(p, 40, &start, &end), 0);
	CHECK(start == 28 && end == 37);
	p[39] = 0;
	CHECK_EQ(ivxs_rtp_payload(p, 40, &start, &end), IVXS_WEBRTC_EPACKET);
	p[39] = 13;               /* more padding than payload */
	CHECK_EQ(ivxs_rtp_payload(p, 40, &start, &end), IVXS_WEBRTC_EPACKET);
	p[0] = 0x80 | 0x10;
	p[12 + 3] = 200;          /* an extension past the packet */
	CHECK_EQ(ivxs_rtp_payload(p, 40, &start, &end), IVXS_WEBRTC_EPACKET);
	CHECK_EQ(ivxs_rtp_payload(p, 11, &start, &end), IVXS_WEBRTC_EPACKET);
	p[0] = 0x40;              /* version 1 */
	CHECK_EQ(ivxs_rtp_payload(p, 40, &start, &end), IVXS_WEBRTC_EPACKET);
done:;
}

int main(void)
{
	ivxs_test_run("RFC 3711 B.3: session cipher key, salt and authentication key from the master key", test_key_derivation);
	ivxs_test_run("protect / unprotect: two SSRCs across a sequence number wrap, late packets inside the window", test_round_trip);
	ivxs_test_run("refused without harm: replays, older than the window, any changed byte, runts, no room, a ninth SSRC", test_refusals);
	ivxs_test_run("an RTP packet's payload: after CSRCs and the extension, before the padding; lengths past the packet refused", test_payload);
	ivxs_test_run("SRTCP: sender reports encrypted past the SSRC, E flag and index, replays and changes refused", test_srtcp);
	ivxs_test_run("a context for SRTCP alone: IVXS_SRTP_RTCP_BYTES long, SRTCP as a whole context's, RTP refused", test_rtcp_only);
	return ivxs_test_summary();
}
