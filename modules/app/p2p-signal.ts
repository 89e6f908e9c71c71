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
 */
import Timer from "timer";
import { hmacSha1, localAddresses, md5 } from "ivxs/platform";
import type { P2P } from "../p2p/index.js";
import { p2pAnswer, p2pEndOf, p2pOfferOf, p2pReport, type Candidate, type P2pMedia, type P2pOffer } from "../protocol/signal.js";

/** How often the open sessions are reported to the cloud. */
const REPORT_MS = 5000;

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
	#reported = 0;

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
		return this.#p2p = started;
	}

	/** A `cmd` from the cloud: true when it was a P2P one (handled). */
	command(command: Record<string, unknown>): boolean {
		const offer = p2pOfferOf(command);
		if (offer) {
			this.#offer(offer).catch((error: Error) => this.#o.log(`p2p: offer ${offer.session}: ${error.message}`));
			return true;
		}
		const ended = p2pEndOf(command);
		if (ended === undefined) return false;
		const n = this.#p2p?.end(ended) ?? 0;
		this.#o.log(`p2p: the cloud ended session ${ended} (${n} open)`);
		return true;
	}

	exit(): void {
		if (this.#report !== undefined) Timer.clear(this.#report as never);
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
			})),
		}));
	}

	/** A relayed candidate on the offer's TURN server, with the viewer's addresses permitted (undefined: no TURN, or it failed). */
	async #relay(p2p: P2P, offer: P2pOffer): Promise<Candidate | undefined> {
		const server = offer.turn[0];
		if (!server) return undefined;
		const turn = p2p.relay(server, { hmacSha1, md5 });
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
		const candidates = (await p2p.gather(localAddresses(), offer.stun)).slice(0, 7);
		const relay = await this.#relay(p2p, offer);
		if (relay) candidates.push(relay);
		this.#o.log(`p2p: viewer ${offer.session} announced; answering with ${candidates.map((c) => `${c.type} ${c.address}:${c.port}`).join(", ")}`);
		this.#o.answer(p2pAnswer({ session: offer.session, candidates, media: this.#o.media }));
	}
}
