/*
 * ivxs/crypto: SHA-256 and HMAC-SHA256 on mbedTLS (Debian's libmbedtls-dev, the library
 * Moddable and ESP-IDF use), for signing requests (cloud/PROTOCOL.md §2). XS runs byte loops
 * about 20 times slower than Node, so hashing a segment in JS would cost more than sending it.
 *
 * A context is a host object (validated against its hooks); update() takes strings (their
 * UTF-8 bytes: XS strings are UTF-8) and any buffer, including views of host buffers (ring
 * frames), hashed in place. finish() returns the 32-byte digest as an ArrayBuffer and starts the
 * context over (same key for HMAC), so one context signs many messages. close() frees it (twice
 * is harmless); garbage collection frees one nobody closed.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "host.h"

#include <mbedtls/ecdsa.h>
#include <mbedtls/md.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	mbedtls_md_context_t md;
	int hmac;
	int size;   /* digest bytes */
	int64_t counted;
} CryptoRecord;

static ivxs_mem_counter gCryptoMemory = { "crypto", 0, 0, NULL };
void xs_crypto_destructor(void *data);
static const xsHostHooks gCryptoHooks = { xs_crypto_destructor, NULL, NULL };

static void freeRecord(CryptoRecord *record)
{
	mbedtls_md_free(&record->md);
	ivxs_mem_add(&gCryptoMemory, -record->counted);
	free(record);
}

void xs_crypto_destructor(void *data)
{
	if (data)
		freeRecord(data);
}

/* The bytes of a string (UTF-8) or a buffer. Call last: the pointer is valid until JS runs. */
static void bytesOf(xsMachine *the, xsSlot *slot, const unsigned char **data, size_t *size)
{
	if (xsmcTypeOf(*slot) == xsStringType) {
		const char *text = xsmcToString(*slot);
		*data = (const unsigned char *)text;
		*size = strlen(text);
		return;
	}
	{   /* an ArrayBuffer, a byte view (Uint8Array, DataView) or a host buffer; else a TypeError */
		void *bytes;
		xsUnsignedValue length;
		xsmcGetBufferReadable(*slot, &bytes, &length);
		*data = bytes;
		*size = length;
	}
}

/* create(algorithm, key?) -> context: a digest, or an HMAC when a key is given. */
void xs_crypto_create(xsMachine *the)
{
	CryptoRecord *record;
	const mbedtls_md_info_t *info = NULL;
	const unsigned char *key = NULL;
	size_t keySize = 0;
	int hmac = xsmcArgc > 1 && xsmcTypeOf(xsArg(1)) != xsUndefinedType;
	int status;
	/* SHA-1 and MD5 only for what a protocol fixes them in: TURN's long-term credentials (RFC 8489 §9.2). */
	if (xsmcTypeOf(xsArg(0)) != xsStringType)
		ivxs_range_error(IVXS_EARG, "unsupported algorithm (SHA256, SHA1, MD5)");
	if (!strcmp(xsmcToString(xsArg(0)), "SHA256"))
		info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	else if (!strcmp(xsmcToString(xsArg(0)), "SHA1"))
		info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
	else if (!strcmp(xsmcToString(xsArg(0)), "MD5"))
		info = mbedtls_md_info_from_type(MBEDTLS_MD_MD5);
	else
		ivxs_range_error(IVXS_EARG, "unsupported algorithm (SHA256, SHA1, MD5)");
	record = calloc(1, sizeof(CryptoRecord));
	if (!record)
		ivxs_error(IVXS_ENOMEM, "no memory");
	mbedtls_md_init(&record->md);
	record->hmac = hmac;
	record->size = mbedtls_md_get_size(info);
	status = mbedtls_md_setup(&record->md, info, hmac);
	ivxs_mem_register(&gCryptoMemory);
	/* The record, the SHA-256 state and, for HMAC, the inner and outer pads. */
	record->counted = (int64_t)sizeof(CryptoRecord) + 112 + (hmac ? 2 * 64 : 0);
	ivxs_mem_add(&gCryptoMemory, record->counted);
	if (!status) {
		if (hmac) {
			xsTry {
				bytesOf(the, &xsArg(1), &key, &keySize);
			}
			xsCatch {
				freeRecord(record);
				xsThrow(xsException);
			}
			status = mbedtls_md_hmac_starts(&record->md, key, keySize);
		}
		else
			status = mbedtls_md_starts(&record->md);
	}
	if (status) {
		freeRecord(record);
		ivxs_error(IVXS_HOST_ECRYPTO, "mbedTLS could not start SHA-256");
	}
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostData(xsResult, record);
	xsSetHostHooks(xsResult, &gCryptoHooks);
}

/* update(context, data): data is a string (UTF-8) or a buffer. */
void xs_crypto_update(xsMachine *the)
{
	CryptoRecord *record = ivxs_handle_open(the, &xsArg(0), &gCryptoHooks, NULL, "crypto context");
	const unsigned char *data;
	size_t size;
	int status;
	bytesOf(the, &xsArg(1), &data, &size);
	if (!size)
		return;
	status = record->hmac ? mbedtls_md_hmac_update(&record->md, data, size) : mbedtls_md_update(&record->md, data, size);
	if (status)
		ivxs_error(IVXS_HOST_ECRYPTO, "mbedTLS update failed");
}

/* finish(context) -> ArrayBuffer (32 bytes; SHA-1 20, MD5 16); the context starts over. */
void xs_crypto_finish(xsMachine *the)
{
	CryptoRecord *record = ivxs_handle_open(the, &xsArg(0), &gCryptoHooks, NULL, "crypto context");
	unsigned char digest[32];
	int status;
	status = record->hmac ? mbedtls_md_hmac_finish(&record->md, digest) : mbedtls_md_finish(&record->md, digest);
	if (!status)
		status = record->hmac ? mbedtls_md_hmac_reset(&record->md) : mbedtls_md_starts(&record->md);
	if (status)
		ivxs_error(IVXS_HOST_ECRYPTO, "mbedTLS finish failed");
	xsmcSetArrayBuffer(xsResult, digest, record->size);
}

/* close(context): frees it; harmless twice. */
void xs_crypto_close(xsMachine *the)
{
	CryptoRecord *record = ivxs_handle_get(the, &xsArg(0), &gCryptoHooks, NULL, "crypto context");
	if (!record)
		return;
	xsmcSetHostData(xsArg(0), NULL);
	freeRecord(record);
}

/* ecdsaP256Verify(publicKey, digest, signature) -> boolean: an ECDSA P-256 signature (r || s,
 * 32 bytes each, big-endian: IEEE P1363) over a SHA-256 digest (32 bytes), checked against an
 * uncompressed public key (0x04 || X || Y, 65 bytes). OTA bundles and key rotations
 * (modules/ota/FORMAT.md). mbedTLS 2.28 has no Ed25519, hence P-256. Every argument is copied
 * into a private array before mbedTLS runs (conversions may run JS). */
void xs_crypto_ecdsa_p256_verify(xsMachine *the)
{
	unsigned char key[65], digest[32], signature[64];
	const struct { unsigned char *to; size_t size; const char *name; } args[3] = {
		{ key, sizeof(key), "public key (65 bytes)" }, { digest, sizeof(digest), "digest (32 bytes)" },
		{ signature, sizeof(signature), "signature (64 bytes)" },
	};
	mbedtls_ecp_group group;
	mbedtls_ecp_point point;
	mbedtls_mpi r, s;
	int i, status;
	for (i = 0; i < 3; i++) {
		void *bytes;
		xsUnsignedValue length;
		xsmcGetBufferReadable(xsArg(i), &bytes, &length);
		if (length != args[i].size)
			ivxs_range_error(IVXS_EARG, "%s", args[i].name);
		memcpy(args[i].to, bytes, length);
	}
	mbedtls_ecp_group_init(&group);
	mbedtls_ecp_point_init(&point);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	status = mbedtls_ecp_group_load(&group, MBEDTLS_ECP_DP_SECP256R1);
	if (!status)
		status = mbedtls_ecp_point_read_binary(&group, &point, key, sizeof(key));
	if (!status)
		status = mbedtls_ecp_check_pubkey(&group, &point);
	if (!status)
		status = mbedtls_mpi_read_binary(&r, signature, 32);
	if (!status)
		status = mbedtls_mpi_read_binary(&s, signature + 32, 32);
	if (!status)
		status = mbedtls_ecdsa_verify(&group, digest, sizeof(digest), &point, &r, &s);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	mbedtls_ecp_point_free(&point);
	mbedtls_ecp_group_free(&group);
	xsmcSetBoolean(xsResult, status == 0);
}
