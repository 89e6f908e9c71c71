// Signed requests (modules/net/signing.ts with ivxs/crypto) on the XS host against a verifier
// that tests/_net-servers.mjs wrote from cloud/PROTOCOL.md with node:crypto.
import test from "ava";
import * as crypto from "ivxs/crypto";
import { argv } from "ivxs/host";
import { utf8Encode } from "../../modules/net/bytes.js";
import { HttpClient } from "../../modules/net/http-client.js";
import { DeviceSigner } from "../../modules/net/signing.js";

interface Config { port: number; deviceId: string; secret: string }
const config = JSON.parse(argv()[1]) as Config;
const client = new HttpClient({ address: "127.0.0.1", port: config.port });
const signer = new DeviceSigner(config.deviceId, config.secret, crypto);
const result = (r: { json(): unknown }) => r.json() as { ok: boolean; reason?: string; streamed?: boolean; sha256?: string };

test("a signed PUT with a fixed body (bytes, a string, a scatter list) is accepted", async (t) => {
	for (const body of [utf8Encode("{\"a\":1}"), "grüße", [utf8Encode("ab"), utf8Encode("cd").subarray(1)]]) {
		const r = await signer.request(client, { method: "PUT", path: "/v1/devices/cam1/channels/0/snapshots?time=1700000000000", body });
		t.deepEqual([r.status, result(r).reason], [200, undefined]);
	}
	const get = await signer.request(client, { path: "/v1/devices/cam1/plan" });
	t.is(get.status, 200, result(get).reason);
});

test("a signed streamed body ends with the hash and trailer signature the cloud checks", async (t) => {
	const stream = signer.stream(client, { path: "/v1/devices/cam1/channels/0/streams/s1/segments/0" });
	const frame = new Uint8Array(20000).map((_, i) => i & 255);
	for (let k = 0; k < 10; k++) await stream.write([frame.subarray(0, 8), frame.subarray(8 + k)]);
	const r = await stream.end();
	t.is(r.status, 200, result(r).reason);
	t.true(result(r).streamed);
});

test("the verifier is not a pushover: a wrong key, a tampered path and a replay are refused", async (t) => {
	const other = new DeviceSigner(config.deviceId, "x".repeat(40), crypto);
	t.is(result(await other.request(client, { path: "/v1/devices/cam1/plan" })).reason, "bad signature");
	const { headers } = signer.sign("GET", "/v1/devices/cam1/plan", signer.bodyHash(""));
	t.is(result(await client.request({ path: "/v1/devices/cam1/other", headers })).reason, "bad signature");
	t.is(result(await client.request({ path: "/v1/devices/cam1/plan", headers })).ok, true);
	t.is(result(await client.request({ path: "/v1/devices/cam1/plan", headers })).reason, "replayed nonce");
});

test("a camera clock 1000 s off gets a 401 saying so, learns the cloud's time by the signed exchange, and is accepted", async (t) => {
	for (const skew of [-1000_000, 1000_000]) {
		const skewed = new DeviceSigner(config.deviceId, config.secret, crypto, { clock: () => Date.now() + skew });
		const first = await skewed.request(client, { path: "/v1/devices/cam1/plan" });
		t.is(first.status, 401);
		t.true(await skewed.followClockHint(client, first));
		t.true(Math.abs(skewed.clockOffsetMs + skew) < 2000, `offset ${skewed.clockOffsetMs} for a clock ${skew} ms off`);
		t.true(Math.abs(skewed.now() - Date.now()) < 2000);
		t.is((await skewed.request(client, { path: "/v1/devices/cam1/plan" })).status, 200);
	}
});

test("the MQTT password verifies", async (t) => {
	const password = signer.mqttPassword();
	t.regex(password, /^\d+:[0-9a-f]{32}:[0-9a-f]{64}$/);
	t.is((await client.request({ path: `/mqtt?password=${password}` })).status, 200);
	t.is((await client.request({ path: `/mqtt?password=${password.replace(/.$/, (c) => (c === "0" ? "1" : "0"))}` })).status, 401);
});

test("bad identities are refused", (t) => {
	t.throws(() => new DeviceSigner("Cam 1", config.secret, crypto), { instanceOf: TypeError });
	t.throws(() => new DeviceSigner("cam1", "short", crypto), { instanceOf: TypeError });
	client.close();
});
