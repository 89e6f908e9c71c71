// Administration (admins only; the API refuses others too): users and what
// each may see (views/admin-users.js), and the cameras — rename, time zone,
// remove (views/admin-cameras.js). Both reload after every change.
import { api } from "../lib/api.js";
import { fill, h } from "../lib/dom.js";
import { byName } from "../lib/sort.js";
import { usersSection } from "./admin-users.js";
import { camerasSection } from "./admin-cameras.js";

export function adminView({ main, setCrumbs, viewer }) {
	setCrumbs();
	const message = h("p.notice", { hidden: true, role: "status" });
	const users = h("section.admin-part#admin-users", h("p.loading", "Loading…"));
	const cameras = h("section.admin-part#admin-cameras");
	fill(main, h("section.page.admin",
		h("div.page-head", h("h1", "Admin")),
		message, users, cameras));
	let stopped = false;
	/** Shows the outcome of a change (or its error), then reloads both parts. */
	const done = async (what, work) => {
		try {
			await work();
			message.className = "notice";
			message.textContent = what;
		}
		catch (error) {
			if (error.status === 401) return;
			message.className = "notice error";
			message.textContent = error.message;
		}
		message.hidden = false;
		await reload();
	};
	async function reload() {
		try {
			const [people, devices] = await Promise.all([api.users(), api.devices()]);
			if (stopped) return;
			const sorted = byName(devices);
			fill(users, usersSection(people, sorted, viewer, done));
			fill(cameras, camerasSection(sorted, done));
		}
		catch (error) {
			if (stopped || error.status === 401) return;
			message.hidden = false;
			message.className = "notice error";
			message.textContent = `Could not load: ${error.message}`;
		}
	}
	reload();
	return () => {
		stopped = true;
	};
}
