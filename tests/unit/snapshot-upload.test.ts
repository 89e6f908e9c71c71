// The snapshot upload (modules/snapshot/upload.ts) against a fake HttpClient, under Node and on
// XS: the request of cloud/PROTOCOL.md §4, the JPEG view sent and hashed as it is, the one
// re-signed retry after a 401 saying the clock is off (once the signed time exchange set it), and
// the errors. The signatures themselves
// are checked against a verifier in tests/net/signing.test.ts; here the hashing is a stand-in.
import test from "ava";
import { utf8Encode } from "../../modules/net/bytes.js";
import { ConnectionResetError, NetError } from "../../modules/net/errors.js";
import type { HttpClient, HttpResponse, RequestOptions } from "../../modules/net/http-client.js";
import { DeviceSigner, type SigningCrypto } from "../../modules/net/signing.js";
import { SnapshotUploadError, uploadSnapshot } from "../../modules/snapshot/index.js";
import { cloudTimeAnswer } from "../../modules/protocol/index.js";

type Bytes = string | Uint8Array | ArrayBuffer;

/** Not a hash: 32 bytes from the lengths and a checksum of what was fed, and a record of it (to see no copy was made). */
const hashed: Bytes[] = [];
function fakeHash(data: Bytes | readonly Bytes[]): ArrayBuffer {
	const out = new Uint8Array(32);
	const list = Array.isArray(data) ? data : [data];
	let n = 0, sum = 0;
	for (const part of list as Bytes[]) {
		const bytes = typeof part === "string" ? Array.from(part, (c) => c.charCodeAt(0)) : new Uint8Array(part instanceof Uint8Array ? part.buffer : part, part instanceof Uint8Array ? part.byteOffset : 0, part.byteLength);
		for (let i = 0; i < bytes.length; i++) sum = (sum * 31 + bytes[i]) >>> 0;
		n += bytes.length;
	}
	out[0] = n & 255;
	out[1] = list.length;
	for (let i = 0; i < 4; i++) out[2 + i] = (sum >>> (8 * i)) & 255;
	return out.buffer;
}
const crypto: SigningCrypto = {
	hmacSha256: (_key, data) => fakeHash(data),
	Digest: class {
		#parts: Bytes[] = [];
		update(data: Bytes | readonly Bytes[]) {
			for (const part of (Array.isArray(data) ? data : [data]) as Bytes[]) {
				this.#parts.push(part);
				hashed.push(part);
			}
		}
		digest() { return fakeHash(this.#parts); }
		close() {}
	},
};

function response(status: number, body = "", headers: Record<string, string> = {}): HttpResponse {
	const bytes = utf8Encode(body);
	return { status, reason: "", headers, trailers: {}, body: bytes, text: () => body, json: () => JSON.parse(body) };
}

function setup(...answers: (HttpResponse | Error)[]) {
	const sent: RequestOptions[] = [];
	const client = {
		request(options: RequestOptions): Promise<HttpResponse> {
			sent.push(options);
			const answer = answers.shift();
			if (!answer) return Promise.reject(new Error("no answer left"));
			return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
		},
	} as unknown as HttpClient;
	let nonce = 0;
	const signer = new DeviceSigner("cam1", "0123456789abcdef0123456789abcdef", crypto, {
		clock: () => 1_767_225_600_000,
		nonce: () => (++nonce).toString(16).padStart(32, "0"),
	});
	return { client, signer, sent };
}

/** A minimal JPEG: SOI, a frame header, a scan, EOI (the cloud checks the markers). */
const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x02, 0xff, 0xda, 0x00, 0x02, 0x12, 0x34, 0xff, 0xd9]);
const TIME = 1_767_225_599_123;
const AUTH = /^IVXS-HMAC-SHA256 Device=cam1, Time=(\d+), Nonce=([0-9a-f]{32}), Signature=[0-9a-f]{64}$/;

test("PUT …/channels/{ch}/snapshots?time= with the JPEG view itself as the body, signed, image/jpeg", async (t) => {
	const { client, signer, sent } = setup(response(201, JSON.stringify({ time: "2025-12-31T23:59:59.123Z", bytes: jpeg.byteLength })));
	t.deepEqual(await uploadSnapshot(client, signer, 3, TIME, jpeg), { status: 201, bytes: 14 });
	t.is(sent.length, 1);
	const [request] = sent;
	t.is(request.method, "PUT");
	t.is(request.path, `/v1/devices/cam1/channels/3/snapshots?time=${TIME}`);
	t.is(request.body, jpeg, "the caller's view is sent, not a copy");
	t.true(hashed.includes(jpeg) && hashed.every((part) => part instanceof Uint8Array), "and hashed where it is");
	t.is(request.headers?.["Content-Type"], "image/jpeg");
	t.regex(request.headers?.Authorization ?? "", AUTH);
	t.regex(request.headers?.["X-Ivxs-Content-Sha256"] ?? "", /^[0-9a-f]{64}$/);
});

test("an ArrayBuffer is sent through a view of it; a 200 duplicate is success too", async (t) => {
	const { client, signer, sent } = setup(response(200, JSON.stringify({ duplicate: true })));
	const buffer = jpeg.slice().buffer;
	t.deepEqual(await uploadSnapshot(client, signer, 0, TIME, buffer), { status: 200, bytes: 14 });
	const body = sent[0].body as Uint8Array;
	t.true(body instanceof Uint8Array && body.buffer === buffer && body.byteOffset === 0 && body.byteLength === 14);
});

/** The cloud's signed answer to the time request made with the n-th nonce of setup(). */
const timeAnswer = (nonce: number, time: number) =>
	response(200, JSON.stringify(cloudTimeAnswer(crypto.hmacSha256, "", "cam1", nonce.toString(16).padStart(32, "0"), time)));

test("a 401 with X-Ivxs-Time: the signed time exchange sets the clock, and the upload is signed afresh, once", async (t) => {
	const refused = response(401, JSON.stringify({ error: "time skew" }), { "x-ivxs-time": "1767226600" });
	const { client, signer, sent } = setup(refused, timeAnswer(2, 1_767_226_600_000), response(201, "{}"));
	t.deepEqual(await uploadSnapshot(client, signer, 1, TIME, jpeg), { status: 201, bytes: 14 });
	t.is(sent.length, 3);
	t.is(sent[1].path, "/v1/devices/cam1/time");
	const [first, , second] = sent.map((r) => AUTH.exec(r.headers?.Authorization ?? "") ?? []);
	t.is(first[1], "1767225600");
	t.is(second[1], "1767226600", "signed with the cloud's time");
	t.not(first[2], second[2], "with a new nonce");
	t.is(sent[2].body, jpeg);

	const twice = setup(refused, timeAnswer(2, 1_767_226_600_000), refused, response(201, "{}"));
	const error = await t.throwsAsync(uploadSnapshot(twice.client, twice.signer, 1, TIME, jpeg), { instanceOf: SnapshotUploadError });
	t.is(twice.sent.length, 3, "one retry only");
	t.is((error as SnapshotUploadError).status, 401);
	t.is(error?.message, "snapshot of channel 1 refused: 401 time skew");

	const noTime = setup(response(401, JSON.stringify({ error: "bad signature" })), response(201, "{}"));
	await t.throwsAsync(uploadSnapshot(noTime.client, noTime.signer, 1, TIME, jpeg), { instanceOf: SnapshotUploadError, message: /401 bad signature/ });
	t.is(noTime.sent.length, 1, "no retry without the cloud's time");

	// The header alone moves nothing: an answer to the time request not signed over its nonce is refused.
	const forged = setup(refused, timeAnswer(7, 1_767_226_600_000), response(201, "{}"));
	await t.throwsAsync(uploadSnapshot(forged.client, forged.signer, 1, TIME, jpeg), { instanceOf: SnapshotUploadError, message: /401 time skew/ });
	t.is(forged.sent.length, 2, "no retry when the clock could not be set");
	t.is(forged.signer.clockOffsetMs, 0);
});

test("a refusal is a SnapshotUploadError with the cloud's message; network errors propagate as they are", async (t) => {
	const bad = setup(response(400, JSON.stringify({ error: "not a JPEG: must start with FF D8" })));
	const error = await t.throwsAsync(uploadSnapshot(bad.client, bad.signer, 2, TIME, jpeg.subarray(2)), { instanceOf: SnapshotUploadError });
	t.is(error?.message, "snapshot of channel 2 refused: 400 not a JPEG: must start with FF D8");
	t.is((error as SnapshotUploadError).cloudError, "not a JPEG: must start with FF D8");

	const large = setup(response(413, JSON.stringify({ error: "snapshot larger than 2097152 bytes" })));
	await t.throwsAsync(uploadSnapshot(large.client, large.signer, 0, TIME, jpeg), { message: /413 snapshot larger than/ });

	const proxy = setup(response(502, "<html>Bad Gateway</html>"));
	const gateway = await t.throwsAsync(uploadSnapshot(proxy.client, proxy.signer, 0, TIME, jpeg), { instanceOf: SnapshotUploadError });
	t.is(gateway?.message, "snapshot of channel 0 refused: 502");

	const reset = new ConnectionResetError("cloud: connection reset by the peer");
	const net = setup(reset);
	const thrown = await t.throwsAsync(uploadSnapshot(net.client, net.signer, 0, TIME, jpeg), { is: reset });
	t.true(thrown instanceof NetError);
});

test("the channel and the time are checked before anything is sent", async (t) => {
	const { client, signer, sent } = setup();
	for (const [channel, time] of [[-1, TIME], [1.5, TIME], [0, TIME + 0.5], [0, NaN], [0, -1]])
		await t.throwsAsync(uploadSnapshot(client, signer, channel, time, jpeg), { instanceOf: RangeError }, `${channel} ${time}`);
	t.is(sent.length, 0);
});
