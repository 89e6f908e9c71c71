/*
 * P2P transport — the packets' AEAD, by the session's version (PROTOCOL.md "DATA packets"):
 * version 5's ChaCha20-Poly1305, here, and version 6's AES-128-CTR + HMAC-SHA-256 for a chip's AES
 * and SHA engines (p2p_aead_aes.c). Every other primitive of the transport is mbedTLS's
 * (p2p_crypto.c).
 *
 * ChaCha20-Poly1305 as RFC 8439 §2.8 defines it is written here rather than taken from mbedTLS:
 * it is the camera's largest cost per viewer where no engine seals (each viewer's copy of the
 * stream is sealed), and mbedTLS 2.28's version XORs the keystream a byte at a time, serialises
 * each keystream block to bytes first and carries Poly1305 in 32-bit limbs with 64-bit sums. This
 * one XORs whole words, keeps the keystream as words and carries Poly1305 in five 26-bit limbs (25
 * 32×32→64 products a block, no 64-bit additions in the carry chain): a 1,200-byte packet sealed in
 * ~51 k instructions on the 32-bit host against mbedTLS's ~70 k (native/p2p/README.md "AEAD").
 * open() checks the tag before it decrypts, so a forged packet costs no keystream.
 *
 * Checked against RFC 8439's test vectors and, for every length and split of head and body,
 * against mbedTLS (tests/p2p_aead_test.c), and by a libFuzzer harness that compares the two on
 * fuzzed keys, nonces, lengths and tags (native/fuzz/aead_fuzz.c). Constant time: no branch or
 * index depends on a key, keystream or tag byte (the tag comparison ORs every difference).
 */
#include "p2p_internal.h"

#include <string.h>

typedef struct {
	uint32_t key[8];
	uint8_t iv[P2P_IV];
} chachaKeys;

struct p2p_aead {
	int version;               /* 0: no keys */
	union {
		chachaKeys chacha;     /* 5 */
		p2p_aes_hmac aes;      /* 6 */
	} u;
};

size_t p2p_aead_size(void)
{
	return sizeof(p2p_aead);
}

void p2p_aead_nonce(const uint8_t iv[P2P_IV], uint32_t pn, uint8_t nonce[P2P_IV])
{
	memcpy(nonce, iv, P2P_IV);
	nonce[8] ^= (uint8_t)(pn >> 24);
	nonce[9] ^= (uint8_t)(pn >> 16);
	nonce[10] ^= (uint8_t)(pn >> 8);
	nonce[11] ^= (uint8_t)pn;
}

size_t p2p_aead_key_bytes(int version)
{
	return version == IVXS_P2P_VERSION_AES ? P2P_KEYS_AES : P2P_KEYS_CHACHA;
}

int p2p_aead_init(p2p_aead *a, int version, const uint8_t *keys)
{
	int i;
	if (version == IVXS_P2P_VERSION_AES)
		p2p_aes_hmac_init(&a->u.aes, keys);
	else if (version == IVXS_P2P_VERSION) {
		for (i = 0; i < 8; i++)
			a->u.chacha.key[i] = ivxs_get_le32(keys + 4 * i);
		memcpy(a->u.chacha.iv, keys + 32, P2P_IV);
	}
	else
		return IVXS_P2P_EVERSION;
	a->version = version;
	return 0;
}

void p2p_aead_free(p2p_aead *a)
{
	if (a)
		p2p_wipe(a, sizeof(*a));
}

/* ---- ChaCha20 (RFC 8439 §2.3, §2.4) ---- */

typedef struct {
	const uint32_t *key;
	uint32_t nonce[3], counter;
	uint32_t ks[16];     /* the current keystream block, as words */
	unsigned used;       /* its bytes already used (64: none left) */
} chacha;

#define ROTL(v, n) (((v) << (n)) | ((v) >> (32 - (n))))
#define QR(a, b, c, d) \
	a += b; d ^= a; d = ROTL(d, 16); \
	c += d; b ^= c; b = ROTL(b, 12); \
	a += b; d ^= a; d = ROTL(d, 8); \
	c += d; b ^= c; b = ROTL(b, 7)

/* "expand 32-byte k" */
#define C0 0x61707865u
#define C1 0x3320646eu
#define C2 0x79622d32u
#define C3 0x6b206574u

static void chachaBlock(chacha *c)
{
	const uint32_t *k = c->key;
	uint32_t x0 = C0, x1 = C1, x2 = C2, x3 = C3;
	uint32_t x4 = k[0], x5 = k[1], x6 = k[2], x7 = k[3], x8 = k[4], x9 = k[5], x10 = k[6], x11 = k[7];
	uint32_t x12 = c->counter, x13 = c->nonce[0], x14 = c->nonce[1], x15 = c->nonce[2];
	int i;
	for (i = 0; i < 10; i++) {
		QR(x0, x4, x8, x12); QR(x1, x5, x9, x13); QR(x2, x6, x10, x14); QR(x3, x7, x11, x15);
		QR(x0, x5, x10, x15); QR(x1, x6, x11, x12); QR(x2, x7, x8, x13); QR(x3, x4, x9, x14);
	}
	c->ks[0] = x0 + C0; c->ks[1] = x1 + C1; c->ks[2] = x2 + C2; c->ks[3] = x3 + C3;
	c->ks[4] = x4 + k[0]; c->ks[5] = x5 + k[1]; c->ks[6] = x6 + k[2]; c->ks[7] = x7 + k[3];
	c->ks[8] = x8 + k[4]; c->ks[9] = x9 + k[5]; c->ks[10] = x10 + k[6]; c->ks[11] = x11 + k[7];
	c->ks[12] = x12 + c->counter; c->ks[13] = x13 + c->nonce[0]; c->ks[14] = x14 + c->nonce[1]; c->ks[15] = x15 + c->nonce[2];
	c->counter++;
	c->used = 0;
}

static inline uint8_t keystreamByte(chacha *c)
{
	uint8_t b = (uint8_t)(c->ks[c->used / 4] >> (8 * (c->used % 4)));
	c->used++;
	return b;
}

/* out = in xor the keystream, continuing where the last call stopped (head, then body). */
static void chachaXor(chacha *c, const uint8_t *in, uint8_t *out, size_t n)
{
	int i;
	for (; n && c->used < 64; n--)
		*out++ = *in++ ^ keystreamByte(c);
	for (; n >= 64; n -= 64, in += 64, out += 64) {
		chachaBlock(c);
		for (i = 0; i < 16; i++)
			ivxs_put_le32(out + 4 * i, ivxs_get_le32(in + 4 * i) ^ c->ks[i]);
		c->used = 64;
	}
	if (n) {
		chachaBlock(c);
		for (; n; n--)
			*out++ = *in++ ^ keystreamByte(c);
	}
}

/* ---- Poly1305 (RFC 8439 §2.5): h = (h + block) * r mod 2^130 - 5, in 26-bit limbs ---- */

#define M26 0x3ffffffu

typedef struct {
	uint32_t r[5], s[4];   /* s[i] = r[i + 1] * 5: 2^130 wraps to 5 */
	uint32_t h[5];
	uint32_t pad[4];       /* the key's second half, added at the end */
	uint8_t buf[16];
	unsigned fill;
} poly;

static void polyInit(poly *p, const uint8_t key[32])
{
	/* r clamped (§2.5): the top four bits of bytes 3, 7, 11, 15 and the bottom two of 4, 8, 12 cleared */
	uint32_t t0 = ivxs_get_le32(key) & 0x0fffffffu, t1 = ivxs_get_le32(key + 4) & 0x0ffffffcu;
	uint32_t t2 = ivxs_get_le32(key + 8) & 0x0ffffffcu, t3 = ivxs_get_le32(key + 12) & 0x0ffffffcu;
	int i;
	p->r[0] = t0 & M26;
	p->r[1] = ((t0 >> 26) | (t1 << 6)) & M26;
	p->r[2] = ((t1 >> 20) | (t2 << 12)) & M26;
	p->r[3] = ((t2 >> 14) | (t3 << 18)) & M26;
	p->r[4] = t3 >> 8;
	for (i = 0; i < 4; i++)
		p->s[i] = p->r[i + 1] * 5;
	for (i = 0; i < 5; i++)
		p->h[i] = 0;
	for (i = 0; i < 4; i++)
		p->pad[i] = ivxs_get_le32(key + 16 + 4 * i);
	p->fill = 0;
}

/* Whole 16-byte blocks, each with its 2^128 bit (1 << 24 in the top limb). */
static void polyBlocks(poly *p, const uint8_t *m, size_t n)
{
	const uint32_t r0 = p->r[0], r1 = p->r[1], r2 = p->r[2], r3 = p->r[3], r4 = p->r[4];
	const uint32_t s1 = p->s[0], s2 = p->s[1], s3 = p->s[2], s4 = p->s[3];
	uint32_t h0 = p->h[0], h1 = p->h[1], h2 = p->h[2], h3 = p->h[3], h4 = p->h[4];
	for (; n >= 16; m += 16, n -= 16) {
		uint32_t t0 = ivxs_get_le32(m), t1 = ivxs_get_le32(m + 4), t2 = ivxs_get_le32(m + 8), t3 = ivxs_get_le32(m + 12), c;
		uint64_t d0, d1, d2, d3, d4;
		h0 += t0 & M26;
		h1 += ((t0 >> 26) | (t1 << 6)) & M26;
		h2 += ((t1 >> 20) | (t2 << 12)) & M26;
		h3 += ((t2 >> 14) | (t3 << 18)) & M26;
		h4 += (t3 >> 8) | (1u << 24);
		/* limbs < 2^27, r limbs < 2^26, s < 2^29: five products < 2^59 */
		d0 = (uint64_t)h0 * r0 + (uint64_t)h1 * s4 + (uint64_t)h2 * s3 + (uint64_t)h3 * s2 + (uint64_t)h4 * s1;
		d1 = (uint64_t)h0 * r1 + (uint64_t)h1 * r0 + (uint64_t)h2 * s4 + (uint64_t)h3 * s3 + (uint64_t)h4 * s2;
		d2 = (uint64_t)h0 * r2 + (uint64_t)h1 * r1 + (uint64_t)h2 * r0 + (uint64_t)h3 * s4 + (uint64_t)h4 * s3;
		d3 = (uint64_t)h0 * r3 + (uint64_t)h1 * r2 + (uint64_t)h2 * r1 + (uint64_t)h3 * r0 + (uint64_t)h4 * s4;
		d4 = (uint64_t)h0 * r4 + (uint64_t)h1 * r3 + (uint64_t)h2 * r2 + (uint64_t)h3 * r1 + (uint64_t)h4 * r0;
		/* partial carry: every limb back under 2^26 but h1, which may reach 2^26 + 2^6 */
		c = (uint32_t)(d0 >> 26); h0 = (uint32_t)d0 & M26;
		d1 += c; c = (uint32_t)(d1 >> 26); h1 = (uint32_t)d1 & M26;
		d2 += c; c = (uint32_t)(d2 >> 26); h2 = (uint32_t)d2 & M26;
		d3 += c; c = (uint32_t)(d3 >> 26); h3 = (uint32_t)d3 & M26;
		d4 += c; c = (uint32_t)(d4 >> 26); h4 = (uint32_t)d4 & M26;
		h0 += c * 5; c = h0 >> 26; h0 &= M26;
		h1 += c;
	}
	p->h[0] = h0; p->h[1] = h1; p->h[2] = h2; p->h[3] = h3; p->h[4] = h4;
}

static void polyUpdate(poly *p, const uint8_t *m, size_t n)
{
	size_t whole;
	if (n == 0)   /* m may be NULL then */
		return;
	if (p->fill) {
		size_t take = 16 - p->fill < n ? 16 - p->fill : n;
		memcpy(p->buf + p->fill, m, take);
		p->fill += (unsigned)take;
		m += take;
		n -= take;
		if (p->fill < 16)
			return;
		polyBlocks(p, p->buf, 16);
		p->fill = 0;
	}
	whole = n & ~(size_t)15;
	polyBlocks(p, m, whole);
	m += whole;
	n -= whole;
	if (n) {
		memcpy(p->buf, m, n);
		p->fill = (unsigned)n;
	}
}

/* The AEAD's zero padding to a 16-byte boundary: part of the MAC's message (a full block). */
static void polyPad16(poly *p)
{
	if (p->fill) {
		memset(p->buf + p->fill, 0, 16 - p->fill);
		polyBlocks(p, p->buf, 16);
		p->fill = 0;
	}
}

static void polyFinish(poly *p, uint8_t tag[P2P_TAG])
{
	uint32_t h0, h1, h2, h3, h4, g0, g1, g2, g3, g4, c, useG, w0, w1, w2, w3;
	uint64_t f;
	/* (the AEAD's message is whole blocks — padded text, then the lengths — so no partial
	 * last block, §2.5.1's other case, ever reaches here) */
	h0 = p->h[0]; h1 = p->h[1]; h2 = p->h[2]; h3 = p->h[3]; h4 = p->h[4];
	/* full carry */
	c = h1 >> 26; h1 &= M26; h2 += c;
	c = h2 >> 26; h2 &= M26; h3 += c;
	c = h3 >> 26; h3 &= M26; h4 += c;
	c = h4 >> 26; h4 &= M26; h0 += c * 5;
	c = h0 >> 26; h0 &= M26; h1 += c;
	/* g = h + 5 - 2^130: h mod p is g when g does not go below zero */
	g0 = h0 + 5; c = g0 >> 26; g0 &= M26;
	g1 = h1 + c; c = g1 >> 26; g1 &= M26;
	g2 = h2 + c; c = g2 >> 26; g2 &= M26;
	g3 = h3 + c; c = g3 >> 26; g3 &= M26;
	g4 = h4 + c - (1u << 26);
	useG = (g4 >> 31) - 1;   /* all ones when g4 did not wrap */
	h0 = (h0 & ~useG) | (g0 & useG);
	h1 = (h1 & ~useG) | (g1 & useG);
	h2 = (h2 & ~useG) | (g2 & useG);
	h3 = (h3 & ~useG) | (g3 & useG);
	h4 = (h4 & ~useG) | (g4 & useG);
	/* to 128 bits, plus the pad, mod 2^128 */
	w0 = h0 | (h1 << 26);
	w1 = (h1 >> 6) | (h2 << 20);
	w2 = (h2 >> 12) | (h3 << 14);
	w3 = (h3 >> 18) | (h4 << 8);
	f = (uint64_t)w0 + p->pad[0]; ivxs_put_le32(tag, (uint32_t)f);
	f = (uint64_t)w1 + p->pad[1] + (f >> 32); ivxs_put_le32(tag + 4, (uint32_t)f);
	f = (uint64_t)w2 + p->pad[2] + (f >> 32); ivxs_put_le32(tag + 8, (uint32_t)f);
	f = (uint64_t)w3 + p->pad[3] + (f >> 32); ivxs_put_le32(tag + 12, (uint32_t)f);
}

/* ---- the AEAD (§2.8) ---- */

/* The packet's nonce (p2p_aead_nonce); the one-time Poly1305 key is block 0's first 32 bytes
 * (§2.6), the text is encrypted from block 1. */
static void start(const chachaKeys *a, uint32_t pn, chacha *c, poly *p, const uint8_t *aad, size_t aad_len)
{
	uint8_t polyKey[32], nonce[P2P_IV];
	int i;
	p2p_aead_nonce(a->iv, pn, nonce);
	c->key = a->key;
	c->nonce[0] = ivxs_get_le32(nonce);
	c->nonce[1] = ivxs_get_le32(nonce + 4);
	c->nonce[2] = ivxs_get_le32(nonce + 8);
	c->counter = 0;
	chachaBlock(c);
	for (i = 0; i < 8; i++)
		ivxs_put_le32(polyKey + 4 * i, c->ks[i]);
	c->used = 64;   /* the rest of block 0 is not used */
	polyInit(p, polyKey);
	p2p_wipe(polyKey, sizeof(polyKey));
	polyUpdate(p, aad, aad_len);
	polyPad16(p);
}

static void finish(poly *p, size_t aad_len, size_t text_len, uint8_t tag[P2P_TAG])
{
	uint8_t lengths[16];
	polyPad16(p);
	ivxs_put_le32(lengths, (uint32_t)aad_len);
	ivxs_put_le32(lengths + 4, (uint32_t)((uint64_t)aad_len >> 32));
	ivxs_put_le32(lengths + 8, (uint32_t)text_len);
	ivxs_put_le32(lengths + 12, (uint32_t)((uint64_t)text_len >> 32));
	polyUpdate(p, lengths, 16);
	polyFinish(p, tag);
}

static void chachaSeal(const chachaKeys *a, uint32_t pn, const uint8_t *aad, size_t aad_len, const uint8_t *head,
		size_t head_len, const uint8_t *body, size_t body_len, uint8_t *out, uint8_t tag[P2P_TAG])
{
	chacha c;
	poly p;
	start(a, pn, &c, &p, aad, aad_len);
	/* the body follows the head in one stream, from where it lies (zero-copy) */
	if (head_len)
		chachaXor(&c, head, out, head_len);
	if (body_len)   /* (out is NULL for an empty text: no pointer arithmetic on it) */
		chachaXor(&c, body, out + head_len, body_len);
	polyUpdate(&p, out, head_len + body_len);
	finish(&p, aad_len, head_len + body_len, tag);
	p2p_wipe(&c, sizeof(c));
	p2p_wipe(&p, sizeof(p));
}

static int chachaOpen(const chachaKeys *a, uint32_t pn, const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
		const uint8_t tag[P2P_TAG], uint8_t *out)
{
	chacha c;
	poly p;
	uint8_t expected[P2P_TAG];
	int authentic;
	start(a, pn, &c, &p, aad, aad_len);
	polyUpdate(&p, in, len);
	finish(&p, aad_len, len, expected);
	authentic = p2p_equal(expected, tag, P2P_TAG);
	if (authentic)   /* in may be out */
		chachaXor(&c, in, out, len);
	p2p_wipe(&c, sizeof(c));
	p2p_wipe(&p, sizeof(p));
	return authentic ? 0 : IVXS_P2P_EAUTH;
}

int p2p_aead_seal(p2p_aead *a, uint32_t pn, const uint8_t *aad, size_t aad_len, const uint8_t *head, size_t head_len,
		const uint8_t *body, size_t body_len, uint8_t *out, uint8_t tag[P2P_TAG])
{
	if (a->version == IVXS_P2P_VERSION_AES)
		p2p_aes_hmac_seal(&a->u.aes, pn, aad, aad_len, head, head_len, body, body_len, out, tag);
	else if (a->version == IVXS_P2P_VERSION)
		chachaSeal(&a->u.chacha, pn, aad, aad_len, head, head_len, body, body_len, out, tag);
	else
		return IVXS_P2P_ESTATE;
	return 0;
}

int p2p_aead_open(p2p_aead *a, uint32_t pn, const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
		const uint8_t tag[P2P_TAG], uint8_t *out)
{
	if (a->version == IVXS_P2P_VERSION_AES)
		return p2p_aes_hmac_open(&a->u.aes, pn, aad, aad_len, in, len, tag, out);
	return a->version == IVXS_P2P_VERSION ? chachaOpen(&a->u.chacha, pn, aad, aad_len, in, len, tag, out) : IVXS_P2P_EAUTH;
}
