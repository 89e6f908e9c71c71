// The camera grid: N×N tiles (2×2, 3×3, 4×4), a page at a time; a click opens
// that camera's live view. The 2×2 grid plays its online cameras live
// (views/live-tiles.js: 4 players at most, and why); larger grids show each
// camera's newest snapshot, refreshed with the device list — 16 live HLS
// players would pull 16 streams through the page.
import { api } from "../lib/api.js";
import { ago, h } from "../lib/dom.js";
import { onlineBadge } from "./common.js";
import { MAX_LIVE_TILES } from "./live-tiles.js";

/**
 * The tiles of page `page` (0-based) of `devices` in a `size`×`size` grid, and a pager when there
 * is more than one page. `live` (a LiveTiles) plays the tiles live when the grid is that small.
 */
export function cameraGrid(devices, size, page, onPage, live) {
	const per = size * size;
	const pages = Math.max(1, Math.ceil(devices.length / per));
	const at = Math.min(page, pages - 1);
	const shown = devices.slice(at * per, at * per + per);
	const playing = live && per <= MAX_LIVE_TILES ? live : undefined;
	// Players of cameras off this page stop first, so the page's own cameras get the places.
	live?.keep(new Set(playing ? shown.map((device) => device.id) : []));
	const tiles = shown.map((device) => tile(device, playing));
	const grid = h("div.camera-grid#camera-grid", { dataset: { size: String(size) } }, tiles);
	grid.style.setProperty("--cols", String(size));
	const pager = pages > 1 ? h("div.pager",
		h("button.ghost#grid-prev", { type: "button", disabled: at === 0, onclick: () => onPage(at - 1), "aria-label": "Previous cameras" }, "‹"),
		h("span.muted#grid-page", `${at + 1} / ${pages}`),
		h("button.ghost#grid-next", { type: "button", disabled: at === pages - 1, onclick: () => onPage(at + 1), "aria-label": "Next cameras" }, "›")) : null;
	return [grid, pager];
}

function tile(device, live) {
	const online = device.online ?? false;
	const shot = device.lastSnapshot;
	const name = device.name || device.id;
	const still = shot ? api.snapshotUrl(device.id, shot.channel ?? 0, shot.time) : undefined;
	const video = live?.video(device, still);
	return h("a.tile", { href: `#/devices/${encodeURIComponent(device.id)}/live`, dataset: { device: device.id, online: String(online), live: String(!!video) }, title: `Open the live view of ${name}` },
		video ?? (still ? h("img", { alt: `Latest still of ${name}`, decoding: "async", src: still })
			: h("span.thumb-empty", online ? "No still yet" : "Offline")),
		h("span.tile-bar", h("span.tile-name", name), video ? h("span.live-badge", { dataset: { on: "true" } }, "LIVE") : shot ? h("span.tile-age", ago(shot.time)) : null, onlineBadge(online)));
}
