// The p2p section of `node bench/run.mjs p2p`: live video over each transport of
// bench/p2p/transports.mjs across the same emulated links (tests/p2p/tun.mjs: two network
// namespaces joined through the link emulator), one fresh link per (transport, link) pair.
//
// Stream: fixtures/media/h264-main-640x480.h264 (60 access units, 15 fps, GOP 15), looped,
// one frame every 1/15 s for `seconds`; its payload bitrate sets the link rates.
// Links (both directions alike, so acknowledgements cross the same loss and cap):
//   60 ms RTT (30 ms each way), rate 1.25× the stream with 0 %, 2 %, 5 % random loss and 5 %
//   bursty loss (Gilbert–Elliott, mean burst 4 packets); 0 % loss at 0.8× the stream; and 5 %
//   random loss with no rate cap (the loss alone). The rate cap's drop-tail queue holds 500 ms at
//   the link rate but at least 10 full-size packets (15 000 B): at these low rates 500 ms is
//   under 4 packets, less than any real bottleneck buffers, and a key frame alone is 3.
//   The rates are of the payload: IP/TCP headers and the frame header take ~12 % of the link.
// Per run: frame latency = time the frame's last byte arrived − its capture time (carried
// with the frame); frames never received count as infinitely late (they are in the
// percentiles, never left out); on time = received within DEADLINE_MS of capture, as a share
// of all frames scheduled; decodable on time = on time and every frame back to its key frame
// received whole (issue 19: a frame a decoder cannot use does not count); goodput = payload bytes of intact frames received / the longer of the
// stream's duration and (last arrival − first capture).
// Each link also gets a "floor": what a perfect transport would score (no header bytes, no
// loss, frames sent back to back at the link rate in capture order, plus the one-way delay) —
// no transport can beat it, so a target below it cannot be met with this stream.
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { burstyLoss } from "../../tests/p2p/link.mjs";
import { openTunLink, tunAvailable } from "../../tests/p2p/tun.mjs";
import { FIXTURE, writeFixtureFrames } from "./frames.mjs";
import { selectTransports } from "./transports.mjs";
import { benchRebind } from "./udp-rebind.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const FPS = 15;
export const DEADLINE_MS = 400;
const RTT_MS = 60;
const QUEUE_MS = 500;
const QUEUE_MIN_BYTES = 15000;
const PORT = 7400;

const round = (x, d = 1) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);

export function links(bitrateBps) {
	const model = (rateFactor, extra = {}) => {
		const rateBps = rateFactor ? rateFactor * bitrateBps : Infinity;
		return {
			delayMs: RTT_MS / 2,
			...(rateFactor ? { rateBps, queueBytes: Math.max(QUEUE_MIN_BYTES, Math.round((rateBps * QUEUE_MS) / 8000)) } : {}),
			...extra,
		};
	};
	return [
		{ name: "rtt60_bw1.25x_loss0", rateFactor: 1.25, model: model(1.25) },
		{ name: "rtt60_bw1.25x_loss2", rateFactor: 1.25, model: model(1.25, { loss: 0.02 }) },
		{ name: "rtt60_bw1.25x_loss5", rateFactor: 1.25, model: model(1.25, { loss: 0.05 }) },
		{ name: "rtt60_bw1.25x_bursty5", rateFactor: 1.25, model: model(1.25, { ge: burstyLoss(0.05, 4) }) },
		{ name: "rtt60_bw0.8x_loss0", rateFactor: 0.8, model: model(0.8) },
		{ name: "rtt60_nocap_loss5", rateFactor: null, model: model(null, { loss: 0.05 }) },
	];
}

// Nearest-rank percentile; Infinity (a frame never received) sorts last.
function percentile(sortedValues, p) {
	return sortedValues[Math.max(0, Math.ceil((p / 100) * sortedValues.length) - 1)];
}

function lines(child, onLine) {
	createInterface({ input: child.stdout }).on("line", (line) => {
		if (!line.trim()) return;
		try {
			onLine(JSON.parse(line));
		} catch {
			onLine({ unparsed: line });
		}
	});
	let stderr = "";
	child.stderr.on("data", (d) => { stderr += d; });
	return () => stderr.trim();
}

function exited(child, timeoutMs, what) {
	return new Promise((resolvePromise, reject) => {
		if (child.exitCode !== null) return resolvePromise(child.exitCode);
		const timer = setTimeout(() => {
			child.kill("SIGKILL");
			reject(new Error(`${what} did not finish within ${timeoutMs} ms`));
		}, timeoutMs);
		child.once("exit", (code) => {
			clearTimeout(timer);
			resolvePromise(code);
		});
	});
}

function tcpCounters(link) {
	const text = spawnSync("ip", ["netns", "exec", link.a.ns, "cat", "/proc/net/snmp"], { encoding: "utf8" }).stdout;
	const rows = text.split("\n").filter((l) => l.startsWith("Tcp:"));
	if (rows.length < 2) return {};
	const keys = rows[0].split(/\s+/).slice(1);
	const values = rows[1].split(/\s+/).slice(1).map(Number);
	const get = (k) => values[keys.indexOf(k)];
	return { segments_out: get("OutSegs"), retransmitted: get("RetransSegs") };
}

// One transport over one link; returns the figures.
export async function runOne(transport, linkSpec, { framesFile, seconds, drainMs, seed }) {
	const link = await openTunLink({ ab: linkSpec.model, ba: linkSpec.model, seed });
	try {
		const setup = transport.setup?.(link) ?? {};
		const listen = `${link.b.address}:${PORT}`;
		const received = new Map();
		const receiverLines = [];
		const [rcmd, ...rargs] = transport.receiver({ listen, frames: framesFile });
		const receiver = link.spawn("b", rcmd, rargs);
		const ready = new Promise((resolvePromise, reject) => {
			receiver.once("exit", (code) => reject(new Error(`${transport.name} receiver exited ${code}: ${receiverStderr()}`)));
			const receiverStderr = lines(receiver, (o) => {
				if (o.ready) return resolvePromise();
				if (o.seq === undefined) return receiverLines.push(o);
				if (!received.has(o.seq)) received.set(o.seq, o);
			});
		});
		await ready;
		const sent = [];
		let done = null;
		let connected = null;
		const [scmd, ...sargs] = transport.sender({ connect: listen, frames: framesFile, fps: FPS, seconds, drainMs });
		const sender = link.spawn("a", scmd, sargs);
		const senderStderr = lines(sender, (o) => {
			if (o.connected) connected = o;
			else if (o.done) done = o;
			else if (o.seq !== undefined) sent.push(o);
		});
		const code = await exited(sender, (seconds + 15) * 1000 + drainMs, `${transport.name} sender`);
		if (code !== 0 || !done) throw new Error(`${transport.name} sender exited ${code} ${done ? "" : "without its done line"}: ${senderStderr()}`);
		await new Promise((r) => setTimeout(r, 100));
		receiver.kill("SIGTERM");
		const tcp = transport.name.startsWith("tcp") ? tcpCounters(link) : undefined;
		return summarise({ transport, linkSpec, sent, received, done, connected, setup, relay: link.relay.counters(), tcp, seconds });
	} finally {
		await link.close();
	}
}

function summarise({ sent, received, done, connected, setup, relay, tcp, seconds }) {
	const scheduled = Math.round(seconds * FPS);
	if (sent.length !== scheduled) throw new Error(`sender reported ${sent.length} frames, ${scheduled} scheduled`);
	const latencies = [];
	let intact = 0;
	let corrupt = 0;
	let onTime = 0;
	let goodBytes = 0;
	let onTimeBytes = 0;
	let wrongStamp = 0;
	const keyLatencies = [];
	let lastArrival = 0n;
	// decodable on time: on time, and every frame back to its key frame arrived whole (a frame a
	// decoder cannot use does not count; sent is in capture order)
	let chain = false;
	let decodable = 0;
	for (const s of sent) {
		const r = received.get(s.seq);
		chain = (s.key || chain) && Boolean(r?.intact);
		if (r?.intact && chain && Number(BigInt(r.recv_ns) - BigInt(r.capture_ns)) / 1e6 <= DEADLINE_MS) decodable++;
		if (!r) {
			latencies.push(Infinity);
			continue;
		}
		if (r.capture_ns !== s.capture_ns) wrongStamp++;
		const ms = Number(BigInt(r.recv_ns) - BigInt(r.capture_ns)) / 1e6;
		latencies.push(r.intact ? ms : Infinity);
		if (!r.intact) {
			corrupt++;
			continue;
		}
		intact++;
		goodBytes += r.bytes;
		if (BigInt(r.recv_ns) > lastArrival) lastArrival = BigInt(r.recv_ns);
		if (s.key) keyLatencies.push(ms);
		if (ms <= DEADLINE_MS) {
			onTime++;
			onTimeBytes += r.bytes;
		}
	}
	if (wrongStamp) throw new Error(`${wrongStamp} frames arrived with a capture time the sender did not send`);
	const all = [...latencies].sort((a, b) => a - b);
	const got = all.filter(Number.isFinite);
	const payloadBytes = sent.reduce((n, s) => n + s.bytes, 0);
	// Goodput over the stream's duration, or over longer when the last frame came later (a
	// backlog that drains after the stream is not extra throughput; a stall is not left out).
	const span = Math.max(seconds, lastArrival ? Number(lastArrival - BigInt(sent[0].capture_ns)) / 1e9 : 0);
	return {
		frames: scheduled,
		frames_sent: sent.filter((s) => s.sent).length,
		frames_received: intact,
		frames_corrupt: corrupt,
		frames_on_time: onTime,
		on_time_share: round(onTime / scheduled, 4),
		decodable_on_time_share: round(decodable / scheduled, 4),
		latency_ms: {
			note: "all scheduled frames; null = a frame never received by the end of the run",
			p50: round(percentile(all, 50)), p95: round(percentile(all, 95)), p99: round(percentile(all, 99)),
			max: round(all.at(-1)),
			mean_received: round(got.reduce((a, b) => a + b, 0) / (got.length || 1)),
			min_received: round(got[0]),
			key_frames_p50: round(percentile([...keyLatencies].sort((a, b) => a - b), 50)),
		},
		goodput_kbps: round((goodBytes * 8) / span / 1000, 2),
		on_time_goodput_kbps: round((onTimeBytes * 8) / seconds / 1000, 2),
		stream_kbps: round((payloadBytes * 8) / seconds / 1000, 2),
		wire_bytes_per_payload_byte: round(relay.ab.sentBytes / payloadBytes, 3),
		handshake_ms: connected ? round(connected.connect_ms, 1) : null,
		// The relay's own lateness (timers, a loaded event loop): added to every latency above.
		emulator_late_ms: { mean: round(relay.ab.lateMsTotal / (relay.ab.delivered || 1), 2), max: round(relay.ab.lateMsMax, 1) },
		sender: Object.fromEntries(Object.entries(done).filter(([k]) => k !== "done")),
		...setup,
		...(tcp ? { tcp } : {}),
		link_counters: relay,
	};
}

// The lower bound of frame latency on a link (see the header): computed, not measured.
export function floorOf(frames, linkSpec, seconds) {
	const count = Math.round(seconds * FPS);
	const rate = linkSpec.model.rateBps ?? Infinity;
	const all = [];
	let free = 0;
	for (let seq = 0; seq < count; seq++) {
		const capture = (1000 * seq) / FPS;
		free = Math.max(capture, free) + (frames[seq % frames.length].payload.length * 8000) / rate;
		all.push(free - capture + (linkSpec.model.delayMs ?? 0));
	}
	all.sort((a, b) => a - b);
	const onTime = all.filter((x) => x <= DEADLINE_MS).length;
	return {
		latency_ms: { p50: round(percentile(all, 50)), p95: round(percentile(all, 95)), p99: round(percentile(all, 99)), max: round(all.at(-1)) },
		on_time_share: round(onTime / count, 4),
	};
}

// The issue's aims, judged only against a UDP transport (TCP is the baseline they compare with).
function judge(results, linkList) {
	const has = (name) => linkList.some((l) => results[l.name]?.[name] && !results[l.name][name].error);
	if (!has("udp")) return { meets: null, verdict: "not judged: the targets are for the UDP transport (add an entry named \"udp\" to bench/p2p/transports.mjs)" };
	const checks = [];
	const at = results["rtt60_bw1.25x_loss5"];
	if (at?.udp && at?.tcp) {
		checks.push({ what: "udp p95 <= 250 ms at 5 % loss, 60 ms RTT, 1.25x", value: at.udp.latency_ms.p95, meets: at.udp.latency_ms.p95 !== null && at.udp.latency_ms.p95 <= 250 });
		const ratio = at.tcp.latency_ms.p99 === null ? Infinity : at.tcp.latency_ms.p99 / at.udp.latency_ms.p99;
		checks.push({ what: "tcp p99 / udp p99 >= 3 at 5 % loss, 60 ms RTT, 1.25x", value: round(ratio, 2), meets: at.udp.latency_ms.p99 !== null && ratio >= 3 });
	}
	for (const l of linkList.filter((x) => x.rateFactor === null || x.rateFactor >= 1.25)) {
		const u = results[l.name]?.udp;
		if (u) checks.push({ what: `udp on time >= 95 % (${l.name})`, value: u.on_time_share, meets: u.on_time_share >= 0.95 });
	}
	return { checks, meets: checks.length > 0 && checks.every((c) => c.meets) };
}

export async function benchP2p({ log = () => {}, seconds = 10, drainMs = 2000 } = {}) {
	// Like the capture section without its source: not measurable here, said so, not judged.
	const why = tunAvailable();
	if (!why.ok) return { skipped: why.reason, meets: null };
	const framesFile = join(root, "build/bench/p2p-frames.bin");
	const frames = await writeFixtureFrames(framesFile);
	const bitrateBps = (frames.reduce((n, f) => n + f.payload.length, 0) * 8 * FPS) / frames.length;
	// IVXS_P2P_LINKS=name,name: only those links (to iterate on one); the NAT rebinding run is skipped then
	const linkList = links(bitrateBps).filter((l) => !process.env.IVXS_P2P_LINKS || process.env.IVXS_P2P_LINKS.split(",").includes(l.name));
	const chosen = selectTransports();
	const results = {};
	const table = [];
	const row = (l, name, r) => `${l.name.padEnd(22)} ${name.padEnd(8)} p50 ${String(r.latency_ms.p50).padStart(7)} p95 ${String(r.latency_ms.p95).padStart(7)} p99 ${String(r.latency_ms.p99).padStart(7)} ms  on time ${(100 * r.on_time_share).toFixed(1).padStart(5)} %${r.decodable_on_time_share === undefined ? "" : ` decodable ${(100 * r.decodable_on_time_share).toFixed(1).padStart(5)} %`}${r.goodput_kbps === undefined ? "" : `  goodput ${r.goodput_kbps} kbit/s`}`;
	for (const [i, l] of linkList.entries()) {
		results[l.name] = { floor: floorOf(frames, l, seconds) };
		table.push(row(l, "floor", results[l.name].floor));
		for (const t of chosen) {
			const ok = t.available();
			if (!ok.ok) {
				results[l.name][t.name] = { error: `unavailable: ${ok.reason}` };
				continue;
			}
			log(`p2p: ${t.name} over ${l.name} (${seconds} s + ${drainMs} ms drain)`);
			try {
				const r = await runOne(t, l, { framesFile, seconds, drainMs, seed: 1000 + i });
				results[l.name][t.name] = r;
				table.push(row(l, t.name, r));
			} catch (e) {
				log(`p2p: ${t.name} over ${l.name} FAILED: ${e.message}`);
				results[l.name][t.name] = { error: e.message };
			}
		}
	}
	const verdict = judge(results, linkList);
	// Recovery after a NAT rebinding (bench/p2p/udp-rebind.mjs), for the UDP transport only.
	const rebinding = !process.env.IVXS_P2P_LINKS && chosen.some((t) => t.name === "udp") ? await benchRebind({ framesFile, model: linkList.find((l) => l.name === "rtt60_bw1.25x_loss5").model, log }) : undefined;
	return {
		stream: { fixture: FIXTURE, fps: FPS, frames_in_file: frames.length, key_frames_in_file: frames.filter((f) => f.key).length,
			payload_kbps: round(bitrateBps / 1000, 2), seconds_per_run: seconds, drain_ms: drainMs },
		deadline_ms: DEADLINE_MS,
		method: "fresh TUN link per run (tests/p2p/tun.mjs); latency = last byte received − capture time (CLOCK_MONOTONIC, carried with the frame); frames not received count as infinite latency",
		links: Object.fromEntries(linkList.map((l) => [l.name, l.model])),
		transports: Object.fromEntries(chosen.map((t) => [t.name, t.description])),
		table,
		results,
		...(rebinding ? { udp_nat_rebinding: rebinding } : {}),
		target: "udp: p95 <= 250 ms and p99 3x lower than tcp at 5 % loss, 60 ms RTT, 1.25x; on time >= 95 % on links >= 1.25x",
		...verdict,
	};
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const seconds = Number(process.env.IVXS_P2P_SECONDS ?? 10);
	benchP2p({ log: (m) => process.stderr.write(`[bench] ${m}\n`), seconds })
		.then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
		.catch((e) => { process.stderr.write(`${e.stack}\n`); process.exitCode = 1; });
}
