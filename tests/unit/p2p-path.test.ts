// A session's path type (modules/p2p/path.ts, ICE's pair types): what the camera reports and the
// viewer prints, judged from the address the session sends to now, under Node and on XS.
import test from "ava";
import { pathKind, pathType, type PathFacts } from "../../modules/p2p/path.js";
import type { Candidate, PathType } from "../../modules/protocol/signal.js";

// The viewer as the camera sees it: on the camera's LAN, and behind its own NAT at home.
const offered: Candidate[] = [
	{ type: "host", address: "172.16.5.2", port: 40000 },
	{ type: "srflx", address: "100.5.2.2", port: 40000 },
];
const camera = { hosts: ["192.168.5.2"] };
const facts = (more: Partial<PathFacts>): PathFacts => ({ relayed: false, offered, hosts: camera.hosts, ...more });

const cases: Array<[string, { address: string; port: number }, Partial<PathFacts>, PathType]> = [
	["same LAN: the viewer's host candidate, our check seen from our own address", { address: "172.16.5.2", port: 40000 }, { mapped: { address: "192.168.5.2", port: 7000 } }, "host"],
	["both behind cone NATs: the viewer's server-reflexive candidate", { address: "100.5.2.2", port: 40000 }, { mapped: { address: "100.5.1.2", port: 7000 } }, "srflx"],
	["the viewer on the internet, the camera behind a NAT: its host candidate, but our check came through the NAT", { address: "172.16.5.2", port: 40000 }, { mapped: { address: "100.5.1.2", port: 7000 } }, "srflx"],
	["no check answered from that address: our end counts as host", { address: "172.16.5.2", port: 40000 }, {}, "host"],
	["the same address at another port is not the offered candidate: peer-reflexive", { address: "100.5.2.2", port: 40001 }, {}, "prflx"],
	["the viewer moved to an address it never offered: peer-reflexive", { address: "100.5.2.9", port: 40000 }, { mapped: { address: "192.168.5.2", port: 7000 } }, "prflx"],
	["the datagrams come through our TURN allocation: relayed, whatever else", { address: "100.5.2.2", port: 40000 }, { relayed: true }, "relay"],
	["the far end offered a relayed candidate", { address: "100.5.0.1", port: 50000 }, { offered: [{ type: "relay", address: "100.5.0.1", port: 50000 }] }, "relay"],
	["nothing offered (a viewer that came without signalling)", { address: "172.16.5.2", port: 40000 }, { offered: [] }, "prflx"],
];

for (const [title, peer, more, expected] of cases)
	test(`path type: ${title}`, (t) => {
		t.is(pathType(peer, facts(more)), expected);
	});

test("path kind: relayed only through TURN, every other type is direct", (t) => {
	t.deepEqual((["host", "srflx", "prflx", "relay"] as const).map(pathKind), ["direct", "direct", "direct", "relayed"]);
});
