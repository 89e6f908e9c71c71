/* N DTLS-SRTP handshakes (native/webrtc/dtls.c) between a camera (server) and a viewer (client)
 * over an in-memory wire, their identities made before; for bench/webrtc/run.mjs, which counts
 * the camera's side under callgrind (--toggle-collect=mbedtls_ssl_handshake_server_step).
 *   dtls_handshakes N   prints "handshakes N" (exit 1 if one failed) */
#include "dtls.h"
#include "ivxs_test_random.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { uint8_t data[16][1500]; size_t len[16]; int count; } Wire;

static int wireSend(void *ctx, const uint8_t *datagram, size_t len)
{
	Wire *w = ctx;
	if (w->count == 16 || len > 1500)
		return -1;
	memcpy(w->data[w->count], datagram, len);
	w->len[w->count++] = len;
	return 0;
}

static int deliver(Wire *w, ivxs_dtls *to)
{
	int i, r = to->state, n = w->count;
	w->count = 0;
	for (i = 0; i < n && r >= 0; i++)
		r = ivxs_dtls_input(to, w->data[i], w->len[i], 0);
	return r;
}

static int identity(ivxs_dtls_identity *id, uint64_t *seed)
{
	uint8_t key[256], cert[1024];
	size_t keyLen = sizeof(key), certLen = sizeof(cert);
	return ivxs_dtls_identity_create(ivxs_test_random, seed, key, &keyLen, cert, &certLen) || ivxs_dtls_identity_load(id, key, keyLen, cert, certLen);
}

int main(int argc, char **argv)
{
	static Wire toCamera, toViewer;
	ivxs_dtls_identity camId, viewId;
	uint64_t seed = 42;
	int n = argc > 1 ? atoi(argv[1]) : 1, done = 0, i;
	if (identity(&camId, &seed) || identity(&viewId, &seed))
		return 1;
	for (i = 0; i < n; i++) {
		ivxs_dtls camera, viewer;
		ivxs_dtls_handshake cameraHs, viewerHs;
		int rc, rv, steps;
		toCamera.count = toViewer.count = 0;
		rc = ivxs_dtls_setup(&camera, &cameraHs, &camId, IVXS_DTLS_SERVER, viewId.fingerprint, ivxs_test_random, &seed, wireSend, &toViewer, 0);
		rv = ivxs_dtls_setup(&viewer, &viewerHs, &viewId, IVXS_DTLS_CLIENT, camId.fingerprint, ivxs_test_random, &seed, wireSend, &toCamera, 0);
		for (steps = 0; steps < 20 && rc >= 0 && rv >= 0 && !(rc == IVXS_DTLS_CONNECTED && rv == IVXS_DTLS_CONNECTED); steps++) {
			rc = deliver(&toCamera, &camera);
			rv = deliver(&toViewer, &viewer);
		}
		done += rc == IVXS_DTLS_CONNECTED && rv == IVXS_DTLS_CONNECTED;
		ivxs_dtls_free(&camera);
		ivxs_dtls_free(&viewer);
	}
	printf("handshakes %d\n", done);
	ivxs_dtls_identity_free(&camId);
	ivxs_dtls_identity_free(&viewId);
	return done == n ? 0 : 1;
}
