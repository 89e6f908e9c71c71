// The camera's TURN client (modules/p2p/turn.ts) against a scripted server in the same VM (issue 27
// §6, §8): answers it must not take — a success without a valid MESSAGE-INTEGRITY, a malformed
// LIFETIME, an answer taken just before close() — permissions that lapse when unused, and channels
// (ChannelData once a channel is bound: bound, refused, lapsed, refreshed, received). Real
// credentials and hashing (ivxs/platform's md5, hmacSha1); coturn is the interoperability test
// (tests/camera-p2p-nat.test.mjs).
import test from "ava";
import Timer from "timer";
import { hmacSha1, md5 } from "ivxs/platform";
import { memory } from "ivxs/host";
import { CHANNEL_TRUST_MS, MAX_CHANNELS, MAX_PERMISSIONS, PERMISSION_LIFETIME_MS, TurnClient, TurnError } from "../../modules/p2p/turn.js";
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
/** `record`: sent indications and ChannelData kept in `sent` (off: dropped unread, so a measurement counts the client's bytes only). */
function scripted(success: (request: Request) => Uint8Array | undefined, now = () => 0, record = true) {
	const requests: Request[] = [];
	const sent: Array<{ kind: "send" | "channel"; bytes: Uint8Array }> = [];
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
		if ((bytes[0] & 0xf0) === 0x40) {   // ChannelData
			if (record) sent.push({ kind: "channel", bytes: bytes.slice() });
			return;
		}
		if (bytes[1] & 0x10) {   // an indication (Send): no answer
			if (record) sent.push({ kind: "send", bytes: bytes.slice() });
			return;
		}
		const message = parseStun(bytes)!;
		const request = {
			method: message.type, id: bytes.slice(8, 20), signed: message.has(0x0008),
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
	return { client, requests, sent, writes: () => writes };
}

const RELAYED = xorAddress("192.0.2.10", 50000)!;
const allocated = (lifetime: Uint8Array, key = KEY) => (request: Request) =>
	signedMessage(request.method | 0x100, request.id, [[0x0016, RELAYED], [0x000d, lifetime]], key, crypto.hmacSha1);
const permitted = (request: Request) => signedMessage(request.method | 0x100, request.id, [], KEY, crypto.hmacSha1);

test("a USERNAME past ASCII goes as UTF-8 (RFC 8489 §14.3), the bytes the long-term key hashes: the server's signed answer verifies", async (t) => {
	const server = { ...SERVER, username: "1700000000:c\u00e2mera-\u00fc" };
	const key = new Uint8Array(md5(`${server.username}:${REALM}:${server.password}`));
	let username: Uint8Array | undefined;
	const client: TurnClient = new TurnClient(server, (bytes) => {
		const message = parseStun(bytes)!, id = bytes.slice(8, 20);
		const answer = message.has(0x0008)
			? (username = message.attribute(0x0006), signedMessage(message.type | 0x100, id, [[0x0016, RELAYED], [0x000d, Uint8Array.of(0, 0, 2, 88)]], key, crypto.hmacSha1))
			: stunMessage(message.type | 0x110, id, [[0x0009, Uint8Array.of(0, 0, 4, 1)], [0x0014, ascii(REALM)], [0x0015, ascii(NONCE)]]);
		Timer.set(() => client.take(datagram(answer)), 0);
	}, crypto, () => 0);
	await client.allocate();
	t.deepEqual([...username!], [...ascii("1700000000:c"), 0xc3, 0xa2, ...ascii("mera-"), 0xc3, 0xbc]);
	t.truthy(client.relayed, "allocated: the answer signed with md5(username:realm:password) verified");
	client.close();
});

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

const bound = (request: Request) => signedMessage(request.method | 0x100, request.id, [], KEY, crypto.hmacSha1);
const relayTo = (request: Request) => (request.method === 0x003 ? allocated(Uint8Array.of(0, 0, 2, 88))(request) : bound(request));

test("a viewer's datagrams go as ChannelData once its channel is bound; the first ones, meanwhile, as Send indications", async (t) => {
	const { client, requests, sent } = scripted(relayTo);
	await client.allocate();
	client.send(Uint8Array.of(1, 2, 3), "198.51.100.1", 9000);
	t.deepEqual(sent.map((s) => s.kind), ["send"], "before the channel: a Send indication");
	const bind = requests.at(-1)!;
	t.is(bind.method, 0x009, "a ChannelBind (authenticated)");
	t.true(bind.signed);
	t.deepEqual(bind.peers, ["198.51.100.1"]);
	await sleep(10);
	t.deepEqual(client.channels, { "198.51.100.1:9000": 0x4000 });
	client.send(Uint8Array.of(4, 5, 6, 7, 8), "198.51.100.1", 9000);
	t.deepEqual([...sent.at(-1)!.bytes], [0x40, 0x00, 0, 5, 4, 5, 6, 7, 8], "ChannelData: number, length, the datagram (no padding over UDP)");
	client.send(Uint8Array.of(9), "198.51.100.1", 9001);
	t.is(sent.at(-1)!.kind, "send", "another port is another peer: its own channel, bound next");
	await sleep(10);
	client.send(Uint8Array.of(9), "198.51.100.1", 9001);
	t.deepEqual([...sent.at(-1)!.bytes], [0x40, 0x01, 0, 1, 9]);
	// from the server: ChannelData on a channel of ours is the peer's datagram; on another number, or
	// with a length past the datagram, it is dropped
	const relayed = client.take(datagram(Uint8Array.of(0x40, 0x01, 0, 2, 7, 7, 0, 0)));
	t.true(typeof relayed === "object");
	const packet = relayed as Datagram;
	t.deepEqual([[...new Uint8Array(packet)], packet.address, packet.port], [[7, 7], "198.51.100.1", 9001]);
	t.is(client.take(datagram(Uint8Array.of(0x40, 0x09, 0, 1, 1))), true, "no such channel");
	t.is(client.take(datagram(Uint8Array.of(0x40, 0x00, 0, 9, 1))), true, "a length past the datagram");
	t.is(client.take(datagram(Uint8Array.of(0x40, 0x00), { ...SERVER, address: "203.0.113.9" })), false, "not from the server: not ours");
	client.close();
});

test("channels: a refused ChannelBind leaves the peer on Send indications; a lapsed one is bound again under its number; the refresh rebinds those in use", async (t) => {
	let now = 0, refuse = true;
	const { client, requests, sent } = scripted((request) => {
		if (request.method === 0x009 && refuse) return signedMessage(0x119, request.id, [[0x0009, Uint8Array.of(0, 0, 4, 3, ...ascii("Forbidden"))]], KEY, crypto.hmacSha1);
		return relayTo(request);
	}, () => now);
	await client.allocate();
	client.send(Uint8Array.of(1), "198.51.100.1", 9000);
	await sleep(10);
	const asked = requests.length;
	client.send(Uint8Array.of(1), "198.51.100.1", 9000);
	t.is(sent.at(-1)!.kind, "send", "refused: Send indications");
	t.is(requests.length, asked, "and not asked again");
	refuse = false;
	client.send(Uint8Array.of(2), "198.51.100.2", 9000);
	await sleep(10);
	t.deepEqual(client.channels, { "198.51.100.2:9000": 0x4001 });
	now = CHANNEL_TRUST_MS;
	t.deepEqual(client.channels, {}, "past its trust: lapsed");
	client.send(Uint8Array.of(3), "198.51.100.2", 9000);
	t.is(sent.at(-1)!.kind, "send");
	await sleep(10);
	t.is(requests.at(-1)!.method, 0x009);
	client.send(Uint8Array.of(3), "198.51.100.2", 9000);
	t.deepEqual([...sent.at(-1)!.bytes], [0x40, 0x01, 0, 1, 3], "the same number again");
	const before = requests.length;
	now += 1000;
	await client.refreshChannels();
	t.is(requests.length, before + 1, "the channel in use is refreshed");
	now += 1000;
	await client.refreshChannels();
	t.is(requests.length, before + 1, "not used since: not refreshed");
	client.close();
});

test(`at most ${MAX_CHANNELS} channels an allocation: peers past them stay on Send indications`, async (t) => {
	const { client, requests, sent } = scripted(relayTo);
	await client.allocate();
	for (let i = 0; i < MAX_CHANNELS + 3; i++) client.send(Uint8Array.of(i), "198.51.100.1", 10000 + i);
	await sleep(30);
	t.is(requests.filter((r) => r.method === 0x009).length, MAX_CHANNELS);
	t.is(Object.keys(client.channels).length, MAX_CHANNELS);
	client.send(Uint8Array.of(1), "198.51.100.1", 10000 + MAX_CHANNELS + 1);
	t.is(sent.at(-1)!.kind, "send");
	client.close();
});

test("a datagram in ChannelData allocates a fraction of what one in a Send indication did (XS bytes, measured)", async (t) => {
	let now = 0;
	const { client } = scripted(relayTo, () => now, false);
	await client.allocate();
	const payload = new Uint8Array(1188);
	const perSend = (port: number) => {
		const before = memory().allocated;
		for (let i = 0; i < 100; i++) client.send(payload, "198.51.100.1", port);
		return (memory().allocated - before) / 100;
	};
	client.send(payload, "198.51.100.1", 9000);   // its first datagram asks for its channel
	await sleep(10);
	const channel = perSend(9000);
	t.deepEqual(client.channels, { "198.51.100.1:9000": 0x4000 });
	now = CHANNEL_TRUST_MS;   // lapsed: Send indications until bound again (the scripted server answers a timer later)
	const indication = perSend(9000);
	t.log(`XS bytes allocated per 1,188-byte datagram: ${Math.round(indication)} in a Send indication, ${Math.round(channel)} as ChannelData`);
	t.true(channel < 256 && channel * 10 < indication, `${channel} vs ${indication}`);
	client.close();
});
