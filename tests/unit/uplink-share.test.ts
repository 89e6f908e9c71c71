// How the camera shares its uplink between cloud storage and P2P viewers (modules/app/uplink-share.ts).
import test from "ava";
import { CS_HEADROOM, ProductionMeter, p2pBudget } from "../../modules/app/uplink-share.js";

test("cloud storage's streams come first (× headroom) while it uploads; viewers get the rest, never below the floor", (t) => {
	const uplink = { uplinkBytes: 125_000 };   // 1 Mbit/s
	t.is(p2pBudget(uplink, 20_000, true), 125_000 - 20_000 * CS_HEADROOM);
	t.is(p2pBudget(uplink, 20_000, false), 125_000, "nothing uploading: all of it");
	t.is(p2pBudget(uplink, 100_000, true), 16_000, "a stream larger than the uplink: the floor");
	t.is(p2pBudget({ uplinkBytes: 125_000, floorBytes: 0 }, 100_000, true), 0);
});

test("the production meter measures bytes/s between samples", (t) => {
	const meter = new ProductionMeter();
	t.is(meter.sample(1000, 0), undefined);
	t.is(meter.sample(21_000, 1000), 20_000);
	t.is(meter.sample(31_000, 1500), 20_000);
	t.is(meter.sample(40_000, 1500), undefined, "no time passed");
});
