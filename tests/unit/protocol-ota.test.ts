// The OTA messages of cloud/PROTOCOL.md §7 (modules/protocol/ota.ts), under Node and on XS: the
// cloud's offer as a device reads it, and a device's report as the cloud reads it.
import test from "ava";
import { otaOfferOf, otaReportOf, releasePath } from "../../modules/protocol/ota.js";

const sha = "ab".repeat(32);
const offer = { rollout: "9f3c0a1b2c3d4e5f", version: "1.2.0", path: "/v1/devices/cam1/releases/1.2.0", size: 1000, sha256: sha };

test("an offer for this device is read; one for another path, version or shape is not", (t) => {
	t.is(releasePath("cam1", "1.2.0"), "/v1/devices/cam1/releases/1.2.0");
	t.deepEqual(otaOfferOf(offer, "cam1"), offer);
	t.deepEqual(otaOfferOf({ ...offer, extra: 1 }, "cam1"), offer, "unknown fields are dropped");
	for (const [what, value, device] of [
		["another device's path", offer, "cam2"],
		["a path elsewhere", { ...offer, path: "/v1/devices/cam1/releases/1.2.0/../x" }, "cam1"],
		["a version that is not MAJOR.MINOR.PATCH", { ...offer, version: "1.2", path: "/v1/devices/cam1/releases/1.2" }, "cam1"],
		["a size of 0", { ...offer, size: 0 }, "cam1"],
		["a hash of another length", { ...offer, sha256: "ab" }, "cam1"],
		["a rollout id with capitals", { ...offer, rollout: "ABC" }, "cam1"],
		["nothing (withdrawn)", undefined, "cam1"],
		["a string", "1.2.0", "cam1"],
	] as [string, unknown, string][]) t.is(otaOfferOf(value, device), undefined, what);
});

test("a report is read with its optional reason and target; a malformed one is not", (t) => {
	t.deepEqual(otaReportOf({ version: "1.1.0", slot: "a", state: "confirmed" }), { version: "1.1.0", slot: "a", state: "confirmed", reason: undefined, target: undefined });
	t.deepEqual(otaReportOf({ version: "", slot: "", state: "rolled-back", reason: "no confirmation", target: "1.2.0" }),
		{ version: "", slot: "", state: "rolled-back", reason: "no confirmation", target: "1.2.0" });
	for (const value of [
		{ version: "1.1.0", slot: "a", state: "exploded" },
		{ version: "v1", slot: "a", state: "idle" },
		{ version: "1.1.0", slot: "ab", state: "idle" },
		{ version: "1.1.0", slot: "a", state: "refused", reason: "x".repeat(301) },
		{ version: "1.1.0", slot: "a", state: "refused", target: "latest" },
		null, [], "confirmed",
	]) t.is(otaReportOf(value), undefined, JSON.stringify(value));
});
