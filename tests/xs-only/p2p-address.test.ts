// A UDP peer's address bytes for the transport (modules/p2p/address.ts), on XS (its errors are the
// native module's): the encoding, and the book the camera keeps so a datagram's peer is not encoded again.
import test from "ava";
import { AddressBook, decodeAddress, encodeAddress } from "../../modules/p2p/address.js";

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

test("the book gives the same bytes for a peer it knows, and decodes each peer's bytes to its address", (t) => {
	const book = new AddressBook();
	const a = book.encode("192.0.2.7", 4000);
	t.is(book.encode("192.0.2.7", 4000), a, "kept, not made again");
	t.not(book.encode("192.0.2.7", 4001), a);
	t.deepEqual([...book.encode("192.0.2.8", 4000)], [...encodeAddress("192.0.2.8", 4000)]);
	// decoding: fresh views with the same bytes give the same answer
	const first = book.decode(encodeAddress("198.51.100.1", 5000).slice());
	t.deepEqual(first, { address: "198.51.100.1", port: 5000 });
	t.is(book.decode(encodeAddress("198.51.100.1", 5000).slice()), first);
	t.deepEqual(book.decode(encodeAddress("198.51.100.1", 5001).slice()), { address: "198.51.100.1", port: 5001 });
	t.deepEqual(book.decode(encodeAddress("198.51.100.10", 5000).slice()), { address: "198.51.100.10", port: 5000 });
});

test("the book decodes the first n bytes of a buffer the transport reuses (its addressBuffer), whatever lies past them", (t) => {
	const book = new AddressBook();
	const shared = new Uint8Array(31).fill(0x41);
	const put = (address: string, port: number) => {
		const bytes = encodeAddress(address, port);
		shared.set(bytes);
		return bytes.length;
	};
	t.deepEqual(book.decode(shared, put("198.51.100.10", 5000)), { address: "198.51.100.10", port: 5000 });
	// a shorter address over the longer one's leftovers, then the longer one again: each its own
	t.deepEqual(book.decode(shared, put("198.51.100.1", 5000)), { address: "198.51.100.1", port: 5000 });
	t.deepEqual(book.decode(shared, put("198.51.100.10", 5000)), { address: "198.51.100.10", port: 5000 });
	t.deepEqual(book.decode(shared, put("::1", 7)), { address: "::1", port: 7 });
	// the answers kept are copies: changing the buffer does not change what the book knows
	const n = put("192.0.2.1", 1);
	const known = book.decode(shared, n);
	shared.fill(0x42);
	t.deepEqual(book.decode(shared.subarray(0), put("192.0.2.1", 1)), known);
});

test("the book stays bounded under a sender spraying ports, and still answers right", (t) => {
	const book = new AddressBook();
	for (let port = 1; port <= AddressBook.MAX_PEERS * 4; port++) {
		t.deepEqual([...book.encode("203.0.113.5", port)], [...encodeAddress("203.0.113.5", port)]);
		t.deepEqual(book.decode(encodeAddress("203.0.113.5", port).slice()), { address: "203.0.113.5", port });
	}
	t.throws(() => book.encode("203.0.113.5", 70000), { message: /bad UDP address/ });
});
