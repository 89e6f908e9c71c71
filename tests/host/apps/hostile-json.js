// Hostile input a camera may get from the network: a stack overflow must be a
// catchable RangeError, and the app must go on afterwards.
import { attempt } from "./attempt.js";

export default function () {
	const depth = 100000;
	const arrays = "[".repeat(depth) + "]".repeat(depth);
	const objects = '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
	for (let round = 1; round <= 2; round++) {
		attempt(`round ${round} nested arrays`, () => JSON.parse(arrays));
		attempt(`round ${round} nested objects`, () => JSON.parse(objects));
		attempt(`round ${round} reviver`, () => JSON.parse(arrays, (key, value) => value));
		attempt(`round ${round} eval`, () => (0, eval)("(".repeat(depth) + "1" + ")".repeat(depth)));
		attempt(`round ${round} recursion`, function recurse() { recurse(); });
		attempt(`round ${round} apply`, () => Math.max.apply(null, new Array(100000).fill(1)));
		attempt(`round ${round} spread`, () => String.fromCharCode(...new Array(100000).fill(65)));
	}
	trace(`after: ${JSON.parse('{"ok":[1,2,3]}').ok.length}\n`);
	Promise.resolve().then(() => trace("jobs still run\n"));
}
