/*
 * TLS client sessions on mbedTLS for the ECMA-419 TLS socket (embedded:io/socket/tcp/tls, in
 * JS on top). Module "ivxs/tls-native", internal like ivxs/socket-native.
 *
 * The server's certificate is always verified (MBEDTLS_SSL_VERIFY_REQUIRED) against the CA
 * certificates given, and its name against the host name given: there is no switch to turn
 * that off here, and no plaintext path. A session does not own its socket: every call takes the
 * socket object too (validated, its descriptor looked up then), so a closed socket is an error,
 * never a write to a reused descriptor number.
 *
 * mbedTLS allocates with calloc inside (Debian's build has no MBEDTLS_PLATFORM_MEMORY hook); what
 * a session holds is measured as the change in the allocator's bytes in use around its creation
 * and handshake (on the loop thread, where nothing else allocates meanwhile), counted under "tls".
 */
#include "xsmc.h"
#include "xsHost.h"
#include "host.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

typedef struct {
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config config;
	mbedtls_x509_crt ca;
	int fd;              /* the socket's descriptor during a call, -1 otherwise */
	int64_t counted;
} TlsRecord;

static ivxs_mem_counter gTlsMemory = { "tls", 0, 0, NULL };

/* One random generator for every session, seeded once: Debian's entropy context alone is about
 * 38 KB, which per connection doubled what a session holds. Sessions run on the loop thread
 * only, so sharing needs no lock. Kept for the life of the process (counted once under "tls"). */
typedef struct {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
} RandomRecord;
static RandomRecord *gRandom;

static mbedtls_ctr_drbg_context *sharedRandom(void)
{
	static const char personal[] = "ivxs tls";
	RandomRecord *random;
	if (gRandom)
		return &gRandom->drbg;
	random = calloc(1, sizeof(RandomRecord));
	if (!random)
		return NULL;
	mbedtls_entropy_init(&random->entropy);
	mbedtls_ctr_drbg_init(&random->drbg);
	if (mbedtls_ctr_drbg_seed(&random->drbg, mbedtls_entropy_func, &random->entropy, (const unsigned char *)personal, sizeof(personal) - 1)) {
		mbedtls_ctr_drbg_free(&random->drbg);
		mbedtls_entropy_free(&random->entropy);
		free(random);
		return NULL;
	}
	ivxs_mem_register(&gTlsMemory);
	ivxs_mem_add(&gTlsMemory, sizeof(RandomRecord));
	gRandom = random;
	return &gRandom->drbg;
}
static void xs_tls_destructor(void *data);
static const xsHostHooks gTlsHooks = { xs_tls_destructor, NULL, NULL };

/* Under AddressSanitizer malloc is the sanitizer's, and mallinfo2() knows nothing of it. */
extern size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

static int64_t heapInUse(void)
{
	struct mallinfo2 info;
	if (__sanitizer_get_current_allocated_bytes)
		return (int64_t)__sanitizer_get_current_allocated_bytes();
	info = mallinfo2();
	return (int64_t)info.uordblks;
}

/* A handshake allocates in one call and frees in a later one: deltas of either sign count. The
 * record's total never goes below zero (another thread may have freed meanwhile). */
static void count(TlsRecord *record, int64_t delta)
{
	if (record->counted + delta < 0)
		delta = -record->counted;
	record->counted += delta;
	ivxs_mem_add(&gTlsMemory, delta);
}

static void freeRecord(TlsRecord *record)
{
	mbedtls_ssl_free(&record->ssl);
	mbedtls_ssl_config_free(&record->config);
	mbedtls_x509_crt_free(&record->ca);
	ivxs_mem_add(&gTlsMemory, -record->counted);
	free(record);
}

static void xs_tls_destructor(void *data)
{
	if (data)
		freeRecord(data);
}

static int bioSend(void *ctx, const unsigned char *data, size_t size)
{
	TlsRecord *record = ctx;
	ssize_t put = send(record->fd, data, size, MSG_NOSIGNAL);
	if (put >= 0)
		return (int)put;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	return errno == EPIPE || errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bioRecv(void *ctx, unsigned char *data, size_t size)
{
	TlsRecord *record = ctx;
	ssize_t got = recv(record->fd, data, size, 0);
	if (got >= 0)
		return (int)got;   /* 0: the peer closed */
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return MBEDTLS_ERR_SSL_WANT_READ;
	return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
}

/* Throws "TLS <what>: <mbedTLS's text>", with the verification result when that is the cause. */
static void throwTls(xsMachine *the, TlsRecord *record, const char *what, int status)
{
	char text[160], reasons[256];
	uint32_t flags = record ? mbedtls_ssl_get_verify_result(&record->ssl) : 0;
	if (status == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags && flags != (uint32_t)-1) {
		int n = mbedtls_x509_crt_verify_info(reasons, sizeof(reasons), "", flags);
		while (n > 0 && (reasons[n - 1] == '\n' || reasons[n - 1] == ' '))
			reasons[--n] = 0;
		for (char *c = reasons; *c; c++)
			if (*c == '\n')
				*c = ';';
		ivxs_error(IVXS_HOST_EVERIFY, "TLS certificate verification failed: %s", reasons);
	}
	if (status == MBEDTLS_ERR_NET_CONN_RESET)
		ivxs_error(IVXS_HOST_ERESET, "TLS %s: connection reset by peer", what);
	mbedtls_strerror(status, text, sizeof(text));
	ivxs_error(IVXS_HOST_ETLS, "TLS %s: %s", what, text);
}

static TlsRecord *getSession(xsMachine *the, xsSlot *slot)
{
	return ivxs_handle_open(the, slot, &gTlsHooks, NULL, "TLS session");
}

/* session(ca, hostName) -> a client session verifying against the PEM CA certificate(s) in ca. */
void xs_tls_session(xsMachine *the)
{
	TlsRecord *record;
	mbedtls_ctr_drbg_context *random = sharedRandom();
	int64_t before = heapInUse();
	int status;
	size_t caSize;
	char *caText, *hostName;
	if (!random)
		ivxs_error(IVXS_HOST_ECRYPTO, "TLS: the random generator could not be seeded");
	if (xsmcTypeOf(xsArg(0)) != xsStringType)
		ivxs_type_error(IVXS_EARG, "CA certificates must be PEM text");
	if (xsmcTypeOf(xsArg(1)) != xsStringType || !*xsmcToString(xsArg(1)))
		ivxs_type_error(IVXS_EARG, "a host name to verify is required");
	record = calloc(1, sizeof(TlsRecord));
	if (!record)
		ivxs_error(IVXS_ENOMEM, "no memory");
	record->fd = -1;
	mbedtls_ssl_init(&record->ssl);
	mbedtls_ssl_config_init(&record->config);
	mbedtls_x509_crt_init(&record->ca);
	ivxs_mem_register(&gTlsMemory);
	/* Copies: the parse and set_hostname calls below may not run JS, but keep no pointer into XS. */
	caText = strdup(xsmcToString(xsArg(0)));
	hostName = strdup(xsmcToString(xsArg(1)));
	if (!caText || !hostName) {
		free(caText);
		free(hostName);
		freeRecord(record);
		ivxs_error(IVXS_ENOMEM, "no memory");
	}
	caSize = strlen(caText) + 1;   /* PEM parsing wants the terminating NUL counted */
	status = mbedtls_x509_crt_parse(&record->ca, (const unsigned char *)caText, caSize);
	free(caText);
	if (status != 0) {
		char text[120];
		free(hostName);
		freeRecord(record);
		if (status > 0)
			ivxs_range_error(IVXS_EARG, "invalid CA certificates: %d could not be parsed", status);
		mbedtls_strerror(status, text, sizeof(text));
		ivxs_range_error(IVXS_EARG, "invalid CA certificates: %s", text);
	}
	status = mbedtls_ssl_config_defaults(&record->config, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (!status) {
		mbedtls_ssl_conf_authmode(&record->config, MBEDTLS_SSL_VERIFY_REQUIRED);
		mbedtls_ssl_conf_ca_chain(&record->config, &record->ca, NULL);
		mbedtls_ssl_conf_rng(&record->config, mbedtls_ctr_drbg_random, random);
		mbedtls_ssl_conf_min_version(&record->config, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);   /* TLS 1.2 */
		status = mbedtls_ssl_setup(&record->ssl, &record->config);
	}
	if (!status)
		status = mbedtls_ssl_set_hostname(&record->ssl, hostName);
	free(hostName);
	if (status) {
		char text[120];
		mbedtls_strerror(status, text, sizeof(text));
		freeRecord(record);
		ivxs_error(IVXS_HOST_ETLS, "TLS setup: %s", text);
	}
	mbedtls_ssl_set_bio(&record->ssl, record, bioSend, bioRecv, NULL);
	count(record, heapInUse() - before);
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostData(xsResult, record);
	xsSetHostHooks(xsResult, &gTlsHooks);
}

/* handshake(session, socket) -> 0 done, 1 wants to read, 2 wants to write; throws on failure. */
void xs_tls_handshake(xsMachine *the)
{
	TlsRecord *record = getSession(the, &xsArg(0));
	int64_t before = heapInUse();
	int status;
	record->fd = ivxs_socket_fd(the, &xsArg(1));
	status = mbedtls_ssl_handshake(&record->ssl);
	record->fd = -1;
	count(record, heapInUse() - before);
	if (status == MBEDTLS_ERR_SSL_WANT_READ)
		xsmcSetInteger(xsResult, 1);
	else if (status == MBEDTLS_ERR_SSL_WANT_WRITE)
		xsmcSetInteger(xsResult, 2);
	else if (status)
		throwTls(the, record, "handshake", status);
	else
		xsmcSetInteger(xsResult, 0);
}

/* read(session, socket, count) -> ArrayBuffer, undefined (nothing yet) or null (the peer closed). */
void xs_tls_read(xsMachine *the)
{
	TlsRecord *record = getSession(the, &xsArg(0));
	int size = ivxs_to_int(the, &xsArg(2), 1, 64 * 1024, "count");
	int fd = ivxs_socket_fd(the, &xsArg(1));
	int got;
	xsmcSetArrayBuffer(xsResult, NULL, size);
	record->fd = fd;
	got = mbedtls_ssl_read(&record->ssl, xsmcToArrayBuffer(xsResult), (size_t)size);
	record->fd = -1;
	if (got > 0) {
		xsmcSetArrayBufferLength(xsResult, got);
		return;
	}
	if (got == MBEDTLS_ERR_SSL_WANT_READ || got == MBEDTLS_ERR_SSL_WANT_WRITE)
		xsmcSetUndefined(xsResult);
	else if (got == 0 || got == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
		xsmcSetNull(xsResult);
	else
		throwTls(the, record, "read", got);
}

/* write(session, socket, buffer) -> bytes taken (0: the socket is full; call again with the same bytes). */
void xs_tls_write(xsMachine *the)
{
	TlsRecord *record = getSession(the, &xsArg(0));
	int fd = ivxs_socket_fd(the, &xsArg(1));
	void *data;
	xsUnsignedValue size;
	int put;
	xsmcGetBufferReadable(xsArg(2), &data, &size);
	record->fd = fd;
	put = mbedtls_ssl_write(&record->ssl, data, size);
	record->fd = -1;
	if (put == MBEDTLS_ERR_SSL_WANT_WRITE || put == MBEDTLS_ERR_SSL_WANT_READ)
		put = 0;
	else if (put < 0)
		throwTls(the, record, "write", put);
	xsmcSetInteger(xsResult, put);
}

/* pending(session) -> decrypted bytes mbedTLS holds (poll() cannot see them). */
void xs_tls_pending(xsMachine *the)
{
	TlsRecord *record = getSession(the, &xsArg(0));
	xsmcSetInteger(xsResult, (xsIntegerValue)mbedtls_ssl_get_bytes_avail(&record->ssl));
}

/* close(session, socket?): a close_notify when the socket is still open, then frees; harmless twice. */
void xs_tls_close(xsMachine *the)
{
	TlsRecord *record = ivxs_handle_get(the, &xsArg(0), &gTlsHooks, NULL, "TLS session");
	if (!record)
		return;
	if (xsmcArgc > 1 && xsmcTypeOf(xsArg(1)) != xsUndefinedType) {
		record->fd = ivxs_socket_fd(the, &xsArg(1));
		mbedtls_ssl_close_notify(&record->ssl);   /* best effort */
		record->fd = -1;
	}
	xsmcSetHostData(xsArg(0), NULL);
	freeRecord(record);
}
