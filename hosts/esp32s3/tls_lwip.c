/*
 * embedded:io/socket/tcp/tls on ESP32 boards (tls_socket.js): a TLS client session (1.2 at least; 1.2
 * only in ESP-IDF's configuration, whose TLS 1.3 is off) on ESP-IDF's
 * Mbed TLS, carried on the board's TCP socket (tcp_lwip.c, through tcp_lwip.h) — in C, where the
 * SDK's TLS socket is JS (its records' AES-GCM hashes GHASH a bit at a time) and holds its buffers
 * in the XS heap.
 *
 * The server is always verified: its certificate chain against the certificates the socket was given
 * (MBEDTLS_SSL_VERIFY_REQUIRED; no switch to turn it off), its name against the host name given.
 * ESP-IDF's configuration leaves validity dates unchecked (MBEDTLS_HAVE_TIME_DATE off): a board's
 * clock is not set before its first connection, which is how it learns the time.
 *
 * Everything runs on the VM thread: the session reads the stream's bytes as they arrive (when the
 * socket's callback is due) and writes its records into the stream's send queue. A write takes no
 * more plaintext than the stream's room holds once sealed (ivxs_tls_room), so a record is always
 * queued whole and Mbed TLS never holds one back. Mbed TLS allocates its record buffers when the
 * session is set up (ESP-IDF's configuration: internal RAM, MBEDTLS_SSL_IN/OUT_CONTENT_LEN).
 */
#include "tcp_lwip.h"
#include "ivxs_host.h"     /* ivxs_mem_* */
#include "ivxs_status.h"   /* the binding kit's codes */

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>
#if MBEDTLS_VERSION_MAJOR < 4
#include <mbedtls/psa_util.h>   /* mbedtls_psa_get_random: 4 draws from PSA's without being told */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct Tls {
	Tcp *tcp;
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config config;
	mbedtls_x509_crt trusted;
	uint8_t open;        /* the handshake is done */
	uint8_t ended;       /* the stream ended under the session (its failure is the reason) */
	uint8_t counted;     /* in gTlsMemory */
	int status;          /* the binding kit's, once the session failed; 0 while not */
	int cause;           /* Mbed TLS's code for it */
	const char *during;  /* "handshake", "read", "write" */
};

/* What a session holds: the record and the two record buffers Mbed TLS allocates at setup. */
#define kSessionBytes (sizeof(Tls) + MBEDTLS_SSL_IN_CONTENT_LEN + MBEDTLS_SSL_OUT_CONTENT_LEN)
static ivxs_mem_counter gTlsMemory = { "tls", 0, 0, NULL };

static int bioSend(void *ctx, const unsigned char *data, size_t size)
{
	Tls *tls = ctx;
	int put = ivxs_tcp_put(tls->tcp, data, size > 0xFFFF ? 0xFFFF : (uint32_t)size);
	if (put < 0)
		return MBEDTLS_ERR_NET_CONN_RESET;
	return put ? put : MBEDTLS_ERR_SSL_WANT_WRITE;
}

static int bioRecv(void *ctx, unsigned char *out, size_t size)
{
	Tls *tls = ctx;
	uint32_t waiting = ivxs_tcp_waiting(tls->tcp);
	if (!waiting) {
		if (!ivxs_tcp_over(tls->tcp))
			return MBEDTLS_ERR_SSL_WANT_READ;
		tls->ended = 1;
		return 0;   /* the end of the stream */
	}
	if (waiting > size)
		waiting = (uint32_t)size;
	ivxs_tcp_take(tls->tcp, out, waiting);
	return (int)waiting;
}

static void fail(Tls *tls, const char *during, int cause)
{
	if (tls->status || tls->ended)
		return;
	if (cause == MBEDTLS_ERR_NET_CONN_RESET || cause == MBEDTLS_ERR_SSL_CONN_EOF) {
		tls->ended = 1;   /* the stream's failure says why */
		return;
	}
	tls->during = during;
	tls->cause = cause;
	tls->status = cause == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED ? IVXS_HOST_EVERIFY
		: cause == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ? IVXS_HOST_ERESET : IVXS_HOST_ETLS;
}

Tls *ivxs_tls_new(Tcp *tcp, const char *host, char *why, size_t whySize)
{
	Tls *tls;
	int status;
	if (psa_crypto_init() != PSA_SUCCESS) {
		snprintf(why, whySize, "the random generator could not start");
		return NULL;
	}
	tls = calloc(1, sizeof(*tls));
	if (!tls) {
		snprintf(why, whySize, "no memory");
		return NULL;
	}
	tls->tcp = tcp;
	mbedtls_ssl_init(&tls->ssl);
	mbedtls_ssl_config_init(&tls->config);
	mbedtls_x509_crt_init(&tls->trusted);
	status = mbedtls_ssl_config_defaults(&tls->config, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (!status) {
		mbedtls_ssl_conf_authmode(&tls->config, MBEDTLS_SSL_VERIFY_REQUIRED);
		mbedtls_ssl_conf_ca_chain(&tls->config, &tls->trusted, NULL);   /* filled by ivxs_tls_trust */
		mbedtls_ssl_conf_min_tls_version(&tls->config, MBEDTLS_SSL_VERSION_TLS1_2);
#if MBEDTLS_VERSION_MAJOR < 4
		mbedtls_ssl_conf_rng(&tls->config, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);   /* 4: PSA's, always */
#endif
		status = mbedtls_ssl_setup(&tls->ssl, &tls->config);
	}
	if (!status)
		status = mbedtls_ssl_set_hostname(&tls->ssl, host);
	if (status) {
		char text[96];
		mbedtls_strerror(status, text, sizeof(text));
		snprintf(why, whySize, "TLS setup: %s", text);
		ivxs_tls_free(tls, 0);
		return NULL;
	}
	mbedtls_ssl_set_bio(&tls->ssl, tls, bioSend, bioRecv, NULL);
	ivxs_mem_register(&gTlsMemory);
	ivxs_mem_add(&gTlsMemory, kSessionBytes);
	tls->counted = 1;
	return tls;
}

int ivxs_tls_trust(Tls *tls, const void *der, size_t size, char *why, size_t whySize)
{
	int status = mbedtls_x509_crt_parse_der(&tls->trusted, der, size);
	if (status) {
		char text[96];
		mbedtls_strerror(status, text, sizeof(text));
		snprintf(why, whySize, "a trusted certificate could not be parsed: %s", text);
	}
	return status ? -1 : 0;
}

/* Takes in the next record when no plaintext is at hand: readable when some is now. */
static uint8_t takeRecord(Tls *tls)
{
	unsigned char none;
	int got;
	if (mbedtls_ssl_get_bytes_avail(&tls->ssl))
		return kReadable;
	/* 0 bytes: decrypts a record, keeps its plaintext; again while a record without any (a warning
	 * alert, after which Mbed TLS says WANT_READ; empty ones, after which it says 0) leaves bytes
	 * waiting: no other step comes for them */
	do
		got = mbedtls_ssl_read(&tls->ssl, &none, 0);
	while (got == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET || ((got == MBEDTLS_ERR_SSL_WANT_READ || (!got && !tls->ended))
		&& !mbedtls_ssl_get_bytes_avail(&tls->ssl) && ivxs_tcp_waiting(tls->tcp)));
	if (got == MBEDTLS_ERR_SSL_WANT_READ || got == MBEDTLS_ERR_SSL_WANT_WRITE)
		return 0;
	if (got < 0) {
		fail(tls, "read", got);
		return kFailed;
	}
	if (mbedtls_ssl_get_bytes_avail(&tls->ssl))
		return kReadable;
	return tls->ended ? kFailed : 0;   /* 0 and nothing at hand: the stream ended without a close_notify (bioRecv), or empty records */
}

uint8_t ivxs_tls_step(Tls *tls, uint8_t what)
{
	uint8_t now = 0;
	if (tls->status || tls->ended)
		return mbedtls_ssl_get_bytes_avail(&tls->ssl) ? kReadable : kFailed;   /* the plaintext first */
	if (!tls->open) {
		int status;
		if (what & kFailed)
			return kFailed;   /* the stream failed during the handshake: its reason */
		status = mbedtls_ssl_handshake(&tls->ssl);
		if (status == MBEDTLS_ERR_SSL_WANT_READ || status == MBEDTLS_ERR_SSL_WANT_WRITE)
			return 0;
		if (status) {
			fail(tls, "handshake", status);
			return kFailed;
		}
		tls->open = 1;
		what = kWritable | kReadable;   /* the first onWritable; a record may have come with the Finished */
	}
	if (what & (kReadable | kFailed))
		now = takeRecord(tls);
	if (now & kReadable)
		now &= ~kFailed;   /* told once the plaintext before it has been read */
	return now | (what & kWritable);
}

uint32_t ivxs_tls_available(Tls *tls)
{
	return (uint32_t)mbedtls_ssl_get_bytes_avail(&tls->ssl);
}

int ivxs_tls_read(Tls *tls, uint8_t *out, uint32_t count)
{
	while (count) {
		int got = mbedtls_ssl_read(&tls->ssl, out, count);
		if (got <= 0) {
			fail(tls, "read", got ? got : MBEDTLS_ERR_SSL_CONN_EOF);
			return -1;
		}
		out += got;
		count -= (uint32_t)got;
	}
	if (!mbedtls_ssl_get_bytes_avail(&tls->ssl) && (ivxs_tcp_waiting(tls->tcp) || ivxs_tcp_over(tls->tcp) || mbedtls_ssl_check_pending(&tls->ssl)))
		ivxs_tcp_again(tls->tcp, kReadable);   /* the next record, or the end, in the callback's next turn */
	return 0;
}

int ivxs_tls_open(Tls *tls)
{
	return tls->open && !tls->status && !tls->ended;
}

uint32_t ivxs_tls_room(Tls *tls, uint32_t room)
{
	int expansion, payload;
	uint32_t records;
	if (!ivxs_tls_open(tls))
		return 0;
	expansion = mbedtls_ssl_get_record_expansion(&tls->ssl);
	payload = mbedtls_ssl_get_max_out_record_payload(&tls->ssl);
	if (expansion < 0 || payload <= 0)
		return 0;
	/* as many records as the room could hold: their plaintext and overhead fit it */
	records = (room + (uint32_t)payload + (uint32_t)expansion - 1) / ((uint32_t)payload + (uint32_t)expansion);
	return room > records * (uint32_t)expansion ? room - records * (uint32_t)expansion : 0;
}

int ivxs_tls_write(Tls *tls, const uint8_t *data, uint32_t size)
{
	while (size) {
		int put = mbedtls_ssl_write(&tls->ssl, data, size);
		if (put == MBEDTLS_ERR_SSL_WANT_WRITE || put == MBEDTLS_ERR_SSL_WANT_READ || put == 0) {
			/* not by construction (the room): a record Mbed TLS would hold back is refused instead */
			tls->during = "write";
			tls->cause = 0;
			tls->status = IVXS_HOST_ETLS;
			return -1;
		}
		if (put < 0) {
			fail(tls, "write", put);
			return -1;
		}
		data += put;
		size -= (uint32_t)put;
	}
	return 0;
}

int ivxs_tls_failure(Tls *tls, char *text, size_t size)
{
	if (!tls->status)
		return 0;
	if (tls->status == IVXS_HOST_EVERIFY) {
		char reasons[200];
		uint32_t flags = mbedtls_ssl_get_verify_result(&tls->ssl);
		int n = flags && flags != (uint32_t)-1 ? mbedtls_x509_crt_verify_info(reasons, sizeof(reasons), "", flags) : 0;
		if (n < 0)
			n = 0;
		reasons[n] = 0;
		while (n > 0 && (reasons[n - 1] == '\n' || reasons[n - 1] == ' '))
			reasons[--n] = 0;
		for (char *c = reasons; *c; c++)
			if (*c == '\n')
				*c = ';';
		snprintf(text, size, "TLS certificate verification failed: %s", n ? reasons : "not trusted");
	}
	else if (tls->status == IVXS_HOST_ERESET)
		snprintf(text, size, "connection closed by the peer");
	else if (!tls->cause)
		snprintf(text, size, "TLS %s: a record past the room", tls->during);
	else {
		char why[96];
		mbedtls_strerror(tls->cause, why, sizeof(why));
		snprintf(text, size, "TLS %s: %s", tls->during, why);
	}
	return tls->status;
}

void ivxs_tls_free(Tls *tls, int notify)
{
	if (notify && ivxs_tls_open(tls))
		mbedtls_ssl_close_notify(&tls->ssl);   /* best effort: queued ahead of the FIN */
	if (tls->counted)
		ivxs_mem_add(&gTlsMemory, -(int64_t)kSessionBytes);
	mbedtls_ssl_free(&tls->ssl);
	mbedtls_ssl_config_free(&tls->config);
	mbedtls_x509_crt_free(&tls->trusted);
	free(tls);
}
