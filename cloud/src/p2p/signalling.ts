// P2P signalling through the control channel (PROTOCOL.md §5 "P2P signalling"): a signed-in
// viewer's offer goes to the camera as a `cmd` of type `p2p`; the camera's answer comes back on
// `ivxs/<device>/p2p`. Every instance subscribes, so the instance that holds the viewer's request
// gets the answer whichever instance the camera's broker delivered it to. The sessions this
// instance admitted are kept (who, which camera, since when) for the console's list and so that a
// grant revoked, or a user removed, ends them: `sweep` sends the camera a `p2p-end`. A session is kept
// only while it can be used — its ticket not yet expired, or the camera's latest report has it open —
// and at most MAX_SESSIONS_PER_DEVICE of a camera, MAX_SESSIONS_PER_VIEWER of one user's for it, are
// open or being offered at once (cloud/README.md, "Under attack").
// Mid-session, the camera's new candidates (its address changed) are kept per admitted session
// for the viewer's long poll (`nextCandidates`); the viewer's go to the camera (`viewerCandidates`).
import { randomBytes } from "node:crypto";
import type { CloudContext } from "../context.js";
import { everyDevice, parseTopic, topicOf } from "../control/topics.js";
import { findUser, grantedDevices } from "../users/store.js";
import { type WebRtcAnswer, type WebRtcOffer, type WebRtcRestart, webrtcAnswerOf, webrtcOfferCommand, webrtcRestartCommand } from "../../../modules/protocol/webrtc-signal.js";
import { type Candidate, type StunServer, type TurnServer, type P2pAnswer, type P2pSessionFigures, type Wire, MAX_REPORTED_SESSIONS, p2pAnswerOf, p2pCandidates, p2pCandidatesOf, p2pCommand, p2pEndCommand, p2pMessageOf, p2pReportOf } from "../../../modules/protocol/signal.js";

export interface P2pSession {
	session: string;
	device: string;
	user: string;
	since: number;
	/** When its ticket expires (unix s); while `offering`, when the offer and a ticket would. */
	expiryS: number;
	/** The camera has not answered yet: the session holds its place, is not listed and takes no candidates. */
	offering?: boolean;
	/** The viewer's wire (default native). */
	wire?: Wire;
}

/** Sessions of one camera open or being offered at once on an instance (what a camera serves), and of one user for it. */
export const MAX_SESSIONS_PER_DEVICE = MAX_REPORTED_SESSIONS;
// 8: a few viewer windows of one account, each reconnecting after a cut while the camera still holds its old session.
export const MAX_SESSIONS_PER_VIEWER = 8;

/** What a camera answers an offer with: a native answer (candidates) or a WebRTC one (SDP). */
type Reply = P2pAnswer | WebRtcAnswer;

interface State {
	waiting: Map<string, (reply: Reply) => void>;
	sessions: Map<string, P2pSession>;
	/** The sessions of each device, by id (the caps are counted here, not over every session). */
	byDevice: Map<string, Set<string>>;
	/** Each camera's latest report of its open sessions, and when it came. */
	reports: Map<string, { at: number; sessions: P2pSessionFigures[] }>;
	/** Each admitted session's latest candidates from the camera mid-session (`seq` counts them), and the viewers' polls waiting. */
	trickled: Map<string, { seq: number; candidates: Candidate[]; waiting: Set<() => void> }>;
}

/** A camera reports every 5 s while a session is open: older than this, its figures are gone. */
export const REPORT_FRESH_MS = 15_000;

const states = new WeakMap<CloudContext, State>();

function stateOf(ctx: CloudContext): State {
	let state = states.get(ctx);
	if (!state) states.set(ctx, state = { waiting: new Map(), sessions: new Map(), byDevice: new Map(), reports: new Map(), trickled: new Map() });
	return state;
}

/** A fresh session id (also the viewer id in the ticket: 16 hex characters fill its 16 bytes). */
export const newSessionId = (): string => randomBytes(8).toString("hex");

/**
 * Subscribes to the cameras' answers. `checkable` keeps of a camera's candidates (its answer's and
 * its updates') only those a viewer may be aimed at — the rule the camera's side gets too
 * (modules/protocol/candidate-address.ts): a camera's word does not make a viewer a packet source.
 */
export async function followAnswers(ctx: CloudContext, checkable: (candidates: Candidate[]) => Candidate[]): Promise<void> {
	if (!ctx.bus) return void ctx.log.warn("no control bus: P2P signalling is off");
	const { waiting, reports } = stateOf(ctx);
	await ctx.bus.subscribe(everyDevice("p2p"), (topic, payload) => {
		const device = parseTopic(topic)?.device;
		const text = payload.length <= 16384 ? payload.toString("utf8") : "";
		const report = device && p2pReportOf(text);
		if (report) return void reports.set(device, { at: Date.now(), sessions: report.sessions });
		const update = text.length <= 4096 ? p2pCandidatesOf(p2pMessageOf(text)) : undefined;
		// Kept only for a session this instance admitted, of this camera (another instance keeps its own).
		if (update) return void (sessionNamed(ctx, update.session)?.device === device && trickle(ctx, update.session, checkable(update.candidates)));
		const answer = text.length <= 4096 ? p2pAnswerOf(text) : undefined;
		const reply: Reply | undefined = answer ? { ...answer, candidates: checkable(answer.candidates) } : webrtcAnswerOf(text);
		if (!reply) return void ctx.log.warn({ topic: topic.slice(0, 100) }, "p2p message refused (malformed)");
		const resolve = waiting.get(`${device}/${reply.session}`);
		waiting.delete(`${device}/${reply.session}`);
		resolve?.(reply);
	});
}

/** Sends the camera a `cmd` for `session`; resolves with its reply when `accept` takes it (one of
 * the kind asked for), or undefined after `timeoutMs`. */
async function ask<T extends Reply>(ctx: CloudContext, device: string, session: string, command: string, accept: (reply: Reply) => reply is T, timeoutMs: number): Promise<T | undefined> {
	if (!ctx.bus?.connected()) return undefined;
	const { waiting } = stateOf(ctx);
	const key = `${device}/${session}`;
	const answered = new Promise<T | undefined>((resolve) => {
		const timer = setTimeout(() => {
			waiting.delete(key);
			resolve(undefined);
		}, timeoutMs);
		waiting.set(key, (reply) => {
			clearTimeout(timer);
			resolve(accept(reply) ? reply : undefined);
		});
	});
	await ctx.bus.publish(topicOf(device, "cmd"), command, { qos: 1 });
	return answered;
}

/** Sends the viewer's offer to the camera; resolves with its answer, or undefined after `timeoutMs`. */
export function offer(ctx: CloudContext, device: string, session: string, candidates: Candidate[], stun: StunServer[], turn: TurnServer[], timeoutMs: number): Promise<P2pAnswer | undefined> {
	return ask(ctx, device, session, p2pCommand({ session, candidates, stun, turn }), (reply): reply is P2pAnswer => "candidates" in reply, timeoutMs);
}

/** Sends a WebRTC viewer's SDP offer to the camera; resolves with its answer (SDP, or why not), or undefined after `timeoutMs`. */
export function webrtcOffer(ctx: CloudContext, device: string, offer: WebRtcOffer, timeoutMs: number): Promise<WebRtcAnswer | undefined> {
	return ask(ctx, device, offer.session, webrtcOfferCommand(offer), (reply): reply is WebRtcAnswer => !("candidates" in reply), timeoutMs);
}

/** Sends a WebRTC viewer's ICE restart to the camera; resolves with its reply (its fragment, or why not), or undefined after `timeoutMs`. */
export function webrtcRestart(ctx: CloudContext, device: string, restart: WebRtcRestart, timeoutMs: number): Promise<WebRtcAnswer | undefined> {
	return ask(ctx, device, restart.session, webrtcRestartCommand(restart), (reply): reply is WebRtcAnswer => !("candidates" in reply), timeoutMs);
}

function trickle(ctx: CloudContext, session: string, candidates: Candidate[]): void {
	const { trickled } = stateOf(ctx);
	const entry = trickled.get(session) ?? { seq: 0, candidates, waiting: new Set() };
	trickled.set(session, { ...entry, seq: entry.seq + 1, candidates });
	for (const wake of entry.waiting) wake();
	ctx.log.info({ session, candidates: candidates.map((c) => `${c.type} ${c.address}:${c.port}`) }, "p2p: the camera's candidates changed mid-session");
}

/**
 * The camera's candidates sent mid-session after the `after`-th (`seq` 0: none yet), waiting up
 * to `waitMs` for them: `{ seq, candidates }`, with `candidates` empty when none came in time.
 */
export function nextCandidates(ctx: CloudContext, session: string, after: number, waitMs: number): Promise<{ seq: number; candidates: Candidate[] }> {
	const { trickled } = stateOf(ctx);
	const now = () => {
		const entry = trickled.get(session);
		return entry && entry.seq > after ? { seq: entry.seq, candidates: entry.candidates } : undefined;
	};
	const ready = now();
	if (ready || waitMs <= 0) return Promise.resolve(ready ?? { seq: after, candidates: [] });
	if (!trickled.has(session)) trickled.set(session, { seq: 0, candidates: [], waiting: new Set() });
	const { waiting } = trickled.get(session)!;
	return new Promise((resolve) => {
		const done = () => {
			clearTimeout(timer);
			waiting.delete(done);
			resolve(now() ?? { seq: after, candidates: [] });
		};
		const timer = setTimeout(done, waitMs);
		waiting.add(done);
	});
}

/** The viewer's new candidates mid-session, to the camera (a `cmd`: it checks them, and permits them on its TURN allocation). */
export async function viewerCandidates(ctx: CloudContext, device: string, session: string, candidates: Candidate[]): Promise<boolean> {
	if (!ctx.bus?.connected()) return false;
	await ctx.bus.publish(topicOf(device, "cmd"), p2pCandidates({ session, candidates }), { qos: 1 });
	return true;
}

/** An admitted session of this instance that can still be used (undefined: not one, another
 * instance admitted it, its offer is unanswered, or it ended: ticket expired and the camera does not have it open). */
export function sessionNamed(ctx: CloudContext, session: string, now = Date.now()): P2pSession | undefined {
	const s = stateOf(ctx).sessions.get(session);
	return s && !s.offering && usable(ctx, s, now) ? s : undefined;
}

/** The camera's latest figures of a session, when it reported it open lately. */
function cameraFigures(ctx: CloudContext, s: P2pSession, now: number): P2pSessionFigures | undefined {
	const report = stateOf(ctx).reports.get(s.device);
	return report && now - report.at < REPORT_FRESH_MS ? report.sessions.find((f) => f.session === s.session) : undefined;
}

const usable = (ctx: CloudContext, s: P2pSession, now: number): boolean => now < s.expiryS * 1000 || !!cameraFigures(ctx, s, now);

/** How many cameras' reports are held (the sweep drops those too old to count). */
export const reportsHeld = (ctx: CloudContext): number => stateOf(ctx).reports.size;

export class SessionLimitError extends Error {
	override name = "SessionLimitError";
	readonly code = "P2P_SESSION_LIMIT";
}

/**
 * Holds a place for a session being offered (`offering`), within the caps; throws SessionLimitError
 * when the camera, or this user for it, has as many open or offered as allowed. `admit` makes it a
 * session, `forget` gives the place back.
 */
export function hold(ctx: CloudContext, session: P2pSession, now = Date.now()): void {
	const state = stateOf(ctx);
	const ids = [...state.byDevice.get(session.device) ?? []];
	const live = ids.map((id) => state.sessions.get(id)!).filter((s) => s.offering || usable(ctx, s, now));
	if (live.length >= MAX_SESSIONS_PER_DEVICE) throw new SessionLimitError(`camera ${session.device} has ${live.length} P2P sessions open or being offered, the most it serves`);
	const mine = live.filter((s) => s.user === session.user).length;
	if (mine >= MAX_SESSIONS_PER_VIEWER) throw new SessionLimitError(`${session.user} has ${mine} P2P sessions of ${session.device} open or being offered, at most ${MAX_SESSIONS_PER_VIEWER}`);
	state.sessions.set(session.session, { ...session, offering: true });
	if (!state.byDevice.has(session.device)) state.byDevice.set(session.device, new Set());
	state.byDevice.get(session.device)!.add(session.session);
}

/** The camera answered: the held session is admitted, its ticket expiring at `expiryS`. */
export function admit(ctx: CloudContext, session: string, expiryS: number, now = Date.now()): void {
	const s = stateOf(ctx).sessions.get(session);
	if (s) stateOf(ctx).sessions.set(session, { session, device: s.device, user: s.user, since: now, expiryS, ...(s.wire ? { wire: s.wire } : {}) });
}

/** Drops a session (and wakes its viewer's poll for the camera's candidates). */
export function forget(ctx: CloudContext, session: string): void {
	const { sessions, byDevice, trickled } = stateOf(ctx);
	const s = sessions.get(session);
	sessions.delete(session);
	if (s) {
		const ids = byDevice.get(s.device);
		ids?.delete(session);
		if (ids?.size === 0) byDevice.delete(s.device);
	}
	const entry = trickled.get(session);
	trickled.delete(session);
	for (const wake of entry?.waiting ?? []) wake();
}

/** The sessions this instance admitted to one device and can still be used, by id, with the camera's
 * latest figures of each (`camera`: undefined when the camera has not reported it open lately — not connected yet). */
export function sessionsOf(ctx: CloudContext, device: string, now = Date.now()): Array<P2pSession & { camera?: P2pSessionFigures }> {
	const { sessions, byDevice } = stateOf(ctx);
	return [...byDevice.get(device) ?? []].sort().map((id) => sessions.get(id)!).filter((s) => !s.offering && usable(ctx, s, now)).map((s) => {
		const camera = cameraFigures(ctx, s, now);
		return camera ? { ...s, camera } : s;
	});
}

/**
 * Forgets the sessions that can no longer be used (ticket expired, and the camera does not report
 * them open: the viewer never came, or left — the camera's keep-alive ended it; the cloud is not
 * told), and ends those whose user may no longer see the camera (grant revoked, user removed or no
 * longer admin): the camera closes them at once on `p2p-end`. Its cost is two queries per user with
 * sessions (the user, its grants), whatever the number of sessions. Cameras' reports too old to
 * count go (a removed camera's stayed for the life of the process).
 */
export async function sweep(ctx: CloudContext, now = Date.now()): Promise<number> {
	const { sessions, reports } = stateOf(ctx);
	for (const [device, report] of reports) if (now - report.at >= REPORT_FRESH_MS) reports.delete(device);
	let ended = 0;
	const byUser = new Map<string, P2pSession[]>();
	for (const s of [...sessions.values()]) {
		if (s.offering) continue;
		if (!usable(ctx, s, now)) {
			forget(ctx, s.session);
			continue;
		}
		if (!byUser.has(s.user)) byUser.set(s.user, []);
		byUser.get(s.user)!.push(s);
	}
	for (const [name, list] of byUser) {
		const user = await findUser(ctx.sql, name);
		const granted = user && !user.admin ? new Set(await grantedDevices(ctx.sql, name)) : undefined;
		for (const s of list) {
			if (user && (user.admin || granted!.has(s.device))) continue;
			await endSession(ctx, s, "the user may no longer see the camera");
			ended++;
		}
	}
	return ended;
}

/** Ends a session now: forgotten here, and the camera told (`p2p-end`: it closes the session at once, either wire). */
export async function endSession(ctx: CloudContext, s: P2pSession, why: string): Promise<void> {
	forget(ctx, s.session);
	ctx.log.info({ device: s.device, user: s.user, session: s.session }, `p2p session ended: ${why}`);
	await ctx.bus?.publish(topicOf(s.device, "cmd"), p2pEndCommand(s.session), { qos: 1 })
		.catch((error) => ctx.log.warn({ err: error, device: s.device }, "p2p-end not sent"));
}
