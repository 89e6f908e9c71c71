/* ivxs_md_stream.c with a software SHA-256 compression (FIPS 180-4 §6.2.2) in place of a chip's engine: the
 * standard's test vectors, then random pieces of a message against the message taken whole.
 * Prints "ok". */
#include "../ivxs_md_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};
static const uint32_t IV[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static int gFirsts;

static void softBlocks(void *ctx, uint32_t state[8], int first, const uint8_t *data, size_t count)
{
	(void)ctx;
	if (first) {
		memcpy(state, IV, sizeof(IV));
		gFirsts++;
	}
	for (; count; count--, data += 64) {
		uint32_t w[64], v[8], t1, t2;
		int i;
		for (i = 0; i < 16; i++)
			w[i] = (uint32_t)data[4 * i] << 24 | (uint32_t)data[4 * i + 1] << 16 | (uint32_t)data[4 * i + 2] << 8 | data[4 * i + 3];
		for (; i < 64; i++)
			w[i] = (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10)) + w[i - 7] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 16];
		memcpy(v, state, sizeof(v));
		for (i = 0; i < 64; i++) {
			t1 = v[7] + (ROR(v[4], 6) ^ ROR(v[4], 11) ^ ROR(v[4], 25)) + ((v[4] & v[5]) ^ (~v[4] & v[6])) + K[i] + w[i];
			t2 = (ROR(v[0], 2) ^ ROR(v[0], 13) ^ ROR(v[0], 22)) + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
			memmove(v + 1, v, 7 * sizeof(uint32_t));
			v[4] += t1;
			v[0] = t1 + t2;
		}
		for (i = 0; i < 8; i++)
			state[i] += v[i];
	}
}

static void softOutput(void *ctx, const uint32_t state[8], uint8_t digest[32])
{
	(void)ctx;
	for (int i = 0; i < 32; i++)
		digest[i] = (uint8_t)(state[i / 4] >> (24 - 8 * (i % 4)));
}

static const ivxs_md_engine kSoft = { softBlocks, softOutput, NULL };

static void hex(const uint8_t digest[32], char text[65])
{
	for (int i = 0; i < 32; i++)
		sprintf(text + 2 * i, "%02x", digest[i]);
}

static int fails;

static void expect(const char *what, const uint8_t digest[32], const char *wanted)
{
	char text[65];
	hex(digest, text);
	if (strcmp(text, wanted)) {
		printf("%s: %s, wanted %s\n", what, text, wanted);
		fails++;
	}
}

static void whole(const void *data, size_t length, uint8_t digest[32])
{
	ivxs_md_stream h;
	ivxs_md_init(&h);
	ivxs_md_update(&h, data, length, &kSoft);
	ivxs_md_final(&h, digest, &kSoft);
}

/* HMAC-SHA-256 of `data` under `key` through ivxs_hmac, the message in two pieces. */
static void hmac(const void *key, size_t keyLength, const void *data, size_t length, uint8_t mac[32])
{
	ivxs_hmac k;
	ivxs_md_stream m;
	ivxs_hmac_key(&k, key, keyLength, &kSoft);
	ivxs_hmac_start(&k, &m);
	ivxs_md_update(&m, data, length / 2, &kSoft);
	ivxs_md_update(&m, (const uint8_t *)data + length / 2, length - length / 2, &kSoft);
	ivxs_hmac_final(&k, &m, 32, mac, &kSoft);
}

int main(void)
{
	static uint8_t message[20000];
	uint8_t digest[32], reference[32];
	ivxs_md_stream h;
	size_t i, at;
	int round;

	whole("", 0, digest);
	expect("empty", digest, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	whole("abc", 3, digest);
	expect("abc", digest, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	whole("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, digest);   /* padding in a block of its own */
	expect("448 bits", digest, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(message, 'a', 1000);
	ivxs_md_init(&h);
	for (i = 0; i < 1000; i++)
		ivxs_md_update(&h, message, 1000, &kSoft);
	ivxs_md_final(&h, digest, &kSoft);
	expect("a million a", digest, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

	/* HMAC (RFC 4231's test cases 1, 2 and 4: keys of one block at most) */
	{
		uint8_t key[25], data[50];
		memset(key, 0x0b, 20);
		hmac(key, 20, "Hi There", 8, digest);
		expect("HMAC case 1", digest, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
		hmac("Jefe", 4, "what do ya want for nothing?", 28, digest);
		expect("HMAC case 2", digest, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
		for (i = 0; i < 25; i++)
			key[i] = (uint8_t)(i + 1);
		memset(data, 0xcd, sizeof(data));
		hmac(key, 25, data, sizeof(data), digest);
		expect("HMAC case 4", digest, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
	}

	/* a message in random pieces (empty ones too), at every alignment, against it whole */
	srand(54);
	for (i = 0; i < sizeof(message); i++)
		message[i] = (uint8_t)rand();
	for (round = 0; round < 300; round++) {
		size_t length = (size_t)rand() % sizeof(message);
		whole(message, length, reference);
		gFirsts = 0;
		ivxs_md_init(&h);
		for (at = 0; at < length;) {
			size_t piece = (size_t)rand() % (round % 3 ? 200 : 2000);
			if (piece > length - at)
				piece = length - at;
			ivxs_md_update(&h, message + at, piece, &kSoft);
			at += piece;
		}
		ivxs_md_final(&h, digest, &kSoft);
		if (memcmp(digest, reference, 32) || gFirsts != 1) {
			printf("round %d: %zu bytes in pieces differ from whole (%d first blocks)\n", round, length, gFirsts);
			fails++;
		}
		/* final started over: the same context hashes the next message from the start */
		ivxs_md_update(&h, "abc", 3, &kSoft);
		ivxs_md_final(&h, digest, &kSoft);
		expect("abc after a final", digest, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	}
	if (fails)
		return 1;
	printf("ok\n");
	return 0;
}
