/*
 * DTLS-SRTP (RFC 5763, 5764) for WebRTC viewers: DTLS 1.2 over mbedTLS with the use_srtp
 * extension offering SRTP_AES128_CM_HMAC_SHA1_80, ECDHE-ECDSA with AES-128-GCM (what every
 * browser takes), and the peer's self-signed certificate checked against the SHA-256
 * fingerprint its SDP gave (a=fingerprint) — no CA. When the handshake is done, the SRTP master
 * keys and salts of both directions come from the TLS exporter ("EXTRACTOR-dtls_srtp").
 *
 * I/O-free: datagrams come in through ivxs_dtls_input, go out through the `send` the caller
 * gives, time is the caller's (milliseconds, any origin), randomness the caller's function. The
 * camera's identity (a P-256 key and its certificate) is made once, at provisioning, and kept:
 * not per session (a P-256 key is the slow part on a board).
 */
#ifndef IVXS_DTLS_H
#define IVXS_DTLS_H

#include <stddef.h>
#include <stdint.h>

#include "mbedtls/pk.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"

#include "srtp.h"
#include "webrtc.h"

/* AES-128-GCM for the settled records: a key in PSA's key store, or on Mbed TLS 2.28 (Debian 12's
 * key store holds 32 keys for the process) the legacy module's context — as srtp.h's AES. */
#if IVXS_PSA_KEYS
typedef psa_key_id_t ivxs_dtls_gcm;
#else
#include "mbedtls/gcm.h"
typedef mbedtls_gcm_context ivxs_dtls_gcm;
#endif

#define IVXS_DTLS_FINGERPRINT_BYTES 32   /* SHA-256 */
#define IVXS_DTLS_MTU 1200               /* the largest datagram the handshake sends (ICE paths carry it) */
#define IVXS_DTLS_MAX_HELLO 2048         /* the longest ClientHello put back together from fragments */
#define IVXS_DTLS_MAX_WRITE 1160         /* the most application data in one record: with AES-GCM's 37 bytes, within the MTU */

/* Cryptographically secure random bytes: 0, or nonzero when the source failed. */
typedef int (*ivxs_dtls_random)(void *ctx, unsigned char *out, size_t size);

typedef struct {
	mbedtls_pk_context key;
	mbedtls_x509_crt cert;
	uint8_t fingerprint[IVXS_DTLS_FINGERPRINT_BYTES];   /* of the certificate's DER: our a=fingerprint */
} ivxs_dtls_identity;

/* A new identity for provisioning: a P-256 key and a self-signed certificate (CN=ivxs, valid
 * 2020–2049), their DER written into the caller's buffers (*keyLen, *certLen: in their sizes,
 * out their lengths). 0, IVXS_WEBRTC_EMTU (a buffer too small) or IVXS_WEBRTC_ECRYPTO. */
int ivxs_dtls_identity_create(ivxs_dtls_random random, void *ctx, uint8_t *keyDer, size_t *keyLen, uint8_t *certDer, size_t *certLen);
/* The identity from the DER the device kept: 0 or IVXS_WEBRTC_ECRYPTO (not a key and its certificate). */
int ivxs_dtls_identity_load(ivxs_dtls_identity *id, const uint8_t *keyDer, size_t keyLen, const uint8_t *certDer, size_t certLen);
void ivxs_dtls_identity_free(ivxs_dtls_identity *id);

enum { IVXS_DTLS_SERVER = 0, IVXS_DTLS_CLIENT = 1 };   /* SDP a=setup:passive is the server */
enum { IVXS_DTLS_HANDSHAKING = 0, IVXS_DTLS_CONNECTED = 1, IVXS_DTLS_CLOSED = 2 };   /* CLOSED: the peer's close_notify */

/* What only the handshake needs — mbedTLS's context and configuration, a ClientHello put back
 * together, the records read before the session settles — in the caller's memory, lent from
 * ivxs_dtls_setup until the session settles or is freed (ivxs_dtls's `hs` is NULL from then on: the
 * caller may free it). A settled session keeps none of it (~2.8 KiB on a 32-bit host). */
typedef struct {
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	/* a ClientHello the client sent in fragments (OpenSSL does, with a 256-byte MTU: aiortc,
	 * GStreamer), put back together: mbedTLS takes every handshake message in fragments but that one;
	 * once connected, the plaintext of a record mbedTLS reads */
	uint8_t hello[13 + 12 + IVXS_DTLS_MAX_HELLO];
	uint16_t helloLen, helloHave;        /* the ClientHello's body length, and bytes of it held (in order) */
	uint8_t helloTaken;                  /* mbedTLS took a ClientHello: nothing more to put together or drop */
} ivxs_dtls_handshake;

typedef struct {
	ivxs_dtls_handshake *hs;             /* lent until settled (NULL then) */
	int role, state, failure;
	int tlsError;                        /* mbedTLS's code when the handshake failed (for the log) */
	uint8_t remote[IVXS_DTLS_FINGERPRINT_BYTES];
	int peerVerified;                    /* the peer's leaf certificate had the SDP's fingerprint (verify) */
	int (*send)(void *ctx, const uint8_t *datagram, size_t len);
	void *sendCtx;
	const uint8_t *in;                   /* the datagram being read (NULL: none) */
	size_t inLen;
	uint64_t now, timerStart;            /* ms */
	uint32_t timerInt, timerFin;         /* mbedTLS's retransmission timer (0 fin: stopped) */
	uint8_t secret[48 + 64];             /* the master secret and both randoms, for the exporter */
	mbedtls_tls_prf_types prf;
	int haveSecret;
	/* once connected: the application data of each record (a DataChannel's SCTP packets), and
	 * where a settled session opens it (the caller's: ivxs_dtls_on_data) */
	void (*data)(void *ctx, const uint8_t *plaintext, size_t len);
	void *dataCtx;
	uint8_t *plain;
	size_t plainCap;
	/* settled (ivxs_dtls_settle): mbedTLS's context — its 2 × 16 KiB record buffers, the handshake's
	 * state — freed; the application data in AES-128-GCM records of our own (RFC 5288, 6347 §4.1) */
	int settled;
	ivxs_dtls_gcm seal, open;
	uint8_t sealSalt[4], openSalt[4];
	uint64_t sealSeq;                    /* the next record's sequence number (epoch 1) */
	uint64_t openTop, openSeen;          /* the largest sequence number taken, and the 64 at and below it (bit i: top − i) */
} ivxs_dtls;

/* A session of `role` with the peer whose certificate's SHA-256 is `remoteFingerprint`, borrowing
 * `id` (it must outlive the session) and `hs` (until it settles). A client sends its ClientHello at
 * once. 0 or a status. */
int ivxs_dtls_setup(ivxs_dtls *d, ivxs_dtls_handshake *hs, const ivxs_dtls_identity *id, int role, const uint8_t remoteFingerprint[IVXS_DTLS_FINGERPRINT_BYTES],
		ivxs_dtls_random random, void *randomCtx, int (*send)(void *ctx, const uint8_t *datagram, size_t len), void *sendCtx, uint64_t nowMs);
/* A datagram from the peer: IVXS_DTLS_HANDSHAKING, IVXS_DTLS_CONNECTED, IVXS_DTLS_CLOSED (the peer
 * said goodbye: its close_notify), or IVXS_WEBRTC_EAUTH (the
 * peer's certificate is not the one its SDP named, or it sent none) / IVXS_WEBRTC_ECRYPTO (the
 * handshake failed): the session is then dead and says so again on every call. */
int ivxs_dtls_input(ivxs_dtls *d, const uint8_t *datagram, size_t len, uint64_t nowMs);
/* Once connected, each record of application data that arrives goes to `data` during
 * ivxs_dtls_input (its bytes valid during that call only); without it, application data is dropped.
 * A settled session opens a record into `buffer` (`cap` bytes, kept by the caller for the session's
 * life; records longer are dropped): one buffer may serve every session of a thread, as `data` runs
 * before the next record is opened. */
void ivxs_dtls_on_data(ivxs_dtls *d, void (*data)(void *ctx, const uint8_t *plaintext, size_t len), void *ctx,
		uint8_t *buffer, size_t cap);
/* Application data out, once connected: one record, through `send` during the call. 0,
 * IVXS_WEBRTC_ECLOSED (not connected), IVXS_WEBRTC_EMTU (len over IVXS_DTLS_MAX_WRITE),
 * IVXS_WEBRTC_EFULL (`send` refused the datagram: the record goes out before the next one written)
 * or IVXS_WEBRTC_ECRYPTO. */
int ivxs_dtls_write(ivxs_dtls *d, const uint8_t *data, size_t len);
/* The peer has finished the handshake (its SRTCP authenticated, or application data came): mbedTLS
 * would only be needed again to resend our last flight, which the peer then has. Its context goes
 * — on Debian's build 2 × 16 KiB of record buffers a session — and application data, the peer's
 * close_notify included, is sealed and opened here with the session's keys (the one suite this core
 * offers: AES-128-GCM). The handshake's memory is lent no more (`hs` NULL). Called again, or before
 * connected: nothing. 0 or IVXS_WEBRTC_ECRYPTO (the session is then failed). */
int ivxs_dtls_settle(ivxs_dtls *d);
/* Time passing: the handshake's retransmissions. The same answers as ivxs_dtls_input. */
int ivxs_dtls_tick(ivxs_dtls *d, uint64_t nowMs);
/* When ivxs_dtls_tick is due next (ms, the caller's clock), or 0: nothing is waiting. */
uint64_t ivxs_dtls_deadline(const ivxs_dtls *d);
/* Once connected: the SRTP master key and salt each way (RFC 5764 §4.2). 0 or IVXS_WEBRTC_ECRYPTO. */
int ivxs_dtls_srtp_keys(ivxs_dtls *d, uint8_t localKey[IVXS_SRTP_KEY_BYTES], uint8_t localSalt[IVXS_SRTP_SALT_BYTES],
		uint8_t remoteKey[IVXS_SRTP_KEY_BYTES], uint8_t remoteSalt[IVXS_SRTP_SALT_BYTES]);
/* mbedTLS's error code of a failed handshake (negative; 0: none), for the log. */
int ivxs_dtls_tls_error(const ivxs_dtls *d);
void ivxs_dtls_free(ivxs_dtls *d);

#endif
