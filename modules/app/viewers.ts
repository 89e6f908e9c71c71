/**
 * The camera's viewers on every wire, counted in one place: one viewer limit, one figures shape. A
 * wire (the native P2P transport, WebRTC) registers what the registry needs of it — how many viewers
 * it has open, their figures in the report's shape (cloud/PROTOCOL.md §5) — and asks the registry
 * whether a new viewer has a place. (Their one uplink budget is C's: every wire's viewers take their
 * parts of the one p2p Uplink, native/p2p/uplink.h.)
 */
import type { Link, P2P } from "../p2p/index.js";
import { MAX_REPORTED_SESSIONS, type P2pSessionFigures, type Wire } from "../protocol/signal.js";
import type { WebRtcEndpoint } from "../webrtc/endpoint.js";

export interface ViewerWire {
	/** Its viewers open now (one that is being refused included, until it is closed). */
	open(): number;
	/** Its viewers' figures for the cloud's session list. */
	figures(): P2pSessionFigures[];
}

export class Viewers {
	readonly limit: number;
	#wires = new Map<Wire, ViewerWire>();

	/** `limit`: viewers at once on all wires together. */
	constructor(limit: number) {
		if (!Number.isInteger(limit) || limit < 1) throw new RangeError("viewers: the limit is an integer ≥ 1");
		this.limit = limit;
	}

	/** Registers a wire (again: replaces it). */
	add(name: Wire, wire: ViewerWire): void {
		this.#wires.set(name, wire);
	}

	/** Viewers open on every wire. */
	get open(): number {
		let open = 0;
		for (const wire of this.#wires.values()) open += wire.open();
		return open;
	}

	/** Places left for another viewer on any wire: a new one is refused at 0 (a wire that counts its
	 * new viewer before it asks refuses it below 0). */
	places(): number {
		return this.limit - this.open;
	}

	/** Every wire's viewers' figures, in one list (at most what one report carries). */
	figures(): P2pSessionFigures[] {
		const all: P2pSessionFigures[] = [];
		for (const wire of this.#wires.values()) all.push(...wire.figures());
		return all.slice(0, MAX_REPORTED_SESSIONS);
	}
}

/** The native P2P transport as a wire of the registry. */
export const nativeWire = (p2p: P2P): ViewerWire => ({
	open: () => p2p.sessionCount,
	figures: () => p2p.sessions().map((s) => ({
		session: s.peer, action: s.media?.action ?? "", talk: s.talk, srttMs: Math.round(s.srttMs),
		rate: Math.round(s.avgRate), buffered: s.sendBuffered, memory: s.footprintBytes, path: s.path, bandwidth: Math.round(s.bandwidth),
		watermarks: s.watermarks, level: s.level,
	})),
});

/** The WebRTC endpoint as a wire of the registry; `link`: the socket it shares (its paths). */
export const webrtcWire = (endpoint: WebRtcEndpoint, link: Link): ViewerWire => ({
	open: () => endpoint.size,
	// ICE-lite on host candidates: the path is a host pair (srflx and relay paths come with the camera's gathering)
	figures: () => endpoint.figures().map((w) => ({
		session: w.session, action: w.connected ? "live" : "", talk: w.talk, srttMs: Math.max(0, w.rttMs), rate: w.rate, buffered: 0, memory: 0, wire: "webrtc" as const,
		...(w.bandwidth !== undefined ? { bandwidth: Math.round(w.bandwidth) } : {}),
		...(w.peer ? { path: link.pathTo(w.session, w.peer.address, w.peer.port) } : {}),
	})),
});
