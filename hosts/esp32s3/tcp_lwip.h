/*
 * Between the board's TCP socket (tcp_lwip.c) and the TLS session carried on it (tls_lwip.c),
 * both on the VM thread. The TCP socket owns the connection and the JS callback; a TLS session,
 * when the socket has one, reads the stream's bytes, writes its records, and turns what happened
 * on the stream into what happened on the plaintext before the callback hears it.
 */
#ifndef IVXS_TCP_LWIP_H
#define IVXS_TCP_LWIP_H

#include <stddef.h>
#include <stdint.h>

enum { kReadable = 1, kWritable = 2, kFailed = 4 };   /* tcp_socket.js's */

typedef struct Tcp Tcp;
typedef struct Tls Tls;

/* ---- the stream (tcp_lwip.c) ---- */

/* Bytes received and not yet read. */
uint32_t ivxs_tcp_waiting(Tcp *tcp);
/* Reads count (<= waiting) bytes; hands what was read back to lwIP. */
void ivxs_tcp_take(Tcp *tcp, uint8_t *out, uint32_t count);
/* Queues up to size bytes (what the room takes) to go out at the end of the VM's turn: how many,
 * or -1 when the connection is closed or failed. */
int ivxs_tcp_put(Tcp *tcp, const void *data, uint32_t size);
/* 1 once the stream failed or the peer closed its side. */
int ivxs_tcp_over(Tcp *tcp);
/* Makes the callback's next turn come (what: kReadable or kWritable). */
void ivxs_tcp_again(Tcp *tcp, uint8_t what);

/* ---- the session (tls_lwip.c) ---- */

/* A client session verifying the server against the certificates (DER) and the host name, or NULL
 * with why (a parse or setup failure). */
Tls *ivxs_tls_new(Tcp *tcp, const char *host, char *why, size_t whySize);
/* Adds a trusted certificate (DER, copied): 0, or why it was refused in why. */
int ivxs_tls_trust(Tls *tls, const void *der, size_t size, char *why, size_t whySize);
/* What the callback hears of what happened on the stream: handshake steps and records taken in,
 * readable when plaintext waits, writable once the handshake is done and after. */
uint8_t ivxs_tls_step(Tls *tls, uint8_t what);
/* Plaintext waiting to be read (of the record at hand). */
uint32_t ivxs_tls_available(Tls *tls);
/* Reads count (<= available) bytes of plaintext: 0, or -1 (the session failed: ivxs_tls_failure). */
int ivxs_tls_read(Tls *tls, uint8_t *out, uint32_t count);
/* The plaintext a write can take when the stream has room bytes for records. */
uint32_t ivxs_tls_room(Tls *tls, uint32_t room);
/* 1 once the handshake is done. */
int ivxs_tls_open(Tls *tls);
/* Seals and queues size bytes (<= the room): 0, or -1 (ivxs_tls_failure says why). */
int ivxs_tls_write(Tls *tls, const uint8_t *data, uint32_t size);
/* Why the session failed: the binding kit's status (IVXS_HOST_ETLS, _EVERIFY, _ERESET) and text,
 * or 0 when it did not (the stream's own failure is the reason). */
int ivxs_tls_failure(Tls *tls, char *text, size_t size);
/* A close_notify when the stream is still open (best effort), then frees the session. */
void ivxs_tls_free(Tls *tls, int notify);

#endif
