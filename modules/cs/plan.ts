/**
 * The storage plan of cloud/PROTOCOL.md §5, as the camera reads it from the retained MQTT topic
 * `ivxs/<id>/plan`. A payload that is not a version-1 plan, or has a field out of its range, is
 * refused whole (PlanError): the camera keeps the plan it has rather than apply half of a bad one.
 */
export type PlanMode = "none" | "continuous" | "event";

export interface Plan {
	v: 1;
	rev: number;
	mode: PlanMode;
	/** SPEC §1 onStart (true) / onStop (false). */
	push: boolean;
	preRollS: number;
	postRollS: number;
	maxClipS: number;
	segmentS: number;
	snapshotIntervalS: number;
	/** The channels the plan applies to (undefined: all). */
	channels?: number[];
}

export class PlanError extends Error {
	override name = "PlanError";
	constructor(message: string) {
		super(message);
	}
}

/** What a device does before it has heard from the cloud: nothing is uploaded. */
export const NO_PLAN: Readonly<Plan> = Object.freeze({
	v: 1, rev: 0, mode: "none", push: false, preRollS: 5, postRollS: 10, maxClipS: 300, segmentS: 2, snapshotIntervalS: 300,
});

// [min, max, default] of the numeric fields (PROTOCOL §5's table).
const RANGES: Record<string, [number, number, number]> = {
	rev: [1, 2 ** 53 - 1, 1],
	preRollS: [0, 60, 5],
	postRollS: [0, 600, 10],
	maxClipS: [1, 3600, 300],
	segmentS: [1, 10, 2],
	snapshotIntervalS: [60, 86400, 300],
};

/** Parses a plan payload (JSON text); throws PlanError saying which field is wrong. */
export function parsePlan(text: string): Plan {
	let value: unknown;
	try {
		value = JSON.parse(text);
	}
	catch {
		throw new PlanError("plan is not JSON");
	}
	if (typeof value !== "object" || value === null || Array.isArray(value)) throw new PlanError("plan is not an object");
	const input = value as Record<string, unknown>;
	if (input.v !== 1) throw new PlanError(`plan version ${String(input.v)} is not 1`);
	const mode = input.mode ?? "continuous";
	if (mode !== "none" && mode !== "continuous" && mode !== "event") throw new PlanError(`plan mode ${String(mode)} is unknown`);
	const push = input.push ?? mode === "continuous";
	if (typeof push !== "boolean") throw new PlanError("plan push must be true or false");
	const plan: Plan = { ...NO_PLAN, mode, push };
	const numbers = plan as unknown as Record<string, number>;
	for (const name in RANGES) {
		const [min, max, fallback] = RANGES[name];
		const v = input[name] ?? fallback;
		if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new PlanError(`plan ${name} must be an integer in ${min}..${max}`);
		numbers[name] = v;
	}
	if (plan.maxClipS < plan.preRollS + plan.postRollS) throw new PlanError("plan maxClipS is below preRollS + postRollS");
	if (input.channels !== undefined) {
		const channels = input.channels;
		if (!Array.isArray(channels) || channels.length > 64) throw new PlanError("plan channels must be a list of at most 64 channels");
		for (let i = 0; i < channels.length; i++) {
			const c = channels[i];
			if (typeof c !== "number" || !Number.isInteger(c) || c < 0 || c > 63 || channels.indexOf(c) !== i) throw new PlanError("plan channels must be distinct integers in 0..63");
		}
		plan.channels = channels.slice();
	}
	return plan;
}

/** Whether the plan records this channel at all. */
export function planCovers(plan: Plan, channel: number): boolean {
	return plan.mode !== "none" && (!plan.channels || plan.channels.indexOf(channel) >= 0);
}
