/**
 * The storage plan (cloud/PROTOCOL.md §5) and its one validator: the cloud checks a change
 * made through its API with it (strict: unknown fields refused), the camera checks the retained
 * plan it receives (lenient: fields it does not know are ignored). A plan with a field out of
 * range is refused whole (PlanError): nothing of it is stored or applied.
 */
import { MAX_CHANNELS } from "./ids.js";

export type PlanMode = "none" | "continuous" | "event";
const MODES: readonly string[] = ["none", "continuous", "event"];

export interface Plan {
	/** Plan format: a device ignores a plan with another v. */
	v: 1;
	/** Revision, +1 at every change (1: the device's first plan). */
	rev: number;
	mode: PlanMode;
	/** SPEC §1 onStart (true) / onStop (false): whether the camera uploads now. */
	push: boolean;
	preRollS: number;
	postRollS: number;
	maxClipS: number;
	retentionDays: number;
	segmentS: number;
	snapshotIntervalS: number;
	/** The channels the plan applies to (undefined: all). */
	channels?: number[];
}

export class PlanError extends Error {
	// A field, not `this.name = …`: Moddable builds freeze Error.prototype, where that assignment throws.
	override name = "PlanError";
}

// [min, max] of the numeric fields, and their defaults (PROTOCOL §5's table).
const RANGES: Record<string, readonly [number, number]> = {
	preRollS: [0, 60], postRollS: [0, 600], maxClipS: [1, 3600], retentionDays: [1, 3650], segmentS: [1, 10], snapshotIntervalS: [60, 86400],
};
const MAX_REV = 2 ** 53 - 1;
const FIELDS: readonly string[] = ["v", "rev", "mode", "push", "channels", ...Object.keys(RANGES)];

/** A new device's plan, for all of its channels (or all channels when `channels` is not given). */
export function defaultPlan(channels?: number): Omit<Plan, "rev"> {
	const plan: Omit<Plan, "rev"> = { v: 1, mode: "continuous", push: true, preRollS: 5, postRollS: 10, maxClipS: 300, retentionDays: 7, segmentS: 2, snapshotIntervalS: 300 };
	if (channels !== undefined) plan.channels = Array.from({ length: channels }, (_, i) => i);
	return plan;
}

export interface PlanCheck {
	/** The device's channel count: `channels` must name channels below it (default 64). */
	channels?: number;
	/** Refuse fields the plan does not have (the cloud's API); a device ignores them. */
	strict?: boolean;
}

/**
 * `base` with `change` (some of the plan's fields) applied, checked; throws PlanError saying
 * which field is wrong. `push` follows a changed `mode` (continuous pushes) unless also given.
 */
export function applyPlan<P extends Omit<Plan, "rev"> & { rev?: number }>(base: P, change: Record<string, unknown>, check: PlanCheck = {}): P {
	const deviceChannels = check.channels ?? MAX_CHANNELS;
	if (check.strict) for (const key in change) if (FIELDS.indexOf(key) < 0) throw new PlanError(`unknown plan field "${key}"`);
	if (change.v !== undefined && change.v !== 1) throw new PlanError(`plan version v must be 1, not ${String(change.v)}`);
	const plan = { ...base };
	if (change.rev !== undefined) {
		const rev = change.rev;
		if (typeof rev !== "number" || !Number.isInteger(rev) || rev < 1 || rev > MAX_REV) throw new PlanError("rev must be a positive integer");
		plan.rev = rev;
	}
	if (change.mode !== undefined) {
		if (typeof change.mode !== "string" || MODES.indexOf(change.mode) < 0) throw new PlanError("mode must be none, continuous or event");
		plan.mode = change.mode as PlanMode;
		plan.push = change.mode === "continuous";
	}
	if (change.push !== undefined) {
		if (typeof change.push !== "boolean") throw new PlanError("push must be true or false");
		plan.push = change.push;
	}
	const numbers = plan as unknown as Record<string, number>;
	for (const key in RANGES) {
		const value = change[key];
		if (value === undefined) continue;
		const [min, max] = RANGES[key];
		if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) throw new PlanError(`${key} must be an integer in ${min}..${max}`);
		numbers[key] = value;
	}
	if (change.channels !== undefined) {
		const channels = change.channels;
		const bad = () => new PlanError(`channels must be distinct channel numbers in 0..${deviceChannels - 1}`);
		if (!Array.isArray(channels) || channels.length > deviceChannels) throw bad();
		for (let i = 0; i < channels.length; i++) {
			const c = channels[i];
			if (typeof c !== "number" || !Number.isInteger(c) || c < 0 || c >= deviceChannels || channels.indexOf(c) !== i) throw bad();
		}
		plan.channels = (channels as number[]).slice().sort((a, b) => a - b);
	}
	if (plan.maxClipS < plan.preRollS + plan.postRollS) throw new PlanError("maxClipS must be at least preRollS + postRollS");
	return plan;
}

/** The plan a camera received (JSON text on `ivxs/<id>/plan`): a version-1 plan, the missing fields at their defaults. */
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
	if (input.v !== 1) throw new PlanError(`plan version v must be 1, not ${String(input.v)}`);
	return applyPlan({ ...defaultPlan(), rev: 1 }, input);
}

/** Whether the plan records this channel at all. */
export function planCovers(plan: Plan, channel: number): boolean {
	return plan.mode !== "none" && (!plan.channels || plan.channels.indexOf(channel) >= 0);
}
