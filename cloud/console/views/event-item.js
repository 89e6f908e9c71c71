// One event in a list (the Events page across cameras, a camera's Events tab):
// its picture, kinds, camera and time, opening the recording at that moment.
import { eventKind, eventLabels, h, stamp } from "../lib/dom.js";
import { eventThumb } from "./event-thumb.js";

/** `device`: { id, name, channels }; `event`: from api.events. */
export function eventItem(device, event) {
	const name = device.name || device.id;
	const labels = eventLabels(event.bits).join(", ");
	return h("li.event-item", { dataset: { device: device.id, id: event.id, kind: eventKind(event.bits) } },
		h("a.event-link", { href: `#/devices/${encodeURIComponent(device.id)}/recordings?${event.channel ? `ch=${event.channel}&` : ""}at=${event.time}` },
			eventThumb(device.id, event, `${labels} on ${name}`),
			h("span.event-text",
				h("span.event-title", h(`span.dot.${eventKind(event.bits)}`), labels),
				h("span.event-camera", name, device.channels > 1 ? ` · channel ${event.channel + 1}` : ""),
				h("time.muted.small", { datetime: new Date(event.time).toISOString() }, stamp(event.time)))));
}
