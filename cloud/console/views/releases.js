// Releases (admins): the OTA bundles uploaded (signed offline: `npm run sign-release`) with their
// manifests, an upload, the rollouts with a progress bar per stage, each device's state, and
// pause / resume / cancel. Reloads every 3 s while shown (a rollout moves on by itself).
import { api } from "../lib/api.js";
import { fill, h } from "../lib/dom.js";
import { changeRunner } from "./common.js";
import { confirmDanger } from "./confirm.js";

const SEGMENTS = [["confirmed", "ok"], ["failed", "bad"], ["trial", "busy"], ["staged", "busy"], ["downloading", "busy"], ["offered", "busy"]];

/** One stage: its share of the target and a bar of its devices' states. */
function stageBar(stage, current, state) {
	const total = stage.devices || 1;
	const label = `${stage.percent} %: ${Object.entries(stage.counts).map(([k, n]) => `${n} ${k}`).join(", ") || "no devices"}`;
	return h("div.rollout-stage", { dataset: { stage: stage.stage } },
		h("span.rollout-stage-label", stage.stage === current && state !== "done" ? h("strong", label) : label),
		h("div.rollout-stage-bar", { role: "img", "aria-label": label },
			SEGMENTS.map(([key, kind]) => stage.counts[key] ? h(`span.seg.${kind}`, { style: { width: `${(100 * stage.counts[key]) / total}%` }, title: `${stage.counts[key]} ${key}` }) : null)));
}

function rolloutCard(rollout, devices, done) {
	const act = (action, label, danger) => h(`button.ghost${danger ? ".danger-text" : ""}.rollout-${action}`, { type: "button", onclick: async () => {
		if (danger && !await confirmDanger(`Cancel the rollout of ${rollout.version}?`, "Devices that have not finished are told to stop; none go back.", "Cancel rollout")) return;
		await done(`Rollout ${rollout.id}: ${action}.`, () => api.changeRollout(rollout.id, action));
	} }, label);
	return h("li.admin-row.rollout", { dataset: { rollout: rollout.id, state: rollout.state } },
		h("div.admin-row-head", h("strong", rollout.version), h("span.badge", rollout.state), h("span.muted.small", `stages ${rollout.stages.join(" → ")} %, pauses over ${Math.round(rollout.failureThreshold * 100)} % failed`),
			h("span.admin-actions",
				rollout.state === "running" ? act("pause", "Pause") : null,
				rollout.state === "paused" ? act("resume", "Resume") : null,
				rollout.state === "running" || rollout.state === "paused" ? act("cancel", "Cancel", true) : null)),
		rollout.reason ? h("p.notice.warn.rollout-reason", rollout.reason) : null,
		rollout.progress.map((stage) => stageBar(stage, rollout.stage, rollout.state)),
		devices ? h("details.rollout-devices", h("summary", `${devices.length} device(s)`),
			h("table", h("tbody", devices.map((d) => h("tr", { dataset: { device: d.device, state: d.state } },
				h("td", d.device), h("td", `stage ${d.stage + 1}`), h("td", d.state), h("td.muted.small", d.reason)))))) : null);
}

export function releasesView({ main, setCrumbs }) {
	setCrumbs();
	const message = h("p.notice", { hidden: true, role: "status" });
	const releases = h("section.admin-part#releases", h("p.loading", "Loading…"));
	const rollouts = h("section.admin-part#rollouts");
	fill(main, h("section.page.admin", h("div.page-head", h("h1", "Releases")), message, releases, rollouts));
	let stopped = false;
	// The outcome of a change (or its error) is shown, then the page reloads.
	const { done, failed } = changeRunner(message, () => reload());
	const file = h("input#release-file", { type: "file", accept: ".ivxs", required: true });
	const upload = h("form.admin-add#upload-release", { onsubmit: (event) => {
		event.preventDefault();
		if (file.files[0]) void done(`Release uploaded.`, () => api.uploadRelease(file.files[0]));
	} }, h("div.field", h("label", { for: "release-file" }, "Bundle (.ivxs, from npm run sign-release)"), file), h("button.primary", { type: "submit" }, "Upload"));
	const version = h("select#rollout-version");
	const stages = h("input#rollout-stages", { value: "1, 10, 100", pattern: "[0-9 ,.]+" });
	const threshold = h("input#rollout-threshold", { type: "number", min: 0, max: 100, value: 20 });
	const start = h("form.admin-add#start-rollout", { onsubmit: (event) => {
		event.preventDefault();
		const body = { version: version.value, stages: stages.value.split(",").map(Number), failureThreshold: Number(threshold.value) / 100 };
		void done(`Rollout of ${version.value} started.`, () => api.startRollout(body));
	} }, h("div.field", h("label", { for: "rollout-version" }, "Release"), version),
	h("div.field", h("label", { for: "rollout-stages" }, "Stages (% of all cameras, cumulative)"), stages),
	h("div.field", h("label", { for: "rollout-threshold" }, "Pause when more than this % of a stage fails"), threshold),
	h("button.primary", { type: "submit" }, "Start rollout"));

	async function reload() {
		try {
			const [list, running] = await Promise.all([api.releases(), api.rollouts()]);
			const details = await Promise.all(running.slice(0, 20).map((r) => api.rollout(r.id)));
			if (stopped) return;
			fill(releases, h("h2", "Releases"),
				list.length ? h("ul.admin-list", list.map((r) => h("li.admin-row.release", { dataset: { version: r.version } },
					h("div.admin-row-head", h("strong", r.version), r.manifest.rollback ? h("span.badge", "rollback") : null,
						h("span.muted.small", `${r.manifest.kind}, ${r.manifest.size} bytes, host ABI ${r.manifest.abi}, key ${r.keyId}, signed ${r.manifest.created}`)),
					r.manifest.notes ? h("p.small", r.manifest.notes) : null))) : h("p.muted", "No releases yet."),
				h("h3", "Upload a release"), upload);
			const selected = version.value;
			fill(version, list.map((r) => h("option", { value: r.version, selected: r.version === selected }, r.version)));
			fill(rollouts, h("h2", "Rollouts"),
				running.length ? h("ul.admin-list", running.map((r, i) => rolloutCard(r, details[i]?.devices, done))) : h("p.muted", "No rollouts yet."),
				list.length ? [h("h3", "Start a rollout"), start] : null);
		}
		catch (error) {
			if (!stopped) failed(error);
		}
	}
	reload();
	const timer = setInterval(() => { if (!document.hidden && !main.contains(document.activeElement?.closest?.("form") ?? null)) reload(); }, 3000);
	return () => {
		stopped = true;
		clearInterval(timer);
	};
}
