/*
 * The platform's cryptographically secure random bytes, for the native modules' cores (they take
 * a random source as a function: p2p's keys and transaction ids, webrtc's DTLS): getrandom on
 * Linux, the hardware RNG on ESP32 (esp_fill_random). The shape of mbedTLS's f_rng.
 */
#ifndef IVXS_RANDOM_H
#define IVXS_RANDOM_H

#include <stddef.h>

/* Fills out[0 … size): 0, or -1 when the source failed. ctx is unused. */
int ivxs_random_bytes(void *ctx, unsigned char *out, size_t size);

#endif
