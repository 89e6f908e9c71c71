// Recovery after each fault: how long after it ended each subject (uploads, each P2P viewer, the
// FLV reader, the HLS player) was seen making progress again, from the soak's samples once a second.
import { DEFAULT_RECOVERY_S, FAULTS } from "./faults.mjs";

/** The bound (s) for `subject` ("viewer 2" → viewers) after a fault of `kind`. */
export function boundOf(kind, subject) {
	const group = subject.startsWith("viewer") ? "viewers" : subject;
	return FAULTS[kind].recoveryS?.[group] ?? DEFAULT_RECOVERY_S[group];
}

/**
 * For each fault { kind, start, end }: { subject: seconds until progress after `end` }, or null when
 * none came before the soak ended. `samples`: [{ t, progress: { subject: counter } }].
 */
export function recoveries(faults, samples) {
	return faults.map((fault) => {
		const out = {};
		const before = samples.filter((s) => s.t <= fault.end).at(-1) ?? samples[0];
		for (const subject of Object.keys(samples[0]?.progress ?? {})) {
			let base = before?.progress[subject] ?? 0;
			const next = samples.find((s) => s.t > fault.end && s.progress[subject] > base);
			out[subject] = next ? Math.round((next.t - fault.end) / 100) / 10 : null;
		}
		return { kind: fault.kind, start: fault.start, end: fault.end, recoveryS: out };
	});
}
