// Probes for the TUN link tests, run inside a namespace:
//   node _probe.mjs server <address> <port>      TCP: echoes every byte; prints {"ready": true}
//   node _probe.mjs rtt <address> <port> <n>     TCP: connect time and n echo round trips (ms)
//   node _probe.mjs bulk <address> <port> <bytes>  TCP: sends bytes, waits for their echo
//   node _probe.mjs udp-server <address> <port> follow|sticky
//        UDP echo to the latest source (follow) or to the first one ever seen (sticky); prints
//        {"ready": true}, then {"source": "addr:port"} for each new source
//   node _probe.mjs udp-pings <address> <port> <n> <gap ms>
//        n pings; prints {"sent": [ns…], "back": [ns or null…]} (CLOCK_MONOTONIC)
// Each client prints one JSON line.
import dgram from "node:dgram";
import net from "node:net";
import { performance } from "node:perf_hooks";

const [mode, address, portText, countText] = process.argv.slice(2);
const port = Number(portText);
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
// A server runs until killed, or until its stdin (held by the harness) closes: it never
// outlives a harness that was killed.
if (mode.endsWith("server")) process.stdin.on("end", () => process.exit(0)).resume();

if (mode === "server") {
	const server = net.createServer((s) => {
		s.setNoDelay(true);
		s.pipe(s);
		s.on("error", () => {});
	});
	server.listen(port, address, () => print({ ready: true }));
} else if (mode === "rtt") {
	const t0 = performance.now();
	const s = net.connect({ host: address, port, noDelay: true }, async () => {
		const connectMs = performance.now() - t0;
		const rtts = [];
		for (let i = 0; i < Number(countText); i++) {
			const t = performance.now();
			await new Promise((r) => {
				s.once("data", r);
				s.write("x");
			});
			rtts.push(performance.now() - t);
			await new Promise((r) => setTimeout(r, 20));
		}
		print({ connectMs, rtts });
		s.end();
	});
} else if (mode === "bulk") {
	const total = Number(countText);
	const t0 = performance.now();
	const s = net.connect({ host: address, port }, () => {
		let back = 0;
		let check = 0;
		let corrupt = false;
		s.on("data", (d) => {
			for (const byte of d) if (byte !== ((check++ * 7) & 0xff)) corrupt = true;
			back += d.length;
			if (back >= total) {
				print({ bytes: back, corrupt, ms: performance.now() - t0 });
				s.end();
			}
		});
		const data = Buffer.alloc(total);
		for (let i = 0; i < total; i++) data[i] = (i * 7) & 0xff;
		s.write(data);
	});
} else if (mode === "udp-server") {
	const s = dgram.createSocket("udp4");
	const seen = [];
	s.on("message", (msg, rinfo) => {
		const from = `${rinfo.address}:${rinfo.port}`;
		if (!seen.includes(from)) {
			seen.push(from);
			print({ source: from });
		}
		const [to, toPort] = (countText === "sticky" ? seen[0] : from).split(":");
		s.send(msg, Number(toPort), to);
	});
	s.bind(port, address, () => print({ ready: true }));
} else if (mode === "udp-pings") {
	const n = Number(countText);
	const gapMs = Number(process.argv[6]);
	const sent = [];
	const back = new Array(n).fill(null);
	const s = dgram.createSocket("udp4");
	s.on("message", (msg) => {
		const i = msg.readUInt32BE(0);
		if (i < n && back[i] === null) back[i] = String(process.hrtime.bigint());
	});
	for (let i = 0; i < n; i++) {
		const msg = Buffer.alloc(64);
		msg.writeUInt32BE(i, 0);
		sent.push(String(process.hrtime.bigint()));
		s.send(msg, port, address);
		await new Promise((r) => setTimeout(r, gapMs));
	}
	await new Promise((r) => setTimeout(r, 300));
	print({ sent, back });
	s.close();
} else {
	process.stderr.write(`unknown mode ${mode}\n`);
	process.exitCode = 2;
}
