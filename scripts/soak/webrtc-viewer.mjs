// A WebRTC viewer for the soak: aiortc as a WHEP client of the cloud (tests/_webrtc.mjs `whepClient`,
// `audio`: the camera's G.711 too) that comes and goes — it watches `watchS` seconds, leaves (aiortc_whep.py DELETEs
// its session), stays away `awayS` seconds and comes back, while the soak has time for a whole visit.
// `hostile`: every visit is a hostile viewer's too (aiortc_whep.py's rounds, 20 a second, of long,
// garbage and oversized SRTCP, garbage SCTP, DTLS and STUN). Each visit is one entry of `cycles`:
// { start, end, status, session (the WHEP session's id), frames, audio, ice, dtls, hostile, deleteStatus, error }, also logged.
import { appendFileSync } from "node:fs";
import { tokenOf, whepClient } from "../../tests/_webrtc.mjs";

export class WebRtcViewer {
	#o;
	#stopping = false;
	#loop;
	#wake;
	#token;
	cycles = [];

	/** `session`: its account's signed-in session (its API token comes from it); `remainingS()`: the soak's time left. */
	constructor({ name, cloudUrl, device, session, watchS, awayS, hostile = false, audio = false, remainingS, logFile }) {
		this.#o = { name, url: `${cloudUrl}/v1/devices/${device}/whep`, session, watchS, awayS, hostile, audio, remainingS, logFile };
	}

	get name() { return this.#o.name; }
	get hostile() { return this.#o.hostile; }
	/** Frames decoded over every visit. */
	get frames() { return this.cycles.reduce((sum, c) => sum + (c.frames ?? 0), 0); }

	start() {
		this.#loop = this.#run();
	}

	async #run() {
		const { url, session, watchS, awayS, hostile, audio, remainingS, logFile } = this.#o;
		// a visit: aiortc's start, ICE and DTLS (a few seconds on a loaded machine), watchS, the DELETE
		while (!this.#stopping && remainingS() > watchS + 15) {
			const cycle = { start: Date.now() };
			try {
				this.#token ??= await tokenOf(session);
				const r = await whepClient(url, this.#token, watchS, { audio, hostile });
				Object.assign(cycle, { status: r.status, session: r.location?.split("/").pop(), frames: r.frames ?? 0, audio: r.audio?.frames ?? 0, ice: r.ice, dtls: r.dtls, deleteStatus: r.deleteStatus, ...(r.hostile ? { hostile: r.hostile } : {}), ...(r.error ? { error: String(r.error).slice(0, 200) } : {}) });
				if (r.status === 401) this.#token = undefined;
			}
			catch (error) {
				cycle.error = error.message.slice(-600);
			}
			cycle.end = Date.now();
			this.cycles.push(cycle);
			appendFileSync(logFile, `${JSON.stringify(cycle)}\n`);
			await new Promise((resolve) => {
				this.#wake = resolve;
				setTimeout(resolve, awayS * 1000);
			});
		}
	}

	/** Ends the visits: the one under way finishes (its watchS), no other starts. */
	async stop() {
		this.#stopping = true;
		this.#wake?.();
		await this.#loop;
	}
}
