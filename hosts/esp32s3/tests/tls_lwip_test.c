/* Tests of the board's TLS client session (tls_lwip.c) off the board, against Mbed TLS 3.6: the
 * stream side of tcp_lwip.h is an in-memory pipe here — the server's bytes arrive in chunks the
 * test chooses (records split across many takes), the client's go into a send queue of a bounded
 * room (partial puts) — and a real Mbed TLS server runs at its other end in the same process, with
 * an EC P-256 CA and a server certificate (for a host name and for the IP address 10.0.2.2) made
 * here in C. The session is driven as tcp_lwip.c drives it: ivxs_tls_step(kWritable) once
 * connected, kReadable as bytes arrive, kWritable as room frees, kFailed once the stream ended
 * with nothing waiting. Ends with "N passed, N failed" (scripts/mbedtls3-check.mjs runs it, with
 * ASan and UBSan). */
#include "tcp_lwip.h"
#include "ivxs_host.h"
#include "ivxs_status.h"

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/psa_util.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include <stdio.h>
#include <string.h>

#include "ivxs_test.h"
#include "ivxs_test_random.h"

/* ---- the memory count (the hosts': native/common/ivxs_mem.c): the sessions' one, kept ---- */

static ivxs_mem_counter *gCounter;

void ivxs_mem_register(ivxs_mem_counter *counter)
{
	gCounter = counter;
}

void ivxs_mem_add(ivxs_mem_counter *counter, int64_t delta)
{
	counter->bytes += delta;
}

/* ---- the stream: an in-memory pipe ---- */

typedef struct {
	uint8_t data[1 << 19];
	size_t head, len;
} Bytes;

struct Tcp {
	Bytes down;          /* the server's bytes to the client */
	size_t arrived;      /* of down: those the client's stream has received (waiting: arrived - head) */
	Bytes up;            /* the client's bytes, not yet read by the server: the send queue */
	uint32_t room;       /* the send queue's size */
	int over;            /* the stream ends (the peer's FIN, or it failed) once every byte arrived */
	int misuse;          /* a take past what waits */
	uint8_t again;       /* what ivxs_tcp_again asked for */
	unsigned takes, puts, partialPuts, refusedPuts;
};

static Tcp gTcp;

static void compact(Bytes *b, size_t *arrived)
{
	if (!b->head)
		return;
	memmove(b->data, b->data + b->head, b->len - b->head);
	if (arrived)
		*arrived -= b->head;
	b->len -= b->head;
	b->head = 0;
}

static uint32_t queued(void)
{
	return (uint32_t)(gTcp.up.len - gTcp.up.head);
}

uint32_t ivxs_tcp_waiting(Tcp *tcp)
{
	return (uint32_t)(tcp->arrived - tcp->down.head);
}

void ivxs_tcp_take(Tcp *tcp, uint8_t *out, uint32_t count)
{
	if (count > ivxs_tcp_waiting(tcp)) {
		tcp->misuse = 1;
		count = ivxs_tcp_waiting(tcp);
	}
	memcpy(out, tcp->down.data + tcp->down.head, count);
	tcp->down.head += count;
	tcp->takes++;
	if (!ivxs_tcp_waiting(tcp) && ivxs_tcp_over(tcp))
		tcp->again |= kFailed;   /* tcp_lwip.c's: the end told once the bytes before it were taken */
}

int ivxs_tcp_put(Tcp *tcp, const void *data, uint32_t size)
{
	uint32_t room = tcp->room - queued();
	if (tcp->over) {
		tcp->refusedPuts++;
		return -1;
	}
	if (size > room) {
		size = room;
		tcp->partialPuts++;
	}
	compact(&tcp->up, NULL);
	if (size > sizeof(tcp->up.data) - tcp->up.len)
		return -1;
	memcpy(tcp->up.data + tcp->up.len, data, size);
	tcp->up.len += size;
	tcp->puts++;
	return (int)size;
}

int ivxs_tcp_over(Tcp *tcp)
{
	return tcp->over && tcp->arrived == tcp->down.len;   /* the FIN after the bytes before it */
}

void ivxs_tcp_again(Tcp *tcp, uint8_t what)
{
	tcp->again |= what;
}

/* The server's bytes: arrived at the client's stream, at most `chunk` more of them. */
static void arrive(size_t chunk)
{
	size_t left = gTcp.down.len - gTcp.arrived;
	gTcp.arrived += chunk < left ? chunk : left;
}

/* ---- the server: Mbed TLS at the other end ---- */

static mbedtls_ssl_context gServer;
static mbedtls_ssl_config gServerConfig;
static int gServerUp, gServerOpen, gServerStatus;
static const int *gSuites;   /* the server's ciphersuites, when not its default */
static mbedtls_x509_crt gServerChain;
static mbedtls_pk_context gServerKey;
static mbedtls_ssl_ticket_context gTickets;   /* the server issues session tickets (TLS 1.3: after its handshake) */
static uint8_t gCa[1024], gOtherCa[1024];
static size_t gCaLen, gOtherCaLen;
static uint64_t gSeed = 0x5eed7157;

static int serverSend(void *ctx, const unsigned char *data, size_t size)
{
	(void)ctx;
	compact(&gTcp.down, &gTcp.arrived);
	if (size > sizeof(gTcp.down.data) - gTcp.down.len)
		size = sizeof(gTcp.down.data) - gTcp.down.len;
	if (!size)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	memcpy(gTcp.down.data + gTcp.down.len, data, size);
	gTcp.down.len += size;
	return (int)size;
}

static int serverRecv(void *ctx, unsigned char *out, size_t size)
{
	size_t n = queued();
	(void)ctx;
	if (!n)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (n > size)
		n = size;
	memcpy(out, gTcp.up.data + gTcp.up.head, n);
	gTcp.up.head += n;
	return (int)n;
}

static void serverStop(void)
{
	if (!gServerUp)
		return;
	mbedtls_ssl_free(&gServer);
	mbedtls_ssl_config_free(&gServerConfig);
	gServerUp = 0;
}

/* A fresh pipe (the client's send queue `room` bytes) and server (TLS 1.2 at most, or 1.3). */
static int serverStart(int tls13, uint32_t room)
{
	serverStop();
	memset(&gTcp, 0, sizeof(gTcp));
	gTcp.room = room;
	mbedtls_ssl_init(&gServer);
	mbedtls_ssl_config_init(&gServerConfig);
	gServerUp = 1;
	gServerOpen = gServerStatus = 0;
	if (mbedtls_ssl_config_defaults(&gServerConfig, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT))
		return -1;
	mbedtls_ssl_conf_rng(&gServerConfig, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);
	mbedtls_ssl_conf_max_tls_version(&gServerConfig, tls13 ? MBEDTLS_SSL_VERSION_TLS1_3 : MBEDTLS_SSL_VERSION_TLS1_2);
	if (gSuites)
		mbedtls_ssl_conf_ciphersuites(&gServerConfig, gSuites);
	mbedtls_ssl_conf_session_tickets_cb(&gServerConfig, mbedtls_ssl_ticket_write, mbedtls_ssl_ticket_parse, &gTickets);
	if (mbedtls_ssl_conf_own_cert(&gServerConfig, &gServerChain, &gServerKey) || mbedtls_ssl_setup(&gServer, &gServerConfig))
		return -1;
	mbedtls_ssl_set_bio(&gServer, NULL, serverSend, serverRecv, NULL);
	return 0;
}


/* The server's handshake, a step further. */
static void serverStep(void)
{
	int status;
	if (gServerOpen || gServerStatus)
		return;
	status = mbedtls_ssl_handshake(&gServer);
	if (!status)
		gServerOpen = 1;
	else if (status != MBEDTLS_ERR_SSL_WANT_READ && status != MBEDTLS_ERR_SSL_WANT_WRITE)
		gServerStatus = status;
}

/* All of `data` written by the server (the pipe holds it). */
static int serverWrite(const uint8_t *data, size_t size)
{
	while (size) {
		int put = mbedtls_ssl_write(&gServer, data, size);
		if (put <= 0)
			return put ? put : -1;
		data += put;
		size -= (size_t)put;
	}
	return 0;
}

/* ---- the client, driven as tcp_lwip.c drives it ---- */

static Tls *client(const char *host, const uint8_t *ca, size_t caLen)
{
	char why[160];
	Tls *tls = ivxs_tls_new(&gTcp, host, why, sizeof(why));
	if (tls && ivxs_tls_trust(tls, ca, caLen, why, sizeof(why))) {
		ivxs_tls_free(tls, 0);
		tls = NULL;
	}
	return tls;
}

/* What the stream tells the session now: readable while bytes wait, writable when room freed,
 * failed once it ended with nothing waiting (tcp_lwip.c tells the end after the bytes before it). */
static uint8_t happened(uint32_t queuedBefore)
{
	uint8_t what = gTcp.again;
	gTcp.again = 0;
	if (ivxs_tcp_waiting(&gTcp))
		what |= kReadable;
	else if (ivxs_tcp_over(&gTcp))
		what |= kFailed;
	if (queued() < queuedBefore)
		what |= kWritable;
	return what;
}

/* The handshake: the client's first step that told something (kWritable once open, or kFailed), 0
 * when it stalled. The server's bytes arrive `chunk` at a time. */
static uint8_t handshake(Tls *tls, size_t chunk)
{
	uint8_t what = ivxs_tls_step(tls, kWritable);   /* connected */
	int round, idle = 0;
	for (round = 0; round < 4000 && !what && idle < 3; round++) {
		uint32_t before = queued();
		size_t had = gTcp.down.len;
		uint8_t now;
		serverStep();
		arrive(chunk);
		now = happened(before);
		if (now)
			what = ivxs_tls_step(tls, now);
		idle = now || gTcp.down.len != had ? 0 : idle + 1;
	}
	return what;
}

/* The server's handshake finished too (TLS 1.3: it reads the client's Finished). */
static int serverFinish(void)
{
	int round;
	for (round = 0; round < 100 && !gServerOpen && !gServerStatus; round++)
		serverStep();
	return gServerOpen;
}

static uint64_t gSizes = 0x9e3779b97f4a7c15ull;

/* 1 to most (a size of read or write), repeatable. */
static uint32_t randomSize(uint32_t most)
{
	gSizes ^= gSizes << 13, gSizes ^= gSizes >> 7, gSizes ^= gSizes << 17;
	return most ? 1 + (uint32_t)(gSizes % most) : 0;
}

/* Everything readable read by the client into out (at most size), in reads of random sizes; its
 * steps taken as the socket takes them. How many bytes, or -1 when a read failed. `last`: the
 * client's last step. */
static long readAll(Tls *tls, uint8_t *out, size_t size, size_t chunk, uint8_t *last)
{
	size_t got = 0;
	int round;
	*last = 0;
	for (round = 0; round < 100000; round++) {
		uint8_t what;
		arrive(chunk);
		what = happened(queued());
		if (!what)
			break;
		*last = what = ivxs_tls_step(tls, what);
		if (what & kFailed)
			break;
		while ((what & kReadable) && ivxs_tls_available(tls)) {
			uint32_t n = randomSize(ivxs_tls_available(tls));
			if (got + n > size || ivxs_tls_read(tls, out + got, n))
				return -1;
			got += n;
		}
	}
	return (long)got;
}

/* ---- the certificates, made here ---- */

static int newKey(mbedtls_pk_context *key)
{
	mbedtls_pk_init(key);
	return mbedtls_pk_setup(key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))
		|| mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*key), ivxs_test_random, &gSeed);
}

/* A certificate (DER, at the front of out) of subject's key, signed by issuer's key. */
static int certificate(mbedtls_pk_context *subject, const char *subjectName, mbedtls_pk_context *issuer, const char *issuerName,
		int ca, const mbedtls_x509_san_list *names, uint8_t *out, size_t *size)
{
	mbedtls_x509write_cert crt;
	uint8_t serial[8];
	int n;
	mbedtls_x509write_crt_init(&crt);
	ivxs_test_random(&gSeed, serial, sizeof(serial));
	serial[0] = (uint8_t)((serial[0] & 0x7f) | 1);
	mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&crt, subject);
	mbedtls_x509write_crt_set_issuer_key(&crt, issuer);
	n = mbedtls_x509write_crt_set_subject_name(&crt, subjectName) || mbedtls_x509write_crt_set_issuer_name(&crt, issuerName)
		|| mbedtls_x509write_crt_set_validity(&crt, "20200101000000", "20491231235959")
		|| mbedtls_x509write_crt_set_serial_raw(&crt, serial, sizeof(serial))
		|| mbedtls_x509write_crt_set_basic_constraints(&crt, ca, -1)
		|| (names && mbedtls_x509write_crt_set_subject_alternative_name(&crt, names)) ? -1
		: mbedtls_x509write_crt_der(&crt, out, *size, ivxs_test_random, &gSeed);
	mbedtls_x509write_crt_free(&crt);
	if (n <= 0)
		return -1;
	memmove(out, out + *size - (size_t)n, (size_t)n);
	*size = (size_t)n;
	return 0;
}

/* The CA (and another of the same name, another key), the server's key and certificate. */
static int makeCertificates(void)
{
	mbedtls_pk_context caKey, otherKey;
	static const uint8_t ip[4] = { 10, 0, 2, 2 };
	mbedtls_x509_san_list ipName = { .node = { .type = MBEDTLS_X509_SAN_IP_ADDRESS, .san.unstructured_name = { .len = 4, .p = (uint8_t *)ip } } };
	mbedtls_x509_san_list dnsName = { .node = { .type = MBEDTLS_X509_SAN_DNS_NAME, .san.unstructured_name = { .len = 14, .p = (uint8_t *)"camera.example" } }, .next = &ipName };
	uint8_t der[1024];
	size_t size = sizeof(der);
	int failed;
	gCaLen = sizeof(gCa), gOtherCaLen = sizeof(gOtherCa);
	mbedtls_x509_crt_init(&gServerChain);
	failed = newKey(&caKey) || newKey(&otherKey) || newKey(&gServerKey)
		|| certificate(&caKey, "CN=ivxs test CA", &caKey, "CN=ivxs test CA", 1, NULL, gCa, &gCaLen)
		|| certificate(&otherKey, "CN=ivxs test CA", &otherKey, "CN=ivxs test CA", 1, NULL, gOtherCa, &gOtherCaLen)
		|| certificate(&gServerKey, "CN=camera.example", &caKey, "CN=ivxs test CA", 0, &dnsName, der, &size)
		|| mbedtls_x509_crt_parse_der(&gServerChain, der, size)
		|| mbedtls_x509_crt_parse_der(&gServerChain, gCa, gCaLen);
	mbedtls_pk_free(&caKey);
	mbedtls_pk_free(&otherKey);
	return failed;
}

/* ---- the tests ---- */

static uint8_t gOut[256 * 1024], gIn[256 * 1024], gServerIn[256 * 1024];

/* A session open on a server of TLS 1.2 (or 1.3), the send queue `room` bytes. */
#define OPEN(tls, tls13, room, host) do { \
	CHECK_EQ(serverStart(tls13, room), 0); \
	tls = client(host, gCa, gCaLen); \
	CHECK(tls); \
	CHECK_EQ(handshake(tls, 1460), kWritable); \
	CHECK(serverFinish()); \
} while (0)

static void finish(Tls *tls)
{
	if (tls)
		ivxs_tls_free(tls, 0);
	serverStop();
}

static void test_handshake(void)
{
	Tls *tls = NULL;
	const char *hosts[] = { "camera.example", "CAMERA.example", "10.0.2.2" };
	char texts[3][80];
	uint8_t what;
	unsigned i;
	for (i = 0; i < 3; i++) {
		CHECK_EQ(serverStart(0, 100), 0);   /* a send queue shorter than the ClientHello: partial puts */
		tls = client(hosts[i], gCa, gCaLen);
		CHECK(tls);
		CHECK(!ivxs_tls_open(tls));
		CHECK_EQ(ivxs_tls_room(tls, 5744), 0);
		what = handshake(tls, 100);
		CHECKF(what == kWritable, "%s: the first step told %d, not kWritable alone (server -0x%04x)", hosts[i], what, (unsigned)-gServerStatus);
		CHECK(ivxs_tls_open(tls));
		CHECK(gTcp.partialPuts > 0 && gTcp.takes > 10);
		CHECK(serverFinish());
		CHECK(!gTcp.misuse);
		snprintf(texts[i], sizeof(texts[i]), "%s", mbedtls_ssl_get_ciphersuite(&gServer));
		finish(tls);
		tls = NULL;
		CHECK_EQ(gCounter->bytes, 0);
	}
	NOTE("the name, the name in other case, the IP address 10.0.2.2 (an iPAddress SAN: matched by Mbed TLS 3.6); %s, the send queue 100 bytes, the server's bytes 100 at a time", texts[0]);
done:
	finish(tls);
}

/* Application data that came with the server's Finished: the first step tells readable too. */
static void test_data_with_finished(void)
{
	Tls *tls = NULL;
	uint8_t what, got[5];
	int round;
	CHECK_EQ(serverStart(0, 5744), 0);
	tls = client("camera.example", gCa, gCaLen);
	CHECK(tls);
	what = ivxs_tls_step(tls, kWritable);
	for (round = 0; round < 100 && !gServerOpen; round++) {   /* the client's steps, without the server's last flight */
		uint32_t before = queued();
		serverStep();
		if (gServerOpen)
			break;
		arrive(100000);
		if ((what = happened(before)))
			what = ivxs_tls_step(tls, what);
	}
	CHECK(gServerOpen && !what);
	CHECK_EQ(serverWrite((const uint8_t *)"hello", 5), 0);
	arrive(100000);
	CHECK_EQ(ivxs_tls_step(tls, kReadable), kWritable | kReadable);
	CHECK_EQ(ivxs_tls_available(tls), 5);
	CHECK_EQ(ivxs_tls_read(tls, got, 5), 0);
	CHECK(!memcmp(got, "hello", 5));
done:
	finish(tls);
}

/* A write of exactly ivxs_tls_room(room) bytes fits a send queue of room bytes: no record held back. */
static void test_room(void)
{
	static const uint32_t rooms[] = { 100, 1000, 4096 + 60, 5744, 16413, 20000, 65535 };
	Tls *tls = NULL;
	char note[400] = "";
	size_t n = 0;
	static const int gcm[] = { MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 0 };
	int mode, tls13;
	unsigned i;
	for (i = 0; i < sizeof(gOut); i++)
		gOut[i] = (uint8_t)(i * 31 + 7);
	for (mode = 0; mode < 3; mode++) {   /* TLS 1.2 (the server's choice, then AES-GCM's), TLS 1.3 */
		tls13 = mode == 2;
		gSuites = mode == 1 ? gcm : NULL;
		OPEN(tls, tls13, 100, "camera.example");
		gSuites = NULL;
		gTcp.partialPuts = 0;
		for (i = 0; i < sizeof(rooms) / sizeof(rooms[0]); i++) {
			uint32_t plain = ivxs_tls_room(tls, rooms[i]);
			long got = 0;
			int r;
			gTcp.room = rooms[i];
			CHECKF(plain > 0 && plain < rooms[i], "room %u: %u", rooms[i], plain);
			CHECKF(ivxs_tls_write(tls, gOut, plain) == 0, "%s, room %u: a write of %u bytes refused", tls13 ? "TLS 1.3" : "TLS 1.2", rooms[i], plain);
			CHECKF(queued() <= rooms[i] && queued() + 64 * (rooms[i] / 16000 + 1) >= rooms[i], "room %u: %u queued", rooms[i], queued());
			CHECK_EQ(gTcp.partialPuts, 0);
			while (got < (long)plain && (r = mbedtls_ssl_read(&gServer, gServerIn + got, sizeof(gServerIn) - (size_t)got)) > 0)
				got += r;
			CHECK_EQ(got, plain);
			CHECK(!memcmp(gServerIn, gOut, plain));
			if (rooms[i] == 100)
				n += (size_t)snprintf(note + n, sizeof(note) - n, "%s%s: %u of 100", n ? "; " : "", tls13 ? "TLS 1.3" : "TLS 1.2", plain);
			if (rooms[i] == 4096 + 60)
				n += (size_t)snprintf(note + n, sizeof(note) - n, ", %u of 4156", plain);
			if (rooms[i] == 5744)
				n += (size_t)snprintf(note + n, sizeof(note) - n, ", %u of 5744 (%s)", plain, mbedtls_ssl_get_ciphersuite(&gServer));
		}
		CHECK_EQ(ivxs_tls_room(tls, 20), 0);
		finish(tls);
		tls = NULL;
	}
	NOTE("plaintext a send queue takes: %s", note);
done:
	gSuites = NULL;
	finish(tls);
}

/* 200 KB each way: the client's writes of random sizes within the room, its reads of random sizes
 * within what is available, the server's records arriving a few bytes to a segment at a time. */
static void transfer(int tls13)
{
	const size_t total = 200 * 1024;
	Tls *tls = NULL;
	size_t sent = 0, serverGot = 0, serverSent = 0, got = 0, ticket;
	unsigned round, writes = 0, reads = 0;
	for (size_t i = 0; i < total; i++)
		gOut[i] = (uint8_t)(randomSize(256) - 1);
	OPEN(tls, tls13, 5744, "camera.example");
	ticket = gTcp.down.len - gTcp.arrived;   /* TLS 1.3: the server's NewSessionTicket, after its handshake */
	CHECK(!tls13 || ticket > 0);
	gTcp.takes = gTcp.partialPuts = 0;
	for (round = 0; round < 200000 && (sent < total || serverGot < total || got < total); round++) {
		uint32_t before = queued();
		uint8_t what;
		int r;
		/* the client writes what its room takes */
		if (sent < total) {
			uint32_t plain = ivxs_tls_room(tls, gTcp.room - queued());
			if (plain) {
				uint32_t n = randomSize(plain < total - sent ? plain : (uint32_t)(total - sent));
				CHECKF(ivxs_tls_write(tls, gOut + sent, n) == 0, "a write of %u bytes with room for %u", n, plain);
				sent += n;
				writes++;
			}
		}
		/* the server reads some, writes some */
		r = mbedtls_ssl_read(&gServer, gServerIn + serverGot, randomSize(8000));
		if (r > 0)
			serverGot += (size_t)r;
		else
			CHECKF(r == MBEDTLS_ERR_SSL_WANT_READ, "the server's read: -0x%04x", (unsigned)-r);
		if (serverSent < total && gTcp.down.len - gTcp.arrived < 40000) {
			uint32_t n = randomSize(total - serverSent < 20000 ? (uint32_t)(total - serverSent) : 20000);
			CHECK_EQ(serverWrite(gOut + serverSent, n), 0);
			serverSent += n;
		}
		/* a segment of theirs arrives; the client steps and reads */
		arrive(randomSize(300));
		what = happened(before);
		if (what)
			what = ivxs_tls_step(tls, what);
		CHECK(!(what & kFailed));
		while ((what & kReadable) && ivxs_tls_available(tls)) {
			uint32_t n = randomSize(ivxs_tls_available(tls));
			CHECK(got + n <= total);
			CHECK_EQ(ivxs_tls_read(tls, gIn + got, n), 0);
			got += n;
			reads++;
		}
	}
	CHECK_EQ(sent, total);
	CHECK_EQ(serverGot, total);
	CHECK_EQ(got, total);
	CHECK(!memcmp(gServerIn, gOut, total));
	CHECK(!memcmp(gIn, gOut, total));
	CHECK(!gTcp.misuse && !gTcp.partialPuts);
	NOTE("%s, %s: %u writes, %u reads, %u takes; %zu bytes of session ticket after the handshake", mbedtls_ssl_get_version(&gServer), mbedtls_ssl_get_ciphersuite(&gServer), writes, reads, gTcp.takes, ticket);
done:
	finish(tls);
}

static void test_transfer_12(void)
{
	transfer(0);
}

static void test_transfer_13(void)
{
	transfer(1);
}

static void failedHandshake(const char *host, const uint8_t *ca, size_t caLen, char *text, size_t size, int *status)
{
	Tls *tls;
	*status = 1;
	if (serverStart(0, 5744))
		return;
	tls = client(host, ca, caLen);
	if (tls) {
		*status = handshake(tls, 1460) == kFailed ? ivxs_tls_failure(tls, text, size) : 2;
		if (ivxs_tls_step(tls, kReadable) != kFailed || ivxs_tls_open(tls) || ivxs_tls_room(tls, 5744))
			*status = 3;   /* and it stays failed */
		ivxs_tls_free(tls, 1);
	}
	serverStop();
}

static void test_verify(void)
{
	char text[256] = "", other[256] = "", ip[256] = "";
	int status;
	failedHandshake("camera.example", gOtherCa, gOtherCaLen, text, sizeof(text), &status);
	CHECK_EQ(status, IVXS_HOST_EVERIFY);
	CHECKF(!strncmp(text, "TLS certificate verification failed: ", 37) && strlen(text) > 40, "%s", text);
	failedHandshake("other.example", gCa, gCaLen, other, sizeof(other), &status);
	CHECK_EQ(status, IVXS_HOST_EVERIFY);
	CHECKF(!strncmp(other, "TLS certificate verification failed: ", 37) && strlen(other) > 40, "%s", other);
	failedHandshake("10.0.2.3", gCa, gCaLen, ip, sizeof(ip), &status);
	CHECK_EQ(status, IVXS_HOST_EVERIFY);
	NOTE("another CA of the same name: \"%.130s\"; another name: \"%.130s\"; another IP address: \"%.130s\"", text, other, ip);
done:;
}

/* Plaintext, then the end: a close_notify, the stream's end without one, or its end inside a record. */
static void test_ends(void)
{
	Tls *tls = NULL;
	char text[128] = "";
	uint8_t last;
	int end;
	for (end = 0; end < 3; end++) {
		OPEN(tls, 0, 5744, "camera.example");
		CHECK_EQ(serverWrite(gOut, 20000), 0);   /* two records */
		if (end == 0)
			CHECK_EQ(mbedtls_ssl_close_notify(&gServer), 0);
		else if (end == 2) {
			CHECK_EQ(serverWrite(gOut, 100), 0);
			gTcp.down.len -= 10;   /* a record cut short */
		}
		if (end)
			gTcp.over = 1;   /* the peer's FIN (its bytes still arriving) */
		CHECKF(readAll(tls, gIn, sizeof(gIn), 700, &last) == 20000, "end %d: not the plaintext before it", end);
		CHECK(!memcmp(gIn, gOut, 20000));
		CHECKF(last == kFailed, "end %d: the last step told %d", end, last);
		CHECK(!ivxs_tls_open(tls));
		CHECK_EQ(ivxs_tls_room(tls, 5744), 0);
		CHECK_EQ(ivxs_tls_step(tls, kReadable | kWritable), kFailed);
		if (end == 0) {
			CHECK_EQ(ivxs_tls_failure(tls, text, sizeof(text)), IVXS_HOST_ERESET);
			CHECKF(!strcmp(text, "connection closed by the peer"), "%s", text);
		}
		else
			CHECKF(ivxs_tls_failure(tls, text, sizeof(text)) == 0, "end %d: %s", end, text);   /* the stream's reason */
		finish(tls);
		tls = NULL;
	}
	NOTE("close_notify: ERESET; the stream's end (between records or inside one): failure() 0; 20,000 bytes read before each");
done:
	finish(tls);
}

/* The stream ends during the handshake: inside a record (the bytes before the end taken), or with
 * nothing waiting: kFailed, the stream's reason. */
static void test_end_in_handshake(void)
{
	Tls *tls = NULL;
	char text[64];
	int cut;
	for (cut = 0; cut < 2; cut++) {
		CHECK_EQ(serverStart(0, 5744), 0);
		tls = client("camera.example", gCa, gCaLen);
		CHECK(tls);
		CHECK_EQ(ivxs_tls_step(tls, kWritable), 0);
		serverStep();
		gTcp.down.len = cut ? 30 : 0;   /* part of the ServerHello, or nothing, then the end */
		gTcp.over = 1;
		arrive(30);
		CHECK_EQ(ivxs_tls_step(tls, cut ? kReadable : kFailed), kFailed);
		CHECK_EQ(ivxs_tls_failure(tls, text, sizeof(text)), 0);
		CHECK(!ivxs_tls_open(tls));
		CHECK_EQ(ivxs_tls_step(tls, kReadable), kFailed);
		finish(tls);
		tls = NULL;
	}
done:
	finish(tls);
}

/* Bytes not TLS's after a record of plaintext, and a record tampered with: ETLS, the plaintext first. */
static void test_garbage(void)
{
	static const char garbage[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
	Tls *tls = NULL;
	char text[2][160] = { "", "" };
	uint8_t last;
	int kind;
	for (kind = 0; kind < 2; kind++) {
		OPEN(tls, 0, 5744, "camera.example");
		CHECK_EQ(serverWrite(gOut, 1000), 0);
		if (kind == 0) {
			memcpy(gTcp.down.data + gTcp.down.len, garbage, sizeof(garbage) - 1);
			gTcp.down.len += sizeof(garbage) - 1;
		}
		else {
			CHECK_EQ(serverWrite(gOut, 1000), 0);
			gTcp.down.data[gTcp.down.len - 500] ^= 0x20;   /* in the second record's ciphertext */
		}
		CHECKF(readAll(tls, gIn, sizeof(gIn), 200, &last) == 1000, "%s: not the plaintext before it", kind ? "tampered" : "garbage");
		CHECK(!memcmp(gIn, gOut, 1000));
		CHECK_EQ(last, kFailed);
		CHECK_EQ(ivxs_tls_failure(tls, text[kind], sizeof(text[kind])), IVXS_HOST_ETLS);
		CHECKF(!strncmp(text[kind], "TLS read: ", 10) && strlen(text[kind]) > 12, "%s", text[kind]);
		CHECK_EQ(ivxs_tls_step(tls, kReadable), kFailed);
		finish(tls);
		tls = NULL;
	}
	NOTE("garbage: \"%s\"; tampered: \"%s\"", text[0], text[1]);
done:
	finish(tls);
}

/* Records that carry no plaintext — a warning alert (no_renegotiation: Mbed TLS's read gives
 * WANT_READ after it), empty application data records (it allows three in a row) — followed by
 * plaintext in the same arrival, or by nothing yet: never taken for the stream's end, and the
 * plaintext behind them told readable in the same step (no other step comes for bytes that
 * already arrived). */
static void test_quiet_records(void)
{
	Tls *tls = NULL;
	uint8_t what, got[100];
	int kind;
	for (kind = 0; kind < 4; kind++) {
		const char *name = kind == 0 ? "a warning alert" : kind == 1 ? "an empty record" : kind == 2 ? "two empty records" : "a warning alert, then the end";
		OPEN(tls, 0, 5744, "camera.example");
		if (kind == 0 || kind == 3)
			CHECK_EQ(mbedtls_ssl_send_alert_message(&gServer, MBEDTLS_SSL_ALERT_LEVEL_WARNING, MBEDTLS_SSL_ALERT_MSG_NO_RENEGOTIATION), 0);
		else {
			CHECK_EQ(mbedtls_ssl_write(&gServer, gOut, 0), 0);
			if (kind == 2)
				CHECK_EQ(mbedtls_ssl_write(&gServer, gOut, 0), 0);
		}
		if (kind == 2) {   /* nothing yet behind them */
			arrive(100000);
			what = ivxs_tls_step(tls, happened(queued()));
			CHECKF(what == 0, "%s and nothing after them: the step told %d (failure %d)", name, what, ivxs_tls_failure(tls, (char *)got, sizeof(got)));
		}
		if (kind == 3)
			gTcp.over = 1;
		else
			CHECK_EQ(serverWrite(gOut, 100), 0);
		arrive(100000);
		what = ivxs_tls_step(tls, happened(queued()));
		if (kind == 3) {
			if (!what)   /* the end told by the stream once its bytes were taken */
				what = ivxs_tls_step(tls, happened(queued()));
			CHECKF(what == kFailed && ivxs_tls_failure(tls, (char *)got, sizeof(got)) == 0, "%s: the step told %d", name, what);
		}
		else {
			CHECKF(what == kReadable && ivxs_tls_available(tls) == 100, "%s, then 100 bytes: the step told %d, %u available", name, what, ivxs_tls_available(tls));
			CHECK_EQ(ivxs_tls_read(tls, got, 100), 0);
			CHECK(!memcmp(got, gOut, 100));
		}
		finish(tls);
		tls = NULL;
	}
done:
	finish(tls);
}

/* Freed: with a close_notify the server reads as one, without, before it connected, during the handshake. */
static void test_free(void)
{
	Tls *tls = NULL;
	uint8_t byte;
	uint32_t before;
	int64_t held;
	int r;
	OPEN(tls, 0, 5744, "camera.example");
	held = gCounter->bytes;
	CHECK_EQ(ivxs_tls_write(tls, (const uint8_t *)"bye", 3), 0);
	ivxs_tls_free(tls, 1);
	tls = NULL;
	CHECK_EQ(gCounter->bytes, 0);
	r = mbedtls_ssl_read(&gServer, gServerIn, sizeof(gServerIn));
	CHECK(r == 3 && !memcmp(gServerIn, "bye", 3));
	r = mbedtls_ssl_read(&gServer, &byte, 1);
	CHECKF(r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY, "the server read -0x%04x", (unsigned)-r);
	finish(NULL);

	OPEN(tls, 0, 5744, "camera.example");
	before = gTcp.puts;
	ivxs_tls_free(tls, 0);
	tls = NULL;
	CHECK_EQ(gTcp.puts, before);
	CHECK_EQ(mbedtls_ssl_read(&gServer, &byte, 1), MBEDTLS_ERR_SSL_WANT_READ);
	finish(NULL);

	OPEN(tls, 0, 5744, "camera.example");
	gTcp.over = 1;   /* the stream already gone: the close_notify cannot go */
	ivxs_tls_free(tls, 1);
	tls = NULL;
	CHECK(gTcp.refusedPuts > 0);
	finish(NULL);

	CHECK_EQ(serverStart(0, 5744), 0);
	tls = client("camera.example", gCa, gCaLen);   /* never connected */
	CHECK(tls);
	ivxs_tls_free(tls, 1);
	tls = NULL;
	CHECK_EQ(gTcp.puts, 0);
	tls = client("camera.example", gCa, gCaLen);   /* during the handshake */
	CHECK(tls);
	CHECK_EQ(ivxs_tls_step(tls, kWritable), 0);
	before = gTcp.puts;
	ivxs_tls_free(tls, 1);
	tls = NULL;
	CHECK_EQ(gTcp.puts, before);
	CHECK_EQ(gCounter->bytes, 0);
	NOTE("a session counts %lld bytes", (long long)held);
done:
	finish(tls);
}

static void test_trust(void)
{
	Tls *tls = NULL;
	char why[160] = "", cut[160] = "";
	static const uint8_t garbage[] = { 0x30, 0x82, 0x01, 0x00, 'n', 'o', 't', ' ', 'a', ' ', 'c', 'e', 'r', 't' };
	CHECK_EQ(serverStart(0, 5744), 0);
	tls = ivxs_tls_new(&gTcp, "camera.example", why, sizeof(why));
	CHECK(tls);
	CHECK_EQ(ivxs_tls_trust(tls, garbage, sizeof(garbage), why, sizeof(why)), -1);
	CHECKF(!strncmp(why, "a trusted certificate could not be parsed: ", 43) && strlen(why) > 45, "%s", why);
	CHECK_EQ(ivxs_tls_trust(tls, gCa, gCaLen / 2, cut, sizeof(cut)), -1);   /* cut short */
	CHECK_EQ(ivxs_tls_trust(tls, "", 0, cut, sizeof(cut)), -1);
	CHECK_EQ(ivxs_tls_trust(tls, gOtherCa, gOtherCaLen, cut, sizeof(cut)), 0);
	CHECK_EQ(ivxs_tls_trust(tls, gCa, gCaLen, cut, sizeof(cut)), 0);   /* two trusted, one of them the server's */
	CHECK_EQ(handshake(tls, 1460), kWritable);
	NOTE("\"%s\"", why);
done:
	finish(tls);
}

int main(void)
{
	mbedtls_ssl_ticket_init(&gTickets);
	if (psa_crypto_init() != PSA_SUCCESS || makeCertificates()
			|| mbedtls_ssl_ticket_setup(&gTickets, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE, MBEDTLS_CIPHER_AES_256_GCM, 86400)) {
		printf("FAIL the certificates could not be made\n0 passed, 1 failed\n");
		return 1;
	}
	ivxs_test_run("handshake: verified against the CA, by name (any case) and by IP address; the first step after it tells kWritable alone; partial puts, records taken a piece at a time", test_handshake);
	ivxs_test_run("handshake: application data that came with the server's Finished: the first step tells kWritable and kReadable", test_data_with_finished);
	ivxs_test_run("room: a write of ivxs_tls_room(room) bytes fits a send queue of room bytes (100, 1000, 4156, 5744, 16413, 20000, 65535), TLS 1.2 (ChaCha20-Poly1305, AES-GCM) and 1.3", test_room);
	ivxs_test_run("200 KB each way, TLS 1.2: writes of random sizes within the room, reads within what is available, records arriving in pieces", test_transfer_12);
	ivxs_test_run("200 KB each way, TLS 1.3 (the client does not cap the version)", test_transfer_13);
	ivxs_test_run("verification: another CA, another host name, another IP address: EVERIFY with its text, and it stays failed", test_verify);
	ivxs_test_run("the end: close_notify (ERESET), the stream's end between records or inside one (failure 0); the plaintext before it read first", test_ends);
	ivxs_test_run("the stream ends during the handshake: kFailed, failure 0", test_end_in_handshake);
	ivxs_test_run("garbage from the server mid-session, a record tampered with: ETLS with a text, the plaintext before it read first", test_garbage);
	ivxs_test_run("records without plaintext (a warning alert, empty application data records) before plaintext or nothing: not the end, the plaintext behind them readable in the same step", test_quiet_records);
	ivxs_test_run("free: with a close_notify the server reads, without, on a stream gone, never connected, during the handshake; the count back to 0", test_free);
	ivxs_test_run("trust: garbage or cut-short DER refused (-1, why), good ones taken", test_trust);
	mbedtls_ssl_ticket_free(&gTickets);
	mbedtls_x509_crt_free(&gServerChain);
	mbedtls_pk_free(&gServerKey);
	mbedtls_psa_crypto_free();
	return ivxs_test_summary();
}
