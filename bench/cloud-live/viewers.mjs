/*
 * The live-viewer load generator (bench/cloud-live/run.mjs runs it in its own process, pinned to the
 * core the cloud does not use): ONE camera uploading a 1-s segment every second through the real
 * signed ingest, and N viewers of its live playlist, each a keep-alive connection doing what hls.js
 * does in low-latency mode: a plain reload first, then blocking reloads for the next segment
 * (`_HLS_msn` = newest + 1), one after the other.
 *
 *   node bench/cloud-live/viewers.mjs --cloud URL --device ID --secret S --playlist SIGNED_PATH \
 *       --viewers N --seconds S
 *
 * Latency of a segment for a viewer: from the moment the camera sent the segment (its PUT, 1-s of
 * fMP4, ~20 KB, over loopback) to the moment that viewer holds a playlist that lists it. It
 * includes the ingest (validation, storage, commit) and the fan-out. Only segments sent after the
 * viewer had its first playlist and after the first 3 s count (connecting is not reloading).
 * Prints one JSON line.
 */
import { Agent, request } from "node:http";
import { connect } from "node:net";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { root } from "../lib.mjs";

const sim = (path) => import(pathToFileURL(join(root, "build/node/cloud/sim", path)).href);
const { packageStream } = await sim("packager.js");
const { sha256Hex, signRequest, signingKey } = await sim("sign.js");

const args = process.argv.slice(2);
const arg = (name) => {
	const i = args.indexOf(`--${name}`);
	if (i < 0 || i + 1 >= args.length) throw new Error(`missing --${name}`);
	return args[i + 1];
};
const cloud = new URL(arg("cloud"));
const device = arg("device"), key = signingKey(arg("secret")), playlist = arg("playlist");
const viewers = Number(arg("viewers")), seconds = Number(arg("seconds"));
const warmupS = 3;

const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
const errors = {};
const fail = (what) => (errors[what] = (errors[what] ?? 0) + 1);

function call(method, path, headers = {}, body) {
	return new Promise((resolve) => {
		const req = request({ host: cloud.hostname, port: cloud.port, method, path, agent, headers }, (res) => {
			const chunks = [];
			res.on("data", (chunk) => chunks.push(chunk));
			res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
			res.on("error", () => resolve({ status: 0, text: "" }));
		});
		req.on("error", (error) => {
			fail(error.code ?? error.message);
			resolve({ status: 0, text: "" });
		});
		req.end(body);
	});
}

// ---- the camera (node:http: one request a second)
const { init, segments } = packageStream({ seconds: seconds + 2 });
const stream = `v${Date.now()}`;
const base = `/v1/devices/${device}/channels/0/streams/${stream}`;
const put = (path, bytes) => {
	const signed = signRequest({ device, key, method: "PUT", path, body: sha256Hex(bytes) });
	return call("PUT", path, { ...signed.headers, "content-length": bytes.length }, bytes);
};
/** When each seq was sent (performance.now()). */
const sentAt = new Map();
const start = performance.now();
const epoch = Date.now();
if ((await put(`${base}/init?epoch=${epoch}`, init)).status !== 201) throw new Error("the cloud refused the init segment");
const ingestMs = [];
const camera = (async () => {
	for (let seq = 0; seq < seconds; seq++) {
		// Real time: segment seq holds media [seq, seq + 1) s and leaves when it is complete.
		await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + (seq + 1) * 1000 - performance.now())));
		sentAt.set(seq, performance.now());
		const answer = await put(`${base}/segments/${seq}`, segments[seq].bytes);
		if (answer.status !== 201) fail(`segment ${answer.status}`);
		ingestMs.push(performance.now() - sentAt.get(seq));
	}
})();

// ---- the viewers
// Each on its own keep-alive socket with a minimal HTTP/1.1 client (one request string written, the
// answer read by its Content-Length): node:http's client costs the generator about as much CPU per
// reload as the cloud spends answering it, and a busy generator reads answers late.
const latencies = [];
let reloads = 0, blocking = 0, expected = 0;
const ended = () => performance.now() - start > (seconds + 1) * 1000;
const newest = (text) => {
	// the newest whole segment: the URI line after the last #EXTINF. Parts and the preload hint are
	// tags after it (the hint names the next segment's first part: read as a segment, it marked each
	// one seen before it was sent, and from LL-HLS's preload hint on no delivery was counted)
	const from = text.indexOf("\n", text.lastIndexOf("\n#EXTINF:") + 1) + 1, to = text.indexOf("\n", from);
	const uri = from > 0 ? text.slice(from, to < 0 ? text.length : to) : "";
	const end = uri.indexOf(".m4s?"), slash = uri.lastIndexOf("/", end), open = uri.lastIndexOf("/", slash - 1);
	const msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1]) + text.split("\n#EXTINF:").length - 2;
	return { seq: end > 0 && uri.slice(open + 1, slash) === stream ? Number(uri.slice(slash + 1, end)) : -1, msn };
};
class Connection {
	#socket; #buffer = ""; #waiting;
	constructor() {
		this.#socket = connect({ host: cloud.hostname, port: Number(cloud.port), noDelay: true });
		this.#socket.setEncoding("latin1");
		this.#socket.on("data", (chunk) => this.#read(chunk));
		this.#socket.on("error", (error) => fail(error.code ?? error.message));
		this.#socket.on("close", () => this.#done({ status: 0, text: "" }));
	}
	get(path) {
		return new Promise((resolve) => {
			this.#waiting = resolve;
			this.#socket.write(`GET ${path} HTTP/1.1\r\nhost: ${cloud.host}\r\n\r\n`);
		});
	}
	close() {
		this.#socket.destroy();
	}
	#read(chunk) {
		this.#buffer += chunk;
		const head = this.#buffer.indexOf("\r\n\r\n");
		if (head < 0) return;
		const length = Number(/\r\ncontent-length: *(\d+)/i.exec(this.#buffer.slice(0, head))?.[1] ?? 0);
		if (this.#buffer.length < head + 4 + length) return;
		const status = Number(this.#buffer.slice(9, 12)), text = this.#buffer.slice(head + 4, head + 4 + length);
		this.#buffer = this.#buffer.slice(head + 4 + length);
		this.#done({ status, text, at: performance.now() });
	}
	#done(answer) {
		const resolve = this.#waiting;
		this.#waiting = undefined;
		resolve?.(answer);
	}
}
async function viewer() {
	const connection = new Connection();
	let seen = -1, next, watching;
	while (!ended()) {
		const answer = await connection.get(next === undefined ? playlist : `${playlist}&_HLS_msn=${next}`);
		reloads++;
		if (next !== undefined) blocking++;
		if (answer.status !== 200) {
			fail(`playlist ${answer.status}`);
			next = undefined;
			if (answer.status === 0) return;
			await new Promise((resolve) => setTimeout(resolve, 500));
			continue;
		}
		const { seq, msn } = newest(answer.text);
		// Only segments sent while this viewer was watching (it had its first playlist).
		watching ??= answer.at;
		for (let s = Math.max(seen + 1, 0); s <= seq; s++) if (sentAt.get(s) > Math.max(watching, start + warmupS * 1000)) latencies.push(answer.at - sentAt.get(s));
		seen = Math.max(seen, seq);
		next = Number.isFinite(msn) ? msn + 1 : undefined;
	}
	connection.close();
	for (const at of sentAt.values()) if (at > Math.max(watching ?? Infinity, start + warmupS * 1000)) expected++;
}
// Before the first segment there is nothing live: the viewers start once segment 0 is in.
while (!sentAt.has(0) || ingestMs.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
const cpu0 = process.cpuUsage(), wall0 = performance.now();
await Promise.all([camera, ...Array.from({ length: viewers }, (_, i) => new Promise((resolve) => setTimeout(resolve, (i * 500) / viewers)).then(viewer))]);
const cpu = process.cpuUsage(cpu0), wall = performance.now() - wall0;
agent.destroy();
latencies.sort((a, b) => a - b);
const q = (p) => (latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)]) : null);
ingestMs.sort((a, b) => a - b);
console.log(JSON.stringify({
	viewers, seconds, reloads, blocking_reloads: blocking,
	latency_ms: { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: latencies.length ? Math.round(latencies.at(-1)) : null },
	// Every viewer should see every judged segment once.
	deliveries: latencies.length, deliveries_expected: expected,
	ingest_ms_p50: Math.round(ingestMs[Math.floor(ingestMs.length / 2)] ?? NaN),
	errors, generator_cpu_percent: Math.round((1000 * (cpu.user + cpu.system)) / 1000 / wall) / 10,
}));
