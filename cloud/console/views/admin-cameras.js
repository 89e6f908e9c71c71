// Cameras: rename, set the camera's time zone (an IANA name, offered from the
// browser's list), or remove it with everything it recorded.
import { api } from "../lib/api.js";
import { h } from "../lib/dom.js";
import { confirmDanger } from "./confirm.js";

const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];

/** `done(message, work)` runs a change and reloads the page. */
export function camerasSection(devices, done) {
	return [
		h("h2", "Cameras"),
		h("datalist#zones", ["UTC", ...zones].map((zone) => h("option", { value: zone }))),
		devices.length ? h("ul.admin-list", devices.map((device) => cameraRow(device, done)))
			: h("p.muted", "No cameras yet: add one on the Cameras page."),
	];
}

function cameraRow(device, done) {
	const ids = `cam-${device.id}`;
	const name = h("input.camera-name", { id: `${ids}-name`, value: device.name || device.id, required: true, maxLength: 128 });
	const zone = h("input.camera-zone", { id: `${ids}-zone`, value: device.timeZone ?? "", list: "zones", placeholder: "e.g. Europe/Paris", autocomplete: "off" });
	const shown = device.name || device.id;
	return h("li.admin-row", { dataset: { device: device.id } },
		h("form.camera-form", { onsubmit: (event) => {
			event.preventDefault();
			const change = { name: name.value.trim(), timeZone: zone.value.trim() || null };
			void done(`${change.name} saved.`, () => api.updateDevice(device.id, change));
		} },
		h("div.field", h("label", { for: `${ids}-name` }, `Name of ${device.id}`), name),
		h("div.field", h("label", { for: `${ids}-zone` }, "Time zone (optional)"), zone),
		h("span.admin-actions",
			h("button.primary.save-camera", { type: "submit" }, "Save"),
			h("button.ghost.danger-text.remove-camera", { type: "button", onclick: async () => {
				const sure = await confirmDanger(`Remove ${shown}?`,
					`${shown} (${device.id}) is removed with all its recordings, snapshots and events: they are deleted and cannot be recovered. The camera can no longer connect.`,
					"Remove camera and delete recordings");
				if (sure) await done(`${shown} removed; its recordings are being deleted.`, () => api.removeDevice(device.id));
			} }, "Remove"))));
}
