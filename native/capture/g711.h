/*
 * G.711 (ITU-T G.711): 16-bit linear PCM at 8 kHz to μ-law (PCMU) or A-law (PCMA), a byte a
 * sample — what every browser plays (RFC 7874) and what a board's I2S microphone feeds. The
 * encoder of the standard: μ-law on the 14 most significant bits with the bias of 33, A-law on
 * the 13 most significant; segments found by comparison, no table.
 */
#ifndef IVXS_G711_H
#define IVXS_G711_H

#include <stddef.h>
#include <stdint.h>

uint8_t ivxs_g711_ulaw(int16_t sample);
uint8_t ivxs_g711_alaw(int16_t sample);
/* `count` samples (native-order int16) into as many bytes: μ-law when `alaw` is 0, else A-law. */
void ivxs_g711_encode(int alaw, const int16_t *samples, size_t count, uint8_t *out);

#endif
