// The device list: each camera with its online state, storage plan and latest
// snapshot; refreshed every 10 s so a camera going offline shows without a reload.
import { api } from "../lib/api.js";
import { ago, fill, h } from "../lib/dom.js";
import { onlineBadge, planSummary, thumbnail } from "./common.js";

export function devicesView({ main, setCrumbs }) {
	setCrumbs({ label: "Devices" });
	const grid = h("div.device-grid#devices");
	const status = h("p.notice", { hidden: true, role: "status" });
	fill(main, h("section.page",
		h("div.page-head", h("h1", "Devices"), h("p.muted#device-count")),
		status, grid));
	let stopped = false;
	let timer;
	const refresh = async () => {
		try {
			const devices = await api.devices();
			if (stopped) return;
			status.hidden = true;
			main.querySelector("#device-count").textContent = devices.length === 1 ? "1 camera" : `${devices.length} cameras`;
			if (!devices.length) {
				fill(grid, h("div.empty",
					h("h2", "No cameras yet"),
					h("p", "Add one with ", h("code", "npm run cloud -- device add <id>"), ", or ask an administrator to grant you access to one.")));
			}
			else fill(grid, devices.map(card));
		}
		catch (error) {
			if (stopped || error.status === 401) return;
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
