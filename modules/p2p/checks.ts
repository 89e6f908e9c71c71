/**
 * Finding a path (issue 14 §3, cloud/PROTOCOL.md §5 "P2P signalling"): on the P2P socket itself,
 * each side answers STUN Binding requests (stun.ts) and sends its own — to a STUN server to learn
 * its server-reflexive address, and to the other side's candidates as connectivity checks (the
 * camera's checks towards the viewer also open the camera's NAT for the viewer's HELLO). The
 * viewer checks every camera candidate at once and takes the best that answered: host before
 * server-reflexive before relayed, then the shortest round trip.
 */
import Timer from "timer";
import { byPreference, CANDIDATE_TYPES, type Candidate } from "../protocol/signal.js";
import { bindingIndication, bindingRequest, bindingSuccess, mappedAnswerAt, parseStun, StunType } from "./stun.js";
import { transactionId } from "./transaction-id.js";
import type { Datagram } from "./udp.js";

export type Write = (bytes: Uint8Array, address: string, port: number) => void;
export interface CheckResult {
	/** Where the other side saw our request come from. */
	mapped: { address: string; port: number };
	rttMs: number;
}
interface Pending {
	resolve(result: CheckResult | undefined): void;
	timer: unknown;
	sent: number;
	/** Where the requests go: only an answer from there settles the check (RFC 8445 §7.2.5.2.1). */
	address: string;
	port: number;
}

/** A check's retransmissions: every `everyMs`, `tries` times (RFC 8489's 500 ms doubling is for
 * servers far away; a check that has not answered in 1 s takes a worse path instead). */
export const CHECK = Object.freeze({ tries: 10, everyMs: 100 });
/** After the first answer, how long a better candidate may still answer. */
export const SETTLE_MS = 150;
/** Destinations whose answered check is remembered (path.ts), at most: twice the sessions a camera serves. */
const MAPPED_KEPT = 64;
/** Checks in flight at once, every destination together (each sends `CHECK.tries` requests, one per
 * `CHECK.everyMs`): at most 32 × 10 = 320 Binding requests a second leave this socket, whatever a
 * viewer's candidates say. A check beyond it is not sent (undefined at once, `refused`). */
export const CHECKS_IN_FLIGHT = 32;

export class Checks {
	#write: Write;
	#monotonic: () => number;
	#pending = new Map<string, Pending>();
	/** NAT openings under way (`open`): no answer settles them. */
	#opening = new Set<Pending>();
	/** The check in flight to each "address:port": a second check there joins it (duplicates merged). */
	#inFlight = new Map<string, Promise<CheckResult | undefined>>();
	/** "address:port" checked → where that side saw our check come from (the latest answer). */
	#mapped = new Map<string, { address: string; port: number }>();
	/** Binding requests answered (a viewer's or camera's checks that reached us). */
	answered = 0;
	/** Checks not sent because CHECKS_IN_FLIGHT were in flight. */
	refused = 0;

	constructor(write: Write, monotonic: () => number) {
		this.#write = write;
		this.#monotonic = monotonic;
	}

	/** The move watch whose answers are read where they lie (MoveWatch registers itself). */
	#moves: MoveWatch | undefined;

	/** A STUN server's answer to the move watch, read in the first `length` bytes of `bytes` from
	 * address:port with nothing made (true: taken) — the link asks before it makes a datagram of it. */
	takeWatched(bytes: Uint8Array, length: number, address: string, port: number): boolean {
		return !!this.#moves?.take(bytes, length, address, port);
	}

	/** Takes a STUN datagram (true): answers a Binding request, settles a check. Anything else: false. */
	take(packet: Datagram): boolean {
		if (this.#moves && this.takeWatched(new Uint8Array(packet), packet.byteLength, packet.address, packet.port)) return true;
		const message = parseStun(packet);
		if (!message) return false;
		if (message.type === StunType.bindingRequest) {
			const reply = bindingSuccess(packet, packet.address, packet.port);
			if (reply) this.#send(reply, packet.address, packet.port);
			this.answered++;
		}
		else if (message.type === StunType.bindingSuccess && message.mapped) {
			const pending = this.#pending.get(message.id);
			// The answer must come from where the request went (symmetric), not just carry its id.
			if (pending && pending.address === packet.address && pending.port === packet.port) {
				this.#pending.delete(message.id);
				Timer.clear(pending.timer as never);
				pending.resolve({ mapped: message.mapped, rttMs: this.#monotonic() - pending.sent });
			}
		}
		return true;
	}

	/** Binding requests to address:port until one is answered (its result) or the tries run out
	 * (undefined). A check already in flight there is joined, not repeated; beyond CHECKS_IN_FLIGHT
	 * none is sent (undefined). */
	check(address: string, port: number, schedule = CHECK): Promise<CheckResult | undefined> {
		const { bytes, id } = bindingRequest(transactionId());
		return this.#start(bytes, id, address, port, schedule);
	}

	/** Opens this end's NAT towards address:port for a peer that checks this end itself and needs no
	 * check back (a WebRTC viewer: the camera is ICE-lite): Binding indications on a check's schedule,
	 * within the same bound, settling undefined when sent. A full ICE agent answers no indication and
	 * starts nothing on one; a request it would answer, and aioice (Debian's 0.8) then starts a second
	 * check of a pair whose first is in flight, whose late answer fails its ICE (1 viewer in 4 here). */
	open(address: string, port: number, schedule = CHECK): Promise<undefined> {
		const id = transactionId();
		return this.#start(bindingIndication(id), undefined, address, port, schedule) as Promise<undefined>;
	}

	/** Sends `bytes` to address:port on `schedule`; `id`: the request's, whose answer settles it. */
	#start(bytes: Uint8Array, id: string | undefined, address: string, port: number, { tries, everyMs }: { tries: number; everyMs: number }): Promise<CheckResult | undefined> {
		const key = `${address}:${port}`;
		const joined = this.#inFlight.get(key);
		if (joined) return joined;
		if (this.#inFlight.size >= CHECKS_IN_FLIGHT) {
			this.refused++;
			return Promise.resolve(undefined);
		}
		let running = true;
		const check = new Promise<CheckResult | undefined>((settle) => {
			let left = tries;
			const resolve = (result: CheckResult | undefined) => {
				running = false;
				this.#inFlight.delete(key);
				if (id !== undefined) this.#pending.delete(id);
				else this.#opening.delete(pending);
				if (result) this.#remember(key, result.mapped);
				settle(result);
			};
			const pending: Pending = { resolve, timer: undefined, sent: this.#monotonic(), address, port };
			const send = () => {
				if (!left--) return resolve(undefined);
				this.#send(bytes, address, port);
				pending.timer = Timer.set(send, everyMs);
			};
			if (id !== undefined) this.#pending.set(id, pending);
			else this.#opening.add(pending);
			send();
		});
		if (running) this.#inFlight.set(key, check);
		return check;
	}

	/** Checks in flight now. */
	get inFlight(): number {
		return this.#inFlight.size;
	}

	/** Where address:port saw our last answered check come from (undefined: none answered). */
	mappedBy(address: string, port: number): { address: string; port: number } | undefined {
		return this.#mapped.get(`${address}:${port}`);
	}

	#remember(key: string, mapped: { address: string; port: number }): void {
		this.#mapped.delete(key);
		this.#mapped.set(key, mapped);
		if (this.#mapped.size > MAPPED_KEPT) this.#mapped.delete(this.#mapped.keys().next().value!);
	}

	/** `watch` reads its answers here from now on (the latest watch of this socket). */
	watchMoves(watch: MoveWatch): void {
		this.#moves = watch;
	}

	/** Sends a STUN message to address:port once, as it is (a move watch's Binding request). */
	sendOnce(bytes: Uint8Array, address: string, port: number): void {
		this.#send(bytes, address, port);
	}

	/** Ends every check in flight (undefined). */
	close(): void {
		for (const pending of [...this.#pending.values(), ...this.#opening]) {
			Timer.clear(pending.timer as never);
			pending.resolve(undefined);
		}
		this.#pending.clear();
		this.#opening.clear();
		this.#inFlight.clear();
	}

	#send(bytes: Uint8Array, address: string, port: number): void {
		try {
			this.#write(bytes, address, port);
		}
		catch {
			// an unreachable candidate (no route): its check just never answers
		}
	}
}

/** Our candidates: a host candidate per local address, then the server-reflexive addresses the
 * STUN servers saw (each once, and not when it is one of the host candidates: no NAT); and how
 * many STUN servers answered. */
export async function gather(checks: Checks, addresses: readonly string[], port: number, stun: ReadonlyArray<{ address: string; port: number }>): Promise<{ candidates: Candidate[]; reached: number }> {
	const candidates = hostCandidates(addresses, port);
	const seen = new Set(candidates.map((c) => `${c.address}:${c.port}`));
	let reached = 0;
	for (const result of await Promise.all(stun.map((server) => checks.check(server.address, server.port)))) {
		if (result) reached++;
		const key = result && `${result.mapped.address}:${result.mapped.port}`;
		if (!result || seen.has(key!)) continue;
		seen.add(key!);
		candidates.push({ type: "srflx", address: result.mapped.address, port: result.mapped.port });
	}
	return { candidates, reached };
}

/** Checks every candidate at once; the best that answered (host, srflx, relay; then RTT), or undefined. */
export function choosePath(checks: Checks, candidates: readonly Candidate[]): Promise<(Candidate & CheckResult) | undefined> {
	const ordered = byPreference(candidates);
	return new Promise((resolve) => {
		const answered: Array<Candidate & CheckResult> = [];
		let left = ordered.length, settle: unknown;
		const decide = () => {
			Timer.clear(settle as never);
			settle = undefined;
			answered.sort((a, b) => CANDIDATE_TYPES.indexOf(a.type) - CANDIDATE_TYPES.indexOf(b.type) || a.rttMs - b.rttMs);
			resolve(answered[0]);
			left = -1;
		};
		if (!left) return resolve(undefined);
		for (const candidate of ordered)
			checks.check(candidate.address, candidate.port).then((result) => {
				if (left < 0) return;
				if (result) answered.push({ ...candidate, ...result });
				if (!--left) return decide();
				// The most preferred kind answered: nothing can beat it but a faster one of its kind.
				if (result && settle === undefined) settle = Timer.set(decide, SETTLE_MS);
			});
	});
}

/** A host candidate's type (a literal is a new string each time it is evaluated on XS). */
const HOST = "host";

/** This end's addresses as host candidates on `port`. */
const hostCandidates = (addresses: readonly string[], port: number): Candidate[] => addresses.map((address) => ({ type: HOST, address, port }));

/** How this end's own candidates read (host and server-reflexive), for the log. */
export const placeOf = (candidates: readonly Candidate[]): string => candidates.map((c) => `${c.type} ${c.address}:${c.port}`).join(", ");

/** A STUN server the move watch asks: its Binding request (kept, a new transaction id written into
 * it each round) and the XOR-MAPPED-ADDRESS value it last answered. */
interface Watched {
	address: string;
	port: number;
	request: Uint8Array;
	answer: Uint8Array;
	/** `answer` holds an answer. */
	known: boolean;
	/** This round's request is out, unanswered. */
	asked: boolean;
}

/**
 * Notices this end's moves mid-session (issue 14 §3), asked every few seconds while a session is
 * open: `check()` gives the candidates to `moved` when they differ from those last sent. This runs
 * for as long as anyone watches, so a round where nothing moved makes nothing: this end's addresses
 * are compared with the host candidates sent, and each STUN server gets its kept Binding request
 * once (a new transaction id written into it), whose answer is compared where it lies with the
 * server's last (Checks.takeWatched). Only a changed address, a server's first answer or a changed
 * one gathers the candidates in full (checks.ts `gather`, with retries) and compares them with those
 * sent; STUN servers none of which answered then tell nothing (the uplink is down now: no move). A
 * round whose request or answer was lost tells nothing either: the next round asks again.
 */
export class MoveWatch {
	#checks: Checks;
	#port: number;
	/** The candidates the other side was last given. */
	#sent: readonly Candidate[] = [];
	/** A full gather is under way (a dead STUN server takes a second to give up): rounds wait. */
	#busy = false;
	#servers: Watched[] = [];
	/** What the round that found a change gathers with, and whom it tells. */
	#addresses: readonly string[] = [];
	#stun: ReadonlyArray<{ address: string; port: number }> = [];
	#moved: ((candidates: Candidate[], watch: MoveWatch) => void) | undefined;

	constructor(checks: Checks, port: number) {
		this.#checks = checks;
		this.#port = port;
		checks.watchMoves(this);
	}

	/** The candidates the other side was last given. */
	sent(candidates: readonly Candidate[]): void {
		this.#sent = candidates;
	}

	/** `moved` gets this end's candidates now if they moved (above), and this watch. */
	check(addresses: readonly string[], stun: ReadonlyArray<{ address: string; port: number }>, moved: (candidates: Candidate[], watch: MoveWatch) => void): void {
		if (this.#busy) return;
		this.#addresses = addresses;
		this.#stun = stun;
		this.#moved = moved;
		if (!this.#hostsSent(addresses)) return this.#gather();
		if (!stun.length) return;
		if (!this.#watching(stun)) this.#servers = stun.map(({ address, port }) => ({ address, port, request: bindingRequest(transactionId()).bytes, answer: new Uint8Array(8), known: false, asked: false }));
		const servers = this.#servers;   // (indexed: an array's iterator is an object a step on XS)
		for (let i = 0; i < servers.length; i++) {
			const server = servers[i];
			server.request.set(transactionId(), 8);
			server.asked = true;
			this.#checks.sendOnce(server.request, server.address, server.port);
		}
	}

	/** A datagram's first `length` bytes from address:port: this round's answer from a server (true)? */
	take(bytes: Uint8Array, length: number, address: string, port: number): boolean {
		const servers = this.#servers;
		for (let s = 0; s < servers.length; s++) {
			const server = servers[s];
			if (!server.asked || server.port !== port || server.address !== address) continue;
			const at = mappedAnswerAt(bytes, length, server.request);
			if (at < 0) continue;
			server.asked = false;
			let same = server.known;
			for (let i = 0; same && i < 8; i++) same = bytes[at + i] === server.answer[i];
			if (same) return true;
			for (let i = 0; i < 8; i++) server.answer[i] = bytes[at + i];
			server.known = true;
			if (!this.#busy) this.#gather();
			return true;
		}
		return false;
	}

	/** Gathers in full and tells `moved` when the candidates differ from those sent. */
	#gather(): void {
		const moved = this.#moved;
		if (!moved) return;
		if (!this.#stun.length) {
			const candidates = hostCandidates(this.#addresses, this.#port);
			if (!this.#isSent(candidates)) moved(candidates, this);
			return;
		}
		this.#busy = true;
		gather(this.#checks, this.#addresses, this.#port, this.#stun).then(({ candidates, reached }) => {
			this.#busy = false;
			if (!reached) this.#forget();   // nothing learnt: the next answer gathers again
			else if (!this.#isSent(candidates)) moved(candidates, this);
		}, () => {
			this.#busy = false;
			this.#forget();
		});
	}

	#forget(): void {
		const servers = this.#servers;
		for (let i = 0; i < servers.length; i++) servers[i].known = false;
	}

	/** Whether the watched servers are `stun`'s, in order. */
	#watching(stun: ReadonlyArray<{ address: string; port: number }>): boolean {
		const servers = this.#servers;
		if (servers.length !== stun.length) return false;
		for (let i = 0; i < stun.length; i++) if (servers[i].address !== stun[i].address || servers[i].port !== stun[i].port) return false;
		return true;
	}

	/** Whether the host candidates sent (gather puts them first) are `addresses` on this port. */
	#hostsSent(addresses: readonly string[]): boolean {
		const sent = this.#sent;
		for (let i = 0; i < addresses.length; i++)
			if (i >= sent.length || sent[i].type !== HOST || sent[i].address !== addresses[i] || sent[i].port !== this.#port) return false;
		return addresses.length >= sent.length || sent[addresses.length].type !== HOST;
	}

	/** Whether `candidates` are those last sent, in order (compared where they lie, no text made). */
	#isSent(candidates: readonly Candidate[]): boolean {
		const sent = this.#sent;
		if (sent.length !== candidates.length) return false;
		for (let i = 0; i < sent.length; i++)
			if (sent[i].type !== candidates[i].type || sent[i].address !== candidates[i].address || sent[i].port !== candidates[i].port) return false;
		return true;
	}
}
