// The camera's TURN client (modules/p2p/turn.ts) against a scripted server in the same VM (issue 27
// §6, §8): answers it must not take — a success without a valid MESSAGE-INTEGRITY, a malformed
// LIFETIME, an answer taken just before close() — and permissions that lapse when unused. Real
// credentials and hashing (ivxs/platform's md5, hmacSha1); coturn is the interoperability test
// (tests/camera-p2p-nat.test.mjs).
import test from "ava";
import Timer from "timer";
import { hmacSha1, md5 } from "ivxs/platform";
import { MAX_PERMISSIONS, PERMISSION_LIFETIME_MS, TurnClient, TurnError } from "../../modules/p2p/turn.js";
import { parseStun, signedMessage, stunMessage, xorAddress, xorAddressOf } from "../../modules/p2p/stun.js";
import type { Datagram } from "../../modules/p2p/udp.js";

const SERVER = { address: "192.0.2.10", port: 3478, username: "1700000000:cam", password: "secret" };
const REALM = "ivxs.test", NONCE = "n0nce";
const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const KEY = new Uint8Array(md5(`${SERVER.username}:${REALM}:${SERVER.password}`));
const crypto = { hmacSha1: (key: Uint8Array, data: Uint8Array) => hmacSha1(key, data), md5: (text: string) => md5(text) };
const sleep = (ms: number) => new Promise<void>((resolve) => Timer.set(() => resolve(), ms));
const datagram = (bytes: Uint8Array, from = SERVER): Datagram => Object.assign(bytes.slice().buffer, { address: from.address, port: from.port }) as Datagram;

interface Request { method: number; id: Uint8Array; signed: boolean; peers: string[] }
type Policy = (request: Request) => Uint8Array | undefined;

/** A TurnClient whose requests a policy answers (a 401 first, as coturn does, then `success`). */
function scripted(success: (request: Request) => Uint8Array | undefined, now = () => 0) {
	const requests: Request[] = [];
	let writes = 0;
	const policy: Policy = (request) => {
		if (!request.signed) {
			const error = Uint8Array.of(0, 0, 4, 1, ...ascii("Unauthorized"));
			return stunMessage(request.method | 0x110, request.id, [[0x0009, error], [0x0014, ascii(REALM)], [0x0015, ascii(NONCE)]]);
		}
		return success(request);
	};
	const client: TurnClient = new TurnClient(SERVER, (bytes) => {
		writes++;
		const message = parseStun(bytes)!;
		if (message.type & 0x010) return;   // an indication (Send): no answer
		const request = {
			method: message.type, id: bytes.slice(8, 20), signed: message.attributes.has(0x0008),
			peers: [] as string[],
		};
		for (let at = 20; at < bytes.length;) {
			const type = (bytes[at] << 8) | bytes[at + 1], length = (bytes[at + 2] << 8) | bytes[at + 3];
			if (type === 0x0012) request.peers.push(xorAddressOf(bytes.subarray(at + 4, at + 12))!.address);
			at += 4 + ((length + 3) & ~3);
		}
		requests.push(request);
		const answer = policy(request);
		if (answer) Timer.set(() => client.take(datagram(answer)), 0);
	}, crypto, now);
	return { client, requests, writes: () => writes };
}

const RELAYED = xorAddress("192.0.2.10", 50000)!;
const allocated = (lifetime: Uint8Array, key = KEY) => (request: Request) =>
	signedMessage(request.method | 0x100, request.id, [[0x0016, RELAYED], [0x000d, lifetime]], key, crypto.hmacSha1);
const permitted = (request: Request) => signedMessage(request.method | 0x100, request.id, [], KEY, crypto.hmacSha1);

test("an Allocate success whose LIFETIME is shorter than 4 bytes is a TurnError, and nothing is kept from it", async (t) => {
	const { client, requests } = scripted(allocated(Uint8Array.of(0, 2, 88)));
	const error = await client.allocate().then(() => undefined, (e: Error) => e);
	t.true(error instanceof TurnError, `a TurnError, not ${error?.name}: ${error?.message}`);
	t.is(client.relayed, undefined, "no relayed address from a failed allocation");
	const before = requests.length;
	await client.allocate().catch(() => {});
	t.true(requests.length > before, "a later allocate() asks the server again instead of handing out a relay");
	client.close();
});

test("once authenticated, a success answer without a valid MESSAGE-INTEGRITY is dropped; the signed one is taken", async (t) => {
	let round = 0;
	const { client } = scripted((request) => {
		round++;
		// The first answers are forged: unsigned, then signed with another key; the retransmission gets the real one.
		if (round === 1) return stunMessage(request.method | 0x100, request.id, [[0x0016, xorAddress("203.0.113.66", 1)!], [0x000d, Uint8Array.of(0, 0, 2, 88)]]);
		if (round === 2) return allocated(Uint8Array.of(0, 0, 2, 88), new Uint8Array(16).fill(7))(request);
		return allocated(Uint8Array.of(0, 0, 2, 88))(request);
	});
	const relayed = await client.allocate();
	t.deepEqual(relayed, { address: "192.0.2.10", port: 50000 }, "the forged relayed address was never taken");
	t.is(client.forged, 2);
	t.true(round >= 3);
	client.close();
});

test("a success answer with an attribute after its MESSAGE-INTEGRITY (not covered by it) is dropped", async (t) => {
	let round = 0;
	const { client } = scripted((request) => {
		const signed = allocated(Uint8Array.of(0, 0, 2, 88))(request);
		if (++round > 1) return signed;
		const extra = stunMessage(0, new Uint8Array(12), [[0x0016, xorAddress("203.0.113.66", 1)!]]).subarray(20);
		const out = new Uint8Array(signed.length + extra.length);
		out.set(signed);
		out.set(extra, signed.length);
		out[2] = (out.length - 20) >> 8;
		out[3] = (out.length - 20) & 0xff;
		return out;
	});
	t.deepEqual(await client.allocate(), { address: "192.0.2.10", port: 50000 });
	t.is(client.forged, 1);
	client.close();
});

test("close() just after the allocation's answer was taken: the allocation fails, no relay is kept and nothing is sent", async (t) => {
	const { client, writes } = scripted((request) => {
		const answer = allocated(Uint8Array.of(0, 0, 2, 88))(request);
		// Taken, then closed before allocate() continues (its await resumes in a later job).
		Timer.set(() => {
			client.take(datagram(answer));
			client.close();
		}, 0);
		return undefined;
	});
	const error = await client.allocate().then(() => undefined, (e: Error) => e);
	t.true(error instanceof TurnError, `${error?.name}: ${error?.message}`);
	t.is(client.relayed, undefined);
	const written = writes();
	client.send(new Uint8Array(4), "198.51.100.1", 9);
	await client.permit(["198.51.100.1"]).catch(() => {});
	await sleep(20);
	t.is(writes(), written, "a closed client sends nothing");
});

test("permissions lapse unless in use: the 240-s refresh renews those used in the last 300 s and forgets the rest", async (t) => {
	let now = 0;
	const { client, requests } = scripted((request) => (request.method === 0x003 ? allocated(Uint8Array.of(0, 0, 2, 88))(request) : permitted(request)), () => now);
	await client.allocate();
	await client.permit(["198.51.100.1", "198.51.100.2", "198.51.100.1"]);
	t.deepEqual(requests.at(-1)!.peers, ["198.51.100.1", "198.51.100.2"], "duplicates merged in the request");
	now = 200_000;
	client.send(new Uint8Array(4), "198.51.100.1", 9000);   // .1 carries a datagram: in use
	now = 200_000 + PERMISSION_LIFETIME_MS - 1;
	await client.refreshPermissions();
	t.deepEqual(requests.at(-1)!.peers, ["198.51.100.1"], "only the one in use is refreshed");
	t.deepEqual(client.permitted, ["198.51.100.1"], "the other is forgotten (the server lets it lapse)");
	now += 2;
	const sent = requests.length;
	await client.refreshPermissions();
	t.deepEqual(client.permitted, [], "unused for 300 s: gone");
	t.is(requests.length, sent, "and nothing to refresh");
	client.close();
});

test(`a hostile offer stream cannot grow the permitted set past ${MAX_PERMISSIONS}`, async (t) => {
	let now = 0;
	const { client } = scripted((request) => (request.method === 0x003 ? allocated(Uint8Array.of(0, 0, 2, 88))(request) : permitted(request)), () => now);
	await client.allocate();
	for (let i = 0; i < 10; i++) {
		now += 1000;
		await client.permit(Array.from({ length: 8 }, (_, k) => `198.51.100.${i * 8 + k + 1}`));
	}
	t.is(client.permitted.length, MAX_PERMISSIONS);
	t.false(client.permitted.includes("198.51.100.1"), "the least recently used went first");
	t.true(client.permitted.includes("198.51.100.80"));
	client.close();
});

test("a refresh answered 437 (the server restarted: no allocation for us) forgets the allocation; the next allocate() asks again and hands out the new relay", async (t) => {
	let restarted = false, allocations = 0;
	const RELAYED_AGAIN = xorAddress("192.0.2.10", 50002)!;
	const { client, requests } = scripted((request) => {
		if (request.method === 0x003) {
			allocations++;
			return signedMessage(request.method | 0x100, request.id, [[0x0016, allocations === 1 ? RELAYED : RELAYED_AGAIN], [0x000d, Uint8Array.of(0, 0, 2, 88)]], KEY, crypto.hmacSha1);
		}
		if (request.method === 0x004 && restarted) return stunMessage(request.method | 0x110, request.id, [[0x0009, Uint8Array.of(0, 0, 4, 37, ...ascii("Allocation Mismatch"))]]);
		return permitted(request);
	});
	t.deepEqual(await client.allocate(), { address: "192.0.2.10", port: 50000 });
	await client.permit(["198.51.100.1"]);
	await client.refreshAllocation();
	t.deepEqual(client.relayed, { address: "192.0.2.10", port: 50000 }, "a refresh the server takes keeps it");
	restarted = true;
	const error = await client.refreshAllocation().then(() => undefined, (e: TurnError) => e);
	t.is(error?.status, 437);
	t.is(client.relayed, undefined, "the dead relayed address is not handed out again");
	t.deepEqual(client.permitted, [], "nor its permissions");
	const before = requests.length;
	t.deepEqual(await client.allocate(), { address: "192.0.2.10", port: 50002 });
	t.is(requests[before].method, 0x003, "allocated again");
	client.close();
});
