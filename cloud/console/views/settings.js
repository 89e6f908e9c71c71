// Per-device settings: the storage plan (PROTOCOL §5) — what to record, pre/post
// roll, retention — and the snapshot interval, saved with PUT /v1/devices/:id/plan.
// The cloud checks every field; its message is shown as is when it refuses.
import { api } from "../lib/api.js";
import { fill, h } from "../lib/dom.js";
import { planSummary } from "./common.js";

const modes = [
	["continuous", "Continuous", "Record everything, all the time."],
	["event", "Events only", "Record around motion, people and other events."],
	["none", "Off", "Record nothing (live view and snapshots still work)."],
];

function number(name, label, value, { min, max, unit, help }) {
	const input = h(`input#plan-${name}`, { type: "number", name, min: String(min), max: String(max), step: "1", value: String(value ?? ""), required: true });
	return h("div.field", h("label", { for: `plan-${name}` }, label), h("div.with-unit", input, h("span.unit", unit)), help ? h("p.help", help) : null);
}

export function settingsTab(body, { id, device }) {
	const status = h("p.form-status#plan-status", { role: "status" });
	const form = h("form.card.settings#plan-form");
	fill(body, form);
	const render = (plan) => {
		const mode = plan.mode ?? "none";
		fill(form,
			h("h2", "Recording"),
			h("fieldset.modes", h("legend", "What to record"),
				modes.map(([value, label, help]) => h("label.mode",
					h("input", { type: "radio", name: "mode", value, checked: value === mode }),
					h("span", h("strong", label), h("span.help", help))))),
			h("div.fields",
				number("preRollS", "Before an event", plan.preRollS ?? 5, { min: 0, max: 60, unit: "s", help: "Kept from before the event starts." }),
				number("postRollS", "After an event", plan.postRollS ?? 10, { min: 0, max: 600, unit: "s" }),
				number("retentionDays", "Keep recordings for", plan.retentionDays ?? 7, { min: 1, max: 3650, unit: "days" })),
			h("h2", "Snapshots"),
			h("div.fields", number("snapshotIntervalS", "Take a snapshot every", plan.snapshotIntervalS ?? 300, { min: 60, max: 86400, unit: "s", help: "From 60 s to 24 h (86400 s)." })),
			h("div.form-actions", h("button.primary#plan-save", { type: "submit" }, "Save"), status),
			plan.rev !== undefined ? h("p.muted.small", `Plan revision ${plan.rev}`) : null);
	};
	let current = { ...(device.plan ?? {}) };
	render(current);
	api.plan(id).then((plan) => {
		if (plan && !form.contains(document.activeElement)) render(current = plan.plan ?? plan);
	}, () => {});
	form.addEventListener("submit", async (event) => {
		event.preventDefault();
		const data = new FormData(form);
		// Only the fields this form edits: the cloud keeps the others (and derives `push` from the mode).
		const plan = { mode: data.get("mode") };
		for (const key of ["preRollS", "postRollS", "retentionDays", "snapshotIntervalS"]) plan[key] = Number(data.get(key));
		const button = form.querySelector("#plan-save");
		button.disabled = true;
		status.className = "form-status";
		status.textContent = "Saving…";
		try {
			const saved = await api.savePlan(id, plan);
			current = saved?.plan ?? saved ?? plan;
			device.plan = current;
			render(current);
			const summary = document.getElementById("plan-summary");
			if (summary) summary.textContent = planSummary(current);
			const after = form.querySelector("#plan-status");
			after.className = "form-status ok";
			after.textContent = "Saved. The camera gets the new plan now (or when it reconnects).";
		}
		catch (error) {
			if (error.status === 401) return;
			status.className = "form-status error";
			status.textContent = `Not saved: ${error.message}`;
		}
		finally {
			button.disabled = false;
		}
	});
}
