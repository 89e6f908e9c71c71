// The P2P socket's sends (modules/p2p/udp.ts): a datagram the system refuses to send is lost and
// counted, never thrown — a viewer whose address went away mid-stream (a phone changing networks:
// ENETUNREACH) ended with an uncaught exception and restarted (the soak's viewer-move fault).
import test from "ava";
import { Endpoint, Event, Kind, Rights, ADDRESS_BYTES, MTU, mintTicket, type Handler } from "p2p";
import Timer from "timer";
import UDP from "embedded:io/socket/udp";
import { encodeAddress } from "../../modules/p2p/address.js";
import { RECEIVE_BYTES, openUdp } from "../../modules/p2p/udp.js";

const sleep = (ms: number) => new Promise<void>((resolve) => Timer.set(() => resolve(), ms));

test("a send the system refuses (broadcast without SO_BROADCAST: EACCES) is a lost datagram, counted, not an exception", (t) => {
	const socket = openUdp({ onReadable() {} });
	t.notThrows(() => socket.write(new Uint8Array(8), "255.255.255.255", 9));
	t.is(socket.sendErrors, 1);
	t.notThrows(() => socket.write(new Uint8Array(8), "127.0.0.1", 9), "and the socket goes on");
	t.is(socket.sendErrors, 1);
	socket.close();
});

test("a UDP socket takes dotted-quad IPv4 addresses only (ivxs_parse_ipv4: every host's one parser)", (t) => {
	const socket = new (UDP as unknown as new (o: object) => { write(b: ArrayBuffer, a: string, p: number): void; close(): void })({});
	for (const address of ["1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1..2.3", "1.2.3.4 ", "0x7f.0.0.1", "", "a.b.c.d"])
		t.throws(() => socket.write(new ArrayBuffer(1), address, 9), { instanceOf: RangeError }, `"${address}"`);
	for (const address of ["127.0.0.1", "localhost", "0.0.0.0", "10.200.0.255"])
		t.notThrows(() => socket.write(new ArrayBuffer(1), address, 9), address);
	socket.close();
});

// The camera's receive path reads into one buffer (issue 29: nothing allocated per datagram).
function drain(socket: ReturnType<typeof openUdp>, into: Array<{ length: number; first: number; source: object; address: string; port: number }>): void {
	for (let length; (length = socket.receive()) >= 0;) {
		const { from } = socket;
		into.push({ length, first: new Uint8Array(socket.received)[0], source: from, address: from.address, port: from.port });
	}
}

test("receive() reads each datagram into the socket's buffer, its source one object per peer; a datagram past RECEIVE_BYTES is skipped and counted", async (t) => {
	const got: Array<{ length: number; first: number; source: object; address: string; port: number }> = [];
	let done: () => void;
	const all = new Promise<void>((resolve) => { done = resolve; });
	const a = openUdp({ address: "127.0.0.1", onReadable() { drain(a, got); if (got.length >= 4) done(); } });
	const b = openUdp({ address: "127.0.0.1", onReadable() {} });
	const c = openUdp({ address: "127.0.0.1", onReadable() {} });
	const big = new Uint8Array(RECEIVE_BYTES + 1).fill(9);
	b.write(new Uint8Array([1, 2, 3]), "127.0.0.1", a.port);
	b.write(big, "127.0.0.1", a.port);
	b.write(new Uint8Array(0), "127.0.0.1", a.port);
	const buffer = new Uint8Array(100).fill(5);
	buffer[0] = 4;
	c.write(buffer.buffer, "127.0.0.1", a.port, 10);   // the first 10 bytes only
	b.write(new Uint8Array(RECEIVE_BYTES).fill(6), "127.0.0.1", a.port);
	await all;
	t.deepEqual(got.map((g) => [g.length, g.port]), [[3, b.port], [0, b.port], [10, c.port], [RECEIVE_BYTES, b.port]]);
	t.is(got[0].first, 1);
	t.is(got[2].first, 4);
	t.is(got[3].first, 6);
	t.is(got[0].address, "127.0.0.1");
	t.is(got[0].source, got[1].source, "one source object per peer: nothing made per datagram");
	t.not(got[0].source, got[2].source);
	t.is(a.oversized, 1);
	t.is(a.receive(), -1, "none waits");
	a.close(); b.close(); c.close();
});

test("datagram() is the last datagram as an object of its own, with its source; write's length past the buffer is a lost datagram", async (t) => {
	let done: () => void;
	const arrived = new Promise<void>((resolve) => { done = resolve; });
	let copy: ArrayBuffer & { address: string; port: number } | undefined;
	const a = openUdp({ address: "127.0.0.1", onReadable() {
		const length = a.receive();
		if (length < 0) return;
		copy = a.datagram(length);
		new Uint8Array(a.received).fill(0);   // the next datagram overwrites the buffer: the copy stays
		done();
	} });
	const b = openUdp({ address: "127.0.0.1", onReadable() {} });
	b.write(new Uint8Array(8), "127.0.0.1", a.port, 9);
	t.is(b.sendErrors, 1);
	b.write(new Uint8Array([7, 8, 9]), "127.0.0.1", a.port);
	await arrived;
	t.deepEqual([...new Uint8Array(copy!)], [7, 8, 9]);
	t.is(copy!.address, "127.0.0.1");
	t.is(copy!.port, b.port);
	a.close(); b.close();
});

// The camera's packets from C (native/p2p "Datagrams from C", issue 29): once the handler's send()
// returns true for a slot, that address's datagrams are written to handler.socket without a call;
// reroute() and a socket gone send through send() again. Real loopback sockets, the core's clock
// stepped by hand.
test("send() answering true sends the slot's later datagrams from C to handler.socket; reroute() and a missing socket take send() again", async (t) => {
	const secret = new Uint8Array(32).fill(0x5a);
	const cameraAddress = new Uint8Array([10, 0, 0, 1, 0x0f, 0xa0]).buffer;
	let now = 1_000, sendCalls = 0, fromSocket = 0;
	const toViewer: ArrayBuffer[] = [];
	const replies: Uint8Array[] = [];
	let connected = false;
	const cameraSocket = openUdp({ address: "127.0.0.1", onReadable() {} });
	let viewer: Endpoint | undefined;
	const viewerSocket = openUdp({ address: "127.0.0.1", onReadable() {
		for (let n; (n = viewerSocket.receive()) >= 0;) {
			fromSocket++;
			viewer!.input(cameraAddress, viewerSocket.received, now, n);
		}
	} });
	const viewerAt = encodeAddress("127.0.0.1", viewerSocket.port);
	const handler: Handler = {
		sendBuffer: new ArrayBuffer(MTU),
		addressBuffer: new ArrayBuffer(ADDRESS_BYTES),
		socket: cameraSocket.native,
		send: (_to, data, length) => {
			sendCalls++;
			toViewer.push(data.slice(0, length));
			return true;
		},
		command: (session, _kind, id, bytes) => { camera.command(session, Kind.reply, id, bytes, now); },
	};
	const camera = new Endpoint({ role: "camera", deviceId: "CAM-0001", deviceSecret: secret, maxSessions: 2 }, handler);
	camera.setUnixTime(1_800_000_000);
	viewer = new Endpoint({ role: "viewer" }, {
		send: (_to, data) => { camera.input(viewerAt, data, now); },
		event: (_session, event) => { if (event === Event.connected) connected = true; },
		command: (_session, _kind, _id, bytes) => { replies.push(new Uint8Array(bytes)); },
	});
	const [ticket, psk] = mintTicket(secret, "CAM-0001", "viewer-7", Rights.live | Rights.command, 1_800_000_060);
	viewer.connect(cameraAddress, ticket, psk, now);
	const run = async (ms: number) => {
		for (let i = 0; i < ms; i += 5) {
			now += 5;
			// (shift, not splice(0): XS's splice of an empty array hands memmove a null pointer, which
			// the sanitized host's UBSan stops on)
			while (toViewer.length) viewer!.input(cameraAddress, toViewer.shift()!, now);
			camera.tick(now);
			viewer!.tick(now);
			await sleep(5);
		}
	};
	const request = async (id: number) => {
		const bytes = new Uint8Array(5000).map((_, i) => (i * 7 + id) & 0xff);
		viewer!.command(0, Kind.request, id, bytes, now);
		await run(400);
		t.deepEqual(replies.at(-1), bytes, `reply ${id} crossed intact`);
	};
	await run(200);
	t.true(connected, "the viewer connected");
	await request(1);
	const first = { calls: sendCalls, ...camera.directStats() };
	t.true(first.calls <= 2, `${first.calls} send() calls: the first datagram to the viewer (its slot new), not the rest`);
	t.true(first.sent >= 5 && fromSocket >= first.sent, `${first.sent} datagrams from C, ${fromSocket} arrived at the viewer's socket`);
	t.is(first.refused, 0);

	camera.reroute();
	await request(2);
	t.is(sendCalls, first.calls + 1, "after reroute() the next datagram takes send() once, which says straight again");
	const second = camera.directStats().sent;
	t.true(second > first.sent);

	handler.socket = undefined;
	const before = sendCalls;
	await request(3);
	t.true(sendCalls - before >= 5, `no socket: every datagram through send() (${sendCalls - before})`);
	t.is(camera.directStats().sent, second, "none from C");

	camera.close();
	viewer.close();
	cameraSocket.close();
	viewerSocket.close();
});

// The viewers' packets into C (native/p2p's receive, issue 29): from an address send() answered
// true for, the endpoint reads the socket and inputs them itself; every other datagram — not the
// transport's, or from an address not sent to straight — comes back to the caller's loop.
test("receive() inputs in C the packets of addresses sent to straight and hands back every other datagram", async (t) => {
	const secret = new Uint8Array(32).fill(0x3c);
	let now = 1_000, connected = false;
	const replies: Uint8Array[] = [];
	const handedBack: Array<{ first: number; port: number }> = [];
	let camera: Endpoint | undefined, viewer: Endpoint | undefined;
	const cameraSocket = openUdp({ address: "127.0.0.1", onReadable() {
		const readInto = (into: ArrayBuffer, from: Uint8Array) => camera!.receive(cameraSocket.native!, into, from, now);
		for (let n; (n = cameraSocket.receive(readInto)) >= 0;) {
			const { address, port } = cameraSocket.from;
			handedBack.push({ first: new Uint8Array(cameraSocket.received)[0], port });
			if (new Uint8Array(cameraSocket.received)[0] >> 4 === 5) camera!.input(encodeAddress(address, port), cameraSocket.received, now, n);
		}
	} });
	const viewerSocket = openUdp({ address: "127.0.0.1", onReadable() {
		for (let n; (n = viewerSocket.receive()) >= 0;) viewer!.input(encodeAddress("127.0.0.1", cameraSocket.port), viewerSocket.received, now, n);
	} });
	const other = openUdp({ address: "127.0.0.1", onReadable() {} });
	camera = new Endpoint({ role: "camera", deviceId: "CAM-0001", deviceSecret: secret, maxSessions: 2 }, {
		sendBuffer: new ArrayBuffer(MTU),
		addressBuffer: new ArrayBuffer(ADDRESS_BYTES),
		socket: cameraSocket.native,
		send: (_to, data, length) => { viewerSocket.write(data, "127.0.0.1", viewerSocket.port, length); return true; },
		command: (session, _kind, id, bytes) => { camera!.command(session, Kind.reply, id, bytes, now); },
	});
	camera.setUnixTime(1_800_000_000);
	viewer = new Endpoint({ role: "viewer" }, {
		send: (_to, data) => { viewerSocket.write(data, "127.0.0.1", cameraSocket.port); },
		event: (_session, event) => { if (event === Event.connected) connected = true; },
		command: (_session, _kind, _id, bytes) => { replies.push(new Uint8Array(bytes)); },
	});
	const [ticket, psk] = mintTicket(secret, "CAM-0001", "viewer-9", Rights.live | Rights.command, 1_800_000_060);
	viewer.connect(encodeAddress("127.0.0.1", cameraSocket.port), ticket, psk, now);
	const run = async (ms: number) => {
		for (let i = 0; i < ms; i += 5) {
			now += 5;
			camera!.tick(now);
			viewer!.tick(now);
			await sleep(5);
		}
	};
	await run(200);
	t.true(connected, "the viewer connected");
	const packetsBack = handedBack.filter((d) => d.first >> 4 === 5).length;
	t.true(packetsBack >= 1, `the hello came back to the caller (${packetsBack}): its address was not sent to yet`);
	const bytes = new Uint8Array(6000).map((_, i) => (i * 13) & 0xff);
	viewer.command(0, Kind.request, 1, bytes, now);
	await run(400);
	t.deepEqual(replies.at(-1), bytes, "the request crossed intact, read in C, and its reply came back");
	const { received } = camera.directStats();
	t.true(received >= 5, `${received} of the viewer's packets input in C`);
	t.is(handedBack.filter((d) => d.first >> 4 === 5).length, packetsBack, "none of them came back to the caller");

	// not the transport's (a STUN binding request's first byte), from the same address: handed back
	viewerSocket.write(new Uint8Array([0x00, 0x01, 0, 0]), "127.0.0.1", cameraSocket.port);
	// the transport's first byte from an address never sent to: handed back
	other.write(new Uint8Array([0x51, 1, 2, 3]), "127.0.0.1", cameraSocket.port);
	await run(50);
	t.deepEqual(handedBack.slice(-2).map((d) => [d.first, d.port]).sort(), [[0x00, viewerSocket.port], [0x51, other.port]].sort());
	t.is(camera.directStats().received, received);

	// wrong use
	const error = t.throws(() => camera!.receive(cameraSocket.native!, new ArrayBuffer(64), new Uint8Array(5), now), { instanceOf: RangeError });
	t.is((error as Error & { code: string }).code, "IVXS_EARG");
	t.is(camera.receive({}, new ArrayBuffer(64), new Uint8Array(6), now), -2, "not a socket");
	camera.close();
	viewer.close();
	cameraSocket.close(); viewerSocket.close(); other.close();
});
