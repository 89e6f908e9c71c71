// One <video> driven by hls.js (served at /vendor/hls.min.js, the global `Hls`),
// for the live view and for recordings. The live settings are tuned for latency:
//   - lowLatencyMode: the cloud's live playlist lists the segment being uploaded
//     as LL-HLS parts (EXT-X-PART, ~200 ms each) and can block reloads
//     (_HLS_msn/_HLS_part), so the player asks for the next part and gets it the
//     moment it arrives, instead of polling every target duration;
//   - the distance behind the edge is the playlist's PART-HOLD-BACK (three
//     parts; HOLD-BACK, one segment, when it has no parts), not a setting here,
//     and a stall adds at most a part's worth to it; catch-up by playing at up
//     to 1.25x when behind, and a jump to the sync point when more than
//     `keepUpS` behind it and it is buffered already (hls.js speeds up only
//     with over 1 s buffered and within a target duration of its target, so a
//     late start, a stall or a background tab would leave the picture behind
//     for good);
//   - small forward/back buffers: a live view never needs minutes of media.
// Recordings use the defaults (buffer ahead for smooth seeking).
export const liveConfig = {
	lowLatencyMode: true,
	liveSyncOnStallIncrease: 0.2,
	maxLiveSyncPlaybackRate: 1.25,
	liveDurationInfinity: true,
	backBufferLength: 10,
	maxBufferLength: 8,
	maxMaxBufferLength: 12,
	enableWorker: true,
	// A camera that has just gone quiet: try the playlist again rather than give up.
	manifestLoadPolicy: { default: { maxTimeToFirstByteMs: 10000, maxLoadTimeMs: 15000, timeoutRetry: { maxNumRetry: 2, retryDelayMs: 0, maxRetryDelayMs: 0 }, errorRetry: { maxNumRetry: 1, retryDelayMs: 1000, maxRetryDelayMs: 4000 } } },
	playlistLoadPolicy: { default: { maxTimeToFirstByteMs: 10000, maxLoadTimeMs: 15000, timeoutRetry: { maxNumRetry: 2, retryDelayMs: 0, maxRetryDelayMs: 0 }, errorRetry: { maxNumRetry: 4, retryDelayMs: 1000, maxRetryDelayMs: 4000 } } },
};

/** Live: further than this behind hls.js's target latency, jump to it (when buffered). */
export const keepUpS = 0.4;

export const vodConfig = {
	enableWorker: true,
	maxBufferLength: 30,
	backBufferLength: 60,
};

/** Whether `video` has media buffered at `seconds` (and a little after). */
function buffered(video, seconds) {
	const ranges = video.buffered;
	for (let i = 0; i < ranges.length; i++) if (ranges.start(i) <= seconds && seconds + 0.1 < ranges.end(i)) return true;
	return false;
}

/** Why a playback failed, in words for the person watching. */
function describe(data) {
	const status = data.response?.code ?? data.networkDetails?.status;
	if (status === 404) return "nothing-live";
	if (status === 401 || status === 403) return "Not allowed to play this (sign in again?)";
	if (data.type === "networkError") return status ? `The cloud answered ${status} while loading the video` : "The video could not be loaded (network error)";
	if (data.type === "mediaError") return "The browser could not decode this video";
	return `Playback failed (${data.details})`;
}

export class Player {
	#video;
	#hls;
	#onState;
	#live;
	#state = "idle";
	#recovered = false;
	#anchor;
	#native = false;

	/** onState(state, detail): "loading" | "playing" | "waiting" | "nothing-live" | "error" */
	constructor(video, { onState = () => {} } = {}) {
		this.#video = video;
		this.#onState = onState;
		video.muted = true;
		video.playsInline = true;
		// Tests and the latency benchmark read the player from the element.
		video.ivxsPlayer = this;
		video.addEventListener("playing", () => this.#set("playing"));
		video.addEventListener("waiting", () => this.#state === "playing" && this.#set("waiting"));
	}

	get state() {
		return this.#state;
	}

	get hls() {
		return this.#hls;
	}

	#set(state, detail) {
		this.#state = state;
		this.#onState(state, detail);
	}

	/** Plays a live playlist. */
	live(url) {
		this.#start(url, liveConfig, true);
	}

	/** Plays a VOD playlist from `offsetS` seconds into it. */
	vod(url, offsetS = 0) {
		this.#start(url, { ...vodConfig, startPosition: Math.max(0, offsetS) }, false);
	}

	/** Plays a VOD playlist of one span from the wall-clock time `wallMs`: the playlist's
	 * PROGRAM-DATE-TIME maps wall-clock times to media times (`fallbackStart` when it has none). */
	vodAt(url, wallMs, fallbackStart) {
		this.#start(url, { ...vodConfig, autoStartLoad: false }, false);
		const hls = this.#hls;
		if (this.#native) {
			// The playlist starts at `fallbackStart` (the view asks for it from there).
			this.#anchor = { wall: fallbackStart, media: 0 };
			this.#video.addEventListener("loadedmetadata", () => this.#video.currentTime = this.positionOf(wallMs), { once: true });
			return;
		}
		if (!hls) return;
		hls.once(globalThis.Hls.Events.LEVEL_LOADED, (_event, data) => {
			const first = data.details.fragments[0];
			this.#anchor = { wall: first?.programDateTime ?? fallbackStart, media: first?.start ?? 0 };
			hls.startLoad(this.positionOf(wallMs));
		});
	}

	/** Media time (s) of a wall-clock time in the loaded span. */
	positionOf(wallMs) {
		return this.#anchor ? Math.max(0, this.#anchor.media + (wallMs - this.#anchor.wall) / 1000) : 0;
	}

	/** Wall-clock time (ms) of the frame on screen in a recording. */
	wallTime() {
		return this.#anchor ? this.#anchor.wall + (this.#video.currentTime - this.#anchor.media) * 1000 : undefined;
	}

	/** Moves within what is loaded (a VOD playlist). */
	seek(seconds) {
		this.#video.currentTime = Math.max(0, seconds);
		if (this.#video.paused) void this.#video.play().catch(() => {});
	}

	/** The wall-clock time (ms) of the frame on screen, from the playlist's PROGRAM-DATE-TIME. */
	playingDate() {
		if (this.#hls) {
			const date = this.#hls.playingDate;
			return date ? date.getTime() : undefined;
		}
		const start = this.#native ? this.#video.getStartDate?.()?.getTime() : undefined;
		return start ? start + this.#video.currentTime * 1000 : undefined;
	}

	/** True when the browser's own HLS plays (no Media Source Extensions). */
	get native() {
		return this.#native;
	}

	/** Live: how far behind the camera's capture clock the picture on screen is (ms). */
	latency() {
		const date = this.playingDate();
		return this.#live && date !== undefined && this.#state === "playing" ? Date.now() - date : undefined;
	}

	#start(url, config, live) {
		this.stop();
		this.#live = live;
		const Hls = globalThis.Hls;
		if (!Hls || !Hls.isSupported()) {
			if (!this.#video.canPlayType("application/vnd.apple.mpegurl")) {
				this.#set("error", "This browser cannot play HLS video (no Media Source Extensions, no HLS of its own)");
				return;
			}
			this.#native = true;
			this.#set("loading");
			this.#video.addEventListener("error", this.#nativeError);
			this.#video.src = url;
			void this.#video.play().catch(() => {});
			return;
		}
		const hls = new Hls(config);
		this.#hls = hls;
		this.#set("loading");
		hls.on(Hls.Events.ERROR, (_event, data) => {
			if (!data.fatal) return;
			if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !this.#recovered) {
				this.#recovered = true;
				hls.recoverMediaError();
				return;
			}
			const reason = describe(data);
			this.stop();
			if (reason === "nothing-live") this.#set("nothing-live");
			else this.#set("error", reason);
		});
		hls.on(Hls.Events.MANIFEST_PARSED, () => void this.#video.play().catch(() => {}));
		if (live) this.#video.addEventListener("timeupdate", this.#keepUp);
		hls.attachMedia(this.#video);
		hls.loadSource(url);
	}

	#lastJump = 0;
	/** Live: jumps to the sync point so far (the latency benchmark reports them). */
	jumps = 0;

	#keepUp = () => {
		const hls = this.#hls, video = this.#video;
		const target = hls?.targetLatency, sync = hls?.liveSyncPosition;
		if (!hls || !target || !Number.isFinite(sync) || video.paused || hls.latency <= target + keepUpS) return;
		// Within what is buffered (no stall), and at most once per 5 s (a skip is seen).
		if (performance.now() - this.#lastJump < 5000 || sync <= video.currentTime || !buffered(video, sync)) return;
		this.#lastJump = performance.now();
		this.jumps++;
		video.currentTime = sync;
	};

	#nativeError = () => {
		const code = this.#video.error?.code;
		this.stop();
		// MEDIA_ERR_SRC_NOT_SUPPORTED is what Safari reports for a playlist it cannot load (a 404 too).
		if (code === 4) this.#set(this.#live ? "nothing-live" : "error", "The video could not be loaded");
		else this.#set("error", code === 3 ? "The browser could not decode this video" : "The video could not be loaded (network error)");
	};

	stop() {
		this.#video.removeEventListener("error", this.#nativeError);
		this.#video.removeEventListener("timeupdate", this.#keepUp);
		this.#native = false;
		if (this.#hls) {
			this.#hls.destroy();
			this.#hls = undefined;
		}
		this.#recovered = false;
		this.#anchor = undefined;
		this.#video.removeAttribute("src");
		this.#video.load();
		if (this.#state !== "idle") this.#set("idle");
	}
}
