// The camera's viewers on every wire (modules/app/viewers.ts): one limit, one uplink share, one figures list.
import test from "ava";
import { Viewers, type ViewerWire } from "../../modules/app/viewers.js";
import type { P2pSessionFigures } from "../../modules/protocol/signal.js";

/** A wire with `n` viewers open; what it was given lands in `uplink`. */
function wire(n: number, name = "v"): ViewerWire & { n: number; uplink?: number } {
	const w = {
		n,
		uplink: undefined as number | undefined,
		open: () => w.n,
		setUplink: (bytes: number) => { w.uplink = bytes; },
		figures: (): P2pSessionFigures[] => Array.from({ length: w.n }, (_, i) =>
			({ session: `${name}${i}`, action: "live", talk: false, srttMs: 10, rate: 0, buffered: 0, memory: 0 })),
	};
	return w;
}

test("one limit for every wire: a place is taken by a viewer on either", (t) => {
	const viewers = new Viewers(3);
	t.is(viewers.places(), 3, "no wire yet");
	const native = wire(1), webrtc = wire(1);
	viewers.add("native", native);
	viewers.add("webrtc", webrtc);
	t.is(viewers.open, 2);
	t.is(viewers.places(), 1);
	webrtc.n = 2;
	t.is(viewers.places(), 0, "full: the next viewer on either wire is refused");
	native.n = 2;
	t.is(viewers.places(), -1, "a wire that counts its new viewer before asking sees it over");
	t.throws(() => new Viewers(0), { instanceOf: RangeError });
});

test("the uplink: an equal part per viewer on every wire; the first wire keeps a part for its next viewer", (t) => {
	const viewers = new Viewers(8);
	const native = wire(2), webrtc = wire(0);
	viewers.add("native", native);
	viewers.add("webrtc", webrtc);
	viewers.share(60_000);
	t.deepEqual([native.uplink, webrtc.uplink], [60_000, 0], "no WebRTC viewer: all of it native");
	webrtc.n = 1;
	viewers.share(60_000);
	t.deepEqual([native.uplink, webrtc.uplink], [40_000, 20_000]);
	native.n = 0;
	webrtc.n = 2;
	viewers.share(60_000);
	t.deepEqual([native.uplink, webrtc.uplink], [20_000, 40_000], "the native transport's part for its next viewer");
	native.n = 1;
	const shares = viewers.share(100_001);
	t.is(shares.get("native")! + shares.get("webrtc")!, 100_001, "nothing lost to rounding");
	t.is(viewers.share(0).get("native"), 0, "no budget");
});

test("figures: every wire's viewers in one list, at most one report's", (t) => {
	const viewers = new Viewers(32);
	viewers.add("native", wire(2, "n"));
	viewers.add("webrtc", wire(1, "w"));
	t.deepEqual(viewers.figures().map((f) => f.session), ["n0", "n1", "w0"]);
	viewers.add("webrtc", wire(40, "w"));
	t.is(viewers.figures().length, 32);
});
