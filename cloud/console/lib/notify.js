// Browser notifications of new camera events while the console is open: the
// person turns them on with a click (the permission is asked then, never on
// load); from then on the console asks every 15 s for the events of all its
// cameras since the last look and shows one notification per new event.
import { api } from "./api.js";
import { eventLabels, stamp } from "./dom.js";

const key = "ivxs-notify";
const everyMs = 15000;

const supported = () => typeof Notification === "function";

class Notifier {
	#timer;
	#since;
	#startedAt;
	#seen = new Set();

	/** "unsupported" | "denied" | "on" | "off" */
	get state() {
		if (!supported()) return "unsupported";
		if (Notification.permission === "denied") return "denied";
		return Notification.permission === "granted" && localStorage.getItem(key) === "on" ? "on" : "off";
	}

	/** Called from a click: asks for the permission, then starts. Resolves with the state. */
	async turnOn() {
		if (!supported()) return this.state;
		if (Notification.permission !== "granted") await Notification.requestPermission();
		if (Notification.permission === "granted") localStorage.setItem(key, "on");
		this.start();
		return this.state;
	}

	turnOff() {
		localStorage.setItem(key, "off");
		this.stop();
	}

	/** Starts looking (when turned on); harmless when already looking. */
	start() {
		if (this.#timer || this.state !== "on") return;
		this.#since = this.#startedAt = Date.now();
		this.#timer = setInterval(() => void this.#look().catch(() => {}), everyMs);
	}

	stop() {
		clearInterval(this.#timer);
		this.#timer = undefined;
	}

	async #look() {
		const from = this.#since;
		const to = Date.now() + 60e3;
		const devices = await api.devices();
		const lists = await Promise.all(devices.map((device) => api.events(device.id, undefined, from - everyMs, to)
			.then((events) => events.map((event) => ({ ...event, device })), () => [])));
		this.#since = Date.now();
		for (const event of lists.flat()) {
			const id = `${event.device.id}/${event.id}`;
			// Only what happened since notifications started; the overlap of looks is not shown twice.
			if (this.#seen.has(id) || event.time < this.#startedAt) continue;
			this.#seen.add(id);
			const notice = new Notification(`${eventLabels(event.bits).join(", ")} · ${event.device.name || event.device.id}`, { body: stamp(event.time), tag: id });
			notice.onclick = () => {
				window.focus();
				location.hash = `#/devices/${encodeURIComponent(event.device.id)}/recordings?${event.channel ? `ch=${event.channel}&` : ""}at=${event.time}`;
			};
		}
	}
}

export const notifier = new Notifier();
