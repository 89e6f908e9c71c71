// Recovery after a NAT rebinding, for the "udp" transport (bench/p2p/udp-p2p.c): the camera
// (side A) streams to the viewer (side B) across a TUN link with a UDP NAT in front of A
// (tests/p2p/tun.mjs, openTunLink({ nat: true })); mid-stream the NAT re-maps A's flow to a new
// external address and port with no grace (graceMs 0: what the viewer sends to the old mapping
// is dropped from then on). The session must continue on the connection ids: the viewer moves it
// to the new address on the first authenticated packet from there (IVXS_P2P_EV_ADDR_CHANGED), and
// its acknowledgements reach the camera again.
//
// Figures (all from CLOCK_MONOTONIC, shared by the namespaces):
//   addr_changed_ms: rebind → the viewer's core moved the session (one authenticated packet
//     from the new path);
//   first_frame_ms: rebind → arrival of the first frame captured after the rebind (includes
//     that frame's own latency; compare latency_before_p50_ms);
//   max_gap_ms: the longest pause between frame arrivals from 1 s before to 2 s after the
//     rebind, beside the longest before it (max_gap_before_ms): the stall the rebinding caused;
//   frames lost, whether the session stayed open (no new handshake), the camera's acknowledged
//   frames (acks only reach it over the new mapping after the rebind).
import { createInterface } from "node:readline";
import { openTunLink } from "../../tests/p2p/tun.mjs";
import { udp } from "./transports.mjs";

const PORT = 7500;
const FPS = 15;

function collect(child, into) {
	createInterface({ input: child.stdout }).on("line", (line) => {
		try {
			into.push(JSON.parse(line));
		} catch {
			into.push({ unparsed: line });
		}
	});
	let stderr = "";
	child.stderr.on("data", (d) => { stderr += d; });
	return () => stderr.trim();
}

const ms = (ns) => Number(ns) / 1e6;
const round = (x, d = 1) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);

// One stream with one rebinding; returns the figures above and the raw outcome.
export async function runRebind({ model = { delayMs: 30 }, seconds = 6, rebindAtS = 3, drainMs = 1000, seed = 77, framesFile, newAddress = true } = {}) {
	const link = await openTunLink({ ab: model, ba: model, seed, nat: true });
	try {
		const rlines = [];
		const slines = [];
		const listen = `${link.b.address}:${PORT}`;
		const [rcmd, ...rargs] = udp.receiver({ listen, frames: framesFile });
		const receiver = link.spawn("b", rcmd, rargs);
		const receiverErr = collect(receiver, rlines);
		await new Promise((resolve, reject) => {
			const timer = setInterval(() => {
				if (rlines.some((o) => o.ready)) {
					clearInterval(timer);
					resolve();
				}
			}, 10);
			receiver.once("exit", (code) => {
				clearInterval(timer);
				reject(new Error(`udp receiver exited ${code}: ${receiverErr()}`));
			});
		});
		const [scmd, ...sargs] = udp.sender({ connect: listen, frames: framesFile, fps: FPS, seconds, drainMs });
		const sender = link.spawn("a", scmd, sargs);
		const senderErr = collect(sender, slines);
		const exited = new Promise((resolve) => sender.once("exit", resolve));
		// rebind rebindAtS after the first frame's capture (the sender starts 50 ms after connecting)
		while (!slines.some((o) => o.connected)) {
			if (sender.exitCode !== null) throw new Error(`udp sender exited ${sender.exitCode}: ${senderErr()}`);
			await new Promise((r) => setTimeout(r, 5));
		}
		await new Promise((r) => setTimeout(r, 50 + rebindAtS * 1000));
		const rebindNs = process.hrtime.bigint();
		const external = link.rebind({ newAddress, graceMs: 0 });
		const timeout = setTimeout(() => sender.kill("SIGKILL"), (seconds + 10) * 1000 + drainMs);
		const code = await exited;
		clearTimeout(timeout);
		const done = slines.find((o) => o.done);
		if (code !== 0 || !done) throw new Error(`udp sender exited ${code} ${done ? "" : "without its done line"}: ${senderErr()}`);
		await new Promise((r) => setTimeout(r, 100));
		const frames = rlines.filter((o) => o.seq !== undefined);
		const events = rlines.filter((o) => o.event);
		const scheduled = slines.filter((o) => o.seq !== undefined);
		const arrivals = frames.map((f) => BigInt(f.recv_ns)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
		const gaps = (from, to) => {
			let max = 0;
			for (let i = 1; i < arrivals.length; i++) if (arrivals[i] > from && arrivals[i - 1] < to) max = Math.max(max, ms(arrivals[i] - arrivals[i - 1]));
			return max;
		};
		const latencyBefore = frames.filter((f) => BigInt(f.capture_ns) < rebindNs).map((f) => ms(BigInt(f.recv_ns) - BigInt(f.capture_ns))).sort((a, b) => a - b);
		const after = frames.filter((f) => BigInt(f.capture_ns) >= rebindNs);
		const firstAfter = after.length ? after.reduce((a, f) => (BigInt(f.recv_ns) < a ? BigInt(f.recv_ns) : a), BigInt(after[0].recv_ns)) : null;
		const moved = events.find((e) => e.event === "addr_changed" && BigInt(e.at_ns) >= rebindNs);
		const s = 1_000_000_000n;
		return {
			link: model,
			rebind_at_s: rebindAtS,
			new_external: external,
			addr_changed_ms: moved ? round(ms(BigInt(moved.at_ns) - rebindNs)) : null,
			first_frame_ms: firstAfter === null ? null : round(ms(firstAfter - rebindNs)),
			latency_before_p50_ms: round(latencyBefore[Math.floor(latencyBefore.length / 2)]),
			max_gap_ms: round(gaps(rebindNs - s, rebindNs + 2n * s)),
			max_gap_before_ms: round(gaps(0n, rebindNs - s)),
			frames_scheduled: scheduled.length,
			frames_received: frames.filter((f) => f.intact).length,
			frames_after_rebind: scheduled.filter((o) => BigInt(o.capture_ns) >= rebindNs).length,
			frames_after_rebind_received: after.filter((f) => f.intact).length,
			handshakes: events.filter((e) => e.event === "connected").length,
			closed_events: events.filter((e) => e.event === "closed").length,
			session_open_at_end: done.session_open,
			camera_frames_acked: done.frames_acked,
			nat_dropped: { stale_mapping: link.relay.counters().ba.dropped.stale_mapping, no_mapping: link.relay.counters().ba.dropped.no_mapping },
		};
	} finally {
		await link.close();
	}
}

// The bench figure: a clean 60 ms RTT link, and the benchmark's 1.25x / 5 % loss link.
export async function benchRebind({ framesFile, model, log = () => {} }) {
	const out = {};
	for (const [name, m] of Object.entries({ rtt60_nocap_loss0: { delayMs: 30 }, "rtt60_bw1.25x_loss5": model })) {
		log(`p2p: udp NAT rebinding over ${name}`);
		try {
			out[name] = await runRebind({ model: m, framesFile });
		} catch (e) {
			out[name] = { error: e.message };
		}
	}
	return out;
}
