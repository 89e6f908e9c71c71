/*
 * ivxs/sha256 on ESP32-S3 boards (sha256_engine.js): SHA-256 in the chip's SHA accelerator, for
 * what the camera hashes by the megabyte — every upload's body (modules/net/signing.ts). The SDK's
 * `crypt` Digest hashes in software (its kcl fips180.c): about 68 Xtensa instructions a byte in
 * the emulated S3 (bench board_s3's profile), which at the camera's 1 Mbit/s would be ~8.5 M a second.
 *
 * The engine's side (its lock, the state in and out around the blocks) is engines.c's; the partial
 * block, the length and the padding are native/common/ivxs_md_stream.c's (tested on Linux with a
 * software compression). Nothing is allocated past the digest's record.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "ivxs_kit.h"
#include "ivxs_engine.h"

#include <stdlib.h>
#include <string.h>

#define kPrefix "sha256"

static void xs_ivxs_sha256_destructor(void *data)
{
	free(data);
}
static const xsHostHooks kHooks = { xs_ivxs_sha256_destructor, NULL, NULL };

static ivxs_md_stream *getDigest(xsMachine *the)
{
	return ivxs_handle_open(the, &xsArg(0), &kHooks, kPrefix, "SHA-256 digest");
}

/* open() -> a digest */
void xs_ivxs_sha256_open(xsMachine *the)
{
	ivxs_md_stream *h;
	xsResult = xsNewHostObject(xs_ivxs_sha256_destructor);
	xsmcSetHostHooks(xsResult, &kHooks);
	h = malloc(sizeof(ivxs_md_stream));
	if (!h)
		ivxs_error(IVXS_ENOMEM, kPrefix ": no memory");
	ivxs_md_init(h);
	xsmcSetHostData(xsResult, h);
}

/* update(digest, data): a string as UTF-8, an ArrayBuffer or a view as its bytes. Nothing runs JS
 * while the bytes are hashed, so the pointer into the value is good for the whole call. */
void xs_ivxs_sha256_update(xsMachine *the)
{
	ivxs_md_stream *h = getDigest(the);
	void *data;
	xsUnsignedValue size;
	if (xsmcTypeOf(xsArg(1)) == xsStringType) {
		const char *text = xsmcToString(xsArg(1));
		ivxs_md_update(h, text, strlen(text), &ivxs_engine_sha256);
		return;
	}
	xsmcGetBufferReadable(xsArg(1), &data, &size);
	ivxs_md_update(h, data, size, &ivxs_engine_sha256);
}

/* finish(digest) -> the digest of everything given (an ArrayBuffer of 32 bytes); starts over */
void xs_ivxs_sha256_finish(xsMachine *the)
{
	ivxs_md_stream *h = getDigest(the);
	uint8_t digest[IVXS_MD_MAX_DIGEST];
	ivxs_md_final(h, digest, &ivxs_engine_sha256);
	xsmcSetArrayBuffer(xsResult, digest, sizeof(digest));
}

/* reset(digest): starts over */
void xs_ivxs_sha256_reset(xsMachine *the)
{
	ivxs_md_init(getDigest(the));
}
