// Connectivity checks (modules/p2p/checks.ts) as a hostile network meets them (issue 27 §2, §6): an
// answer settles a check only from where the request went (RFC 8445 §7.2.5.2.1), transaction ids
// are not Math.random's, a destination has one check in flight however often it is named, and
// CHECKS_IN_FLIGHT bounds them all; the move watch tells a move and nothing else. Driven in the VM:
// the socket is a write callback and take().
import test from "ava";
import { monotonic } from "ivxs/platform";
import Timer from "timer";
import { CHECK, Checks, CHECKS_IN_FLIGHT, MoveWatch } from "../../modules/p2p/checks.js";
import type { Candidate } from "../../modules/protocol/signal.js";
import { bindingSuccess, parseStun } from "../../modules/p2p/stun.js";
import type { Datagram } from "../../modules/p2p/udp.js";

const FAST = { tries: 3, everyMs: 40 };
const datagram = (bytes: Uint8Array, address: string, port: number): Datagram => Object.assign(bytes.slice().buffer, { address, port }) as Datagram;

function checks() {
	const sent: Array<{ bytes: Uint8Array; address: string; port: number }> = [];
	const c = new Checks((bytes, address, port) => sent.push({ bytes: bytes.slice(), address, port }), monotonic);
	return { c, sent };
}

test("an answer settles a check only when it comes from the address and port the request went to", async (t) => {
	const { c, sent } = checks();
	let settled: unknown = "pending";
	const check = c.check("198.51.100.5", 4000, FAST).then((result) => (settled = result));
	const request = sent[0].bytes;
	const answer = bindingSuccess(request, "203.0.113.1", 7000)!;
	t.true(c.take(datagram(answer, "198.51.100.6", 4000)), "taken as STUN");
	t.true(c.take(datagram(answer, "198.51.100.5", 4001)));
	await Promise.resolve();
	t.is(settled, "pending", "the right transaction id from elsewhere settles nothing");
	c.take(datagram(answer, "198.51.100.5", 4000));
	await check;
	t.deepEqual((settled as { mapped: unknown }).mapped, { address: "203.0.113.1", port: 7000 });
});

test("transaction ids come from the platform's random source, not Math.random", (t) => {
	const { c, sent } = checks();
	const random = Math.random;
	Math.random = () => 0;
	try {
		c.check("198.51.100.7", 1, FAST);
		c.check("198.51.100.8", 1, FAST);
	}
	finally {
		Math.random = random;
	}
	const [a, b] = sent.map(({ bytes }) => parseStun(bytes)!.id);
	t.not(a, b);
	t.not(a, "000000000000000000000000");
	c.close();
});

test("one destination named 8 times: one check in flight, its requests once per round", async (t) => {
	const { c, sent } = checks();
	const all = Array.from({ length: 8 }, () => c.check("198.51.100.9", 5000, FAST));
	t.is(sent.length, 1, "one request, not 8");
	t.is(c.inFlight, 1);
	await Promise.all(all);
	t.is(sent.length, FAST.tries, `${FAST.tries} requests in all (the old code: ${8 * FAST.tries})`);
	t.is(c.inFlight, 0);
	c.check("198.51.100.9", 5000, FAST);
	t.is(sent.length, FAST.tries + 1, "a later check is a new one");
	c.close();
});

test(`at most ${CHECKS_IN_FLIGHT} checks in flight, whatever is asked; the rest are not sent`, async (t) => {
	const { c, sent } = checks();
	const results = await Promise.all(Array.from({ length: CHECKS_IN_FLIGHT + 8 }, (_, i) => {
		const check = c.check(`198.51.${100 + (i >> 8)}.${i & 255}`, 6000, { tries: 1, everyMs: 30 });
		return check;
	}));
	t.is(sent.length, CHECKS_IN_FLIGHT);
	t.is(c.refused, 8);
	t.true(results.every((r) => r === undefined));
	t.is(c.inFlight, 0, "all ended");
	c.check("198.51.100.1", 6000, FAST);
	t.is(sent.length, CHECKS_IN_FLIGHT + 1, "room again once they ended");
	c.close();
});

test("a NAT opening (a WebRTC viewer's: the camera is ICE-lite) sends Binding indications on the schedule, which no answer settles, within the same bound", async (t) => {
	const { c, sent } = checks();
	const opening = c.open("198.51.100.10", 7000, FAST);
	t.is(c.inFlight, 1);
	const first = parseStun(sent[0].bytes)!;
	t.is(first.type, 0x0011, "an indication: a full ICE agent answers none and starts no check on one");
	t.is(sent[0].bytes.length, 20, "the header alone");
	c.take(datagram(bindingSuccess(sent[0].bytes, "203.0.113.1", 7000)!, "198.51.100.10", 7000));
	t.is(await opening, undefined, "settled by its schedule, not by an answer");
	t.is(sent.length, FAST.tries);
	t.deepEqual(sent.map(({ address, port }) => `${address}:${port}`), Array(FAST.tries).fill("198.51.100.10:7000"));
	t.is(c.inFlight, 0);
	t.is(c.mappedBy("198.51.100.10", 7000), undefined);
	// the same CHECKS_IN_FLIGHT bounds openings and checks together; close ends both
	for (let i = 0; i < CHECKS_IN_FLIGHT; i++) c.open(`198.51.101.${i}`, 7000, FAST);
	t.is(await c.check("198.51.102.1", 7000, FAST), undefined);
	t.is(c.refused, 1);
	c.close();
	t.is(c.inFlight, 0);
	const before = sent.length;
	await new Promise((resolve) => Timer.set(resolve, FAST.everyMs * 2));
	t.is(sent.length, before, "nothing sent after close");
});

test("the move watch: without STUN servers it compares addresses and sends nothing; with one it tells a changed server-reflexive address, and nothing when no server answered", async (t) => {
	const { c, sent } = checks();
	const watch = new MoveWatch(c, 5000);
	const moves: Candidate[][] = [];
	const moved = (candidates: Candidate[], by: MoveWatch) => {
		t.is(by, watch);
		moves.push(candidates);
	};
	watch.sent([{ type: "host", address: "192.0.2.2", port: 5000 }]);
	watch.check(["192.0.2.2"], [], moved);
	t.is(moves.length, 0, "the same address: no move");
	watch.check(["192.0.2.7"], [], moved);
	t.deepEqual(moves, [[{ type: "host", address: "192.0.2.7", port: 5000 }]], "a new address is a move");
	t.is(sent.length, 0, "nothing sent without a STUN server");

	const stun = [{ address: "198.51.100.9", port: 3478 }];
	watch.sent([{ type: "host", address: "192.0.2.7", port: 5000 }, { type: "srflx", address: "203.0.113.1", port: 7000 }]);
	// the server answers the latest request with the mapping `mappedPort`
	const answer = async (mappedPort: number) => {
		const request = sent[sent.length - 1].bytes;
		t.true(c.take(datagram(bindingSuccess(request, "203.0.113.1", mappedPort)!, "198.51.100.9", 3478)));
		for (let i = 0; i < 4; i++) await Promise.resolve();
	};
	watch.check(["192.0.2.7"], stun, moved);
	t.is(sent.length, 1, "a round: one Binding request a server");
	await answer(7000);
	t.is(sent.length, 2, "the server's first answer: a full gather");
	watch.check(["192.0.2.7"], stun, moved);
	t.is(sent.length, 2, "no round while it runs");
	await answer(7000);
	t.is(moves.length, 1, "the same server-reflexive address as sent: no move");
	for (let round = 0; round < 3; round++) {
		watch.check(["192.0.2.7"], stun, moved);
		await answer(7000);
	}
	t.is(sent.length, 5, "rounds whose answer did not change: their request alone");
	t.is(moves.length, 1);
	const ids = sent.slice(2).map(({ bytes }) => parseStun(bytes)!.id);
	t.is(new Set(ids).size, 3, "each round a new transaction id");
	watch.check(["192.0.2.7"], stun, moved);
	const late = sent[sent.length - 2].bytes;   // the round before's request
	c.take(datagram(bindingSuccess(late, "203.0.113.1", 7009)!, "198.51.100.9", 3478));
	t.is(sent.length, 6, "an answer to an earlier round's request is not this round's");
	await answer(7001);
	t.is(sent.length, 7, "a changed answer: a full gather");
	await answer(7001);
	t.deepEqual(moves[1], [{ type: "host", address: "192.0.2.7", port: 5000 }, { type: "srflx", address: "203.0.113.1", port: 7001 }], "a new mapping is a move");
	watch.sent(moves[1]);
	watch.check(["192.0.2.7"], stun, moved);
	c.take(datagram(bindingSuccess(sent[sent.length - 1].bytes, "203.0.113.1", 7002)!, "198.51.100.10", 3478));
	t.is(sent.length, 8, "an answer from another address is not the server's");
	watch.check(["192.0.2.8"], stun, moved);
	await new Promise((resolve) => Timer.set(resolve, (CHECK.tries + 2) * CHECK.everyMs));
	t.is(moves.length, 2, "a STUN server that never answered tells nothing, not even the new host address");
	watch.check(["192.0.2.8"], [], moved);
	t.is(moves.length, 3, "and the watch checks again after it");
});
