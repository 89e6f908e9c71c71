// A modal question with a Cancel and a dangerous OK (removals), and a modal
// that asks for one value (a new password): <dialog>s, so Escape cancels and
// the focus stays inside. Each resolves when the person answers.
import { h } from "../lib/dom.js";

function modal(content, onClose) {
	const dialog = h("dialog.add-dialog.confirm-dialog", content);
	dialog.addEventListener("close", () => {
		onClose(dialog.returnValue);
		dialog.remove();
	});
	document.body.append(dialog);
	dialog.showModal();
	return dialog;
}

/** Resolves true when the person confirms. */
export function confirmDanger(title, text, action) {
	return new Promise((resolve) => {
		modal(h("form.add-form", { method: "dialog" },
			h("h2", title), h("p", text),
			h("div.dialog-actions",
				h("button.ghost#confirm-cancel", { value: "cancel", autofocus: true }, "Cancel"),
				h("button.danger#confirm-ok", { value: "ok" }, action))), (answer) => resolve(answer === "ok"));
	});
}

/** Resolves with the value typed, or undefined when cancelled. */
export function askValue(title, label, { type = "text", minLength = 0, action = "Save" } = {}) {
	return new Promise((resolve) => {
		const input = h("input#ask-value", { type, required: true, minLength, autocomplete: "new-password" });
		const dialog = modal(h("form.add-form", { method: "dialog" },
			h("h2", title), h("label", { for: "ask-value" }, label), input,
			h("div.dialog-actions",
				h("button.ghost", { value: "cancel", formNoValidate: true }, "Cancel"),
				h("button.primary#ask-ok", { value: "ok" }, action))), (answer) => resolve(answer === "ok" ? input.value : undefined));
		input.focus();
		return dialog;
	});
}
