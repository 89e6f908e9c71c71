// modules/protocol (with node:crypto, as the cloud and the simulator use it) against the tests'
// oracle written from cloud/PROTOCOL.md and native/p2p/PROTOCOL.md, and against the pages' own
// test vectors. The camera signs with the same package on XS (tests/net/signing.test.ts checks it
// against the oracle through tests/_net-servers.mjs).
import test from "ava";
import * as protocol from "../build/node/modules/protocol/index.js";
import { hmacSha256 } from "../build/node/cloud/src/auth/device-keys.js";
import * as oracle from "./_protocol-oracle.mjs";

const secret = "0123456789abcdef0123456789abcdef";
const hex = (bytes) => Buffer.from(bytes).toString("hex");

test("K_sign is PROTOCOL.md §2's worked example", (t) => {
	t.is(hex(protocol.signingKey(hmacSha256, secret)), "05f693c57a6708ed060b780a32eb6b8d01831c164b6442cec9b1eca31196c534");
	t.is(hex(protocol.signingKey(hmacSha256, secret)), hex(oracle.kSign(secret)));
});

test("signatures and trailer signatures agree with the oracle and the worked example", (t) => {
	const key = protocol.signingKey(hmacSha256, secret);
	const cases = [
		["PUT", "/v1/devices/cam1/channels/0/streams/s1/segments/0", 1767225600, "00112233445566778899aabbccddeeff", protocol.STREAMING],
		["PUT", "/v1/devices/cam1/channels/0/streams/s1/init?epoch=1767225600000", 1700000000, "0123456789abcdef", protocol.EMPTY_SHA256],
		["POST", "/v1/devices/cam-2_x/channels/3/streams/A-b_9/end", 1, "f".repeat(64), protocol.EMPTY_SHA256],
		["GET", "/v1/devices/cam1/plan?a=%20b&c", 99999999999, "abcdef0123456789", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"],
	];
	for (const [method, path, time, nonce, bodyHash] of cases) {
		const signed = protocol.signRequest(hmacSha256, key, { device: "cam1", method, path, time, nonce, bodyHash });
		t.is(signed.signature, oracle.signature(secret, method, path, time, nonce, bodyHash), path);
		t.deepEqual(oracle.parseAuthorization(signed.authorization), { device: "cam1", time: String(time), nonce, signature: signed.signature });
		t.deepEqual(protocol.parseAuthorization(signed.authorization), oracle.parseAuthorization(signed.authorization));
		t.is(protocol.trailerSignature(hmacSha256, key, signed.signature, bodyHash), oracle.trailerSignature(secret, signed.signature, bodyHash));
	}
	const [method, path, time, nonce, bodyHash] = cases[0];
	const worked = protocol.signRequest(hmacSha256, key, { device: "cam1", method, path, time, nonce, bodyHash });
	t.is(worked.signature, "2da3f3a1d020fb1044b4880c0720b532ebc9289ece8ca32a7dcd012252618e01");
	t.is(protocol.trailerSignature(hmacSha256, key, worked.signature, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
		"4a09aa3b4478f64b391edbad094969a603e96d857477951150c66fb0a34c4ca0");
});

test("the MQTT password is PROTOCOL.md §5's test vector and the oracle's", (t) => {
	const key = protocol.signingKey(hmacSha256, secret);
	const password = protocol.mqttPassword(hmacSha256, key, "cam1", 1700000000, "00112233445566778899aabbccddeeff");
	t.is(password, "1700000000:00112233445566778899aabbccddeeff:65a669fee2394c6a5a7f2924af18d910fc333dff33837b66803db0f03d4fb6b3");
	t.is(password, oracle.mqttPassword(secret, "cam1", 1700000000, "00112233445566778899aabbccddeeff"));
	t.is(Buffer.byteLength(protocol.mqttToSign("cam1", 1700000000, "00112233445566778899aabbccddeeff")), 53);
	t.true(oracle.mqttPasswordValid(secret, "cam1", password, 1700000100));
	t.false(oracle.mqttPasswordValid(secret, "cam2", password, 1700000100));
});

test("the cloud's time answer is PROTOCOL.md §2.1's test vector and the oracle's; only it verifies", (t) => {
	const key = protocol.signingKey(hmacSha256, secret);
	const nonce = "00112233445566778899aabbccddeeff";
	const answer = protocol.cloudTimeAnswer(hmacSha256, key, "cam1", nonce, 1767225600000);
	t.deepEqual(answer, { time: 1767225600000, signature: "958c73000f8cda9f27484fe803db588baea71e26d0339105e8fd5793a19a0852" });
	t.deepEqual(answer, oracle.cloudTimeAnswer(secret, "cam1", nonce, 1767225600000));
	t.is(protocol.verifiedCloudTime(hmacSha256, key, "cam1", nonce, answer), 1767225600000);
	for (const [device, n, body] of [
		["cam1", "f".repeat(32), answer],   // an answer to another request (a replay)
		["cam2", nonce, answer],   // for another device
		["cam1", nonce, { ...answer, time: answer.time + 600_000 }],   // its time moved
		["cam1", nonce, oracle.cloudTimeAnswer("x".repeat(32), "cam1", nonce, answer.time)],   // another key
		["cam1", nonce, { time: String(answer.time), signature: answer.signature }],
		["cam1", nonce, null],
	]) t.is(protocol.verifiedCloudTime(hmacSha256, key, device, n, body), undefined, JSON.stringify([device, n, body]));
});

test("a minted P2P ticket and its psk are the documented derivation's", (t) => {
	for (const [rights, expiry, device, viewer] of [[1, 1767225600, "CAM-0001", "viewer-7"], [15, 2 ** 40 + 5, "0123456789abcdef", ""], [0, 0, "", "v"]]) {
		const minted = protocol.mintTicket(hmacSha256, secret, { rights, expiryS: expiry, device, viewer });
		const want = oracle.mintTicket(secret, device, viewer, rights, expiry);
		t.is(minted.ticket.length, protocol.TICKET_BYTES);
		t.is(hex(minted.ticket), hex(want.ticket));
		t.is(hex(minted.psk), hex(want.psk));
	}
	const bytes = Buffer.from("bench-secret-32-bytes-long......");
	t.is(hex(protocol.mintTicket(hmacSha256, bytes, { rights: 9, expiryS: 5, device: "d", viewer: "v" }).ticket), hex(oracle.mintTicket(bytes, "d", "v", 9, 5).ticket));
});
