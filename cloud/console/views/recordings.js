// Recordings: a timeline of what was recorded (spans from the list API) and
// what happened (events as markers) over a chosen range, a player for the
// picked time, and the same spans and events as lists. A click plays the span
// under it from that moment (its VOD playlist); a click inside the span being
// played is a seek in the loaded playlist. A date picker jumps to a day, the
// speed buttons play at 1×–8×, and at the end of a span playback goes on with
// the next one; gaps the camera reported are drawn, and the range's recording
// files are listed for download (views/recording-files.js). A drag on the
// timeline chooses a clip to download or share (views/clip-bar.js).
import { api } from "../lib/api.js";
import { clock, day, duration, eventKind, eventLabels, fill, h, startOfDay, stamp, when } from "../lib/dom.js";
import { Player } from "../lib/player.js";
import { Timeline } from "../lib/timeline.js";
import { midnightOf, zoneLabel } from "../lib/zone.js";
import { showFiles } from "./recording-files.js";
import { clipBar } from "./clip-bar.js";

const ranges = [["5 min", 5 * 60e3], ["15 min", 15 * 60e3], ["1 hour", 3600e3], ["6 hours", 6 * 3600e3], ["24 hours", 24 * 3600e3]];
const maxVodMs = 24 * 3600e3;
const speeds = [1, 2, 4, 8];

export function recordingsTab(body, { id, channel, device, params }) {
	let rangeMs = Number(params.get("range")) || 3600e3;
	// ?at=<ms> (an event's link): show the range around it and play from a little before.
	const at0 = Number(params.get("at")) || undefined;
	let end = at0 !== undefined && at0 + rangeMs / 2 < Date.now() ? at0 + rangeMs / 2 : undefined;   // undefined: the range ends now (and follows it)
	let spans = [], events = [], gaps = [];
	let speed = 1;
	let playing;             // { span, from, to } of the playlist loaded
	const preRollMs = (device.plan?.preRollS ?? 5) * 1000;

	// Native controls (pause, volume, full screen) once there is something to control.
	const video = h("video#vod-video", { muted: true, playsInline: true });
	const overlay = h("div.overlay#vod-overlay", h("p", "Pick a moment on the timeline to play it."));
	const at = h("span#vod-time.muted", "");
	const message = h("p.notice", { hidden: true, role: "status" });
	const timeline = new Timeline({
		onPick: (time, { event }) => pick(event !== undefined ? event - preRollMs : time),
		onSelect: (from, to) => clip.select(from, to),
	});
	const rangeButtons = h("div.segmented", ranges.map(([label, ms]) =>
		h("button", { type: "button", dataset: { range: String(ms) }, "aria-pressed": String(ms === rangeMs), onclick: () => { rangeMs = ms; load(); } }, label)));
	const title = h("h2.range-title");
	const spanList = h("ul.rows#span-list");
	const fileList = h("ul.rows#file-list");
	const datePicker = h("input#range-date", { type: "date", "aria-label": "Day", onchange: () => {
		if (!datePicker.value) return;
		const next = midnightOf(datePicker.value) + 24 * 3600e3;
		rangeMs = 24 * 3600e3;
		end = next >= Date.now() ? undefined : next;
		load();
	} });
	const speedButtons = h("div.segmented#speed", { role: "group", "aria-label": "Playback speed" }, speeds.map((rate) =>
		h("button", { type: "button", dataset: { speed: String(rate) }, "aria-pressed": String(rate === speed), onclick: () => setSpeed(rate) }, `${rate}×`)));
	const setSpeed = (rate) => {
		speed = rate;
		// defaultPlaybackRate survives the element's reload when the next span starts.
		video.defaultPlaybackRate = video.playbackRate = rate;
		for (const button of speedButtons.children) button.setAttribute("aria-pressed", String(Number(button.dataset.speed) === rate));
	};
	const eventList = h("ul.rows#event-list");
	const clip = clipBar(id, channel, {
		wallTime: () => player.state === "idle" ? undefined : player.wallTime(),
		onChange: (from, to) => timeline.select(from, to),
	});
	const player = new Player(video, {
		onState: (state, detail) => {
			if (state === "playing" || state === "idle") show("");
			else if (state === "loading") show("Loading the recording…");
			else if (state === "nothing-live") show("This recording is no longer available (deleted by retention?).", "error");
			else if (state === "error") show(detail, "error");
		},
	});
	const show = (text, kind = "info") => {
		overlay.hidden = !text;
		overlay.dataset.kind = kind;
		fill(overlay, text ? h("p", text) : null);
	};
	fill(body,
		h("div.toolbar",
			h("button.ghost#range-back", { type: "button", title: "Earlier", onclick: () => { end = (end ?? Date.now()) - rangeMs; load(); } }, "‹"),
			title,
			h("button.ghost#range-forward", { type: "button", title: "Later", onclick: () => { end = end === undefined || end + rangeMs >= Date.now() ? undefined : end + rangeMs; load(); } }, "›"),
			h("button.ghost#range-now", { type: "button", onclick: () => { end = undefined; load(); } }, "Now"),
			datePicker,
			rangeButtons),
		timeline.element,
		clip.element,
		h("div.legend", h("span.key.rec", "Recorded"), h("span.key.gap", "Lost by the camera"), h("span.key.motion", "Motion"), h("span.key.person", "Person"), h("span.key.other", "Other event")),
		message,
		h("div.split",
			h("div.player-card", h("div.stage", video, overlay), h("div.player-info", at, speedButtons)),
			h("div.side",
				h("h3", "Recordings"), spanList,
				h("h3", "Files"), fileList,
				h("h3", "Events"), eventList)));

	async function load() {
		const to = end ?? Date.now();
		const from = to - rangeMs;
		for (const button of rangeButtons.children) button.setAttribute("aria-pressed", String(Number(button.dataset.range) === rangeMs));
		title.textContent = `${startOfDay(from) === startOfDay(to) ? `${day(from)}  ${clock(from, false)} – ${clock(to, false)}` : `${when(from)} – ${when(to)}`} ${zoneLabel(to)}`;
		datePicker.value = day(to - 1);
		datePicker.max = day(Date.now());
		void showFiles(fileList, id, channel, from, to);
		try {
			[spans, events, gaps] = await Promise.all([
				api.spans(id, channel, from, to),
				api.events(id, channel, from, to),
				api.gaps(id, channel, from, to),
			]);
			message.hidden = true;
		}
		catch (error) {
			if (error.status === 401) return;
			spans = [], events = [], gaps = [];
			message.hidden = false;
			message.className = "notice error";
			message.textContent = `Could not load the recordings: ${error.message}`;
		}
		timeline.set(from, to, spans, events, gaps);
		timeline.playhead(player.wallTime());
		fill(spanList, spans.length ? [...spans].reverse().map((span) =>
			h("li.row", { dataset: { start: String(span.start) } },
				h("button.link", { type: "button", onclick: () => pick(span.start) }, "▶ ", clock(span.start)),
				h("span.muted", duration(span.end - span.start)),
				span.url ? h("a.download", { href: span.url, download: `${id}-${channel}-${new Date(span.start).toISOString().replace(/[:.]/g, "-")}.mp4`, title: "Download this recording (MP4)" }, "MP4") : null))
			: h("li.empty-row", device.plan?.mode === "none" || !device.plan ? "Nothing recorded in this range. Recording is off: turn it on in Settings." : "Nothing recorded in this range."));
		fill(eventList, events.length ? [...events].reverse().map((event) =>
			h("li.row", { dataset: { id: event.id } },
				h(`span.dot.${eventKind(event.bits)}`),
				h("button.link", { type: "button", onclick: () => pick(event.time - preRollMs) }, clock(event.time)),
				h("span.muted", eventLabels(event.bits).join(", "))))
			: h("li.empty-row", "No events in this range."));
	}

	function pick(time) {
		const span = spans.find((s) => time >= s.start && time < s.end) ?? spans.find((s) => s.start > time);
		if (!span) {
			message.hidden = false;
			message.className = "notice";
			message.textContent = `Nothing was recorded at ${clock(time)}.`;
			return;
		}
		message.hidden = true;
		const wall = Math.max(time, span.start);
		if (playing && playing.span.start === span.start && wall >= playing.from && wall < playing.to && player.hls) {
			player.seek(player.positionOf(wall));
			return;
		}
		// One playlist per span (≤ 24 h around the picked time): no gaps inside, so media time maps to wall time.
		const from = Math.max(span.start, Math.min(wall - maxVodMs / 2, span.end - maxVodMs));
		const to = Math.min(span.end, from + maxVodMs);
		playing = { span, from, to };
		video.controls = true;
		player.vodAt(api.vodUrl(id, channel, from, to), wall, from);
	}

	// The end of a span: on with the next one (or the rest of a span longer than one playlist).
	video.addEventListener("ended", () => {
		if (!playing) return;
		if (playing.to < playing.span.end) return pick(playing.to);
		const next = spans.find((s) => s.start >= playing.span.end);
		if (next) pick(next.start);
		else show("The end of what was recorded in this range.");
	});
	video.addEventListener("loadedmetadata", () => video.playbackRate = speed);

	const tick = setInterval(() => {
		const wall = player.wallTime();
		timeline.playhead(player.state === "idle" ? undefined : wall);
		at.textContent = wall === undefined || player.state === "idle" ? "" : `Playing ${stamp(wall)}`;
	}, 250);
	// A range that ends now follows it: new recordings and events appear.
	const refresh = setInterval(() => end === undefined && load(), 15000);
	load().then(() => at0 !== undefined && pick(at0 - preRollMs));
	return () => {
		clearInterval(tick);
		clearInterval(refresh);
		player.stop();
	};
}
