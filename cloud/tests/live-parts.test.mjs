// The parts store of one watched channel (playback/live-parts.ts), pure: what a playlist lists
// beside the live window, what a part's request gets, and its bounds.
import test from "ava";
import { LiveParts } from "../../build/node/cloud/src/playback/live-parts.js";
import { LiveWindow } from "../../build/node/cloud/src/playback/live-window.js";
import { parseInit } from "../../build/node/cloud/src/media/init.js";
import { packageStream } from "../../build/node/cloud/sim/packager.js";

const media = packageStream({ seconds: 4 });
const init = parseInit(media.init);
const part = (seq, index, bytes = media.segments[seq].fragments[index].bytes) => ({ device: "cam1", channel: 0, stream: "a", seq, index, bytes, init });
const row = (seq) => ({ device: "cam1", channel: 0, stream: "a", seq, start_ms: 1e12 + seq * 1000, end_ms: 1e12 + (seq + 1) * 1000 });
const windowOf = (...seqs) => {
	const window = new LiveWindow();
	for (const seq of seqs) window.add(row(seq), () => ({ base: 0, disc: 0 }), 0);
	return window;
};

test("parts in order are listed for the segment in flight; out of order, or from the middle of an upload, they are not taken", (t) => {
	const parts = new LiveParts(), window = windowOf(0);
	t.false(parts.add(part(1, 1)), "an upload seen from its middle starts nothing");
	t.true(parts.add(part(1, 0)));
	t.false(parts.add(part(1, 2)), "a part out of order");
	t.true(parts.add(part(1, 1)));
	const listing = parts.listing(window);
	t.deepEqual(listing.inFlight.parts.map((p) => [p.index, p.independent, Math.round(p.durationMs)]), [[0, true, 200], [1, false, 200]]);
	t.deepEqual(listing.hint, { stream: "a", seq: 1, index: 2 });
	t.is(parts.stateOf(window, "a", 1, 1).part.index, 1);
	t.is(parts.stateOf(window, "a", 1, 2), "wait", "the next part is worth waiting for");
	t.is(parts.stateOf(window, "a", 1, 3), "gone", "not the one after it");
	t.is(parts.stateOf(window, "a", 2, 0), "gone", "nor another segment's");
});

test("a part longer than PART-TARGET, or one that does not parse, lists none of its segment", (t) => {
	const window = windowOf(0);
	const long = new LiveParts();
	// Two fragments in one part: 400 ms.
	t.true(long.add(part(1, 0, Buffer.concat([media.segments[1].fragments[0].bytes, media.segments[1].fragments[1].bytes]))));
	t.is(long.listing(window).inFlight, undefined);
	t.is(long.listing(window).hint, undefined, "no hint for a segment that lists no parts");
	t.is(long.stateOf(window, "a", 1, 0), "gone");
	t.is(long.bytes, 0);
	const garbled = new LiveParts();
	t.true(garbled.add(part(1, 0, Buffer.from("not a fragment at all"))));
	t.is(garbled.listing(window).inFlight, undefined);
});

test("a failed upload's parts vanish; a committed segment's stay, beside its EXTINF, for 3 target durations", (t) => {
	const parts = new LiveParts();
	for (let i = 0; i < 2; i++) parts.add(part(1, i));
	t.true(parts.failed("a", 1));
	t.is(parts.listing(windowOf(0)).inFlight, undefined);
	t.is(parts.bytes, 0);
	for (let seq = 0; seq < 4; seq++) for (let i = 0; i < 5; i++) parts.add(part(seq, i));
	for (let seq = 0; seq < 4; seq++) t.true(parts.committed("a", seq));
	t.false(parts.failed("a", 3), "a committed segment's parts stay");
	const listing = parts.listing(windowOf(0, 1, 2, 3));
	t.deepEqual([...listing.byMsn.keys()], [1, 2, 3], "the last 3 target durations (1-s segments)");
	t.is(listing.inFlight, undefined);
	t.deepEqual(listing.hint, { stream: "a", seq: 4, index: 0 });
});

test("memory is bounded by segments and by bytes; a segment alone over the byte bound keeps nothing", (t) => {
	const fragmentBytes = media.segments[0].fragments.reduce((n, f) => n + f.bytes.length, 0);
	const bySegments = new LiveParts({ segments: 2 });
	for (let seq = 0; seq < 4; seq++) for (let i = 0; i < 5; i++) bySegments.add(part(seq, i));
	t.is(bySegments.segments, 2);
	t.is(bySegments.stateOf(windowOf(0, 1, 2), "a", 0, 0), "gone", "the oldest went first");
	const byBytes = new LiveParts({ bytes: fragmentBytes });
	for (let i = 0; i < 5; i++) byBytes.add(part(0, i));
	t.true(byBytes.bytes <= fragmentBytes);
	for (let i = 0; i < 5; i++) byBytes.add(part(1, i));
	t.true(byBytes.bytes <= fragmentBytes, `${byBytes.bytes} bytes held, bound ${fragmentBytes}`);
	t.is(byBytes.stateOf(windowOf(0, 1), "a", 0, 0), "gone");
	const tiny = new LiveParts({ bytes: 10 });
	tiny.add(part(1, 0));
	t.is(tiny.bytes, 0);
	t.is(tiny.listing(windowOf(0)).inFlight, undefined);
	t.false(tiny.add(part(1, 1)), "nor its later parts");
});
