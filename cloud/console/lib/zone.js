// The time zone the console shows times in: the browser's, UTC, or the camera's
// (a device setting, `timeZone`, when the page is about one camera that has one).
// The choice is remembered in this browser; every time the console prints goes
// through `fields`, so a change of zone changes them all.
const key = "ivxs-zone";
let camera = null;

/** The zone of the camera the page shows (null: none, or a page of several cameras). */
export function setCameraZone(zone) {
	camera = zone || null;
}

export const cameraZone = () => camera;
export const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
/** "browser" | "UTC" | "camera" */
export const zoneChoice = () => localStorage.getItem(key) ?? "browser";
export const chooseZone = (choice) => localStorage.setItem(key, choice);

/** The IANA zone times are shown in now. */
export function zone() {
	const choice = zoneChoice();
	if (choice === "UTC") return "UTC";
	if (choice === "camera" && camera) return camera;
	return browserZone();
}

const formats = new Map();
function format(tz) {
	let found = formats.get(tz);
	if (!found) {
		found = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short" });
		formats.set(tz, found);
	}
	return found;
}

/** { year, month, day, hour, minute, second, zoneName } of `ms` in the zone shown. */
export function fields(ms, tz = zone()) {
	const out = {};
	for (const { type, value } of format(tz).formatToParts(new Date(ms))) out[type] = type === "timeZoneName" ? value : Number(value);
	return { year: out.year, month: out.month, day: out.day, hour: out.hour % 24, minute: out.minute, second: out.second, zoneName: out.timeZoneName };
}

/** How far the zone shown is ahead of UTC at `ms` (ms; negative west of Greenwich). */
export function offsetMs(ms, tz = zone()) {
	const f = fields(ms, tz);
	return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - Math.floor(ms / 1000) * 1000;
}

/** The zone's short name at `ms` ("UTC", "CET", "GMT+1"). */
export const zoneLabel = (ms = Date.now()) => fields(ms).zoneName;

/** Midnight of the day "YYYY-MM-DD" in the zone shown (ms). */
export function midnightOf(date) {
	const [y, m, d] = date.split("-").map(Number);
	const guess = Date.UTC(y, m - 1, d);
	return guess - offsetMs(guess - offsetMs(guess));
}
