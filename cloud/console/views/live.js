// Live view: the channel's live playlist in hls.js (low-latency settings in
// lib/player.js), with what the person needs to know on top of it: connecting,
// offline, nothing streaming, an error; and how far behind real time it is.
import { api } from "../lib/api.js";
import { fill, h } from "../lib/dom.js";
import { Player } from "../lib/player.js";

export function liveTab(body, { id, channel, online }) {
	const video = h("video#live-video", { muted: true, playsInline: true, autoplay: true, poster: api.latestSnapshotUrl(id, channel) });
	const overlay = h("div.overlay#live-overlay");
	const latency = h("span.latency#live-latency", "–");
	const size = h("span.muted#live-size");
	const liveBadge = h("span.live-badge", "LIVE");
	fill(body, h("div.player-card",
		h("div.stage", video, overlay),
		h("div.player-info", liveBadge, h("span", "Delay ", latency), size, h("button.ghost#live-retry", { onclick: () => start() }, "Reconnect"))));
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
				show(online ? "The camera is online but is not streaming right now. Retrying…" : "The camera is offline. The live view starts when it reconnects.", online ? "info" : "offline");
				clearTimeout(retry);
				retry = setTimeout(start, 5000);
			}
			else if (state === "error") show(detail, "error");
		},
	});
	const start = () => {
		clearTimeout(retry);
		player.live(api.liveUrl(id, channel));
	};
	const ticker = setInterval(() => {
		const ms = player.latency();
		latency.textContent = ms === undefined ? "–" : `${(ms / 1000).toFixed(1)} s`;
		if (video.videoWidth) size.textContent = `${video.videoWidth}×${video.videoHeight}`;
	}, 500);
	start();
	return () => {
		clearTimeout(retry);
		clearInterval(ticker);
		player.stop();
	};
}
