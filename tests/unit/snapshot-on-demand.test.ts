// Stills out of schedule (modules/snapshot/on-demand.ts, modules/protocol/still.ts), under Node
// and on XS: the `cmd` "snapshot" and its parser, and the camera's gate — one still per channel
// at a time, none closer than the gap to the last one started, the rest dropped and counted.
import test from "ava";
import { snapshotCommand, snapshotRequestOf } from "../../modules/protocol/still.js";
import { StillsOnDemand } from "../../modules/snapshot/on-demand.js";

test("the snapshot command names a channel; anything else is no request", (t) => {
	t.deepEqual(JSON.parse(snapshotCommand(2)), { type: "snapshot", channel: 2 });
	t.is(snapshotRequestOf({ type: "snapshot", channel: 2 }), 2);
	for (const bad of [{ type: "live", channel: 0 }, { type: "snapshot", channel: -1 }, { type: "snapshot", channel: "0" }, { type: "snapshot", channel: 0.5 }, { type: "snapshot" }])
		t.is(snapshotRequestOf(bad as Record<string, unknown>), undefined, JSON.stringify(bad));
});

test("one still per channel at a time and none closer than the gap; other channels are not held up", async (t) => {
	let now = 0;
	const taken: [number, number][] = [];
	const finish: (() => void)[] = [];
	const stills = new StillsOnDemand((channel, time) => {
		taken.push([channel, time]);
		return new Promise<void>((resolve) => finish.push(resolve));
	}, () => now, 2000);
	t.true(stills.take(0, 111));
	now = 2500;
	t.false(stills.take(0, 222), "the first is still uploading");
	t.true(stills.take(1, 333), "another channel is not held up");
	finish[0]();
	await Promise.resolve();
	await Promise.resolve();
	await Promise.resolve();
	t.true(stills.take(0, 444));
	now = 3000;
	t.false(stills.take(0, 555), "closer than the gap");
	t.deepEqual(taken, [[0, 111], [1, 333], [0, 444]]);
	t.deepEqual(stills.counts(), { ok: 1, failed: 0, dropped: 2 });
});

test("an upload that throws or rejects is counted as failed and frees the channel", async (t) => {
	let now = 0;
	const stills = new StillsOnDemand((channel) => {
		if (channel === 0) throw new Error("no capture");
		return Promise.reject(new Error("refused"));
	}, () => now, 10);
	t.true(stills.take(0, 1));
	t.true(stills.take(1, 1));
	await Promise.resolve();
	await Promise.resolve();
	await Promise.resolve();
	now = 20;
	t.true(stills.take(0, 2), "free again after the gap");
	await Promise.resolve();
	await Promise.resolve();
	await Promise.resolve();
	t.deepEqual(stills.counts(), { ok: 0, failed: 3, dropped: 0 });
});
