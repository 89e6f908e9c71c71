// Live view: straight from the camera over WebRTC when the camera serves it and a path is found
// within 3 s (lib/webrtc-player.js, the cloud's WHEP endpoint), else the channel's live playlist in
// hls.js (low-latency settings in lib/player.js) — saying which it is (direct on the same network,
// direct through a NAT, relayed, or through the cloud) — with what the person needs to know on top of it: connecting,
// offline, nothing streaming, an error; how far behind real time it is; and
// beside it the camera's state and its latest events (each opens its clip).
// Controls: sound on/off (the player starts muted, as browsers require for
// autoplay), full screen, the delay from capture to screen, and a snapshot
// now (views/snapshot-button.js), shown beside the player when it arrives.
import { api } from "../lib/api.js";
import { ago, clock, eventKind, eventLabels, fill, h } from "../lib/dom.js";
import { Player } from "../lib/player.js";
import { WebRtcPlayer } from "../lib/webrtc-player.js";
import { picture, planSummary } from "./common.js";
import { snapshotButton } from "./snapshot-button.js";

export function liveTab(body, { id, channel, online, device }) {
	const snapshot = device.lastSnapshot?.channel === channel ? device.lastSnapshot : undefined;
	const video = h("video#live-video", { muted: true, playsInline: true, autoplay: true, poster: snapshot ? api.snapshotUrl(id, channel, snapshot.time) : undefined });
	const overlay = h("div.overlay#live-overlay");
	const latency = h("span.latency#live-latency", "–");
	const size = h("span.muted#live-size");
	const stage = h("div.stage");
	const sound = h("button.ghost#live-sound", { type: "button", "aria-pressed": "false", onclick: () => {
		video.muted = !video.muted;
		if (!video.muted) void video.play().catch(() => {});
		sound.setAttribute("aria-pressed", String(!video.muted));
		sound.textContent = video.muted ? "Unmute" : "Mute";
	} }, "Unmute");
	const fullScreen = h("button.ghost#live-fullscreen", { type: "button", onclick: () => {
		if (document.fullscreenElement) void document.exitFullscreen();
		// The card, so the controls stay reachable; Safari on iPhone has only the video's own full screen.
		else if (card.requestFullscreen) void card.requestFullscreen().catch(() => video.webkitEnterFullscreen?.());
		else video.webkitEnterFullscreen?.();
	} }, "Full screen");
	// Talk: the microphone to the camera's speaker (its talkback), over a direct WebRTC session whose
	// grant gives talk; hidden otherwise.
	const talkStatus = h("span.muted.small#live-talk-status");
	const talkButton = h("button.ghost#live-talk", { type: "button", hidden: true, "aria-pressed": "false", onclick: async () => {
		const on = !webrtc.talking;
		talkButton.disabled = true;
		try {
			await webrtc.talk(on);
			talkStatus.textContent = on ? "The camera hears you" : "";
		}
		catch (error) {
			talkStatus.textContent = error.name === "NotAllowedError" ? "Microphone not allowed" : `Cannot talk: ${error.message}`;
		}
		finally {
			talkButton.disabled = false;
			talkButton.setAttribute("aria-pressed", String(webrtc.talking));
			talkButton.textContent = webrtc.talking ? "Stop talking" : "Talk";
		}
	} }, "Talk");
	const talkable = (can) => {
		talkButton.hidden = !can;
		talkButton.setAttribute("aria-pressed", "false");
		talkButton.textContent = "Talk";
		talkStatus.textContent = "";
	};
	// PTZ: the camera's viewer commands over the same session's DataChannel (a direct WebRTC session
	// whose camera opened it); hidden otherwise. The reply says whether the camera moved.
	const ptzStatus = h("span.muted.small#live-ptz-status");
	const ptzButton = (op, label, title) => h(`button.ghost#live-ptz-${op}`, { type: "button", title, onclick: async () => {
		try {
			const reply = await webrtc.command({ cmd: "ptz", op });
			ptzStatus.textContent = !reply.ok ? `PTZ refused: ${reply.error}` : reply.moved === false ? "This camera has no PTZ motor" : `Moved ${title.toLowerCase()}`;
		}
		catch (error) {
			ptzStatus.textContent = `PTZ: ${error.message}`;
		}
	} }, label);
	const ptz = h("span.ptz#live-ptz", { hidden: true, role: "group", "aria-label": "Pan and tilt" },
		ptzButton("left", "◀", "Left"), ptzButton("up", "▲", "Up"), ptzButton("down", "▼", "Down"), ptzButton("right", "▶", "Right"));
	const commandable = (can) => {
		ptz.hidden = !can;
		ptzStatus.textContent = "";
	};
	const taken = h("div.snap-taken#snapshot-taken", { hidden: true });
	const [snapButton, snapStatus] = snapshotButton(id, channel, (shot) => {
		taken.hidden = false;
		fill(taken, h("a", { href: shot.url, target: "_blank", rel: "noopener", dataset: { time: String(shot.time) } }, picture(shot.url, `Snapshot at ${clock(shot.time)}`)),
			h("p.muted.small", `Taken ${clock(shot.time)} · kept with the `, h("a", { href: `#/devices/${encodeURIComponent(id)}/snapshots${channel ? `?ch=${channel}` : ""}` }, "snapshots")));
	});
	const liveBadge = h("span.live-badge", "LIVE");
	const path = h("span.muted#live-path");
	const events = h("ul.rows#live-events", h("li.empty-row", "Loading…"));
	const since = device.since ? (online ? `Online since ${clock(device.since, false)}` : `Last seen ${ago(device.since)}`) : online ? "Online" : "Never connected";
	const card = h("div.player-card",
		fill(stage, video, overlay),
		h("div.player-info", liveBadge, path, h("span", { title: "From the camera to this screen" }, "Delay ", latency), size,
			h("span.player-actions", sound, talkButton, ptz, fullScreen, snapButton, h("button.ghost#live-retry", { type: "button", onclick: () => start() }, "Reconnect")),
			snapStatus, talkStatus, ptzStatus));
	fill(body, h("div.split",
		card,
		h("div.side",
			taken,
			h("h3", "Camera"),
			h("dl.facts",
				h("dt", "State"), h("dd", since),
				h("dt", "Recording"), h("dd", planSummary(device.plan)),
				h("dt", "Channels"), h("dd", String(device.channels ?? 1)),
				device.status?.firmware ? [h("dt", "Firmware"), h("dd", String(device.status.firmware))] : null),
			h("h3", "Latest events"), events)));
	const show = (text, kind = "info") => {
		overlay.hidden = !text;
		overlay.dataset.kind = kind;
		fill(overlay, text ? h("p", text) : null);
	};
	let retry;
	const player = new Player(video, {
		onState: (state, detail) => {
			liveBadge.dataset.on = String(state === "playing");
			if (state === "loading") show("Connecting to the camera…");
			else if (state === "playing") show("");
			else if (state === "waiting") show("Waiting for video…");
			else if (state === "nothing-live") {
				show(online ? "The camera is online but not streaming right now. Retrying…" : "The camera is offline. The live view starts when it reconnects.", online ? "info" : "offline");
				clearTimeout(retry);
				retry = setTimeout(start, 5000);
			}
			else if (state === "error") show(detail, "error");
		},
	});
	// The camera's WebRTC endpoint serves its first channel's live view; cameras that do not say they
	// serve WebRTC (older ones, the cloud's simulator) go straight to the cloud.
	const direct = channel === 0 && WebRtcPlayer.supported && !!device.status?.p2p?.wires?.includes?.("webrtc");
	const webrtc = new WebRtcPlayer(video, { onEnded: (why) => {
		talkable(false);
		commandable(false);
		show(`${why}. Reconnecting…`);
		start();
	} });
	const via = (wire, detail) => {
		path.dataset.wire = wire;
		path.dataset.path = wire === "webrtc" ? detail : "cloud";
		path.textContent = wire === "webrtc" ? pathNames[detail] ?? "Direct" : "Through the cloud (LL-HLS)";
		path.title = wire === "webrtc" ? (detail === "relay" ? "From the camera over WebRTC, relayed by the TURN server (no direct path between you and the camera)" : "Straight from the camera over WebRTC: the video does not pass through the cloud")
			: detail ? `No direct path to the camera (${detail}): the video comes through the cloud` : "The video comes through the cloud";
	};
	let attempts = 0;
	const start = async () => {
		clearTimeout(retry);
		const attempt = ++attempts;
		let why;
		talkable(false);
		commandable(false);
		if (direct) {
			player.stop();
			show("Connecting straight to the camera…");
			try {
				const { stun = [] } = await api.p2pServers().catch(() => ({}));
				const kind = await webrtc.live(api.whepUrl(id), stun.length ? [{ urls: stun.map((s) => `stun:${s.address}:${s.port}`) }] : []);
				if (attempt !== attempts) return;
				video.ivxsPlayer = webrtc;
				via("webrtc", kind);
				talkable(webrtc.canTalk);
				void webrtc.commandsReady().then((open) => attempt === attempts && commandable(open));
				liveBadge.dataset.on = "true";
				show("");
				return;
			}
			catch (error) {
				if (attempt !== attempts) return;
				why = error.message;
			}
		}
		video.ivxsPlayer = player;
		via("cloud", why);
		player.live(api.liveUrl(id, channel));
	};
	const listEvents = async () => {
		try {
			const now = Date.now();
			const latest = (await api.events(id, channel, now - 24 * 3600e3, now + 60e3)).slice(-8).reverse();
			fill(events, latest.length ? latest.map((event) => h("li.row",
				h(`span.dot.${eventKind(event.bits)}`),
				h("a", { href: `#/devices/${encodeURIComponent(id)}/recordings?${channel ? `ch=${channel}&` : ""}at=${event.time}` }, clock(event.time)),
				h("span.muted", eventLabels(event.bits).join(", "))))
				: h("li.empty-row", "No events in the last 24 hours."));
		}
		catch (error) {
			if (error.status !== 401) fill(events, h("li.empty-row", `Events unavailable: ${error.message}`));
		}
	};
	const ticker = setInterval(() => {
		const ms = video.ivxsPlayer?.latency();
		// WebRTC's is tens of milliseconds: seconds with one decimal would say 0.0
		latency.textContent = ms === undefined ? "–" : video.ivxsPlayer === webrtc && ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
		if (video.videoWidth) size.textContent = `${video.videoWidth}×${video.videoHeight}`;
	}, 500);
	const eventTimer = setInterval(listEvents, 15000);
	start();
	listEvents();
	return () => {
		clearTimeout(retry);
		clearInterval(ticker);
		clearInterval(eventTimer);
		attempts++;
		webrtc.stop();
		player.stop();
	};
}

// ICE's path types, said plainly (the worse end of the pair ICE selected).
const pathNames = {
	host: "Direct · same network",
	srflx: "Direct · through a NAT",
	prflx: "Direct",
	relay: "Relayed (TURN)",
};
