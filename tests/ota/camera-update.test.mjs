// The camera app updated over the air, end to end on the XS host against the real cloud: a
// release (the whole app layer, signed by `npm run sign-release`) rolled out to a running camera
// arrives on its retained ivxs/<id>/ota, is downloaded with signed Range GETs into the other
// slot, staged (the camera exits 75 for its supervisor), tried at the next start, confirmed by
// the camera's health checks, and the rollout finishes. Then a release that throws at boot is
// rolled back by the host at the start after, the reason reported, and the rollout pauses itself.
import test from "ava";
import { join } from "node:path";
import { eventually } from "../../cloud/tests/_mqtt.mjs";
import { runHost } from "../_host.mjs";
import { appLayer, makeBundle } from "./_ota.mjs";
import { otaWorld } from "./_ota-cloud.mjs";

test("a rollout updates a running camera, the trial confirms; a release that throws at boot is rolled back and pauses its rollout", async (t) => {
	const { dir, key, api, file, upload, rolloutOf } = await otaWorld(t);
	const data = join(dir, "camera-data");
	const camera = (seconds, onStdout) => runHost(["--data", data, "--log-level", "info", "modules/app/camera", "--", "--device", file, "--seconds", String(seconds)], { timeoutMs: (seconds + 60) * 1000, onStdout });

	// 1.1.0: the app layer as built (build/ts), released while the camera runs the build's own.
	t.is(await upload(makeBundle({ key, version: "1.1.0", out: join(dir, "good.ivxs") })), 201);
	let rolloutStarted = false, stagedAt = 0;
	const first = await camera(60, (chunk) => {
		if (!stagedAt && /staged in slot/.test(chunk)) stagedAt = performance.now();
		if (rolloutStarted || !/control channel connected/.test(chunk)) return;
		rolloutStarted = true;
		api("/v1/rollouts", { method: "POST", body: { version: "1.1.0" } });
	});
	t.is(first.code, 75, `the camera exits 75 once 1.1.0 is staged:\n${first.stdout.slice(-3000)}\n${first.stderr.slice(-2000)}`);
	t.regex(first.stdout, /ota: 1\.1\.0 staged in slot a/);
	const [rollout] = (await (await api("/v1/rollouts")).json()).rollouts;
	t.like(rollout.progress[0].counts, { staged: 1 });

	// The next start tries 1.1.0; the camera's checks (cloud, capture, upload) confirm it.
	let capturingAt = 0;
	const trial = await camera(20, (chunk) => {
		if (!capturingAt && /channel\(s\) capturing/.test(chunk)) capturingAt = performance.now();
	});
	// The switch: capture stops when the update is staged and starts again in the trial (the
	// supervisor's restart is immediate here). At the sample clip's 15 fps, frames not captured:
	const downMs = capturingAt - stagedAt;
	t.log(`switch: ${Math.round(downMs)} ms without capture (≈ ${Math.round((downMs * 15) / 1000)} frames at 15 fps; the camera stops as at the end of --seconds)`);
	t.is(trial.code, 0, trial.stderr.slice(-2000));
	t.regex(trial.stderr + trial.stdout, /trial boot of 1\.1\.0/);
	const done = await eventually(async () => {
		const view = await rolloutOf(rollout.id);
		return view.state === "done" && view;
	}, 10_000);
	t.like(done.devices[0], { device: "cam1", state: "confirmed" });

	// 1.2.0 throws at boot (its camera module only: the rest comes from the build).
	const bad = appLayer(join(dir, "bad"), { "modules/app/camera.js": "throw new Error(\"a bad release\");\nexport default function main() {}\n" });
	t.is(await upload(makeBundle({ key, version: "1.2.0", modules: bad, out: join(dir, "bad.ivxs") })), 201);
	const badRollout = await (await api("/v1/rollouts", { method: "POST", body: { version: "1.2.0", failureThreshold: 0 } })).json();
	const staging = await camera(60);
	t.is(staging.code, 75, staging.stdout.slice(-2000));
	const crashing = await camera(20);
	t.is(crashing.code, 1, "the trial throws at boot");
	t.regex(crashing.stderr, /a bad release/);
	// The start after runs 1.1.0 again and reports the rollback; the rollout pauses itself.
	const back = await camera(15);
	t.is(back.code, 0, back.stderr.slice(-2000));
	t.regex(back.stderr, /ota: trial of 1\.2\.0 failed \(exception or exit 1 during the trial\): back to 1\.1\.0/);
	const paused = await eventually(async () => {
		const view = await rolloutOf(badRollout.id);
		return view.state === "paused" && view;
	}, 10_000);
	t.regex(paused.reason, /1 of 1 devices failed/);
	t.like(paused.devices[0], { state: "failed", reason: "rolled-back: exception or exit 1 during the trial" });
});
