// TCP across the emulated link (two namespaces, TUN devices, the same relay and model as UDP).
// Needs root: where it is not available the tests are skipped with the reason in their titles;
// CI on this machine runs as root, so they run there.
import test from "ava";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { UdpNat, openTunLink, removeStaleNamespaces } from "./tun.mjs";
import { tunTest } from "./_tun-test.mjs";

const probe = join(dirname(fileURLToPath(import.meta.url)), "_probe.mjs");

const namespaces = () => spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;

// The first JSON line a child prints (rejects if it exits first).
function firstJson(child) {
	return new Promise((resolve, reject) => {
		let stderr = "";
		child.stderr.on("data", (d) => { stderr += d; });
		const lines = createInterface({ input: child.stdout });
		lines.once("line", (line) => resolve(JSON.parse(line)));
		child.once("exit", (code) => reject(new Error(`exited ${code}: ${stderr.trim()}`)));
	});
}

async function withServer(t, options) {
	const link = await openTunLink(options);
	t.teardown(() => link.close());
	await firstJson(link.spawn("b", process.execPath, [probe, "server", link.b.address, "7000"]));
	return link;
}

tunTest("TCP across the TUN link sees the configured delay", async (t) => {
	const link = await withServer(t, { ab: { delayMs: 30 }, ba: { delayMs: 30 } });
	const r = await firstJson(link.spawn("a", process.execPath, [probe, "rtt", link.b.address, "7000", "20"]));
	// connect() returns after SYN → SYN-ACK: one round trip, so at least 60 ms. A single sample has
	// no upper bound (a loaded machine delays one timer by 100 ms now and then); the median of 20
	// echoes below bounds the link from above, under a doubled delay (120 ms).
	t.true(r.connectMs >= 60, `connect ${r.connectMs} ms`);
	const s = [...r.rtts].sort((a, b) => a - b);
	t.log(`connect ${r.connectMs.toFixed(1)} ms, echo RTT min ${s[0].toFixed(1)} median ${s[10].toFixed(1)} max ${s.at(-1).toFixed(1)} ms`);
	t.true(s[0] >= 60, `min RTT ${s[0]}`);
	t.true(s[10] < 100, `median RTT ${s[10]}`);
	const c = link.relay.counters();
	t.true(c.ab.delivered >= 22 && c.ba.delivered >= 22, JSON.stringify(c));
});

tunTest("TCP across a lossy, rate-capped TUN link delivers every byte, no faster than the link", async (t) => {
	const model = { delayMs: 10, loss: 0.05, rateBps: 4e6, queueBytes: 64 * 1024 };
	const link = await withServer(t, { ab: model, ba: model, seed: 5 });
	const bytes = 300_000;
	const r = await firstJson(link.spawn("a", process.execPath, [probe, "bulk", link.b.address, "7000", String(bytes)]));
	t.log(`${bytes} bytes echoed in ${r.ms.toFixed(0)} ms; relay ${JSON.stringify(link.relay.counters().ab.dropped)}`);
	t.is(r.bytes, bytes);
	t.false(r.corrupt);
	// Both directions carry the bytes (echo): each needs bytes × 8 / rate at least.
	t.true(r.ms >= (bytes * 8000) / 4e6, `${r.ms} ms`);
	const c = link.relay.counters();
	t.true(c.ab.dropped.loss > 0 && c.ba.dropped.loss > 0, JSON.stringify(c));
	t.true(c.ab.sentBytes > bytes, "the relay carried whole IP packets");
});

tunTest("closing a TUN link removes its namespaces; namespaces of a dead harness are removed", async (t) => {
	const link = await openTunLink();
	t.true(namespaces().includes(link.a.ns));
	await link.close();
	t.false(namespaces().includes(link.a.ns));
	t.false(namespaces().includes(link.b.ns));
	await link.close();   // a second close is harmless

	const dead = spawn("true");
	await new Promise((r) => dead.once("exit", r));
	const name = `ivxs-p2p-${dead.pid}-0-a`;
	spawnSync("ip", ["netns", "add", name]);
	t.true(namespaces().includes(name));
	t.true(removeStaleNamespaces().includes(name));
	t.false(namespaces().includes(name));
});

// A harness process with a link open, killed by `signal`: what does it leave behind?
async function killHarness(signal) {
	const child = spawn(process.execPath, [join(dirname(probe), "_harness-child.mjs")], { stdio: ["ignore", "pipe", "pipe"] });
	const info = await firstJson(child);
	const gone = new Promise((r) => child.once("exit", r));
	child.kill(signal);
	await gone;
	// The server inside the namespace goes when its stdin (held by the dead harness) closes.
	let serverAlive = true;
	for (let i = 0; i < 50 && serverAlive; i++) {
		await new Promise((r) => setTimeout(r, 20));
		// (`ip netns exec` execs the program: the pid is the server's own. Orphans may stay
		// zombies where PID 1 does not reap them: exited all the same.)
		try {
			serverAlive = readFileSync(`/proc/${info.server}/stat`, "utf8").split(" ")[2] !== "Z";
		} catch {
			serverAlive = false;
		}
	}
	return { ...info, serverAlive };
}

tunTest("a harness killed by SIGTERM removes its namespaces and leaves no process behind", async (t) => {
	const r = await killHarness("SIGTERM");
	t.false(namespaces().includes(r.a));
	t.false(namespaces().includes(r.b));
	t.false(r.serverAlive);
});

tunTest("a harness killed by SIGKILL leaves empty namespaces, which the next link removes", async (t) => {
	t.teardown(() => removeStaleNamespaces());
	const r = await killHarness("SIGKILL");
	t.false(r.serverAlive);
	t.true(namespaces().includes(r.a), "SIGKILL cannot be caught: the names stay until the next openTunLink");
	t.true(removeStaleNamespaces().includes(r.a));
	t.false(namespaces().includes(r.a));
	t.false(namespaces().includes(r.b));
});

// Pings from A through the NAT to a UDP echo server in B; the NAT re-maps half-way.
async function natRun(t, { sticky, newAddress }) {
	const link = await openTunLink({ ab: { delayMs: 5 }, ba: { delayMs: 5 }, nat: true });
	t.teardown(() => link.close());
	const server = link.spawn("b", process.execPath, [probe, "udp-server", link.b.address, "7001", sticky ? "sticky" : "follow"]);
	const sources = [];
	await new Promise((resolve, reject) => {
		createInterface({ input: server.stdout }).on("line", (line) => {
			const o = JSON.parse(line);
			if (o.ready) resolve();
			if (o.source) sources.push(o.source);
		});
		server.once("exit", (code) => reject(new Error(`udp-server exited ${code}`)));
	});
	const pinger = firstJson(link.spawn("a", process.execPath, [probe, "udp-pings", link.b.address, "7001", "60", "20"]));
	// Re-map 300 ms after the first ping reached the server (starting a process in a namespace
	// takes a while on a loaded machine).
	while (sources.length === 0) await new Promise((r) => setTimeout(r, 10));
	await new Promise((r) => setTimeout(r, 300));
	const rebindNs = process.hrtime.bigint();
	const external = link.rebind({ newAddress });
	const { sent, back } = await pinger;
	// Pings sent well before or well after the switch (what is in flight at it may be lost).
	const before = sent.map((s, i) => [BigInt(s), back[i]]).filter(([s]) => s < rebindNs - 100_000_000n);
	const after = sent.map((s, i) => [BigInt(s), back[i]]).filter(([s]) => s > rebindNs + 100_000_000n);
	return { link, sources, external, before, after };
}

tunTest("a NAT rebinding on the TUN link: a UDP peer that follows the new source keeps the flow", async (t) => {
	const { link, sources, external, before, after } = await natRun(t, { sticky: false, newAddress: false });
	t.is(external, link.a.address);   // same address, new port
	t.is(sources.length, 2, sources.join(" "));
	t.true(sources.every((s) => s.startsWith(`${link.a.address}:`)));
	t.true(Number(sources[1].split(":")[1]) >= 40000);
	t.true(before.length >= 5 && before.every(([, b]) => b !== null), `before: ${before.length}, ${before.filter(([, b]) => b === null).length} lost`);
	t.true(after.length >= 10 && after.every(([, b]) => b !== null), `after: ${after.length}, ${after.filter(([, b]) => b === null).length} lost`);
	t.is(link.nat.rebinds, 1);
});

tunTest("a NAT rebinding to a new address on the TUN link: a peer that keeps the old source is cut off", async (t) => {
	const { link, sources, external, before, after } = await natRun(t, { sticky: true, newAddress: true });
	t.not(external, link.a.address);
	t.deepEqual(sources.map((s) => s.split(":")[0]), [link.a.address, external]);
	t.true(before.length >= 5 && before.every(([, b]) => b !== null), `before: ${before.length}, ${before.filter(([, b]) => b === null).length} lost`);
	t.true(after.length >= 10 && after.every(([, b]) => b === null), `after: ${after.length}, ${after.filter(([, b]) => b !== null).length} answered`);
	t.true(link.relay.counters().ba.dropped.stale_mapping >= after.length);
});

// An IPv4 UDP packet (20-byte header with a valid checksum, 8-byte UDP header, 4 bytes).
function udpPacket(src, sport, dst, dport) {
	const p = Buffer.alloc(32);
	p[0] = 0x45;
	p.writeUInt16BE(32, 2);
	p[8] = 64;
	p[9] = 17;
	src.split(".").forEach((x, i) => { p[12 + i] = Number(x); });
	dst.split(".").forEach((x, i) => { p[16 + i] = Number(x); });
	p.writeUInt16BE(sport, 20);
	p.writeUInt16BE(dport, 22);
	p.writeUInt16BE(12, 24);
	p.writeUInt16BE(0x1234, 26);
	p.writeUInt16BE(ipChecksum(p), 10);
	return p;
}

function ipChecksum(p) {
	let sum = 0;
	for (let i = 0; i < 20; i += 2) if (i !== 10) sum += p.readUInt16BE(i);
	while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
	return ~sum & 0xffff;
}

const ip = (p, at) => [...p.subarray(at, at + 4)].join(".");

test("UdpNat: maps A's flows, re-maps them on rebind, refuses stale and unmapped destinations", (t) => {
	const nat = new UdpNat("10.77.0.1");
	const out = nat.outbound(udpPacket("10.77.0.1", 5000, "10.77.0.2", 7000));
	t.is(out.readUInt16BE(20), 5000);   // port-preserving at first
	t.is(out.readUInt16BE(26), 0);      // checksum "none"
	const back = nat.inbound(udpPacket("10.77.0.2", 7000, "10.77.0.1", 5000), 0);
	t.is(back.readUInt16BE(22), 5000);
	t.is(nat.inbound(udpPacket("10.77.0.2", 7000, "10.77.0.1", 5001), 0), "no_mapping");
	// A packet not from A, or not UDP, passes untouched.
	const other = udpPacket("10.77.0.9", 1, "10.77.0.2", 2);
	t.is(nat.outbound(Buffer.from(other)).compare(other), 0);
	const tcp = udpPacket("10.77.0.1", 5000, "10.77.0.2", 7000);
	tcp[9] = 6;
	t.is(nat.outbound(Buffer.from(tcp)).compare(tcp), 0);

	nat.rebind(100, { address: "10.77.0.3", graceMs: 50 });
	const moved = nat.outbound(udpPacket("10.77.0.1", 5000, "10.77.0.2", 7000));
	t.is(ip(moved, 12), "10.77.0.3");
	t.true(moved.readUInt16BE(20) >= 40000);
	t.is(moved.readUInt16BE(10), ipChecksum(moved), "the IP header checksum is recomputed");
	const toNew = nat.inbound(udpPacket("10.77.0.2", 7000, "10.77.0.3", moved.readUInt16BE(20)), 200);
	t.is(ip(toNew, 16), "10.77.0.1");
	t.is(toNew.readUInt16BE(22), 5000);
	t.is(toNew.readUInt16BE(10), ipChecksum(toNew));
	// The old mapping: alive during the grace period, stale after it.
	t.not(typeof nat.inbound(udpPacket("10.77.0.2", 7000, "10.77.0.1", 5000), 120), "string");
	t.is(nat.inbound(udpPacket("10.77.0.2", 7000, "10.77.0.1", 5000), 150), "stale_mapping");
});
