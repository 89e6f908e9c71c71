// The camera grid: N×N tiles (2×2, 3×3, 4×4) of stills — each camera's newest
// snapshot, refreshed with the device list — a page at a time; a click opens
// that camera's live view. Stills rather than N² live players: a 4×4 grid of
// live HLS would pull 16 streams through the page.
import { api } from "../lib/api.js";
import { ago, h } from "../lib/dom.js";
import { onlineBadge } from "./common.js";

/** The tiles of page `page` (0-based) of `devices` in a `size`×`size` grid, and a pager when there is more than one page. */
export function cameraGrid(devices, size, page, onPage) {
	const per = size * size;
	const pages = Math.max(1, Math.ceil(devices.length / per));
	const at = Math.min(page, pages - 1);
	const tiles = devices.slice(at * per, at * per + per).map(tile);
	const grid = h("div.camera-grid#camera-grid", { dataset: { size: String(size) } }, tiles);
	grid.style.setProperty("--cols", String(size));
	const pager = pages > 1 ? h("div.pager",
		h("button.ghost#grid-prev", { type: "button", disabled: at === 0, onclick: () => onPage(at - 1), "aria-label": "Previous cameras" }, "‹"),
		h("span.muted#grid-page", `${at + 1} / ${pages}`),
		h("button.ghost#grid-next", { type: "button", disabled: at === pages - 1, onclick: () => onPage(at + 1), "aria-label": "Next cameras" }, "›")) : null;
	return [grid, pager];
}

function tile(device) {
	const online = device.online ?? false;
	const shot = device.lastSnapshot;
	const name = device.name || device.id;
	return h("a.tile", { href: `#/devices/${encodeURIComponent(device.id)}/live`, dataset: { device: device.id, online: String(online) }, title: `Open the live view of ${name}` },
		shot ? h("img", { alt: `Latest still of ${name}`, decoding: "async", src: api.snapshotUrl(device.id, shot.channel ?? 0, shot.time) })
			: h("span.thumb-empty", online ? "No still yet" : "Offline"),
		h("span.tile-bar", h("span.tile-name", name), shot ? h("span.tile-age", ago(shot.time)) : null, onlineBadge(online)));
}
