// Releases (admins): the OTA bundles uploaded (signed offline: `npm run sign-release`) with their
// manifests, an upload, a removal, the rollouts with a progress bar per stage, each device's state,
// and pause / resume / cancel. Reloads every 3 s while shown (a rollout moves on by itself) and
// while no question is open; the focus stays on the button it was on.
import { api } from "../lib/api.js";
import { fill, h, keepFocus } from "../lib/dom.js";
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
	const act = (action, label, danger) => h(`button.ghost${danger ? ".danger-text" : ""}.rollout-${action}#rollout-${rollout.id}-${action}`, { type: "button", onclick: async () => {
		if (danger && !await confirmDanger(`Cancel the rollout of ${rollout.version}?`, "Devices that have not finished are told to stop; none go back.", "Cancel rollout")) return;
		await done(`Rollout ${rollout.id}: ${action}.`, () => api.changeRollout(rollout.id, action));
	} }, label);
	return h("li.admin-row.rollout", { dataset: { rollout: rollout.id, state: rollout.state } },
		h("div.admin-row-head", h("strong", rollout.version), h("span.badge", rollout.state), h("span.muted.small", `rollout ${rollout.id}: stages ${rollout.stages.join(" → ")} %, pauses over ${Math.round(rollout.failureThreshold * 100)} % failed`),
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

/** One release: its manifest, and Remove (after a question; the service refuses while a rollout offers it). */
function releaseRow(release, done, message) {
	const { version, manifest } = release;
	const remove = async () => {
		if (!await confirmDanger(`Remove release ${version}?`, "Its bundle is deleted from the service. Cameras that run it keep running it; a rollout that still offers it must be cancelled first.", "Remove release")) return;
		await done(`Release ${version} removed.`, () => api.removeRelease(version).catch((error) => {
			if (error.status === 409) error.message = `Release ${version} was not removed: ${error.message}.`;
			throw error;
		}));
		message.scrollIntoView({ block: "nearest" });
	};
	return h("li.admin-row.release", { dataset: { version } },
		h("div.admin-row-head", h("strong", version), manifest.rollback ? h("span.badge", "rollback") : null,
			h("span.muted.small", `${manifest.kind}, ${manifest.size} bytes, host ABI ${manifest.abi}, key ${release.keyId}, signed ${manifest.created}`),
			h("span.admin-actions", h("button.ghost.danger-text.remove-release", { type: "button", id: `remove-release-${version}`, "aria-label": `Remove release ${version}`, onclick: remove }, "Remove"))),
		manifest.notes ? h("p.small", manifest.notes) : null);
}

export function releasesView({ main, setCrumbs }) {
	setCrumbs();
	// Focusable: a keyboard user whose button went away (a release removed) lands on the outcome.
	const message = h("p.notice", { hidden: true, role: "status", tabindex: -1 });
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
			keepFocus(main, () => {
				fill(releases, h("h2", "Releases"),
					list.length ? h("ul.admin-list", list.map((r) => releaseRow(r, done, message))) : h("p.muted", "No releases yet."),
					h("h3", "Upload a release"), upload);
				const selected = version.value;
				fill(version, list.map((r) => h("option", { value: r.version, selected: r.version === selected }, r.version)));
				fill(rollouts, h("h2", "Rollouts"),
					running.length ? h("ul.admin-list", running.map((r, i) => rolloutCard(r, details[i]?.devices, done))) : h("p.muted", "No rollouts yet."),
					list.length ? [h("h3", "Start a rollout"), start] : null);
			}, message);
		}
		catch (error) {
			if (!stopped) failed(error);
		}
	}
	reload();
	// Not while a form is being filled in or a question is open (its answer acts on the rows shown).
	const timer = setInterval(() => { if (!document.hidden && !document.querySelector("dialog[open]") && !main.contains(document.activeElement?.closest?.("form") ?? null)) reload(); }, 3000);
	return () => {
		stopped = true;
		clearInterval(timer);
	};
}
