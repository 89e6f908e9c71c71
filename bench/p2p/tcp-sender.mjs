// The TCP baseline's sender (the "sender" half of a transport, see transports.mjs): connects,
// then writes one frame every 1/fps s — header (frames.mjs) + access unit, the frames file
// looped — as a live camera would, whatever the socket's backlog: plain TCP has no way to drop
// stale video, so what the link cannot carry waits in the socket. Prints one JSON line per
// frame and a last {"done": true, …} after --drain-ms.
//   node tcp-sender.mjs --connect <host>:<port> --frames <file> --fps 15 --seconds 10 --drain-ms 2000
import net from "node:net";
import { encodeHeader, monotonicNs, parseArgs, print, readFramesFile, sleepUntil } from "./frames.mjs";

const o = parseArgs(process.argv.slice(2));
const [host, port] = o.connect.split(":");
const frames = readFramesFile(o.frames);
const fps = Number(o.fps);
const count = Math.round(Number(o.seconds) * fps);
const now = monotonicNs;

const t0 = now();
const socket = net.connect({ host, port: Number(port), noDelay: true });
socket.on("error", (e) => {
	process.stderr.write(`tcp-sender: ${e.message}\n`);
	process.exit(1);
});
await new Promise((r) => socket.once("connect", r));
print({ connected: true, connect_ms: Number(now() - t0) / 1e6 });
const cpu0 = process.cpuUsage();

const start = now() + 50_000_000n;
const periodNs = 1e9 / fps;
for (let seq = 0; seq < count; seq++) {
	const capture = start + BigInt(Math.round(seq * periodNs));
	await sleepUntil(capture);
	const { payload, key } = frames[seq % frames.length];
	socket.cork();
	socket.write(encodeHeader(payload.length, seq, capture, key));
	socket.write(payload);
	socket.uncork();
	print({ seq, capture_ns: capture, bytes: payload.length, key, sent: true, backlog_bytes: socket.writableLength });
}
await sleepUntil(now() + BigInt(Number(o["drain-ms"]) * 1e6));
// CPU of this process (Node and the kernel's TCP work done in its system calls) from the connection on.
const cpu = process.cpuUsage(cpu0);
print({ done: true, frames: count, unsent_bytes: socket.writableLength, cpu_ms: (cpu.user + cpu.system) / 1000, max_rss_kb: process.resourceUsage().maxRSS });
socket.destroy();
