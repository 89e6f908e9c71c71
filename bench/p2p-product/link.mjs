// The camera app and a viewer across an emulated link (issue 14 §5): the camera in one network
// namespace, the viewer in another, every IP packet between them through the link emulator
// (tests/p2p/tun.mjs: TUN devices + tests/p2p/link.mjs, user space — this kernel has no netem),
// 30 ms each way (60 ms RTT) at 4 Mbit/s, and the same link with no delay as the baseline. The
// camera runs with `--p2p PORT` (no cloud: its control channel retries in the background), the
// viewer is tests/xs-apps/p2p-script with a ticket minted from the device's secret.
// 1. glass_to_glass_ms — capture → frame delivered to the viewer: the capture stamps each frame
//    with its scheduled time (wall clock, ms), the transport carries the stamp, and the viewer
//    reads the wall clock on arrival (one clock for every namespace of this machine). p50/p90/max over 6 s of live, after 2 s to settle; `added_ms`:
//    the 60-ms link's p50 minus the baseline's (≈ 30 ms one way is the least it can be).
// 2. command_worst — a viewer watching live sends 16 KiB requests (the largest, MAX_COMMAND) one
//    after another over the 60-ms link; each is answered. A session's buffers are allocated with
//    the endpoint (pools: no allocation per viewer); what commands add are the command windows,
//    allocated while a message is under way: the camera's native `p2p` counter (it follows the
//    endpoint's footprint after every call into it) at its peak minus its bytes before any viewer.
//    run.mjs adds a session's own bytes (the levels' figure) for the worst case per viewer.
//    Target (issue 14 §5): ≤ 32 KiB per viewer with commands.
// Needs root (namespaces, TUN): without it, `skipped` says why.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { sleep } from "../lib.mjs";
import { openTunLink, tunAvailable } from "../../tests/p2p/tun.mjs";
import { startCamera } from "./camera.mjs";

const PORT = 47000;
const COMMANDS = 12;

/** One run over a link with `delayMs` each way: the viewer's script results and the camera's probes. */
async function over(root, work, channel, delayMs, log) {
	const model = { delayMs, rateBps: 4e6, queueBytes: 64 * 1024 };
	const link = await openTunLink({ ab: model, ba: model });
	const device = { id: "bench-link", secret: randomBytes(24).toString("hex") };
	const file = join(work, `link-${delayMs}.json`);
	writeFileSync(file, JSON.stringify({ id: device.id, secret: device.secret, cloud: "http://127.0.0.1:9", channels: [channel] }));
	const camera = startCamera(root, ["--device", file, "--seconds", "40", "--p2p", String(PORT), "--memory-probe", "1"], { ns: link.a.ns });
	try {
		await camera.line("viewers on UDP port");
		const base = await camera.probeAfter(Date.now());
		const steps = [{ open: "action=live" }, { wait: 2000 }, { latency: 6000 }, { command: { cmd: "ptz", op: "left" }, padTo: 16384, times: COMMANDS }, { wait: 1500 }];
		const viewer = link.spawn("b", join(root, "build/bin/ivxs"), ["tests/xs-apps/p2p-script", "--", `${link.a.address}:${PORT}`, device.id, device.secret, JSON.stringify(steps)], { cwd: root });
		const results = [];
		let end;
		let watchingAt = 0, commandsAt = 0;
		createInterface({ input: viewer.stdout }).on("line", (line) => {
			if (line.startsWith("@@step ")) {
				const step = JSON.parse(line.slice(7));
				results.push(step);
				if (step.step.latency !== undefined) watchingAt = Date.now();
				if (step.step.command !== undefined) commandsAt = Date.now();
			}
			else if (line.startsWith("@@script ")) end = JSON.parse(line.slice(9));
		});
		await new Promise((resolve) => viewer.once("close", resolve));
		if (!end || end.error) throw new Error(`the viewer over the ${2 * delayMs}-ms link: ${end?.error ?? "no result"}`);
		const latency = results.find((r) => r.step.latency !== undefined)?.result;
		const reply = results.find((r) => r.step.command !== undefined)?.result;
		// the probe while only watching (the latency window's end), and the newest after the commands
		const watching = camera.probes.findLast((p) => p.at <= watchingAt);
		const after = await camera.probeAfter(commandsAt);
		const p2p = (probe) => probe?.native?.p2p ?? { bytes: 0, peak: 0 };
		return {
			latency, reply,
			base: p2p(base).bytes, watching: p2p(watching), after: p2p(after),
		};
	}
	finally {
		await camera.stop();
		await link.close();
	}
}

export async function benchLink(root, work, channel, log) {
	const why = tunAvailable();
	if (!why.ok) return { skipped: why.reason };
	const baseline = await over(root, work, channel, 0, log);
	log(`p2p_product: link rtt 0 ${JSON.stringify(baseline)}`);
	const rtt60 = await over(root, work, channel, 30, log);
	log(`p2p_product: link rtt 60 ${JSON.stringify(rtt60)}`);
	return {
		link: "30 ms each way (60 ms RTT), 4 Mbit/s, 64 KiB queue; baseline: the same link with no delay",
		glass_to_glass_ms: { rtt60: rtt60.latency, rtt0: baseline.latency, added_ms: rtt60.latency.p50 - baseline.latency.p50 },
		command_worst: {
			commands: `${COMMANDS} requests of 16384 bytes one after another while watching live, each answered (the last: ${JSON.stringify(rtt60.reply)})`,
			// above the endpoint's bytes before any viewer: while only watching (the open's CONTROL pair
			// included), and at the peak after the 16 KiB requests
			windows_while_watching_bytes: rtt60.watching.bytes - rtt60.base,
			windows_peak_before_commands_bytes: rtt60.watching.peak - rtt60.base,
			windows_peak_bytes: rtt60.after.peak - rtt60.base,
			endpoint_bytes_before_viewers: rtt60.base,
		},
	};
}
