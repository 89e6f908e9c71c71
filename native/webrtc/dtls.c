/*
 * DTLS-SRTP over Mbed TLS (dtls.h), for the three lines the project meets: 2.28 (Debian 12: the
 * Linux host), 3.6 (Debian 13: tests/mbedtls3.test.mjs) and 4.0 with TF-PSA-Crypto 1.0 (ESP-IDF 6:
 * the board). What they name differently is behind the LINE_* tests below; hashing and the
 * identity's key go through PSA, which all three have (2.28's PSA cannot hand a key to pk: there
 * the key is made by the legacy ecp module).
 */
#include "dtls.h"

#include <string.h>

#include "ivxs_bytes.h"
#include "mbedtls/platform_util.h"
#include "mbedtls/version.h"
#include "mbedtls/x509_crt.h"
#include "psa/crypto.h"

#define LINE_3 (MBEDTLS_VERSION_NUMBER >= 0x03000000)    /* private fields, *_ret gone, export-keys callback on the context */
#define LINE_36 (MBEDTLS_VERSION_NUMBER >= 0x03060000)   /* mbedtls_pk_copy_from_psa */
#define LINE_4 (MBEDTLS_VERSION_NUMBER >= 0x04000000)    /* no RNG arguments: randomness is PSA's */
#if !LINE_36
#include "mbedtls/ecp.h"
#endif


/* DTLS record and handshake headers (RFC 6347 §4.1, §4.2.2). */
#define RECORD 13
#define HANDSHAKE 12

#define SECRET_BYTES 48
/* A field mbedTLS 3 made private (MBEDTLS_PRIVATE): read where no accessor exists. */
#if LINE_3
#define SSL_FIELD(ssl, f) ((ssl).MBEDTLS_PRIVATE(f))
#else
#define SSL_FIELD(ssl, f) ((ssl).f)
#endif
#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp"

static const int kSuites[] = { MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 0 };
/* The key exchange's curves, ours first (mbedTLS's server takes its own order; its default starts
 * at secp521r1): P-256, then X25519. On mbedTLS 3.6 (ESP-IDF 5's) P-256's half of the exchange is
 * a multiple of the generator, from the precomputed table its signatures use: the camera's side of
 * a handshake is 49 M instructions with P-256, 58 M with X25519 (-m32, callgrind); on Debian's 2.28
 * the two are within 1 % (native/webrtc/README.md "Boards"). Browsers offer both. */
#if LINE_3
static const uint16_t kGroups[] = { MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1, MBEDTLS_SSL_IANA_TLS_GROUP_X25519, MBEDTLS_SSL_IANA_TLS_GROUP_NONE };
#else
static const mbedtls_ecp_group_id kGroups[] = { MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_NONE };
#endif
static const mbedtls_ssl_srtp_profile kProfiles[] = { MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_80, MBEDTLS_TLS_SRTP_UNSET };

/* A certificate's fingerprint: SHA-256 through PSA, the hash API every Mbed TLS line has. 0 or nonzero. */
static int sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
	size_t length = 0;
	return psa_crypto_init() != PSA_SUCCESS || psa_hash_compute(PSA_ALG_SHA_256, data, len, out, 32, &length) != PSA_SUCCESS
		|| length != 32;
}

/* DER written at the end of `buf` by mbedTLS, moved to its start; *len in: the size, out: the length. */
static int toFront(uint8_t *buf, size_t *len, int written)
{
	if (written == MBEDTLS_ERR_ASN1_BUF_TOO_SMALL)
		return IVXS_WEBRTC_EMTU;
	if (written <= 0)
		return IVXS_WEBRTC_ECRYPTO;
	memmove(buf, buf + *len - (size_t)written, (size_t)written);
	*len = (size_t)written;
	return 0;
}

/* A P-256 private key from the caller's randomness, into `key`. 0 or nonzero. */
static int newKey(mbedtls_pk_context *key, ivxs_dtls_random random, void *ctx)
{
#if LINE_36
	/* 32 random bytes are a P-256 scalar unless 0 or at least the group order (a chance of 2^-32):
	 * PSA refuses those, and the next draw is taken */
	psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t id = 0;
	uint8_t d[32];
	int tries, failed = psa_crypto_init() != PSA_SUCCESS;
	psa_set_key_type(&attributes, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
	psa_set_key_bits(&attributes, 256);
	psa_set_key_algorithm(&attributes, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
	psa_set_key_usage_flags(&attributes, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_EXPORT);
	for (tries = 0; !failed && !id && tries < 4; tries++)
		failed = random(ctx, d, sizeof(d)) != 0 || (psa_import_key(&attributes, d, sizeof(d), &id) != PSA_SUCCESS && (id = 0, 0));
	failed = failed || !id || mbedtls_pk_copy_from_psa(id, key) != 0;
	psa_destroy_key(id);
	psa_reset_key_attributes(&attributes);
	mbedtls_platform_zeroize(d, sizeof(d));
	return failed;
#else
	return mbedtls_pk_setup(key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))
		|| mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*key), random, ctx);
#endif
}

int ivxs_dtls_identity_create(ivxs_dtls_random random, void *ctx, uint8_t *keyDer, size_t *keyLen, uint8_t *certDer, size_t *certLen)
{
	mbedtls_pk_context key;
	mbedtls_x509write_cert crt;
	uint8_t serial[8];
	int status = IVXS_WEBRTC_ECRYPTO;
#if !LINE_3
	mbedtls_mpi serialMpi;
	mbedtls_mpi_init(&serialMpi);
#endif
	mbedtls_pk_init(&key);
	mbedtls_x509write_crt_init(&crt);
	if (newKey(&key, random, ctx) || random(ctx, serial, sizeof(serial)))
		goto done;
	serial[0] &= 0x7f;   /* a positive serial number */
	mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&crt, &key);
	mbedtls_x509write_crt_set_issuer_key(&crt, &key);
	if (mbedtls_x509write_crt_set_subject_name(&crt, "CN=ivxs") || mbedtls_x509write_crt_set_issuer_name(&crt, "CN=ivxs")
			|| mbedtls_x509write_crt_set_validity(&crt, "20200101000000", "20491231235959"))
		goto done;
#if LINE_3
	if (mbedtls_x509write_crt_set_serial_raw(&crt, serial, sizeof(serial)))
		goto done;
#else
	if (mbedtls_mpi_read_binary(&serialMpi, serial, sizeof(serial)) || mbedtls_x509write_crt_set_serial(&crt, &serialMpi))
		goto done;
#endif
#if LINE_4
	status = toFront(certDer, certLen, mbedtls_x509write_crt_der(&crt, certDer, *certLen));
#else
	status = toFront(certDer, certLen, mbedtls_x509write_crt_der(&crt, certDer, *certLen, random, ctx));
#endif
	if (status)
		goto done;
	status = toFront(keyDer, keyLen, mbedtls_pk_write_key_der(&key, keyDer, *keyLen));
done:
#if !LINE_3
	mbedtls_mpi_free(&serialMpi);
#endif
	mbedtls_x509write_crt_free(&crt);
	mbedtls_pk_free(&key);
	return status;
}

int ivxs_dtls_identity_load(ivxs_dtls_identity *id, const uint8_t *keyDer, size_t keyLen, const uint8_t *certDer, size_t certLen)
{
	int failed;
	mbedtls_pk_init(&id->key);
	mbedtls_x509_crt_init(&id->cert);
#if LINE_3 && !LINE_4
	failed = mbedtls_pk_parse_key(&id->key, keyDer, keyLen, NULL, 0, NULL, NULL) != 0;   /* an EC key needs no RNG to parse */
#else
	failed = mbedtls_pk_parse_key(&id->key, keyDer, keyLen, NULL, 0) != 0;
#endif
	failed = failed || mbedtls_x509_crt_parse_der(&id->cert, certDer, certLen) != 0
#if LINE_4
		/* the library's own ECDSA: deterministic (RFC 6979) when the build has it, which is the parsed
		 * key's whole policy — randomized ECDSA is then refused */
		|| !mbedtls_pk_can_do_psa(&id->key, MBEDTLS_PK_ALG_ECDSA(PSA_ALG_SHA_256), PSA_KEY_USAGE_SIGN_HASH)
#else
		|| !mbedtls_pk_can_do(&id->key, MBEDTLS_PK_ECDSA)
#endif
		|| sha256(id->cert.raw.p, id->cert.raw.len, id->fingerprint) != 0;
	if (failed) {
		ivxs_dtls_identity_free(id);
		return IVXS_WEBRTC_ECRYPTO;
	}
	return 0;
}

void ivxs_dtls_identity_free(ivxs_dtls_identity *id)
{
	mbedtls_x509_crt_free(&id->cert);
	mbedtls_pk_free(&id->key);
}

/* ---- the session's I/O and clock, as mbedTLS asks for them ---- */

static int bioSend(void *ctx, const unsigned char *buf, size_t len)
{
	ivxs_dtls *d = ctx;
	return d->send(d->sendCtx, buf, len) ? MBEDTLS_ERR_SSL_WANT_WRITE : (int)len;
}

static int bioRecv(void *ctx, unsigned char *buf, size_t len)
{
	ivxs_dtls *d = ctx;
	size_t n = d->inLen;
	if (!d->in)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (n > len)
		n = len;   /* (mbedTLS's buffer holds any datagram: a longer one would be cut and fail its MAC) */
	memcpy(buf, d->in, n);
	d->in = NULL;
	return (int)n;
}

static void setTimer(void *ctx, uint32_t intMs, uint32_t finMs)
{
	ivxs_dtls *d = ctx;
	d->timerStart = d->now;
	d->timerInt = intMs;
	d->timerFin = finMs;
}

static int getTimer(void *ctx)
{
	const ivxs_dtls *d = ctx;
	uint64_t elapsed = d->now - d->timerStart;
	if (!d->timerFin)
		return -1;
	return elapsed >= d->timerFin ? 2 : elapsed >= d->timerInt ? 1 : 0;
}

/* The peer's certificate, leaf only: its SHA-256 must be the SDP's (self-signed, no CA to check).
 * Remembered here, during the handshake: a build without MBEDTLS_SSL_KEEP_PEER_CERTIFICATE (ESP-IDF's
 * default) has no peer certificate to look at once it is over. */
static int verify(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	ivxs_dtls *d = ctx;
	uint8_t fp[IVXS_DTLS_FINGERPRINT_BYTES];
	if (depth > 0)
		return 0;
	d->peerVerified = 0;
	if (sha256(crt->raw.p, crt->raw.len, fp) || memcmp(fp, d->remote, sizeof(fp))) {
		d->failure = IVXS_WEBRTC_EAUTH;
		return MBEDTLS_ERR_X509_CERT_VERIFY_FAILED;
	}
	d->peerVerified = 1;
	*flags = 0;
	return 0;
}

/* The master secret and both randoms, kept for the exporter (RFC 5705) once the keys are made. */
#if LINE_3
static void keepSecret(void *ctx, mbedtls_ssl_key_export_type type, const unsigned char *secret, size_t secretLen,
		const unsigned char clientRandom[32], const unsigned char serverRandom[32], mbedtls_tls_prf_types prf)
{
	ivxs_dtls *d = ctx;
	if (type != MBEDTLS_SSL_KEY_EXPORT_TLS12_MASTER_SECRET || secretLen != SECRET_BYTES)
		return;
#else
static int keepSecret(void *ctx, const unsigned char *secret, const unsigned char *keyBlock, size_t macLen, size_t keyLen, size_t ivLen,
		const unsigned char clientRandom[32], const unsigned char serverRandom[32], mbedtls_tls_prf_types prf)
{
	ivxs_dtls *d = ctx;
	(void)keyBlock, (void)macLen, (void)keyLen, (void)ivLen;
#endif
	memcpy(d->secret, secret, SECRET_BYTES);
	memcpy(d->secret + SECRET_BYTES, clientRandom, 32);
	memcpy(d->secret + SECRET_BYTES + 32, serverRandom, 32);
	d->prf = prf;
	d->haveSecret = 1;
#if !LINE_3
	return 0;
#endif
}

int ivxs_dtls_setup(ivxs_dtls *d, ivxs_dtls_handshake *hs, const ivxs_dtls_identity *id, int role, const uint8_t remoteFingerprint[IVXS_DTLS_FINGERPRINT_BYTES],
		ivxs_dtls_random random, void *randomCtx, int (*send)(void *ctx, const uint8_t *datagram, size_t len), void *sendCtx, uint64_t nowMs)
{
	int failed;
	memset(d, 0, sizeof(*d));
	memset(hs, 0, sizeof(*hs));
	d->hs = hs;
	mbedtls_ssl_init(&hs->ssl);
	mbedtls_ssl_config_init(&hs->conf);
	d->role = role;
	d->send = send;
	d->sendCtx = sendCtx;
	d->now = nowMs;
	memcpy(d->remote, remoteFingerprint, sizeof(d->remote));
	failed = mbedtls_ssl_config_defaults(&hs->conf, role == IVXS_DTLS_SERVER ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
			MBEDTLS_SSL_TRANSPORT_DATAGRAM, MBEDTLS_SSL_PRESET_DEFAULT) != 0;
	if (!failed) {
#if LINE_4
		(void)random, (void)randomCtx;   /* the handshake draws from PSA's RNG (the board's hardware one) */
#else
		mbedtls_ssl_conf_rng(&hs->conf, random, randomCtx);
#endif
#if LINE_3
		mbedtls_ssl_conf_min_tls_version(&hs->conf, MBEDTLS_SSL_VERSION_TLS1_2);   /* DTLS 1.2 */
		mbedtls_ssl_conf_groups(&hs->conf, kGroups);
#else
		mbedtls_ssl_conf_min_version(&hs->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);   /* DTLS 1.2 */
		mbedtls_ssl_conf_curves(&hs->conf, kGroups);
#endif
		mbedtls_ssl_conf_ciphersuites(&hs->conf, kSuites);
		/* the fingerprint is the trust: no CA; OPTIONAL so a missing chain is no error, the callback and the
		 * check after the handshake refuse a wrong or missing certificate (the server asks for one) */
		mbedtls_ssl_conf_authmode(&hs->conf, MBEDTLS_SSL_VERIFY_OPTIONAL);
		mbedtls_ssl_conf_verify(&hs->conf, verify, d);
		mbedtls_ssl_conf_handshake_timeout(&hs->conf, 400, 6400);
		/* no HelloVerifyRequest: ICE's checks (STUN with the session's credentials) proved the
		 * path before any DTLS, the cookie round trip would only delay the first frame */
		mbedtls_ssl_conf_dtls_cookies(&hs->conf, NULL, NULL, NULL);
		failed = mbedtls_ssl_conf_own_cert(&hs->conf, (mbedtls_x509_crt *)&id->cert, (mbedtls_pk_context *)&id->key) != 0
			|| mbedtls_ssl_conf_dtls_srtp_protection_profiles(&hs->conf, kProfiles) != 0;
		mbedtls_ssl_conf_srtp_mki_value_supported(&hs->conf, MBEDTLS_SSL_DTLS_SRTP_MKI_UNSUPPORTED);
#if !LINE_3
		mbedtls_ssl_conf_export_keys_ext_cb(&hs->conf, keepSecret, d);
#endif
	}
	failed = failed || mbedtls_ssl_setup(&hs->ssl, &hs->conf) != 0;
	if (failed) {
		ivxs_dtls_free(d);
		return IVXS_WEBRTC_ECRYPTO;
	}
#if LINE_3
	mbedtls_ssl_set_export_keys_cb(&hs->ssl, keepSecret, d);
#endif
	mbedtls_ssl_set_bio(&hs->ssl, d, bioSend, bioRecv, NULL);
	mbedtls_ssl_set_timer_cb(&hs->ssl, d, setTimer, getTimer);
	mbedtls_ssl_set_mtu(&hs->ssl, IVXS_DTLS_MTU);
	return role == IVXS_DTLS_CLIENT ? (ivxs_dtls_tick(d, nowMs) < 0 ? d->failure : 0) : 0;
}

/* ---- settled: application data in records of our own ---- */

#define GCM_EXPLICIT 8   /* the nonce's explicit part, carried in the record: the record's epoch and sequence number */
#define GCM_TAG 16
#define KEY_BLOCK (2 * 16 + 2 * 4)   /* AES-128-GCM: no MAC keys; client and server write keys, then their 4-byte salts */

/* ---- AES-128-GCM of the settled records (dtls.h: PSA's, or 2.28's legacy module) ---- */

static int gcmKey(ivxs_dtls_gcm *g, const uint8_t key[16])
{
#if IVXS_PSA_KEYS
	psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
	psa_status_t status = psa_crypto_init();
	*g = 0;
	psa_set_key_type(&attributes, PSA_KEY_TYPE_AES);
	psa_set_key_bits(&attributes, 128);
	psa_set_key_algorithm(&attributes, PSA_ALG_GCM);
	psa_set_key_usage_flags(&attributes, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT);
	if (status == PSA_SUCCESS)
		status = psa_import_key(&attributes, key, 16, g);
	psa_reset_key_attributes(&attributes);
	return status != PSA_SUCCESS;
#else
	mbedtls_gcm_init(g);
	return mbedtls_gcm_setkey(g, MBEDTLS_CIPHER_ID_AES, key, 128) != 0;
#endif
}

static void gcmFree(ivxs_dtls_gcm *g)
{
#if IVXS_PSA_KEYS
	psa_destroy_key(*g);
	*g = 0;
#else
	mbedtls_gcm_free(g);
#endif
}

/* `len` bytes of `plain` sealed into `out`: the ciphertext, then the tag. 0 or nonzero. */
static int gcmSeal(ivxs_dtls_gcm *g, const uint8_t nonce[12], const uint8_t aad[13], const uint8_t *plain, size_t len, uint8_t *out)
{
#if IVXS_PSA_KEYS
	size_t written = 0;
	return psa_aead_encrypt(*g, PSA_ALG_GCM, nonce, 12, aad, 13, plain, len, out, len + GCM_TAG, &written) != PSA_SUCCESS
		|| written != len + GCM_TAG;
#else
	return mbedtls_gcm_crypt_and_tag(g, MBEDTLS_GCM_ENCRYPT, len, nonce, 12, aad, 13, plain, out, GCM_TAG, out + len) != 0;
#endif
}

/* `len` bytes of ciphertext followed by the tag, opened into `plain`: 0, or nonzero (forged, damaged). */
static int gcmOpen(ivxs_dtls_gcm *g, const uint8_t nonce[12], const uint8_t aad[13], const uint8_t *sealed, size_t len, uint8_t *plain)
{
#if IVXS_PSA_KEYS
	size_t written = 0;
	return psa_aead_decrypt(*g, PSA_ALG_GCM, nonce, 12, aad, 13, sealed, len + GCM_TAG, plain, len, &written) != PSA_SUCCESS
		|| written != len;
#else
	return mbedtls_gcm_auth_decrypt(g, len, nonce, 12, aad, 13, sealed + len, GCM_TAG, sealed, plain) != 0;
#endif
}

int ivxs_dtls_settle(ivxs_dtls *d)
{
	uint8_t block[KEY_BLOCK], random[64];
	int server = d->role == IVXS_DTLS_SERVER, failed;
	const unsigned char *ctr;
	if (d->settled || d->failure || d->state != IVXS_DTLS_CONNECTED || !d->hs)
		return d->failure;
	/* TLS 1.2's key expansion (RFC 5246 §6.3): PRF(master secret, "key expansion", server random + client random) */
	memcpy(random, d->secret + SECRET_BYTES + 32, 32);
	memcpy(random + 32, d->secret + SECRET_BYTES, 32);
	failed = !d->haveSecret || mbedtls_ssl_tls_prf(d->prf, d->secret, SECRET_BYTES, "key expansion", random, sizeof(random), block, sizeof(block));
	failed = gcmKey(&d->seal, block + (server ? 16 : 0)) || failed;   /* both made, for both to be freed */
	failed = gcmKey(&d->open, block + (server ? 0 : 16)) || failed;
	memcpy(d->sealSalt, block + 32 + (server ? 4 : 0), 4);
	memcpy(d->openSalt, block + 32 + (server ? 0 : 4), 4);
	memset(block, 0, sizeof(block));
	/* the sequence numbers go on from mbedTLS's: ours after the last it sent, the replay window it kept */
	ctr = SSL_FIELD(d->hs->ssl, cur_out_ctr);
	d->sealSeq = ivxs_get48(ctr + 2);
	if (failed || ctr[0] != 0 || ctr[1] != 1) {   /* (epoch 1: a first handshake's, the only one this core does) */
		gcmFree(&d->seal);
		gcmFree(&d->open);
		d->failure = IVXS_WEBRTC_ECRYPTO;
		return d->failure;
	}
#if defined(MBEDTLS_SSL_DTLS_ANTI_REPLAY)
	d->openTop = SSL_FIELD(d->hs->ssl, in_window_top);
	d->openSeen = SSL_FIELD(d->hs->ssl, in_window);
#endif
	mbedtls_ssl_free(&d->hs->ssl);
	mbedtls_ssl_config_free(&d->hs->conf);
	d->hs = NULL;   /* the caller's again */
	d->settled = 1;
	return 0;
}

/* A record's 12-byte nonce — the salt, then the explicit part the record carries — and its 13-byte
 * additional data — its epoch and sequence number, type, version and plaintext length (RFC 5288 §3,
 * RFC 6347 §4.1.2.1). `header`: the record's first 11 bytes. */
static void gcmInputs(const uint8_t salt[4], const uint8_t explicitNonce[GCM_EXPLICIT], const uint8_t *header, size_t plainLen, uint8_t nonce[12], uint8_t aad[13])
{
	memcpy(nonce, salt, 4);
	memcpy(nonce + 4, explicitNonce, GCM_EXPLICIT);
	memcpy(aad, header + 3, 8);
	aad[8] = header[0], aad[9] = header[1], aad[10] = header[2];
	ivxs_put16(aad + 11, (uint32_t)plainLen);
}

/* One record of `type` out: header, explicit nonce, ciphertext, tag. */
static int sealRecord(ivxs_dtls *d, uint8_t type, const uint8_t *data, size_t len)
{
	uint8_t out[RECORD + GCM_EXPLICIT + IVXS_DTLS_MAX_WRITE + GCM_TAG], nonce[12], aad[13];
	size_t body = GCM_EXPLICIT + len + GCM_TAG;
	if (d->sealSeq >= ((uint64_t)1 << 48) - 1)
		return IVXS_WEBRTC_ECLOSED;   /* (2^48 records: never, at a DataChannel's rate) */
	out[0] = type, out[1] = 0xfe, out[2] = 0xfd;   /* DTLS 1.2 */
	out[3] = 0, out[4] = 1;                        /* epoch 1 */
	ivxs_put48(out + 5, d->sealSeq);
	ivxs_put16(out + 11, (uint32_t)body);
	memcpy(out + RECORD, out + 3, GCM_EXPLICIT);   /* the explicit nonce: the record's epoch and number, as mbedTLS's */
	gcmInputs(d->sealSalt, out + RECORD, out, len, nonce, aad);
	if (gcmSeal(&d->seal, nonce, aad, data, len, out + RECORD + GCM_EXPLICIT))
		return IVXS_WEBRTC_ECRYPTO;
	d->sealSeq++;   /* used, sent or not: a nonce is never used twice */
	return d->send(d->sendCtx, out, RECORD + body) ? IVXS_WEBRTC_EFULL : 0;
}

/* Every record of a datagram from the peer, settled: application data to `data`, the peer's
 * close_notify ends the session, another alert fails it. A record that does not open — forged,
 * damaged, replayed, another epoch (a handshake message resent: the peer's, which it no longer
 * needs answered) — is dropped, as mbedTLS drops it; so is the rest of a datagram cut short. */
static int openRecords(ivxs_dtls *d, const uint8_t *datagram, size_t len)
{
	size_t at = 0;
	while (!d->failure && d->state == IVXS_DTLS_CONNECTED && at + RECORD <= len) {
		const uint8_t *rec = datagram + at;
		size_t body = ivxs_get16(rec + 11), plainLen;
		uint64_t seq = ivxs_get48(rec + 5), bit = d->openTop - seq;
		uint8_t nonce[12], aad[13], alert[2], type = rec[0];
		uint8_t *plain = type == 21 ? alert : d->plain;   /* an alert is two bytes; application data goes to the caller's buffer */
		size_t cap = type == 21 ? sizeof(alert) : d->plainCap;
		if (at + RECORD + body > len)
			break;
		at += RECORD + body;
		if ((type != 23 && type != 21) || rec[3] != 0 || rec[4] != 1 || body < GCM_EXPLICIT + GCM_TAG
				|| !plain || body - GCM_EXPLICIT - GCM_TAG > cap)
			continue;
		if (seq <= d->openTop && (bit >= 64 || (d->openSeen >> bit & 1)))
			continue;   /* replayed, or older than the window */
		plainLen = body - GCM_EXPLICIT - GCM_TAG;
		gcmInputs(d->openSalt, rec + RECORD, rec, plainLen, nonce, aad);
		if (gcmOpen(&d->open, nonce, aad, rec + RECORD + GCM_EXPLICIT, plainLen, plain))
			continue;   /* forged or damaged */
		if (seq > d->openTop) {
			d->openSeen = seq - d->openTop >= 64 ? 1 : d->openSeen << (seq - d->openTop) | 1;
			d->openTop = seq;
		}
		else
			d->openSeen |= (uint64_t)1 << bit;
		if (type == 21) {
			if (plainLen == 2 && alert[1] == 0)
				d->state = IVXS_DTLS_CLOSED;   /* close_notify: the viewer left, not a failure */
			else {
				d->tlsError = MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE;
				d->failure = IVXS_WEBRTC_ECRYPTO;
			}
		}
		else if (d->data && plainLen)
			d->data(d->dataCtx, plain, plainLen);
	}
	return d->failure ? d->failure : d->state;
}

/* Once connected: every record of the datagram — application data to `data`, a close_notify ends
 * the session, other alerts fail it. A datagram holds a few records at most; the loop's bound is
 * a second guard. */
static int readData(ivxs_dtls *d)
{
	int r, records, read = 0;
	for (records = 0; records < 64; records++) {
		r = mbedtls_ssl_read(&d->hs->ssl, d->hs->hello, sizeof(d->hs->hello));
		if (r > 0) {
			read = 1;
			if (d->data)
				d->data(d->dataCtx, d->hs->hello, (size_t)r);
			continue;
		}
		if (r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
			d->state = IVXS_DTLS_CLOSED;   /* the viewer left: not a failure */
		else if (r < 0 && r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE) {
			d->tlsError = r;
			d->failure = IVXS_WEBRTC_ECRYPTO;
		}
		break;
	}
	if (read && !d->failure && d->state == IVXS_DTLS_CONNECTED)
		(void)ivxs_dtls_settle(d);   /* the peer's application data: it has finished (a failure shows below) */
	return d->failure ? d->failure : d->state;
}

void ivxs_dtls_on_data(ivxs_dtls *d, void (*data)(void *ctx, const uint8_t *plaintext, size_t len), void *ctx,
		uint8_t *buffer, size_t cap)
{
	d->data = data;
	d->dataCtx = ctx;
	d->plain = buffer;
	d->plainCap = buffer ? cap : 0;
}

int ivxs_dtls_write(ivxs_dtls *d, const uint8_t *data, size_t len)
{
	int r;
	if (d->failure || d->state != IVXS_DTLS_CONNECTED)
		return IVXS_WEBRTC_ECLOSED;
	if (len > IVXS_DTLS_MAX_WRITE)
		return IVXS_WEBRTC_EMTU;
	if (d->settled)
		return sealRecord(d, 23, data, len);
	if (!d->hs)
		return IVXS_WEBRTC_ECLOSED;   /* freed */
	r = mbedtls_ssl_write(&d->hs->ssl, data, len);
	if (r == (int)len)
		return 0;
	if (r == MBEDTLS_ERR_SSL_WANT_WRITE)
		return IVXS_WEBRTC_EFULL;   /* mbedTLS keeps the record and sends it before the next */
	d->tlsError = r < 0 ? r : 0;
	return IVXS_WEBRTC_ECRYPTO;
}

/* One step of the handshake with what arrived (or the time that passed). */
static int step(ivxs_dtls *d)
{
	mbedtls_dtls_srtp_info srtp;
	int r;
	if (d->failure)
		return d->failure;
	if (d->state == IVXS_DTLS_CLOSED)
		return d->state;
	if (d->state == IVXS_DTLS_CONNECTED)
		return readData(d);
	r = mbedtls_ssl_handshake(&d->hs->ssl);
	if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
		return d->state;
	if (r) {
		d->tlsError = r;
		if (!d->failure)
			d->failure = IVXS_WEBRTC_ECRYPTO;
		return d->failure;
	}
	/* done: the peer showed the certificate its SDP named (verify), and both chose SRTP_AES128_CM_HMAC_SHA1_80 */
	mbedtls_ssl_get_dtls_srtp_negotiation_result(&d->hs->ssl, &srtp);
	if (!d->peerVerified)
		d->failure = IVXS_WEBRTC_EAUTH;
	else if (SSL_FIELD(srtp, chosen_dtls_srtp_profile) != MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_80 || !d->haveSecret)
		d->failure = IVXS_WEBRTC_ECRYPTO;
	else {
		d->state = IVXS_DTLS_CONNECTED;
		return readData(d);   /* the datagram may carry application data after the Finished */
	}
	return d->failure;
}


/*
 * The server's first datagrams: only a whole ClientHello reaches mbedTLS until it has taken one.
 * Its ClientHello parser reads the record layer itself and ends the handshake on anything else —
 * a datagram shorter than a record, a record cut short (MBEDTLS_ERR_SSL_INTERNAL_ERROR: seen from
 * Chromium), another message or epoch — so one stray datagram on the viewer's path would end the
 * session: those are dropped here. A ClientHello in fragments (OpenSSL's 256-byte records,
 * Chromium's two datagrams since its hello outgrew one) is put back together into one record
 * (the first fragment's record header, one fragment of the whole message). Returns what to give
 * mbedTLS (the datagram, its ClientHello record alone, or hs->hello), or NULL: nothing for it yet.
 * Fragments must come in order (OpenSSL and Chromium send them so; a retransmission starts again).
 */
static const uint8_t *wholeHello(ivxs_dtls *d, const uint8_t *datagram, size_t *len)
{
	size_t at = 0;
	if (d->role != IVXS_DTLS_SERVER || d->hs->helloTaken || d->state != IVXS_DTLS_HANDSHAKING)
		return datagram;   /* (connected: `hello` holds application data read, never a ClientHello again) */
	while (at + RECORD + HANDSHAKE <= *len) {
		const uint8_t *rec = datagram + at, *hs = rec + RECORD;
		size_t recLen = ivxs_get16(rec + 11);
		uint32_t msgLen = ivxs_get24(hs + 1), offset = ivxs_get24(hs + 6), fragLen = ivxs_get24(hs + 9);
		if (rec[0] != 22 || rec[3] || rec[4] || hs[0] != 1 || recLen < HANDSHAKE + fragLen || at + RECORD + recLen > *len
				|| msgLen > IVXS_DTLS_MAX_HELLO || offset + fragLen > msgLen)
			return NULL;   /* not an epoch-0 ClientHello (or a fragment of one) whole in this datagram */
		if (offset == 0 && fragLen == msgLen) {
			*len = RECORD + recLen;
			return rec;    /* whole already: that record alone */
		}
		if (offset == 0) {     /* a (re)start: the first fragment's headers become the record's */
			memcpy(d->hs->hello, rec, RECORD + HANDSHAKE);
			d->hs->helloLen = (uint16_t)msgLen;
			d->hs->helloHave = 0;
		}
		if (d->hs->helloLen && offset == d->hs->helloHave && msgLen == d->hs->helloLen) {
			memcpy(d->hs->hello + RECORD + HANDSHAKE + offset, hs + HANDSHAKE, fragLen);
			d->hs->helloHave = (uint16_t)(offset + fragLen);
		}
		at += RECORD + recLen;
	}
	if (!d->hs->helloLen || d->hs->helloHave < d->hs->helloLen)
		return NULL;
	d->hs->hello[11] = (uint8_t)((HANDSHAKE + d->hs->helloLen) >> 8);
	d->hs->hello[12] = (uint8_t)(HANDSHAKE + d->hs->helloLen);
	ivxs_put24(d->hs->hello + RECORD + 6, 0);              /* fragment offset */
	ivxs_put24(d->hs->hello + RECORD + 9, d->hs->helloLen);    /* fragment length: all of it */
	*len = RECORD + HANDSHAKE + d->hs->helloLen;
	return d->hs->hello;
}

int ivxs_dtls_input(ivxs_dtls *d, const uint8_t *datagram, size_t len, uint64_t nowMs)
{
	int r;
	d->now = nowMs;
	if (d->settled)
		return openRecords(d, datagram, len);
	if (!d->hs)
		return IVXS_WEBRTC_ECLOSED;   /* freed */
	if (!d->failure && !(datagram = wholeHello(d, datagram, &len)))
		return d->state;   /* part of a ClientHello: the rest is to come */
	d->in = datagram;
	d->inLen = len;
	r = step(d);
	d->in = NULL;   /* never kept past the call */
	if (d->role == IVXS_DTLS_SERVER && r >= 0 && d->hs)   /* (no longer lent once it settled) */
		d->hs->helloTaken = 1;   /* mbedTLS took a ClientHello: what follows is its to judge */
	return r;
}

int ivxs_dtls_tick(ivxs_dtls *d, uint64_t nowMs)
{
	d->now = nowMs;
	if (d->settled)
		return d->failure ? d->failure : d->state;
	if (!d->hs)
		return IVXS_WEBRTC_ECLOSED;   /* freed */
	return step(d);
}

uint64_t ivxs_dtls_deadline(const ivxs_dtls *d)
{
	if (d->state == IVXS_DTLS_CONNECTED || d->failure || !d->timerFin)
		return 0;
	return d->timerStart + d->timerInt;
}

int ivxs_dtls_srtp_keys(ivxs_dtls *d, uint8_t localKey[IVXS_SRTP_KEY_BYTES], uint8_t localSalt[IVXS_SRTP_SALT_BYTES],
		uint8_t remoteKey[IVXS_SRTP_KEY_BYTES], uint8_t remoteSalt[IVXS_SRTP_SALT_BYTES])
{
	/* client write key, server write key, client salt, server salt (RFC 5764 §4.2) */
	uint8_t km[2 * (IVXS_SRTP_KEY_BYTES + IVXS_SRTP_SALT_BYTES)];
	const uint8_t *clientKey = km, *serverKey = km + IVXS_SRTP_KEY_BYTES, *clientSalt = km + 2 * IVXS_SRTP_KEY_BYTES,
		*serverSalt = clientSalt + IVXS_SRTP_SALT_BYTES;
	int server = d->role == IVXS_DTLS_SERVER;
	if (d->state != IVXS_DTLS_CONNECTED
			|| mbedtls_ssl_tls_prf(d->prf, d->secret, SECRET_BYTES, EXPORTER_LABEL, d->secret + SECRET_BYTES, 64, km, sizeof(km)))
		return IVXS_WEBRTC_ECRYPTO;
	memcpy(localKey, server ? serverKey : clientKey, IVXS_SRTP_KEY_BYTES);
	memcpy(localSalt, server ? serverSalt : clientSalt, IVXS_SRTP_SALT_BYTES);
	memcpy(remoteKey, server ? clientKey : serverKey, IVXS_SRTP_KEY_BYTES);
	memcpy(remoteSalt, server ? clientSalt : serverSalt, IVXS_SRTP_SALT_BYTES);
	memset(km, 0, sizeof(km));
	return 0;
}

int ivxs_dtls_tls_error(const ivxs_dtls *d)
{
	return d->tlsError;
}

void ivxs_dtls_free(ivxs_dtls *d)
{
	if (d->settled) {
		gcmFree(&d->seal);
		gcmFree(&d->open);
		d->settled = 0;
	}
	if (d->hs) {   /* (settled: already freed, and given back) */
		mbedtls_ssl_free(&d->hs->ssl);
		mbedtls_ssl_config_free(&d->hs->conf);
		d->hs = NULL;
	}
	memset(d->secret, 0, sizeof(d->secret));
}
