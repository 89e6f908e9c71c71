/*
 * SRTP's primitives (srtp.c): AES-CM (RFC 3711 §4.1.1) and the HMAC-SHA1 tag (§4.2), in one of two
 * places — Mbed TLS (srtp_crypto.c: PSA, or 2.28's AES module), or a chip's AES and SHA engines
 * where the build defines IVXS_SRTP_ENGINE (srtp_engine.c over native/common/ivxs_engine.h: the
 * ESP32-S3's, where Mbed TLS as ESP-IDF builds it here runs both in software). Each returns 0 or
 * IVXS_WEBRTC_ECRYPTO.
 */
#ifndef IVXS_SRTP_CRYPTO_H
#define IVXS_SRTP_CRYPTO_H

#include "srtp.h"

int ivxs_srtp_cipher_key(ivxs_srtp_cipher *c, const uint8_t key[IVXS_SRTP_KEY_BYTES]);
void ivxs_srtp_cipher_free(ivxs_srtp_cipher *c);
/* data ^= AES-CM's keystream from `iv`, whose last 16 bits are 0 (the block counter's). */
int ivxs_srtp_cm(const ivxs_srtp_cipher *c, const uint8_t iv[16], uint8_t *data, size_t len);
int ivxs_srtp_hmac_init(ivxs_srtp_hmac *h, const uint8_t key[IVXS_SRTP_AUTH_KEY_BYTES]);
void ivxs_srtp_hmac_free(ivxs_srtp_hmac *h);
/* The 80-bit tag of `data` followed by the 4 bytes of `tail` (§4.2: the ROC, or SRTCP's E||index). */
int ivxs_srtp_hmac_tag(const ivxs_srtp_hmac *h, const uint8_t *data, size_t len, const uint8_t tail[4], uint8_t tag[IVXS_SRTP_TAG_BYTES]);

#endif
