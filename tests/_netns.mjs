// NAT topologies for the P2P tests (issue 14 §3), built from network namespaces and nftables:
//
//   root ns (the test: cloud, coturn) 100.K.0.1 ── 100.K.0.2 "net" ns (the internet, forwards)
//        ├─ 100.K.1.1 ── 100.K.1.2 "natc" (nftables masquerade) 192.168.K.1 ── 192.168.K.2 "camh" (the camera)
//        └─ 100.K.2.1 ── 100.K.2.2 "natv" (nftables masquerade) 172.16.K.1  ── 172.16.K.2  "viewh" (the viewer)
//
// A "cone" NAT is Linux's masquerade: it keeps the source port, so one mapping serves every
// destination (endpoint-independent mapping; filtering is per destination, so both sides must
// send: hole punching). A "symmetric" NAT is masquerade `fully-random`: each destination gets a
// port of its own, so the address a STUN server saw is useless to anyone else — only TURN works.
// `viewer: "lan"` puts the viewer on the camera's LAN instead (a bridge in "natc"); `viewer: "public"`
// on the internet, no NAT in front of it ("natv" stays empty). Every name carries the test's K; everything is removed at teardown (deleting a namespace
// deletes its veth pairs). Needs root (CI runs as root) and `nft` (scripts/test-deps.mjs).
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

// Debian's nftables by path: under npm/npx, PATH starts with node_modules/.bin, whose `nft` is
// @vercel/nft (a file tracer) — it "succeeds" and installs no rule.
const NFT = "/usr/sbin/nft";

const run = (args) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
const inNs = (ns, command, args, input) => execFileSync("ip", ["netns", "exec", ns, command, ...args], { stdio: [input === undefined ? "ignore" : "pipe", "ignore", "pipe"], input });

/** Builds the topology with the given NAT kinds; `t.teardown` removes it. */
export function natTopology(t, { camera = "cone", viewer = "cone" } = {}) {
	const k = 70 + Math.floor(Math.random() * 150);
	const tag = `${process.pid % 10000}${k}`;
	const ns = { net: `ivn${tag}`, natc: `ivnc${tag}`, camh: `ivch${tag}`, natv: `ivnv${tag}`, viewh: `ivvh${tag}` };
	const links = [];
	const moves = {};   // what renumber() can give a new address: { ns, dev, address, gateway }
	const renat = {};   // what renumber() can give another kind of NAT
	let toViewer;       // the internet's link towards the viewer's side (thinLink shapes it)
	const cleanup = () => {
		for (const name of Object.values(ns)) spawnSync("ip", ["netns", "del", name], { stdio: "ignore" });
		for (const link of links) spawnSync("ip", ["link", "del", link], { stdio: "ignore" });
		spawnSync("ip", ["route", "del", `100.${k}.0.0/16`], { stdio: "ignore" });
	};
	t.teardown(cleanup);
	try {
		for (const name of Object.values(ns)) {
			run(["netns", "add", name]);
			// IPv4 only: an IPv6 link-local address appearing seconds later (DAD) is a "network change"
			// to a browser in the namespace, which then aborts the page it was loading (ERR_NETWORK_CHANGED)
			inNs(name, "sysctl", ["-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"]);
			inNs(name, "sysctl", ["-q", "-w", "net.ipv6.conf.default.disable_ipv6=1"]);
			inNs(name, "ip", ["link", "set", "lo", "up"]);
		}
		// a veth between two namespaces (undefined: the root ns), addresses /24
		let n = 0;
		const wire = (a, aAddr, b, bAddr) => {
			const an = `iv${tag}a${n}`, bn = `iv${tag}b${n++}`;
			run(["link", "add", an, "type", "veth", "peer", "name", bn]);
			if (a) run(["link", "set", an, "netns", a]);
			else links.push(an);
			run(["link", "set", bn, "netns", b]);
			const up = (space, dev, addr) => {
				const args = (cmd) => (space ? ["netns", "exec", space, "ip", ...cmd] : cmd);
				if (addr) run(args(["addr", "add", `${addr}/24`, "dev", dev]));
				run(args(["link", "set", dev, "up"]));
			};
			up(a, an, aAddr);
			up(b, bn, bAddr);
			return { a: an, b: bn };
		};
		wire(undefined, `100.${k}.0.1`, ns.net, `100.${k}.0.2`);
		const c = wire(ns.net, `100.${k}.1.1`, ns.natc, `100.${k}.1.2`);
		const sameLan = viewer === "lan", open = viewer === "public";
		// "public": the viewer on the internet itself, no NAT in front of it
		const v = wire(ns.net, `100.${k}.2.1`, open ? ns.viewh : ns.natv, `100.${k}.2.2`);
		toViewer = v.a;
		moves.router = { ns: ns.natc, dev: c.b, address: `100.${k}.1.2`, gateway: `100.${k}.1.1` };
		if (!open) moves["viewer-router"] = { ns: ns.natv, dev: v.b, address: `100.${k}.2.2`, gateway: `100.${k}.2.1` };
		if (sameLan) {
			// One LAN behind the camera's router: a bridge in it, the camera and the viewer on it.
			inNs(ns.natc, "ip", ["link", "add", "lan", "type", "bridge"]);
			inNs(ns.natc, "ip", ["addr", "add", `192.168.${k}.1/24`, "dev", "lan"]);
			inNs(ns.natc, "ip", ["link", "set", "lan", "up"]);
			for (const [host, address] of [[ns.camh, `192.168.${k}.2`], [ns.viewh, `192.168.${k}.3`]]) {
				const link = wire(ns.natc, undefined, host, address);
				inNs(ns.natc, "ip", ["link", "set", link.a, "master", "lan"]);
				moves[host === ns.camh ? "camera" : "viewer"] = { ns: host, dev: link.b, address, gateway: `192.168.${k}.1` };
			}
		}
		else {
			moves.camera = { ns: ns.camh, dev: wire(ns.natc, `192.168.${k}.1`, ns.camh, `192.168.${k}.2`).b, address: `192.168.${k}.2`, gateway: `192.168.${k}.1` };
			moves.viewer = open ? { ns: ns.viewh, dev: v.b, address: `100.${k}.2.2`, gateway: `100.${k}.2.1` }
				: { ns: ns.viewh, dev: wire(ns.natv, `172.16.${k}.1`, ns.viewh, `172.16.${k}.2`).b, address: `172.16.${k}.2`, gateway: `172.16.${k}.1` };
		}
		run(["route", "add", `100.${k}.0.0/16`, "via", `100.${k}.0.2`]);
		for (const name of [ns.net, ns.natc, ns.natv]) inNs(name, "sysctl", ["-q", "-w", "net.ipv4.ip_forward=1"]);
		inNs(ns.natc, "ip", ["route", "add", "default", "via", `100.${k}.1.1`]);
		if (!open) inNs(ns.natv, "ip", ["route", "add", "default", "via", `100.${k}.2.1`]);
		for (const host of [moves.camera, moves.viewer]) inNs(host.ns, "ip", ["route", "add", "default", "via", host.gateway]);
		// A home router: masquerade out, and unsolicited packets from the internet dropped before
		// conntrack confirms them (an unanswered inbound check would otherwise hold the 5-tuple and
		// make masquerade pick another port for our own packets to that peer).
		const nat = (space, wan, kind) => inNs(space, NFT, ["-f", "-"], [
			"table ip ivxs {",
			"\tchain post {", "\t\ttype nat hook postrouting priority 100;", `\t\toifname "${wan}" masquerade${kind === "symmetric" ? " fully-random" : ""}`, "\t}",
			"\tchain inbound {", "\t\ttype filter hook input priority 0;", `\t\tiifname "${wan}" ct state new drop`, "\t}",
			"\tchain forwarded {", "\t\ttype filter hook forward priority 0;", `\t\tiifname "${wan}" ct state new drop`, "\t}",
			"}", "",
		].join("\n"));
		nat(ns.natc, c.b, camera);
		if (!open) nat(ns.natv, v.b, viewer);
		// A router's NAT becomes another kind (its new public address came with one that maps per destination).
		renat.router = (kind) => {
			inNs(ns.natc, NFT, ["delete", "table", "ip", "ivxs"]);
			nat(ns.natc, c.b, kind);
		};
	}
	catch (error) {
		cleanup();
		throw new Error(`building the NAT topology failed: ${error.stderr?.toString() || error.message}`);
	}
	return {
		ns,
		/**
		 * Gives "camera", "viewer" (their hosts: a DHCP lease that changed) or "router" (the camera's
		 * NAT: the ISP's new public address; "viewer-router" the viewer's) a new address mid-run: the
		 * old one goes, with the default route through it, the new one comes. Sockets bound to any
		 * address carry on from the new one; masquerade forgets the mappings of the address that
		 * went. `nat`: the camera's router's NAT becomes this kind with it. Returns the new address;
		 * a second move goes back to the first one (x.y.z.2 → .102 → .2: a phone between two networks).
		 */
		renumber(who, { nat: kind } = {}) {
			const m = moves[who];
			const fresh = m.address.replace(/\.\d+$/, (last) => `.${(Number(last.slice(1)) + 100) % 200}`);
			inNs(m.ns, "ip", ["addr", "del", `${m.address}/24`, "dev", m.dev]);
			inNs(m.ns, "ip", ["addr", "add", `${fresh}/24`, "dev", m.dev]);
			inNs(m.ns, "ip", ["route", "add", "default", "via", m.gateway]);
			if (kind) renat[who](kind);
			m.address = fresh;
			return fresh;
		},
		/**
		 * A thin last hop: what the internet sends towards the viewer's side leaves at `kbit` kbit/s
		 * through a token bucket (tc tbf, 3 KB of burst) holding at most `limitBytes` — a DSL line
		 * or a weak Wi-Fi: past its rate a queue builds, past its queue packets drop.
		 */
		thinLink(kbit, limitBytes) {
			inNs(ns.net, "tc", ["qdisc", "add", "dev", toViewer, "root", "tbf", "rate", `${kbit}kbit`, "burst", "3000", "limit", String(limitBytes)]);
		},
		/** What the thin link sent and dropped so far: { sent, dropped } packets. */
		thinLinkCounts() {
			const out = spawnSync("ip", ["netns", "exec", ns.net, "tc", "-s", "qdisc", "show", "dev", toViewer], { encoding: "utf8" }).stdout;
			const m = /Sent \d+ bytes (\d+) pkt \(dropped (\d+)/.exec(out);
			return { sent: Number(m?.[1] ?? 0), dropped: Number(m?.[2] ?? 0) };
		},
		/**
		 * A lossy last hop (this kernel has no netem): the viewer's host drops the RTP and RTCP
		 * datagrams (a UDP payload whose first two bits are 10: RFC 7983's 128–191) whose arrival
		 * count is in `which` (0-based). Chosen, not random: a resend arrives a few packets after its
		 * loss, so it is never dropped itself (a receiver NACKs a packet once; a lost resend is a
		 * lost packet). STUN and DTLS pass, so the session comes up as it would.
		 */
		lossy(which) {
			inNs(ns.viewh, NFT, ["-f", "-"], [
				"table ip ivxsloss {",
				"\tchain in {", "\t\ttype filter hook input priority 0;", `\t\tudp length > 20 @th,64,2 2 numgen inc mod 100000 { ${which.join(", ")} } counter drop`, "\t}",
				"}", "",
			].join("\n"));
		},
		/** What lossy() dropped so far (packets). */
		dropped() {
			const out = spawnSync("ip", ["netns", "exec", ns.viewh, NFT, "list", "table", "ip", "ivxsloss"], { encoding: "utf8" }).stdout;
			return Number(/counter packets (\d+)/.exec(out)?.[1] ?? 0);
		},
		/** The root namespace's address on the "internet": where the cloud and coturn listen. */
		publicAddress: `100.${k}.0.1`,
		camera: { lan: `192.168.${k}.2`, wan: `100.${k}.1.2` },
		viewer: viewer === "lan" ? { lan: `192.168.${k}.3`, wan: `100.${k}.1.2` } : { lan: viewer === "public" ? `100.${k}.2.2` : `172.16.${k}.2`, wan: `100.${k}.2.2` },
		/** The argv prefix that runs a command in a namespace. */
		prefix: (space) => ["ip", "netns", "exec", space],
		/** Debian's Chromium in a namespace: a wrapper written into `dir` that execs it there, for
		 * Playwright's `executablePath` (it drives the browser over a pipe, so that is all it takes). */
		chromiumIn(space, dir) {
			const wrapper = join(dir, `chromium-${space}`);
			writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${space} /usr/bin/chromium "$@"\n`, { mode: 0o755 });
			return wrapper;
		},
	};
}
