// Hostile input a camera may get from the network: a stack overflow must be a
// catchable RangeError, and the app must go on afterwards. Keys and numbers with exponents of
// more digits than an int holds (a hex id such as "1e5380959730…" is one) are read by XS's strtod
// (xsdtoa.c), whose exponent accumulates in an int: the sanitized host must not report it
// (hosts/linux/Makefile says why that file is exempt from the overflow check).
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
	const exponent = "1e" + "5380959730".repeat(3);
	const parsed = JSON.parse(`{"${exponent}":${exponent},"-2E-${"9".repeat(30)}":1}`);
	trace(`exponents: ${Object.keys(parsed).length} ${parsed[exponent]} ${Number(exponent)} ${Number("1e-" + "9".repeat(30))}\n`);
	trace(`after: ${JSON.parse('{"ok":[1,2,3]}').ok.length}\n`);
	Promise.resolve().then(() => trace("jobs still run\n"));
}
