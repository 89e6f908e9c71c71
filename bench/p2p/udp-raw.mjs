// A reference datagram transport for the p2p benchmark — NOT the transport of issue 9: each
// frame cut into datagrams of at most 1200 payload bytes, sent at once, never retransmitted, no
// congestion control. It shows what loss does to frames with no recovery at all, and how a
// datagram transport fits the sender/receiver contract of transports.mjs.
//   node udp-raw.mjs receiver --listen <host>:<port> --frames <file>
//   node udp-raw.mjs sender --connect <host>:<port> --frames <file> --fps 15 --seconds 10 --drain-ms 2000
// Datagram: the frame header of frames.mjs (size, seq, capture time, flags), then u16 BE
// fragment index, u16 BE fragment count, then the fragment.
import dgram from "node:dgram";
import { HEADER_BYTES, decodeHeader, encodeHeader, monotonicNs, parseArgs, print, readFramesFile, sleepUntil } from "./frames.mjs";

const CHUNK = 1200;
const [role, ...rest] = process.argv.slice(2);
const o = parseArgs(rest);
const frames = readFramesFile(o.frames);
const now = monotonicNs;

if (role === "receiver") {
	process.stdin.on("end", () => process.exit(0)).resume();
	const [host, port] = o.listen.split(":");
	const socket = dgram.createSocket({ type: "udp4", recvBufferSize: 1 << 20 });
	const partial = new Map();   // seq -> { header, parts[], have }
	const done = new Set();
	socket.on("message", (msg) => {
		if (msg.length < HEADER_BYTES + 4) return;
		const header = decodeHeader(msg);
		const index = msg.readUInt16BE(HEADER_BYTES);
		const count = msg.readUInt16BE(HEADER_BYTES + 2);
		if (done.has(header.seq) || count === 0 || index >= count) return;
		let p = partial.get(header.seq);
		if (!p) partial.set(header.seq, p = { header, parts: new Array(count).fill(null), have: 0 });
		if (p.parts[index]) return;   // a duplicate
		p.parts[index] = msg.subarray(HEADER_BYTES + 4);
		if (++p.have < count) return;
		const payload = Buffer.concat(p.parts);
		partial.delete(header.seq);
		done.add(header.seq);
		print({ seq: header.seq, capture_ns: header.captureNs, recv_ns: now(), bytes: payload.length,
			intact: payload.length === header.size && payload.equals(frames[header.seq % frames.length].payload) });
	});
	socket.bind(Number(port), host, () => print({ ready: true }));
} else if (role === "sender") {
	const [host, port] = o.connect.split(":");
	const fps = Number(o.fps);
	const count = Math.round(Number(o.seconds) * fps);
	const socket = dgram.createSocket({ type: "udp4", sendBufferSize: 1 << 20 });
	await new Promise((r) => socket.connect(Number(port), host, r));
	const start = now() + 50_000_000n;
	for (let seq = 0; seq < count; seq++) {
		const capture = start + BigInt(Math.round((seq * 1e9) / fps));
		await sleepUntil(capture);
		const { payload, key } = frames[seq % frames.length];
		const header = encodeHeader(payload.length, seq, capture, key);
		const parts = Math.max(1, Math.ceil(payload.length / CHUNK));
		for (let i = 0; i < parts; i++) {
			const frag = Buffer.alloc(4);
			frag.writeUInt16BE(i, 0);
			frag.writeUInt16BE(parts, 2);
			socket.send([header, frag, payload.subarray(i * CHUNK, (i + 1) * CHUNK)]);
		}
		print({ seq, capture_ns: capture, bytes: payload.length, key, sent: true });
	}
	await sleepUntil(now() + BigInt(Number(o["drain-ms"]) * 1e6));
	print({ done: true, frames: count });
	socket.close();
} else {
	process.stderr.write("usage: udp-raw.mjs receiver|sender …\n");
	process.exitCode = 2;
}
