// TCP (any IP traffic) across the emulated link: two network namespaces, each with a TUN device,
// joined by tests/p2p/tunrelay.c through the link emulator's UDP relay. Every IP packet from one
// namespace to the other is one datagram through the relay, so it meets the same model (delay,
// loss, bandwidth, …) as the UDP transport's datagrams do.
//
//   namespace A (10.77.<n>.1)          this process                 namespace B (10.77.<n>.2)
//   ivxsp2p ⇄ tunrelay ⇄ udp ⇄ Relay face a ─ab model→ face b ⇄ udp ⇄ tunrelay ⇄ ivxsp2p
//
// Needs root (namespaces, TUN, setns) and gcc (the helper is compiled on first use into
// build/p2p/). Namespaces are named ivxs-p2p-<pid>-<n>-{a,b}; close() removes them, an exit
// hook removes them if the process ends first, and openTunLink() removes any left by a dead
// process.
import { spawn, spawnSync, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Relay } from "./link.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SOURCE = join(root, "tests/p2p/tunrelay.c");
const HELPER = join(root, "build/p2p/tunrelay");
const DEVICE = "ivxsp2p";
const NAME = /^ivxs-p2p-(\d+)-\d+-[ab]$/;
// The namespaces this process created and not yet removed: the exit hook's list.
const live = new Set();
let opened = 0;

// { ok: true } or { ok: false, reason } — why TUN links cannot run here.
export function tunAvailable() {
	if (process.platform !== "linux") return { ok: false, reason: "needs Linux (network namespaces, TUN)" };
	if (process.getuid?.() !== 0) return { ok: false, reason: "needs root (network namespaces, TUN devices, setns): run as root, as CI does" };
	if (!existsSync("/dev/net/tun")) return { ok: false, reason: "no /dev/net/tun" };
	const ip = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
	if (ip.status !== 0) return { ok: false, reason: `ip netns does not work: ${(ip.stderr || ip.error?.message || "").trim()}` };
	return { ok: true };
}

function ip(args) {
	return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function removeNamespaces(names) {
	for (const name of names) {
		spawnSync("ip", ["netns", "del", name], { stdio: "ignore" });
		live.delete(name);
	}
}

process.on("exit", () => removeNamespaces([...live]));
// On SIGINT/SIGTERM (a test runner's timeout, ^C): remove them, then die of the same signal.
for (const signal of ["SIGINT", "SIGTERM"]) {
	process.once(signal, () => {
		removeNamespaces([...live]);
		process.kill(process.pid, signal);
	});
}

function alive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (e) {
		return e.code === "EPERM";
	}
}

// Namespaces left behind by a harness that was killed before it could clean up.
export function removeStaleNamespaces() {
	const stale = ip(["netns", "list"]).split("\n").map((l) => l.split(" ")[0])
		.filter((n) => NAME.test(n) && !alive(Number(NAME.exec(n)[1])));
	removeNamespaces(stale);
	return stale;
}

export function compileHelper() {
	if (existsSync(HELPER) && statSync(HELPER).mtimeMs >= statSync(SOURCE).mtimeMs) return HELPER;
	mkdirSync(dirname(HELPER), { recursive: true });
	execFileSync("gcc", ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", SOURCE, "-o", HELPER], { stdio: ["ignore", "pipe", "pipe"] });
	return HELPER;
}

function waitReady(child) {
	return new Promise((resolvePromise, reject) => {
		let stderr = "";
		child.stderr.on("data", (d) => { stderr += d; });
		const lines = createInterface({ input: child.stdout });
		const onExit = (code) => reject(new Error(`tunrelay exited ${code}: ${stderr.trim()}`));
		child.once("exit", onExit);
		lines.once("line", (line) => {
			child.off("exit", onExit);
			const m = /^ready (\d+) (\d+)$/.exec(line);
			if (!m) return reject(new Error(`tunrelay said ${JSON.stringify(line)}`));
			resolvePromise([Number(m[1]), Number(m[2])]);
		});
	});
}

// A NAT in front of side A for UDP over IPv4 (TCP and the rest pass untouched): A's datagrams
// leave with an external source (address, port) from a mapping, and datagrams to that external
// (address, port) come back to A's own. Port-preserving at first. rebind() gives every mapping a
// new external port (and address, if asked), as a NAT that re-maps does: B sees A's datagrams
// from the new source, and what B sends to the old one is dropped as stale_mapping once graceMs
// have passed. Datagrams to an address:port never mapped are dropped as no_mapping.
// Rewritten datagrams carry UDP checksum 0 (allowed for IPv4: "no checksum").
export class UdpNat {
	#inside;
	#external;
	#out = new Map();   // A's port -> external port
	#in = new Map();    // "external address:port" -> { port: A's port, staleAfter }
	#nextPort = 40000;
	rebinds = 0;

	constructor(insideAddress) {
		this.#inside = insideAddress;
		this.#external = insideAddress;
	}

	get external() {
		return this.#external;
	}

	// A → B: rewrite the source.
	outbound(msg) {
		const ihl = udpHeader(msg);
		if (ihl < 0 || ipText(msg, 12) !== this.#inside) return msg;
		const port = msg.readUInt16BE(ihl);
		let external = this.#out.get(port);
		if (external === undefined) {
			external = this.#in.has(`${this.#external}:${port}`) ? this.#allocate() : port;
			this.#map(port, external);
		}
		setIp(msg, 12, this.#external);
		msg.writeUInt16BE(external, ihl);
		msg.writeUInt16BE(0, ihl + 6);
		return msg;
	}

	// B → A: rewrite the destination, or refuse.
	inbound(msg, now) {
		const ihl = udpHeader(msg);
		if (ihl < 0) return msg;
		const entry = this.#in.get(`${ipText(msg, 16)}:${msg.readUInt16BE(ihl + 2)}`);
		if (!entry) return ipText(msg, 16) === this.#inside || ipText(msg, 16) === this.#external ? "no_mapping" : msg;
		if (now >= entry.staleAfter) return "stale_mapping";
		setIp(msg, 16, this.#inside);
		msg.writeUInt16BE(entry.port, ihl + 2);
		msg.writeUInt16BE(0, ihl + 6);
		return msg;
	}

	rebind(now, { address, graceMs = 0 } = {}) {
		for (const entry of this.#in.values()) entry.staleAfter = Math.min(entry.staleAfter, now + graceMs);
		if (address) this.#external = address;
		const ports = [...this.#out.keys()];
		this.#out.clear();
		for (const port of ports) this.#map(port, this.#allocate());
		this.rebinds++;
	}

	#map(port, external) {
		this.#out.set(port, external);
		this.#in.set(`${this.#external}:${external}`, { port, staleAfter: Infinity });
	}

	#allocate() {
		while (this.#in.has(`${this.#external}:${this.#nextPort}`)) this.#nextPort++;
		return this.#nextPort++;
	}
}

// Offset of the UDP header in an IPv4 UDP packet, or -1.
function udpHeader(msg) {
	if (msg.length < 20 || msg[0] >> 4 !== 4 || msg[9] !== 17) return -1;
	const ihl = (msg[0] & 15) * 4;
	return msg.length >= ihl + 8 ? ihl : -1;
}

const ipText = (msg, at) => `${msg[at]}.${msg[at + 1]}.${msg[at + 2]}.${msg[at + 3]}`;

// Writes an IPv4 address into the header and recomputes the header checksum.
function setIp(msg, at, text) {
	text.split(".").forEach((x, i) => { msg[at + i] = Number(x); });
	const ihl = (msg[0] & 15) * 4;
	msg.writeUInt16BE(0, 10);
	let sum = 0;
	for (let i = 0; i < ihl; i += 2) sum += msg.readUInt16BE(i);
	while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
	msg.writeUInt16BE(~sum & 0xffff, 10);
}

// Opens a link: { a, b, relay, nat, rebind, spawn, close }. a and b are { ns, address } (address is
// the IPv4 address inside that namespace); `ab` and `ba` are LinkModel options per direction.
// With nat: true, a UdpNat sits in front of A (link.nat; link.rebind() re-maps it).
export async function openTunLink({ ab = {}, ba = {}, seed = 1, mtu = 1500, nat = false } = {}) {
	const why = tunAvailable();
	if (!why.ok) throw new Error(`TUN link unavailable: ${why.reason}`);
	removeStaleNamespaces();
	const helperPath = compileHelper();
	const n = opened++;
	const subnet = `10.77.${n % 250}`;
	const ns = { a: `ivxs-p2p-${process.pid}-${n}-a`, b: `ivxs-p2p-${process.pid}-${n}-b` };
	const children = new Set();
	let relay = null;
	let helper = null;
	const close = async () => {
		for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
		if (helper && helper.exitCode === null) {
			helper.stdin.end();
			const exited = new Promise((r) => helper.once("exit", r));
			const timer = setTimeout(() => helper.kill("SIGKILL"), 1000);
			await exited;
			clearTimeout(timer);
		}
		await relay?.close();
		removeNamespaces([ns.a, ns.b]);
	};
	try {
		for (const name of [ns.a, ns.b]) {
			ip(["netns", "add", name]);
			live.add(name);
		}
		relay = await Relay.open({ ab, ba, seed });
		helper = spawn(helperPath, [ns.a, ns.b, String(relay.face("a").port), String(relay.face("b").port)], { stdio: ["pipe", "pipe", "pipe"] });
		const [portA, portB] = await waitReady(helper);
		relay.setPeer("a", { address: "127.0.0.1", port: portA });
		relay.setPeer("b", { address: "127.0.0.1", port: portB });
		const addr = { a: `${subnet}.1`, b: `${subnet}.2` };
		for (const side of ["a", "b"]) {
			ip(["-n", ns[side], "link", "set", "lo", "up"]);
			ip(["-n", ns[side], "link", "set", DEVICE, "mtu", String(mtu), "up"]);
			ip(["-n", ns[side], "addr", "add", `${addr[side]}/24`, "dev", DEVICE]);
		}
		const udpNat = nat ? new UdpNat(addr.a) : null;
		if (udpNat) {
			relay.setFilter("ab", (msg) => udpNat.outbound(msg));
			relay.setFilter("ba", (msg, now) => udpNat.inbound(msg, now));
		}
		return {
			a: { ns: ns.a, address: addr.a },
			b: { ns: ns.b, address: addr.b },
			relay,
			nat: udpNat,
			// NAT rebinding (nat: true): A's UDP flows get new external ports, and with
			// newAddress the external address moves to <subnet>.3 (B reaches it through its TUN).
			rebind({ newAddress = false, graceMs = 0 } = {}) {
				if (!udpNat) throw new Error("rebind() needs openTunLink({ nat: true })");
				udpNat.rebind(relay.now(), { address: newAddress ? `${subnet}.${3 + udpNat.rebinds}` : undefined, graceMs });
				return udpNat.external;
			},
			// Runs a program inside a side's namespace; the link kills it on close(). Its stdin is a
			// pipe from this process: programs that exit when it closes (the probes, the benchmark's
			// receivers) do not outlive a harness that was killed.
			spawn(side, cmd, args = [], options = {}) {
				const child = spawn("ip", ["netns", "exec", ns[side], cmd, ...args], { stdio: ["pipe", "pipe", "pipe"], ...options });
				children.add(child);
				child.once("exit", () => children.delete(child));
				return child;
			},
			close,
		};
	} catch (e) {
		await close();
		throw e;
	}
}
