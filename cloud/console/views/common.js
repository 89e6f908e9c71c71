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

/** The device's latest snapshot (the device list says whether there is one, and of which channel); a placeholder otherwise. */
export function thumbnail(device, online) {
	const box = h("div.thumb", { dataset: { state: "loading" } });
	const none = (text) => {
		box.dataset.state = "none";
		box.replaceChildren(h("span.thumb-empty", text));
	};
	if (!device.lastSnapshot) {
		none(online ? "No snapshot yet" : "Offline · no snapshot yet");
		return box;
	}
	const { channel = 0, time } = device.lastSnapshot;
	box.append(h("img", {
		alt: `Latest snapshot of ${device.name || device.id}`,
		decoding: "async",
		// By its time: immutable and cached, so the list's refreshes do not download it again.
		src: api.snapshotUrl(device.id, channel, time),
		onload: () => box.dataset.state = "ready",
		onerror: () => none("Snapshot unavailable"),
	}));
	return box;
}

/** A picture that says so when it cannot be loaded, instead of a broken-image icon. */
export function picture(src, alt) {
	const img = h("img", { src, alt, loading: "lazy", decoding: "async" });
	img.addEventListener("error", () => img.replaceWith(h("span.img-missing", "Picture unavailable")), { once: true });
	return img;
}

/**
 * An admin page's change runner: `done(what, work)` runs a change, says `what` (or the error) in
 * `message`, then `reload()`s; `failed(error)` says a load failed. A 401 is the sign-in's to handle.
 */
export function changeRunner(message, reload) {
	const say = (text, error) => {
		message.className = error ? "notice error" : "notice";
		message.textContent = text;
		message.hidden = false;
	};
	return {
		async done(what, work) {
			try {
				await work();
				say(what, false);
			}
			catch (error) {
				if (error.status === 401) return;
				say(error.message, true);
			}
			await reload();
		},
		failed(error) {
			if (error.status !== 401) say(`Could not load: ${error.message}`, true);
		},
	};
}
