// The camera's viewers on every wire (modules/app/viewers.ts): one limit, one figures list. (Their one
// uplink budget is C's: native/p2p/tests/uplink_test.c, tests/xs-only/webrtc.test.ts.)
import test from "ava";
import { Viewers, type ViewerWire } from "../../modules/app/viewers.js";
import type { P2pSessionFigures } from "../../modules/protocol/signal.js";

/** A wire with `n` viewers open. */
function wire(n: number, name = "v"): ViewerWire & { n: number } {
	const w = {
		n,
		open: () => w.n,
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

test("figures: every wire's viewers in one list, at most one report's", (t) => {
	const viewers = new Viewers(32);
	viewers.add("native", wire(2, "n"));
	viewers.add("webrtc", wire(1, "w"));
	t.deepEqual(viewers.figures().map((f) => f.session), ["n0", "n1", "w0"]);
	viewers.add("webrtc", wire(40, "w"));
	t.is(viewers.figures().length, 32);
});
