// The soak's fault schedule and the evidence its faults must leave (scripts/soak/faults.mjs,
// scripts/soak/verdict.mjs; README "Soak"), without running the soak: tests/soak.test.mjs runs it.
import test from "ava";
import { FAULTS, ROUND, scheduleFor } from "../scripts/soak/faults.mjs";
import { announcedBy, verdictOf } from "../scripts/soak/verdict.mjs";
import { natTopology } from "./_netns.mjs";

const ends = (slot) => slot.at + FAULTS[slot.kind].holdS;

for (const [name, kinds] of [["every kind", ROUND], ["no namespaces, no tmpfs", ROUND.filter((k) => k !== "viewer-move" && k !== "disk-full")]])
	test(`a 3-minute schedule (${name}) has each fault once, in ROUND's order, the cloud's restart last, 8 s or more between one's end and the next one's start, and 20 s after the last`, (t) => {
		const schedule = scheduleFor(3, kinds);
		t.deepEqual(schedule.map((s) => s.kind), kinds);
		t.is(schedule.at(-1).kind, "cloud-kill");
		for (let i = 1; i < schedule.length; i++) t.true(schedule[i].at - ends(schedule[i - 1]) >= 8, `${schedule[i - 1].kind} → ${schedule[i].kind}: ${JSON.stringify(schedule)}`);
		t.true(ends(schedule.at(-1)) + 20 <= 180, JSON.stringify(schedule));
	});

test("a 2-hour schedule repeats the round, in order, never two faults at once", (t) => {
	const schedule = scheduleFor(120);
	t.true(schedule.length >= 38 * ROUND.length, `${schedule.length} faults`);
	schedule.forEach((s, i) => t.is(s.kind, ROUND[i % ROUND.length]));
	for (let i = 1; i < schedule.length; i++) t.true(schedule[i].at > ends(schedule[i - 1]));
	t.true(ends(schedule.at(-1)) + 20 <= 7200);
});

/** The verdict's failures for a run of these faults and camera lines (every other check left empty). */
function failuresFor(faults, seen) {
	const r = {
		minutes: 3, started: 0, ended: 200_000, skipped: [], faults, recoveries: [], logs: [], seen, cloudWarnings: 0,
		stored: { runs: [], gapFrames: 0, streams: [] }, camera: { runs: [] }, viewers: {}, resources: { camera: [], cloud: [] },
	};
	return verdictOf(r).failures.filter((f) => f.startsWith("expects"));
}

const at = (kind, s, holdS = FAULTS[kind].holdS) => ({ kind, start: s * 1000, end: (s + holdS) * 1000 });

for (const [kind, line] of [["viewer-move", "camera soak-cam: p2p: event 3"], ["broker-kill", "camera soak-cam: plan rev 1: continuous, uploading, snapshots every 300 s"]])
	test(`${kind} must leave its line before the next fault: else it did not happen as meant`, (t) => {
		const faults = [at(kind, 30), at("cloud-kill", 60)];
		t.deepEqual(failuresFor(faults, [{ t: 36_000, msg: line }]), []);
		t.deepEqual(failuresFor(faults, []), [`expects: ${kind} at 30 s: no line matching ${FAULTS[kind].expects} before the next fault`]);
		// the next fault caused it (a cloud restart publishes the plans too): not this one's evidence
		t.is(failuresFor(faults, [{ t: 61_000, msg: line }]).length, 1);
		t.is(failuresFor([at(kind, 30)], [{ t: 150_000, msg: line }]).length, 0, "the last fault: until the end of the run");
	});

test("a viewer that moves again and again goes between two addresses (the soak renumbers it once a round)", (t) => {
	const topo = natTopology(t, { viewer: "public" });
	const first = topo.viewer.lan;
	const moves = [1, 2, 3].map(() => topo.renumber("viewer"));
	t.deepEqual(moves, [first.replace(/\.2$/, ".102"), first, first.replace(/\.2$/, ".102")]);
});

test("a camera's 'viewer moved' line is explained by that viewer's own report of new candidates just before it, and only by one that names them all", (t) => {
	const line = (t0) => ({ t: t0, msg: "camera soak-cam: p2p: viewer 0123456789abcdef moved; checking host 100.70.0.1:4000, host 10.0.0.5:4000 (it had offered host 10.0.0.5:4000)" });
	const told = [{ t: 50_000, candidates: "host 10.0.0.5:4000, host 100.70.0.1:4000, host 127.0.0.1:4000" }];
	t.true(announcedBy(line(52_000), told));
	t.false(announcedBy(line(70_000), told), "a report long before explains nothing");
	t.false(announcedBy(line(52_000), [{ t: 50_000, candidates: "host 10.0.0.5:4000" }]), "the camera checked a candidate the viewer never named");
	t.false(announcedBy({ t: 52_000, msg: "camera soak-cam: p2p: event 3" }, told));
});

test("the books count the cloud's gaps among the segments it still holds: gaps before the oldest one it kept (it evicted older ones to make room) are not holes", (t) => {
	const booksOf = (gaps, holes) => {
		const r = {
			minutes: 3, started: 0, ended: 200_000, skipped: [], faults: [], recoveries: [], logs: [], seen: [], cloudWarnings: 0,
			stored: { runs: [{ segments: 10, frames: 600, holes, first: 1165, last: 1865, startMs: 100_000 }], gaps, gapFrames: gaps.reduce((sum, g) => sum + g.frames, 0), streams: [] },
			camera: { runs: [{ gaps: gaps.map((g) => ({ frames: g.frames })) }] }, viewers: {}, resources: { camera: [], cloud: [] },
		};
		return verdictOf(r).failures.filter((f) => f.startsWith("frames.holes") || f.startsWith("frames.reported"));
	};
	const evicted = { from_ms: 40_000, to_ms: 47_000, frames: 214 }, kept = { from_ms: 120_000, to_ms: 127_000, frames: 100 };
	t.deepEqual(booksOf([evicted, kept], 100), []);
	t.deepEqual(booksOf([evicted, kept], 90), ["frames.holes: 90 frames missing between stored segments, the cloud holds gaps for 100 among them (314 in all)"]);
});
