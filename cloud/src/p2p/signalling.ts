// P2P signalling through the control channel (PROTOCOL.md §5 "P2P signalling"): a signed-in
// viewer's offer goes to the camera as a `cmd` of type `p2p`; the camera's answer comes back on
// `ivxs/<device>/p2p`. Every instance subscribes, so the instance that holds the viewer's request
// gets the answer whichever instance the camera's broker delivered it to. The sessions this
// instance admitted are kept (who, which camera, since when) for the console's list and so that a
// grant revoked, or a user removed, ends them: `sweep` sends the camera a `p2p-end`.
// Mid-session, the camera's new candidates (its address changed) are kept per admitted session
// for the viewer's long poll (`nextCandidates`); the viewer's go to the camera (`viewerCandidates`).
import { randomBytes } from "node:crypto";
import type { CloudContext } from "../context.js";
import { everyDevice, parseTopic, topicOf } from "../control/topics.js";
import { findUser, isGranted } from "../users/store.js";
import { type Candidate, type StunServer, type TurnServer, type P2pAnswer, type P2pSessionFigures, p2pAnswerOf, p2pCandidates, p2pCandidatesOf, p2pCommand, p2pEndCommand, p2pMessageOf, p2pReportOf } from "../../../modules/protocol/signal.js";

export interface P2pSession {
	session: string;
	device: string;
	user: string;
	since: number;
	expiryS: number;
}

interface State {
	waiting: Map<string, (answer: P2pAnswer) => void>;
	sessions: Map<string, P2pSession>;
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
	if (!state) states.set(ctx, state = { waiting: new Map(), sessions: new Map(), reports: new Map(), trickled: new Map() });
	return state;
}

/** A fresh session id (also the viewer id in the ticket: 16 hex characters fill its 16 bytes). */
export const newSessionId = (): string => randomBytes(8).toString("hex");

/** Subscribes to the cameras' answers. */
export async function followAnswers(ctx: CloudContext): Promise<void> {
	if (!ctx.bus) return void ctx.log.warn("no control bus: P2P signalling is off");
	const { waiting, reports, sessions } = stateOf(ctx);
	await ctx.bus.subscribe(everyDevice("p2p"), (topic, payload) => {
		const device = parseTopic(topic)?.device;
		const text = payload.length <= 16384 ? payload.toString("utf8") : "";
		const report = device && p2pReportOf(text);
		if (report) return void reports.set(device, { at: Date.now(), sessions: report.sessions });
		const update = text.length <= 4096 ? p2pCandidatesOf(p2pMessageOf(text)) : undefined;
		// Kept only for a session this instance admitted, of this camera (another instance keeps its own).
		if (update) return void (sessions.get(update.session)?.device === device && trickle(ctx, update.session, update.candidates));
		const answer = text.length <= 4096 ? p2pAnswerOf(text) : undefined;
		if (!answer) return void ctx.log.warn({ topic: topic.slice(0, 100) }, "p2p message refused (malformed)");
		const resolve = waiting.get(`${device}/${answer.session}`);
		waiting.delete(`${device}/${answer.session}`);
		resolve?.(answer);
	});
}

/** Sends the viewer's offer to the camera; resolves with its answer, or undefined after `timeoutMs`. */
export async function offer(ctx: CloudContext, device: string, session: string, candidates: Candidate[], stun: StunServer[], turn: TurnServer[], timeoutMs: number): Promise<P2pAnswer | undefined> {
	if (!ctx.bus?.connected()) return undefined;
	const { waiting } = stateOf(ctx);
	const key = `${device}/${session}`;
	const answered = new Promise<P2pAnswer | undefined>((resolve) => {
		const timer = setTimeout(() => {
			waiting.delete(key);
			resolve(undefined);
		}, timeoutMs);
		waiting.set(key, (answer) => {
			clearTimeout(timer);
			resolve(answer);
		});
	});
	await ctx.bus.publish(topicOf(device, "cmd"), p2pCommand({ session, candidates, stun, turn }), { qos: 1 });
	return answered;
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

/** An admitted session of this instance (undefined: not one, or another instance admitted it). */
export const sessionNamed = (ctx: CloudContext, session: string): P2pSession | undefined => stateOf(ctx).sessions.get(session);

export function admit(ctx: CloudContext, session: P2pSession): void {
	stateOf(ctx).sessions.set(session.session, session);
}

/** The sessions this instance admitted, of one device or all, with the camera's latest figures of
 * each (`camera`: undefined when the camera has not reported it open lately — not connected yet, or ended). */
export function sessionsOf(ctx: CloudContext, device?: string, now = Date.now()): Array<P2pSession & { camera?: P2pSessionFigures }> {
	const { sessions, reports } = stateOf(ctx);
	return [...sessions.values()].filter((s) => device === undefined || s.device === device).map((s) => {
		const report = reports.get(s.device);
		const camera = report && now - report.at < REPORT_FRESH_MS ? report.sessions.find((f) => f.session === s.session) : undefined;
		return camera ? { ...s, camera } : s;
	});
}

/**
 * Ends the sessions whose user may no longer see the camera (grant revoked, user removed or no
 * longer admin): the camera closes them at once on `p2p-end`. Forgets sessions older than
 * `forgetMs` (the camera's keep-alive ends a viewer that left; the cloud is not told).
 */
export async function sweep(ctx: CloudContext, forgetMs: number, now = Date.now()): Promise<number> {
	const { sessions, trickled } = stateOf(ctx);
	let ended = 0;
	const forget = (session: string) => {
		sessions.delete(session);
		const entry = trickled.get(session);
		trickled.delete(session);
		for (const wake of entry?.waiting ?? []) wake();
	};
	for (const s of [...sessions.values()]) {
		if (now - s.since > forgetMs) {
			forget(s.session);
			continue;
		}
		const user = await findUser(ctx.sql, s.user);
		if (user && (user.admin || await isGranted(ctx.sql, s.user, s.device))) continue;
		forget(s.session);
		ended++;
		ctx.log.info({ device: s.device, user: s.user, session: s.session }, "p2p session ended: the user may no longer see the camera");
		await ctx.bus?.publish(topicOf(s.device, "cmd"), p2pEndCommand(s.session), { qos: 1 })
			.catch((error) => ctx.log.warn({ err: error, device: s.device }, "p2p-end not sent"));
	}
	return ended;
}
