// The clip under the timeline: a range chosen by dragging on the timeline (or,
// by keyboard and touch, "Start here"/"End here" at the playing moment),
// downloaded as one MP4 (the cloud's `get` with download=1, which names the
// file like the recording files) or shared as a signed, expiring link that
// opens only that clip (API.md "Signed URLs").
import { api } from "../lib/api.js";
import { clock, day, duration, h } from "../lib/dom.js";
import { zoneLabel } from "../lib/zone.js";

// A clip is something to keep or send: an hour is already ~1 GB at camera
// bitrates. `get` would serve 24 h, but longer stretches are the recording files.
export const maxClipMs = 3600e3;
const lifetimes = [["1 hour", 3600], ["24 hours", 86400], ["7 days", 7 * 86400]];
const defaultLifetimeS = 86400;

/** { element, select(from, to) }; `wallTime()` is the playing moment (ms) or undefined; `onChange(from, to)` redraws the timeline's band. */
export function clipBar(id, channel, { wallTime, onChange }) {
	let from, to;
	const range = h("span.clip-range#clip-range");
	const download = h("a.button#clip-download", { download: "" }, "Download MP4");
	const expiry = h("select#clip-expiry", { "aria-label": "Link valid for" },
		lifetimes.map(([label, s]) => h("option", { value: String(s), selected: s === defaultLifetimeS }, label)));
	const link = h("input#clip-link", { readOnly: true, hidden: true, "aria-label": "Share link", onfocus: () => link.select() });
	const status = h("span.muted.small#clip-status", { role: "status" });
	const share = h("button#clip-share", { type: "button", onclick: async () => {
		status.textContent = "Signing…";
		try {
			const signed = await api.sign(clipPath(), Number(expiry.value));
			link.value = new URL(signed.url, location.href).href;
			link.hidden = false;
			const copied = await navigator.clipboard?.writeText(link.value).then(() => true, () => false);
			const expires = Date.parse(signed.expires);
			// (a date, not "Today": the link outlives the day)
			status.textContent = `${copied ? "Copied. " : ""}View-only, valid until ${day(expires)} ${clock(expires, false)} ${zoneLabel(expires)}.`;
		}
		catch (error) {
			if (error.status !== 401) status.textContent = error.message;
		}
	} }, "Share link");
	const at = (set) => () => {
		const time = wallTime();
		if (time === undefined) return void (status.textContent = "Play the recording first: the clip starts or ends where it is playing.");
		set(time);
	};
	const startHere = h("button.ghost#clip-start", { type: "button", onclick: at((time) => select(time, to !== undefined && to > time ? to : undefined)) }, "Start here");
	const endHere = h("button.ghost#clip-end", { type: "button", onclick: at((time) => from !== undefined && time > from ? select(from, time) : select(time, undefined)) }, "End here");
	const element = h("div.clip-bar#clip-bar", range, startHere, endHere, download, expiry, share, link, status);
	const clipPath = () => `/v1/recordings/${encodeURIComponent(id)}/${channel}/get?start=${new Date(from).toISOString()}&duration=${(to - from) / 1000}`;

	function select(start, end) {
		from = start;
		to = end === undefined ? undefined : Math.min(end, start + maxClipMs);
		const ready = from !== undefined && to !== undefined && to > from;
		link.hidden = true;
		status.textContent = "";
		range.textContent = ready ? `Clip ${clock(from)} – ${clock(to)} · ${duration(to - from)}${end - start > maxClipMs ? " (at most 1 hour)" : ""}`
			: from !== undefined ? `Clip from ${clock(from)}: now its end` : "Drag on the timeline to choose a clip.";
		if (ready) download.href = `${clipPath()}&download=1`;
		else download.removeAttribute("href");
		share.disabled = !ready;
		onChange(from, ready ? to : from);
	}
	select(undefined, undefined);
	return { element, select };
}
