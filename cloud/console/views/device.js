// One device: its name and state, a channel picker, and six tabs (live,
// recordings, events, snapshots, P2P viewers, settings), each in its own module.
import { api } from "../lib/api.js";
import { fill, h } from "../lib/dom.js";
import { setCameraZone } from "../lib/zone.js";
import { onlineBadge, planSummary } from "./common.js";
import { eventsTab } from "./camera-events.js";
import { liveTab } from "./live.js";
import { p2pTab } from "./p2p-sessions.js";
import { recordingsTab } from "./recordings.js";
import { snapshotsTab } from "./snapshots.js";
import { settingsTab } from "./settings.js";

const tabs = [
	["live", "Live", liveTab],
	["recordings", "Recordings", recordingsTab],
	["events", "Events", eventsTab],
	["snapshots", "Snapshots", snapshotsTab],
	["p2p", "P2P", p2pTab],
	["settings", "Settings", settingsTab],
];

export function deviceView(context, id, tab) {
	const { main, setCrumbs, params } = context;
	const found = tabs.find(([name]) => name === tab) ?? tabs[0];
	const channel = Math.max(0, Math.floor(Number(params.get("ch")) || 0));
	setCrumbs({ label: "Cameras", href: "#/devices" }, { label: id });
	const body = h("div.tab-body#tab-body");
	const head = h("div.device-head");
	fill(main, h("section.page", head, body));
	let stopTab = () => {};
	let stopped = false;
	const hrefFor = (name, ch = channel) => `#/devices/${encodeURIComponent(id)}/${name}${ch ? `?ch=${ch}` : ""}`;
	(async () => {
		let device;
		try {
			device = await api.device(id);
		}
		catch (error) {
			if (stopped || error.status === 401) return;
			fill(body, h("div.empty", h("h2", error.status === 404 ? "No such device" : error.status === 403 ? "Not allowed" : "Could not load this device"), h("p", error.message), h("p", h("a", { href: "#/devices" }, "Back to the devices"))));
			return;
		}
		if (stopped) return;
		// The camera's own zone becomes one of the zones offered (and used when chosen).
		setCameraZone(device.timeZone);
		context.showZone?.();
		const online = device.online ?? device.presence?.online ?? false;
		const channels = Math.max(1, device.channels ?? 1);
		setCrumbs({ label: "Cameras", href: "#/devices" }, { label: device.name || id });
		fill(head,
			h("div.device-title",
				h("h1", device.name || id), onlineBadge(online),
				h("span.muted.small#plan-summary", planSummary(device.plan))),
			h("div.device-bar",
				h("nav.tabs", { role: "tablist" }, tabs.map(([name, label]) =>
					h("a.tab", { href: hrefFor(name), role: "tab", "aria-selected": String(name === found[0]), dataset: { tab: name } }, label))),
				channels > 1 ? h("label.channel", "Channel ",
					h("select#channel", { onchange: (event) => context.go(hrefFor(found[0], Number(event.target.value))) },
						Array.from({ length: channels }, (_, i) => h("option", { value: String(i), selected: i === channel }, `${i + 1}`)))) : null));
		// On a phone the tabs are a strip that scrolls sideways: bring the chosen one into view.
		head.querySelector('.tab[aria-selected="true"]')?.scrollIntoView?.({ block: "nearest", inline: "nearest" });
		stopTab = found[2](body, { ...context, device, id, channel: Math.min(channel, channels - 1), online }) ?? (() => {});
	})();
	return () => {
		stopped = true;
		stopTab();
	};
}
