/**
 * P2P signalling in the camera app (issue 14 §3): the app's P2P endpoint (camera.ts starts it: live
 * from the first channel's ring, a viewer per ticket the cloud minted) starts when
 * the cloud first announces a viewer (a `cmd` of type `p2p`, cloud/PROTOCOL.md §5 "P2P
 * signalling"), or at once on a fixed port (`--p2p PORT`). For each announced viewer the camera
 * gathers its candidates (its own addresses, and the server-reflexive one from the offer's STUN
 * servers, and a relayed one on the offer's TURN server with the viewer's addresses permitted),
 * sends connectivity checks to the viewer's candidates (which also opens its NAT for the viewer's
 * HELLO) and answers on its `p2p` topic. `p2p-end` closes a viewer's session now. Every 5 s while
 * a session is open it reports them on the same topic (the cloud's session list).
 *
 * A move mid-session (issue 14 §3): while a session is open the camera asks the STUN server every
 * 2 s where it sees it; when that (or a local address) changed — a new lease, the router's new
 * public address — it allocates a new relayed address (the old allocation's 5-tuple is gone), checks
 * the viewers' candidates again from the new address and sends each viewer its new candidates
 * (`p2p-candidates`). The viewer checks them, which opens its NAT to the camera's new address; the
 * transport then moves the session by path validation. A viewer's new candidates (the cloud's
 * `p2p-candidates` cmd) are checked and permitted on the relay the same way.
 */
import Timer from "timer";
import { hmacSha1, localAddresses, md5 } from "ivxs/platform";
import { MoveWatch, placeOf, type P2P } from "../p2p/index.js";
import { p2pAnswer, p2pCandidates, p2pCandidatesOf, p2pEndOf, p2pOfferOf, p2pReport, type Candidate, type P2pMedia, type P2pOffer } from "../protocol/signal.js";

/** How often the open sessions are reported to the cloud. */
const REPORT_MS = 5000;
/** How often, while a session is open, the camera checks whether its address changed (a STUN
 * Binding each time): with the viewer's checks and the transport's path validation, video is
 * back within two keep-alive intervals (5 s each). */
export const MOVE_CHECK_MS = 2000;
/** Offers of sessions that never opened are forgotten after this long (a ticket lives 30 s). */
const OFFER_KEPT_MS = 60_000;

export interface P2PSignalOptions {
	/** Starts the app's P2P endpoint (its callbacks are the app's); a string says why P2P cannot run. */
	start(): P2P | string;
	/** What live view carries (the ring's channel). */
	media: P2pMedia;
	/** Publishes an answer, or a report of the open sessions, on the device's `p2p` topic. */
	answer(text: string): void;
	log(message: string): void;
}

export class P2PSignal {
	#o: P2PSignalOptions;
	#p2p: P2P | undefined;
	#off = "";
	#report: unknown;
	#moveCheck: unknown;
	#reported = 0;
	/** Each announced viewer's offer (its candidates, STUN and TURN servers) and when it came. */
	#offers = new Map<string, { offer: P2pOffer; at: number }>();
	#moves: MoveWatch | undefined;

	constructor(options: P2PSignalOptions) {
		this.#o = options;
	}

	/** The endpoint, started now if it is not yet (undefined when P2P cannot run: `#off` says why). */
	start(): P2P | undefined {
		if (this.#p2p || this.#off) return this.#p2p;
		const started = this.#o.start();
		if (typeof started === "string") {
			this.#off = started;
			this.#o.log(`p2p: off (${started})`);
			return undefined;
		}
		this.#report = Timer.repeat(() => this.#reportSessions(), REPORT_MS);
		this.#moveCheck = Timer.repeat(() => this.#checkMove().catch((error: Error) => this.#o.log(`p2p: move check: ${error.message}`)), MOVE_CHECK_MS);
		return this.#p2p = started;
	}

	/** A `cmd` from the cloud: true when it was a P2P one (handled). */
	command(command: Record<string, unknown>): boolean {
		const offer = p2pOfferOf(command);
		if (offer) {
			this.#offer(offer).catch((error: Error) => this.#o.log(`p2p: offer ${offer.session}: ${error.message}`));
			return true;
		}
		const update = p2pCandidatesOf(command);
		if (update) {
			this.#viewerMoved(update.session, update.candidates).catch((error: Error) => this.#o.log(`p2p: viewer ${update.session} candidates: ${error.message}`));
			return true;
		}
		const ended = p2pEndOf(command);
		if (ended === undefined) return false;
		const n = this.#p2p?.end(ended) ?? 0;
		this.#o.log(`p2p: the cloud ended session ${ended} (${n} open)`);
		return true;
	}

	exit(): void {
		for (const timer of [this.#report, this.#moveCheck]) if (timer !== undefined) Timer.clear(timer as never);
		this.#report = this.#moveCheck = this.#moves = undefined;
		this.#offers.clear();
		this.#p2p?.exit();
		this.#p2p = undefined;
	}

	/** The open sessions' figures for the cloud's list, while any is open and once after the last. */
	#reportSessions(): void {
		const sessions = this.#p2p?.sessions() ?? [];
		if (!sessions.length && !this.#reported) return;
		this.#reported = sessions.length;
		this.#o.answer(p2pReport({
			sessions: sessions.slice(0, 32).map((s) => ({
				session: s.peer, action: s.media?.action ?? "", talk: s.talk, srttMs: Math.round(s.srttMs),
				rate: Math.round(s.avgRate), buffered: s.sendBuffered, memory: s.footprintBytes, path: s.path,
				watermarks: s.watermarks, level: s.level,
			})),
		}));
	}

	/** A relayed candidate on the offer's TURN server, with the viewer's addresses permitted (undefined:
	 * no TURN, or it failed); `renew`: on a new allocation (this end moved). */
	async #relay(p2p: P2P, offer: P2pOffer, renew = false): Promise<Candidate | undefined> {
		const server = offer.turn[0];
		if (!server) return undefined;
		const turn = p2p.relay(server, { hmacSha1, md5 }, renew);
		turn.useCredentials(server);
		try {
			const relayed = await turn.allocate();
			await turn.permit(offer.candidates.map((c) => c.address));
			return { type: "relay", ...relayed };
		}
		catch (error) {
			this.#o.log(`p2p: no relayed candidate (${(error as Error).message})`);
			return undefined;
		}
	}

	async #offer(offer: P2pOffer): Promise<void> {
		const p2p = this.start();
		if (!p2p) return this.#o.answer(p2pAnswer({ session: offer.session, candidates: [], error: `P2P off: ${this.#off}` }));
		p2p.viewerOffered(offer.session, offer.candidates);   // its session's path type (the report)
		// Checks towards the viewer first: they open our NAT while the answer travels.
		for (const candidate of offer.candidates) p2p.checks.check(candidate.address, candidate.port);
		const gathered = await p2p.gather(localAddresses(), offer.stun);
		(this.#moves ??= new MoveWatch(p2p.checks, p2p.port)).sent(gathered);
		const candidates = gathered.slice(0, 7);
		this.#offers.set(offer.session, { offer, at: Date.now() });
		const relay = await this.#relay(p2p, offer);
		if (relay) candidates.push(relay);
		this.#o.log(`p2p: viewer ${offer.session} announced; answering with ${placeOf(candidates)}`);
		this.#o.answer(p2pAnswer({ session: offer.session, candidates, media: this.#o.media }));
	}

	/** While a session is open: has this end's address changed? Then each viewer gets the new candidates. */
	async #checkMove(): Promise<void> {
		const p2p = this.#p2p;
		const open = new Set(p2p?.sessions().map((s) => s.peer));
		for (const [session, { at }] of this.#offers) if (!open.has(session) && Date.now() - at > OFFER_KEPT_MS) this.#offers.delete(session);
		const viewers = [...this.#offers.values()].filter(({ offer }) => open.has(offer.session)).map(({ offer }) => offer);
		if (!p2p || !this.#moves || !viewers.length) return;
		const gathered = await this.#moves.since(localAddresses(), viewers[viewers.length - 1].stun);
		if (!gathered || this.#p2p !== p2p) return;
		this.#moves.sent(gathered);
		this.#o.log(`p2p: this camera's address changed (now ${placeOf(gathered)}): sending ${viewers.length} viewer(s) the new candidates`);
		let renew = true;
		for (const offer of viewers) {
			// From the new address: opens our NAT to the viewer again (as the first checks did).
			for (const candidate of offer.candidates) p2p.checks.check(candidate.address, candidate.port);
			const candidates = gathered.slice(0, 7);
			const relay = await this.#relay(p2p, offer, renew);
			renew = false;
			if (relay) candidates.push(relay);
			this.#o.answer(p2pCandidates({ session: offer.session, candidates }));
		}
	}

	/** A viewer's new candidates mid-session: checked (which opens our NAT to them) and permitted on the relay. */
	async #viewerMoved(session: string, candidates: Candidate[]): Promise<void> {
		const known = this.#offers.get(session);
		const p2p = this.#p2p;
		if (!known || !p2p) return this.#o.log(`p2p: candidates for session ${session}, which is not open here: ignored`);
		const offer = { ...known.offer, candidates: [...candidates, ...known.offer.candidates].slice(0, 8) };
		this.#offers.set(session, { offer, at: known.at });
		this.#o.log(`p2p: viewer ${session} moved; checking ${placeOf(candidates)}`);
		for (const candidate of candidates) p2p.checks.check(candidate.address, candidate.port);
		await this.#relay(p2p, offer);
	}
}
