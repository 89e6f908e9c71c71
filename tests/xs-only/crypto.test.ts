// ivxs/crypto (SHA-256 and HMAC-SHA256 in C on mbedTLS; HMAC-SHA1 and MD5 for TURN) through XS:
// the FIPS 180-2, RFC 4231, RFC 2202 and RFC 1321 vectors, incremental and scatter-list input, views of ring frames, wrong use.
import test from "ava";
import { Digest, HMAC, hmacSha1, hmacSha256, md5, sha256 } from "ivxs/crypto";
import { collectGarbage, memory, nowMicroseconds } from "ivxs/host";
import { Codec, FrameType, Ring, RingReader } from "ring";
import { toHex } from "../../modules/net/bytes.js";

const fill = (length: number, value: number) => new Uint8Array(length).fill(value);

test("SHA-256: the FIPS 180-2 vectors", (t) => {
	t.is(toHex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	t.is(toHex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	t.is(toHex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	t.is(toHex(sha256(fill(1_000_000, 0x61))), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
});

test("HMAC-SHA256: the RFC 4231 test cases 1–4, 6 and 7", (t) => {
	const key4 = new Uint8Array(25).map((_, i) => i + 1);
	const cases: [string | Uint8Array, string | Uint8Array, string][] = [
		[fill(20, 0x0b), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
		["Jefe", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"],
		[fill(20, 0xaa), fill(50, 0xdd), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"],
		[key4, fill(50, 0xcd), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"],
		[fill(131, 0xaa), "Test Using Larger Than Block-Size Key - Hash Key First", "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"],
		[fill(131, 0xaa), "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
			"9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"],
	];
	for (const [key, data, expected] of cases) t.is(toHex(hmacSha256(key, data)), expected);
});

test("HMAC-SHA1 and MD5 (TURN's long-term credentials): RFC 2202 cases 1–3 and RFC 1321's suite", (t) => {
	t.is(toHex(hmacSha1(fill(20, 0x0b), "Hi There")), "b617318655057264e28bc0b6fb378c8ef146be00");
	t.is(toHex(hmacSha1("Jefe", "what do ya want for nothing?")), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
	t.is(toHex(hmacSha1(fill(20, 0xaa), fill(50, 0xdd))), "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
	t.is(toHex(md5("")), "d41d8cd98f00b204e9800998ecf8427e");
	t.is(toHex(md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
	t.is(toHex(md5("12345678901234567890123456789012345678901234567890123456789012345678901234567890")), "57edf4a22be3c955ac49da2e2107b67a");
});

test("incremental updates, scatter lists, subarrays and strings hash like one buffer", (t) => {
	const text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	const whole = toHex(sha256(text));
	const bytes = new Uint8Array(text.length).map((_, i) => text.charCodeAt(i));
	const digest = new Digest();
	for (let i = 0; i < bytes.length; i += 7) digest.update(bytes.subarray(i, i + 7));
	t.is(toHex(digest.digest()), whole);
	t.is(toHex(digest.update([bytes.subarray(0, 10), "", text.slice(10, 30), new DataView(bytes.buffer, 30)]).digest()), whole, "reused after digest()");
	const utf8 = new Uint8Array([0x67, 0x72, 0xc3, 0xbc, 0xc3, 0x9f, 0x65, 0x20, 0xf0, 0x9f, 0x98, 0x80]);
	t.is(toHex(sha256("grüße 😀")), toHex(sha256(utf8)), "strings are hashed as UTF-8");
	digest.close();
	digest.close();
	t.throws(() => digest.update("x"), { message: /closed/ });
	const hmac = new HMAC("Jefe");
	hmac.update("what do ya ").update(["want for ", "nothing?"]);
	t.is(toHex(hmac.digest()), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	hmac.update("what do ya want for nothing?");
	t.is(toHex(hmac.digest()), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", "the key is kept across digests");
	hmac.close();
});

test("views of ring frames (host buffers) are hashed in place", (t) => {
	const ring = new Ring({ arenaBytes: 64 * 1024 });
	const payload = new Uint8Array(5000).map((_, i) => (i * 13) & 255);
	payload.set([0, 0, 0, 1, 0x65]);
	ring.push(FrameType.video, Codec.h264, true, 0, payload);
	const reader = new RingReader(ring, { at: "live" });
	const frame = reader.read()!;
	t.is(toHex(sha256([frame.data.subarray(0, 100), frame.data.subarray(100)])), toHex(sha256(payload)));
	reader.close();
	ring.close();
});

test("wrong use: an unknown algorithm, data that is not bytes, no key", (t) => {
	t.throws(() => new Digest("SHA512" as any), { instanceOf: RangeError });
	t.throws(() => sha256(42 as any), { instanceOf: TypeError });
	t.throws(() => sha256({} as any), { instanceOf: TypeError });
	t.throws(() => sha256(new Uint16Array(2) as any), { instanceOf: TypeError });
	t.throws(() => new HMAC(undefined as any), { instanceOf: TypeError });
	t.throws(() => new HMAC({} as any), { instanceOf: TypeError });
});

test("speed and memory: SHA-256 of 4 MiB in C, and what a context holds", (t) => {
	const data = fill(4 * 1024 * 1024, 7);
	const allocated = memory().allocated;
	const start = nowMicroseconds();
	sha256(data);
	const us = nowMicroseconds() - start;
	// The hash runs in C over the bytes where they are: the XS heap takes nothing per byte. (Its
	// speed is a benchmark's to judge, not a test's clock on a loaded machine.)
	const used = memory().allocated - allocated;
	t.log(`SHA-256 on XS through ivxs/crypto: ${(data.length / us).toFixed(0)} MB/s (4 MiB in ${(us / 1000).toFixed(1)} ms), ${used} B of XS heap`);
	t.true(used < 16 * 1024, `${used} bytes of XS heap for 4 MiB (65,536 blocks)`);
	collectGarbage();
	const before = memory().native.crypto?.bytes ?? 0;
	const hmac = new HMAC("key");
	t.true(memory().native.crypto.bytes > before, "the context is counted in the host's memory report");
	hmac.close();
	t.is(memory().native.crypto.bytes, before);
});
