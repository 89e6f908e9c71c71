/**
 * A request's head for the HTTP client (http-client.ts): its lines encoded as bytes and checked —
 * field names tokens, values printable ASCII or tabs, the target visible ASCII — so nothing a path
 * or a value holds can add a field or end the head early. The fields a client or a template makes
 * once go through field(); a request's own lines (its path, a template's varying values, a
 * stream's trailers) are encoded in one string and checked on its bytes (requestLines, fieldLines).
 */
import { stringBytes } from "../protocol/ascii.js";
import { pattern } from "../protocol/pattern.js";
import { isToken } from "./http-parser.js";

// Patterns compiled once, not at each evaluation: XS compiles a literal every time one runs.
const FIELD_VALUE = pattern(/^[\t\x20-\x7e]*$/);
const REQUEST_TARGET = pattern(/^[\x21-\x7e]+$/);

/** `name: value\r\n`, checked: a token for a name; printable ASCII or tabs for a value (a CR, LF or
 * NUL would write another field or end the head). For the fields a head or template makes once. */
export function field(name: string, value: string): string {
	if (!isToken(name)) throw new TypeError(`bad header name ${JSON.stringify(name)}`);
	value = String(value);
	if (!FIELD_VALUE.test(value)) throw new TypeError(`bad value for header ${name}`);
	return `${name}: ${value}\r\n`;
}

export const NO_NAMES: readonly string[] = Object.freeze([]);

/**
 * A request's own lines as bytes, encoded in one pass: `METHOD path HTTP/1.1\r\n`, then
 * `name: value\r\n` for each of `names` (tokens, checked once by the caller) with the value at
 * the same index. The path and the values are checked on those bytes, so a request made from a
 * template encodes one string and makes nothing else.
 */
export function requestLines(method: string, path: string, names: readonly string[], values: readonly string[]): Uint8Array {
	if (typeof path !== "string" || path === "") throw new TypeError(`bad request target ${JSON.stringify(path)}`);
	// (concat: one string, where XS makes one per part of a template literal — protocol/signing.ts stringToSign)
	const bytes = stringBytes(method.concat(" ", path, " HTTP/1.1\r\n", fieldsText(names, values)));
	const at = requestLineEnd(bytes);
	if (at < 0 || !linesWellFormed(bytes, at, bytes.length, names.length)) throw linesError(path, names, values);
	return bytes;
}

/** `lead`, the fields as requestLines writes them, then `tail` (a trailer section), as bytes checked the same way. */
export function fieldLines(lead: string, names: readonly string[], values: readonly string[], tail: string): Uint8Array {
	const bytes = stringBytes(lead.concat(fieldsText(names, values), tail));
	if (!linesWellFormed(bytes, lead.length, bytes.length - tail.length, names.length)) throw linesError(undefined, names, values);
	return bytes;
}

function fieldsText(names: readonly string[], values: readonly string[]): string {
	if (values.length !== names.length) throw new TypeError(`${names.length} header value(s) expected, ${values.length} given`);
	let text = "";
	for (let i = 0; i < names.length; i++) text = text.concat(names[i], ": ", values[i], "\r\n");
	return text;
}

/**
 * Where a well-formed request line ends (after its CRLF), or -1: visible ASCII but for its two
 * spaces — the method is a token and the version has none, so the path has none.
 */
function requestLineEnd(bytes: Uint8Array): number {
	let i = 0, spaces = 0;
	for (; i < bytes.length && bytes[i] !== 13; i++) {
		const b = bytes[i];
		if (b === 32) spaces++;
		else if (b < 0x21 || b > 0x7e) return -1;
	}
	return spaces === 2 && bytes[i + 1] === 10 ? i + 2 : -1;
}

/**
 * Whether bytes[from, to) are exactly `lines` field lines: printable ASCII or tabs, a CR only as
 * the first byte of the CRLF ending a line. A CR or LF in a value fails a rule or adds a line; a
 * character past ASCII is bytes ≥ 0x80, a NUL 0x00 (or XS's 0xC0 0x80).
 */
function linesWellFormed(bytes: Uint8Array, from: number, to: number, lines: number): boolean {
	let count = 0;
	for (let i = from; i < to; i++) {
		const b = bytes[i];
		if (b === 13) {
			if (bytes[i + 1] !== 10 || i + 1 >= to) return false;
			count++;
			i++;
		}
		else if (b > 0x7e || (b < 0x20 && b !== 9)) return false;
	}
	return count === lines;
}

/** What requestLines or fieldLines refused, named (the slow checks, run once a check on the bytes failed). */
function linesError(path: string | undefined, names: readonly string[], values: readonly string[]): TypeError {
	if (path !== undefined && !REQUEST_TARGET.test(path)) return new TypeError(`bad request target ${JSON.stringify(path)}`);
	for (let i = 0; i < names.length; i++) if (!FIELD_VALUE.test(String(values[i]))) return new TypeError(`bad value for header ${names[i]}`);
	return new TypeError("bad request head");
}

/** The method, checked: a token. */
export function checkedMethod(method: string): string {
	if (!isToken(method)) throw new TypeError(`bad method ${JSON.stringify(method)}`);
	return method;
}

/** Field names, checked once: tokens (a copy, so the caller's list may change after). */
export function checkedNames(names: readonly string[] | undefined): readonly string[] {
	if (!names?.length) return NO_NAMES;
	const copy: string[] = [];
	for (let i = 0; i < names.length; i++) {
		field(names[i], "");
		copy.push(names[i]);
	}
	return copy;
}
