import test from "ava";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, serveCloud } from "./_serve.mjs";
import { connectDevice } from "./_mqtt.mjs";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { Camera } from "../../build/node/cloud/sim/camera.js";

function dataDir(t) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-ops-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	return dir;
}

// A PUT whose body is sent in two halves, so the request is in flight while the test signals the process.
function slowPut(url, path, token, body) {
	const req = request(`${url}${path}`, { method: "PUT", headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) } });
	const response = new Promise((resolve, reject) => {
		req.once("response", (res) => {
			let text = "";
			res.on("data", (chunk) => (text += chunk));
			res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
		});
		req.once("error", reject);
	});
	req.write(body.slice(0, 10));
	return { req, response, rest: () => req.end(body.slice(10)) };
}

function prepare(t) {
	const data = dataDir(t);
	const device = JSON.parse(execFileSync(process.execPath, [cli, "device", "add", "cam-g", "--data", data], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
	execFileSync(process.execPath, [cli, "user", "add", "ops", "--admin", "--password", "ops-password", "--data", data], { stdio: "ignore" });
	const token = execFileSync(process.execPath, [cli, "token", "add", "ops", "--data", data], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
	return { data, device, token };
}

test("SIGTERM: stops accepting, lets an upload in flight finish, closes the broker, exits 0", async (t) => {
	const { data, device, token } = prepare(t);
	const cloud = await serveCloud(t, ["--data", data], { IVXS_CLOUD_SHUTDOWN_GRACE_S: "10" });
	const camera = await connectDevice(cloud.url.replace("http", "mqtt"), device);
	const cameraClosed = new Promise((resolve) => camera.once("close", resolve));
	t.teardown(() => camera.end(true));
	const put = slowPut(cloud.url, "/v1/devices/cam-g/plan", token, JSON.stringify({ mode: "event", retentionDays: 3 }));
	await new Promise((resolve) => setTimeout(resolve, 200));
	const signalled = Date.now();
	cloud.child.kill("SIGTERM");
	await new Promise((resolve) => setTimeout(resolve, 300));
	// No new connections once stopping…
	await t.throwsAsync(fetch(`${cloud.url}/healthz`));
	// …but the request in flight completes.
	put.rest();
	const answer = await put.response;
	t.is(answer.status, 200);
	t.like(JSON.parse(answer.body), { rev: 1, mode: "event", retentionDays: 3 });
	t.is(answer.headers.connection, "close");
	t.deepEqual(await cloud.exited, { code: 0, signal: null });
	t.true(Date.now() - signalled < 5000, "exits as soon as the upload is done, not at the end of the grace period");
	await cameraClosed;
	t.regex(cloud.output(), /SIGTERM, finishing uploads in flight \(up to 10 s\)…\nivxs cloud: stopped/);
});

test("SIGTERM: an upload that does not finish within the grace period is cut, and the process still exits 0", async (t) => {
	const { data, token } = prepare(t);
	const cloud = await serveCloud(t, ["--data", data], { IVXS_CLOUD_SHUTDOWN_GRACE_S: "1" });
	const put = slowPut(cloud.url, "/v1/devices/cam-g/plan", token, JSON.stringify({ mode: "none" }));
	put.response.catch(() => {});
	await new Promise((resolve) => setTimeout(resolve, 200));
	const signalled = Date.now();
	cloud.child.kill("SIGTERM");
	t.deepEqual(await cloud.exited, { code: 0, signal: null });
	const took = Date.now() - signalled;
	t.true(took >= 900 && took < 4000, `exited after ${took} ms`);
	await t.throwsAsync(put.response, { code: "ECONNRESET" });
	t.regex(cloud.output(), /cutting requests still in flight/);
	// Nothing of the cut request was stored: the plan is still the default one.
	const again = await serveCloud(t, ["--data", data]);
	const plan = await (await fetch(`${again.url}/v1/devices/cam-g/plan`, { headers: { authorization: `Bearer ${token}` } })).json();
	t.is(plan.mode, "continuous");
	t.true(plan.rev <= 1);
	again.child.kill("SIGTERM");
	t.is((await again.exited).code, 0);
});

test("metrics: devices online, MQTT connections and auth failures", async (t) => {
	const { data, device, token } = prepare(t);
	const cloud = await serveCloud(t, ["--data", data]);
	const metrics = async () => (await fetch(`${cloud.url}/metrics`)).text();
	t.regex(await metrics(), /ivxs_devices_online 0\n[^]*ivxs_mqtt_connections 0\n/);
	const camera = await connectDevice(cloud.url.replace("http", "mqtt"), device);
	await camera.online();
	for (let i = 0; i < 100 && !/ivxs_devices_online 1\n/.test(await metrics()); i++) await new Promise((resolve) => setTimeout(resolve, 20));
	t.regex(await metrics(), /ivxs_devices_online 1\n[^]*ivxs_mqtt_connections 1\n/);
	camera.end(true);
	await fetch(`${cloud.url}/v1/me`, { headers: { authorization: "Bearer wrong" } });
	t.regex(await metrics(), /ivxs_auth_failures_total\{kind="token"\} 1/);
	t.like(await (await fetch(`${cloud.url}/healthz`)).json(), { ok: true, mqtt: "embedded" });
	t.is((await fetch(`${cloud.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
	cloud.child.kill("SIGTERM");
	t.is((await cloud.exited).code, 0);
});

test("stopping while the simulated camera streams a segment: that segment is finished (201), not cut; the stop waits no longer than it", async (t) => {
	const cloud = await cloudFor(t, { shutdownGraceS: 5 });
	const device = await deviceIn(cloud);
	const camera = new Camera({ cloud: cloud.url, device: device.id, secret: device.secret, seconds: 6, speed: 1, backoffMs: 200, maxAttempts: 2 });
	t.teardown(() => camera.close());
	const settled = [];
	camera.onSegment = (seq, answer) => settled.push({ seq, status: answer?.status, at: Date.now() });
	const running = camera.run().catch(() => {});
	// Segments are streamed while they are cut (1 s each): at 2.5 s the third one is on the wire.
	await new Promise((resolve) => setTimeout(resolve, 2500));
	const inFlight = settled.length;
	t.true(inFlight >= 1 && inFlight <= 3, `${inFlight} segments settled before the stop`);
	const stopAt = Date.now();
	await cloud.stop();
	const took = Date.now() - stopAt;
	const finished = settled.find((s) => s.seq === inFlight);
	t.truthy(finished, "the segment on the wire was answered");
	t.is(finished.status, 201);
	t.true(finished.at >= stopAt);
	t.true(took < 2000, `stop took ${took} ms`);
	await camera.close();
	await running;
});
