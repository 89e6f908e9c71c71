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
 *
 * A viewer's candidates aim this camera's checks (issue 27 §2), so they are trusted for nothing
 * (modules/p2p/README.md "Bounds"): unicast addresses only (loopback and link-local only when the
 * app's configuration allows them: `--p2p-loopback`, `--p2p-link-local`), each address:port once,
 * at most MAX_CANDIDATES per session; at most CHECKS_PER_SECOND checks a session starts in any
 * second (and checks.ts's cap on all in flight); updates only for a session open now or offered
 * less than OFFER_VALID_MS ago.
 */
import Timer from "timer";
import { hmacSha1, localAddresses, md5 } from "ivxs/platform";
import { MoveWatch, placeOf, type Link, type P2P } from "../p2p/index.js";
import { allowedCandidates, type CandidateAddressOptions } from "../protocol/candidate-address.js";
import { Rights } from "../protocol/ticket.js";
import { webrtcAnswer, webrtcOfferOf, webrtcRestartOf, type WebRtcOffer, type WebRtcRestart } from "../protocol/webrtc-signal.js";
import type { WebRtcEndpoint } from "../webrtc/endpoint.js";
import type { Viewers } from "./viewers.js";
import { MAX_CANDIDATES, p2pAnswer, p2pCandidates, p2pCandidatesOf, p2pEndOf, p2pOfferOf, p2pReport, type Candidate, type P2pMedia, type P2pOffer } from "../protocol/signal.js";

/** How often the open sessions are reported to the cloud. */
const REPORT_MS = 5000;
/** How often, while a session is open, the camera checks whether its address changed (a STUN
 * Binding each time): with the viewer's checks and the transport's path validation, video is
 * back within two keep-alive intervals (5 s each). */
export const MOVE_CHECK_MS = 2000;
/** Offers of sessions that never opened are forgotten after this long (a ticket lives 30 s). */
const OFFER_KEPT_MS = 60_000;
/** A viewer's candidate update is taken while its session is open, or this long after its offer
 * (the ticket's life: a viewer that has not connected by then never will with it). */
export const OFFER_VALID_MS = 30_000;
/** Connectivity checks one viewer session starts in any 1-s window (each is CHECK.tries requests). */
export const CHECKS_PER_SECOND = 8;
/** Offers remembered at once (the oldest goes first): twice the viewers a Linux camera serves. */
const OFFERS_KEPT = 64;

interface Viewer {
	offer: P2pOffer;
	/** When the offer came (the `now` option's clock). */
	at: number;
	/** The current 1-s window of checks and how many it started. */
	window: number;
	checks: number;
	/** A WebRTC viewer: it checks the camera (ICE-lite), so the camera only opens its NAT towards it. */
	checksUs: boolean;
}

/** A viewer's candidates as the camera takes them: addresses it may check, each address:port once (the protocol's rule), at most MAX_CANDIDATES. */
export const acceptedCandidates = (candidates: readonly Candidate[], allow: CandidateAddressOptions): Candidate[] =>
	allowedCandidates(candidates, allow).slice(0, MAX_CANDIDATES);

export interface P2PSignalOptions {
	/** Starts the app's P2P endpoint (its callbacks are the app's); a string says why P2P cannot run. */
	start(): P2P | string;
	/** Starts the app's WebRTC endpoint (modules/webrtc/endpoint.ts) on the P2P transport's link; a string says why WebRTC cannot run. */
	startWebRtc?(link: Link): Promise<WebRtcEndpoint | string>;
	/** What live view carries (the ring's channel). */
	media: P2pMedia;
	/** The camera's viewers on every wire (viewers.ts): what the session reports carry. */
	viewers: Viewers;
	/** Publishes an answer, or a report of the open sessions, on the device's `p2p` topic. */
	answer(text: string): void;
	log(message: string): void;
	/** Which special addresses a viewer's candidate may name (default neither loopback nor link-local). */
	allow?: CandidateAddressOptions;
	/** Milliseconds (default Date.now): an offer's age, the check windows. */
	now?: () => number;
}

export class P2PSignal {
	#o: P2PSignalOptions;
	#p2p: P2P | undefined;
	#off = "";
	#webrtc: Promise<WebRtcEndpoint | undefined> | undefined;
	/** The endpoint once started (what exit and the reports use). */
	#webrtcStarted: WebRtcEndpoint | undefined;
	#webrtcOff = "";
	#report: unknown;
	#moveCheck: unknown;
	#reported = 0;
	/** Each announced viewer's offer (its accepted candidates, STUN and TURN servers), when it came, its check budget. */
	#offers = new Map<string, Viewer>();
	#moves: MoveWatch | undefined;
	#now: () => number;
	/** Checks a viewer's budget did not allow (the log says so once per window). */
	checksRefused = 0;

	constructor(options: P2PSignalOptions) {
		this.#o = options;
		this.#now = options.now ?? Date.now;
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
		this.#report ??= Timer.repeat(() => this.#reportSessions(), REPORT_MS);
		this.#moveCheck = Timer.repeat(this.#moveTick, MOVE_CHECK_MS);
		return this.#p2p = started;
	}

	/** The WebRTC endpoint, started now if it is not yet — once, however many offers wait for it
	 * (undefined when WebRTC cannot run: `#webrtcOff` says why). */
	#startWebRtc(p2p: P2P): Promise<WebRtcEndpoint | undefined> {
		return this.#webrtc ??= (async () => {
			let started: WebRtcEndpoint | string;
			try {
				started = await (this.#o.startWebRtc?.(p2p.link) ?? "this camera app has no WebRTC endpoint");
			}
			catch (error) {
				started = (error as Error).message;
			}
			if (typeof started === "string") {
				this.#webrtcOff = started;
				this.#o.log(`webrtc: off (${started})`);
				return undefined;
			}
			this.#report ??= Timer.repeat(() => this.#reportSessions(), REPORT_MS);
			return this.#webrtcStarted = started;
		})();
	}

	/** A viewer's SDP offer: the endpoint's answer, or why not, on the `p2p` topic (the viewer's grant gave `rights`). */
	async #webrtcOffer({ session, sdp, rights, stun, turn, account }: WebRtcOffer): Promise<void> {
		const refuse = (error: string) => this.#webrtcRefuse(session, "", error);
		// The WebRTC wire rides the P2P socket: its candidates, NAT openings and relay are P2P's.
		const p2p = this.start();
		if (!p2p) return refuse(`P2P off: ${this.#off}`);
		const endpoint = await this.#startWebRtc(p2p);
		if (!endpoint) return refuse(`WebRTC off: ${this.#webrtcOff}`);
		if (!(rights & Rights.live)) return refuse("the viewer's grant gives no live view (what a WebRTC viewer starts with)");
		let answer;
		try {
			answer = await endpoint.offer(session, sdp, (candidates) => this.#gather(p2p, { session, candidates, stun, turn }, true), rights, account);
		}
		catch (error) {
			return refuse((error as Error).message);
		}
		this.#o.answer(webrtcAnswer({ session, sdp: answer }));
	}

	/** A viewer's ICE restart: the endpoint's new credentials and candidates, or why not, on the `p2p` topic. */
	async #webrtcRestart({ session, fragment, stun, turn }: WebRtcRestart): Promise<void> {
		const p2p = this.#p2p, endpoint = this.#webrtcStarted;
		let answer;
		try {
			if (!p2p || !endpoint) throw new Error("WebRTC is not running");
			answer = await endpoint.restart(session, fragment, (candidates) => this.#gather(p2p, { session, candidates, stun, turn }, true));
		}
		catch (error) {
			return this.#webrtcRefuse(session, "ICE restart ", (error as Error).message);
		}
		this.#o.answer(webrtcAnswer({ session, fragment: answer }));
	}

	/** No answer to a WebRTC viewer's offer (or its ICE restart: `what`): logged, and why goes back on the `p2p` topic. */
	#webrtcRefuse(session: string, what: "" | "ICE restart ", error: string): void {
		this.#o.log(`webrtc: viewer ${session} ${what}refused: ${error}`);
		this.#o.answer(webrtcAnswer({ session, error: error.slice(0, 200) }));
	}

	/** A `cmd` from the cloud: true when it was a P2P one (handled). */
	command(command: Record<string, unknown>): boolean {
		const webrtc = webrtcOfferOf(command);
		if (webrtc) {
			this.#webrtcOffer(webrtc).catch((error: Error) => this.#o.log(`webrtc: offer ${webrtc.session}: ${error.message}`));
			return true;
		}
		const restart = webrtcRestartOf(command);
		if (restart) {
			this.#webrtcRestart(restart).catch((error: Error) => this.#o.log(`webrtc: restart ${restart.session}: ${error.message}`));
			return true;
		}
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
		this.#offers.delete(ended);   // its updates are refused from now on
		const n = this.#p2p?.end(ended) ?? 0;
		if (this.#webrtcStarted?.end(ended, "ended by the cloud")) return true;
		this.#o.log(`p2p: the cloud ended session ${ended} (${n} open)`);
		return true;
	}

	exit(): void {
		for (const timer of [this.#report, this.#moveCheck]) if (timer !== undefined) Timer.clear(timer as never);
		this.#report = this.#moveCheck = this.#moves = undefined;
		this.#offers.clear();
		this.#webrtcStarted?.close();
		this.#webrtc = this.#webrtcStarted = undefined;
		this.#p2p?.exit();
		this.#p2p = undefined;
	}

	/** The open sessions' figures for the cloud's list, while any is open and once after the last. */
	#reportSessions(): void {
		const sessions = this.#o.viewers.figures();
		if (!sessions.length && !this.#reported) return;
		this.#reported = sessions.length;
		this.#o.answer(p2pReport({ sessions }));
	}

	/** A relayed candidate on the offer's TURN server, with the viewer's addresses permitted (undefined:
	 * no TURN, or it failed); `renew`: on a new allocation (this end moved). */
	async #relay(p2p: P2P, offer: P2pOffer, renew = false): Promise<Candidate | undefined> {
		const server = offer.turn[0];
		if (!server) return undefined;
		const turn = p2p.link.relay(server, { hmacSha1, md5 }, renew);
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

	/** Checks towards a viewer's candidates (a WebRTC viewer's: NAT openings, Checks.open), within its budget (CHECKS_PER_SECOND). */
	#check(p2p: P2P, viewer: Viewer, candidates: readonly Candidate[]): void {
		const window = Math.floor(this.#now() / 1000);
		if (window !== viewer.window) [viewer.window, viewer.checks] = [window, 0];
		let refused = 0;
		for (const candidate of candidates) {
			if (viewer.checks >= CHECKS_PER_SECOND) refused++;
			else {
				viewer.checks++;
				if (viewer.checksUs) p2p.link.checks.open(candidate.address, candidate.port);
				else p2p.link.checks.check(candidate.address, candidate.port);
			}
		}
		if (!refused) return;
		this.checksRefused += refused;
		this.#o.log(`p2p: viewer ${viewer.offer.session}: ${refused} check(s) over ${CHECKS_PER_SECOND}/s not sent`);
	}

	async #offer(received: P2pOffer): Promise<void> {
		const p2p = this.start();
		if (!p2p) return this.#o.answer(p2pAnswer({ session: received.session, candidates: [], error: `P2P off: ${this.#off}` }));
		const candidates = await this.#gather(p2p, received);
		this.#o.answer(p2pAnswer({ session: received.session, candidates, media: this.#o.media }));
	}

	/** A viewer announced (either wire): checks towards its candidates first (they open our NAT while
	 * the answer travels), then this camera's candidates — its addresses, the server-reflexive one,
	 * a relayed one with the viewer's addresses permitted. */
	async #gather(p2p: P2P, received: P2pOffer, checksUs = false): Promise<Candidate[]> {
		const offer = { ...received, candidates: acceptedCandidates(received.candidates, this.#o.allow ?? {}) };
		if (offer.candidates.length < received.candidates.length) this.#o.log(`p2p: viewer ${offer.session}: ${received.candidates.length - offer.candidates.length} candidate(s) repeated or not allowed here: not checked`);
		p2p.link.viewerOffered(offer.session, offer.candidates);   // its session's path type (the report)
		const viewer: Viewer = { offer, at: this.#now(), window: 0, checks: 0, checksUs };
		this.#offers.delete(offer.session);
		this.#offers.set(offer.session, viewer);
		if (this.#offers.size > OFFERS_KEPT) this.#offers.delete(this.#offers.keys().next().value!);
		// Checks towards the viewer first: they open our NAT while the answer travels.
		this.#check(p2p, viewer, offer.candidates);
		const gathered = await p2p.gather(localAddresses(), offer.stun);
		(this.#moves ??= new MoveWatch(p2p.link.checks, p2p.port)).sent(gathered);
		// Only addresses a viewer may be given, the rule the cloud applies to a native answer: no
		// loopback or link-local unless this camera is configured for them (a WebRTC answer's SDP goes
		// through the cloud as it is, so the camera keeps the rule for both wires).
		const candidates = acceptedCandidates(gathered, this.#o.allow ?? {}).slice(0, 7);
		const relay = await this.#relay(p2p, offer);
		if (relay) candidates.push(relay);
		this.#o.log(`p2p: viewer ${offer.session} announced; answering with ${placeOf(candidates)}`);
		return candidates;
	}

	/** Every MOVE_CHECK_MS while an offer is kept: offers of sessions no longer open are pruned once
	 * OFFER_KEPT_MS old, and while a native viewer watches, has this end's address changed? (This runs
	 * for as long as anyone watches: nothing is made here but what a check sends.) */
	readonly #moveTick = (): void => {
		const p2p = this.#p2p, moves = this.#moves;
		if (!this.#offers.size || !p2p) return;
		this.#watched = undefined;
		this.#offers.forEach(this.#pruneOffer);
		if (moves && this.#watched) moves.check(localAddresses(), (this.#watched as Viewer).offer.stun, this.#movedTo);
	};

	/** The latest offer whose session is open (its STUN servers are the move check's). */
	#watched: Viewer | undefined;
	readonly #pruneOffer = (viewer: Viewer, session: string): void => {
		if (this.#p2p!.watches(session)) this.#watched = viewer;
		else if (this.#now() - viewer.at > OFFER_KEPT_MS) this.#offers.delete(session);
	};

	readonly #movedTo = (gathered: Candidate[], watch: MoveWatch): void => {
		if (watch === this.#moves) this.#moved(gathered).catch(this.#moveFailed);   // (not a watch of an endpoint since exited)
	};

	readonly #moveFailed = (error: Error): void => this.#o.log(`p2p: move check: ${error.message}`);

	/** This end's address changed: each viewer watching gets the new candidates. */
	async #moved(gathered: Candidate[]): Promise<void> {
		const p2p = this.#p2p;
		const viewers = [...this.#offers.values()].filter(({ offer }) => p2p?.watches(offer.session));
		if (!p2p || !this.#moves || !viewers.length) return;
		this.#moves.sent(gathered);
		this.#o.log(`p2p: this camera's address changed (now ${placeOf(gathered)}): sending ${viewers.length} viewer(s) the new candidates`);
		let renew = true;
		for (const viewer of viewers) {
			const { offer } = viewer;
			// From the new address: opens our NAT to the viewer again (as the first checks did).
			this.#check(p2p, viewer, offer.candidates);
			const candidates = acceptedCandidates(gathered, this.#o.allow ?? {}).slice(0, 7);
			const relay = await this.#relay(p2p, offer, renew);
			renew = false;
			if (relay) candidates.push(relay);
			this.#o.answer(p2pCandidates({ session: offer.session, candidates }));
		}
	}

	/** A viewer's new candidates mid-session (or before it connected, while its offer is valid):
	 * checked (which opens our NAT to them) and permitted on the relay. */
	async #viewerMoved(session: string, received: Candidate[]): Promise<void> {
		const viewer = this.#offers.get(session);
		const p2p = this.#p2p;
		const valid = viewer && p2p && (this.#now() - viewer.at < OFFER_VALID_MS || p2p.watches(session));
		if (!valid) return this.#o.log(`p2p: candidates for session ${session}, which is not open here: ignored`);
		const candidates = acceptedCandidates(received, this.#o.allow ?? {});
		if (!candidates.length) return this.#o.log(`p2p: viewer ${session}: no candidate allowed here in its update: ignored`);
		const was = placeOf(viewer.offer.candidates);
		viewer.offer = { ...viewer.offer, candidates: acceptedCandidates([...candidates, ...viewer.offer.candidates], this.#o.allow ?? {}) };
		this.#o.log(`p2p: viewer ${session} moved; checking ${placeOf(candidates)} (it had offered ${was})`);
		this.#check(p2p, viewer, candidates);
		await this.#relay(p2p, viewer.offer);
	}
}
