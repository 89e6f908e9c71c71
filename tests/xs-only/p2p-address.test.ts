// A UDP peer's address bytes for the transport (modules/p2p/address.ts), on XS (its errors are the
// native module's): the encoding, the book the camera keeps so a datagram's peer is not encoded again,
// and the map by peer it looks up per datagram without making a key.
import test from "ava";
import { AddressBook, PeerMap, decodeAddress, encodeAddress } from "../../modules/p2p/address.js";

test("an address is its text then the port, big-endian, and decodes back", (t) => {
	const bytes = encodeAddress("192.0.2.7", 0x1f90);
	t.deepEqual([...bytes], [..."192.0.2.7"].map((c) => c.charCodeAt(0)).concat([0x1f, 0x90]));
	t.deepEqual(decodeAddress(bytes.slice().buffer), { address: "192.0.2.7", port: 0x1f90 });
	t.deepEqual(decodeAddress(encodeAddress("2001:db8::1", 0).slice().buffer), { address: "2001:db8::1", port: 0 });
});

test("an address the transport cannot carry is refused", (t) => {
	for (const [address, port] of [["1.2.3.4", -1], ["1.2.3.4", 65536], ["1.2.3.4", 1.5], ["x".repeat(30), 1], ["1.2.3.4 ", 1], ["1.2.3.\u00e9", 1], ["", NaN]] as const)
		t.throws(() => encodeAddress(address, port), { message: /bad UDP address/ }, `${JSON.stringify(address)}:${port}`);
});

test("the book gives the same bytes for a peer it knows", (t) => {
	const book = new AddressBook();
	const a = book.encode("192.0.2.7", 4000);
	t.is(book.encode("192.0.2.7", 4000), a, "kept, not made again");
	t.not(book.encode("192.0.2.7", 4001), a);
	t.deepEqual([...book.encode("192.0.2.8", 4000)], [...encodeAddress("192.0.2.8", 4000)]);
});

test("the book stays bounded under a sender spraying ports, and still answers right", (t) => {
	const book = new AddressBook();
	for (let port = 1; port <= AddressBook.MAX_PEERS * 4; port++) {
		t.deepEqual([...book.encode("203.0.113.5", port)], [...encodeAddress("203.0.113.5", port)]);
	}
	t.throws(() => book.encode("203.0.113.5", 70000), { message: /bad UDP address/ });
});

test("a peer map: by address and port, bounded (the oldest goes), with no key made per lookup", (t) => {
	const peers = new PeerMap<number>(3);
	peers.set("192.0.2.7", 4000, 4000);
	peers.set("192.0.2.7", 4000, 4000);
	peers.set("192.0.2.7", 4001, 4001);
	t.is(peers.size, 2, "a peer once");
	t.true(peers.has("192.0.2.7", 4000));
	t.false(peers.has("192.0.2.7", 4002));
	t.false(peers.has("192.0.2.8", 4000));
	t.is(peers.get("192.0.2.7", 4001), 4001, "its value");
	t.is(peers.get("192.0.2.8", 4000), undefined);
	peers.set("192.0.2.8", 4000, 4000);
	peers.set("192.0.2.9", 4000, 4000);
	t.is(peers.size, 3, "bounded");
	t.false(peers.has("192.0.2.7", 4000), "the oldest went");
	t.true(peers.has("192.0.2.7", 4001) && peers.has("192.0.2.9", 4000));
	peers.delete("192.0.2.7", 4001);
	peers.delete("192.0.2.7", 4001);
	t.is(peers.size, 2);
	t.false(peers.has("192.0.2.7", 4001));
	for (let port = 1; port <= 100; port++) peers.set("203.0.113.5", port, port);
	t.is(peers.size, 3, "a sender spraying ports stays within the bound");
	t.true(peers.has("203.0.113.5", 100));
	peers.clear();
	t.is(peers.size, 0);
	t.false(peers.has("203.0.113.5", 100));
});
