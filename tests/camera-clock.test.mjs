// A camera whose clock is 10 minutes off the cloud's, or was never set (Debian's libfaketime
// under the XS host's camera app: its wall clock only, the monotonic clock stays true): the broker refuses its
// password (a clock never set — before 2024 — learns first, without a refusal), it learns the
// cloud's time by the signed exchange (PROTOCOL.md §2.1), signs in, and
// the cloud stores its segments at times in the cloud's present — none in the future, none 10
// minutes (or 56 years) in the past. Before the exchange it never uploaded at all.
// The 1970 clock starts 30 s after the epoch, like a board's counting from boot: libfaketime then
// moves an absolute monotonic deadline by days on any machine up more than a minute — the capture
// thread's clock_nanosleep(TIMER_ABSTIME) slept that long and the camera hung at its stop.
import test from "ava";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cloudFor, deviceIn } from "../cloud/tests/_cloud.mjs";
import { deviceFile, fakeClock, LIBFAKETIME, runCamera, storedFrames, totalFrames } from "./_camera.mjs";
import { MAX_TIME_ROUND_TRIP_MS } from "../build/node/modules/protocol/cloud-time.js";

// How far the learnt clock may be off the cloud's: half the longest round trip the camera accepts
// (an answer held back, or a loaded machine's lopsided round trip) — seconds, not minutes.
const learntClockError = MAX_TIME_ROUND_TRIP_MS / 2;

for (const [faketime, what] of [["+600", "10 minutes ahead"], ["-600", "10 minutes behind"], ["@1970-01-01 00:00:30", "never set (a board without a real-time clock: 1970)"]]) {
	test(`xs › a camera whose clock is ${what} learns the cloud's time, shows online and uploads segments timed in the cloud's present`, async (t) => {
		t.true(existsSync(LIBFAKETIME), "libfaketime (Debian faketime; scripts/test-deps.mjs installs it)");
		const cloud = await cloudFor(t);
		const device = await deviceIn(cloud);
		const online = [];
		const watch = setInterval(() => {
			const row = cloud.ctx.sql.db.prepare("SELECT online, since FROM presence WHERE device = ?").get(device.id);
			if (row?.online) online.push(row);
		}, 250);
		t.teardown(() => clearInterval(watch));
		const started = Date.now();
		const run = await runCamera(deviceFile(t, device, cloud.url), { seconds: 10, env: fakeClock(faketime) });
		const ended = Date.now();
		clearInterval(watch);
		t.is(run.code, 0, run.stderr + run.stdout);
		t.regex(run.stdout, /clock set by the cloud's time/);
		if (faketime.startsWith("@1970")) {
			// a clock never set is learnt before the first sign-in: no password dated 1970 for the broker to refuse
			const lines = run.stdout.split("\n");
			const set = lines.findIndex((line) => /clock set by the cloud's time/.test(line)), lost = lines.findIndex((line) => /control channel lost/.test(line));
			t.true(lost < 0 || lost > set, run.stdout);
		}
		// libfaketime refused the capture thread's absolute sleeps (EINVAL) and it spun a core: a
		// camera pacing a ~150 kbit/s clip uses a few percent of one.
		t.log(`CPU ${run.cpuS.toFixed(2)} s in ${run.wallS.toFixed(1)} s`);
		t.true(run.cpuS < run.wallS / 3, `the camera used ${run.cpuS} s of CPU in ${run.wallS} s`);
		t.true(online.length > 0, "the cloud saw the camera online");
		const stats = run.summary.channels["0"];
		const segments = cloud.ctx.sql.db.prepare("SELECT stream, seq, start_ms, end_ms FROM segments WHERE device = ? ORDER BY start_ms").all(device.id);
		t.log(`${segments.length} segments in ${new Set(segments.map((s) => s.stream)).size} stream(s), ${stats.segmentsRefused} refused; times ${segments.length ? `${segments[0].start_ms - started}..${segments.at(-1).end_ms - started}` : "-"} ms from the test's start`);
		t.true(segments.length >= 2, run.stdout);
		t.is(stats.segmentsRefused, 0);
		for (const s of segments) {
			// The clip is looped in real time from the camera's start: within the run, give or take a
			// GOP and the ring's pre-roll — never 10 minutes away.
			t.true(s.start_ms >= started - 5_000 - learntClockError && s.end_ms <= ended + learntClockError, `segment ${s.stream}/${s.seq} at ${s.start_ms - started}..${s.end_ms - started} ms`);
		}
		const streams = await storedFrames(cloud, device.id);
		t.is(totalFrames(streams).total, stats.framesUploaded, "ffprobe decodes exactly the frames the camera uploaded");
	});
}

// The simulated camera (cloud/sim, Node) keeps its own clock too: the same under libfaketime.
// With --mqtt the broker's refusal starts the exchange; without it, the init's answer (a 409 for an
// epoch in the future, a 401 for a stale signature) does, and the stream begins again on the new clock.
for (const [offsetS, mqtt] of [["+600", true], ["-600", true], ["+600", false], ["-600", false]]) {
	test(`the simulated camera with a clock ${offsetS} s off${mqtt ? "" : " and no control channel"} learns the cloud's time${mqtt ? ", shows online" : ""} and uploads segments timed in the cloud's present`, async (t) => {
		const cloud = await cloudFor(t);
		const device = await deviceIn(cloud);
		const started = Date.now();
		let online = false;
		const watch = setInterval(() => {
			online ||= !!cloud.ctx.sql.db.prepare("SELECT online FROM presence WHERE device = ?").get(device.id)?.online;
		}, 250);
		t.teardown(() => clearInterval(watch));
		const run = await runSim(["--cloud", cloud.url, "--device", device.id, "--secret", device.secret, "--seconds", "4", ...(mqtt ? ["--mqtt"] : []), "--no-snapshots"], fakeClock(offsetS));
		clearInterval(watch);
		const ended = Date.now();
		t.is(run.code, 0, run.stderr + run.stdout);
		if (mqtt) t.true(online, "the cloud saw it online");
		const segments = cloud.ctx.sql.db.prepare("SELECT stream, seq, start_ms, end_ms FROM segments WHERE device = ? ORDER BY start_ms").all(device.id);
		t.log(`${segments.length} segments; times ${segments.length ? `${segments[0].start_ms - started}..${segments.at(-1).end_ms - started}` : "-"} ms from the test's start`);
		t.true(segments.length >= 3, run.stdout + run.stderr);
		t.log(run.stderr.split("\n").filter((line) => /clock set/.test(line)).join("; "));
		for (const s of segments) t.true(s.start_ms >= started - learntClockError && s.end_ms <= ended + learntClockError, `segment ${s.stream}/${s.seq} at ${s.start_ms - started}..${s.end_ms - started} ms`);
	});
}

/** Runs the simulator's CLI with `env` added; resolves with { code, stdout, stderr }. */
function runSim(args, env) {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ["build/node/cloud/sim/camera.js", ...args], { env: { ...process.env, ...env } });
		let stdout = "", stderr = "";
		child.stdout.on("data", (c) => (stdout += c));
		child.stderr.on("data", (c) => (stderr += c));
		const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
		child.on("error", reject);
		child.on("close", (code) => {
			clearTimeout(timer);
			resolve({ code, stdout, stderr });
		});
	});
}
