/*
 * Byte order on the wire, written once for every core: big-endian (network order: the P2P
 * transport, RTP, RTCP, SRTP, SCTP, DTLS) and little-endian (ChaCha20-Poly1305's words, SCTP's
 * CRC32c, the clip partition's header). Byte by byte, so any alignment and either host order.
 * Always inlined: GCC turns the bytes into one load where the ISA allows it (x86), and on the S3's
 * Xtensa, built for size, plain `static inline` helpers stayed calls, a register window each, for
 * every word of every ChaCha20 block and Poly1305 chunk.
 */
#ifndef IVXS_BYTES_H
#define IVXS_BYTES_H

#include <stdint.h>

#define IVXS_BYTES_INLINE __attribute__((always_inline)) static inline

IVXS_BYTES_INLINE uint32_t ivxs_get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

IVXS_BYTES_INLINE uint32_t ivxs_get24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

IVXS_BYTES_INLINE uint32_t ivxs_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

IVXS_BYTES_INLINE uint64_t ivxs_get48(const uint8_t *p)
{
	return (uint64_t)ivxs_get16(p) << 32 | ivxs_get32(p + 2);
}

IVXS_BYTES_INLINE uint64_t ivxs_get64(const uint8_t *p)
{
	return (uint64_t)ivxs_get32(p) << 32 | ivxs_get32(p + 4);
}

IVXS_BYTES_INLINE void ivxs_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

IVXS_BYTES_INLINE void ivxs_put24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

IVXS_BYTES_INLINE void ivxs_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

IVXS_BYTES_INLINE void ivxs_put48(uint8_t *p, uint64_t v)
{
	ivxs_put16(p, (uint32_t)(v >> 32));
	ivxs_put32(p + 2, (uint32_t)v);
}

IVXS_BYTES_INLINE void ivxs_put64(uint8_t *p, uint64_t v)
{
	ivxs_put32(p, (uint32_t)(v >> 32));
	ivxs_put32(p + 4, (uint32_t)v);
}

IVXS_BYTES_INLINE uint32_t ivxs_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

IVXS_BYTES_INLINE void ivxs_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

#endif
