// P2P for viewers, the cloud's side (API.md "P2P"):
//   POST /v1/devices/:device/p2p   { candidates, rights? } → the ticket, its psk and the camera's candidates
//   GET  /v1/p2p                   the STUN servers a viewer asks for its server-reflexive candidate (before its offer)
//   GET  /v1/devices/:device/p2p?limit=N&after=S   the sessions this instance admitted to the camera (who, since when), a page
//   GET  /v1/devices/:device/p2p/:session/candidates?after=N   the camera's new candidates mid-session (long poll)
//   POST /v1/devices/:device/p2p/:session/candidates  { candidates }   the viewer's new candidates, to the camera
//   POST /v1/devices/:device/whep …   a WebRTC viewer's offer (WHEP: whep.ts)
// A viewer the grants admit gets a ticket minted from the device's secret (modules/protocol/ticket.ts)
// that lives only as long as starting a session needs (`p2pTicketS`); the camera is asked over the
// control channel (signalling.ts) and its candidates come back in the same answer.
import type { CloudContext } from "../context.js";
import { HttpError, readJson, sendJson } from "../http/router.js";
import { hmacSha256 } from "../auth/device-keys.js";
import { turnCredentials } from "./turn-credentials.js";
import { installWhep } from "./whep.js";
import { admit, followAnswers, forget, hold, newSessionId, nextCandidates, offer, sessionNamed, sessionsOf, SessionLimitError, sweep, viewerCandidates } from "./signalling.js";
import { RateGate } from "../../../modules/net/rate-gate.js";
import { mintTicket, Rights, TICKET_ID_BYTES } from "../../../modules/protocol/ticket.js";
import { type Candidate, candidatesOf, MAX_CANDIDATES, SESSION_ID, type Wire } from "../../../modules/protocol/signal.js";
import { allowedCandidates } from "../../../modules/protocol/candidate-address.js";

/** "IPv4:port" (config, checked there) → { address, port }. */
const serverOf = (text: string) => ({ address: text.slice(0, text.lastIndexOf(":")), port: Number(text.slice(text.lastIndexOf(":") + 1)) });

/** How long a viewer's poll for the camera's new candidates waits at most (below HTTP clients' idle timeouts). */
const CANDIDATES_WAIT_MAX_S = 20;

/** A session's candidate updates (its viewer moved): a burst, then one per interval. */
export const UPDATE_BURST = 3, UPDATE_INTERVAL_MS = 10_000;
/** The console's list of sessions: a page's default and largest size. */
const LIST_LIMIT = 50, LIST_LIMIT_MAX = 200;

const rightNames = Object.keys(Rights) as Array<keyof typeof Rights>;

const tooMany = (what: string, waitMs: number) => new HttpError(429, `${what}: try again in ${Math.ceil(waitMs / 1000)} s`, { "retry-after": String(Math.ceil(waitMs / 1000)) });

/** The ticket's rights: those asked for (all four when none are named); the camera refuses what they do not cover. */
function rightsOf(value: unknown): number {
	if (value === undefined) return Rights.live | Rights.playback | Rights.talk | Rights.command;
	if (!Array.isArray(value) || !value.every((name) => rightNames.includes(name))) throw new HttpError(400, `rights must be a list of ${rightNames.join(", ")}`);
	return value.reduce((bits: number, name: keyof typeof Rights) => bits | Rights[name], 0);
}

export async function install(ctx: CloudContext): Promise<void> {
	// Only addresses either end may check, each once (modules/protocol/candidate-address.ts): the rest are dropped.
	const scope = { loopback: ctx.config.p2pLoopback, linkLocal: ctx.config.p2pLinkLocal };
	const checkable = (candidates: Candidate[]) => allowedCandidates(candidates, scope);
	await followAnswers(ctx, checkable);
	const { p2pTicketS, p2pAnswerS, p2pSweepS, p2pOfferBurst, p2pOfferIntervalS } = ctx.config;
	// A viewer's offers for one camera (config.ts: each makes the camera check its candidates).
	const offers = new RateGate(p2pOfferBurst, p2pOfferIntervalS * 1000), updates = new RateGate(UPDATE_BURST, UPDATE_INTERVAL_MS);
	/** A viewer's offer for a camera, either wire: within the rate, or a 429 saying when. */
	const takeOffer = (user: string, device: string) => {
		const wait = offers.take(`${user}\n${device}`);
		if (wait) throw tooMany(`P2P offers of ${user} for ${device}: at most ${p2pOfferBurst} at once, then one per ${p2pOfferIntervalS} s`, wait);
	};
	/** Where a camera learns its server-reflexive address and allocates a relayed one (TURN credentials minted per offer). */
	const servers = (device: string) => ({
		stun: ctx.config.stunServers.map(serverOf),
		turn: ctx.config.turnServers.map((server) => ({ ...serverOf(server), ...turnCredentials(ctx.config, device) })),
	});
	ctx.every(p2pSweepS * 1000, async () => {
		await sweep(ctx);
		offers.prune();
		updates.prune();
	});

	ctx.router.add("POST", "/v1/devices/:device/p2p", { auth: "user", device: "device" }, async (req, res, _params, _url, { viewer, device }) => {
		const body = await readJson(req, 4096);
		for (const key of Object.keys(body)) if (!["candidates", "rights"].includes(key)) throw new HttpError(400, `unknown field "${key}"`);
		const offered = candidatesOf(body.candidates ?? []);
		if (!offered) throw new HttpError(400, `candidates: at most ${MAX_CANDIDATES} of { type: host|srflx|relay, address: IPv4, port }`);
		const candidates = checkable(offered);
		const rights = rightsOf(body.rights);
		if (device.id.length > TICKET_ID_BYTES) throw new HttpError(409, `a ticket names devices of at most ${TICKET_ID_BYTES} bytes; ${device.id} is longer`);
		takeOffer(viewer.user, device.id);
		const session = newSessionId();
		const { stun, turn } = servers(device.id);
		try {
			hold(ctx, { session, device: device.id, user: viewer.user, since: Date.now(), expiryS: Math.ceil(Date.now() / 1000) + p2pAnswerS + p2pTicketS });
		}
		catch (error) {
			if (error instanceof SessionLimitError) throw new HttpError(429, `${error.message}: end one, or wait for an unused ticket to expire (${p2pTicketS} s)`, { "retry-after": String(p2pTicketS) });
			throw error;
		}
		let answer: Awaited<ReturnType<typeof offer>> = undefined;
		try {
			answer = await offer(ctx, device.id, session, candidates, stun, turn, p2pAnswerS * 1000);
		}
		finally {
			// Its place is given back unless the camera took the session.
			if (!answer || answer.error !== undefined) forget(ctx, session);
		}
		if (!answer) throw new HttpError(504, `camera ${device.id} did not answer within ${p2pAnswerS} s (offline, or P2P off)`);
		if (answer.error !== undefined) throw new HttpError(502, `camera ${device.id}: ${answer.error}`);
		// Minted after the answer: the ticket's life starts when the viewer can use it.
		const expiryS = Math.floor(Date.now() / 1000) + p2pTicketS;
		const { ticket, psk } = mintTicket(hmacSha256, Buffer.from(device.secret, "latin1"), { rights, expiryS, device: device.id, viewer: session });
		admit(ctx, session, expiryS);
		ctx.metrics.inc("ivxs_p2p_sessions_total", "P2P sessions admitted (tickets minted)");
		ctx.log.info({ device: device.id, user: viewer.user, session, camera: answer.candidates.length }, "p2p ticket minted");
		sendJson(res, 200, {
			session, device: device.id, rights, expiryS, candidates: answer.candidates, media: answer.media ?? null, stun,
			ticket: Buffer.from(ticket).toString("hex"), psk: Buffer.from(psk).toString("hex"),
		});
	});

	// A session's own routes (mid-session candidates, WHEP's DELETE): only its own viewer (or an admin), on the
	// instance that admitted it, while the session can be used (its ticket not expired, or the camera has it
	// open); `wire`: only a session of that wire.
	const yours = (viewer: { user: string; admin: boolean }, device: string, session: string, wire?: Wire) => {
		const s = sessionNamed(ctx, session);
		if (!s || s.device !== device || !(viewer.admin || s.user === viewer.user) || (wire && (s.wire ?? "native") !== wire))
			throw new HttpError(404, `no ${wire === "webrtc" ? "WHEP" : "P2P"} session ${session.slice(0, 16)} of ${device} here (or it ended)`);
		return s;
	};

	ctx.router.add("GET", "/v1/devices/:device/p2p/:session/candidates", { auth: "user", device: "device" }, async (_req, res, params, url, { viewer, device }) => {
		yours(viewer, device.id, params.session);
		const after = Number(url.searchParams.get("after") ?? 0), waitS = Number(url.searchParams.get("waitS") ?? CANDIDATES_WAIT_MAX_S);
		if (!Number.isSafeInteger(after) || after < 0 || !(waitS >= 0)) throw new HttpError(400, "after is a count ≥ 0, waitS a number ≥ 0");
		sendJson(res, 200, await nextCandidates(ctx, params.session, after, Math.min(waitS, CANDIDATES_WAIT_MAX_S) * 1000));
	});

	ctx.router.add("POST", "/v1/devices/:device/p2p/:session/candidates", { auth: "user", device: "device" }, async (req, res, params, _url, { viewer, device }) => {
		yours(viewer, device.id, params.session);
		const body = await readJson(req, 4096);
		const sent = candidatesOf(body.candidates);
		if (!sent?.length) throw new HttpError(400, `candidates: 1 … ${MAX_CANDIDATES} of { type: host|srflx|relay, address: IPv4, port }`);
		const candidates = checkable(sent);
		if (!candidates.length) throw new HttpError(400, "candidates: none the camera may check (unicast addresses only; loopback and link-local only where the cloud is configured for them)");
		const wait = updates.take(params.session);
		if (wait) throw tooMany(`candidate updates of session ${params.session}: at most ${UPDATE_BURST} at once, then one per ${UPDATE_INTERVAL_MS / 1000} s`, wait);
		if (!await viewerCandidates(ctx, device.id, params.session, candidates)) throw new HttpError(503, "no control bus: the camera cannot be told");
		sendJson(res, 200, { sent: candidates.length });
	});

	installWhep(ctx, { takeOffer, servers, yours });

	ctx.router.add("GET", "/v1/p2p", { auth: "user" }, (_req, res) => {
		sendJson(res, 200, { stun: ctx.config.stunServers.map(serverOf) });
	});

	ctx.router.add("GET", "/v1/devices/:device/p2p", { auth: "user", device: "device" }, (_req, res, _params, url, { viewer, device }) => {
		const mine = (user: string) => viewer.admin || user === viewer.user;
		const limit = Number(url.searchParams.get("limit") ?? LIST_LIMIT), after = url.searchParams.get("after") ?? "";
		if (!Number.isSafeInteger(limit) || limit < 1 || limit > LIST_LIMIT_MAX) throw new HttpError(400, `limit is 1 … ${LIST_LIMIT_MAX}`);
		if (after !== "" && !SESSION_ID.test(after)) throw new HttpError(400, "after is a session id (16 hex characters): the last one of the previous page");
		// By session id, so a page continues after the last one seen (the list changes between pages).
		const visible = sessionsOf(ctx, device.id).filter((s) => mine(s.user) && s.session > after);
		const page = visible.slice(0, limit);
		sendJson(res, 200, {
			next: visible.length > limit ? page[page.length - 1].session : null,
			sessions: page.map(({ session, user, since, expiryS, camera, wire }) => ({
				session, user, since, ticketExpiry: expiryS * 1000, connected: !!camera && (wire !== "webrtc" || camera.action !== ""), wire: wire ?? "native",
				...(camera ? { action: camera.action, talk: camera.talk, srttMs: camera.srttMs, rate: camera.rate, buffered: camera.buffered, memory: camera.memory, bandwidth: camera.bandwidth ?? null, path: camera.path ?? null, watermarks: camera.watermarks ?? null, level: camera.level ?? null } : {}),
			})),
		});
	});
}
