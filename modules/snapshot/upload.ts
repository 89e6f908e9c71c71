/**
 * One snapshot upload, cloud/PROTOCOL.md §4: `PUT /v1/devices/{id}/channels/{ch}/snapshots?time=`
 * with the JPEG bytes as the body — the caller's view goes to the socket as it is (no copy, no
 * string, no base64: the seed's base64 cost a third more bytes) — signed with a fixed body hash
 * (§2). A 401 carrying the cloud's time (the camera's clock is off) is answered once: the signer
 * adopts that time and the request is signed afresh (a new nonce: the first one is spent).
 */
import type { HttpClient, HttpResponse } from "../net/http-client.js";
import type { DeviceSigner } from "../net/signing.js";
import { isChannel } from "../protocol/ids.js";
import { Verdict, verdictOf } from "../protocol/verdict.js";

export interface SnapshotResult {
	/** 201 (stored) or 200 (these bytes were already stored for this time: a retry). */
	status: number;
	/** The JPEG's size as sent. */
	bytes: number;
}

/** The cloud refused the snapshot (4xx/5xx); `status` and the cloud's own `error` text are kept. */
export class SnapshotUploadError extends Error {
	readonly status: number;
	readonly cloudError: string | undefined;
	override name = "SnapshotUploadError";
	constructor(status: number, cloudError: string | undefined, channel: number) {
		super(`snapshot of channel ${channel} refused: ${status}${cloudError ? ` ${cloudError}` : ""}`);
		this.status = status;
		this.cloudError = cloudError;
	}
}

function cloudError(response: HttpResponse): string | undefined {
	try {
		const error = (response.json() as { error?: unknown } | null)?.error;
		return typeof error === "string" ? error : undefined;
	}
	catch {
		return undefined;   // not JSON (a proxy's page): the status says enough
	}
}

/**
 * Uploads one JPEG of `channel`, captured at `time` (unix ms). Network failures reject with the
 * NetError of modules/net; a refusal with SnapshotUploadError.
 */
export async function uploadSnapshot(client: HttpClient, signer: DeviceSigner, channel: number, time: number, jpeg: Uint8Array | ArrayBuffer): Promise<SnapshotResult> {
	if (!isChannel(channel)) throw new RangeError(`bad channel ${channel}`);
	if (!Number.isInteger(time) || time < 0) throw new RangeError(`snapshot time must be unix ms (an integer), not ${time}`);
	const body = jpeg instanceof Uint8Array ? jpeg : new Uint8Array(jpeg);   // a view of the buffer, not a copy
	const request = { method: "PUT", path: `/v1/devices/${signer.deviceId}/channels/${channel}/snapshots?time=${time}`, headers: { "Content-Type": "image/jpeg" }, body };
	let response = await signer.request(client, request);
	// An answer saying the clock is off: the signed time exchange, then once more, signed afresh.
	if (await signer.followClockHint(client, response)) response = await signer.request(client, request);
	if (verdictOf(response.status, false) !== Verdict.Stored) throw new SnapshotUploadError(response.status, cloudError(response), channel);
	return { status: response.status, bytes: body.byteLength };
}
