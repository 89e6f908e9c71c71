import test from "ava";
import { LogGate } from "../../modules/net/log-gate.js";

test("LogGate: a burst of lines a window, the rest counted; the next window's first line says how many were held back", (t) => {
	const lines: string[] = [];
	const clock = { ms: 1000 };
	const gate = new LogGate((m) => lines.push(m), () => clock.ms, 3, 10_000);
	for (let i = 0; i < 1000; i++) gate.log(`refused ${i}`);
	t.deepEqual(lines, ["refused 0", "refused 1", "refused 2"]);
	t.is(gate.held, 997);
	clock.ms += 9_999;
	gate.log("still this window");
	t.is(lines.length, 3);
	clock.ms += 1;
	gate.log("a new window");
	gate.log("and another");
	t.deepEqual(lines.slice(3), ["a new window (and 998 line(s) like it held back)", "and another"]);
	t.is(gate.held, 998);
});
