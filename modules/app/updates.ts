/**
 * The camera app's OTA (modules/ota): the trial's health checks (the device file's `ota.checks`
 * of cloud reachable, capture running, uploading when the plan asks), the agent that acts on the
 * cloud's offers, and the reports on the retained status. Off without `ota.keys` in the device
 * file or where the host has no slots (platform `ota` undefined).
 */
import { monotonic, ota } from "ivxs/platform";
import Timer from "timer";
import type { HttpClient } from "../net/http-client.js";
import type { DeviceSigner } from "../net/signing.js";
import type { OtaReport } from "../protocol/ota.js";
import { OtaAgent } from "../ota/agent.js";
import { rangeFetch } from "../ota/fetch.js";
import { superviseTrial } from "../ota/trial.js";
import { OtaUpdater } from "../ota/updater.js";
import type { DeviceConfig, OTA_CHECKS } from "./device-file.js";

/** Exit codes the host's supervisor restarts on: an update staged, a trial failed. */
export const EXIT_UPDATE_STAGED = 75;
export const EXIT_TRIAL_FAILED = 3;

export interface UpdatesOptions {
	config: DeviceConfig;
	signer: DeviceSigner;
	http: HttpClient;
	checks: Record<(typeof OTA_CHECKS)[number], () => boolean>;
	report: (report: OtaReport) => void;
	/** Ends the app with this code (the supervisor restarts it into the right slot). */
	restart: (code: number) => void;
	log: (message: string) => void;
}

/** Starts the trial's supervision and returns the offer handler, or undefined when OTA is off. */
export function startUpdates(o: UpdatesOptions): ((offer: unknown) => void) | undefined {
	const settings = o.config.ota;
	if (!ota || !settings) {
		o.log(`ota: off (${!ota ? "this host has no slots" : "no \"ota\" keys in the device file"})`);
		return undefined;
	}
	const slots = ota;
	const checks = Object.fromEntries(settings.checks.map((name) => [name, o.checks[name]]));
	superviseTrial({ slots, checks, timer: Timer, monotonic, report: o.report, onFailed: (reason) => {
		o.log(`ota: trial failed (${reason}): back to the previous version`);
		o.restart(EXIT_TRIAL_FAILED);
	} });
	const updater = new OtaUpdater({ host: slots, app: "ivxs-camera", keys: settings.keys, deadline: settings.deadline });
	const agent = new OtaAgent({
		device: o.config.id, slots, updater, report: o.report, timer: Timer, log: o.log,
		fetchOf: (path) => rangeFetch((request) => o.signer.request(o.http, request), path),
		onStaged: () => o.restart(EXIT_UPDATE_STAGED),
	});
	return (offer) => agent.offer(offer);
}
