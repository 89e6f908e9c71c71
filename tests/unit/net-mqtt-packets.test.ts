// MQTT 3.1.1 packet encoding and decoding (modules/net/mqtt-packets.ts) and the reconnect
// backoff, under Node and on XS. Expected bytes are written out from the standard's tables.
import test from "ava";
import { backoffDelay } from "../../modules/net/backoff.js";
import { toHex, utf8Decode, utf8Encode } from "../../modules/net/bytes.js";
import { LimitError, ProtocolError } from "../../modules/net/errors.js";
import { xorshift32 } from "./_random.js";
import {
	checkFilter, checkTopic, encodeConnect, encodePuback, encodePublish, encodeSubscribe, encodeUnsubscribe,
	type Packet, PacketDecoder, PacketType,
} from "../../modules/net/mqtt-packets.js";

test("CONNECT carries protocol level 4, flags, keep-alive, id, will, user name and password in order (§3.1)", (t) => {
	const packet = encodeConnect({
		clientId: "cam", keepAlive: 60, cleanSession: true, username: "u", password: "p",
		will: { topic: "w", payload: "x", qos: 1, retain: true },
	});
	t.is(toHex(packet), [
		"10", "1b",                       // CONNECT, remaining length 27
		"00044d515454", "04",             // "MQTT", level 4
		"ee",                             // user, password, will retain, will QoS 1, will, clean session
		"003c",                           // keep-alive 60 s
		"000363616d",                     // "cam"
		"000177", "000178",               // will topic "w", will message "x"
		"000175", "000170",               // user "u", password "p"
	].join(""));
	t.is(toHex(encodeConnect({ clientId: "", keepAlive: 0, cleanSession: false })), "100c00044d51545404000000" + "0000");
	t.throws(() => encodeConnect({ clientId: "a", keepAlive: 1, cleanSession: true, password: "p" }), { instanceOf: TypeError });
});

test("PUBLISH, PUBACK, SUBSCRIBE and UNSUBSCRIBE bytes (§3.3, §3.4, §3.8, §3.10)", (t) => {
	t.is(toHex(encodePublish(checkTopic("a/b"), utf8Encode("hi"), 0, false, false, 0)), "3007" + "0003612f62" + "6869");
	t.is(toHex(encodePublish(checkTopic("a"), utf8Encode("hi"), 1, true, true, 258)), "3b07" + "000161" + "0102" + "6869");
	t.is(toHex(encodePuback(65535)), "4002ffff");
	t.is(toHex(encodeSubscribe(10, [{ filter: checkFilter("a/+"), qos: 1 }, { filter: checkFilter("#"), qos: 0 }])), "820c" + "000a" + "0003612f2b01" + "00012300");
	t.is(toHex(encodeUnsubscribe(11, [checkFilter("a/#")])), "a207" + "000b" + "0003612f23");
});

test("a payload's text decodes whole however long (a browser's SDP offer in a cmd: 5–10 KiB), multi-byte characters across every chunk", (t) => {
	for (const length of [4095, 4096, 4097, 12_000, 40_000]) {
		const text = Array.from({ length }, (_, i) => (i % 97 === 0 ? "é" : i % 89 === 0 ? "😀" : String.fromCharCode(0x20 + (i % 90)))).join("");
		const decoded = utf8Decode(utf8Encode(text));
		t.is(decoded.length, text.length, `${length} characters`);
		t.true(decoded === text, `${length} characters`);
	}
});

test("remaining lengths use 1 to 4 bytes (§2.2.3)", (t) => {
	const sizes: [number, string][] = [[127, "7f"], [128, "8001"], [16383, "ff7f"], [16384, "808001"]];
	for (const [size, hex] of sizes) {
		const packet = encodePublish(checkTopic("t"), new Uint8Array(size - 3), 0, false, false, 0);
		t.is(toHex(packet.subarray(1, 1 + hex.length / 2)), hex, `remaining length ${size}`);
		t.is(packet.length, 1 + hex.length / 2 + size);
	}
});

function decodeAll(hex: string, split: number, max = 65536): Packet[] {
	const bytes = new Uint8Array(hex.length / 2);
	for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
	const decoder = new PacketDecoder(max);
	const packets: Packet[] = [];
	for (let at = 0; at < bytes.length; at += split) decoder.push(bytes.subarray(at, at + split), (p) => packets.push(p));
	return packets;
}

test("the decoder reads what a broker sends, split anywhere", (t) => {
	const stream = "20020100" + "3b08000161" + "0102" + "68c3a9" + "40020005" + "9004000a0180" + "b002000b" + "d000" + "30050001616263";
	for (const split of [1, 2, 5, 100]) {
		const packets = decodeAll(stream, split);
		t.is(packets.length, 7, `split ${split}`);
		t.deepEqual(packets[0], { type: PacketType.CONNACK, sessionPresent: true, returnCode: 0 });
		const publish = packets[1] as Extract<Packet, { type: PacketType.PUBLISH }>;
		t.deepEqual([publish.topic, utf8Decode(publish.payload), publish.qos, publish.retain, publish.dup, publish.id], ["a", "hé", 1, true, true, 258]);
		t.deepEqual(packets[2], { type: PacketType.PUBACK, id: 5 });
		t.deepEqual(packets[3], { type: PacketType.SUBACK, id: 10, granted: [1, 0x80] });
		t.deepEqual(packets[4], { type: PacketType.UNSUBACK, id: 11 });
		t.deepEqual(packets[5], { type: PacketType.PINGRESP });
		const last = packets[6] as Extract<Packet, { type: PacketType.PUBLISH }>;
		t.deepEqual([last.topic, utf8Decode(last.payload), last.qos, last.id], ["a", "bc", 0, 0]);
	}
});

test("malformed and oversized packets are refused, and the decoder stays refused", (t) => {
	const bad: [string, RegExp, Function][] = [
		["1000", /not one a broker sends/, ProtocolError],
		["2003010000", /3 bytes, not 2/, ProtocolError],
		["20020200", /CONNACK/, ProtocolError],
		["3605000161" + "0001", /QoS 3/, ProtocolError],
		["3205000161" + "0000", /packet id 0/, ProtocolError],
		["3003000561", /runs past/, ProtocolError],
		["90030001" + "03", /return code 3/, ProtocolError],
		["30ffffffff01", /longer than 4 bytes/, ProtocolError],
		["30ffff03", /over the limit of 65536/, LimitError],
	];
	for (const [hex, message, kind] of bad) {
		const error = t.throws(() => decodeAll(hex, 1), { message });
		t.true(error instanceof kind, hex);
	}
	const decoder = new PacketDecoder();
	t.throws(() => decoder.push(new Uint8Array([0x10, 0]), () => {}));
	t.throws(() => decoder.push(new Uint8Array([0xd0, 0]), () => {}), { message: /after an error/ });
});

test("topics and filters follow §4.7", (t) => {
	for (const topic of ["", "a/+", "a/#", "a\u0000b"]) t.throws(() => checkTopic(topic), { instanceOf: TypeError }, topic);
	for (const filter of ["", "a/b#", "a/#/b", "a+/b", "a\u0000"]) t.throws(() => checkFilter(filter), { instanceOf: TypeError }, filter);
	for (const filter of ["#", "+", "a/+/b", "a/#", "/", "ivxs/cam/plan"]) t.notThrows(() => checkFilter(filter), filter);
	t.throws(() => checkTopic("x".repeat(70000)), { instanceOf: RangeError });
});

test("reconnect backoff doubles to the ceiling, with jitter between half and all of it", (t) => {
	t.deepEqual([0, 1, 2, 3, 4].map((a) => backoffDelay(a, 1000, 5000, 0.999999)), [1000, 2000, 4000, 5000, 5000]);
	t.deepEqual([0, 1, 2, 3, 4].map((a) => backoffDelay(a, 1000, 5000, 0)), [500, 1000, 2000, 2500, 2500]);
	t.is(backoffDelay(1000, 1000, 60000, 0.5), 45000, "no overflow for a long outage");
});

test("hostile bytes: the decoders only ever fail with NetErrors (no TypeError, no RangeError, no hang)", (t) => {
	const next = xorshift32(0x2545f491);   // the same corpus on Node and XS
	const valid = [0x20, 0x02, 0x00, 0x00, 0x30, 0x05, 0x00, 0x01, 0x61, 0x62, 0x63, 0x90, 0x03, 0x00, 0x01, 0x01, 0xd0, 0x00];
	let failures = 0, packets = 0;
	for (let round = 0; round < 400; round++) {
		const bytes = new Uint8Array(valid);
		for (let flips = 1 + (next() % 4); flips > 0; flips--) bytes[next() % bytes.length] = next() & 255;
		const decoder = new PacketDecoder(4096);
		try {
			for (let at = 0; at < bytes.length; at += 1 + (next() % 5)) decoder.push(bytes.subarray(at, at + 1 + (next() % 5)), () => { packets++; });
		}
		catch (error) {
			failures++;
			if (!(error instanceof ProtocolError || error instanceof LimitError)) t.fail(`round ${round}: ${(error as Error)?.name}: ${(error as Error)?.message}`);
		}
	}
	t.log(`400 mutated streams: ${failures} refused, ${packets} packets decoded`);
	t.true(failures > 0 && packets > 0);
});
