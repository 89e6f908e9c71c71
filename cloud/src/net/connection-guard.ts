// Bounds on the connections a peer can open and hold before it proves anything:
// a cap in all and per client address (net/client-address.ts; trusted proxies
// count only in all), and timers that cut a connection whose peer stalls — the
// first byte, an HTTP request head, and a minimum rate while the service waits
// on the peer (a request body arriving, or a response the peer is reading).
// The HTTP server never listens itself (the front socket hands it connections),
// so Node's own header and request timeouts never run: this is their place.
// One sweep checks every connection (a timer per socket would cost more than
// the checks do); a connection moves through its phases as the sweep sees them.
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import type { Metrics } from "../ops/metrics.js";
import { addressKey, type ClientAddresses } from "./client-address.js";

export interface ConnectionLimits {
	maxConnections: number;
	maxConnectionsPerAddress: number;
	firstByteMs: number;
	headMs: number;
	minBytesPerS: number;
	rateWindowMs: number;
}

type Phase = "first-byte" | "head" | "body" | "answer" | "idle" | "mqtt";

interface Watch {
	/** The TCP socket (bytes counted there) and the one the protocol reads (its TLS wrapper, or itself). */
	raw: Socket;
	outer: Socket;
	key?: string;
	phase: Phase;
	/** When the phase (or the current rate window) began, and the byte counts then. */
	since: number;
	read: number;
	written: number;
	req?: IncomingMessage;
	res?: ServerResponse;
}

export class ConnectionGuard {
	#limits: ConnectionLimits;
	#addresses: ClientAddresses;
	#metrics: Metrics;
	#log: Logger;
	/** By TCP socket; #byOuter finds them from the socket the protocol reads. */
	#watches = new Map<Socket, Watch>();
	#byOuter = new WeakMap<Socket, Watch>();
	#perAddress = new Map<string, number>();
	#sweep: NodeJS.Timeout;
	/** When a full cap was last logged (once a minute at most: an attack must not flood the log). */
	#warnedAt = 0;
	/** Milliseconds; injected so a test moves time itself rather than trusting a loaded machine's sleeps. */
	#now: () => number;

	constructor(limits: ConnectionLimits, addresses: ClientAddresses, metrics: Metrics, log: Logger, now: () => number = Date.now) {
		this.#limits = limits;
		this.#now = now;
		this.#addresses = addresses;
		this.#metrics = metrics;
		this.#log = log;
		// A quarter of the shortest timer: a stalled peer is cut at most 25 % late.
		const tick = Math.max(50, Math.min(1000, Math.min(limits.firstByteMs, limits.headMs, limits.rateWindowMs) / 4));
		this.#sweep = setInterval(() => this.sweep(), tick).unref();
		metrics.gauge("ivxs_connections_open", "Connections open on the service's port (HTTP and MQTT)", () => this.#watches.size);
		// Past the open-file limit, accept() fails for everyone: the cap must come first.
		const files = openFileLimit();
		if (files !== undefined && files < limits.maxConnections + 256)
			log.warn({ maxConnections: limits.maxConnections, openFileLimit: files }, "the open-file limit is below maxConnections + 256: raise it (ulimit -n, LimitNOFILE) or lower maxConnections");
	}

	/** A new TCP connection: false (and closed) when over a cap; else watched until it closes. */
	admit(socket: Socket): boolean {
		const peer = socket.remoteAddress;
		// Behind a trusted proxy every client shares its address: only the total caps it.
		const key = peer && !this.#addresses.isProxy(peer) ? addressKey(peer) : undefined;
		const fromKey = key ? this.#perAddress.get(key) ?? 0 : 0;
		const over = this.#watches.size >= this.#limits.maxConnections ? "total" : fromKey >= this.#limits.maxConnectionsPerAddress ? "per-address" : undefined;
		if (over) {
			this.#metrics.inc("ivxs_connections_refused_total", "Connections closed at once: a connection cap was reached", { cap: over });
			const now = this.#now();
			if (now - this.#warnedAt > 60_000) {
				this.#warnedAt = now;
				this.#log.warn({ cap: over, open: this.#watches.size, address: key }, "connection cap reached: new connections are closed (ivxs_connections_refused_total)");
			}
			socket.destroy();
			return false;
		}
		if (key) this.#perAddress.set(key, fromKey + 1);
		const watch: Watch = { raw: socket, outer: socket, key, phase: "first-byte", since: this.#now(), read: 0, written: 0 };
		this.#watches.set(socket, watch);
		socket.once("close", () => {
			this.#watches.delete(socket);
			if (!key) return;
			const left = (this.#perAddress.get(key) ?? 1) - 1;
			if (left > 0) this.#perAddress.set(key, left);
			else this.#perAddress.delete(key);
		});
		return true;
	}

	/** The connection's first byte came (`outer` reads it: the TLS socket, or the TCP one). */
	sniffed(raw: Socket, outer: Socket, protocol: "http" | "mqtt"): void {
		const watch = this.#watches.get(raw);
		if (!watch) return;
		watch.outer = outer;
		// MQTT: the broker cuts a CONNECT that does not arrive in time and, after it, idle clients.
		this.#enter(watch, protocol === "http" ? "head" : "mqtt", this.#now());
		this.#byOuter.set(outer, watch);
	}

	/** An HTTP request's head was parsed. */
	request(req: IncomingMessage, res: ServerResponse): void {
		const watch = this.#byOuter.get(req.socket);
		if (!watch) return;
		watch.req = req;
		watch.res = res;
		this.#enter(watch, "body", this.#now());
	}

	close(): void {
		clearInterval(this.#sweep);
	}

	/** Cuts every connection whose peer ran out of a timer (the interval calls it; so may a test). */
	sweep(): void {
		this.#check(this.#now());
	}

	#enter(watch: Watch, phase: Phase, now: number) {
		watch.phase = phase;
		watch.since = now;
		watch.read = watch.raw.bytesRead;
		watch.written = sent(watch.raw);
	}

	#check(now: number) {
		for (const watch of this.#watches.values()) {
			const cut = this.#verdict(watch, now);
			if (!cut) continue;
			this.#metrics.inc("ivxs_connections_cut_total", "Connections cut because the peer stalled, by timer", { timer: cut });
			this.#log.debug({ address: watch.raw.remoteAddress, timer: cut }, "connection cut: peer stalled");
			watch.outer.destroy();
			if (watch.outer !== watch.raw) watch.raw.destroy();
		}
	}

	/** The timer a connection ran out of, if any; moves it to its next phase as requests progress. */
	#verdict(watch: Watch, now: number): Phase | undefined {
		const { req, res } = watch;
		const elapsed = now - watch.since;
		const limits = this.#limits;
		switch (watch.phase) {
			case "first-byte":
				return elapsed > limits.firstByteMs ? "first-byte" : undefined;
			case "head":
				return elapsed > limits.headMs ? "head" : undefined;
			case "mqtt":
				return undefined;
			case "idle":
				// Bytes of a next request: its head is timed from here (an idle keep-alive
				// connection is Node's to close, after keepAliveTimeout).
				if (watch.raw.bytesRead > watch.read) this.#enter(watch, "head", now);
				return undefined;
			case "body":
				if (req!.complete) {
					this.#enter(watch, "answer", now);
					return this.#verdict(watch, now);
				}
				// Bytes waiting for the service to read them: the peer is not the one stalling.
				if (req!.readableLength > 0) {
					this.#enter(watch, "body", now);
					return undefined;
				}
				return this.#rate(watch, now, watch.raw.bytesRead - watch.read, "body");
			case "answer":
				if (res!.writableFinished || res!.destroyed) {
					this.#enter(watch, "idle", now);
					return undefined;
				}
				// Only while the peer holds up the response (its bytes wait in our buffers).
				if (watch.outer.writableLength === 0 && watch.raw.writableLength === 0) {
					this.#enter(watch, "answer", now);
					return undefined;
				}
				return this.#rate(watch, now, sent(watch.raw) - watch.written, "answer");
		}
	}

	#rate(watch: Watch, now: number, moved: number, phase: "body" | "answer"): Phase | undefined {
		const window = this.#limits.rateWindowMs;
		if (now - watch.since < window) return undefined;
		if (moved < (this.#limits.minBytesPerS * window) / 1000) return phase;
		this.#enter(watch, phase, now);
		return undefined;
	}
}

/**
 * Bytes the kernel took from `socket`: its bytesWritten counts bytes still queued in Node too, so a
 * reader that never reads would look busy while the service queues for it. Counted on the TCP socket:
 * under TLS the wrapper writes through its handle, and those counts stop when the kernel stops taking.
 */
const sent = (socket: Socket) => socket.bytesWritten - socket.writableLength;

/** The soft limit on open files (Linux: /proc/self/limits), if known. */
function openFileLimit(): number | undefined {
	try {
		const soft = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"))?.[1];
		return soft === undefined ? undefined : Number(soft);
	}
	catch {
		return undefined;
	}
}
