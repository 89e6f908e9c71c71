// The device list: each camera with its online state, storage plan and latest
// snapshot, as cards or as a grid (views/camera-grid.js: live in 2×2, stills
// in larger ones; the layout is remembered in this browser), in natural name order, filtered by a search;
// refreshed every 10 s so a camera going offline (and new stills) show without a reload.
import { api } from "../lib/api.js";
import { ago, fill, h } from "../lib/dom.js";
import { byName, matching } from "../lib/sort.js";
import { onlineBadge, planSummary, thumbnail } from "./common.js";
import { addDeviceButton } from "./add-device.js";
import { cameraGrid } from "./camera-grid.js";
import { LiveTiles } from "./live-tiles.js";

const layoutKey = "ivxs-layout";
const layouts = [["cards", "Cards"], ["2", "2×2"], ["3", "3×3"], ["4", "4×4"]];

export function devicesView({ main, setCrumbs, viewer }) {
	setCrumbs();
	const grid = h("div.device-grid#devices");
	const status = h("p.notice", { hidden: true, role: "status" });
	let layout = localStorage.getItem(layoutKey) ?? "cards";
	let page = 0;
	let devices = [];
	const live = new LiveTiles();
	const search = h("input#device-search", { type: "search", placeholder: "Search cameras", "aria-label": "Search cameras by name", oninput: () => { page = 0; show(); } });
	const layoutButtons = h("div.segmented#layout", { role: "group", "aria-label": "Layout" }, layouts.map(([value, label]) =>
		h("button", { type: "button", dataset: { layout: value }, "aria-pressed": String(value === layout), onclick: () => {
			layout = value;
			localStorage.setItem(layoutKey, value);
			page = 0;
			show();
		} }, label)));
	fill(main, h("section.page",
		h("div.page-head", h("h1", "Cameras"), h("p.muted#device-count"),
			// Only admins may add devices (the API refuses others too).
			viewer?.admin ? h("div.page-actions", addDeviceButton(() => refresh())) : null),
		h("div.toolbar.list-tools", search, layoutButtons),
		status, grid));
	let stopped = false;
	let timer;
	let latest = 0;
	const show = () => {
		for (const button of layoutButtons.children) button.setAttribute("aria-pressed", String(button.dataset.layout === layout));
		const shown = matching(devices, search.value);
		grid.className = layout === "cards" ? "device-grid" : "grid-page";
		if (!devices.length) {
			fill(grid, h("div.empty",
				h("h2", "No cameras yet"),
				viewer?.admin
					? h("p", "Add one with ", h("strong", "Add camera"), " or ", h("code", "npm run cloud -- device add <id>"), ".")
					: h("p", "Ask an administrator to add one or to grant you access to one.")));
		}
		else if (!shown.length) fill(grid, h("div.empty", h("h2", "No camera matches"), h("p", `Nothing named like “${search.value}”.`)));
		else if (layout === "cards") fill(grid, shown.map(card));
		else fill(grid, cameraGrid(shown, Number(layout), page, (to) => { page = to; show(); }, live));
		if (layout === "cards" || !shown.length) live.stopAll();
	};
	// Called by the timer and after a device is added; only the latest call keeps the timer going.
	const refresh = async () => {
		const mine = ++latest;
		clearTimeout(timer);
		try {
			const found = byName(await api.devices());
			if (stopped || mine !== latest) return;
			devices = found;
			status.hidden = true;
			main.querySelector("#device-count").textContent = devices.length === 1 ? "1 camera" : `${devices.length} cameras`;
			show();
		}
		catch (error) {
			if (stopped || mine !== latest || error.status === 401) return;
			status.hidden = false;
			status.className = "notice error";
			status.textContent = `Could not load the devices: ${error.message}`;
		}
		if (!stopped) timer = setTimeout(refresh, 10000);
	};
	refresh();
	return () => {
		stopped = true;
		clearTimeout(timer);
		live.stopAll();
	};
}

function card(device) {
	const online = device.online ?? device.presence?.online ?? false;
	const since = device.since ?? device.presence?.since;
	return h("a.device-card", { href: `#/devices/${encodeURIComponent(device.id)}/live`, dataset: { device: device.id, online: String(online) } },
		thumbnail(device, online),
		h("div.device-body",
			h("div.device-title", h("h2", device.name || device.id), onlineBadge(online)),
			h("p.muted.small", device.id, device.channels > 1 ? ` · ${device.channels} channels` : ""),
			h("p.plan", planSummary(device.plan)),
			!online ? h("p.muted.small", since ? `Last seen ${ago(since)}` : "Never connected") : null,
			device.lastSnapshot ? h("p.muted.small", `Snapshot ${ago(device.lastSnapshot.time)}`) : null));
}
