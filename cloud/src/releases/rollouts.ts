// Rollouts of a release (cloud/API.md "Rollouts"): a target (all devices, a list, a percentage),
// cut into cumulative stages (e.g. 1 % → 10 % → 100 % of the target, in a fixed random order).
// A device of the current stage is offered the release (retained on ivxs/<id>/ota); its status
// reports move it along (offered → downloading → staged → trial → confirmed, or failed with the
// reason). A stage whose failures pass the threshold pauses the rollout by itself; a stage whose
// devices have all finished opens the next. Pause, resume and cancel are the operator's.
// Every instance may drive: each step is a conditional UPDATE, publishing an offer twice is harmless.
import { createHash, randomBytes } from "node:crypto";
import type { Sql } from "../meta/sql.js";
import { RELEASES_LOCK, ReleaseError, findRelease, type Release } from "./releases.js";
import { releasePath, type OtaOffer, type OtaReport } from "../../../modules/protocol/ota.js";

export const ROLLOUT_STATES = ["running", "paused", "cancelled", "done"] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];
/** A device's place in a rollout. `failed` counts against the stage; `withdrawn`: the rollout was cancelled first. */
export const DEVICE_STATES = ["waiting", "offered", "downloading", "staged", "trial", "confirmed", "failed", "withdrawn"] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];
const FINISHED: readonly string[] = ["confirmed", "failed"];

export interface RolloutRequest {
	version: string;
	/** Every registered device, these ids, or this percentage of all (chosen by a hash of the rollout and the id). */
	devices?: "all" | string[];
	percent?: number;
	/** Cumulative percentages of the target, rising, ending at 100 (default [100]). */
	stages?: number[];
	/** Failed ÷ devices of a stage above which it pauses (default 0.2). */
	failureThreshold?: number;
}

export interface Rollout {
	id: string;
	version: string;
	stages: number[];
	stage: number;
	state: RolloutState;
	reason: string;
	failureThreshold: number;
	created: number;
	updated: number;
}

interface RolloutRow { id: string; version: string; stages: string; stage: number; state: RolloutState; reason: string; failure_threshold: number; created: number; updated: number }
const fromRow = (r: RolloutRow): Rollout => ({ id: r.id, version: r.version, stages: JSON.parse(r.stages), stage: r.stage, state: r.state, reason: r.reason, failureThreshold: r.failure_threshold, created: r.created, updated: r.updated });

const order = (rollout: string, device: string) => createHash("sha256").update(`${rollout}\n${device}`).digest("hex");

function checkRequest(body: RolloutRequest): { stages: number[]; threshold: number } {
	if (typeof body.version !== "string") throw new ReleaseError("version is required");
	const stages = body.stages ?? [100];
	if (!Array.isArray(stages) || !stages.length || stages.length > 10 || stages.some((s, i) => typeof s !== "number" || !(s > 0 && s <= 100) || (i > 0 && s <= stages[i - 1])) || stages[stages.length - 1] !== 100)
		throw new ReleaseError("stages must be 1 to 10 rising percentages (0, 100], the last 100");
	const threshold = body.failureThreshold ?? 0.2;
	if (typeof threshold !== "number" || !(threshold >= 0 && threshold <= 1)) throw new ReleaseError("failureThreshold must be a number 0 … 1");
	if (body.percent !== undefined && (typeof body.percent !== "number" || !(body.percent > 0 && body.percent <= 100))) throw new ReleaseError("percent must be in (0, 100]");
	if (body.devices !== undefined && body.devices !== "all" && (!Array.isArray(body.devices) || !body.devices.length || body.devices.length > 100_000 || body.devices.some((d) => typeof d !== "string")))
		throw new ReleaseError("devices must be \"all\" or a list of device ids");
	return { stages, threshold };
}

export async function createRollout(sql: Sql, body: RolloutRequest, now = Date.now()): Promise<Rollout> {
	const { stages, threshold } = checkRequest(body);
	const release = await findRelease(sql, body.version);
	if (!release) throw new ReleaseError(`no release ${body.version}`, 404);
	const id = randomBytes(8).toString("hex");
	const registered = (await sql.all<{ id: string }>("SELECT id FROM devices ORDER BY id")).map((r) => r.id);
	let target: string[];
	if (Array.isArray(body.devices)) {
		const known = new Set(registered);
		const unknown = body.devices.filter((d) => !known.has(d));
		if (unknown.length) throw new ReleaseError(`unknown devices: ${unknown.slice(0, 10).join(", ")}`);
		target = [...new Set(body.devices)];
	}
	else target = registered;
	target.sort((a, b) => (order(id, a) < order(id, b) ? -1 : 1));
	if (body.percent !== undefined) target = target.slice(0, Math.ceil((target.length * body.percent) / 100));
	if (!target.length) throw new ReleaseError("the target has no devices");
	// Stage i covers the first ceil(n × stages[i] / 100) devices (at least one more than the stage before).
	const stageOf: number[] = [];
	let from = 0;
	stages.forEach((percent, stage) => {
		const to = Math.min(target.length, Math.max(from + 1, Math.ceil((target.length * percent) / 100)));
		for (let i = from; i < to; i++) stageOf[i] = stage;
		from = to;
	});
	await sql.transaction(async (tx) => {
		if (!await tx.get("SELECT version FROM releases WHERE version = ?", [release.version])) throw new ReleaseError(`no release ${body.version}`, 404);
		await tx.run("INSERT INTO rollouts (id, version, stages, stage, state, reason, failure_threshold, created, updated) VALUES (?, ?, ?, 0, 'running', '', ?, ?, ?)",
			[id, release.version, JSON.stringify(stages), threshold, now, now]);
		for (let i = 0; i < target.length; i++)
			await tx.run("INSERT INTO rollout_devices (rollout, device, stage, state, reason, updated) VALUES (?, ?, ?, 'waiting', '', ?)", [id, target[i], stageOf[i] ?? stages.length - 1, now]);
	}, { lock: RELEASES_LOCK });   // against removeRelease: the release is still there when the rollout starts
	return (await findRollout(sql, id))!;
}

export async function findRollout(sql: Sql, id: string): Promise<Rollout | undefined> {
	const row = await sql.get<RolloutRow>("SELECT * FROM rollouts WHERE id = ?", [id]);
	return row ? fromRow(row) : undefined;
}

export async function listRollouts(sql: Sql): Promise<Rollout[]> {
	return (await sql.all<RolloutRow>("SELECT * FROM rollouts ORDER BY created DESC, id LIMIT 200")).map(fromRow);
}

export interface RolloutDevice { device: string; stage: number; state: DeviceState; reason: string; updated: number }

export async function rolloutDevices(sql: Sql, id: string): Promise<RolloutDevice[]> {
	return sql.all<RolloutDevice>("SELECT device, stage, state, reason, updated FROM rollout_devices WHERE rollout = ? ORDER BY stage, device", [id]);
}

/** Per stage: how many devices, and how many in each state. */
export async function stageCounts(sql: Sql, rollout: Rollout): Promise<{ stage: number; percent: number; devices: number; counts: Record<string, number> }[]> {
	const rows = await sql.all<{ stage: number; state: string; n: number }>("SELECT stage, state, COUNT(*) AS n FROM rollout_devices WHERE rollout = ? GROUP BY stage, state", [rollout.id]);
	return rollout.stages.map((percent, stage) => {
		const counts: Record<string, number> = {};
		for (const row of rows) if (row.stage === stage) counts[row.state] = Number(row.n);
		return { stage, percent, devices: Object.values(counts).reduce((a, b) => a + b, 0), counts };
	});
}

/** pause | resume | cancel; resolves the rollout after, or throws (404, 409). */
export async function changeRollout(sql: Sql, id: string, action: "pause" | "resume" | "cancel", now = Date.now()): Promise<Rollout> {
	const rollout = await findRollout(sql, id);
	if (!rollout) throw new ReleaseError(`no rollout ${id}`, 404);
	const from = { pause: ["running"], resume: ["paused"], cancel: ["running", "paused"] }[action];
	const to = { pause: "paused", resume: "running", cancel: "cancelled" }[action];
	const changed = await sql.run(`UPDATE rollouts SET state = ?, reason = ?, updated = ? WHERE id = ? AND state IN (${from.map(() => "?").join(", ")})`,
		[to, action === "resume" ? "" : `${to} by an operator`, now, id, ...from]);
	if (!changed.changes) throw new ReleaseError(`rollout ${id} is ${rollout.state}: cannot ${action}`, 409);
	return (await findRollout(sql, id))!;
}

/** Whether a rollout offered `version` to the device (it may download the bundle). */
export async function offeredTo(sql: Sql, device: string, version: string): Promise<boolean> {
	return !!await sql.get("SELECT 1 AS ok FROM rollout_devices d JOIN rollouts r ON r.id = d.rollout WHERE d.device = ? AND r.version = ? AND d.state NOT IN ('waiting', 'withdrawn')", [device, version]);
}

/** What to tell the devices (publish retained on ivxs/<id>/ota; undefined = withdraw). */
export type Tell = (device: string, offer: OtaOffer | undefined) => Promise<void>;

/** One step of every live rollout: offers to the current stage's waiting devices, then the stage's verdict. */
export async function driveRollouts(sql: Sql, tell: Tell, now = Date.now()): Promise<void> {
	for (const row of await sql.all<RolloutRow>("SELECT * FROM rollouts WHERE state IN ('running', 'cancelled') ORDER BY created")) {
		const rollout = fromRow(row);
		if (rollout.state === "cancelled") {
			// Withdraw the offers of devices that have not finished; they stay as they are.
			for (const d of await sql.all<{ device: string }>("SELECT device FROM rollout_devices WHERE rollout = ? AND state NOT IN ('waiting', 'confirmed', 'failed', 'withdrawn')", [rollout.id])) {
				await tell(d.device, undefined);
				await sql.run("UPDATE rollout_devices SET state = 'withdrawn', updated = ? WHERE rollout = ? AND device = ?", [now, rollout.id, d.device]);
			}
			continue;
		}
		const release = await findRelease(sql, rollout.version);
		if (!release) continue;
		for (const d of await sql.all<{ device: string }>("SELECT device FROM rollout_devices WHERE rollout = ? AND stage <= ? AND state = 'waiting'", [rollout.id, rollout.stage])) {
			// Offered before it is told: a device that fetches its bundle the moment the offer
			// reaches it (before the broker's PUBACK reaches the cloud) is let through (offeredTo),
			// not answered 404. An offer not told goes back to waiting, for the next drive.
			await sql.run("UPDATE rollout_devices SET state = 'offered', updated = ? WHERE rollout = ? AND device = ? AND state = 'waiting'", [now, rollout.id, d.device]);
			try {
				await tell(d.device, offerOf(rollout, release, d.device));
			}
			catch (error) {
				await sql.run("UPDATE rollout_devices SET state = 'waiting' WHERE rollout = ? AND device = ? AND state = 'offered'", [rollout.id, d.device]);
				throw error;
			}
		}
		await judgeStage(sql, rollout, now);
	}
}

const offerOf = (rollout: Rollout, release: Release, device: string): OtaOffer => ({
	rollout: rollout.id, version: release.version, path: releasePath(device, release.version), size: release.bundleSize, sha256: release.manifest.sha256,
});

async function judgeStage(sql: Sql, rollout: Rollout, now: number): Promise<void> {
	const states = await sql.all<{ state: string; n: number }>("SELECT state, COUNT(*) AS n FROM rollout_devices WHERE rollout = ? AND stage = ? GROUP BY state", [rollout.id, rollout.stage]);
	const total = states.reduce((sum, s) => sum + Number(s.n), 0);
	const failed = Number(states.find((s) => s.state === "failed")?.n ?? 0);
	const finished = states.filter((s) => FINISHED.includes(s.state)).reduce((sum, s) => sum + Number(s.n), 0);
	if (total && failed / total > rollout.failureThreshold) {
		await sql.run("UPDATE rollouts SET state = 'paused', reason = ?, updated = ? WHERE id = ? AND state = 'running' AND stage = ?",
			[`stage ${rollout.stage + 1} (${rollout.stages[rollout.stage]} %): ${failed} of ${total} devices failed, over the threshold of ${rollout.failureThreshold * 100} %`, now, rollout.id, rollout.stage]);
		return;
	}
	if (finished < total) return;
	if (rollout.stage + 1 < rollout.stages.length)
		await sql.run("UPDATE rollouts SET stage = stage + 1, updated = ? WHERE id = ? AND state = 'running' AND stage = ?", [now, rollout.id, rollout.stage]);
	else
		await sql.run("UPDATE rollouts SET state = 'done', updated = ? WHERE id = ? AND state = 'running'", [now, rollout.id]);
}

/** A device's report (its status's `ota`) moves it along in the live rollouts of the version it
 * names; a device that failed has its offer withdrawn (no retry by itself: a new version is). */
export async function recordReport(sql: Sql, tell: Tell, device: string, report: OtaReport, now = Date.now()): Promise<number> {
	const rows = await sql.all<{ rollout: string; version: string; state: string }>(
		"SELECT d.rollout, r.version, d.state FROM rollout_devices d JOIN rollouts r ON r.id = d.rollout WHERE d.device = ? AND r.state IN ('running', 'paused') AND d.state NOT IN ('waiting', 'confirmed', 'failed', 'withdrawn')", [device]);
	let changed = 0;
	for (const row of rows) {
		const next = deviceStateOf(report, row.version);
		if (!next || next === row.state) continue;
		const result = await sql.run("UPDATE rollout_devices SET state = ?, reason = ?, updated = ? WHERE rollout = ? AND device = ? AND state = ?",
			[next, next === "failed" ? `${report.state}: ${report.reason ?? ""}`.slice(0, 300) : "", now, row.rollout, device, row.state]);
		changed += result.changes;
		if (result.changes && next === "failed") await tell(device, undefined);
	}
	return changed;
}

function deviceStateOf(report: OtaReport, version: string): DeviceState | undefined {
	if (report.version === version && (report.state === "confirmed" || report.state === "idle")) return "confirmed";
	if (report.version === version && report.state === "trial") return "trial";
	if (report.target !== version) return undefined;
	if (report.state === "rolled-back" || report.state === "refused") return "failed";
	if (report.state === "downloading" || report.state === "staged") return report.state;
	return undefined;
}

export const rolloutView = (r: Rollout) => ({
	id: r.id, version: r.version, stages: r.stages, stage: r.stage, state: r.state, reason: r.reason, failureThreshold: r.failureThreshold,
	created: new Date(r.created).toISOString(), updated: new Date(r.updated).toISOString(),
});

