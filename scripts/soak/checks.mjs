// The soak's checks of what comes and goes: the camera's runs (it never exits but when the fault
// schedule kills it or its time is up), the WebRTC viewers' visits (each decodes frames whenever
// the camera is up for it) and, in the firmware profile, what the firmware pushed. verdict.mjs
// calls each with its `fail`.
import { boundOf } from "./recovery.mjs";

/** A run ends as planned when the schedule killed it, the soak stopped it, or its --seconds were up (exit 0). */
const planned = (run) => !run.uncaught && (run.how === "killed" || run.how === "stopped" || (run.how === "exit 0" && run.ended >= run.until - 2000));

/** "The camera app never exited": each run that ended otherwise (or reported an uncaught exception) is a failure. */
export function cameraExits(r, fail) {
	const unexpected = r.camera.runs.filter((run) => !planned(run));
	for (const run of unexpected) fail("camera.exited", `run ${r.camera.runs.indexOf(run) + 1} ended ${run.how} at ${Math.round((run.ended - r.started) / 1000)} s, planned for ${Math.round((run.until - r.started) / 1000)} s${run.uncaught ? `: ${run.uncaught.slice(0, 200)}` : ""}`);
	return { runs: r.camera.runs.length, unexpected: unexpected.length };
}

/**
 * Per WebRTC viewer: its visits (cycles), those completed (201 and frames decoded), frames and audio
 * frames decoded. A visit the camera was up for (one run connected to the cloud before it began and
 * alive until it ended) must decode frames; the hostile viewer's too: it harasses only from a second
 * after its first frame, and the camera may end it then — but not the others, nor itself. An offer
 * the cloud could not hand over (no 201) is excused inside a fault's window (its start to the end of
 * its viewers' recovery bound: a cut or a restart holds the offer's way to the camera), as its log lines are.
 */
export function webrtcVisits(r, fail) {
	const out = {};
	for (const v of r.webrtc ?? []) {
		const up = (c) => r.camera.runs.some((run) => run.connected !== undefined && run.connected <= c.start && run.ended >= c.end && !run.uncaught);
		const faulted = (c) => r.faults.some((f) => c.start <= f.end + 1000 * boundOf(f.kind, "viewers") && c.end >= f.start - 1000);
		let completed = 0, judged = 0;
		for (const c of v.cycles) {
			if (c.status === 201 && c.frames > 0) completed++;
			if (!up(c) || (c.status !== 201 && faulted(c))) continue;
			judged++;
			if (!(c.frames > 0)) fail("webrtc", `${v.name}'s visit at ${Math.round((c.start - r.started) / 1000)} s decoded no frames (${c.status ? `POST ${c.status}` : ""}${c.error ? ` ${c.error.slice(0, 120)}` : ""}, ICE ${c.ice}, DTLS ${c.dtls})`);
		}
		if (!completed) fail("webrtc", `${v.name}: no visit completed of ${v.cycles.length}`);
		out[v.name] = {
			cycles: v.cycles.length, completed, judged, frames: v.cycles.reduce((sum, c) => sum + (c.frames ?? 0), 0), audioFrames: v.cycles.reduce((sum, c) => sum + (c.audio ?? 0), 0),
			framesPerCycle: v.cycles.map((c) => c.frames ?? 0),
			...(v.hostile ? { sent: v.cycles.reduce((sum, c) => sum + Object.entries(c.hostile ?? {}).filter(([, n]) => typeof n === "number").reduce((s, [, n]) => s + n, 0), 0) } : {}),
		};
	}
	return out;
}

/**
 * The firmware profile: what the sample firmware pushed (its `@@sample` of each run that printed one:
 * frames taken, refused by code, torn) and the camera's lines its torn frames explain. It pushed torn
 * frames, or the profile did not test them.
 */
export function firmwarePushes(r, fail) {
	const samples = r.camera.runs.map((run) => run.sample).filter(Boolean);
	const sum = (pick) => samples.reduce((total, s) => total + pick(s), 0);
	const refused = {};
	for (const s of samples) for (const [code, n] of Object.entries(s.refused)) refused[code] = (refused[code] ?? 0) + n;
	const torn = sum((s) => s.torn);
	if (samples.length && !torn) fail("firmware", "it pushed no torn frame");
	return { video: sum((s) => s.video), audio: sum((s) => s.audio), torn, refused, tornLines: r.camera.tornLines };
}
