/*
 * SRTP's primitives in a chip's AES and SHA engines (srtp_crypto.h), where the build defines
 * IVXS_SRTP_ENGINE (the ESP32-S3 board: hosts/esp32s3/engines). AES-CM is the engine's AES-128-CTR
 * under the key kept as it is; HMAC-SHA1 (RFC 2104) hashes each key's pads once, and a packet's tag
 * goes on from copies of those two SHA-1 states. Nothing is allocated.
 */
#include "srtp_crypto.h"

#if IVXS_SRTP_ENGINE
#include <string.h>

#include "ivxs_engine.h"

int ivxs_srtp_cipher_key(ivxs_srtp_cipher *c, const uint8_t key[IVXS_SRTP_KEY_BYTES])
{
	memcpy(c->key, key, sizeof(c->key));
	return 0;
}

void ivxs_srtp_cipher_free(ivxs_srtp_cipher *c)
{
	memset(c->key, 0, sizeof(c->key));
}

int ivxs_srtp_cm(const ivxs_srtp_cipher *c, const uint8_t iv[16], uint8_t *data, size_t len)
{
	if (len > ((size_t)1 << 16) * 16)   /* AES-CM's 16-bit block counter (srtp.c never asks more) */
		return IVXS_WEBRTC_ECRYPTO;
	ivxs_engine_aes128_ctr(c->key, iv, data, len);
	return 0;
}

static void pad(ivxs_md_stream *h, const uint8_t key[IVXS_SRTP_AUTH_KEY_BYTES], uint8_t with)
{
	uint8_t block[64];
	int i;
	memset(block, with, sizeof(block));
	for (i = 0; i < IVXS_SRTP_AUTH_KEY_BYTES; i++)
		block[i] ^= key[i];
	ivxs_md_init(h);
	ivxs_md_update(h, block, sizeof(block), &ivxs_engine_sha1);
	memset(block, 0, sizeof(block));
}

int ivxs_srtp_hmac_init(ivxs_srtp_hmac *h, const uint8_t key[IVXS_SRTP_AUTH_KEY_BYTES])
{
	pad(&h->inner, key, 0x36);
	pad(&h->outer, key, 0x5c);
	return 0;
}

void ivxs_srtp_hmac_free(ivxs_srtp_hmac *h)
{
	memset(h, 0, sizeof(*h));
}

int ivxs_srtp_hmac_tag(const ivxs_srtp_hmac *h, const uint8_t *data, size_t len, const uint8_t tail[4], uint8_t tag[IVXS_SRTP_TAG_BYTES])
{
	ivxs_md_stream c = h->inner;
	uint8_t digest[IVXS_MD_MAX_DIGEST];
	ivxs_md_update(&c, data, len, &ivxs_engine_sha1);
	ivxs_md_update(&c, tail, 4, &ivxs_engine_sha1);
	ivxs_md_final(&c, digest, &ivxs_engine_sha1);
	c = h->outer;
	ivxs_md_update(&c, digest, 20, &ivxs_engine_sha1);
	ivxs_md_final(&c, digest, &ivxs_engine_sha1);
	memcpy(tag, digest, IVXS_SRTP_TAG_BYTES);
	memset(digest, 0, sizeof(digest));
	return 0;
}

#endif
