// Which addresses a P2P candidate may name (modules/protocol/candidate-address.ts), under Node and on
// XS: the one rule the cloud and the camera both apply to a viewer's candidates (issue 27 item 2).
import test from "ava";
import { allowedCandidates, candidateAddressAllowed, ipv4Octets, ipv6Groups } from "../../modules/protocol/candidate-address.js";

test("unicast IPv4 and IPv6 addresses are allowed", (t) => {
	for (const address of ["192.0.2.1", "10.0.0.1", "172.16.5.4", "192.168.1.20", "1.1.1.1", "223.255.255.254", "100.64.0.1",
		"2001:db8::1", "2001:0db8:0000:0000:0000:0000:0000:0001", "fd00::5", "2001:db8:1:2:3:4:5:6", "::ffff:192.0.2.1", "64:ff9b::192.0.2.1", "FE00::1"])
		t.true(candidateAddressAllowed(address), address);
});

test("unspecified, broadcast, multicast and reserved addresses are refused whatever the configuration", (t) => {
	const all = { loopback: true, linkLocal: true };
	for (const address of ["0.0.0.0", "0.1.2.3", "255.255.255.255", "224.0.0.1", "239.255.255.250", "240.0.0.1",
		"::", "0:0:0:0:0:0:0:0", "ff02::1", "ff05::1:3", "::ffff:255.255.255.255", "::ffff:224.0.0.251", "::ffff:0.0.0.0"]) {
		t.false(candidateAddressAllowed(address), address);
		t.false(candidateAddressAllowed(address, all), `${address} (loopback and link-local allowed)`);
	}
});

test("loopback and link-local only when configured", (t) => {
	for (const [address, option] of [["127.0.0.1", "loopback"], ["127.255.0.9", "loopback"], ["::1", "loopback"], ["::ffff:127.0.0.1", "loopback"],
		["169.254.10.1", "linkLocal"], ["fe80::1", "linkLocal"], ["febf::1", "linkLocal"], ["::ffff:169.254.0.1", "linkLocal"]] as const) {
		t.false(candidateAddressAllowed(address), `${address} by default`);
		t.true(candidateAddressAllowed(address, { [option]: true }), `${address} with ${option}`);
		t.false(candidateAddressAllowed(address, { [option === "loopback" ? "linkLocal" : "loopback"]: true }), `${address} with the other option only`);
	}
});

test("malformed text is refused", (t) => {
	for (const address of ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.04", "1.2.3.-4", " 1.2.3.4", "1.2.3.4 ", "a.b.c.d", "1e2.0.0.1",
		"localhost", "example.com", "1::2::3", ":::", ":1::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7::8", "12345::1", "g::1",
		"fe80::1%eth0", "[2001:db8::1]", "1.2.3.4::", "::1.2.3.4:5", "::256.0.0.1", "2001:db8::1/64", "1".repeat(46)])
		t.false(candidateAddressAllowed(address, { loopback: true, linkLocal: true }), JSON.stringify(address));
	t.false(candidateAddressAllowed(undefined as unknown as string), "not a string");
});

test("the parsers give the address's bytes", (t) => {
	t.deepEqual(ipv4Octets("192.0.2.255"), [192, 0, 2, 255]);
	t.deepEqual(ipv6Groups("2001:db8::1"), [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
	t.deepEqual(ipv6Groups("::ffff:192.0.2.1"), [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201]);
	t.deepEqual(ipv6Groups("1:2:3:4:5:6:7:8"), [1, 2, 3, 4, 5, 6, 7, 8]);
	t.deepEqual(ipv6Groups("1:2:3:4:5:6::"), [1, 2, 3, 4, 5, 6, 0, 0]);
	t.is(ipv6Groups("1:2:3:4:5:6:7:8::"), undefined);
});

test("a list keeps its allowed candidates, each address and port once, in the sender's order", (t) => {
	const host = { type: "host", address: "192.0.2.7", port: 40000 };
	const list = [host, { ...host }, { type: "srflx", address: "192.0.2.7", port: 40000 }, { type: "host", address: "255.255.255.255", port: 40000 },
		{ type: "host", address: "127.0.0.1", port: 40000 }, { type: "srflx", address: "192.0.2.7", port: 40001 }, { type: "host", address: "2001:DB8::1", port: 5 }, { type: "host", address: "2001:db8::1", port: 5 }];
	t.deepEqual(allowedCandidates(list), [host, list[5], list[6]]);
	t.deepEqual(allowedCandidates(list, { loopback: true }), [host, list[4], list[5], list[6]]);
	t.deepEqual(allowedCandidates(Array(8).fill(host)), [host], "one address named 8 times is one candidate");
});
