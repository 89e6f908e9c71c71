// The P2P socket's sends (modules/p2p/udp.ts): a datagram the system refuses to send is lost and
// counted, never thrown — a viewer whose address went away mid-stream (a phone changing networks:
// ENETUNREACH) ended with an uncaught exception and restarted (the soak's viewer-move fault).
import test from "ava";
import { Endpoint, Event, Kind, Rights, ADDRESS_BYTES, MTU, mintTicket, type Handler } from "p2p";
import Timer from "timer";
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
