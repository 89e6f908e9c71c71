// The incremental HTTP response parser (modules/net/http-parser.ts), under Node and on XS:
// every response is fed whole, byte by byte and in odd splits, and must parse the same.
import test from "ava";
import { asciiEncode, toHex, utf8Decode, utf8Encode } from "../../modules/net/bytes.js";
import { asciiBytes, asciiText } from "../../modules/protocol/ascii.js";
import { LimitError, ProtocolError } from "../../modules/net/errors.js";
import { xorshift32 } from "./_random.js";
import { type HeaderMap, ResponseParser, type ResponseHead } from "../../modules/net/http-parser.js";

interface Parsed { head?: ResponseHead; body: string; trailers?: HeaderMap; used: number }

function parse(text: string, split: number, options: { maxHeaderBytes?: number; noBody?: boolean } = {}): Parsed {
	const bytes = asciiEncode(text);
	const out: Parsed = { body: "", used: 0 };
	const parser = new ResponseParser({
		onHead(head) { out.head = head; },
		onData(data) { out.body += asciiText(data); },
		onEnd(trailers) { out.trailers = trailers; },
	}, options);
	for (let at = 0; at < bytes.length; at += split) {
		const used = parser.push(bytes.subarray(at, Math.min(bytes.length, at + split)));
		out.used += used;
		if (parser.done) break;
	}
	if (!parser.done && parser.untilClose) parser.end();
	return out;
}

const splits = [1, 2, 3, 7, 1000];

const cases: [string, string, number, string, HeaderMap, boolean][] = [
	["content-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello", 200, "hello", {}, true],
	["chunked with trailers and extensions", "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Sum: 13\r\nX-B: 2\r\n\r\n", 201, "abc0123456789", { "x-sum": "13", "x-b": "2" }, true],
	["no body for 204", "HTTP/1.1 204 No Content\r\n\r\n", 204, "", {}, true],
	["100 Continue before the response", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, "ok", {}, true],
	["Connection: close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", 200, "x", {}, false],
	["HTTP/1.0 without keep-alive", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", 200, "x", {}, false],
	["body until close", "HTTP/1.1 200 OK\r\n\r\nall of it", 200, "all of it", {}, false],
	["bare LF line ends", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 200, "ok", {}, true],
];

for (const [name, text, status, body, trailers, keepAlive] of cases) {
	test(`parses ${name}, in any split`, (t) => {
		for (const split of splits) {
			const out = parse(text, split);
			t.is(out.head?.status, status, `split ${split}`);
			t.is(out.body, body, `split ${split}`);
			t.deepEqual({ ...out.trailers }, trailers, `split ${split}`);
			t.is(out.head?.keepAlive, keepAlive, `split ${split}`);
			t.is(out.used, asciiEncode(text).length, `split ${split}`);
		}
	});
}

test("repeated headers are joined; names are lower case", (t) => {
	const out = parse("HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 0\r\n\r\n", 4);
	t.is(out.head?.headers["x-a"], "1, 2");
	t.is(out.head?.reason, "OK");
});

test("a field value loses the spaces and tabs around it, and keeps those within", (t) => {
	for (const split of splits) {
		const out = parse("HTTP/1.1 200 OK\r\nX-A:\t  a  b \t\r\nX-Empty: \r\nX-Bare:x\r\nContent-Length: 0\r\n\r\n", split);
		t.deepEqual({ ...out.head!.headers }, { "x-a": "a  b", "x-empty": "", "x-bare": "x", "content-length": "0" }, `split ${split}`);
	}
});

test("headers named like Object.prototype's members are headers like any other", (t) => {
	for (const split of splits) {
		const out = parse("HTTP/1.1 200 OK\r\nConstructor: a\r\n__proto__: b\r\nToString: c\r\nContent-Length: 0\r\n\r\n", split);
		const headers = out.head!.headers;
		t.is(headers["constructor"], "a", `split ${split}`);
		t.is(headers["__proto__"], "b", `split ${split}`);
		t.is(headers.tostring, "c", `split ${split}`);
		t.deepEqual(Object.keys(headers), ["constructor", "__proto__", "tostring", "content-length"]);
		t.false("hasownproperty" in headers);
	}
	const chunked = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nConstructor: x\r\n__proto__: y\r\n\r\n", 3);
	t.is(chunked.trailers!["constructor"], "x");
	t.is(chunked.trailers!["__proto__"], "y");
});

test("a HEAD response has no body whatever its headers say", (t) => {
	const out = parse("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", 5, { noBody: true });
	t.is(out.trailers !== undefined, true);
	t.is(out.body, "");
});

test("bytes after the response are not consumed", (t) => {
	const out = parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxEXTRA", 1000);
	t.is(out.used, 39);
});

const malformed: [string, string, RegExp, Function][] = [
	["a bad status line", "HTTX/1.1 200 OK\r\n\r\n", /status line/, ProtocolError],
	["a status out of range", "HTTP/1.1 099 Low\r\n\r\n", /status line/, ProtocolError],
	["a header without a colon", "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", /header line/, ProtocolError],
	["a space before the colon", "HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n", /header line/, ProtocolError],
	["an empty field name", "HTTP/1.1 200 OK\r\n: 1\r\n\r\n", /header line/, ProtocolError],
	["a field name that is no token", "HTTP/1.1 200 OK\r\nX(A): 1\r\n\r\n", /header line/, ProtocolError],
	["folded header lines", "HTTP/1.1 200 OK\r\nX-A: 1\r\n continued\r\n\r\n", /folding/, ProtocolError],
	["a negative content-length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", /content-length/, ProtocolError],
	["conflicting content-lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", /content-length/, ProtocolError],
	["an unknown transfer coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", /transfer coding/, ProtocolError],
	["a bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", /chunk size/, ProtocolError],
	["a chunk not ended by CRLF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXY", /CRLF/, ProtocolError],
	["an endless chunk-size line", `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;${"e".repeat(2000)}`, /chunk-size line/, LimitError],
	["a head over the limit", `HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(300)}\r\n\r\n`, /larger than 256/, LimitError],
	["trailers over the limit", `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: ${"a".repeat(300)}\r\n\r\n`, /trailers larger/, LimitError],
];

for (const [name, text, message, kind] of malformed) {
	test(`refuses ${name}`, (t) => {
		for (const split of [1, 1000]) {
			const error = t.throws(() => parse(text, split, { maxHeaderBytes: 256 }), { message });
			t.true(error instanceof kind, `split ${split}: ${error?.name}`);
		}
	});
}

test("a response cut short is an error at end(); one that never started says so", (t) => {
	const parser = new ResponseParser({ onHead() {}, onData() {}, onEnd() {} });
	parser.push(asciiEncode("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc"));
	t.throws(() => parser.end(), { instanceOf: ProtocolError, message: /middle/ });
	t.throws(() => parser.push(asciiEncode("x")), { instanceOf: ProtocolError });
	const idle = new ResponseParser({ onHead() {}, onData() {}, onEnd() {} });
	t.false(idle.started);
	t.throws(() => idle.end(), { instanceOf: ProtocolError, message: /before a response/ });
});

test("UTF-8 round trips, including astral characters and bad input", (t) => {
	for (const text of ["", "ascii", "grüße", "日本", "😀 ok", "\u0000\u007f\u0080\u07ff\u0800\uffff"]) t.is(utf8Decode(utf8Encode(text)), text);
	t.is(toHex(utf8Encode("😀")), "f09f9880");
	t.is(utf8Decode(new Uint8Array([0x61, 0xff, 0x62, 0xc3])), "a\ufffdb\ufffd");
	t.false(utf8Decode(new Uint8Array([0xc0, 0x80])).includes("\u0000"), "overlong forms are refused");
	// the edges of well-formed UTF-8 (XS decodes those bytes in C) and just past them (U+FFFD here)
	const decoded = (...bytes: number[]) => utf8Decode(Uint8Array.from(bytes));
	t.is(decoded(0xed, 0x9f, 0xbf, 0xee, 0x80, 0x80), "\ud7ff\ue000");
	t.is(decoded(0xf0, 0x90, 0x80, 0x80, 0xf4, 0x8f, 0xbf, 0xbf), "\u{10000}\u{10ffff}");
	t.is(decoded(0x00, 0x41), "\u0000A", "a NUL byte is U+0000");
	for (const bad of [[0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe0, 0x80, 0x80], [0xf0, 0x80, 0x80, 0x80], [0xc1, 0xbf], [0xf5, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80]])
		t.true(decoded(...bad).includes("\ufffd"), `${toHex(Uint8Array.from(bad))}: not well-formed`);
	const within = utf8Encode("xx grüße 😀 yy");
	t.is(utf8Decode(within.subarray(3, within.length - 3)), "grüße 😀", "a view into a larger buffer: its bytes alone");
	t.throws(() => asciiEncode("é"), { instanceOf: TypeError });
	// made in one pass on both hosts (XS's ArrayBuffer.fromString; indexing an XS string is a scan)
	t.is(toHex(utf8Encode("a\ud800b")), "61efbfbd62", "a lone surrogate becomes U+FFFD");
	t.is(toHex(utf8Encode("\udfff")), "efbfbd");
	t.is(toHex(utf8Encode("\ud7ff\ue000")), "ed9fbfee8080", "the code points either side of the surrogates stay");
	t.throws(() => asciiEncode("GET / HTTP/1.1\r\nX: ab\u0001"), { instanceOf: TypeError, message: "not protocol text: character 1 at 21" });
	t.throws(() => asciiEncode("ok\u007f"), { message: "not protocol text: character 127 at 2" });
	const head = `PUT /v1/segments HTTP/1.1\r\n${"X-Header: value\r\n".repeat(400)}\r\n`;
	t.deepEqual([...asciiEncode(head)], [...head].map((c) => c.charCodeAt(0)), "a long head, byte for byte");
});

test("asciiBytes: one byte per character, the low 8 bits past ASCII", (t) => {
	t.deepEqual([...asciiBytes("AZ az\t~")], [65, 90, 32, 97, 122, 9, 126]);
	t.deepEqual([...asciiBytes("a\u00e9\u0101")], [0x61, 0xe9, 0x01]);
	t.is(asciiBytes("").length, 0);
	t.deepEqual([...asciiBytes("a\u0000b")], [0x61, 0, 0x62], "U+0000 is one byte (XS keeps it as two)");
	t.deepEqual([...utf8Encode("a\u0000b")], [0x61, 0, 0x62]);
});

test("hostile bytes: the parser only ever fails with NetErrors", (t) => {
	const next = xorshift32(0x1234567);
	const base = asciiEncode("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n5\r\nhello\r\n0\r\nX-T: 2\r\n\r\n");
	let refused = 0, parsed = 0;
	for (let round = 0; round < 300; round++) {
		const bytes = base.slice();
		for (let flips = 1 + (next() % 3); flips > 0; flips--) bytes[next() % bytes.length] = next() & 255;
		const parser = new ResponseParser({ onHead() {}, onData() {}, onEnd() { parsed++; } }, { maxHeaderBytes: 256 });
		try {
			for (let at = 0; at < bytes.length && !parser.done; at += 7) parser.push(bytes.subarray(at, at + 7));
		}
		catch (error) {
			refused++;
			if (!(error instanceof ProtocolError || error instanceof LimitError)) t.fail(`round ${round}: ${(error as Error)?.name}: ${(error as Error)?.message}`);
		}
	}
	t.log(`300 mutated responses: ${refused} refused, ${parsed} parsed to the end`);
	t.true(refused > 0 && parsed > 0);
});
