// The time-zone picker in the top bar: the browser's zone, UTC, and the
// camera's when the page is about a camera that has one (lib/zone.js).
import { h } from "../lib/dom.js";
import { browserZone, cameraZone, chooseZone, zoneChoice } from "../lib/zone.js";

/** A labelled <select>; `onChange` re-renders the page in the new zone. */
export function zonePicker(onChange) {
	const choice = zoneChoice();
	const camera = cameraZone();
	const options = [["browser", `Browser (${browserZone()})`], ["UTC", "UTC"]];
	if (camera) options.push(["camera", `Camera (${camera})`]);
	// "camera" chosen on a page without a camera shows the browser's zone.
	const shown = choice === "camera" && !camera ? "browser" : choice;
	return h("label.zone", h("span.visually-hidden", "Time zone"),
		h("select#zone", { title: "Time zone of the times shown", onchange: (event) => { chooseZone(event.target.value); onChange(); } },
			options.map(([value, label]) => h("option", { value, selected: value === shown }, label))));
}
