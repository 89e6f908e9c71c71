// TCP across the emulated link (two namespaces, TUN devices, the same relay and model as UDP).
// Needs root: where it is not available the tests are skipped with the reason in their titles;
// CI on this machine runs as root, so they run there.
import test from "ava";
import { spawn, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { openTunLink, removeStaleNamespaces, tunAvailable } from "./tun.mjs";

const probe = join(dirname(fileURLToPath(import.meta.url)), "_tcp-probe.mjs");
const available = tunAvailable();
const tunTest = available.ok ? test.serial : (title) => test.skip(`${title} — SKIPPED: ${available.reason}`, () => {});

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
	// connect() returns after SYN → SYN-ACK: one round trip.
	// Upper bounds are loose (a loaded machine delays timers) but below a doubled delay (120 ms).
	t.true(r.connectMs >= 60 && r.connectMs < 110, `connect ${r.connectMs} ms`);
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
