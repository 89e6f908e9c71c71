/**
 * The camera's viewers on every wire, counted in one place: one viewer limit, one uplink share,
 * one figures shape. A wire (the native P2P transport, WebRTC) registers what the registry needs of
 * it — how many viewers it has open, how to hand them their part of the uplink, their figures in
 * the report's shape (cloud/PROTOCOL.md §5) — and asks the registry whether a new viewer has a place.
 */
import type { Link, P2P } from "../p2p/index.js";
import { MAX_REPORTED_SESSIONS, type P2pSessionFigures, type Wire } from "../protocol/signal.js";
import type { WebRtcEndpoint } from "../webrtc/endpoint.js";

export interface ViewerWire {
	/** Its viewers open now (one that is being refused included, until it is closed). */
	open(): number;
	/** Its viewers' part of the uplink, bytes/s: its own congestion control works inside it (0: no budget). */
	setUplink(bytesPerSecond: number): void;
	/** Its viewers' figures for the cloud's session list. */
	figures(): P2pSessionFigures[];
}

export class Viewers {
	readonly limit: number;
	/** In registration order: the first keeps a part of the uplink while it has no viewer (share). */
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

	/**
	 * Splits the viewers' budget (bytes/s) between the wires, an equal part per viewer. The first wire
	 * registered keeps a part while it has none, so its next viewer starts inside the budget (a wire's
	 * 0 means no budget), and it takes what rounding leaves; another wire without viewers gets 0.
	 */
	share(budget: number): Map<Wire, number> {
		const wires = [...this.#wires];
		const parts = wires.map(([, wire], i) => i === 0 ? Math.max(1, wire.open()) : wire.open());
		const total = parts.reduce((sum, n) => sum + n, 0), each = Math.floor(budget / total);
		const shares = new Map<Wire, number>();
		wires.forEach(([name], i) => shares.set(name, parts[i] * each));
		if (wires.length) shares.set(wires[0][0], budget - (total - parts[0]) * each);
		for (const [name, wire] of wires) wire.setUplink(shares.get(name)!);
		return shares;
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
	setUplink: (bytesPerSecond) => p2p.setUplink(bytesPerSecond),
	figures: () => p2p.sessions().map((s) => ({
		session: s.peer, action: s.media?.action ?? "", talk: s.talk, srttMs: Math.round(s.srttMs),
		rate: Math.round(s.avgRate), buffered: s.sendBuffered, memory: s.footprintBytes, path: s.path, bandwidth: Math.round(s.bandwidth),
		watermarks: s.watermarks, level: s.level,
	})),
});

/** The WebRTC endpoint as a wire of the registry; `link`: the socket it shares (its paths). */
export const webrtcWire = (endpoint: WebRtcEndpoint, link: Link): ViewerWire => ({
	open: () => endpoint.size,
	setUplink: (bytesPerSecond) => endpoint.setUplink(bytesPerSecond),
	// ICE-lite on host candidates: the path is a host pair (srflx and relay paths come with the camera's gathering)
	figures: () => endpoint.figures().map((w) => ({
		session: w.session, action: w.connected ? "live" : "", talk: w.talk, srttMs: Math.max(0, w.rttMs), rate: w.rate, buffered: 0, memory: 0, wire: "webrtc" as const,
		...(w.bandwidth !== undefined ? { bandwidth: Math.round(w.bandwidth) } : {}),
		...(w.peer ? { path: link.pathTo(w.session, w.peer.address, w.peer.port) } : {}),
	})),
});
