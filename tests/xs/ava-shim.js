// A small ava-compatible test API for running the TypeScript unit tests on
// the XS host (module "ava" there). Tests register here; run-unit.js runs
// them and reports each result to the ava process on the Node side.
// Supported: test(), test.serial(), and the assertions listed in Assertions.

const registered = [];

export class AssertionError extends Error {
	constructor(message) {
		super(message);
		this.name = "AssertionError";
	}
}

function describe(value) {
	try {
		if (value instanceof Uint8Array) return `Uint8Array[${Array.prototype.slice.call(value, 0, 16).join(",")}${value.length > 16 ? ",…" : ""}]`;
		if (typeof value === "string") return JSON.stringify(value);
		if (typeof value === "bigint") return `${value}n`;
		return String(JSON.stringify(value) ?? value);
	}
	catch {
		return String(value);
	}
}

function deepEqual(a, b) {
	if (Object.is(a, b)) return true;
	if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
	if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
	if (ArrayBuffer.isView(a)) {
		if (a.length !== b.length) return false;
		for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
		return true;
	}
	if (a instanceof ArrayBuffer) return deepEqual(new Uint8Array(a), new Uint8Array(b));
	if (a instanceof Map) {
		if (a.size !== b.size) return false;
		for (const [k, v] of a) if (!b.has(k) || !deepEqual(v, b.get(k))) return false;
		return true;
	}
	if (a instanceof Set) {
		if (a.size !== b.size) return false;
		for (const v of a) if (!b.has(v)) return false;
		return true;
	}
	if (a instanceof Error) return a.message === b.message && a.name === b.name;
	const ka = Object.keys(a), kb = Object.keys(b);
	if (ka.length !== kb.length) return false;
	for (const k of ka) if (!Object.prototype.hasOwnProperty.call(b, k) || !deepEqual(a[k], b[k])) return false;
	return true;
}

// ava's t.like: the selector's own keys, objects among them compared the same way, the rest deep-equal.
function like(actual, selector) {
	if (selector === null || typeof selector !== "object" || Array.isArray(selector)) return deepEqual(actual, selector);
	if (actual === null || typeof actual !== "object") return false;
	return Object.keys(selector).every((key) => like(actual[key], selector[key]));
}

function checkError(error, expectations, message) {
	if (!expectations) return;
	if (typeof expectations === "function") expectations = { instanceOf: expectations };
	const { instanceOf, message: text, name, code, is } = expectations;
	if (instanceOf && !(error instanceof instanceOf))
		throw new AssertionError(`${message ?? "throws"}: expected instance of ${instanceOf.name}, got ${error?.name}: ${error?.message}`);
	if (is !== undefined && error !== is) throw new AssertionError(`${message ?? "throws"}: not the expected error`);
	if (name !== undefined && error?.name !== name) throw new AssertionError(`${message ?? "throws"}: expected name ${name}, got ${error?.name}`);
	if (code !== undefined && error?.code !== code) throw new AssertionError(`${message ?? "throws"}: expected code ${describe(code)}, got ${describe(error?.code)}`);
	if (typeof text === "string" && error?.message !== text)
		throw new AssertionError(`${message ?? "throws"}: expected message ${describe(text)}, got ${describe(error?.message)}`);
	if (text instanceof RegExp && !text.test(String(error?.message)))
		throw new AssertionError(`${message ?? "throws"}: message ${describe(error?.message)} does not match ${text}`);
	if (typeof text === "function" && !text(error?.message))
		throw new AssertionError(`${message ?? "throws"}: message ${describe(error?.message)} rejected`);
}

class Assertions {
	constructor(title) {
		this.title = title;
		this.count = 0;
		this.logs = [];
	}
	#ok(condition, message) {
		this.count++;
		if (!condition) throw new AssertionError(message);
	}
	log(...values) { this.logs.push(values.map(String).join(" ")); }
	pass() { this.count++; }
	fail(message = "Test failed via `t.fail()`") { this.#ok(false, message); }
	is(actual, expected, message) { this.#ok(Object.is(actual, expected), message ?? `expected ${describe(expected)}, got ${describe(actual)}`); }
	not(actual, expected, message) { this.#ok(!Object.is(actual, expected), message ?? `expected a value other than ${describe(expected)}`); }
	deepEqual(actual, expected, message) { this.#ok(deepEqual(actual, expected), message ?? `not deep-equal: ${describe(actual)} vs ${describe(expected)}`); }
	like(actual, selector, message) { this.#ok(like(actual, selector), message ?? `not like: ${describe(actual)} vs ${describe(selector)}`); }
	notDeepEqual(actual, expected, message) { this.#ok(!deepEqual(actual, expected), message ?? "values are deep-equal"); }
	true(value, message) { this.#ok(value === true, message ?? `expected true, got ${describe(value)}`); }
	false(value, message) { this.#ok(value === false, message ?? `expected false, got ${describe(value)}`); }
	truthy(value, message) { this.#ok(!!value, message ?? `expected truthy, got ${describe(value)}`); }
	falsy(value, message) { this.#ok(!value, message ?? `expected falsy, got ${describe(value)}`); }
	assert(value, message) { this.truthy(value, message); }
	regex(text, re, message) { this.#ok(re.test(text), message ?? `${describe(text)} does not match ${re}`); }
	throws(fn, expectations, message) {
		this.count++;
		let error;
		try {
			fn();
		}
		catch (e) {
			error = e;
		}
		if (error === undefined) throw new AssertionError(message ?? "function did not throw");
		checkError(error, expectations, message);
		return error;
	}
	async throwsAsync(thrower, expectations, message) {
		this.count++;
		let error;
		try {
			await (typeof thrower === "function" ? thrower() : thrower);
		}
		catch (e) {
			error = e;
		}
		if (error === undefined) throw new AssertionError(message ?? "promise did not reject");
		checkError(error, expectations, message);
		return error;
	}
	notThrows(fn, message) {
		this.count++;
		try {
			fn();
		}
		catch (e) {
			throw new AssertionError(`${message ?? "function threw"}: ${e?.name}: ${e?.message}`);
		}
	}
}

export default function test(title, fn) {
	if (typeof title !== "string" || typeof fn !== "function") throw new TypeError("test(title, fn)");
	registered.push({ title, fn });
}
test.serial = test;
test.skip = () => { throw new Error("test.skip is not allowed in ivxs: a skipped test is a defect"); };
test.only = () => { throw new Error("test.only must not be committed"); };

// Runs every registered test in order; calls report(result) for each.
export async function runRegistered(report) {
	for (const { title, fn } of registered.splice(0)) {
		const t = new Assertions(title);
		let ok = true, error;
		try {
			await fn(t);
			if (!t.count) throw new AssertionError("test finished without running any assertions");
		}
		catch (e) {
			ok = false;
			error = `${e?.name ?? "Error"}: ${e?.message ?? e}${e?.stack ? "\n" + e.stack : ""}`;
		}
		report({ title, ok, error, logs: t.logs });
	}
}
