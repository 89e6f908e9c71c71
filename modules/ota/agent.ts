/**
 * The camera's side of a rollout: the cloud's retained offer (PROTOCOL §7) starts an install
 * (updater.ts) of the offered version, reported as it goes over the control channel; a cut
 * download, a network error or a "not now" answer (updater.ts's UnavailableError: a 404, 5xx, …)
 * is tried again with backoff while the offer stands; a refusal is final for that offer. Once
 * staged, `onStaged` lets the app restart into the trial at a moment of its choosing.
 */
import type { OtaRecord, OtaSlots } from "./slots.js";
import { backoffDelay } from "../net/backoff.js";
import { BundleError } from "../protocol/bundle.js";
import { otaOfferOf, type OtaOffer, type OtaReport } from "../protocol/ota.js";
import type { OtaUpdater, RangeFetch } from "./updater.js";
import { reportOf } from "./trial.js";

export interface AgentOptions {
	device: string;
	slots: OtaSlots;
	updater: OtaUpdater;
	/** A RangeFetch for a path on the cloud (signed requests). */
	fetchOf: (path: string) => RangeFetch;
	report: (report: OtaReport) => void;
	onStaged: (version: string) => void;
	timer: { set(callback: () => void, delay: number): unknown; clear(timer: unknown): void };
	log: (message: string) => void;
}

export class OtaAgent {
	#o: AgentOptions;
	#offer: OtaOffer | undefined;
	#busy = false;
	#tries = 0;
	#retry: unknown;
	#refused = "";

	constructor(options: AgentOptions) {
		this.#o = options;
	}

	/** The retained message's JSON (undefined: no offer). */
	offer(value: unknown): void {
		const offer = otaOfferOf(value, this.#o.device);
		this.#offer = offer;
		this.#tries = 0;
		if (this.#retry !== undefined) this.#o.timer.clear(this.#retry);
		this.#retry = undefined;
		if (offer) this.#run();
	}

	#run(): void {
		const offer = this.#offer;
		if (!offer || this.#busy) return;
		const record: OtaRecord = this.#o.slots.status();
		// Installed, waiting for its trial, refused already, or just rolled back (never again by
		// itself: a retry is a new version): nothing to do but say where it stands.
		const failed = record.result === "rolled-back" && record.failedVersion === offer.version;
		if (record.trial || record.activeVersion === offer.version || record.pendingVersion === offer.version || failed || this.#refused === `${offer.rollout}/${offer.version}`) {
			this.#o.report(reportOf(record));
			return;
		}
		this.#busy = true;
		this.#o.report({ version: record.activeVersion, slot: record.active, state: "downloading", target: offer.version });
		this.#o.log(`ota: installing ${offer.version} (rollout ${offer.rollout})`);
		this.#o.updater.install(this.#o.fetchOf(offer.path)).then((manifest) => {
			this.#busy = false;
			const after = this.#o.slots.status();
			this.#o.report({ version: after.activeVersion, slot: after.active, state: "staged", target: manifest.version });
			this.#o.log(`ota: ${manifest.version} staged in slot ${after.pending}: restart to try it`);
			this.#o.onStaged(manifest.version);
		}, (error: Error) => {
			this.#busy = false;
			const now = this.#o.slots.status();
			const final = error instanceof BundleError && error.code !== "truncated";
			this.#o.log(`ota: ${offer.version} ${final ? "refused" : "not downloaded"}: ${error.message}`);
			if (final) {
				this.#refused = `${offer.rollout}/${offer.version}`;
				this.#o.report({ version: now.activeVersion, slot: now.active, state: "refused", reason: `${(error as BundleError).code}: ${error.message}`, target: offer.version });
				return;
			}
			if (offer !== this.#offer) return;
			this.#retry = this.#o.timer.set(() => {
				this.#retry = undefined;
				this.#run();
			}, backoffDelay(this.#tries++, 1000, 60_000, Math.random()));
		});
	}
}
