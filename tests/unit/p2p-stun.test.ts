// STUN (RFC 8489) as modules/p2p/stun.ts speaks it, under Node and on XS: RFC 5769's sample IPv4
// response (an independent vector), telling STUN from the transport's packets, and round trips.
import test from "ava";
import { bindingRequest, bindingSuccess, isStun, mappedAnswerAt, parseStun, stunMessage, StunType, xorAddress, xorAddressOf } from "../../modules/p2p/stun.js";
import { xorshift32 } from "./_random.js";

const rfc5769Response = Uint8Array.from([
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
	0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
	0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
	0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
]);

test("RFC 5769's sample IPv4 response: a Binding success mapping 192.0.2.1:32853", (t) => {
	t.true(isStun(rfc5769Response));
	const message = parseStun(rfc5769Response)!;
	t.is(message.type, StunType.bindingSuccess);
	t.is(message.id, "b7e7a701bc34d686fa87dfae");
	t.deepEqual(message.mapped, { address: "192.0.2.1", port: 32853 });
	t.is(message.attribute(0x8022)!.length, 11, "SOFTWARE, padding not included");
	t.deepEqual(xorAddress("192.0.2.1", 32853), rfc5769Response.subarray(40, 48));
});

test("the transport's packets, truncated or altered messages are not STUN", (t) => {
	const hello = new Uint8Array(1200);
	hello[0] = 0x51;   // a HELLO (wire version 5)
	t.false(isStun(hello));
	t.false(isStun(rfc5769Response.subarray(0, 19)));
	t.false(isStun(rfc5769Response.subarray(0, rfc5769Response.length - 4)), "length field disagrees");
	const noCookie = rfc5769Response.slice();
	noCookie[4] = 0;
	t.false(isStun(noCookie));
	const overrun = rfc5769Response.slice();
	overrun[23] = 0xff;   // an attribute longer than the message
	t.is(parseStun(overrun), undefined);
});

test("mappedAnswerAt reads RFC 5769's response in place, in a larger buffer, and refuses it for another id, type or a tail that overruns", (t) => {
	const request = Uint8Array.from(rfc5769Response.subarray(0, 20));
	request[0] = 0x00;
	request[1] = 0x01;
	const buffer = new Uint8Array(200).fill(0xee);
	buffer.set(rfc5769Response);
	const at = mappedAnswerAt(buffer, rfc5769Response.length, request);
	t.deepEqual(xorAddressOf(buffer.subarray(at, at + 8)), { address: "192.0.2.1", port: 32853 });
	const other = request.slice();
	other[19] ^= 1;
	t.is(mappedAnswerAt(buffer, rfc5769Response.length, other), -1, "another transaction id");
	const asRequest = buffer.slice();
	asRequest[0] = 0x00;
	t.is(mappedAnswerAt(asRequest, rfc5769Response.length, request), -1, "not a success response");
	const overrun = buffer.slice();
	overrun[rfc5769Response.length - 5] = 0x40;   // FINGERPRINT's length: past the message
	t.is(mappedAnswerAt(overrun, rfc5769Response.length, request), -1, "an attribute past the message, after the one it wants");
	t.is(mappedAnswerAt(buffer, rfc5769Response.length - 4, request), -1, "cut short");
});

test("a Binding request and its success response round-trip the source address", (t) => {
	const { bytes, id } = bindingRequest(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0xff));
	t.is(id, "0102030405060708090a0bff");
	t.throws(() => bindingRequest(new Uint8Array(8)), { instanceOf: RangeError }, "a transaction id is 12 bytes");
	t.true(isStun(bytes));
	const request = parseStun(bytes)!;
	t.deepEqual([request.type, request.id, request.bytes.length, request.mapped], [StunType.bindingRequest, id, 20, undefined], "no attributes");
	const reply = bindingSuccess(bytes, "203.0.113.9", 61000)!;
	const parsed = parseStun(reply)!;
	t.is(parsed.id, id);
	t.deepEqual(parsed.mapped, { address: "203.0.113.9", port: 61000 });
	t.is(bindingSuccess(bytes, "::1", 1), undefined, "IPv4 only");
	t.is(xorAddressOf(Uint8Array.of(0, 2, 0, 0, 0, 0, 0, 0)), undefined, "an IPv6 family is not read as IPv4");
	const padded = stunMessage(0x0016, new Uint8Array(12), [[0x0013, Uint8Array.of(1, 2, 3, 4, 5)], [0x0012, xorAddress("10.0.0.1", 5)!]]);
	t.is(padded.length, 20 + 4 + 8 + 4 + 8);
	t.deepEqual([...parseStun(padded)!.attribute(0x0013)!], [1, 2, 3, 4, 5]);
});

test("hostile bytes: every truncation and 2,000 mutations of a message parse to a message or undefined, never throw", (t) => {
	const message = stunMessage(0x0103, new Uint8Array(12), [[0x0016, xorAddress("10.0.0.1", 5)!], [0x000d, Uint8Array.of(0, 0, 2, 88)], [0x0009, Uint8Array.of(0, 0, 4, 1, 0x41)]]);
	const random = xorshift32(27);
	const inputs: Uint8Array[] = [];
	for (let n = 0; n <= message.length; n++) inputs.push(message.slice(0, n));
	for (let i = 0; i < 2000; i++) {
		const bytes = message.slice(0, 20 + (random() % (message.length - 19)));
		for (let k = random() % 4; k >= 0; k--) bytes[random() % bytes.length] = random() & 0xff;
		bytes[2] = (bytes.length - 20) >> 8;
		bytes[3] = (bytes.length - 20) & 0xff;   // often a well-formed header, so the attribute readers run
		inputs.push(bytes);
	}
	let parsed = 0;
	for (const bytes of inputs) {
		const result = parseStun(bytes);
		if (!result) continue;
		parsed++;
		for (const type of [0x0016, 0x000d, 0x0009, 0x0020]) {
			const value = result.attribute(type);
			if (value) xorAddressOf(value);
		}
		t.is(typeof result.id, "string");
		void result.mapped;
	}
	t.true(parsed > 100, `${parsed} of them parsed`);
	t.is(xorAddressOf(new Uint8Array(0)), undefined);
	t.is(xorAddressOf(Uint8Array.of(0, 1, 0)), undefined, "a 3-byte address value");
});
