// Live video in the small camera grid (views/camera-grid.js): the 2×2 grid
// plays each online camera's channel 0 live, muted; larger grids keep the
// refreshed stills. At most MAX_LIVE_TILES players: every live tile is an HLS
// player holding a blocking playlist request and fetching a segment a second
// (HTTP/1.1 browsers open 6 connections to a host, and 4 players already keep
// ~4 of them busy), a decoder (phones have few hardware ones), and a camera
// streaming for it whatever its plan (live on demand) — 4 is what a page can
// afford; 9 or 16 would stall one another and the cameras' uplinks.
// The players outlive the grid's 10-s redraws: a tile gets its camera's
// <video> back and moves it into the new tile in the same task, so playback
// carries on without a reload.
import { api } from "../lib/api.js";
import { h } from "../lib/dom.js";
import { Player } from "../lib/player.js";

export const MAX_LIVE_TILES = 4;

export class LiveTiles {
	#players = new Map();

	/** The playing <video> of `device` (started on first use), or undefined when it should show a still. */
	video(device, poster) {
		if (!(device.online ?? false)) return undefined;
		let entry = this.#players.get(device.id);
		if (!entry) {
			if (this.#players.size >= MAX_LIVE_TILES) return undefined;
			const video = h("video.tile-video", { muted: true, playsInline: true, autoplay: true, dataset: { device: device.id } });
			const player = new Player(video, { onState: (state) => video.dataset.state = state });
			player.live(api.liveUrl(device.id, 0));
			this.#players.set(device.id, entry = { video, player });
		}
		if (poster) entry.video.poster = poster;
		// A camera that was not streaming (or failed) is tried again at each redraw (every 10 s).
		if (entry.player.state === "nothing-live" || entry.player.state === "error") entry.player.live(api.liveUrl(device.id, 0));
		return entry.video;
	}

	/** Stops the players of cameras no longer shown live. */
	keep(ids) {
		for (const [id, { player }] of this.#players) {
			if (ids.has(id)) continue;
			player.stop();
			this.#players.delete(id);
		}
	}

	stopAll() {
		this.keep(new Set());
	}
}
