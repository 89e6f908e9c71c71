/*
 * SRTP's primitives in a chip's AES and SHA engines (srtp_crypto.h), where the build defines
 * IVXS_SRTP_ENGINE (the ESP32-S3 board: hosts/esp32s3/engines). AES-CM is the engine's AES-128-CTR
 * under the key kept as it is; HMAC-SHA1 is ivxs_md_stream.h's (each key's pads hashed once, a
 * packet's tag going on from copies of those two SHA-1 states). Nothing is allocated.
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

int ivxs_srtp_hmac_init(ivxs_srtp_hmac *h, const uint8_t key[IVXS_SRTP_AUTH_KEY_BYTES])
{
	ivxs_hmac_key(&h->mac, key, IVXS_SRTP_AUTH_KEY_BYTES, &ivxs_engine_sha1);
	return 0;
}

void ivxs_srtp_hmac_free(ivxs_srtp_hmac *h)
{
	memset(h, 0, sizeof(*h));
}

int ivxs_srtp_hmac_tag(const ivxs_srtp_hmac *h, const uint8_t *data, size_t len, const uint8_t tail[4], uint8_t tag[IVXS_SRTP_TAG_BYTES])
{
	ivxs_md_stream message;
	uint8_t mac[IVXS_MD_MAX_DIGEST];
	ivxs_hmac_start(&h->mac, &message);
	ivxs_md_update(&message, data, len, &ivxs_engine_sha1);
	ivxs_md_update(&message, tail, 4, &ivxs_engine_sha1);
	ivxs_hmac_final(&h->mac, &message, 20, mac, &ivxs_engine_sha1);
	memcpy(tag, mac, IVXS_SRTP_TAG_BYTES);
	memset(mac, 0, sizeof(mac));
	return 0;
}

#endif
