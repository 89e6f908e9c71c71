// The OTA round trip of `npm run board -- test` (scripts/board-ota.mjs), its logic against a
// scripted console and cloud: what it asks the cloud, which console lines and rollout states pass
// each step, and that a board that never tries the release fails the step in its time, saying so.
// The round trip itself runs in the emulated ESP32-S3 (`npm run board -- test`, hosts/esp32s3/README.md).
import test from "ava";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BAD_VERSION, GOOD_VERSION, otaRoundTrip } from "../scripts/board-ota.mjs";

/** Bundle files (their bytes only travel to the fake cloud), and a cloud whose rollouts the `camera` script answers. */
function world(t, camera, failures) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-board-ota-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const releases = { good: join(dir, "good.ivxs"), bad: join(dir, "bad.ivxs") };
	writeFileSync(releases.good, "good");
	writeFileSync(releases.bad, "bad");
	const calls = [], rollouts = new Map();
	let trip;
	const api = async (path, init = {}) => {
		calls.push(`${init.method ?? "GET"} ${path}`);
		if (path === "/v1/releases") return new Response("{}", { status: 201 });
		if (path === "/v1/rollouts") {
			const { version, failureThreshold } = JSON.parse(init.body);
			const id = `r${rollouts.size}`;
			rollouts.set(id, { state: "running", devices: [] });
			setTimeout(() => camera({ version, failureThreshold, line: (l) => trip.line(l), set: (v) => rollouts.set(id, v) }), 5);
			return Response.json({ id }, { status: 201 });
		}
		return Response.json(rollouts.get(path.split("/").pop()));
	};
	trip = otaRoundTrip({ api, releases, stepS: 0.3, pollMs: 10, failures });
	return { trip, calls };
}

test("an update confirmed and a bad release rolled back pass, after the cloud is asked for each", async (t) => {
	const { trip, calls } = world(t, ({ version, line, set }) => {
		line(`camera cam: ota: ${version} staged in slot ${version === GOOD_VERSION ? "a" : "b"}: restart to try it`);
		if (version === GOOD_VERSION) {
			line(`ota: slot a mapped (trial of ${GOOD_VERSION})`);
			set({ state: "done", devices: [{ state: "confirmed" }] });
		}
		else {
			line(`W (1375) ota: trial of ${BAD_VERSION} failed (no confirmation (crash, hang or power cut during the trial)): back to ${GOOD_VERSION}`);
			set({ state: "paused", devices: [{ state: "failed", reason: "rolled-back: no confirmation" }] });
		}
	});
	const checks = await trip.run();
	t.deepEqual(checks.map((c) => c.ok), [true, true], JSON.stringify(checks));
	t.regex(checks[1].what, /rolled back by the board to 1\.1\.0 \(no confirmation/);
	t.deepEqual(calls.filter((c) => c.startsWith("POST")), ["POST /v1/releases", "POST /v1/rollouts", "POST /v1/releases", "POST /v1/rollouts"]);
});

test("a release staged but never tried fails its step in time, and the bad release is not rolled out", async (t) => {
	const { trip, calls } = world(t, ({ version, line }) => line(`camera cam: ota: ${version} staged in slot a: restart to try it`));
	const checks = await trip.run();
	t.is(checks.length, 1);
	t.false(checks[0].ok);
	t.regex(checks[0].what, /staged in slot a, but no trial of it was mapped/);
	t.is(calls.filter((c) => c === "POST /v1/rollouts").length, 1);
});

test("a trial that panics fails its step naming the panic's line, not only the missing confirmation", async (t) => {
	const { trip } = world(t, ({ version, line }) => {
		line(`camera cam: ota: ${version} staged in slot a: restart to try it`);
		line(`ota: slot a mapped (trial of ${version})`);
		line("Guru Meditation Error: Core  1 panic'ed (LoadStorePIFAddrError). Exception was unhandled.");
	}, /Guru Meditation|Backtrace:/);
	const [check] = await trip.run();
	t.false(check.ok);
	t.regex(check.what, /the rollout not done in 0\.3 s .*; the console: "Guru Meditation Error: Core {2}1 panic'ed \(LoadStorePIFAddrError\)/);
});

test("a refusal by the cloud is the step's failure, in its words", async (t) => {
	const refusing = otaRoundTrip({ api: async () => new Response("signature: unknown key", { status: 400 }), releases: { good: "/dev/null", bad: "/dev/null" }, stepS: 0.1 });
	const [check] = await refusing.run();
	t.false(check.ok);
	t.regex(check.what, /the cloud refused release 1\.1\.0: 400 signature: unknown key/);
});
