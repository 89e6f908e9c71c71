// The restart path under `npm start` (scripts/start.mjs, the camera's supervisor on the Linux
// host): one supervisor run sees every exit an update makes and starts the camera again each time —
// 75 once an update is staged, 1 when a trial throws at boot (a trial is recorded), 3 … — and the
// cloud sees the camera on the new version, then back on it after a bad release is rolled back.
import test from "ava";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { eventually } from "../../cloud/tests/_mqtt.mjs";
import { root } from "../_host.mjs";
import { appLayer, makeBundle } from "./_ota.mjs";
import { otaWorld } from "./_ota-cloud.mjs";

test("npm start's supervisor restarts the camera into a staged update, the cloud sees it confirmed, and a bad release rolled back", async (t) => {
	const { dir, key, api, file, upload, rolloutOf } = await otaWorld(t);
	const statusOf = async () => (await (await api("/v1/devices/cam1")).json()).status?.ota;
	t.is(await upload(makeBundle({ key, version: "1.1.0", out: join(dir, "good.ivxs") })), 201);
	const bad = appLayer(join(dir, "bad"), { "modules/app/camera.js": "throw new Error(\"a bad release\");\nexport default function main() {}\n" });
	t.is(await upload(makeBundle({ key, version: "1.2.0", modules: bad, out: join(dir, "bad.ivxs") })), 201);

	// Each start of the camera runs 25 s at most; those that stage an update end sooner.
	const supervisor = spawn(process.execPath, ["scripts/start.mjs", "--camera-only", "--device", file, "--data", join(dir, "camera-data"), "--seconds", "25", "--event-every", "0"],
		{ cwd: root, stdio: ["ignore", "pipe", "pipe"] });
	t.teardown(() => supervisor.kill("SIGKILL"));
	let output = "";
	supervisor.stdout.on("data", (chunk) => { output += chunk; });
	supervisor.stderr.on("data", (chunk) => { output += chunk; });
	const exited = new Promise((resolve) => supervisor.on("exit", (code) => resolve(code)));

	await eventually(() => /control channel connected/.test(output), 60_000);
	const good = await (await api("/v1/rollouts", { method: "POST", body: { version: "1.1.0" } })).json();
	const done = await eventually(async () => {
		const view = await rolloutOf(good.id);
		return view.state === "done" && view;
	}, 90_000);
	t.like(done.devices[0], { device: "cam1", state: "confirmed" });
	t.like(await statusOf(), { version: "1.1.0", state: "confirmed" }, "the cloud sees the new version");

	// Still under the same supervisor: a release that throws at boot.
	const badRollout = await (await api("/v1/rollouts", { method: "POST", body: { version: "1.2.0", failureThreshold: 0 } })).json();
	const paused = await eventually(async () => {
		const view = await rolloutOf(badRollout.id);
		return view.state === "paused" && view;
	}, 90_000);
	t.like(paused.devices[0], { state: "failed", reason: "rolled-back: exception or exit 1 during the trial" });
	t.like(await statusOf(), { version: "1.1.0", state: "rolled-back" }, "the cloud sees it back on 1.1.0");

	const code = await exited;
	t.is(code, 0, output.slice(-3000));
	const restarts = [...output.matchAll(/npm start: the camera exited with (\d+) \(OTA\): starting it again/g)].map((m) => Number(m[1]));
	t.deepEqual(restarts, [75, 75, 1], "staged 1.1.0, staged 1.2.0, 1.2.0's trial threw");
	t.regex(output, /ota: 1\.1\.0 staged in slot a[^]*ota: 1\.2\.0 staged in slot b/);
	t.regex(output, /ota: trial of 1\.2\.0 failed \(exception or exit 1 during the trial\): back to 1\.1\.0/);
	t.regex(output, /camera channel 0: [1-9]\d* segments .* stored in the cloud/, "the last start ran its course and uploaded");
});
