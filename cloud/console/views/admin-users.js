// Users: add one, reset a password, remove one, and grant or revoke each camera.
import { api } from "../lib/api.js";
import { h } from "../lib/dom.js";
import { compareNames } from "../lib/sort.js";
import { askValue, confirmDanger } from "./confirm.js";

/** `done(message, work)` runs a change and reloads the page. */
export function usersSection(users, devices, viewer, done) {
	const name = h("input#new-user", { autocomplete: "off", required: true, pattern: "[A-Za-z0-9._@-]+" });
	const password = h("input#new-user-password", { type: "password", autocomplete: "new-password", required: true, minLength: 8 });
	const admin = h("input#new-user-admin", { type: "checkbox" });
	const form = h("form.admin-add#add-user", { onsubmit: (event) => {
		event.preventDefault();
		void done(`User ${name.value} added.`, () => api.addUser(name.value.trim(), password.value, admin.checked));
	} },
	h("div.field", h("label", { for: "new-user" }, "Name"), name),
	h("div.field", h("label", { for: "new-user-password" }, "Password (8 or more characters)"), password),
	h("label.check", admin, " Administrator"),
	h("button.primary", { type: "submit" }, "Add user"));
	return [
		h("h2", "Users"),
		h("ul.admin-list", [...users].sort((a, b) => compareNames(a.name, b.name)).map((user) => userRow(user, devices, viewer, done))),
		h("h3", "Add a user"), form,
	];
}

function userRow(user, devices, viewer, done) {
	const granted = new Set(user.devices ?? []);
	return h("li.admin-row", { dataset: { user: user.name } },
		h("div.admin-row-head",
			h("strong", user.name), user.admin ? h("span.badge", "admin") : null,
			h("span.admin-actions",
				h("button.ghost.reset-password", { type: "button", onclick: async () => {
					const value = await askValue(`New password for ${user.name}`, "New password (8 or more characters); their sessions end", { type: "password", minLength: 8, action: "Set password" });
					if (value !== undefined) await done(`Password of ${user.name} changed.`, () => api.resetPassword(user.name, value));
				} }, "Reset password"),
				user.name === viewer.user ? null : h("button.ghost.danger-text.remove-user", { type: "button", onclick: async () => {
					if (await confirmDanger(`Remove ${user.name}?`, "Their sign-ins, API tokens and camera grants end now. Recordings stay.", "Remove user")) await done(`User ${user.name} removed.`, () => api.removeUser(user.name));
				} }, "Remove"))),
		user.admin ? h("p.muted.small", "Sees every camera.")
			: h("fieldset.grants", h("legend", `Cameras ${user.name} may see`),
				devices.length ? devices.map((device) => h("label.check", h("input", {
					type: "checkbox", checked: granted.has(device.id), dataset: { device: device.id },
					onchange: (event) => void done(
						`${device.name || device.id} ${event.target.checked ? "granted to" : "revoked from"} ${user.name}.`,
						() => event.target.checked ? api.grant(user.name, device.id) : api.revoke(user.name, device.id)),
				}), ` ${device.name || device.id}`)) : h("span.muted.small", "No cameras yet.")));
}
