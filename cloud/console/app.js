// The console's shell: who is signed in, the hash router (#/devices,
// #/devices/<id>/<tab>?ch=N), and the life cycle of views (each render returns
// a cleanup that stops its players and timers when the person navigates away).
import { api, whenSignedOut } from "./lib/api.js";
import { fill, h } from "./lib/dom.js";
import { signInView } from "./views/signin.js";
import { devicesView } from "./views/devices.js";
import { deviceView } from "./views/device.js";
import { eventsView } from "./views/events.js";
import { adminView } from "./views/admin.js";
import { releasesView } from "./views/releases.js";
import { zonePicker } from "./views/zone-picker.js";
import { notifier } from "./lib/notify.js";
import { setCameraZone } from "./lib/zone.js";

const main = document.getElementById("main");
const crumbs = document.getElementById("crumbs");
const account = document.getElementById("account");
const sections = document.getElementById("sections");
let viewer;
let cleanup = () => {};

export function go(hash) {
	if (location.hash === hash) route();
	else location.hash = hash;
}

function setCrumbs(...items) {
	fill(crumbs, items.map((item, i) => [i ? h("span.sep", "/") : null, item.href ? h("a", { href: item.href }, item.label) : h("span", item.label)]));
}

function showSections(current) {
	if (!viewer) return fill(sections);
	const links = [["devices", "Cameras"], ["events", "Events"], viewer.admin ? ["admin", "Admin"] : null, viewer.admin ? ["releases", "Releases"] : null].filter(Boolean);
	fill(sections, links.map(([name, label]) => h("a.section", { href: `#/${name}`, "aria-current": name === current ? "page" : null, dataset: { section: name } }, label)));
}

/** The zone picker again (a device page offers its camera's zone once it has loaded). */
function showZone() {
	account.querySelector(".zone")?.replaceWith(zonePicker(route));
}

function showAccount() {
	if (!viewer) return fill(account);
	fill(account,
		zonePicker(route),
		h("span.who", viewer.user, viewer.admin ? h("span.badge", "admin") : null),
		h("button.ghost#sign-out", {
			onclick: async () => {
				await api.signOut().catch(() => {});
				viewer = undefined;
				notifier.stop();
				go("#/signin");
			},
		}, "Sign out"));
}

async function route() {
	cleanup();
	cleanup = () => {};
	const [path, search = ""] = location.hash.replace(/^#/, "").split("?");
	const parts = path.split("/").filter(Boolean).map((part) => {
		try {
			return decodeURIComponent(part);
		}
		catch {
			return part;
		}
	});
	const params = new URLSearchParams(search);
	if (!viewer && parts[0] !== "signin") {
		try {
			viewer = await api.me();
		}
		catch {
			viewer = undefined;
		}
		if (!viewer) return go(`#/signin?then=${encodeURIComponent(location.hash || "#/devices")}`);
	}
	setCameraZone(null);
	showAccount();
	showSections(parts[0] === "signin" ? undefined : parts[0] ?? "devices");
	if (viewer) notifier.start();
	document.body.dataset.view = parts[0] ?? "devices";
	const context = { main, setCrumbs, go, params, viewer, showZone };
	let stop;
	if (parts[0] === "signin") {
		setCrumbs();
		stop = signInView(context, (who) => {
			viewer = who;
			// Back to where the person was: only a page of the console, never another URL.
			const then = params.get("then");
			go(then && then.startsWith("#/") && !then.startsWith("#/signin") ? then : "#/devices");
		});
	}
	else if (parts[0] === "devices" && parts[1]) stop = deviceView(context, parts[1], parts[2] ?? "live");
	else if (parts[0] === "events") stop = eventsView(context);
	else if (parts[0] === "admin" && viewer.admin) stop = adminView(context);
	else if (parts[0] === "releases" && viewer.admin) stop = releasesView(context);
	else stop = devicesView(context);
	cleanup = typeof stop === "function" ? stop : () => {};
}

whenSignedOut(() => {
	if (!viewer) return;
	viewer = undefined;
	notifier.stop();
	go(`#/signin?then=${encodeURIComponent(location.hash)}&expired=1`);
});
window.addEventListener("hashchange", route);
route();
