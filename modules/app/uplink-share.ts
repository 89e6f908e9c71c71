/**
 * How the camera shares its uplink (issue 14 §2): cloud storage first, P2P viewers together get
 * the rest. With `--uplink-kbps N` the camera knows its uplink; once a second it measures what
 * its channels produce (the rings' bytes pushed) and, while the plan uploads, reserves that × 1.5
 * for cloud storage (headroom to catch up after a cut); the viewers' budget (the p2p module's
 * `Uplink`) is what is left, but never below `floorBytes` (a viewer can always get a picture; that
 * floor is the only thing viewers can take from cloud storage). Inside the budget the viewers of
 * every wire take their parts in C (native/p2p/uplink.h: max-min fair, each viewer's congestion
 * control inside its part), so four viewers on a short uplink get a quarter each and a new viewer
 * takes from the other viewers, not from cloud storage. Without `--uplink-kbps` there is no budget:
 * every sender finds its own rate (TCP for cloud storage, each viewer's congestion control).
 */
export const CS_HEADROOM = 1.5;

export interface UplinkShareOptions {
	/** The camera's uplink, bytes/s. */
	uplinkBytes: number;
	/** Bytes/s P2P keeps however much cloud storage needs. Default 16 KB/s. */
	floorBytes?: number;
}

/** P2P's budget, bytes/s, given what cloud storage's streams produce (bytes/s) and whether it uploads. */
export function p2pBudget(options: UplinkShareOptions, csBytesPerS: number, csUploading: boolean): number {
	const reserve = csUploading ? Math.ceil(csBytesPerS * CS_HEADROOM) : 0;
	return Math.max(options.floorBytes ?? 16_000, options.uplinkBytes - reserve);
}

/** The rings' production rate, measured between calls: bytes/s. */
export class ProductionMeter {
	#last: { at: number; bytes: number } | undefined;

	/** `bytes`: the rings' bytes pushed so far; `at`: ms. */
	sample(bytes: number, at: number): number | undefined {
		const last = this.#last;
		this.#last = { at, bytes };
		if (!last || at <= last.at) return undefined;
		return ((bytes - last.bytes) * 1000) / (at - last.at);
	}
}
