/*
 * A chip's crypto engines: AES-128 and SHA-1/SHA-256 compression, for the cores written on them —
 * the P2P wire's version 6 (native/p2p/p2p_aead_aes.c), and SRTP where a build says so
 * (IVXS_SRTP_ENGINE: native/webrtc/srtp_engine.c). A board gives them (hosts/esp32s3/engines/
 * engines.c: the ESP32-S3's AES and SHA accelerators); Linux hosts give Mbed TLS's software in
 * their place (ivxs_engine_linux.c). Each call takes the engine and gives it back, so any number of
 * users share it; none allocates.
 */
#ifndef IVXS_ENGINE_H
#define IVXS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "ivxs_md_stream.h"

/* SHA-1's and SHA-256's compression, for ivxs_md_stream (the state: the engine's own words). */
extern const ivxs_md_engine ivxs_engine_sha1;
extern const ivxs_md_engine ivxs_engine_sha256;

/* data ^= the AES-128-CTR keystream from `counter` (a 128-bit big-endian block counter), for any
 * `len`; `data` may have any alignment. */
void ivxs_engine_aes128_ctr(const uint8_t key[16], const uint8_t counter[16], uint8_t *data, size_t len);

#endif
