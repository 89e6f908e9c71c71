// `npm run soak` (issue 27, README "Soak"): the default profile at its 3-minute schedule — the whole
// system: cloud, camera on the XS host, 4 P2P viewers, 2 WebRTC viewers and a hostile one that come
// and go, an LL-HLS player in Chromium, an FLV reader — through one of each fault; then the firmware
// profile (the sample C firmware is the camera) for 1 minute, so the file stays within ~8 minutes.
// Each JSON verdict must say ok; the soak's own figures are logged. One soak at a time (serial).
import test from "ava";
import { spawn } from "node:child_process";
import { cameraExits, webrtcVisits } from "../scripts/soak/checks.mjs";

/** The soak's verdict (its last stdout line) and exit code, or a failure when it printed none. */
async function soak(t, args) {
	const child = spawn(process.execPath, ["scripts/soak.mjs", ...args], { stdio: ["ignore", "pipe", "pipe"] });
	let stdout = "", stderr = "";
	child.stdout.on("data", (chunk) => (stdout += chunk));
	child.stderr.on("data", (chunk) => (stderr += chunk));
	const code = await new Promise((resolve) => child.on("close", resolve));
	const line = stdout.trim().split("\n").at(-1);
	let verdict;
	try {
		verdict = JSON.parse(line);
	}
	catch {
		t.fail(`no JSON verdict (exit ${code}): ${stdout.slice(-2000)}\n${stderr.slice(-2000)}`);
		return;
	}
	t.log(JSON.stringify({ faults: verdict.faults, frames: verdict.frames, cameraExits: verdict.cameraExits, webrtc: verdict.webrtc, slopesPerMinute: verdict.slopesPerMinute, skipped: verdict.skipped }));
	t.true(verdict.ok, `failures: ${JSON.stringify(verdict.failures, null, 1)}`);
	t.is(code, 0);
}

// What the two checks of comings and goings judge, on a made-up record (no soak run): t in seconds.
const at = (s) => 1_000_000 + s * 1000;
const record = (runs, cycles, faults = []) => ({
	started: at(0), faults: faults.map(([kind, start, end]) => ({ kind, start: at(start), end: at(end) })),
	camera: { runs: runs.map(([started, ended, how, until = ended, uncaught]) => ({ started: at(started), connected: at(started + 1), ended: at(ended), until: at(until), how, uncaught })) },
	webrtc: [{ name: "webrtc-1", hostile: false, cycles: cycles.map(([start, end, status, frames]) => ({ start: at(start), end: at(end), status, frames })) }],
});
const failuresOf = (check, r) => {
	const failures = [];
	check(r, (name, detail) => failures.push(`${name}: ${detail}`));
	return failures;
};

test("soak › the camera never exited: a kill by the schedule, a stop by the soak and an exit 0 at its --seconds are planned; an early exit or an uncaught exception is not", (t) => {
	t.deepEqual(failuresOf(cameraExits, record([[0, 50, "killed", 200], [52, 200, "exit 0"]], [])), []);
	t.deepEqual(failuresOf(cameraExits, record([[0, 200, "stopped", 190]], [])), []);
	t.regex(failuresOf(cameraExits, record([[0, 80, "exit 1", 200]], []))[0], /^camera\.exited: run 1 ended exit 1 at 80 s, planned for 200 s/);
	t.regex(failuresOf(cameraExits, record([[0, 70, "exit 0", 200]], []))[0], /run 1 ended exit 0 at 70 s/);
	t.regex(failuresOf(cameraExits, record([[0, 200, "exit 0", 200, "uncaught exception: RangeError"]], []))[0], /RangeError/);
});

test("soak › a WebRTC visit the camera was up for decodes frames; a refused offer inside a fault's window is excused, outside it is not", (t) => {
	const runs = [[0, 100, "killed", 200], [103, 200, "exit 0"]];
	t.deepEqual(failuresOf(webrtcVisits, record(runs, [[10, 25, 201, 180], [30, 45, 504, 0], [95, 110, 201, 0]], [["cut-long", 28, 43]])), [], "a 504 in a cut, a visit the camera's kill cut short");
	t.regex(failuresOf(webrtcVisits, record(runs, [[10, 25, 201, 180], [50, 65, 201, 0]]))[0], /^webrtc: webrtc-1's visit at 50 s decoded no frames/);
	t.regex(failuresOf(webrtcVisits, record(runs, [[10, 25, 201, 180], [150, 165, 504, 0]], [["cut-long", 28, 43]]))[0], /visit at 150 s decoded no frames \(POST 504/);
	t.regex(failuresOf(webrtcVisits, record(runs, [[30, 45, 504, 0]], [["cut-long", 28, 43]]))[0], /no visit completed of 1/);
});

test.serial("soak › three minutes in the field: every fault recovered within its bound, frames lost = gaps reported, all decodes, WebRTC viewers decode in every visit, the camera never exited, resources flat, logs explained", async (t) => {
	t.timeout(8 * 60_000);
	await soak(t, ["--minutes", "3"]);
});

test.serial("soak › one minute with the C firmware as the camera (long G.711 frames, torn P frames): the same checks and its malloc heap flat", async (t) => {
	t.timeout(5 * 60_000);
	await soak(t, ["--minutes", "1", "--firmware"]);
});
