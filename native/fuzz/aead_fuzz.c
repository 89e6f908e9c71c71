/*
 * libFuzzer harness: the P2P packets' AEAD of both versions (native/p2p/p2p_aead.c: version 5's
 * ChaCha20-Poly1305, our own; p2p_aead_aes.c: version 6's AES-128-CTR + HMAC-SHA-256 over
 * ivxs_engine.h) against mbedTLS's primitives, on fuzzed keys, IVs, packet numbers, associated
 * data, head/body splits and texts; built by native/fuzz/run.mjs as the p2p harness is.
 *
 * Input: keys (60: version 5 takes key 32 | iv 12, version 6 AES key 16 | iv 12 | MAC key 32) |
 * packet number (4, big-endian) | version and aad length (1: bit 7 set = version 6; the rest mod
 * 55) | head length (2, big-endian, mod the text's length + 1) | tag flip (1) | aad | text.
 * Checked: the same ciphertext and tag as mbedTLS; the packet opens (in place too) to the
 * text; with the tag flip's bit set, one bit of the packet (text, tag or associated data,
 * chosen by the byte) flipped is refused and nothing is written.
 */
#include "p2p_internal.h"
#include "fuzz.h"
#include "tests/aead_reference.h"

#include <string.h>

#define KEYS 60
#define HEADER (KEYS + 4 + 1 + 2 + 1)
#define MAX_AAD 54
#define MAX_TEXT 1400

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t aeadWords[128];
	p2p_aead *a = (p2p_aead *)aeadWords;
	uint8_t ours[MAX_TEXT], theirs[MAX_TEXT], back[MAX_TEXT], tag[P2P_TAG], refTag[P2P_TAG];
	const uint8_t *keys, *aad, *text;
	uint32_t pn;
	size_t aadLen, head, len, flip;
	int version;
	REQUIRE(p2p_aead_size() <= sizeof(aeadWords));
	if (size < HEADER)
		return 0;
	keys = data;
	pn = ivxs_get32(data + KEYS);
	version = data[KEYS + 4] & 0x80 ? IVXS_P2P_VERSION_AES : IVXS_P2P_VERSION;
	aadLen = (data[KEYS + 4] & 0x7f) % (MAX_AAD + 1);
	flip = data[KEYS + 7];
	if (size < HEADER + aadLen)
		return 0;
	aad = data + HEADER;
	text = aad + aadLen;
	len = size - HEADER - aadLen;
	if (len > MAX_TEXT)
		len = MAX_TEXT;
	head = ((size_t)data[KEYS + 5] << 8 | data[KEYS + 6]) % (len + 1);

	REQUIRE(p2p_aead_init(a, version, keys) == 0);
	REQUIRE(p2p_aead_seal(a, pn, aad, aadLen, text, head, text + head, len - head, ours, tag) == 0);
	REQUIRE((version == IVXS_P2P_VERSION_AES ? referenceAes : referenceChacha)(keys, pn, aad, aadLen, text, len, theirs,
			refTag) == 0);
	REQUIRE(memcmp(ours, theirs, len) == 0);
	REQUIRE(memcmp(tag, refTag, P2P_TAG) == 0);

	memcpy(back, ours, len);
	REQUIRE(p2p_aead_open(a, pn, aad, aadLen, back, len, tag, back) == 0);
	REQUIRE(memcmp(back, text, len) == 0);

	if (flip & 0x80) {
		/* one bit of text, tag or associated data, wherever the byte points */
		uint8_t badAad[MAX_AAD], badTag[P2P_TAG];
		size_t span = len + P2P_TAG + aadLen, at = ((flip & 0x7f) * 131 + len) % span, i;
		uint8_t bit = (uint8_t)(1u << (flip % 8));
		memcpy(badAad, aad, aadLen);
		memcpy(badTag, tag, P2P_TAG);
		memcpy(theirs, ours, len);
		if (at < len)
			theirs[at] ^= bit;
		else if (at < len + P2P_TAG)
			badTag[at - len] ^= bit;
		else
			badAad[at - len - P2P_TAG] ^= bit;
		memset(back, 0xa5, len);
		REQUIRE(p2p_aead_open(a, pn, badAad, aadLen, theirs, len, badTag, back) == IVXS_P2P_EAUTH);
		for (i = 0; i < len; i++)
			REQUIRE(back[i] == 0xa5);
	}
	p2p_aead_free(a);
	return 0;
}
