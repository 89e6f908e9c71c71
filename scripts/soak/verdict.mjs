// The soak's verdict: every check over what the soak saw, each failure named in `failures`.
import { FAULTS } from "./faults.mjs";
import { cameraExits, firmwarePushes, webrtcVisits } from "./checks.mjs";
import { boundOf } from "./recovery.mjs";
import { PLACES } from "./camera.mjs";
import { lastTwoThirds, slopePerMinute } from "./slope.mjs";

const KIB = 1024, MIB = 1024 * 1024;
/** Flatness bounds: the most a resource may grow per minute over the last two thirds of the run. */
export const SLOPE_BOUNDS = {
	"camera.heap": 64 * KIB, "camera.native": 16 * KIB, "camera.rss": 2 * MIB, "camera.fds": 4,
	"cloud.rss": 8 * MIB, "cloud.fds": 4, "cloud.connections": 4, "cloud.stateRows": 10,
};
/** The live WebRTC sessions' native memory at most: the soak camera's places at 32 KiB each (issue 28's bound per viewer). */
export const WEBRTC_PLACES = PLACES, WEBRTC_SESSION_BYTES = 32 * KIB, WEBRTC_BOUND = WEBRTC_PLACES * WEBRTC_SESSION_BYTES;
/** The firmware profile's too: the C firmware's malloc heap (`@@heap`, mallinfo2; the app's XS heap and native bytes are in it). */
export const FIRMWARE_SLOPE_BOUNDS = { "camera.firmwareHeap": 64 * KIB };
/**
 * What a short window cannot tell from noise: growth across the whole window that a healthy run
 * shows (viewers reconnecting after a fault hold a few more sockets for a while; a young Node
 * process sizes its heap). The bound is the larger of the rate and this spread over the window's
 * minutes: a 3-minute run (a window of 1–2 minutes) resolves fds to ~8 a minute, a 2-hour run
 * to the rate itself. Measured on 3-minute runs: camera fds 1.7–3.5 a minute, cloud RSS 5–11 MiB.
 */
export const SLOPE_FLOORS = {
	"camera.heap": 128 * KIB, "camera.native": 32 * KIB, "camera.rss": 4 * MIB, "camera.fds": 12,
	"cloud.rss": 24 * MIB, "cloud.fds": 12, "cloud.connections": 12, "cloud.stateRows": 20,
	"camera.firmwareHeap": 256 * KIB,
};

/**
 * The most of one core each process may use, averaged over the run: the camera paces a ~150
 * kbit/s clip to cloud storage, 4 viewers and a store (a board's core has less to give than this
 * machine's); the cloud serves one camera. A loop that spins (the capture thread under
 * libfaketime did, at a whole core) fails here, where memory and frames look healthy.
 */
export const CPU_BOUNDS = { camera: 0.25, cloud: 0.5 };

/** The share of one core a process used across `samples` ({ t, pid, cpuS }), each process (pid) in turn. */
export function cpuShare(samples) {
	let cpu = 0, ms = 0;
	for (let i = 1; i < samples.length; i++) {
		const a = samples[i - 1], b = samples[i];
		if (a.pid !== b.pid || !Number.isFinite(a.cpuS) || !Number.isFinite(b.cpuS)) continue;
		cpu += b.cpuS - a.cpuS;
		ms += b.t - a.t;
	}
	return ms ? cpu / (ms / 1000) : undefined;
}

/** { ok, failures, ...figures } from the soak's record `r` (see scripts/soak.mjs). */
export function verdictOf(r) {
	const failures = [];
	const fail = (check, detail) => failures.push(`${check}: ${detail}`);

	// Frames: what is missing between stored segments is exactly what the camera reported lost.
	const holes = r.stored.runs.reduce((sum, run) => sum + run.holes, 0);
	const logged = r.camera.runs.flatMap((run) => run.gaps).reduce((sum, g) => sum + g.frames, 0);
	// Only the gaps among the segments the cloud still holds: to make room (the disk-full fault, when
	// too few deleted objects wait for their grace) it evicts its oldest recordings, and the gaps
	// before the oldest segment it kept have no segments around them to count as holes.
	const keptFrom = r.stored.runs[0]?.startMs ?? -Infinity;
	const gapsAmongKept = (r.stored.gaps ?? []).filter((g) => g.from_ms >= keptFrom).reduce((sum, g) => sum + g.frames, 0);
	if (holes !== gapsAmongKept && !r.firmware) fail("frames.holes", `${holes} frames missing between stored segments, the cloud holds gaps for ${gapsAmongKept} among them (${r.stored.gapFrames} in all)`);
	if (logged !== r.stored.gapFrames) fail("frames.reported", `the camera logged gaps of ${logged} frames, the cloud holds ${r.stored.gapFrames}`);
	const final = r.camera.runs.at(-1);
	const stats = final?.summary?.channels?.["0"];
	const lastRing = r.stored.runs.at(-1);
	if (!stats) fail("frames.summary", `the camera's last run gave no summary (${final?.how})`);
	else if (stats.framesUploaded !== lastRing?.frames) fail("frames.uploaded", `the last run uploaded ${stats.framesUploaded} frames, the cloud holds ${lastRing?.frames} of it`);
	const storedFrames = r.stored.runs.reduce((sum, run) => sum + run.frames, 0);
	if (!storedFrames) fail("frames.stored", "nothing stored");

	// Decoding: ffprobe reads every stream whole, without a complaint.
	for (const s of r.stored.streams) {
		if (s.errors.length) fail("decode", `stream ${s.stream}: ${s.errors[0]}`);
		else if (s.decoded !== s.samples) fail("decode", `stream ${s.stream}: ffprobe decoded ${s.decoded} of ${s.samples} frames`);
	}

	// Recovery: after each fault every subject made progress again within its bound.
	for (const f of r.recoveries) {
		for (const [subject, seconds] of Object.entries(f.recoveryS)) {
			const bound = boundOf(f.kind, subject);
			if (seconds === null || seconds > bound) fail("recovery", `${subject} after ${f.kind} at ${Math.round((f.start - r.started) / 1000)} s: ${seconds === null ? "never" : `${seconds} s`} (bound ${bound} s)`);
		}
	}

	// Flatness.
	const slopes = {}, bounds = {};
	for (const [name, rate] of Object.entries({ ...SLOPE_BOUNDS, ...(r.firmware ? FIRMWARE_SLOPE_BOUNDS : {}) })) {
		const [who, what] = name.split(".");
		const points = lastTwoThirds(r.resources[who], r.started, r.ended).filter((s) => Number.isFinite(s[what])).map((s) => ({ t: s.t, v: s[what] }));
		const slope = slopePerMinute(points);
		const minutes = points.length ? (points.at(-1).t - points[0].t) / 60_000 : 0;
		const bound = bounds[name] = Math.round(Math.max(rate, minutes ? SLOPE_FLOORS[name] / minutes : rate));
		slopes[name] = slope === undefined ? null : Math.round(slope * 10) / 10;
		if (slope === undefined) fail("flat", `${name}: fewer than 4 samples in the last two thirds`);
		else if (slope > bound) fail("flat", `${name} grows ${Math.round(slope)} per minute (bound ${bound})`);
	}

	// The live WebRTC sessions' native memory (the camera's "webrtc" counter: each session's SRTP
	// contexts, congestion control and feed, ~14 KB on 64-bit) comes and goes with the visits: over
	// a few minutes its slope is the visits' phase, not growth. It is judged by its bound instead —
	// never more than the camera's places hold (a session that leaked what it holds piles up past
	// it within a run).
	const webrtcMost = Math.max(0, ...r.resources.camera.map((s) => s.webrtc).filter(Number.isFinite));
	if (webrtcMost > WEBRTC_BOUND) fail("flat", `camera.webrtc reached ${webrtcMost} bytes (bound ${WEBRTC_BOUND}: ${WEBRTC_PLACES} sessions of ${WEBRTC_SESSION_BYTES})`);

	// CPU: no process spins.
	const cpu = {};
	for (const [who, bound] of Object.entries(CPU_BOUNDS)) {
		const share = cpuShare(r.resources[who]);
		cpu[who] = share === undefined ? null : Math.round(share * 1000) / 1000;
		if (share === undefined) fail("cpu", `${who}: no CPU samples`);
		else if (share > bound) fail("cpu", `${who} used ${Math.round(share * 100)} % of a core on average (bound ${bound * 100} %)`);
	}

	// Logs: each line above warning (and each notable one: a P2P session moving) falls in a fault's
	// window (its start to the end of its recovery bound) and is one that fault explains. A fault
	// that `expects` a line caused it (else it did not happen as meant) before the next one began
	// (a later fault may cause the same line: a cloud restart publishes the plans too).
	const within = (entry, f) => entry.t >= f.start - 1000 && entry.t <= f.end + 1000 * Math.max(...["uploads", "viewers", "flv", "hls"].map((s) => boundOf(f.kind, s)));
	const unexplained = r.logs.filter((entry) => !r.faults.some((f) => within(entry, f) && FAULTS[f.kind].explains.some((re) => re.test(entry.msg))) && !announcedBy(entry, r.announced ?? []));
	for (const entry of unexplained.slice(0, 10)) fail("logs", `${entry.source} at ${Math.round((entry.t - r.started) / 1000)} s: ${entry.msg.slice(0, 200)}`);
	if (unexplained.length > 10) fail("logs", `and ${unexplained.length - 10} more unexplained lines`);
	r.faults.forEach((f, i) => {
		const expected = FAULTS[f.kind].expects, until = r.faults[i + 1]?.start ?? r.ended;
		if (expected && !r.seen.some((line) => line.t >= f.start && line.t < until && expected.test(line.msg))) fail("expects", `${f.kind} at ${Math.round((f.start - r.started) / 1000)} s: no line matching ${expected} before ${i + 1 < r.faults.length ? "the next fault" : "the end"}`);
	});

	// The camera app never exited; each WebRTC viewer decodes in every visit the camera was up for.
	const exits = cameraExits(r, fail);
	const webrtc = webrtcVisits(r, fail);
	const firmware = r.firmware ? firmwarePushes(r, fail) : undefined;

	return {
		ok: failures.length === 0, failures,
		minutes: r.minutes, faults: r.recoveries.map((f) => ({ kind: f.kind, atS: Math.round((f.start - r.started) / 1000), recoveryS: f.recoveryS })),
		frames: { stored: storedFrames, holes, gapsInCloud: r.stored.gapFrames, gapsLogged: logged, lastRun: stats ? { uploaded: stats.framesUploaded, lost: stats.framesLost, segments: stats.segmentsStored } : null },
		streams: r.stored.streams.length, segments: r.stored.runs.reduce((sum, run) => sum + run.segments, 0), cameraRuns: r.camera.runs.map((run) => run.how),
		viewers: r.viewers, cameraExits: exits, webrtc, ...(firmware ? { firmware } : {}), slopesPerMinute: slopes, slopeBounds: bounds, webrtcNativeMost: webrtcMost, cpuShare: cpu, logs: { lines: r.logs.length, unexplained: unexplained.length, cloudWarnings: r.cloudWarnings },
		rowsGrown: rowsGrown(r.resources.cloud),
		...(r.skipped.length ? { skipped: r.skipped } : {}),
	};
}

/** Metadata rows per table: how many more at the end than at the first sample (the tables that grew). */
/**
 * Whether a camera's "p2p: viewer S moved; checking C (it had offered O)" line answers a viewer's
 * own report, shortly before, of new candidates that include every one in C: the viewer's host
 * gained or lost an address (an interface came or went on the machine — other tests' network
 * namespaces beside the soak make root-namespace veths), and the camera checked what it was told,
 * as it should. The viewer-move fault explains the moves the soak makes itself.
 */
export function announcedBy(entry, announced) {
	const checked = /p2p: viewer [0-9a-f]+ moved; checking (.+?) \(it had offered /.exec(entry.msg)?.[1]?.split(", ");
	return !!checked && announced.some((a) => a.t <= entry.t + 1000 && a.t >= entry.t - 10_000 && checked.every((c) => a.candidates.split(", ").includes(c)));
}

function rowsGrown(samples) {
	const withRows = samples.filter((s) => s.rows);
	const first = withRows[0]?.rows ?? {}, last = withRows.at(-1)?.rows ?? {};
	return Object.fromEntries(Object.entries(last).filter(([name, n]) => n !== (first[name] ?? 0)).map(([name, n]) => [name, n - (first[name] ?? 0)]));
}
