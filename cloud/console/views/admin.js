// Administration (admins only; the API refuses others too): users and what
// each may see (views/admin-users.js), and the cameras — rename, time zone,
// remove (views/admin-cameras.js). Both reload after every change.
import { api } from "../lib/api.js";
import { fill, h } from "../lib/dom.js";
import { byName } from "../lib/sort.js";
import { usersSection } from "./admin-users.js";
import { camerasSection } from "./admin-cameras.js";
import { changeRunner } from "./common.js";

export function adminView({ main, setCrumbs, viewer }) {
	setCrumbs();
	const message = h("p.notice", { hidden: true, role: "status" });
	const users = h("section.admin-part#admin-users", h("p.loading", "Loading…"));
	const cameras = h("section.admin-part#admin-cameras");
	fill(main, h("section.page.admin",
		h("div.page-head", h("h1", "Admin")),
		message, users, cameras));
	let stopped = false;
	// The outcome of a change (or its error) is shown, then the page reloads.
	const { done, failed } = changeRunner(message, () => reload());
	async function reload() {
		try {
			const [people, devices] = await Promise.all([api.users(), api.devices()]);
			if (stopped) return;
			const sorted = byName(devices);
			fill(users, usersSection(people, sorted, viewer, done));
			fill(cameras, camerasSection(sorted, done));
		}
		catch (error) {
			if (!stopped) failed(error);
		}
	}
	reload();
	return () => {
		stopped = true;
	};
}
