/*
 * libFuzzer harness: the P2P packets' AEAD (native/p2p/p2p_aead.c, our ChaCha20-Poly1305)
 * against mbedTLS's, on fuzzed keys, IVs, packet numbers, associated data, head/body splits and
 * texts; built by native/fuzz/run.mjs as the p2p harness is.
 *
 * Input: key (32) | iv (12) | packet number (4, big-endian) | aad length (1, mod 41) |
 * head length (2, big-endian, mod the text's length + 1) | tag flip (1) | aad | text.
 * Checked: the same ciphertext and tag as mbedTLS; the packet opens (in place too) to the
 * text; with the tag flip's bit set, one bit of the packet (text, tag or associated data,
 * chosen by the byte) flipped is refused and nothing is written.
 */
#include "p2p_internal.h"
#include "fuzz.h"

#include <mbedtls/chachapoly.h>

#include <string.h>

#define HEADER (32 + 12 + 4 + 1 + 2 + 1)
#define MAX_TEXT 1400

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t aeadBytes[256];
	p2p_aead *a = (p2p_aead *)aeadBytes;
	uint8_t nonce[P2P_IV], ours[MAX_TEXT], theirs[MAX_TEXT], back[MAX_TEXT], tag[P2P_TAG], refTag[P2P_TAG];
	mbedtls_chachapoly_context ref;
	const uint8_t *key, *iv, *aad, *text;
	uint32_t pn;
	size_t aadLen, head, len, flip;
	REQUIRE(p2p_aead_size() <= sizeof(aeadBytes));
	if (size < HEADER)
		return 0;
	key = data;
	iv = data + 32;
	pn = ivxs_get32(data + 44);
	aadLen = data[48] % 41;
	flip = data[51];
	if (size < HEADER + aadLen)
		return 0;
	aad = data + HEADER;
	text = aad + aadLen;
	len = size - HEADER - aadLen;
	if (len > MAX_TEXT)
		len = MAX_TEXT;
	head = ((size_t)data[49] << 8 | data[50]) % (len + 1);

	REQUIRE(p2p_aead_init(a, key, iv) == 0);
	REQUIRE(p2p_aead_seal(a, pn, aad, aadLen, text, head, text + head, len - head, ours, tag) == 0);
	memcpy(nonce, iv, P2P_IV);
	nonce[8] ^= (uint8_t)(pn >> 24);
	nonce[9] ^= (uint8_t)(pn >> 16);
	nonce[10] ^= (uint8_t)(pn >> 8);
	nonce[11] ^= (uint8_t)pn;
	mbedtls_chachapoly_init(&ref);
	REQUIRE(mbedtls_chachapoly_setkey(&ref, key) == 0);
	REQUIRE(mbedtls_chachapoly_encrypt_and_tag(&ref, len, nonce, aad, aadLen, text, theirs, refTag) == 0);
	mbedtls_chachapoly_free(&ref);
	REQUIRE(memcmp(ours, theirs, len) == 0);
	REQUIRE(memcmp(tag, refTag, P2P_TAG) == 0);

	memcpy(back, ours, len);
	REQUIRE(p2p_aead_open(a, pn, aad, aadLen, back, len, tag, back) == 0);
	REQUIRE(memcmp(back, text, len) == 0);

	if (flip & 0x80) {
		/* one bit of text, tag or associated data, wherever the byte points */
		uint8_t badAad[40], badTag[P2P_TAG];
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
