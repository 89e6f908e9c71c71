// Sign in: POST /v1/session sets the HttpOnly session cookie.
import { api } from "../lib/api.js";
import { fill, h } from "../lib/dom.js";

export function signInView({ main, params }, signedIn) {
	const user = h("input#user", { name: "user", autocomplete: "username", required: true, autofocus: true, spellcheck: "false" });
	const password = h("input#password", { name: "password", type: "password", autocomplete: "current-password", required: true });
	const message = h("p.form-error#sign-in-error", { role: "alert", hidden: true });
	const button = h("button.primary#sign-in", { type: "submit" }, "Sign in");
	if (params.get("expired")) {
		message.hidden = false;
		message.textContent = "Your session ended. Please sign in again.";
	}
	const form = h("form.card.signin", {
		onsubmit: async (event) => {
			event.preventDefault();
			button.disabled = true;
			button.textContent = "Signing in…";
			message.hidden = true;
			try {
				signedIn(await api.signIn(user.value.trim(), password.value));
			}
			catch (error) {
				message.hidden = false;
				message.textContent = error.status === 401 ? "Wrong user name or password." : error.message;
				password.select();
			}
			finally {
				button.disabled = false;
				button.textContent = "Sign in";
			}
		},
	},
	h("h1", "Sign in"),
	h("p.muted", "Your cameras, live and recorded."),
	h("label", { for: "user" }, "User name"), user,
	h("label", { for: "password" }, "Password"), password,
	message,
	button);
	fill(main, h("div.center", form));
	user.focus();
}
