// A horizontal timeline of one range: recorded spans as bars, gaps the camera
// reported (media it lost) as hatched bands, events as markers, hour/minute ticks, and a playhead. Clicking anywhere picks a time
// (the recordings view decides what to play); hovering shows the time under
// the pointer. Dragging selects a range (a clip: views/clip-bar.js), drawn as a
// band. Plain DOM positioned in percent, so it reflows with the page.
import { clock, eventKind, eventLabels, h } from "./dom.js";
import { offsetMs } from "./zone.js";

const steps = [10e3, 30e3, 60e3, 2 * 60e3, 5 * 60e3, 10 * 60e3, 15 * 60e3, 30 * 60e3, 3600e3, 2 * 3600e3, 3 * 3600e3, 6 * 3600e3];

export class Timeline {
	#root;
	#track;
	#ticks;
	#playhead;
	#hover;
	#selection;
	#selected = [];
	#dragged = false;
	#from = 0;
	#to = 1;

	/** onPick(timeMs, { span, event }); onSelect(fromMs, toMs) after a drag. */
	constructor({ onPick, onSelect = () => {} }) {
		this.#track = h("div.tl-track");
		this.#ticks = h("div.tl-ticks");
		this.#playhead = h("div.tl-playhead", { hidden: true });
		this.#hover = h("div.tl-hover", { hidden: true });
		this.#selection = h("div.tl-selection#tl-selection", { hidden: true });
		this.#root = h("div.timeline#timeline", this.#track, this.#ticks);
		this.#track.append(this.#selection, this.#playhead, this.#hover);
		this.#track.addEventListener("pointerdown", (down) => {
			if (down.button !== 0) return;
			this.#dragged = false;
			const from = this.#timeAt(down.clientX);
			const move = (event) => {
				// A few pixels of wobble is still a click.
				if (!this.#dragged && Math.abs(event.clientX - down.clientX) < 5) return;
				this.#dragged = true;
				this.select(from, this.#timeAt(event.clientX));
			};
			const up = (event) => {
				removeEventListener("pointermove", move);
				removeEventListener("pointerup", up);
				if (!this.#dragged) return;
				const to = this.#timeAt(event.clientX);
				onSelect(Math.min(from, to), Math.max(from, to));
			};
			addEventListener("pointermove", move);
			addEventListener("pointerup", up);
		});
		this.#track.addEventListener("click", (event) => {
			if (this.#dragged) return void (this.#dragged = false);
			const marker = event.target.closest?.(".tl-event");
			const time = marker ? Number(marker.dataset.time) : this.#timeAt(event.clientX);
			onPick(time, { event: marker ? Number(marker.dataset.time) : undefined });
		});
		this.#track.addEventListener("mousemove", (event) => {
			const time = this.#timeAt(event.clientX);
			this.#hover.hidden = false;
			this.#hover.style.left = `${this.#percent(time)}%`;
			this.#hover.textContent = clock(time);
		});
		this.#track.addEventListener("mouseleave", () => this.#hover.hidden = true);
	}

	get element() {
		return this.#root;
	}

	#timeAt(clientX) {
		const box = this.#track.getBoundingClientRect();
		const x = Math.min(1, Math.max(0, (clientX - box.left) / box.width));
		return Math.round(this.#from + x * (this.#to - this.#from));
	}

	#percent(time) {
		return ((time - this.#from) / (this.#to - this.#from)) * 100;
	}

	/** Draws a range with its spans ({ start, end } ms), events ({ time, bits, id }) and gaps ({ from, to, frames, reason }). */
	set(from, to, spans, events, gaps = []) {
		this.#from = from;
		this.#to = to;
		this.#track.dataset.from = String(from);
		this.#track.dataset.to = String(to);
		for (const node of this.#track.querySelectorAll(".tl-span, .tl-event, .tl-gap")) node.remove();
		for (const gap of gaps) {
			const left = Math.max(0, this.#percent(gap.from));
			const right = Math.min(100, this.#percent(gap.to));
			if (right < 0 || left > 100) continue;
			this.#track.insertBefore(h("div.tl-gap", {
				title: `Lost by the camera ${clock(gap.from)} – ${clock(gap.to)}: ${gap.frames} frames (${gap.reason})`,
				dataset: { from: String(gap.from), to: String(gap.to) },
				style: { left: `${left}%`, width: `${Math.max(right - left, 0.3)}%` },
			}), this.#playhead);
		}
		for (const span of spans) {
			const left = Math.max(0, this.#percent(span.start));
			const right = Math.min(100, this.#percent(span.end));
			if (right <= 0 || left >= 100) continue;
			this.#track.insertBefore(h("div.tl-span", {
				title: `Recorded ${clock(span.start)} – ${clock(span.end)}`,
				dataset: { start: String(span.start), end: String(span.end) },
				style: { left: `${left}%`, width: `${Math.max(right - left, 0.15)}%` },
			}), this.#playhead);
		}
		for (const event of events) {
			const at = this.#percent(event.time);
			if (at < 0 || at > 100) continue;
			this.#track.insertBefore(h(`div.tl-event.${eventKind(event.bits)}`, {
				title: `${eventLabels(event.bits).join(", ")} at ${clock(event.time)}`,
				dataset: { time: String(event.time), id: event.id },
				style: { left: `${at}%` },
			}), this.#playhead);
		}
		const span = to - from;
		const step = steps.find((s) => span / s <= 8) ?? 12 * 3600e3;
		const ticks = [];
		// Ticks on round times of the zone shown (lib/zone.js).
		const zone = -offsetMs(from);
		for (let t = Math.ceil((from - zone) / step) * step + zone; t < to; t += step) {
			ticks.push(h("span.tl-tick", { style: { left: `${this.#percent(t)}%` } }, clock(t, step < 60e3)));
		}
		this.#ticks.replaceChildren(...ticks);
		this.select(...this.#selected);
	}

	/** Draws the selected range (undefined hides it). */
	select(from, to) {
		this.#selected = [from, to];
		this.#selection.hidden = from === undefined;
		if (from === undefined) return;
		const left = Math.max(0, this.#percent(Math.min(from, to)));
		const right = Math.min(100, this.#percent(Math.max(from, to)));
		this.#selection.style.left = `${left}%`;
		this.#selection.style.width = `${Math.max(0, right - left)}%`;
	}

	/** Moves the playhead (undefined hides it). */
	playhead(time) {
		const at = time === undefined ? -1 : this.#percent(time);
		this.#playhead.hidden = at < 0 || at > 100;
		if (!this.#playhead.hidden) this.#playhead.style.left = `${at}%`;
	}
}
