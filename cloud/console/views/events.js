// Events across all the viewer's cameras: the newest first with a picture each
// (views/event-thumb.js), filtered by kind and camera, over the last day or
// week; each opens the recording at that moment. The page also turns browser
// notifications on or off (lib/notify.js) — asked for on that click only.
import { api } from "../lib/api.js";
import { fill, h } from "../lib/dom.js";
import { notifier } from "../lib/notify.js";
import { byName } from "../lib/sort.js";
import { eventItem } from "./event-item.js";

const kinds = [["", "All kinds"], ["motion", "Motion"], ["human", "Person"], ["sound", "Sound"], ["linkage", "Linkage"], ["custom", "Custom"]];
const spans = [["86400000", "Last 24 hours"], ["604800000", "Last 7 days"]];
const shownMax = 200;

export function eventsView({ main, setCrumbs, params }) {
	setCrumbs();
	let devices = [];
	let events = [];
	let stopped = false;
	const cameraSelect = h("select#event-camera", { onchange: () => load() }, h("option", { value: "" }, "All cameras"));
	const kindSelect = h("select#event-kind", { onchange: () => show() }, kinds.map(([value, label]) => h("option", { value, selected: value === (params.get("kind") ?? "") }, label)));
	const spanSelect = h("select#event-span", { onchange: () => load() }, spans.map(([value, label]) => h("option", { value }, label)));
	const list = h("ul.event-list#event-list", h("li.empty-row", "Loading…"));
	const message = h("p.notice", { hidden: true, role: "status" });
	const notifyButton = h("button.ghost#notify", { type: "button", onclick: async () => {
		if (notifier.state === "on") notifier.turnOff();
		else await notifier.turnOn();
		showNotify();
	} });
	const notifyState = h("span.muted.small#notify-state", { role: "status" });
	const showNotify = () => {
		const state = notifier.state;
		notifyButton.textContent = state === "on" ? "Turn notifications off" : "Notify me of new events";
		notifyButton.disabled = state === "unsupported" || state === "denied";
		notifyState.textContent = state === "on" ? "Notifications on while the console is open." : state === "denied" ? "Notifications are blocked for this site in the browser's settings." : state === "unsupported" ? "This browser has no notifications." : "";
	};
	fill(main, h("section.page",
		h("div.page-head", h("h1", "Events"), h("p.muted#event-count"), h("div.page-actions", notifyButton)),
		notifyState,
		h("div.toolbar.filters",
			h("label", h("span", "Camera"), cameraSelect),
			h("label", h("span", "Kind"), kindSelect),
			h("label", h("span", "When"), spanSelect)),
		h("p.muted.small", "Each picture is the still the camera sent with the event, or else its snapshot nearest the event."),
		message, list));
	showNotify();

	const matchesKind = (event) => {
		const kind = kindSelect.value;
		if (!kind) return true;
		if (kind === "custom") return (event.kinds ?? []).some((k) => k.startsWith("custom"));
		return (event.kinds ?? []).includes(kind);
	};

	function show() {
		const shown = events.filter(matchesKind);
		main.querySelector("#event-count").textContent = `${shown.length}${shown.length > shownMax ? ` (newest ${shownMax} shown)` : ""} event${shown.length === 1 ? "" : "s"}`;
		fill(list, shown.length ? shown.slice(0, shownMax).map(({ device, ...event }) => eventItem(device, event)) : h("li.empty-row", "No events match."));
	}

	async function load() {
		const to = Date.now() + 60e3;
		const from = to - Number(spanSelect.value);
		try {
			if (!devices.length) {
				devices = byName(await api.devices());
				const wanted = params.get("camera") ?? "";
				for (const device of devices) cameraSelect.append(h("option", { value: device.id, selected: device.id === wanted }, device.name || device.id));
			}
			const chosen = devices.filter((device) => !cameraSelect.value || device.id === cameraSelect.value);
			const lists = await Promise.all(chosen.map((device) => api.events(device.id, undefined, from, to).then((found) => found.map((event) => ({ ...event, device })))));
			if (stopped) return;
			events = lists.flat().sort((a, b) => b.time - a.time);
			message.hidden = true;
		}
		catch (error) {
			if (stopped || error.status === 401) return;
			message.hidden = false;
			message.className = "notice error";
			message.textContent = `Could not load the events: ${error.message}`;
			return;
		}
		show();
	}
	load();
	const timer = setInterval(load, 30000);
	return () => {
		stopped = true;
		clearInterval(timer);
	};
}
