// The "snapshot now" button of the live controls and the Snapshots tab: asks
// the camera (lib/snapshot-now.js), says what is happening beside it, and
// hands the new still to the view that shows it.
import { h } from "../lib/dom.js";
import { snapshotNow } from "../lib/snapshot-now.js";

/** [button, status line]; `onShot({ time, url })` when the still has arrived. */
export function snapshotButton(id, channel, onShot, label = "Snapshot") {
	const status = h("span.muted.small.snap-status#snapshot-status", { role: "status" });
	const button = h("button.ghost#snapshot-now", { type: "button", title: "Take a still now and keep it with the snapshots", onclick: async () => {
		button.disabled = true;
		status.textContent = "Asking the camera…";
		try {
			const shot = await snapshotNow(id, channel);
			status.textContent = "";
			onShot(shot);
		}
		catch (error) {
			if (error.status !== 401) status.textContent = error.message;
		}
		finally {
			button.disabled = false;
		}
	} }, label);
	return [button, status];
}
