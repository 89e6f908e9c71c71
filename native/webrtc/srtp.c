/*
 * SRTP / SRTCP, AES_CM_128_HMAC_SHA1_80 (srtp.h). Section numbers are RFC 3711's.
 */
#include "srtp.h"

#include <string.h>

#include "ivxs_bytes.h"
#include "srtp_crypto.h"

#define SRTCP_E 0x80000000u


/* Compares tags in time independent of where they differ. */
static int tagsEqual(const uint8_t *a, const uint8_t *b)
{
	uint8_t diff = 0;
	int i;
	for (i = 0; i < IVXS_SRTP_TAG_BYTES; i++)
		diff |= (uint8_t)(a[i] ^ b[i]);
	return diff == 0;
}

/* §4.3.1 with a key derivation rate of 0: AES-CM under the master key from
 * IV = (master salt XOR label at byte 7) · 2^16. */
static int derive(const ivxs_srtp_cipher *master, const uint8_t salt[IVXS_SRTP_SALT_BYTES], uint8_t label, uint8_t *out, size_t len)
{
	uint8_t iv[16] = { 0 };
	memcpy(iv, salt, IVXS_SRTP_SALT_BYTES);
	iv[7] ^= label;
	memset(out, 0, len);
	return ivxs_srtp_cm(master, iv, out, len);
}

static int deriveKeys(ivxs_srtp_keys *k, const ivxs_srtp_cipher *master, const uint8_t salt[IVXS_SRTP_SALT_BYTES], uint8_t label)
{
	uint8_t key[IVXS_SRTP_KEY_BYTES], auth[IVXS_SRTP_AUTH_KEY_BYTES];
	int status = derive(master, salt, label, key, sizeof(key));
	if (!status)
		status = derive(master, salt, (uint8_t)(label + 1), auth, sizeof(auth));
	if (!status)
		status = derive(master, salt, (uint8_t)(label + 2), k->salt, sizeof(k->salt));
	if (!status)
		status = ivxs_srtp_cipher_key(&k->key, key);
	if (!status)
		status = ivxs_srtp_hmac_init(&k->auth, auth);
	memset(key, 0, sizeof(key));
	memset(auth, 0, sizeof(auth));
	return status;
}

/* The session keys of `s` (its RTP ones too unless `rtcp_only`), which is IVXS_SRTP_RTCP_BYTES long
 * at least (sizeof(ivxs_srtp) when it has RTP). */
static int init(ivxs_srtp *s, const uint8_t key[IVXS_SRTP_KEY_BYTES], const uint8_t salt[IVXS_SRTP_SALT_BYTES], int rtcp_only)
{
	ivxs_srtp_cipher master;
	int status;
	memset(s, 0, rtcp_only ? IVXS_SRTP_RTCP_BYTES : sizeof(*s));
	status = ivxs_srtp_cipher_key(&master, key);
	if (!status)
		status = deriveKeys(&s->rtcp, &master, salt, 0x03);  /* labels 3, 4, 5 */
	if (!status && !rtcp_only) {
		s->has_rtp = 1;   /* (set first: ivxs_srtp_free frees what a failure left half made) */
		status = deriveKeys(&s->rtp, &master, salt, 0x00);   /* labels 0, 1, 2 */
	}
	ivxs_srtp_cipher_free(&master);
	if (status)
		ivxs_srtp_free(s);
	return status;
}

int ivxs_srtp_init(ivxs_srtp *s, const uint8_t key[IVXS_SRTP_KEY_BYTES], const uint8_t salt[IVXS_SRTP_SALT_BYTES])
{
	return init(s, key, salt, 0);
}

int ivxs_srtp_init_rtcp(ivxs_srtp *s, const uint8_t key[IVXS_SRTP_KEY_BYTES], const uint8_t salt[IVXS_SRTP_SALT_BYTES])
{
	return init(s, key, salt, 1);
}

void ivxs_srtp_free(ivxs_srtp *s)
{
	int has_rtp = s->has_rtp;
	if (has_rtp) {
		ivxs_srtp_cipher_free(&s->rtp.key);
		ivxs_srtp_hmac_free(&s->rtp.auth);
	}
	ivxs_srtp_cipher_free(&s->rtcp.key);
	ivxs_srtp_hmac_free(&s->rtcp.auth);
	memset(s, 0, has_rtp ? sizeof(*s) : IVXS_SRTP_RTCP_BYTES);
}

size_t ivxs_rtp_header_length(const uint8_t *p, size_t len)
{
	size_t n;
	if (len < 12 || (p[0] >> 6) != 2)
		return 0;
	n = 12 + 4 * (size_t)(p[0] & 0x0f);
	if (p[0] & 0x10) {   /* extension: 4 bytes of profile and length, then length words */
		if (len < n + 4)
			return 0;
		n += 4 + 4 * (size_t)ivxs_get16(p + n + 2);
	}
	return n <= len ? n : 0;
}

int ivxs_rtp_payload(const uint8_t *p, size_t len, size_t *start, size_t *end)
{
	size_t n = ivxs_rtp_header_length(p, len), padding = 0;
	if (!n)
		return IVXS_WEBRTC_EPACKET;
	if (p[0] & 0x20) {
		padding = p[len - 1];
		if (!padding || padding > len - n)
			return IVXS_WEBRTC_EPACKET;
	}
	*start = n;
	*end = len - padding;
	return 0;
}

/* The stream of `ssrc`, or a new one (NULL: the table is full). */
static ivxs_srtp_stream *streamOf(ivxs_srtp *s, uint32_t ssrc, int create)
{
	ivxs_srtp_stream *free = NULL;
	int i;
	for (i = 0; i < IVXS_SRTP_STREAMS; i++) {
		if (s->streams[i].used && s->streams[i].ssrc == ssrc)
			return &s->streams[i];
		if (!s->streams[i].used && !free)
			free = &s->streams[i];
	}
	return create ? free : NULL;
}

/* IV = (session salt · 2^16) XOR (SSRC · 2^64) XOR (index · 2^16) (§4.1.1). */
static void packetIv(uint8_t iv[16], const uint8_t salt[IVXS_SRTP_SALT_BYTES], uint32_t ssrc, uint64_t index)
{
	int i;
	memset(iv, 0, 16);
	memcpy(iv, salt, IVXS_SRTP_SALT_BYTES);
	for (i = 0; i < 4; i++)
		iv[4 + i] ^= (uint8_t)(ssrc >> (24 - 8 * i));
	for (i = 0; i < 6; i++)
		iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

/* The rollover counter a sequence number most likely belongs to (Appendix A). */
static uint32_t guessRoc(const ivxs_srtp_stream *st, uint16_t seq)
{
	if (st->seq < 0x8000)
		return (int)seq - (int)st->seq > 0x8000 && st->roc ? st->roc - 1 : st->roc;
	return (int)st->seq - 0x8000 > (int)seq ? st->roc + 1 : st->roc;
}

int ivxs_srtp_protect(ivxs_srtp *s, uint8_t *p, size_t len, size_t cap, size_t *out_len)
{
	size_t header = ivxs_rtp_header_length(p, len);
	ivxs_srtp_stream *st;
	uint8_t iv[16], roc[4];
	uint32_t rocOf;
	uint64_t index;
	uint16_t seq;
	int status;
	if (!s->has_rtp)
		return IVXS_WEBRTC_ECRYPTO;   /* a context for RTCP alone */
	if (!header || cap < len + IVXS_SRTP_TAG_BYTES)
		return IVXS_WEBRTC_EPACKET;
	if (!(st = streamOf(s, ivxs_get32(p + 8), 1)))
		return IVXS_WEBRTC_ESTREAMS;
	seq = (uint16_t)ivxs_get16(p + 2);
	if (!st->used) {   /* a new stream: its first sequence number is where the count starts */
		st->used = 1;
		st->ssrc = ivxs_get32(p + 8);
		st->roc = 0;
		st->seq = seq;
	}
	rocOf = guessRoc(st, seq);   /* the sender's own guess: a wrap from 65535 to 0 is one roll */
	index = (uint64_t)rocOf << 16 | seq;
	if (index > ((uint64_t)st->roc << 16 | st->seq)) {
		st->roc = rocOf;
		st->seq = seq;
	}
	packetIv(iv, s->rtp.salt, st->ssrc, index);
	if ((status = ivxs_srtp_cm(&s->rtp.key, iv, p + header, len - header)))
		return status;
	ivxs_put32(roc, rocOf);
	if ((status = ivxs_srtp_hmac_tag(&s->rtp.auth, p, len, roc, p + len)))
		return status;
	*out_len = len + IVXS_SRTP_TAG_BYTES;
	return 0;
}

/* Whether `index` is new to a window whose newest is `top` (bit i: top − i seen). */
static int fresh(uint64_t top, uint64_t window, uint64_t index)
{
	if (index > top)
		return 1;
	return top - index < IVXS_SRTP_WINDOW && !(window >> (top - index) & 1);
}

static void accept(uint64_t *top, uint64_t *window, uint64_t index)
{
	if (index > *top) {
		uint64_t shift = index - *top;
		*window = shift >= IVXS_SRTP_WINDOW ? 1 : (*window << shift) | 1;
		*top = index;
	}
	else
		*window |= (uint64_t)1 << (*top - index);
}

int ivxs_srtp_unprotect(ivxs_srtp *s, uint8_t *p, size_t len, size_t *out_len)
{
	size_t header, body;
	ivxs_srtp_stream *st, fresh0;
	uint8_t iv[16], rocBytes[4], tag[IVXS_SRTP_TAG_BYTES];
	uint32_t ssrc, roc;
	uint64_t index, top;
	uint16_t seq;
	int status;
	if (!s->has_rtp)
		return IVXS_WEBRTC_ECRYPTO;   /* a context for RTCP alone */
	if (len < 12 + IVXS_SRTP_TAG_BYTES)
		return IVXS_WEBRTC_EPACKET;
	body = len - IVXS_SRTP_TAG_BYTES;
	if (!(header = ivxs_rtp_header_length(p, body)))
		return IVXS_WEBRTC_EPACKET;
	ssrc = ivxs_get32(p + 8);
	seq = (uint16_t)ivxs_get16(p + 2);
	if (!(st = streamOf(s, ssrc, 1)))
		return IVXS_WEBRTC_ESTREAMS;
	if (!st->used) {   /* the first packet of a stream: its sequence number starts the count */
		memset(&fresh0, 0, sizeof(fresh0));
		fresh0.ssrc = ssrc;
		fresh0.seq = seq;
		roc = 0;
	}
	else
		roc = guessRoc(st, seq);
	index = (uint64_t)roc << 16 | seq;
	top = st->used ? (uint64_t)st->roc << 16 | st->seq : index;
	if (st->used && !fresh(top, st->window, index))
		return IVXS_WEBRTC_EREPLAY;
	ivxs_put32(rocBytes, roc);
	if ((status = ivxs_srtp_hmac_tag(&s->rtp.auth, p, body, rocBytes, tag)))
		return status;
	if (!tagsEqual(tag, p + body))
		return IVXS_WEBRTC_EAUTH;
	packetIv(iv, s->rtp.salt, ssrc, index);
	if ((status = ivxs_srtp_cm(&s->rtp.key, iv, p + header, body - header)))
		return status;
	if (!st->used) {
		*st = fresh0;
		st->used = 1;
		st->window = 1;
	}
	else {
		accept(&top, &st->window, index);
		st->roc = (uint32_t)(top >> 16);
		st->seq = (uint16_t)top;
	}
	*out_len = body;
	return 0;
}

int ivxs_srtcp_protect(ivxs_srtp *s, uint8_t *p, size_t len, size_t cap, size_t *out_len)
{
	ivxs_srtp_stream *st;
	uint8_t iv[16];
	uint32_t ssrc;
	int status;
	if (len < 8 || (p[0] >> 6) != 2 || cap < len + IVXS_SRTCP_TRAILER_BYTES)
		return IVXS_WEBRTC_EPACKET;
	ssrc = ivxs_get32(p + 4);
	if (!(st = streamOf(s, ssrc, 1)))
		return IVXS_WEBRTC_ESTREAMS;
	if (!st->used) {
		st->used = 1;
		st->ssrc = ssrc;
	}
	/* the first index is 1, as libsrtp (the browsers' SRTP) numbers them; RFC 3711 §3.4 starts
	 * at 0; receivers take either, and the same bytes as libsrtp's can be checked against it */
	st->rtcpIndex = (st->rtcpIndex + 1) & 0x7fffffff;
	st->rtcpSeen = 1;
	packetIv(iv, s->rtcp.salt, ssrc, st->rtcpIndex);
	if ((status = ivxs_srtp_cm(&s->rtcp.key, iv, p + 8, len - 8)))
		return status;
	ivxs_put32(p + len, SRTCP_E | st->rtcpIndex);
	if ((status = ivxs_srtp_hmac_tag(&s->rtcp.auth, p, len, p + len, p + len + 4)))
		return status;
	*out_len = len + IVXS_SRTCP_TRAILER_BYTES;
	return 0;
}

int ivxs_srtcp_unprotect(ivxs_srtp *s, uint8_t *p, size_t len, size_t *out_len)
{
	ivxs_srtp_stream *st;
	uint8_t iv[16], tag[IVXS_SRTP_TAG_BYTES];
	uint32_t ssrc, word, index;
	uint64_t top, window;
	size_t body;
	int status;
	if (len < 8 + IVXS_SRTCP_TRAILER_BYTES || (p[0] >> 6) != 2)
		return IVXS_WEBRTC_EPACKET;
	body = len - IVXS_SRTCP_TRAILER_BYTES;
	ssrc = ivxs_get32(p + 4);
	word = ivxs_get32(p + body);
	index = word & 0x7fffffff;
	if (!(st = streamOf(s, ssrc, 1)))
		return IVXS_WEBRTC_ESTREAMS;
	top = st->rtcpIndex;
	window = st->rtcpWindow;
	if (st->used && st->rtcpSeen && !fresh(top, window, index))
		return IVXS_WEBRTC_EREPLAY;
	if ((status = ivxs_srtp_hmac_tag(&s->rtcp.auth, p, body, p + body, tag)))
		return status;
	if (!tagsEqual(tag, p + body + 4))
		return IVXS_WEBRTC_EAUTH;
	if (word & SRTCP_E) {
		packetIv(iv, s->rtcp.salt, ssrc, index);
		if ((status = ivxs_srtp_cm(&s->rtcp.key, iv, p + 8, body - 8)))
			return status;
	}
	if (!st->used) {
		memset(st, 0, sizeof(*st));
		st->used = 1;
		st->ssrc = ssrc;
	}
	if (!st->rtcpSeen) {
		top = index;
		window = 1;
		st->rtcpSeen = 1;
	}
	else
		accept(&top, &window, index);
	st->rtcpIndex = (uint32_t)top;
	st->rtcpWindow = window;
	*out_len = body;
	return 0;
}
