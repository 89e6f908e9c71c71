// An event's picture: the still the camera sent with it (the events API's
// `picture`, PROTOCOL.md §5), or else the snapshot nearest the event's time
// (snapshots API, within a minute either side) — a camera that sends no stills,
// or one that dropped it (too soon after another). Loaded when it scrolls into
// view; the tile says so when there is none.
import { api } from "../lib/api.js";
import { h } from "../lib/dom.js";

const windowMs = 60e3;

/** The snapshot ({ time, url }) nearest `time`, or undefined. */
export async function nearestSnapshot(device, channel, time) {
	const shots = await api.snapshots(device, channel, time - windowMs, time + windowMs, 100);
	let best;
	for (const shot of shots) if (!best || Math.abs(shot.time - time) < Math.abs(best.time - time)) best = shot;
	return best;
}

const watcher = typeof IntersectionObserver === "function" ? new IntersectionObserver((entries) => {
	for (const entry of entries) {
		if (!entry.isIntersecting) continue;
		watcher.unobserve(entry.target);
		entry.target.ivxsLoad?.();
	}
}, { rootMargin: "200px" }) : undefined;

/** A thumbnail box for `event` ({ time, channel, picture? }) of `device` (id). */
export function eventThumb(device, event, label) {
	const box = h("span.event-thumb", { dataset: { state: "loading" } });
	box.ivxsLoad = async () => {
		try {
			const shot = event.picture ? { time: event.time, url: event.picture } : await nearestSnapshot(device, event.channel ?? 0, event.time);
			if (!shot) throw new Error("none");
			const alt = event.picture ? `${label}: the camera's picture of the event` : `${label}: snapshot ${Math.round(Math.abs(shot.time - event.time) / 1000)} s from the event`;
			const img = h("img", { alt, decoding: "async", src: shot.url, dataset: { time: String(shot.time), source: event.picture ? "event" : "nearest" } });
			img.addEventListener("error", () => none(), { once: true });
			box.replaceChildren(img);
			box.dataset.state = "ready";
		}
		catch {
			none();
		}
	};
	const none = () => {
		box.dataset.state = "none";
		box.replaceChildren(h("span", "No picture"));
	};
	if (watcher) watcher.observe(box);
	else void box.ivxsLoad();
	return box;
}
