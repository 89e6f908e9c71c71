// Device request signatures (PROTOCOL.md §2), over real HTTP against a cloud:
// a probe route that authenticates, reads the body and stores it only when
// the body (or its trailers) verified.
import test from "ava";
import { request } from "node:http";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { stringToSign } from "../../build/node/cloud/src/auth/device-auth.js";
import { readHashed } from "../../build/node/cloud/src/ingest/body.js";
import { sendJson } from "../../build/node/cloud/src/http/router.js";
import { signRequest, signingKey, sha256Hex, streamTrailers, streamingHeaders, STREAMING } from "../../build/node/cloud/sim/sign.js";

/** A cloud with a probe route; `stored` collects the bodies it accepted. */
async function probeCloud(t) {
	const cloud = await cloudFor(t);
	const stored = [];
	// Checked by its access rule before the handler runs (authenticateDevice, through the router).
	cloud.ctx.router.add("PUT", "/v1/devices/:id/probe", { auth: "device", device: "id" }, async (req, res, _params, _url, auth) => {
		const { body, sha256 } = await readHashed(req, 1 << 20);
		auth.verifyTrailers(sha256);
		stored.push(body.toString());
		sendJson(res, 201, { device: auth.device.id });
	});
	return { cloud, stored, device: await deviceIn(cloud) };
}

/** Sends a request; `chunks` given → streamed (chunked) with `trailers`. */
function send(cloud, path, { headers = {}, body, chunks, trailers, method = "PUT" } = {}) {
	return new Promise((resolve, reject) => {
		const req = request(`${cloud.url}${path}`, { method, headers }, (res) => {
			let text = "";
			res.on("data", (c) => (text += c));
			res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, json: text ? JSON.parse(text) : undefined }));
		});
		req.on("error", reject);
		if (chunks) {
			for (const chunk of chunks) req.write(chunk);
			if (trailers) req.addTrailers(trailers);
			req.end();
		}
		else req.end(body);
	});
}

const signed = (device, path, body, extra = {}) => signRequest({ device: device.id, key: device.secret, method: "PUT", path, body, ...extra });

test("the worked example of PROTOCOL.md §2 (computed with openssl) is what the signer and the cloud compute", (t) => {
	const secret = "0123456789abcdef0123456789abcdef";
	const key = signingKey(secret);
	t.is(key.toString("hex"), "05f693c57a6708ed060b780a32eb6b8d01831c164b6442cec9b1eca31196c534");
	const path = "/v1/devices/cam1/channels/0/streams/s1/segments/0";
	const nonce = "00112233445566778899aabbccddeeff";
	t.is(stringToSign("PUT", path, "1767225600", nonce, STREAMING), `IVXS-HMAC-SHA256\nPUT\n${path}\n1767225600\n${nonce}\nSTREAMING`);
	const s = signRequest({ device: "cam1", key: secret, method: "PUT", path, body: STREAMING, time: 1767225600, nonce });
	t.is(s.signature, "2da3f3a1d020fb1044b4880c0720b532ebc9289ece8ca32a7dcd012252618e01");
	t.is(s.headers.authorization, `IVXS-HMAC-SHA256 Device=cam1, Time=1767225600, Nonce=${nonce}, Signature=${s.signature}`);
	t.deepEqual(streamTrailers(key, s.signature, sha256Hex("hello")), {
		"X-Ivxs-Content-Sha256": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
		"X-Ivxs-Trailer-Signature": "4a09aa3b4478f64b391edbad094969a603e96d857477951150c66fb0a34c4ca0",
	});
});

test("a signed request with its body is accepted; the same request again is a replay", async (t) => {
	const { cloud, stored, device } = await probeCloud(t);
	const path = `/v1/devices/${device.id}/probe?x=1`;
	const s = signed(device, path, "hello");
	const ok = await send(cloud, path, { headers: s.headers, body: "hello" });
	t.is(ok.status, 201);
	const replay = await send(cloud, path, { headers: s.headers, body: "hello" });
	t.is(replay.status, 401);
	t.regex(replay.json.error, /nonce already used/);
	t.deepEqual(stored, ["hello"]);
});

test("stale, wrong-key, wrong-body, wrong-query and unsigned requests are refused and store nothing", async (t) => {
	const { cloud, stored, device } = await probeCloud(t);
	const path = `/v1/devices/${device.id}/probe`;
	const now = Math.floor(Date.now() / 1000);
	const stale = await send(cloud, path, { headers: signed(device, path, "a", { time: now - 301 }).headers, body: "a" });
	t.is(stale.status, 401);
	t.regex(stale.json.error, /more than 300 s/);
	t.true(Math.abs(Number(stale.headers["x-ivxs-time"]) - now) <= 2);
	t.is((await send(cloud, path, { headers: signed(device, path, "a", { time: now + 299 }).headers, body: "a" })).status, 201);
	const wrongKey = signRequest({ device: device.id, key: "x".repeat(32), method: "PUT", path, body: "a" });
	t.regex((await send(cloud, path, { headers: wrongKey.headers, body: "a" })).json.error, /signature does not match/);
	const wrongBody = await send(cloud, path, { headers: signed(device, path, "a").headers, body: "b" });
	t.is(wrongBody.status, 401);
	t.regex(wrongBody.json.error, /body does not match/);
	t.is((await send(cloud, `${path}?more=1`, { headers: signed(device, path, "a").headers, body: "a" })).status, 401);
	t.is((await send(cloud, path, { headers: { ...signed(device, path, "a").headers, authorization: "Bearer x" }, body: "a" })).status, 401);
	t.is((await send(cloud, path, { body: "a" })).status, 401);
	t.deepEqual(stored, ["a"]);
	t.regex(await (await fetch(`${cloud.url}/metrics`)).text(), /ivxs_device_auth_refused_total\{reason="stale"\} 1/);
});

test("a device signing for another device's path is 403; an unknown device is 401", async (t) => {
	const { cloud, stored, device } = await probeCloud(t);
	const other = await deviceIn(cloud);
	const path = `/v1/devices/${other.id}/probe`;
	const res = await send(cloud, path, { headers: signed(device, path, "a").headers, body: "a" });
	t.is(res.status, 403);
	t.regex(res.json.error, /may not act for device/);
	const ghost = signRequest({ device: "ghost", key: "y".repeat(32), method: "PUT", path: "/v1/devices/ghost/probe", body: "a" });
	t.is((await send(cloud, "/v1/devices/ghost/probe", { headers: ghost.headers, body: "a" })).status, 401);
	t.deepEqual(stored, []);
});

test("a streamed body is stored only with valid trailers", async (t) => {
	const { cloud, stored, device } = await probeCloud(t);
	const path = `/v1/devices/${device.id}/probe`;
	const chunks = ["stream", "ed ", "body"];
	const hash = sha256Hex(chunks.join(""));
	const stream = (trailersOf) => {
		const s = signed(device, path, STREAMING);
		return send(cloud, path, { headers: { ...s.headers, ...streamingHeaders }, chunks, trailers: trailersOf(s) });
	};
	t.is((await stream(() => undefined)).status, 401);
	t.is((await stream((s) => streamTrailers(s.key, s.signature, sha256Hex("other")))).status, 401);
	const badSignature = await stream((s) => ({ ...streamTrailers(s.key, s.signature, hash), "X-Ivxs-Trailer-Signature": "0".repeat(64) }));
	t.is(badSignature.status, 401);
	t.regex(badSignature.json.error, /Trailer-Signature does not match/);
	t.deepEqual(stored, []);
	t.is((await stream((s) => streamTrailers(s.key, s.signature, hash))).status, 201);
	t.deepEqual(stored, ["streamed body"]);
	// STREAMING without chunked encoding has no trailers to verify.
	const s = signed(device, path, STREAMING);
	t.is((await send(cloud, path, { headers: s.headers, body: "x" })).status, 400);
});

test("a nonce spent on one instance is refused by another sharing the metadata", async (t) => {
	const { cloud, device } = await probeCloud(t);
	const second = await cloudFor(t, { dataDir: cloud.dataDir });
	second.ctx.router.add("PUT", "/v1/devices/:id/probe", { auth: "device", device: "id" }, async (req, res, _params, _url, auth) => {
		auth.verifyTrailers((await readHashed(req, 1024)).sha256);
		sendJson(res, 201, {});
	});
	const path = `/v1/devices/${device.id}/probe`;
	const s = signed(device, path, "z");
	t.is((await send(cloud, path, { headers: s.headers, body: "z" })).status, 201);
	t.is((await send(second, path, { headers: s.headers, body: "z" })).status, 401);
});

test("the time exchange (§2.1): a signature at any time gets the cloud's clock signed over its nonce; nothing else does", async (t) => {
	const { cloud, device } = await probeCloud(t);
	const other = await deviceIn(cloud);
	const { cloudTimeAnswer } = await import("../../tests/_protocol-oracle.mjs");
	const path = `/v1/devices/${device.id}/time`;
	const get = (headers, to = path) => send(cloud, to, { method: "GET", headers });
	for (const skewS of [-86_400 * 365, -3600, 0, 3600, 86_400 * 365]) {
		const s = signRequest({ device: device.id, key: device.secret, method: "GET", path, time: Math.floor(Date.now() / 1000) + skewS });
		const before = Date.now();
		const answer = await get(s.headers);
		t.is(answer.status, 200, `a clock ${skewS} s off`);
		t.is(answer.headers["cache-control"], "no-store");
		t.true(answer.json.time >= before && answer.json.time <= Date.now());
		const nonce = /Nonce=([0-9a-f]+)/.exec(s.headers.authorization)[1];
		t.deepEqual(answer.json, cloudTimeAnswer(device.secret, device.id, nonce, answer.json.time), "signed with K_sign over the request's nonce (the oracle's)");
		// A replayed request spends nothing and gets a fresh answer over the same, old nonce: the camera waits for none such.
		t.is((await get(s.headers)).status, 200);
	}
	t.is((await get({})).status, 401, "unsigned");
	t.is((await get(signRequest({ device: device.id, key: "x".repeat(32), method: "GET", path }).headers)).status, 401, "another key");
	t.is((await get(signRequest({ device: device.id, key: device.secret, method: "GET", path, body: "a" }).headers)).status, 401, "a body hash that is not the empty body's");
	const otherPath = `/v1/devices/${other.id}/time`;
	t.is((await get(signRequest({ device: device.id, key: device.secret, method: "GET", path: otherPath }).headers, otherPath)).status, 403, "another device's clock");
	// The waiver is the time route's alone: the same stale time elsewhere is still refused.
	const probe = `/v1/devices/${device.id}/probe`;
	t.is((await send(cloud, probe, { headers: signed(device, probe, "a", { time: Math.floor(Date.now() / 1000) - 3600 }).headers, body: "a" })).status, 401);
});
