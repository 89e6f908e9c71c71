// The OTA round trip of `npm run board -- test` (scripts/board.mjs): two releases of the app layer
// as a board takes them — mod archives built by the real `mcrun` for esp32/esp32s3 and signed by
// `npm run sign-release` — rolled out by the cloud to the emulated camera while it runs:
//
//   GOOD_VERSION  the app layer as the firmware has it: downloaded into the inactive slot, staged,
//                 the board restarts, ota_slots.c maps it as a trial, the camera's health checks
//                 confirm it, the rollout finishes;
//   BAD_VERSION   an app/camera that throws as it loads: tried after the restart, the board's own
//                 code rolls back to GOOD_VERSION, the camera reports it, the rollout pauses itself.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { root } from "./native-modules.mjs";
import { makeKey, signRelease } from "./sign-release-run.mjs";

export const GOOD_VERSION = "1.1.0";
export const BAD_VERSION = "1.2.0";
/** Seconds the board has for each step: a download, a restart, a trial (the emulator on a loaded machine). */
const STEP_S = 180;
/** The trial's deadline in the device file: a trial not confirmed by then is rolled back. */
export const TRIAL_DEADLINE_S = 90;

/** A version as a regular expression matches it literally. */
const literal = (version) => version.replace(/\./g, "\\.");

function run(command, argv, env) {
	const r = spawnSync(command, argv, { cwd: root, env, encoding: "utf8" });
	if (r.status !== 0) throw new Error(`${command} ${argv[0]} failed (exit ${r.status}): ${(r.stderr || r.stdout || String(r.error)).trim().split("\n").slice(-4).join("\n")}`);
	return r.stdout;
}

/** mcrun for the board: the mod archive `manifest` makes (named after the manifest's folder), its path. */
export function modArchive(manifest, out, env) {
	mkdirSync(out, { recursive: true });
	run("mcrun", ["-m", "-p", "esp32/esp32s3", "-t", "build", "-o", out, manifest], env);
	const name = basename(dirname(manifest));
	return join(out, "bin/esp32/release", name, `${name}.xsa`);
}

/** A signing key, and the two releases signed with it: { pub (file), keyId, point, good, bad (bundle files) }. */
export function otaReleases(dir, env) {
	rmSync(dir, { recursive: true, force: true });   // a fresh key each run
	const { key, pub, keyId, point } = makeKey(dir, "key", env);
	const bad = join(dir, "bad-layer");
	mkdirSync(bad, { recursive: true });
	writeFileSync(join(bad, "camera.js"), "throw new Error(\"a release that throws as it loads\");\n");
	writeFileSync(join(bad, "manifest.json"), JSON.stringify({ include: "$(MODDABLE)/examples/manifest_mod.json", modules: { "app/camera": "./camera" } }));
	const bundles = {};
	for (const [name, version, manifest] of [["good", GOOD_VERSION, join(root, "modules/app/mod/manifest.json")], ["bad", BAD_VERSION, join(bad, "manifest.json")]]) {
		bundles[name] = join(dir, `${name}.ivxs`);
		signRelease(["sign", "--key", key, "--version", version, "--payload", modArchive(manifest, join(dir, `${name}-build`), env), "--out", bundles[name]], env);
	}
	return { pub, keyId, point, ...bundles };
}

/**
 * The round trip against the running emulator. `line(text)` takes each console line; `run()` drives
 * the cloud (`api(path, init)` with the admin's session) and resolves with the checks
 * ([{ ok, what }]), the first one failed ending it. Each step waits at most `stepS` seconds.
 * `failures`: the console lines that say the board itself failed (a panic, an abort): a good
 * release's step that fails names the first of them since it began, so a panic reads as a panic
 * and not only as "no confirmation".
 */
export function otaRoundTrip({ api, releases, stepS = STEP_S, pollMs = 1000, failures }) {
	const seen = [];
	const faultSince = (from) => {
		const line = failures && seen.slice(from).find((l) => failures.test(l));
		return line ? `; the console: "${line.trim().slice(0, 160)}"` : "";
	};
	let waiter;
	/** The first console line since `from` that matches `pattern`, or undefined after `stepS`. */
	const consoleLine = (pattern, from) => new Promise((resolve) => {
		const found = seen.slice(from).find((l) => pattern.test(l));
		if (found) return resolve(found);
		const timer = setTimeout(() => { waiter = undefined; resolve(undefined); }, stepS * 1000);
		waiter = { pattern, done: (l) => { clearTimeout(timer); waiter = undefined; resolve(l); } };
	});
	const rollout = async (id, want) => {
		for (const until = Date.now() + stepS * 1000; Date.now() < until; await new Promise((r) => setTimeout(r, pollMs))) {
			const view = await (await api(`/v1/rollouts/${id}`)).json();
			if (view.state === want) return view;
		}
		return undefined;
	};
	const release = async (file, version, body) => {
		const uploaded = await api("/v1/releases", { method: "POST", headers: { "content-type": "application/octet-stream" }, body: readFileSync(file) });
		if (uploaded.status !== 201) throw new Error(`the cloud refused release ${version}: ${uploaded.status} ${await uploaded.text()}`);
		const started = await api("/v1/rollouts", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ version, ...body }) });
		if (started.status !== 201) throw new Error(`the cloud refused the rollout of ${version}: ${started.status} ${await started.text()}`);
		return (await started.json()).id;
	};
	const staged = (version) => new RegExp(`ota: ${literal(version)} staged in slot (a|b)`);

	async function good() {
		const started = Date.now(), from = seen.length;
		const id = await release(releases.good, GOOD_VERSION, {});
		const stage = await consoleLine(staged(GOOD_VERSION), from);
		if (!stage) return { ok: false, what: `${GOOD_VERSION} not staged in ${stepS} s (${seen.filter((l) => /ota: /.test(l)).slice(-1)[0] ?? "no ota line"})` };
		const slot = /slot (a|b)/.exec(stage)[1];
		const mapped = await consoleLine(new RegExp(`ota: slot ${slot} mapped \\(trial of ${literal(GOOD_VERSION)}\\)`), from);
		if (!mapped) return { ok: false, what: `${GOOD_VERSION} staged in slot ${slot}, but no trial of it was mapped after the restart${faultSince(from)}` };
		const done = await rollout(id, "done");
		const confirmed = done?.devices?.[0]?.state === "confirmed";
		return { ok: confirmed, what: `${GOOD_VERSION} downloaded into slot ${slot}, the board restarted into it as a trial${confirmed ? " and confirmed it; the rollout is done" : `; the rollout not done in ${stepS} s (${seen.filter((l) => /ota|XS abort/.test(l)).slice(-1)[0] ?? "no ota line"})${faultSince(from)}`} (${Math.round((Date.now() - started) / 1000)} s)` };
	}

	async function bad() {
		const started = Date.now(), from = seen.length;
		const id = await release(releases.bad, BAD_VERSION, { failureThreshold: 0 });
		const stage = await consoleLine(staged(BAD_VERSION), from);
		if (!stage) return { ok: false, what: `${BAD_VERSION} not staged in ${stepS} s` };
		const back = await consoleLine(new RegExp(`ota: trial of ${literal(BAD_VERSION)} failed \\((.+)\\): back to (\\S+)`), from);
		if (!back) return { ok: false, what: `${BAD_VERSION} staged, but the board did not roll it back in ${stepS} s` };
		const [, reason, to] = /failed \((.+)\): back to (\S+)/.exec(back);
		const paused = await rollout(id, "paused");
		const device = paused?.devices?.[0];
		return { ok: to === GOOD_VERSION && device?.state === "failed", what: `${BAD_VERSION} (throws as it loads) tried and rolled back by the board to ${to} (${reason}); the cloud's rollout ${paused ? `paused: ${device?.reason}` : `not paused in ${stepS} s`} (${Math.round((Date.now() - started) / 1000)} s)` };
	}

	return {
		line(text) {
			seen.push(text);
			if (waiter?.pattern.test(text)) waiter.done(text);
		},
		async run() {
			const checks = [];
			for (const step of [good, bad]) {
				const check = await step().catch((error) => ({ ok: false, what: String(error?.message ?? error).split("\n")[0] }));
				checks.push(check);
				if (!check.ok) break;
			}
			return checks;
		},
	};
}
