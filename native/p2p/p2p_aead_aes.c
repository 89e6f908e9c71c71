/*
 * P2P transport — version 6's AEAD (PROTOCOL.md "DATA packets"): AES-128-CTR, then HMAC-SHA-256
 * over the nonce, the AAD (zero-padded), the ciphertext and the AAD's length in bits, truncated to
 * the 16-byte tag — encrypt-then-MAC, as SRTP's AES-CM with HMAC and the AEAD_AES_CBC_HMAC_SHA2 draft compose
 * them. It exists for cameras whose chip has AES and SHA engines (the ESP32-S3's: hosts/esp32s3/
 * engines) and no engine for ChaCha20-Poly1305, which runs there in software: both primitives are
 * ivxs_engine.h's, so the work per packet is the engines' (on Linux, Mbed TLS's software:
 * native/common/ivxs_engine_linux.c). HMAC's pads are hashed once per key (ivxs_md_stream.h).
 *
 *   nonce   = the direction's IV with the packet number XORed into its last 4 bytes (as version 5)
 *   counter = nonce || a 32-bit big-endian block counter from 0
 *   tag     = HMAC-SHA-256(MAC key, nonce || AAD || zeros to a multiple of 16 bytes || ciphertext
 *             || AAD bits as u64 BE)[0..16)
 *
 * The zeros put the ciphertext at a multiple of 16 bytes into the MAC's input, so that where the
 * ciphertext lies word-aligned (the packet being built: p2p_internal.h P2P_PKT_LEAD) the SHA engine
 * reads its blocks in place as the AES engine does.
 *
 * open() checks the tag before it decrypts, and compares it in constant time (p2p_equal).
 * Checked against Mbed TLS's AES-CTR and HMAC for every length and split (tests/p2p_aead_test.c)
 * and by the AEAD fuzzer (native/fuzz/aead_fuzz.c).
 */
#include "p2p_internal.h"
#include "ivxs_engine.h"

#include <string.h>

void p2p_aes_hmac_init(p2p_aes_hmac *a, const uint8_t keys[P2P_KEYS_AES])
{
	memcpy(a->key, keys, 16);
	memcpy(a->iv, keys + 16, P2P_IV);
	ivxs_hmac_key(&a->mac, keys + 16 + P2P_IV, 32, &ivxs_engine_sha256);
}

static void counterOf(const p2p_aes_hmac *a, uint32_t pn, uint8_t counter[16])
{
	p2p_aead_nonce(a->iv, pn, counter);
	memset(counter + P2P_IV, 0, 4);
}

static void tagOf(const p2p_aes_hmac *a, const uint8_t counter[16], const uint8_t *aad, size_t aad_len,
		const uint8_t *text, size_t len, uint8_t tag[P2P_TAG])
{
	static const uint8_t zeros[16];
	ivxs_md_stream m;
	uint8_t bits[8], mac[IVXS_MD_MAX_DIGEST];
	uint64_t n = (uint64_t)aad_len * 8;
	int i;
	for (i = 0; i < 8; i++)
		bits[i] = (uint8_t)(n >> (56 - 8 * i));
	ivxs_hmac_start(&a->mac, &m);
	ivxs_md_update(&m, counter, P2P_IV, &ivxs_engine_sha256);
	ivxs_md_update(&m, aad, aad_len, &ivxs_engine_sha256);
	ivxs_md_update(&m, zeros, (16 - (P2P_IV + aad_len) % 16) % 16, &ivxs_engine_sha256);
	if (len)
		ivxs_md_update(&m, text, len, &ivxs_engine_sha256);
	ivxs_md_update(&m, bits, sizeof(bits), &ivxs_engine_sha256);
	ivxs_hmac_final(&a->mac, &m, 32, mac, &ivxs_engine_sha256);
	memcpy(tag, mac, P2P_TAG);
	p2p_wipe(mac, sizeof(mac));
}

void p2p_aes_hmac_seal(const p2p_aes_hmac *a, uint32_t pn, const uint8_t *aad, size_t aad_len, const uint8_t *head,
		size_t head_len, const uint8_t *body, size_t body_len, uint8_t *out, uint8_t tag[P2P_TAG])
{
	uint8_t counter[16];
	size_t len = head_len + body_len;
	counterOf(a, pn, counter);
	/* the engine encrypts in place: head, then the body copied from where it lies (out is NULL
	 * for an empty text: no pointer arithmetic on it) */
	if (len) {
		if (head_len)
			memmove(out, head, head_len);
		if (body_len)
			memmove(out + head_len, body, body_len);
		ivxs_engine_aes128_ctr(a->key, counter, out, len);
	}
	tagOf(a, counter, aad, aad_len, out, len, tag);
}

int p2p_aes_hmac_open(const p2p_aes_hmac *a, uint32_t pn, const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
		const uint8_t tag[P2P_TAG], uint8_t *out)
{
	uint8_t counter[16], expected[P2P_TAG];
	int authentic;
	counterOf(a, pn, counter);
	tagOf(a, counter, aad, aad_len, in, len, expected);
	authentic = p2p_equal(expected, tag, P2P_TAG);
	if (authentic && len) {   /* in may be out */
		if (out != in)
			memmove(out, in, len);
		ivxs_engine_aes128_ctr(a->key, counter, out, len);
	}
	return authentic ? 0 : IVXS_P2P_EAUTH;
}
