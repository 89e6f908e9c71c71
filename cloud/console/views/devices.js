// The device list: each camera with its online state, storage plan and latest
// snapshot; refreshed every 10 s so a camera going offline shows without a reload.
import { api } from "../lib/api.js";
import { ago, fill, h } from "../lib/dom.js";
import { onlineBadge, planSummary, thumbnail } from "./common.js";
import { addDeviceButton } from "./add-device.js";

export function devicesView({ main, setCrumbs, viewer }) {
	setCrumbs({ label: "Devices" });
	const grid = h("div.device-grid#devices");
	const status = h("p.notice", { hidden: true, role: "status" });
	fill(main, h("section.page",
		h("div.page-head", h("h1", "Devices"), h("p.muted#device-count"),
			// Only admins may add devices (the API refuses others too).
			viewer?.admin ? h("div.page-actions", addDeviceButton(() => refresh())) : null),
		status, grid));
	let stopped = false;
	let timer;
	let latest = 0;
	// Called by the timer and after a device is added; only the latest call keeps the timer going.
	const refresh = async () => {
		const mine = ++latest;
		clearTimeout(timer);
		try {
			const devices = await api.devices();
			if (stopped || mine !== latest) return;
			status.hidden = true;
			main.querySelector("#device-count").textContent = devices.length === 1 ? "1 camera" : `${devices.length} cameras`;
			if (!devices.length) {
				fill(grid, h("div.empty",
					h("h2", "No cameras yet"),
					viewer?.admin
						? h("p", "Add one with ", h("strong", "Add camera"), " or ", h("code", "npm run cloud -- device add <id>"), ".")
						: h("p", "Ask an administrator to add one or to grant you access to one.")));
			}
			else fill(grid, devices.map(card));
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
