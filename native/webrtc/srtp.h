/*
 * SRTP and SRTCP (RFC 3711) with the one protection profile every browser offers,
 * SRTP_AES128_CM_HMAC_SHA1_80 (RFC 5764 §4.1.2): AES-128 in counter mode, HMAC-SHA1 tags of 80 bits.
 * An I/O-free core; its AES and SHA-1 (srtp_crypto.h) are Mbed TLS's PSA Crypto API, the library
 * every ivxs host already links, or a chip's engines where the build defines IVXS_SRTP_ENGINE (the
 * ESP32-S3's, reached directly: ESP-IDF's Mbed TLS here has no dispatch to them). A context is a
 * plain struct (its AES keys in PSA's key store), packets are protected and unprotected in place.
 * On Mbed TLS 2.28 (Debian 12: the Linux host), whose key store holds 32 keys for the whole
 * process, AES is the legacy module's instead: a camera there keeps 32 viewers.
 *
 * One context is one direction of one DTLS-SRTP association: the keys it was made with
 * (RFC 5764 §4.2: the client's or the server's master key and salt), the streams it has seen
 * (SSRC → rollover counter, highest sequence number, replay window) and its SRTCP index.
 */
#ifndef IVXS_SRTP_H
#define IVXS_SRTP_H

#include <stddef.h>
#include <stdint.h>

#include "mbedtls/version.h"
#include "psa/crypto.h"
/* Where the per-session AES keys (this file's, and dtls.h's records') live in PSA's key store: from
 * Mbed TLS 3.6, whose key store grows as keys come. 2.28's holds 32 for the process. */
#define IVXS_PSA_KEYS (MBEDTLS_VERSION_NUMBER >= 0x03060000)
#if IVXS_SRTP_ENGINE
/* AES-CM and HMAC-SHA1 in a chip's engines (srtp_crypto.h): the key as it is, the pads' SHA-1 states */
#include "ivxs_md_stream.h"
typedef struct {
	uint8_t key[16];
} ivxs_srtp_cipher;
#elif !IVXS_PSA_KEYS
#include "mbedtls/aes.h"
typedef mbedtls_aes_context ivxs_srtp_cipher;
#else
typedef psa_key_id_t ivxs_srtp_cipher;   /* an AES-128 key for PSA_ALG_CTR (0: none) */
#endif

#include "webrtc.h"

#define IVXS_SRTP_KEY_BYTES 16
#define IVXS_SRTP_SALT_BYTES 14
#define IVXS_SRTP_TAG_BYTES 10          /* HMAC-SHA1-80 */
#define IVXS_SRTP_AUTH_KEY_BYTES 20
#define IVXS_SRTCP_TRAILER_BYTES 14     /* E flag and SRTCP index (4), then the tag */
#define IVXS_SRTP_STREAMS 8             /* SSRCs one direction follows (video, audio, RTX, … of one viewer) */
#define IVXS_SRTP_WINDOW 64             /* replay window, packets (RFC 3711's minimum) */

/* HMAC-SHA1 with its key's inner and outer pads hashed once (no per-packet key schedule). */
typedef struct {
#if IVXS_SRTP_ENGINE
	ivxs_hmac mac;
#else
	psa_hash_operation_t inner, outer;
#endif
} ivxs_srtp_hmac;

typedef struct {
	ivxs_srtp_cipher key;
	uint8_t salt[IVXS_SRTP_SALT_BYTES];
	ivxs_srtp_hmac auth;
} ivxs_srtp_keys;

typedef struct {
	uint32_t ssrc;
	uint32_t roc;            /* rollover counter */
	uint16_t seq;            /* highest sequence number seen or sent */
	uint64_t window;         /* bit i: index (highest − i) was accepted (inbound) */
	uint32_t rtcpIndex;      /* SRTCP: the last index sent, or the highest accepted */
	uint64_t rtcpWindow;
	uint8_t used, rtcpSeen;
} ivxs_srtp_stream;

typedef struct {
	ivxs_srtp_stream streams[IVXS_SRTP_STREAMS];
	ivxs_srtp_keys rtcp;
	uint8_t has_rtp;          /* the RTP keys below were derived */
	/* last: a context for RTCP alone (ivxs_srtp_init_rtcp) ends before them, and may be allocated
	 * IVXS_SRTP_RTCP_BYTES (a viewer's own RTCP, when it sends no media: 736 bytes less on 32-bit) */
	ivxs_srtp_keys rtp;
} ivxs_srtp;

#define IVXS_SRTP_RTCP_BYTES offsetof(ivxs_srtp, rtp)

/* Every function returns 0 or an IVXS_WEBRTC_E* status (webrtc.h). */

/* Derives the session keys (RFC 3711 §4.3, key derivation rate 0) from the master key and salt. */
int ivxs_srtp_init(ivxs_srtp *s, const uint8_t key[IVXS_SRTP_KEY_BYTES], const uint8_t salt[IVXS_SRTP_SALT_BYTES]);
/* The same for SRTCP alone: the RTP functions then refuse every packet (IVXS_WEBRTC_ECRYPTO); `s` may
 * be IVXS_SRTP_RTCP_BYTES long. */
int ivxs_srtp_init_rtcp(ivxs_srtp *s, const uint8_t key[IVXS_SRTP_KEY_BYTES], const uint8_t salt[IVXS_SRTP_SALT_BYTES]);
void ivxs_srtp_free(ivxs_srtp *s);

/* Encrypts the RTP packet's payload in place and appends its tag: `cap` must leave
 * IVXS_SRTP_TAG_BYTES after `len`; *out_len the protected length. The rollover counter follows
 * the sequence numbers the sender gives (a wrap from 65535 to 0 counts one roll). */
int ivxs_srtp_protect(ivxs_srtp *s, uint8_t *packet, size_t len, size_t cap, size_t *out_len);
/* Checks the tag and the replay window, then decrypts in place: *out_len the RTP packet's length.
 * Nothing of the context changes for a packet that fails. */
int ivxs_srtp_unprotect(ivxs_srtp *s, uint8_t *packet, size_t len, size_t *out_len);
/* The same for a compound RTCP packet: everything after the first 8 bytes encrypted, the E flag
 * and the 31-bit SRTCP index, then the tag (`cap` must leave IVXS_SRTCP_TRAILER_BYTES). */
int ivxs_srtcp_protect(ivxs_srtp *s, uint8_t *packet, size_t len, size_t cap, size_t *out_len);
int ivxs_srtcp_unprotect(ivxs_srtp *s, uint8_t *packet, size_t len, size_t *out_len);

/* The RTP header's length (fixed part, CSRCs, extension), or 0: not an RTP version 2 packet. */
size_t ivxs_rtp_header_length(const uint8_t *packet, size_t len);
/* Where an RTP packet's payload lies: after the header, before any padding (RFC 3550 §5.1: the
 * last byte counts the padding, itself included). 0, or IVXS_WEBRTC_EPACKET: not RTP, or its
 * lengths run past the packet. */
int ivxs_rtp_payload(const uint8_t *packet, size_t len, size_t *start, size_t *end);

#endif
