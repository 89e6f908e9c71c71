/* The DTLS-SRTP core (dtls.h) as a camera on a real UDP socket, for an independent peer to
 * handshake with (tests/webrtc.test.mjs runs openssl s_client -dtls1_2 -use_srtp against it):
 *   dtls_peer <the client certificate's SHA-256, hex>
 * prints "port N", serves one handshake (10 s at most), then prints "srtp <60 bytes, hex>" — the
 * keying material as RFC 5764 §4.2 lays it out (client key, server key, client salt, server salt),
 * rebuilt from the core's local/remote keys — and "fingerprint <ours, hex>". Exit 1 on failure. */
#include "dtls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int gSocket = -1;
static struct sockaddr_in gPeer;
static int gHavePeer;

static int urandom(void *ctx, unsigned char *out, size_t size)
{
	(void)ctx;
	FILE *f = fopen("/dev/urandom", "rb");
	size_t n = f ? fread(out, 1, size, f) : 0;
	if (f)
		fclose(f);
	return n == size ? 0 : -1;
}

static int udpSend(void *ctx, const uint8_t *datagram, size_t len)
{
	(void)ctx;
	return gHavePeer && sendto(gSocket, datagram, len, 0, (struct sockaddr *)&gPeer, sizeof(gPeer)) == (ssize_t)len ? 0 : -1;
}

static uint64_t nowMs(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void hex(const char *what, const uint8_t *p, size_t n)
{
	size_t i;
	printf("%s ", what);
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	uint8_t key[256], cert[1024], remote[IVXS_DTLS_FINGERPRINT_BYTES], buf[2048], km[60];
	size_t keyLen = sizeof(key), certLen = sizeof(cert), i;
	struct sockaddr_in addr;
	socklen_t addrLen = sizeof(addr);
	ivxs_dtls_identity id;
	ivxs_dtls d;
	ivxs_dtls_handshake hs;
	uint64_t start;
	int r = IVXS_DTLS_HANDSHAKING;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2 || strlen(argv[1]) != 64)
		return 2;
	for (i = 0; i < sizeof(remote); i++) {
		unsigned v;
		sscanf(argv[1] + 2 * i, "%2x", &v);
		remote[i] = (uint8_t)v;
	}
	if (ivxs_dtls_identity_create(urandom, NULL, key, &keyLen, cert, &certLen) || ivxs_dtls_identity_load(&id, key, keyLen, cert, certLen))
		return 1;
	gSocket = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (gSocket < 0 || bind(gSocket, (struct sockaddr *)&addr, sizeof(addr)) || getsockname(gSocket, (struct sockaddr *)&addr, &addrLen))
		return 1;
	printf("port %u\n", ntohs(addr.sin_port));
	if (ivxs_dtls_setup(&d, &hs, &id, IVXS_DTLS_SERVER, remote, urandom, NULL, udpSend, NULL, nowMs()))
		return 1;
	start = nowMs();
	/* a hang guard, not a speed bound: ASan's handshake beside a loaded machine's other work took 10 s */
	while (r == IVXS_DTLS_HANDSHAKING && nowMs() - start < 60000) {
		struct pollfd pfd = { gSocket, POLLIN, 0 };
		if (poll(&pfd, 1, 50) > 0) {
			socklen_t len = sizeof(gPeer);
			ssize_t n = recvfrom(gSocket, buf, sizeof(buf), 0, (struct sockaddr *)&gPeer, &len);
			gHavePeer = 1;
			if (n > 0)
				r = ivxs_dtls_input(&d, buf, (size_t)n, nowMs());
		}
		else
			r = ivxs_dtls_tick(&d, nowMs());
	}
	if (r != IVXS_DTLS_CONNECTED) {
		printf("failed %d\n", r);
		return 1;
	}
	/* local = server, remote = client: back into RFC 5764's order */
	if (ivxs_dtls_srtp_keys(&d, km + 16, km + 46, km, km + 32))
		return 1;
	hex("srtp", km, sizeof(km));
	hex("fingerprint", id.fingerprint, sizeof(id.fingerprint));
	ivxs_dtls_free(&d);
	ivxs_dtls_identity_free(&id);
	close(gSocket);
	return 0;
}
