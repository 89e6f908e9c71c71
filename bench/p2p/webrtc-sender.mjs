// The WebRTC transport's sender (transports.mjs "webrtc"), in the link's namespace A: the signalling
// a viewer's page would do through the cloud, done here over HTTP to the receiver
// (webrtc-receiver.mjs) across the same emulated link — GET its offer, hand it to the camera's
// WebRTC endpoint on XS (bench/xs/webrtc-link-sender.js), POST the answer back, then POST the
// frame schedule's start once ICE and DTLS are up — and the camera's lines turned into the
// contract's: capture_ns = the frame's capture time (ms, CLOCK_MONOTONIC: what the RTP timestamp
// carries) in ns; the done line with the XS process's CPU time and peak RSS (/proc, read before it exits).
import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs, print } from "./frames.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const o = parseArgs(process.argv.slice(2));
const base = `http://${o.connect}`;

/** An HTTP request to the receiver; retried while it is not listening yet. */
async function call(path, body) {
	for (let attempt = 0; ; attempt++) {
		try {
			const response = await fetch(`${base}${path}`, body === undefined ? {} : { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });
			if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
			return await response.text();
		} catch (error) {
			if (attempt >= 20 || /HTTP/.test(error.message)) throw error;
			await new Promise((r) => setTimeout(r, 250));
		}
	}
}

/** The process's CPU time (user + system, ms) and peak RSS (kB) from /proc. */
function usage(pid) {
	const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
	const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
	const ticks = Number(fields[11]) + Number(fields[12]);   // utime, stime (fields 14, 15)
	const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
	return { cpu_ms: (ticks * 1000) / 100, max_rss_kb: hwm ? Number(hwm[1]) : null };   // USER_HZ is 100 on Linux
}

const dir = mkdtempSync(join(tmpdir(), "ivxs-webrtc-bench-"));
const offerFile = join(dir, "offer.sdp");
writeFileSync(offerFile, await call("/offer"));
const camera = spawn(join(root, "build/bin/ivxs"), ["-m", "bench/xs", "-m", "build/ts", "-m", "build/mods", "webrtc-link-sender", "--",
	offerFile, o.frames, o.fps, o.seconds, o["drain-ms"]], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
const exited = new Promise((r) => camera.once("exit", r));
for await (const line of createInterface({ input: camera.stdout })) {
	let m;
	try {
		m = JSON.parse(line);
	} catch {
		process.stderr.write(`${line}\n`);   // the endpoint's log (IVXS_P2P_WEBRTC_LOG: also to that file)
		if (process.env.IVXS_P2P_WEBRTC_LOG) appendFileSync(process.env.IVXS_P2P_WEBRTC_LOG, `${line}\n`);
		continue;
	}
	if (m.answer) await call("/answer", m.answer);
	else if (m.connected) {
		await call("/start", { start_ms: m.start_ms, fps: Number(o.fps) });
		print({ connected: true, connect_ms: m.connect_ms });
	}
	else if (m.seq !== undefined) print({ seq: m.seq, capture_ns: `${m.capture_ms}000000`, bytes: m.bytes, key: m.key, sent: m.sent });
	else if (m.drained) {
		const { drained, ...figures } = m;
		print({ done: true, ...usage(camera.pid), ...figures });
	}
}
const code = await exited;
rmSync(dir, { recursive: true, force: true });
process.exit(code ?? 1);
