/*
 * The packets' AEAD of both versions (p2p_aead.c): version 5's ChaCha20-Poly1305 — RFC 8439's
 * AEAD test vector, then against mbedTLS's ChaCha20-Poly1305 — and version 6's AES-128-CTR +
 * HMAC-SHA-256 (p2p_aead_aes.c, on ivxs_engine_linux.c here) against mbedTLS's AES-CTR and HMAC
 * composed as PROTOCOL.md says; for every length to 1,300 bytes with heads split at every place a
 * packet's frames end and associated data of every length a header has, and what open() does with
 * a forged packet: refuses it and writes nothing.
 */
#include "p2p_internal.h"
#include "ivxs_test.h"
#include "aead_reference.h"

#include <string.h>

static const uint8_t kPlain[114] = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
		"future, sunscreen would be it.";
static const uint8_t kAad[12] = { 0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7 };
static const uint8_t kNonce[12] = { 0x07, 0x00, 0x00, 0x00, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47 };
static const uint8_t kCipher[114] = {
	0xd3, 0x1a, 0x8d, 0x34, 0x64, 0x8e, 0x60, 0xdb, 0x7b, 0x86, 0xaf, 0xbc, 0x53, 0xef, 0x7e, 0xc2,
	0xa4, 0xad, 0xed, 0x51, 0x29, 0x6e, 0x08, 0xfe, 0xa9, 0xe2, 0xb5, 0xa7, 0x36, 0xee, 0x62, 0xd6,
	0x3d, 0xbe, 0xa4, 0x5e, 0x8c, 0xa9, 0x67, 0x12, 0x82, 0xfa, 0xfb, 0x69, 0xda, 0x92, 0x72, 0x8b,
	0x1a, 0x71, 0xde, 0x0a, 0x9e, 0x06, 0x0b, 0x29, 0x05, 0xd6, 0xa5, 0xb6, 0x7e, 0xcd, 0x3b, 0x36,
	0x92, 0xdd, 0xbd, 0x7f, 0x2d, 0x77, 0x8b, 0x8c, 0x98, 0x03, 0xae, 0xe3, 0x28, 0x09, 0x1b, 0x58,
	0xfa, 0xb3, 0x24, 0xe4, 0xfa, 0xd6, 0x75, 0x94, 0x55, 0x85, 0x80, 0x8b, 0x48, 0x31, 0xd7, 0xbc,
	0x3f, 0xf4, 0xde, 0xf0, 0x8e, 0x4b, 0x7a, 0x9d, 0xe5, 0x76, 0xd2, 0x65, 0x86, 0xce, 0xc6, 0x4b,
	0x61, 0x16,
};
static const uint8_t kTag[16] = { 0x1a, 0xe1, 0x0b, 0x59, 0x4f, 0x09, 0xe2, 0x6a, 0x7e, 0x90, 0x2e, 0xcb, 0xd0, 0x60, 0x06, 0x91 };

static p2p_aead *newAead(int version, const uint8_t *keys)
{
	p2p_aead *a = malloc(p2p_aead_size());
	if (a && p2p_aead_init(a, version, keys)) {
		free(a);
		return NULL;
	}
	return a;
}

/* Version 5's keys: the ChaCha20 key, then the IV. */
static p2p_aead *newChacha(const uint8_t key[32], const uint8_t iv[P2P_IV])
{
	uint8_t keys[P2P_KEYS_CHACHA];
	memcpy(keys, key, 32);
	memcpy(keys + 32, iv, P2P_IV);
	return newAead(IVXS_P2P_VERSION, keys);
}

/* RFC 8439 §2.8.2: the nonce is the IV with packet number 0. */
static void test_rfc8439_vector(void)
{
	uint8_t key[32], out[114], tag[16], back[114];
	p2p_aead *a = NULL;
	int i;
	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	a = newChacha(key, kNonce);
	CHECK(a);
	CHECK_EQ(p2p_aead_seal(a, 0, kAad, sizeof(kAad), kPlain, 40, kPlain + 40, sizeof(kPlain) - 40, out, tag), 0);
	CHECK(memcmp(out, kCipher, sizeof(kCipher)) == 0);
	CHECK(memcmp(tag, kTag, sizeof(kTag)) == 0);
	CHECK_EQ(p2p_aead_open(a, 0, kAad, sizeof(kAad), kCipher, sizeof(kCipher), kTag, back), 0);
	CHECK(memcmp(back, kPlain, sizeof(kPlain)) == 0);
done:
	p2p_aead_free(a);
	free(a);
}

static uint64_t gState = 0x9e3779b97f4a7c15u;
static uint8_t next(void)
{
	gState ^= gState << 13;
	gState ^= gState >> 7;
	gState ^= gState << 17;
	return (uint8_t)(gState >> 32);
}

static void fill(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = next();
}


/* A flipped bit anywhere — text, tag, associated data, packet number — is refused, and nothing is written. */
static void forgeriesRefused(int version)
{
	uint8_t keys[P2P_KEYS_MAX], aad[13], plain[300], sealed[300], tag[16], out[300], copy[300];
	p2p_aead *a = NULL;
	size_t i;
	fill(keys, sizeof(keys));
	fill(aad, sizeof(aad));
	fill(plain, sizeof(plain));
	a = newAead(version, keys);
	CHECK(a);
	CHECK_EQ(p2p_aead_seal(a, 77, aad, sizeof(aad), plain, 30, plain + 30, sizeof(plain) - 30, sealed, tag), 0);
	for (i = 0; i < sizeof(sealed) * 8; i += 13) {
		memcpy(copy, sealed, sizeof(sealed));
		copy[i / 8] ^= (uint8_t)(1u << (i % 8));
		memset(out, 0xee, sizeof(out));
		CHECK_EQ(p2p_aead_open(a, 77, aad, sizeof(aad), copy, sizeof(copy), tag, out), IVXS_P2P_EAUTH);
		CHECK(out[0] == 0xee && out[sizeof(out) - 1] == 0xee);
	}
	for (i = 0; i < 128; i++) {
		uint8_t bad[16];
		memcpy(bad, tag, 16);
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		CHECK_EQ(p2p_aead_open(a, 77, aad, sizeof(aad), sealed, sizeof(sealed), bad, out), IVXS_P2P_EAUTH);
	}
	aad[5] ^= 0x10;
	CHECK_EQ(p2p_aead_open(a, 77, aad, sizeof(aad), sealed, sizeof(sealed), tag, out), IVXS_P2P_EAUTH);
	aad[5] ^= 0x10;
	CHECK_EQ(p2p_aead_open(a, 78, aad, sizeof(aad), sealed, sizeof(sealed), tag, out), IVXS_P2P_EAUTH);
	CHECK_EQ(p2p_aead_open(a, 77, aad, sizeof(aad) - 1, sealed, sizeof(sealed), tag, out), IVXS_P2P_EAUTH);
	CHECK_EQ(p2p_aead_open(a, 77, aad, sizeof(aad), sealed, sizeof(sealed) - 1, tag, out), IVXS_P2P_EAUTH);
	CHECK_EQ(p2p_aead_open(a, 77, aad, sizeof(aad), sealed, sizeof(sealed), tag, out), 0);
	CHECK(memcmp(out, plain, sizeof(plain)) == 0);
done:
	p2p_aead_free(a);
	free(a);
}

static void test_forgeries_refused(void)
{
	forgeriesRefused(IVXS_P2P_VERSION);
}

static void test_aes_forgeries_refused(void)
{
	forgeriesRefused(IVXS_P2P_VERSION_AES);
}

/* The handshake's key confirmation: an empty text, no buffers at all (NULL), the tag of the
 * associated data alone — as mbedTLS makes it; and empty associated data too. */
static void test_empty_text(void)
{
	uint8_t key[32], iv[12], aad[54], tag[16], refTag[16];
	mbedtls_chachapoly_context ref;
	p2p_aead *a = NULL;
	mbedtls_chachapoly_init(&ref);
	fill(key, sizeof(key));
	fill(iv, sizeof(iv));
	fill(aad, sizeof(aad));
	a = newChacha(key, iv);
	CHECK(a);
	CHECK_EQ(p2p_aead_seal(a, 0, aad, sizeof(aad), NULL, 0, NULL, 0, NULL, tag), 0);
	CHECK_EQ(mbedtls_chachapoly_setkey(&ref, key), 0);
	CHECK_EQ(mbedtls_chachapoly_encrypt_and_tag(&ref, 0, iv, aad, sizeof(aad), NULL, NULL, refTag), 0);
	CHECK(memcmp(tag, refTag, 16) == 0);
	CHECK_EQ(p2p_aead_open(a, 0, aad, sizeof(aad), NULL, 0, tag, NULL), 0);
	tag[15] ^= 1;
	CHECK_EQ(p2p_aead_open(a, 0, aad, sizeof(aad), NULL, 0, tag, NULL), IVXS_P2P_EAUTH);
	CHECK_EQ(p2p_aead_seal(a, 9, NULL, 0, NULL, 0, NULL, 0, NULL, tag), 0);
	CHECK_EQ(p2p_aead_open(a, 9, NULL, 0, NULL, 0, tag, NULL), 0);
done:
	mbedtls_chachapoly_free(&ref);
	p2p_aead_free(a);
	free(a);
}

/* The same bytes and tag as mbedTLS's for every length 0..1,300, the head split anywhere in the
 * first 90 bytes (a packet's frame headers), associated data 0..54 bytes (a DATA header, a REPLY's),
 * fresh keys; opened again in place, and refused under the next packet number. */
static void sameAsMbedtls(int version)
{
	uint8_t keys[P2P_KEYS_MAX], aad[54], plain[1300], ours[1300], theirs[1300], tagOurs[16], tagTheirs[16], back[1300];
	p2p_aead *a = NULL;
	size_t len;
	unsigned cases = 0;
	for (len = 0; len <= sizeof(plain); len += (len < 200 ? 1 : 7)) {
		size_t head = len ? next() % (len < 90 ? len + 1 : 90) : 0, aadLen = next() % (sizeof(aad) + 1);
		uint32_t pn = (uint32_t)next() << 24 | (uint32_t)next() << 8 | next();
		fill(keys, sizeof(keys));
		fill(aad, aadLen);
		fill(plain, len);
		p2p_aead_free(a);
		free(a);
		a = newAead(version, keys);
		CHECK(a);
		/* out is NULL for an empty text, as the handshake's key confirmation passes it */
		CHECK_EQ(p2p_aead_seal(a, pn, aad, aadLen, plain, head, plain + head, len - head, len ? ours : NULL, tagOurs), 0);
		CHECK_EQ((version == IVXS_P2P_VERSION_AES ? referenceAes : referenceChacha)(keys, pn, aad, aadLen, plain, len, theirs,
				tagTheirs), 0);
		if (memcmp(ours, theirs, len) || memcmp(tagOurs, tagTheirs, 16))
			CHECKF(0, "length %zu, head %zu, aad %zu: not mbedTLS's bytes", len, head, aadLen);
		memcpy(back, ours, len);
		CHECK_EQ(p2p_aead_open(a, pn, aad, aadLen, back, len, tagOurs, back), 0);   /* in place */
		CHECK(memcmp(back, plain, len) == 0);
		CHECK_EQ(p2p_aead_open(a, pn + 1, aad, aadLen, ours, len, tagOurs, back), IVXS_P2P_EAUTH);
		cases++;
	}
	NOTE("%u lengths", cases);
done:
	p2p_aead_free(a);
	free(a);
}

static void test_same_as_mbedtls(void)
{
	sameAsMbedtls(IVXS_P2P_VERSION);
}

static void test_aes_same_as_mbedtls(void)
{
	sameAsMbedtls(IVXS_P2P_VERSION_AES);
}

/* Versions other than 5 and 6 have no keys; a context without keys seals nothing. */
static void test_unknown_version(void)
{
	uint8_t keys[P2P_KEYS_MAX] = { 0 }, tag[16];
	p2p_aead *a = malloc(p2p_aead_size());
	CHECK(a);
	memset(a, 0, p2p_aead_size());
	CHECK_EQ(p2p_aead_init(a, 4, keys), IVXS_P2P_EVERSION);
	CHECK_EQ(p2p_aead_init(a, 7, keys), IVXS_P2P_EVERSION);
	CHECK(p2p_aead_seal(a, 1, keys, 13, NULL, 0, NULL, 0, NULL, tag) != 0);
	CHECK_EQ(p2p_aead_open(a, 1, keys, 13, NULL, 0, tag, NULL), IVXS_P2P_EAUTH);
	CHECK_EQ(p2p_aead_key_bytes(IVXS_P2P_VERSION), 44u);
	CHECK_EQ(p2p_aead_key_bytes(IVXS_P2P_VERSION_AES), 60u);
done:
	free(a);
}

int main(void)
{
	ivxs_test_run("aead: RFC 8439 §2.8.2's test vector, sealed (head and body) and opened", test_rfc8439_vector);
	ivxs_test_run("aead: mbedTLS's bytes and tag for every length to 1,300, any head split and associated data", test_same_as_mbedtls);
	ivxs_test_run("aead: a flipped bit in text, tag, associated data, packet number or a length is refused, nothing written", test_forgeries_refused);
	ivxs_test_run("aead: an empty text with no buffers (the key confirmation): mbedTLS's tag, opened, forgery refused", test_empty_text);
	ivxs_test_run("aead 6: mbedTLS's AES-128-CTR + HMAC-SHA-256 for every length to 1,300, any head split and associated data", test_aes_same_as_mbedtls);
	ivxs_test_run("aead 6: a flipped bit in text, tag, associated data, packet number or a length is refused, nothing written", test_aes_forgeries_refused);
	ivxs_test_run("aead: an unknown version has no keys and seals nothing", test_unknown_version);
	return ivxs_test_summary();
}
