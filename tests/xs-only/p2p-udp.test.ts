// The P2P socket's sends (modules/p2p/udp.ts): a datagram the system refuses to send is lost and
// counted, never thrown — a viewer whose address went away mid-stream (a phone changing networks:
// ENETUNREACH) ended with an uncaught exception and restarted (the soak's viewer-move fault).
import test from "ava";
import { RECEIVE_BYTES, openUdp } from "../../modules/p2p/udp.js";

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
