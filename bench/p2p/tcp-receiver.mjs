// The TCP baseline's receiver: accepts one connection, reassembles frames from the byte
// stream and prints, per frame, when its last byte arrived and whether its payload matches the
// frames file. Prints {"ready": true} once listening; runs until killed or its stdin closes.
//   node tcp-receiver.mjs --listen <host>:<port> --frames <file>
import net from "node:net";
import { HEADER_BYTES, decodeHeader, parseArgs, print, readFramesFile } from "./frames.mjs";

const o = parseArgs(process.argv.slice(2));
const [host, port] = o.listen.split(":");
const frames = readFramesFile(o.frames);
// The harness holds our stdin: when it goes away (killed), so do we.
process.stdin.on("end", () => process.exit(0)).resume();

const server = net.createServer((socket) => {
	server.close();
	let pending = [];
	let buffered = 0;
	let header = null;
	// Takes n bytes off the front of the pending chunks (n <= buffered).
	const take = (n) => {
		const out = Buffer.concat(pending, buffered);
		pending = out.length > n ? [out.subarray(n)] : [];
		buffered -= n;
		return out.subarray(0, n);
	};
	socket.on("data", (chunk) => {
		const at = process.hrtime.bigint();
		pending.push(chunk);
		buffered += chunk.length;
		for (;;) {
			if (!header) {
				if (buffered < HEADER_BYTES) break;
				header = decodeHeader(take(HEADER_BYTES));
			}
			if (buffered < header.size) break;
			const payload = take(header.size);
			const intact = payload.equals(frames[header.seq % frames.length].payload);
			print({ seq: header.seq, capture_ns: header.captureNs, recv_ns: at, bytes: header.size, intact });
			header = null;
		}
	});
	socket.on("error", () => {});
});
server.listen(Number(port), host, () => print({ ready: true }));
