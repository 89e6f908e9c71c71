// A TCP probe for the TUN link tests, run inside a namespace:
//   node _tcp-probe.mjs server <address> <port>      echoes every byte; prints "ready"
//   node _tcp-probe.mjs rtt <address> <port> <n>     connect time and n echo round trips (ms)
//   node _tcp-probe.mjs bulk <address> <port> <bytes>  sends bytes, waits for their echo
// Each client prints one JSON line.
import net from "node:net";
import { performance } from "node:perf_hooks";

const [mode, address, portText, countText] = process.argv.slice(2);
const port = Number(portText);
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

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
} else {
	process.stderr.write(`unknown mode ${mode}\n`);
	process.exitCode = 2;
}
