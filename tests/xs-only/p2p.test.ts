// The P2P transport through its XS binding (runs on the XS host only: "p2p" is
// native): a camera and a viewer endpoint in one VM, wired back to back by a
// JS link with a fake clock. The core's own behaviour is tested in C
// (native/p2p/tests/p2p_test.c); this covers the binding: options, handlers,
// buffers, a ring attached to a session, errors, and lifetimes under the GC.
import test from "ava";
import { Endpoint, mintTicket, Rights, Channel, Kind, Event, Status, MAX_COMMAND, MTU, ADDRESS_BYTES, codes, PSK_BYTES, TICKET_BYTES, isPacket } from "p2p";
import { codes as kitCodes } from "ivxs/codes";
import { Ring, FrameType, Codec } from "ring";
import { collectGarbage, memory } from "ivxs/host";
import * as crypto from "ivxs/crypto";
import * as protocolTicket from "../../modules/protocol/ticket.js";
import { frameBytes, frameOk } from "./_frames.js";

const mintProtocolTicket = protocolTicket.mintTicket;

const cameraAddress = new Uint8Array([10, 0, 0, 1, 0x0f, 0xa0]).buffer;
const viewerAddress = new Uint8Array([10, 0, 0, 2, 0x13, 0x88]).buffer;
const secret = new Uint8Array(32).fill(0x5a);
const NOW_S = 1_800_000_000;

type Packet = { to: number; from: ArrayBuffer; data: ArrayBuffer; at: number };

class World {
	now = 0xffff_ff00;   // the core's clock wraps 256 ms in
	queue: Packet[] = [];
	events: Array<Array<[number, number, number]>> = [[], []];
	frames: number[] = [];
	bad = 0;
	requests: Array<[number, Uint8Array]> = [];
	replies: Array<[number, Uint8Array]> = [];
	camera: Endpoint;
	viewer: Endpoint;
	session = -1;   // the camera's session for the viewer
	pending: [number, number, ArrayBuffer] | undefined;
	/** Datagrams the camera's handler got in its sendBuffer (their addresses in its addressBuffer: `inAddressBuffer`), and new. */
	inBuffer = 0;
	inAddressBuffer = 0;
	fresh = 0;
	badBuffer = 0;
	/** Where the viewer sends from now (a test may move it), and every address it sent from. */
	viewerAt = viewerAddress;
	viewerWas = new Set([String(new Uint8Array(viewerAddress))]);
	/** The addresses by the slot send() named them with (set when fresh), the fresh slots, and calls whose slot named another address. */
	slots = new Map<number, string>();
	freshSlots: number[] = [];
	badSlot = 0;
	constructor(rights = Rights.live | Rights.command, expiry = NOW_S + 60, ring?: Ring, sendBuffer?: ArrayBuffer, addressBuffer?: ArrayBuffer, version?: 5 | 6) {
		this.camera = new Endpoint({ role: "camera", deviceId: "CAM-0001", deviceSecret: secret, maxSessions: 2, ...(version ? { version } : {}) }, {
			sendBuffer,
			addressBuffer,
			send: (to, data, length, toLength, slot, fresh) => {
				if (length === undefined) this.fresh++;
				else if (data === sendBuffer && length > 0 && length <= data.byteLength) this.inBuffer++;
				else this.badBuffer++;
				// the viewer's address: in the addressBuffer (its first toLength bytes) or a new ArrayBuffer of it
				const address = String(toLength === undefined ? new Uint8Array(to) : new Uint8Array(to, 0, toLength));
				if (toLength !== undefined && to === addressBuffer) this.inAddressBuffer++;
				if (!this.viewerWas.has(address)) this.badBuffer++;
				// with the addressBuffer, a slot that names the address until it is fresh again
				if (slot !== undefined) {
					if (fresh) {
						this.slots.set(slot, address);
						this.freshSlots.push(slot);
					}
					else if (this.slots.get(slot) !== address) this.badSlot++;
				}
				// valid during the call only: kept as a copy
				this.queue.push({ to: 1, from: cameraAddress, data: length === undefined ? data : data.slice(0, length), at: this.now + 20 });
			},
			event: (session, event, arg) => {
				this.events[0].push([session, event, arg]);
				if (event !== Event.connected) return;
				this.session = session;
				// ring timestamps are the clock of `now` here: offset 0
				if (ring) this.camera.attachRing(session, ring, 0);
			},
			command: (session, kind, id, bytes) => {
				this.requests.push([id, new Uint8Array(bytes)]);
				// the reply from inside the callback; later if the previous one is still unacknowledged
				if (kind === Kind.request && this.camera.command(session, Kind.reply, id, bytes, this.now) === Status.again)
					this.pending = [session, id, bytes];
			},
		});
		this.camera.setUnixTime(NOW_S);
		this.viewer = new Endpoint({ role: "viewer" }, {
			send: (_to, data) => this.queue.push({ to: 0, from: this.viewerAt, data, at: this.now + 20 }),
			event: (session, event, arg) => this.events[1].push([session, event, arg]),
			frame: (_session, channel, bytes, _timestamp, _key, _lost) => {
				const k = channel === Channel.media ? frameOk(new Uint8Array(bytes)) : -1;
				if (k < 0) this.bad++;
				else this.frames.push(k);
			},
			command: (_session, _kind, id, bytes) => this.replies.push([id, new Uint8Array(bytes)]),
		});
		// minted as the cloud mints it (modules/protocol), checked by the camera's C
		const { ticket, psk } = mintProtocolTicket(crypto.hmacSha256, secret, { rights, expiryS: expiry, device: "CAM-0001", viewer: "viewer-7" });
		this.viewer.connect(cameraAddress, ticket, psk, this.now);
	}
	step(ms: number, each?: () => void) {
		for (let i = 0; i < ms; i++) {
			this.now++;
			each?.();
			if (this.pending && this.camera.command(this.pending[0], Kind.reply, this.pending[1], this.pending[2], this.now) === 0)
				this.pending = undefined;
			const due = this.queue.filter((p) => p.at <= this.now);
			this.queue = this.queue.filter((p) => p.at > this.now);
			for (const p of due) (p.to === 0 ? this.camera : this.viewer).input(p.from, p.data, this.now);
			this.camera.tick(this.now);
			this.viewer.tick(this.now);
		}
	}
	has(side: number, event: number) {
		return this.events[side].filter(([, e]) => e === event);
	}
}

test("a handler with a sendBuffer gets each datagram copied there with its length (valid during the call); one too small gets them new; an addressBuffer gets the address the same way", (t) => {
	for (const [size, addressSize, expect] of [[MTU, 0, "buffer"], [16, 0, "fresh"], [MTU, ADDRESS_BYTES, "both"], [MTU, 2, "buffer"], [16, ADDRESS_BYTES, "fresh"]] as const) {
		const w = new World(Rights.live | Rights.command, NOW_S + 60, undefined, new ArrayBuffer(size), addressSize ? new ArrayBuffer(addressSize) : undefined);
		w.step(100);
		t.is(w.has(1, Event.connected).length, 1, `connected (sendBuffer of ${size})`);
		const bytes = new Uint8Array(5000).map((_, i) => (i * 7) & 0xff);
		w.viewer.command(0, Kind.request, 1, bytes, w.now);
		w.step(300);
		t.deepEqual(w.replies.map(([id, b]) => [id, b.length]), [[1, 5000]]);
		t.deepEqual(w.replies[0][1], bytes, "the reply crossed intact");
		t.is(w.badBuffer, 0);
		if (expect === "fresh") t.true(w.fresh > 5 && w.inBuffer === 0, `${w.inBuffer} in the buffer, ${w.fresh} new`);
		else t.true(w.inBuffer > 5 && w.fresh === 0, `${w.inBuffer} in the buffer, ${w.fresh} new`);
		t.is(w.inAddressBuffer, expect === "both" ? w.inBuffer : 0, `addresses in the addressBuffer (${addressSize} bytes)`);
		t.deepEqual(w.freshSlots, expect === "both" ? [0] : [], "one address, one slot, fresh once");
		t.is(w.badSlot, 0);
		w.camera.close();
		w.viewer.close();
	}
});

test("send names each address by a slot until it says the slot is fresh again: a viewer moving through more addresses than the slots (2 a session) gets slots reused, each fresh when its address changes", (t) => {
	const w = new World(Rights.live | Rights.command, NOW_S + 60, undefined, new ArrayBuffer(MTU), new ArrayBuffer(ADDRESS_BYTES));
	w.step(100);
	t.is(w.has(1, Event.connected).length, 1);
	const bytes = new Uint8Array(3000).map((_, i) => (i * 5) & 0xff);
	// maxSessions 2: 4 slots; the viewer moves 6 times, a request and its reply at each address
	for (let move = 1; move <= 6; move++) {
		w.viewerAt = new Uint8Array([10, 0, 1, move, 0x13, 0x88]).buffer;
		w.viewerWas.add(String(new Uint8Array(w.viewerAt)));
		w.viewer.command(0, Kind.request, move, bytes, w.now);
		w.step(400);
	}
	t.deepEqual(w.replies.map(([id, b]) => [id, b.length]), [1, 2, 3, 4, 5, 6].map((id) => [id, 3000]), "every reply crossed, from every address");
	t.is(w.badBuffer, 0);
	t.is(w.badSlot, 0, "no call named by a slot that held another address");
	t.true(w.freshSlots.every((slot) => slot >= 0 && slot < 4), `slots ${w.freshSlots}`);
	t.true(w.freshSlots.length >= 7 && new Set(w.freshSlots).size === 4, `7 addresses through 4 slots, each reused fresh: ${w.freshSlots}`);
	w.camera.close();
	w.viewer.close();
});

test("isPacket tells the transport's datagrams from the other protocols on the socket by their first byte", (t) => {
	const w = new World();
	let seen = 0;
	for (let i = 0; i < 100; i++) {
		for (const p of w.queue) {
			t.true(isPacket(p.data), `the ${p.to === 0 ? "viewer" : "camera"}'s datagram starting ${new Uint8Array(p.data)[0]}`);
			seen++;
		}
		w.step(1);
	}
	t.true(seen > 3, `${seen} datagrams of the handshake and after`);
	// version 6's DATA and replies (0x62, 0x63) are the wire's too
	t.true(isPacket(Uint8Array.of(0x63, 0, 0, 0)) && isPacket(Uint8Array.of(0x62, 0, 0, 0)));
	// STUN 0–3, DTLS 20–63, TURN channels 64–79, RTP/RTCP 128–191 (RFC 9443), and nothing at all
	for (const first of [0, 1, 3, 20, 22, 63, 64, 79, 128, 191]) t.false(isPacket(Uint8Array.of(first, 0, 0, 0)), `first byte ${first}`);
	t.false(isPacket(new ArrayBuffer(0)), "empty");
	w.camera.close();
	w.viewer.close();
});

test("a DATA version other than 5 or 6 is refused by create(), with the option's name", (t) => {
	for (const version of [4, 7, 5.5]) t.throws(() => new Endpoint({ role: "viewer", version: version as 5 }, { send: () => {} }), { code: kitCodes.EARG, message: /version/ }, `version ${version}`);
});

test("a viewer with a ticket connects; requests and replies cross in order", (t) => {
	const w = new World();
	w.step(100);
	t.is(w.has(0, Event.connected).length, 1);
	t.is(w.has(1, Event.connected).length, 1);
	const sizes = [0, 1, 1088, 1089, 5000, MAX_COMMAND];
	sizes.forEach((size, id) => {
		const bytes = new Uint8Array(size).map((_, i) => (i * 13 + id) & 0xff);
		// again (-14) while the previous request is unacknowledged and both do not fit 16 KiB + 64
		while (w.viewer.command(0, Kind.request, id, bytes, w.now) === Status.again) w.step(5);
		w.step(150);
	});
	w.step(500);
	t.deepEqual(w.requests.map(([id, b]) => [id, b.length]), sizes.map((size, id) => [id, size]));
	t.deepEqual(w.replies.map(([id, b]) => [id, b.length]), sizes.map((size, id) => [id, size]));
	t.deepEqual(w.replies[4][1], w.requests[4][1]);
	t.true(w.camera.channelStats(w.session, Channel.command).ackedBytes >= sizes.reduce((a, b) => a + b, 0));
	t.is(w.camera.sessionStats(w.session).rights, Rights.live | Rights.command);
	w.viewer.closeSession(0, w.now);
	w.step(50);
	t.deepEqual(w.has(0, Event.closed), [[w.session, Event.closed, 0]]);
	w.camera.close();
	w.viewer.close();
});

test("the module's memory counter follows the endpoints: the command windows while a command is under way, none after", (t) => {
	const w = new World();
	w.step(100);
	const counter = () => memory().native.p2p.bytes;
	const before = counter();
	const window = MAX_COMMAND + 64;   // P2P_CMD_WINDOW: each end's, allocated on first use, freed when idle
	while (w.viewer.command(0, Kind.request, 1, new Uint8Array(MAX_COMMAND), w.now) === Status.again) w.step(5);
	let most = counter();
	for (let i = 0; i < 300 && w.replies.length < 1; i++) {
		w.step(1);
		most = Math.max(most, counter());
	}
	t.is(w.replies.length, 1);
	// the viewer's send window and the camera's receive window at once, at least
	t.true(most - before >= 2 * window, `${most - before} bytes above the idle endpoints`);
	w.step(500);
	t.is(counter(), before, "the windows are freed once nothing is under way");
	w.camera.close();
	w.viewer.close();
});

for (const version of [undefined, 6] as const)
test(`media from a Ring (attached when the viewer connects) reaches it whole, with rates${version ? " — sealed with version 6's AES-128-CTR + HMAC-SHA-256, the camera preferring it" : ""}`, (t) => {
	const ring = new Ring({ maxGopBytes: 256 * 1024 });
	const w = new World(Rights.live | Rights.command, NOW_S + 60, ring, undefined, undefined, version);
	let k = 0;
	const push = () => {
		if (w.now % 33 !== 0) return;
		const size = k % 30 === 0 ? 20_000 : 2_000;
		ring.push(FrameType.video, Codec.h264, k % 30 === 0, w.now, frameBytes(k, size));
		k++;
	};
	w.step(2100, push);
	const stats = w.camera.channelStats(w.session, Channel.media);
	w.step(500);
	t.is(w.bad, 0);
	t.true(w.session >= 0);
	t.true(w.frames.length >= 55, `${w.frames.length} frames`);
	t.deepEqual(w.frames, w.frames.map((_, i) => w.frames[0] + i), "in order, none missing");
	t.is(w.frames[0], 0);
	t.true(stats.avgRate > 20_000, `avgRate ${stats.avgRate}`);
	t.true(stats.ackedBytes > 100_000);
	t.true(w.camera.sessionStats(w.session).footprintBytes < 16 * 1024);
	// the viewer offers 6 by default; a Linux camera takes 5 unless told (its ChaCha20-Poly1305 is faster in software)
	t.is(w.camera.sessionStats(w.session).version, version ?? 5);
	t.is(w.viewer.sessionStats(0).version, version ?? 5);
	w.camera.detach(w.session);
	w.camera.close();
	w.viewer.close();
	ring.close();
});

test("the binding's ticket constants (p2p.h's) are the protocol package's", (t) => {
	t.deepEqual({ ...Rights }, { ...protocolTicket.Rights });
	t.is(TICKET_BYTES, protocolTicket.TICKET_BYTES);
	t.is(PSK_BYTES, protocolTicket.PSK_BYTES);
});

test("the protocol package mints the bytes the C core mints (native/p2p/PROTOCOL.md's layout)", (t) => {
	for (const [rights, expiry] of [[Rights.live, 1767225600], [15, 2 ** 40 + 3], [0, 0]]) {
		const ours = mintProtocolTicket(crypto.hmacSha256, secret, { rights, expiryS: expiry, device: "CAM-0001", viewer: "viewer-7" });
		const [ticket, psk] = mintTicket(secret, "CAM-0001", "viewer-7", rights, expiry);
		t.deepEqual(ours.ticket, new Uint8Array(ticket));
		t.deepEqual(ours.psk, new Uint8Array(psk));
	}
});

test("an expired ticket is refused with its own status", (t) => {
	const w = new World(Rights.live, NOW_S - 1);
	w.step(100);
	t.deepEqual(w.has(1, Event.closed).map(([, , arg]) => arg), [Status.ticketExpired]);
	t.is(w.has(0, Event.connected).length, 0);
	w.camera.close();
	w.viewer.close();
});

test("bad arguments are TypeError or RangeError; a closed endpoint refuses calls", (t) => {
	t.throws(() => new Endpoint({ role: "router" } as never, {}), { instanceOf: TypeError });
	t.throws(() => new Endpoint({ role: "camera", deviceId: "CAM", deviceSecret: new Uint8Array(0) }, {}), { instanceOf: RangeError });
	t.throws(() => new Endpoint({ role: "camera", deviceId: "an id longer than 16", deviceSecret: secret }, {}), { instanceOf: TypeError });
	const w = new World();
	w.step(100);
	t.throws(() => w.viewer.command(0, Kind.request, 1, new Uint8Array(MAX_COMMAND + 1), w.now), { instanceOf: RangeError });
	t.throws(() => w.viewer.command(0, 5, 1, new Uint8Array(1), w.now), { instanceOf: RangeError });
	t.throws(() => w.viewer.command(5, Kind.request, 1, new Uint8Array(1), w.now), { instanceOf: RangeError });
	t.throws(() => w.viewer.connect(cameraAddress, new Uint8Array(75), new Uint8Array(32), w.now), { instanceOf: TypeError, code: codes.ETICKET_FORMAT });
	t.throws(() => w.camera.attachRing(w.session, {} as never), { instanceOf: TypeError });
	t.is(w.camera.input(viewerAddress, new Uint8Array([0x53, 1, 2]), w.now), Status.trunc);
	t.is(w.camera.input(viewerAddress, new Uint8Array(40).fill(0x53), w.now), Status.noSession);
	w.camera.close();
	t.throws(() => w.camera.tick(w.now), { code: kitCodes.ECLOSED, message: /closed/ });
	w.viewer.close();
});

test("endpoints and their rings can be collected in any order", (t) => {
	for (let round = 0; round < 3; round++) {
		let w: World | undefined = new World();
		w.step(100);
		let ring: Ring | undefined = new Ring({ maxGopBytes: 64 * 1024 });
		ring.push(FrameType.video, Codec.h264, true, w.now, frameBytes(0, 3000));
		w.camera.attachRing(w.session, ring, 0);
		w.step(30);
		if (round === 1) ring.close();
		ring = undefined;
		w = undefined;   // endpoints, handlers and the ring become garbage in one sweep
		collectGarbage();
	}
	collectGarbage();
	t.pass();
});
