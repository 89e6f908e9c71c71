// The console's time-zone and name-order rules on their own (plain modules,
// run under Node): midnight of a day in a zone across daylight-saving changes,
// the zone chosen, and camera names in natural order.
import test from "ava";

globalThis.localStorage ??= { items: {}, getItem(key) { return this.items[key] ?? null; }, setItem(key, value) { this.items[key] = String(value); } };
const zone = await import("../console/lib/zone.js");
const { byName, matching } = await import("../console/lib/sort.js");

test.serial("midnight of a day is found in the camera's zone, across daylight-saving changes and half-hour zones", (t) => {
	zone.chooseZone("camera");
	zone.setCameraZone("Europe/Paris");
	t.is(new Date(zone.midnightOf("2026-03-29")).toISOString(), "2026-03-28T23:00:00.000Z", "the day summer time starts");
	t.is(new Date(zone.midnightOf("2026-10-25")).toISOString(), "2026-10-24T22:00:00.000Z", "the day it ends");
	t.is(zone.offsetMs(Date.parse("2026-07-01T12:00:00Z")), 2 * 3600e3);
	zone.setCameraZone("America/St_Johns");
	t.is(new Date(zone.midnightOf("2026-11-01")).toISOString(), "2026-11-01T02:30:00.000Z");
	t.is(zone.zone(), "America/St_Johns");
	// A page without a camera: the browser's zone, whatever was chosen.
	zone.setCameraZone(null);
	t.is(zone.zone(), zone.browserZone());
	zone.chooseZone("UTC");
	t.is(zone.zone(), "UTC");
	t.is(zone.zoneLabel(), "UTC");
	t.deepEqual(zone.fields(Date.parse("2026-11-23T00:05:09Z")), { year: 2026, month: 11, day: 23, hour: 0, minute: 5, second: 9, zoneName: "UTC" });
});

test("cameras sort hd2 before hd10, by the name shown, and a search matches name or id", (t) => {
	const devices = ["hd10", "hd2", "HD1", "garage", "hd0"].map((id) => ({ id, name: id === "garage" ? "A garage" : "" }));
	t.deepEqual(byName(devices).map((d) => d.id), ["garage", "hd0", "HD1", "hd2", "hd10"]);
	t.deepEqual(matching(devices, " hd1 ").map((d) => d.id), ["hd10", "HD1"]);
	t.deepEqual(matching(devices, "garage").map((d) => d.id), ["garage"]);
});

test.serial("a time is labelled Today, Yesterday or Tomorrow by the days of the zone shown, never a future day as Today", async (t) => {
	const { when } = await import("../console/lib/dom.js");
	zone.chooseZone("camera");
	zone.setCameraZone("Europe/Paris");
	const realNow = Date.now;
	// 2026-10-25 is 25 hours long in Paris (summer time ends at 03:00).
	Date.now = () => Date.parse("2026-10-25T12:00:00Z");
	try {
		t.is(when(Date.parse("2026-10-25T23:30:00Z")), "Tomorrow 00:30:00", "a future time is never labelled today");
		t.is(when(Date.parse("2026-10-26T22:59:00Z")), "Tomorrow 23:59:00");
		t.is(when(Date.parse("2026-10-25T22:59:00Z")), "Today 23:59:00", "the 25 h day's last hour");
		t.is(when(Date.parse("2026-10-24T22:30:00Z")), "Today 00:30:00");
		t.is(when(Date.parse("2026-10-24T21:59:00Z")), "Yesterday 23:59:00");
		t.is(when(Date.parse("2026-10-23T22:00:00Z")), "Yesterday 00:00:00");
		t.is(when(Date.parse("2026-10-23T21:59:00Z")), "2026-10-23 23:59:00");
		t.is(when(Date.parse("2026-10-26T23:00:00Z")), "2026-10-27 00:00:00", "the day after tomorrow has its date");
	} finally {
		Date.now = realNow;
	}
});
