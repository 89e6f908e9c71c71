// A rate limit per key (modules/net/rate-gate.ts): a burst at once, then one per interval; keys
// back at a full burst are pruned — several in one walk, those not due yet kept.
import test from "ava";
import { RateGate, nextDue } from "../../modules/net/rate-gate.js";

test("a burst, then one per interval; the wait says when", (t) => {
	const gate = new RateGate(3, 100);
	t.deepEqual([gate.take("a", 0), gate.take("a", 0), gate.take("a", 0)], [0, 0, 0]);
	t.is(gate.take("a", 0), 100);
	t.is(gate.take("a", 50), 50);
	t.is(gate.take("a", 100), 0);
	t.is(gate.take("b", 100), 0, "another key has its own burst");
});

test("prune drops every key whose burst is full again, in one walk, and keeps the others", (t) => {
	const gate = new RateGate(2, 100);
	for (const key of ["a", "b", "c", "d"]) gate.take(key, 0);
	gate.take("c", 0);   // c: due at 200 (a, b, d at 100)
	t.is(gate.size, 4);
	gate.prune(50);
	t.is(gate.size, 4, "not due yet");
	gate.prune(100);
	t.is(gate.size, 1, "a, b and d dropped in the same walk");
	t.is(gate.take("c", 100), 0, "c kept: one of its burst back at 100");
	t.is(gate.take("c", 100), 100, "and no more");
	gate.prune(1000);
	t.is(gate.size, 0);
	gate.prune(2000);
	t.is(gate.size, 0, "an empty gate prunes nothing");
});

test("nextDue: the rule for one key kept as a number", (t) => {
	t.is(nextDue(-Infinity, 0, 1, 100), 100);
	t.is(nextDue(100, 50, 1, 100), undefined);
	t.is(nextDue(100, 100, 1, 100), 200);
});
