/**
 * P2P signalling through the control channel (cloud/PROTOCOL.md §5 "P2P signalling"): the cloud
 * hands a camera a viewer's offer in a `cmd` of type `p2p` (the session id, which is also the
 * viewer id in the viewer's ticket, and the viewer's candidates); the camera answers on its `p2p`
 * topic with its own candidates. The camera needs no ticket here: it checks the viewer's ticket
 * offline when the viewer's HELLO arrives (native/p2p/PROTOCOL.md "Tickets"). A `cmd` of type
 * `p2p-end` ends a session the cloud no longer admits (a revoked grant, a removed user).
 * Mid-session, either side's new candidates (its address changed) travel as `p2p-candidates`: the
 * camera's on its `p2p` topic (the cloud hands them to the viewer), the viewer's in a `cmd`.
 */

/** host: an address of the peer's own interfaces; srflx: as a STUN server saw it (RFC 8489);
 * relay: a TURN server's relayed address (RFC 8656). Checked in this order of preference. */
import { pattern } from "./pattern.js";
import { ipv4Octets } from "./candidate-address.js";

export const CANDIDATE_TYPES = Object.freeze(["host", "srflx", "relay"] as const);
export type CandidateType = (typeof CANDIDATE_TYPES)[number];
/** The path a session takes (ICE's pair types, RFC 8445 §5.1.1, worst end wins): prflx is an address
 * neither side offered, learned from the other side's packets (after it moved). In the camera's
 * report and the viewer's once-a-second line (modules/p2p/path.ts judges it). */
export const PATH_TYPES = Object.freeze(["host", "srflx", "prflx", "relay"] as const);
export type PathType = (typeof PATH_TYPES)[number];
export interface Candidate {
	type: CandidateType;
	address: string;
	port: number;
}

/** Candidates in one offer or answer, at most. */
export const MAX_CANDIDATES = 8;
/** A session id: 16 lower-case hex characters (it fits a ticket's 16-byte viewer field). */
export const SESSION_ID = pattern(/^[0-9a-f]{16}$/);

/** A STUN server both sides ask for their server-reflexive address (RFC 8489 Binding). */
export interface StunServer {
	address: string;
	port: number;
}
/** STUN servers in one offer, at most. */
export const MAX_STUN_SERVERS = 2;

/** A TURN server (RFC 8656) with credentials the cloud minted (the TURN REST API scheme). */
export interface TurnServer extends StunServer {
	username: string;
	password: string;
}

export interface P2pOffer {
	session: string;
	candidates: Candidate[];
	stun: StunServer[];
	/** Where the camera allocates a relayed candidate (none: no TURN configured). */
	turn: TurnServer[];
}
/** What a live stream carries (the camera's first channel): the viewer's muxer needs it. */
export interface P2pMedia {
	codec: "h264" | "h265";
	audio: boolean;
}

export interface P2pAnswer {
	session: string;
	/** The camera's candidates; empty with `error` when it cannot serve P2P now. */
	candidates: Candidate[];
	media?: P2pMedia;
	error?: string;
}

const isIpv4 = (text: string): boolean => ipv4Octets(text) !== undefined;

/** One candidate, checked (IPv4 literals: what the transport's address bytes hold), or undefined. */
export function candidateOf(value: unknown): Candidate | undefined {
	if (typeof value !== "object" || value === null) return undefined;
	const { type, address, port } = value as Record<string, unknown>;
	if (!(CANDIDATE_TYPES as readonly unknown[]).includes(type)) return undefined;
	if (typeof address !== "string" || !isIpv4(address)) return undefined;
	if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
	return { type: type as CandidateType, address, port };
}

/** A list of candidates, or undefined when it is not one (too many, or any malformed). */
export function candidatesOf(value: unknown): Candidate[] | undefined {
	if (!Array.isArray(value) || value.length > MAX_CANDIDATES) return undefined;
	const out: Candidate[] = [];
	for (const item of value) {
		const candidate = candidateOf(item);
		if (!candidate) return undefined;
		out.push(candidate);
	}
	return out;
}

/** STUN servers, or undefined when malformed (checked as host candidates are). */
export function stunServersOf(value: unknown): StunServer[] | undefined {
	if (!Array.isArray(value) || value.length > MAX_STUN_SERVERS) return undefined;
	const list = candidatesOf(value.map((server) => (typeof server === "object" && server !== null ? { ...server, type: "host" } : server)));
	return list?.map(({ address, port }) => ({ address, port }));
}

const CREDENTIAL = pattern(/^[\x21-\x7e]{1,128}$/);

/** TURN servers with their credentials, or undefined when malformed. */
export function turnServersOf(value: unknown): TurnServer[] | undefined {
	const servers = stunServersOf(value);
	if (!servers) return undefined;
	const out: TurnServer[] = [];
	for (let i = 0; i < servers.length; i++) {
		const { username, password } = (value as Array<Record<string, unknown>>)[i];
		if (typeof username !== "string" || typeof password !== "string" || !CREDENTIAL.test(username) || !CREDENTIAL.test(password)) return undefined;
		out.push({ ...servers[i], username, password });
	}
	return out;
}

/** Candidates in the order to check them: host first, then server-reflexive, then relayed. */
export const byPreference = (candidates: readonly Candidate[]): Candidate[] =>
	candidates.map((c, i) => ({ c, i })).sort((a, b) => CANDIDATE_TYPES.indexOf(a.c.type) - CANDIDATE_TYPES.indexOf(b.c.type) || a.i - b.i).map(({ c }) => c);

export const p2pCommand = (offer: P2pOffer): string => JSON.stringify({ type: "p2p", session: offer.session, candidates: offer.candidates, stun: offer.stun, turn: offer.turn });
export const p2pEndCommand = (session: string): string => JSON.stringify({ type: "p2p-end", session });

/** A `cmd` object → a viewer's offer, or undefined when it is not one (or malformed: ignored). */
export function p2pOfferOf(command: Record<string, unknown>): P2pOffer | undefined {
	if (command.type !== "p2p" || typeof command.session !== "string" || !SESSION_ID.test(command.session)) return undefined;
	const candidates = candidatesOf(command.candidates);
	const stun = stunServersOf(command.stun ?? []);
	const turn = turnServersOf(command.turn ?? []);
	return candidates && stun && turn && { session: command.session, candidates, stun, turn };
}

/**
 * New candidates of one side mid-session (its address changed: a new lease, its router's new
 * public address, a new relayed address): the same message both ways — in a `cmd` to the camera
 * (the viewer's), on the camera's `p2p` topic (the camera's). The other side checks them, which
 * opens its own NAT towards them; the transport then moves the session by path validation.
 */
export interface P2pCandidates {
	session: string;
	candidates: Candidate[];
}
export const p2pCandidates = (update: P2pCandidates): string => JSON.stringify({ type: "p2p-candidates", session: update.session, candidates: update.candidates });

/** A `cmd` object or a parsed `p2p` message → new candidates of a session, or undefined. */
export function p2pCandidatesOf(value: Record<string, unknown> | undefined): P2pCandidates | undefined {
	if (value?.type !== "p2p-candidates" || typeof value.session !== "string" || !SESSION_ID.test(value.session)) return undefined;
	const candidates = candidatesOf(value.candidates);
	return candidates && candidates.length ? { session: value.session, candidates } : undefined;
}

/** A `cmd` object → the session the cloud ends, or undefined. */
export function p2pEndOf(command: Record<string, unknown>): string | undefined {
	return command.type === "p2p-end" && typeof command.session === "string" && SESSION_ID.test(command.session) ? command.session : undefined;
}

export const p2pAnswer = (answer: P2pAnswer): string => JSON.stringify(answer);

const mediaOf = (value: unknown): P2pMedia | undefined => {
	if (typeof value !== "object" || value === null) return undefined;
	const { codec, audio } = value as Record<string, unknown>;
	return (codec === "h264" || codec === "h265") && typeof audio === "boolean" ? { codec, audio } : undefined;
};

/** A `p2p` message's JSON object, or undefined when it is not one. */
export function p2pMessageOf(text: string): Record<string, unknown> | undefined {
	try {
		const value: unknown = JSON.parse(text);
		return typeof value === "object" && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
	}
	catch {
		return undefined;
	}
}

/** A camera's `p2p` message → its answer, or undefined when malformed. */
export function p2pAnswerOf(text: string): P2pAnswer | undefined {
	const value = p2pMessageOf(text);
	if (!value) return undefined;
	const { session, candidates, media, error } = value;
	if (typeof session !== "string" || !SESSION_ID.test(session)) return undefined;
	const list = candidatesOf(candidates);
	if (!list || (error !== undefined && (typeof error !== "string" || error.length > 200))) return undefined;
	const answer: P2pAnswer = { session, candidates: list };
	if (media !== undefined) {
		const checked = mediaOf(media);
		if (!checked) return undefined;
		answer.media = checked;
	}
	if (error !== undefined) answer.error = error as string;
	return answer;
}

/** What the camera reports of its open P2P sessions (the console's list): on its `p2p` topic every
 * few seconds while any is open, and once more, empty, after the last one ended. */
export interface P2pSessionFigures {
	session: string;
	/** The stream's action ("live", "playback"), or "" when none is open. */
	action: string;
	talk: boolean;
	srttMs: number;
	/** Bytes/s acknowledged over the last second, bytes not yet sent, bytes the session holds. */
	rate: number;
	buffered: number;
	memory: number;
	/** The path (absent from cameras older than the path report). */
	path?: PathType;
	/** Bytes/s the path takes as the session's congestion control measured it (the native wire's ACKs,
	 * a WebRTC viewer's TWCC feedback; absent: not measured — a WebRTC viewer without TWCC, an older camera). */
	bandwidth?: number;
	/** The send buffer's watermarks, bytes [low, warn, high] ([0, 0, 0]: off), and where the stream's
	 * unsent bytes last crossed them: "warn" above warn, "high" above high (pulling suspended) until
	 * back below low ("normal"). Absent from older cameras. */
	watermarks?: [number, number, number];
	level?: WatermarkLevel;
	/** Which transport the viewer came over: "native" (ours, the default) or "webrtc" (absent from older cameras: native). */
	wire?: Wire;
}
/** The viewer wires a camera app serves: in its session reports, and in its status (`p2p.wires`:
 * the console tries WebRTC only with a camera that names it, cloud/PROTOCOL.md §5). */
export const WIRES = Object.freeze(["native", "webrtc"] as const);
export type Wire = typeof WIRES[number];
export const WATERMARK_LEVELS = Object.freeze(["normal", "warn", "high"] as const);
export type WatermarkLevel = typeof WATERMARK_LEVELS[number];
export interface P2pReport {
	sessions: P2pSessionFigures[];
}
/** Sessions in one report, at most (the seed's SDK serves 32). */
export const MAX_REPORTED_SESSIONS = 32;

export const p2pReport = (report: P2pReport): string => JSON.stringify(report);

const count = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value) && value >= 0;

/** A camera's `p2p` message → its session report, or undefined when it is not one (an answer) or malformed. */
export function p2pReportOf(text: string): P2pReport | undefined {
	const sessions = p2pMessageOf(text)?.sessions;
	if (!Array.isArray(sessions) || sessions.length > MAX_REPORTED_SESSIONS) return undefined;
	const out: P2pSessionFigures[] = [];
	for (const item of sessions) {
		const { session, action, talk, srttMs, rate, buffered, memory, path, watermarks, level, wire, bandwidth } = (item ?? {}) as Record<string, unknown>;
		if (typeof session !== "string" || !SESSION_ID.test(session) || typeof action !== "string" || !/^[a-z]{0,16}$/.test(action) || typeof talk !== "boolean") return undefined;
		if (![srttMs, rate, buffered, memory].every(count)) return undefined;
		if (path !== undefined && !(PATH_TYPES as readonly unknown[]).includes(path)) return undefined;
		const figures: P2pSessionFigures = { session, action, talk, srttMs: srttMs as number, rate: rate as number, buffered: buffered as number, memory: memory as number };
		if (path !== undefined) figures.path = path as PathType;
		if (bandwidth !== undefined) {
			if (!count(bandwidth)) return undefined;
			figures.bandwidth = bandwidth;
		}
		if (watermarks !== undefined) {
			if (!Array.isArray(watermarks) || watermarks.length !== 3 || !watermarks.every(count)) return undefined;
			figures.watermarks = [watermarks[0], watermarks[1], watermarks[2]];
		}
		if (level !== undefined) {
			if (!(WATERMARK_LEVELS as readonly unknown[]).includes(level)) return undefined;
			figures.level = level as WatermarkLevel;
		}
		if (wire !== undefined) {
			if (!(WIRES as readonly unknown[]).includes(wire)) return undefined;
			figures.wire = wire as Wire;
		}
		out.push(figures);
	}
	return { sessions: out };
}
