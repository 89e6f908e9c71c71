// A camera's Events tab: the channel's events, newest first, with their
// pictures (views/event-item.js) over the last day or week; each opens the
// recording at that moment. Refreshed every 30 s while open.
import { api } from "../lib/api.js";
import { fill, h } from "../lib/dom.js";
import { eventItem } from "./event-item.js";

const spans = [["86400000", "Last 24 hours"], ["604800000", "Last 7 days"]];
const shownMax = 200;

export function eventsTab(body, { id, channel, device }) {
	let stopped = false;
	const spanSelect = h("select#camera-event-span", { onchange: () => load() }, spans.map(([value, label]) => h("option", { value }, label)));
	const list = h("ul.event-list#camera-events", h("li.empty-row", "Loading…"));
	const count = h("span.muted#camera-event-count");
	fill(body,
		h("div.toolbar", h("h2", "Events"), count),
		h("div.toolbar.filters", h("label", h("span", "When"), spanSelect),
			h("a.small", { href: `#/events?camera=${encodeURIComponent(id)}` }, "All cameras' events")),
		list);
	async function load() {
		const to = Date.now() + 60e3;
		let events;
		try {
			events = (await api.events(id, channel, to - Number(spanSelect.value), to)).reverse();
		}
		catch (error) {
			if (!stopped && error.status !== 401) fill(list, h("li.empty-row", `Could not load the events: ${error.message}`));
			return;
		}
		if (stopped) return;
		count.textContent = `${events.length} event${events.length === 1 ? "" : "s"}${events.length > shownMax ? ` (newest ${shownMax} shown)` : ""}`;
		fill(list, events.length ? events.slice(0, shownMax).map((event) => eventItem(device, event)) : h("li.empty-row", "No events in this time."));
	}
	load();
	const timer = setInterval(load, 30000);
	return () => {
		stopped = true;
		clearInterval(timer);
	};
}
