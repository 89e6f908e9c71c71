/**
 * OTA on the control channel (cloud/PROTOCOL.md §7): the cloud's offer (retained on
 * `ivxs/<id>/ota`, one per device; empty = none) and the device's report (the `ota` field of its
 * retained status). The bundle itself: bundle.ts and modules/ota/FORMAT.md.
 */
import { DEVICE_ID, SHA256_HEX } from "./ids.js";
import { isVersion } from "./bundle.js";
import { pattern } from "./pattern.js";

export interface OtaOffer {
	rollout: string;
	version: string;
	/** Where the device GETs the bundle (signed, with Range): releasePath(). */
	path: string;
	/** The whole bundle's bytes and the payload's SHA-256 (the manifest's). */
	size: number;
	sha256: string;
}

export const OTA_STATES = Object.freeze(["idle", "downloading", "staged", "trial", "confirmed", "rolled-back", "refused"] as const);
export type OtaState = (typeof OTA_STATES)[number];

/** What a device reports (status.ota). */
export interface OtaReport {
	/** The running app layer's version ("" = the firmware's own). */
	version: string;
	slot: string;
	state: OtaState;
	/** Why a rollback or a refusal happened. */
	reason?: string;
	/** The version being downloaded, staged, refused or rolled back. */
	target?: string;
}

const ROLLOUT = pattern(/^[a-z0-9]{1,32}$/);

/** The device's own GET of a release (signed like every device request). */
export const releasePath = (device: string, version: string): string => `/v1/devices/${device}/releases/${version}`;

/** An offer from its JSON, or undefined (an empty message withdraws the offer). */
export function otaOfferOf(value: unknown, device: string): OtaOffer | undefined {
	if (!value || typeof value !== "object") return undefined;
	const o = value as Record<string, unknown>;
	if (typeof o.rollout !== "string" || !ROLLOUT.test(o.rollout) || !isVersion(o.version) || !DEVICE_ID.test(device)) return undefined;
	if (o.path !== releasePath(device, o.version) || !Number.isSafeInteger(o.size) || (o.size as number) < 1 || typeof o.sha256 !== "string" || !SHA256_HEX.test(o.sha256)) return undefined;
	return { rollout: o.rollout, version: o.version, path: o.path, size: o.size as number, sha256: o.sha256 };
}

/** A report from a status message, or undefined when it has none or a malformed one. */
export function otaReportOf(value: unknown): OtaReport | undefined {
	if (!value || typeof value !== "object") return undefined;
	const r = value as Record<string, unknown>;
	const text = (v: unknown, max: number) => v === undefined || (typeof v === "string" && v.length <= max);
	if (!(r.version === "" || isVersion(r.version)) || typeof r.slot !== "string" || r.slot.length > 1 || !OTA_STATES.includes(r.state as OtaState)) return undefined;
	if (!text(r.reason, 300) || !(r.target === undefined || isVersion(r.target))) return undefined;
	return { version: r.version as string, slot: r.slot, state: r.state as OtaState, reason: r.reason as string | undefined, target: r.target as string | undefined };
}
