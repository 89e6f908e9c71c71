// Snapshot grid: the newest pictures first (a day at a time, "Earlier" pages
// back), each opening full size in a dialog with its time; "Take a snapshot
// now" asks the camera for one and puts it first.
import { api } from "../lib/api.js";
import { fill, h, stamp, when } from "../lib/dom.js";
import { picture } from "./common.js";
import { snapshotButton } from "./snapshot-button.js";

const pageMs = 24 * 3600e3;
const perPage = 120;

export function snapshotsTab(body, { id, channel, device }) {
	let end = Date.now();
	let stopped = false;
	const grid = h("div.snap-grid#snapshot-grid");
	const message = h("p.notice", { hidden: true, role: "status" });
	const earlier = h("button.ghost#snapshots-earlier", { type: "button", hidden: true, onclick: () => more() }, "Earlier");
	const big = h("img.snap-big", { alt: "" });
	const caption = h("p.snap-caption");
	const dialog = h("dialog.snap-dialog", { onclick: (event) => event.target === dialog && dialog.close() },
		big, h("div.snap-dialog-bar", caption, h("button.ghost", { type: "button", onclick: () => dialog.close() }, "Close")));
	const interval = device.plan?.snapshotIntervalS;
	const [snapButton, snapStatus] = snapshotButton(id, channel, (shot) => {
		message.hidden = true;
		grid.prepend(tile(shot));
	}, "Take a snapshot now");
	fill(body,
		h("div.toolbar", h("h2", "Snapshots"), h("span.muted", interval ? `One every ${interval < 120 ? `${interval} s` : `${Math.round(interval / 60)} min`}` : ""), snapButton, snapStatus),
		message, grid, h("div.center-row", earlier), dialog);

	const tile = (shot) => h("button.snap", {
		type: "button",
		dataset: { time: String(shot.time) },
		onclick: () => {
			big.src = shot.url;
			caption.textContent = stamp(shot.time);
			dialog.showModal();
		},
	},
	picture(shot.url, `Snapshot at ${when(shot.time)}`),
	h("span.snap-time", when(shot.time)));

	async function more() {
		const from = end - pageMs;
		let shots;
		try {
			shots = await api.snapshots(id, channel, from, end, 10000);
		}
		catch (error) {
			if (stopped || error.status === 401) return;
			message.hidden = false;
			message.className = "notice error";
			message.textContent = `Could not load the snapshots: ${error.message}`;
			return;
		}
		if (stopped) return;
		const page = shots.slice(-perPage).reverse();
		// The oldest shown bounds the next page (a full day may hold more than a page).
		end = page.length === perPage ? page[page.length - 1].time : from;
		for (const shot of page) grid.append(tile(shot));
		earlier.hidden = false;
		if (!grid.children.length) {
			message.hidden = false;
			message.className = "notice";
			message.textContent = "No snapshots in the last day yet.";
		}
		else message.hidden = true;
	}
	more();
	return () => {
		stopped = true;
	};
}
