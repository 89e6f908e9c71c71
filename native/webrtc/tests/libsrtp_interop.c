/* Interop of our SRTP core (srtp.h) with an independent one, Debian's libsrtp2, under the
 * profile browsers use (AES_CM_128_HMAC_SHA1_80), for random keys and packets: the same bytes
 * out of both for every RTP and RTCP packet (three SSRCs, sequence numbers through a wrap,
 * payloads of 0 to 1200 bytes, a CSRC list and a header extension now and then), and each side
 * unprotecting what the other protected. Not a *_test.c: native/Makefile does not link libsrtp2
 * (the host must not); tests/webrtc.test.mjs compiles and runs it. Ends with "N passed, N failed". */
#include "srtp.h"

#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivxs_test.h"

static uint32_t gSeed = 12345;
static uint32_t rnd(void)
{
	gSeed = gSeed * 1103515245u + 12345u;
	return gSeed >> 8;
}

static srtp_t libsrtp(const uint8_t *keySalt, int inbound)
{
	srtp_policy_t policy;
	srtp_t session = NULL;
	memset(&policy, 0, sizeof(policy));
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
	policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	policy.key = (unsigned char *)keySalt;
	policy.window_size = 128;
	policy.allow_repeat_tx = 0;
	return srtp_create(&session, &policy) == srtp_err_status_ok ? session : NULL;
}

/* Both implementations, each a sender and a receiver, keyed with the same random master key and salt. */
typedef struct {
	ivxs_srtp tx, rx;
	srtp_t ltx, lrx;
} Pair;

static int pairOpen(Pair *p)
{
	uint8_t keySalt[30];
	int i;
	memset(p, 0, sizeof(*p));
	for (i = 0; i < 30; i++)
		keySalt[i] = (uint8_t)rnd();
	return ivxs_srtp_init(&p->tx, keySalt, keySalt + 16) == 0 && ivxs_srtp_init(&p->rx, keySalt, keySalt + 16) == 0
		&& (p->ltx = libsrtp(keySalt, 0)) && (p->lrx = libsrtp(keySalt, 1));
}

static void pairClose(Pair *p)
{
	if (p->ltx)
		srtp_dealloc(p->ltx);
	if (p->lrx)
		srtp_dealloc(p->lrx);
	ivxs_srtp_free(&p->tx);
	ivxs_srtp_free(&p->rx);
}

/* A random RTP packet of `ssrc` and `seq` into p: its length. */
static size_t randomRtp(uint8_t *p, uint32_t ssrc, uint16_t seq)
{
	size_t n = 12, payload = rnd() % 1201, i;
	int csrcs = rnd() % 8 == 0 ? (int)(rnd() % 3) + 1 : 0, ext = rnd() % 6 == 0;
	p[0] = (uint8_t)(0x80 | (ext ? 0x10 : 0) | csrcs);
	p[1] = (uint8_t)(96 | (rnd() % 2 ? 0x80 : 0));
	p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
	for (i = 4; i < 8; i++)
		p[i] = (uint8_t)rnd();
	p[8] = (uint8_t)(ssrc >> 24), p[9] = (uint8_t)(ssrc >> 16), p[10] = (uint8_t)(ssrc >> 8), p[11] = (uint8_t)ssrc;
	for (i = 0; i < (size_t)csrcs * 4; i++)
		p[n++] = (uint8_t)rnd();
	if (ext) {   /* a one-byte-header extension (RFC 8285) of two words */
		p[n] = 0xbe, p[n + 1] = 0xde, p[n + 2] = 0, p[n + 3] = 2;
		for (i = 4; i < 12; i++)
			p[n + i] = (uint8_t)rnd();
		n += 12;
	}
	for (i = 0; i < payload; i++)
		p[n++] = (uint8_t)rnd();
	return n;
}

static size_t firstDiff(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;
	for (i = 0; i < n && a[i] == b[i]; i++)
		;
	return i;
}

/* One packet (RTP, or RTCP when `rtcp`) through both: the same protected bytes, and each side
 * unprotects what the other protected back to `plain`. 1, or 0 with the test's failure recorded. */
static int both(Pair *p, int rtcp, const uint8_t *plain, size_t n, int i)
{
	uint8_t ours[1400], theirs[1400];
	size_t out, back;
	int len = (int)n;
	memcpy(ours, plain, n);
	memcpy(theirs, plain, n);
	CHECK_EQ(rtcp ? ivxs_srtcp_protect(&p->tx, ours, n, sizeof(ours), &out) : ivxs_srtp_protect(&p->tx, ours, n, sizeof(ours), &out), 0);
	CHECK_EQ(rtcp ? srtp_protect_rtcp(p->ltx, theirs, &len) : srtp_protect(p->ltx, theirs, &len), srtp_err_status_ok);
	CHECK_EQ(len, out);
	CHECKF(!memcmp(ours, theirs, out), "%s packet %d: the protected bytes differ from byte %zu", rtcp ? "RTCP" : "RTP", i, firstDiff(ours, theirs, out));
	len = (int)out;
	CHECK_EQ(rtcp ? srtp_unprotect_rtcp(p->lrx, ours, &len) : srtp_unprotect(p->lrx, ours, &len), srtp_err_status_ok);
	CHECK_EQ(rtcp ? ivxs_srtcp_unprotect(&p->rx, theirs, out, &back) : ivxs_srtp_unprotect(&p->rx, theirs, out, &back), 0);
	CHECK(len == (int)n && back == n && !memcmp(ours, plain, n) && !memcmp(theirs, plain, n));
	return 1;
done:
	return 0;
}

static void test_rtp(void)
{
	uint8_t plain[1400];
	static const uint32_t ssrcs[3] = { 0x01020304, 0xdeadbeef, 0x5 };
	uint16_t seqs[3] = { 65000, 1, 30000 };
	int i;
	Pair pair;
	CHECK(pairOpen(&pair));
	for (i = 0; i < 3000; i++)
		CHECK(both(&pair, 0, plain, randomRtp(plain, ssrcs[i % 3], seqs[i % 3]++), i));
	NOTE("3000 packets, 3 SSRCs, one through a sequence number wrap");
done:
	pairClose(&pair);
}

static void test_rtcp(void)
{
	uint8_t plain[400];
	size_t words, j;
	int i;
	Pair pair;
	CHECK(pairOpen(&pair));
	for (i = 0; i < 500; i++) {   /* packets of 1 to 60 words after the header, from two SSRCs */
		words = 1 + rnd() % 60;
		plain[0] = 0x80, plain[1] = (uint8_t)(200 + i % 5), plain[2] = (uint8_t)(words >> 8), plain[3] = (uint8_t)words;
		plain[4] = 0x77, plain[5] = 0x66, plain[6] = 0x55, plain[7] = (uint8_t)(i % 2);
		for (j = 8; j < 4 + 4 * words; j++)
			plain[j] = (uint8_t)rnd();
		CHECK(both(&pair, 1, plain, 4 + 4 * words, i));
	}
	NOTE("500 compound packets, two SSRCs");
done:
	pairClose(&pair);
}

int main(void)
{
	CHECK_EQ(srtp_init(), srtp_err_status_ok);
	ivxs_test_run("RTP: byte-identical to libsrtp2's protection, each unprotects the other's", test_rtp);
	ivxs_test_run("RTCP: byte-identical to libsrtp2's protection, each unprotects the other's", test_rtcp);
	srtp_shutdown();
done:
	return ivxs_test_summary();
}
