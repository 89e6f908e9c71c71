// "Add camera" for admins (POST /v1/devices, API.md): a dialog asking for the
// id, name and channels; the service validates, and its message is shown as is.
// On success the secret is shown once, with the simulated-camera command line,
// and dropped from the page when the dialog closes: the cloud never shows it again.
import { api } from "../lib/api.js";
import { fill, h } from "../lib/dom.js";

/** Returns the button; `onAdded(device)` runs after a device is created. */
export function addDeviceButton(onAdded) {
	const dialog = h("dialog.add-dialog#add-device", { "aria-labelledby": "add-title" });
	dialog.addEventListener("close", () => fill(dialog));   // closed by Escape: emptied when the event comes
	const open = () => {
		showForm(dialog, onAdded);
		dialog.showModal();
		dialog.querySelector("#add-id").focus();
	};
	return [h("button.primary#add-camera", { type: "button", onclick: open }, "Add camera"), dialog];
}

function showForm(dialog, onAdded) {
	const id = h("input#add-id", { name: "id", autocomplete: "off", spellcheck: false, placeholder: "front-door" });
	const name = h("input#add-name", { name: "name", autocomplete: "off", placeholder: "Front door" });
	const channels = h("input#add-channels", { type: "number", name: "channels", min: 1, max: 64, value: "1" });
	const error = h("p.form-error#add-error", { role: "alert", hidden: true });
	const submit = h("button.primary#add-submit", { type: "submit" }, "Add camera");
	const form = h("form.add-form#add-form", {
		onsubmit: async (event) => {
			event.preventDefault();
			submit.disabled = true;
			error.hidden = true;
			const body = { id: id.value.trim() };
			if (name.value.trim()) body.name = name.value.trim();
			// Sent as typed (a number when it is one) so the service's own range message shows.
			if (channels.value !== "") body.channels = Number(channels.value);
			try {
				const device = await api.addDevice(body);
				showSecret(dialog, device);
				onAdded(device);
			}
			catch (failure) {
				error.textContent = failure.message;
				error.hidden = false;
				submit.disabled = false;
			}
		},
	},
	h("h2#add-title", "Add a camera"),
	h("p.muted.small", "The cloud creates the camera's secret. You will see it once, on the next screen."),
	h("div.field", h("label", { for: "add-id" }, "Device id"), id,
		h("p.help", "Lower-case letters, digits, - and _; it cannot be changed later.")),
	h("div.field", h("label", { for: "add-name" }, "Name ", h("span.muted", "(optional)")), name),
	h("div.field", h("label", { for: "add-channels" }, "Channels"), channels),
	error,
	h("div.dialog-actions", h("button.ghost", { type: "button", onclick: () => closeEmptied(dialog) }, "Cancel"), submit));
	fill(dialog, form);
}

function showSecret(dialog, device) {
	const command = `node build/node/cloud/sim/camera.js --cloud ${location.origin} --device ${device.id} --secret ${device.secret} --mqtt`;
	fill(dialog, h("div.add-result#add-result",
		h("h2#add-title", "Camera added"),
		h("p.notice.warn#secret-warning", { role: "alert" },
			h("strong", "The secret is shown only now. "),
			"Copy it to the camera before you close this dialog: the cloud will not show it again. If it is lost, remove the camera and add it again."),
		h("dl.facts",
			h("dt", "Device id"), h("dd", h("code#new-id", device.id)),
			h("dt", "Name"), h("dd", device.name),
			h("dt", "Channels"), h("dd", String(device.channels))),
		h("label.secret-label", { for: "new-secret" }, "Secret"),
		copyable(h("input#new-secret", { readOnly: true, value: device.secret, spellcheck: false }), "copy-secret", "Copy secret"),
		h("label.secret-label", { for: "sim-command" }, "Try it with the simulated camera (from the ivxs folder)"),
		copyable(h("textarea#sim-command", { readOnly: true, rows: 4, spellcheck: false }, command), "copy-command", "Copy"),
		h("div.dialog-actions", h("button.primary#add-done", { type: "button", onclick: () => closeEmptied(dialog) }, "Done"))));
}

/** Empties the dialog, then closes it: the secret leaves the page at once, not when the close event's task runs. */
function closeEmptied(dialog) {
	fill(dialog);
	dialog.close();
}

function copyable(field, buttonId, label) {
	const status = h("span.copy-status", { role: "status" });
	const button = h(`button#${buttonId}`, {
		type: "button",
		onclick: async () => {
			field.select();
			let copied = false;
			try {
				await navigator.clipboard.writeText(field.value);
				copied = true;
			}
			catch {
				// No Clipboard API off https/localhost: the selected text copies the old way.
				copied = document.execCommand("copy");
			}
			status.textContent = copied ? "Copied" : "Press Ctrl+C to copy";
		},
	}, label);
	return h("div.copy-row", field, button, status);
}
