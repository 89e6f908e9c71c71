// Live straight from the camera over WebRTC (the cloud's WHEP endpoint, API.md "WHEP"): the
// browser offers to receive video, the cloud relays the offer to the camera and returns its
// answer, and the media then flows camera → browser without the cloud. `live` resolves once a
// picture plays, with the path ICE chose, or rejects (the caller falls back to LL-HLS) — within
// CONNECT_MS whatever happens, so a camera that cannot be reached costs the person 3 s, not more.
// The offer also sends audio, with no track yet: a camera that takes the viewer's voice (its grant
// gives talk) answers it in G.711, and `talk(true)` then puts the microphone on it without a new
// offer (WHEP has none) — the camera writes it to its talkback as a native viewer's. A DataChannel
// "commands" carries the camera's viewer commands (PTZ, a still now, its recordings): `command`
// sends one and resolves with its JSON reply, as the native wire's viewers get it. When the path
// breaks mid-session (this device changed networks), ICE restarts (WHEP's PATCH: new credentials
// and candidates both ways) and the same session carries on over the new path; only when that
// fails is the session ended (`onEnded`).

/** How long a direct path may take to show a picture before the live view goes through the cloud. */
export const CONNECT_MS = 3000;
/** How often the delay figure (jitter buffer + half the round trip) is read from getStats(). */
const STATS_MS = 1000;

/** How long a command's reply may take. */
const COMMAND_MS = 5000;

/** How long the offer waits for our server-reflexive candidate (the cloud's STUN servers). */
const GATHER_MS = 700;

/** How long ICE may stay "disconnected" (no answer to its checks for seconds already) before it restarts. */
const DISCONNECTED_MS = 1000;
/** ICE restarts tried for one break before the session is given up. */
const RESTARTS = 2;

/** Resolves when ICE gathering completes, or after `ms` (`fresh`: a gathering just begun — an ICE
 * restart's, whose state may still read the last one's "complete"). */
function gathered(pc, ms, fresh = false) {
	return new Promise((resolve) => {
		if (!fresh && pc.iceGatheringState === "complete") return resolve();
		const done = () => {
			clearTimeout(timer);
			pc.removeEventListener("icegatheringstatechange", check);
			resolve();
		};
		const check = () => pc.iceGatheringState === "complete" && done();
		const timer = setTimeout(done, ms);
		pc.addEventListener("icegatheringstatechange", check);
	});
}

export class WebRtcError extends Error {
	name = "WebRtcError";
}

/** The candidate types of a pair → the path, the worse end winning (ICE's order). */
const ORDER = ["host", "srflx", "prflx", "relay"];
const worse = (a, b) => ORDER[Math.max(ORDER.indexOf(a), ORDER.indexOf(b))] ?? "host";

export class WebRtcPlayer {
	#video;
	#pc;
	#location;
	#latency;
	#stats;
	/** The audio transceiver the microphone goes out on; whether the camera took it; the microphone's track while talking. */
	#audio;
	#talkable = false;
	#mic;
	/** The commands' DataChannel, and the reply the one command in flight waits for. */
	#channel;
	#asked = Promise.resolve();
	#reply;

	#onEnded;

	/** `onEnded(why)`: a session that played lost its path (the camera left, the network changed). */
	constructor(video, { onEnded = () => {} } = {}) {
		this.#video = video;
		this.#onEnded = onEnded;
	}

	/** Whether this browser can try at all. */
	static get supported() {
		return typeof RTCPeerConnection === "function";
	}

	/**
	 * Plays `whepUrl`'s camera; resolves with the path ("host" | "srflx" | "prflx" | "relay") once a
	 * frame is on screen, rejects with a WebRtcError saying why not (after CONNECT_MS at most).
	 */
	async live(whepUrl, iceServers = []) {
		this.stop();
		const pc = this.#pc = new RTCPeerConnection({ iceServers });
		const aborted = new AbortController();
		const timer = setTimeout(() => aborted.abort(), CONNECT_MS);
		try {
			pc.addTransceiver("video", { direction: "recvonly" });
			this.#audio = pc.addTransceiver("audio", { direction: "sendrecv" });
			const channel = this.#channel = pc.createDataChannel("commands");
			channel.onmessage = (event) => this.#reply?.(event.data);
			pc.ontrack = (event) => {
				if (event.track.kind !== "video") return;
				this.#video.srcObject = event.streams[0] ?? new MediaStream([event.track]);
				void this.#video.play().catch(() => {});
			};
			// The camera is an ICE-lite agent: our checks reach it without our candidates, but with them it
			// opens its NAT towards us and permits us on its relay — so the offer waits for them, briefly
			// (a slow or dead STUN server costs GATHER_MS, not the whole budget).
			await pc.setLocalDescription(await pc.createOffer());
			await gathered(pc, GATHER_MS);
			let response;
			try {
				response = await fetch(whepUrl, { method: "POST", credentials: "same-origin", headers: { "content-type": "application/sdp" }, body: pc.localDescription.sdp, signal: aborted.signal });
			}
			catch {
				throw new WebRtcError(aborted.signal.aborted ? "the camera did not answer in time" : "the cloud cannot be reached");
			}
			const text = await response.text();
			if (response.status !== 201) {
				let message = `${response.status} ${response.statusText}`;
				try {
					message = JSON.parse(text).error ?? message;
				}
				catch {}
				throw new WebRtcError(message);
			}
			this.#location = response.headers.get("location") ?? undefined;
			await pc.setRemoteDescription({ type: "answer", sdp: text });
			this.#talkable = this.#audio.currentDirection === "sendonly" || this.#audio.currentDirection === "sendrecv";
			await this.#firstFrame(pc, aborted.signal);
			this.#watchPath(pc);
			return await this.path();
		}
		catch (error) {
			this.stop();
			throw error instanceof WebRtcError ? error : new WebRtcError(error.message);
		}
		finally {
			clearTimeout(timer);
		}
	}

	/** A broken path (ICE disconnected for DISCONNECTED_MS, or failed): ICE restarts; the session
	 * ends only when RESTARTS restarts in a row did not bring it back. */
	#watchPath(pc) {
		let timer, restarts = 0, restarting = false;
		const restart = async () => {
			if (this.#pc !== pc || restarting) return;
			if (restarts++ === RESTARTS || !this.#location) {
				this.stop();
				this.#onEnded(`the direct path was lost (ICE ${pc.iceConnectionState})`);
				return;
			}
			restarting = true;
			try {
				await this.#restartIce(pc);
			}
			catch (error) {
				console.warn(`ICE restart: ${error.message}`);
			}
			restarting = false;
			if (pc.iceConnectionState === "failed") void restart();
		};
		pc.addEventListener("iceconnectionstatechange", () => {
			clearTimeout(timer);
			const state = pc.iceConnectionState;
			if (this.#pc !== pc) return;
			if (state === "closed") {
				this.stop();
				this.#onEnded("the direct path was lost (ICE closed)");
			}
			else if (state === "failed") void restart();
			else if (state === "disconnected") timer = setTimeout(() => void restart(), DISCONNECTED_MS);
			else if (state === "connected" || state === "completed") restarts = 0;
		});
	}

	/** One ICE restart: new credentials and candidates to the camera through the cloud (WHEP PATCH), its own back. */
	async #restartIce(pc) {
		pc.restartIce();
		await pc.setLocalDescription(await pc.createOffer());
		// its new candidates go with it: the camera's NAT opens towards them (its checks)
		await gathered(pc, GATHER_MS, true);
		const local = pc.localDescription.sdp.split(/\r?\n/);
		const fragment = [local.find((l) => l.startsWith("a=ice-ufrag:")), local.find((l) => l.startsWith("a=ice-pwd:")),
			...new Set(local.filter((l) => l.startsWith("a=candidate:")))].join("\r\n") + "\r\n";
		const response = await fetch(this.#location, { method: "PATCH", credentials: "same-origin", headers: { "content-type": "application/trickle-ice-sdpfrag", "if-match": "*" }, body: fragment });
		const text = await response.text();
		if (response.status !== 200) throw new Error(`${response.status} ${text.slice(0, 200)}`);
		// the camera's answer as it was, with its new credentials and candidates
		const theirs = text.split(/\r?\n/).filter(Boolean);
		const ufrag = theirs.find((l) => l.startsWith("a=ice-ufrag:")), pwd = theirs.find((l) => l.startsWith("a=ice-pwd:"));
		const candidates = theirs.filter((l) => l.startsWith("a=candidate:"));
		let placed = false;
		const answer = pc.currentRemoteDescription.sdp.split("\r\n").filter((l) => !l.startsWith("a=candidate:")).flatMap((l) => {
			if (l.startsWith("a=ice-ufrag:")) return [ufrag];
			if (!l.startsWith("a=ice-pwd:")) return [l];
			if (placed) return [pwd];
			placed = true;
			return [pwd, ...candidates];
		}).join("\r\n");
		await pc.setRemoteDescription({ type: "answer", sdp: answer });
	}

	#firstFrame(pc, signal) {
		return new Promise((resolve, reject) => {
			const video = this.#video;
			const done = () => {
				video.removeEventListener("playing", check);
				pc.removeEventListener("iceconnectionstatechange", check);
				signal.removeEventListener("abort", check);
			};
			const check = () => {
				if (video.videoWidth > 0 && !video.paused) {
					done();
					this.#stats = setInterval(() => void this.#readDelay(), STATS_MS);
					resolve();
				}
				else if (pc.iceConnectionState === "failed" || signal.aborted) {
					done();
					reject(new WebRtcError(pc.iceConnectionState === "failed" ? "no path to the camera (ICE failed)" : `no picture within ${CONNECT_MS / 1000} s`));
				}
			};
			video.addEventListener("playing", check);
			pc.addEventListener("iceconnectionstatechange", check);
			signal.addEventListener("abort", check);
			check();
		});
	}

	/** The path of the pair ICE selected (the worse end of it). */
	async path() {
		const stats = await this.#pc?.getStats();
		if (!stats) return undefined;
		const values = [...stats.values()];
		const transport = values.find((s) => s.type === "transport");
		const pair = stats.get(transport?.selectedCandidatePairId) ?? values.find((s) => s.type === "candidate-pair" && s.nominated && s.state === "succeeded");
		if (!pair) return undefined;
		return worse(stats.get(pair.localCandidateId)?.candidateType, stats.get(pair.remoteCandidateId)?.candidateType);
	}

	async #readDelay() {
		const stats = await this.#pc?.getStats();
		if (!stats) return;
		const values = [...stats.values()];
		const inbound = values.find((s) => s.type === "inbound-rtp" && s.kind === "video");
		const transport = values.find((s) => s.type === "transport");
		const pair = stats.get(transport?.selectedCandidatePairId);
		if (!inbound?.jitterBufferEmittedCount) return;
		this.#latency = Math.round(1000 * (inbound.jitterBufferDelay / inbound.jitterBufferEmittedCount + (pair?.currentRoundTripTime ?? 0) / 2));
	}

	/** What arrived of `kind` ("video" | "audio") so far: getStats()'s inbound-rtp for it, or undefined. */
	async inbound(kind) {
		const stats = await this.#pc?.getStats();
		return stats && [...stats.values()].find((s) => s.type === "inbound-rtp" && s.kind === kind);
	}

	/** Whether the camera takes this viewer's voice (talkback over this session). */
	get canTalk() {
		return !!this.#pc && this.#talkable;
	}

	get talking() {
		return !!this.#mic;
	}

	/** The microphone on (asks the person's permission the first time) or off. */
	async talk(on) {
		if (!this.canTalk) throw new WebRtcError("the camera takes no voice from this viewer");
		const audio = this.#audio;
		if (!on) {
			await audio.sender.replaceTrack(null);
			this.#mic?.stop();
			this.#mic = undefined;
			return;
		}
		if (this.#mic) return;
		const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
		const [track] = stream.getAudioTracks();
		if (this.#audio !== audio || !this.#pc) {   // stopped while the person decided
			track.stop();
			return;
		}
		this.#mic = track;
		await audio.sender.replaceTrack(track);
	}

	/** Whether the camera opened the commands' channel (it takes commands over this session). */
	get canCommand() {
		return !!this.#pc && this.#channel?.readyState === "open";
	}

	/** Resolves true once the commands' channel is open, false when it will not be (closed, or not within COMMAND_MS). */
	commandsReady() {
		const channel = this.#channel;
		if (!channel || channel.readyState === "closed") return Promise.resolve(false);
		if (channel.readyState === "open") return Promise.resolve(true);
		return new Promise((resolve) => {
			const timer = setTimeout(() => resolve(false), COMMAND_MS);
			const settle = (open) => {
				clearTimeout(timer);
				resolve(open);
			};
			channel.addEventListener("open", () => settle(true), { once: true });
			channel.addEventListener("close", () => settle(false), { once: true });
		});
	}

	/** One of the camera's viewer commands (e.g. { cmd: "ptz", op: "left" }) → its JSON reply; one at a time. */
	command(request) {
		const asked = this.#asked.then(() => new Promise((resolve, reject) => {
			if (!this.canCommand) return reject(new WebRtcError("the camera takes no commands over this session"));
			const timer = setTimeout(() => {
				this.#reply = undefined;
				reject(new WebRtcError("the camera did not answer"));
			}, COMMAND_MS);
			this.#reply = (text) => {
				clearTimeout(timer);
				this.#reply = undefined;
				try {
					resolve(JSON.parse(text));
				}
				catch {
					reject(new WebRtcError("the camera's reply is not JSON"));
				}
			};
			this.#channel.send(JSON.stringify(request));
		}));
		this.#asked = asked.catch(() => {});
		return asked;
	}

	/** The delay from the camera's sending to this screen (ms): the jitter buffer's and half the round trip. */
	latency() {
		return this.#pc ? this.#latency : undefined;
	}

	/** Ends the session: the camera stops sending at once (WHEP DELETE). */
	stop() {
		clearInterval(this.#stats);
		this.#stats = undefined;
		this.#latency = undefined;
		this.#mic?.stop();
		this.#mic = undefined;
		this.#talkable = false;
		this.#audio = undefined;
		this.#channel = undefined;
		this.#reply = undefined;
		this.#pc?.close();
		this.#pc = undefined;
		if (this.#location) void fetch(this.#location, { method: "DELETE", credentials: "same-origin", keepalive: true }).catch(() => {});
		this.#location = undefined;
		if (this.#video.srcObject) this.#video.srcObject = null;
	}
}
