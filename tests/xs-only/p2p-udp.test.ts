// The P2P socket's sends (modules/p2p/udp.ts): a datagram the system refuses to send is lost and
// counted, never thrown — a viewer whose address went away mid-stream (a phone changing networks:
// ENETUNREACH) ended with an uncaught exception and restarted (the soak's viewer-move fault).
import test from "ava";
import { openUdp } from "../../modules/p2p/udp.js";

test("a send the system refuses (broadcast without SO_BROADCAST: EACCES) is a lost datagram, counted, not an exception", (t) => {
	const socket = openUdp({ onReadable() {} });
	t.notThrows(() => socket.write(new Uint8Array(8), "255.255.255.255", 9));
	t.is(socket.sendErrors, 1);
	t.notThrows(() => socket.write(new Uint8Array(8), "127.0.0.1", 9), "and the socket goes on");
	t.is(socket.sendErrors, 1);
	socket.close();
});
