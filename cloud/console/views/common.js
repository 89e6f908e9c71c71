// Small pieces several views show: the online badge, the plan in words, a
// snapshot thumbnail that says so when there is none yet.
import { api } from "../lib/api.js";
import { h } from "../lib/dom.js";

export function onlineBadge(online) {
	return h(`span.state.${online ? "online" : "offline"}`, online ? "Online" : "Offline");
}

export function planSummary(plan) {
	if (!plan) return "No storage plan yet";
	const days = plan.retentionDays ? ` · kept ${plan.retentionDays} day${plan.retentionDays === 1 ? "" : "s"}` : "";
	if (plan.mode === "continuous") return `Recording continuously${days}`;
	if (plan.mode === "event") return `Recording events (${plan.preRollS ?? 0} s before, ${plan.postRollS ?? 0} s after)${days}`;
	return "Not recording";
}

/** The latest snapshot of a channel; a placeholder when there is none. */
export function thumbnail(device, channel, online) {
	const box = h("div.thumb", { dataset: { state: "loading" } });
	const img = h("img", {
		alt: `Latest snapshot of ${device}`,
		loading: "lazy",
		decoding: "async",
		src: `${api.latestSnapshotUrl(device, channel)}?_=${Math.floor(Date.now() / 10000)}`,
		onload: () => box.dataset.state = "ready",
		onerror: () => {
			box.dataset.state = "none";
			img.remove();
			box.append(h("span.thumb-empty", online ? "No snapshot yet" : "Offline · no snapshot"));
		},
	});
	box.append(img);
	return box;
}
