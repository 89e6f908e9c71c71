// The world the emulated camera of `npm run board -- test` and `bench board_s3` meets on this
// machine (scripts/board.mjs): a STUN server and a cloud with the camera registered in it, and the
// viewers that watch it — `npm run view`, aiortc as a WHEP client — and its snapshot read back.
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { constants as cryptoConstants } from "node:crypto";
import { connect as tcpConnect } from "node:net";
import { networkInterfaces } from "node:os";
import { createServer as createTlsServer } from "node:tls";
import { join } from "node:path";
import { addDevice, cloudCli, listeningUrl } from "./cloud-cli.mjs";
import { startCoturn } from "./coturn.mjs";
import { testPki } from "../tests/_net-servers.mjs";

/** Calls `onLine` with each line of a child's output stream (its "\r" taken off). */
export function eachLine(stream, onLine) {
	let rest = "";
	stream.on("data", (chunk) => {
		const lines = (rest + chunk).split("\n");
		rest = lines.pop();
		for (const line of lines) onLine(line.replace(/\r$/, ""));
	});
}

/**
 * A DNS server for the emulated camera (UDP, RFC 1035): A records for `names` (name → IPv4 address,
 * matched without regard to case), NXDOMAIN for other names, no answer but NOERROR for other
 * types of a known name; what is not one query is dropped. On `host`:`port` (the camera's
 * 10.0.2.2:53 is this machine's 127.0.0.1:53, which takes root or CAP_NET_BIND_SERVICE to bind).
 * Resolves { port, queries (names asked, in order), close() }.
 */
export async function nameServer(names, { host = "127.0.0.1", port = 53 } = {}) {
	const { createSocket } = await import("node:dgram");
	const known = new Map(Object.entries(names).map(([name, address]) => [name.toLowerCase(), address.split(".").map(Number)]));
	const queries = [];
	const socket = createSocket("udp4");
	socket.on("message", (query, from) => {
		if (query.length < 17 || query.length > 512 || (query[2] & 0xf8) !== 0 || query.readUInt16BE(4) !== 1) return;   // a standard query of one question
		const labels = [];
		let at = 12;
		while (at < query.length && query[at] !== 0) {
			const length = query[at];
			if (length > 63 || at + 1 + length >= query.length) return;
			labels.push(query.toString("latin1", at + 1, at + 1 + length));
			at += 1 + length;
		}
		if (at + 5 > query.length) return;
		const end = at + 5, type = query.readUInt16BE(at + 1), name = labels.join(".").toLowerCase();
		queries.push(name);
		const address = known.get(name), answer = address && type === 1 && query.readUInt16BE(at + 3) === 1;
		const reply = Buffer.alloc(end + (answer ? 16 : 0));
		query.copy(reply, 0, 0, end);
		reply.writeUInt16BE(0x8180 | (query[2] & 0x01) << 8 | (address ? 0 : 3), 2);   // response, RD as asked, RA; NXDOMAIN for an unknown name
		reply.writeUInt16BE(answer ? 1 : 0, 6);
		reply.writeUInt32BE(0, 8);
		if (answer) {
			reply.writeUInt16BE(0xc00c, end);   // the question's name
			reply.writeUInt16BE(1, end + 2);
			reply.writeUInt16BE(1, end + 4);
			reply.writeUInt32BE(60, end + 6);
			reply.writeUInt16BE(4, end + 10);
			Buffer.from(address).copy(reply, end + 12);
		}
		socket.send(reply, from.port, from.address);
	});
	await new Promise((resolve, reject) => {
		socket.once("error", (error) => reject(error.code === "EACCES"
			? new Error(`a DNS server on ${host}:${port} (the emulated camera's 10.0.2.2:53) needs root or CAP_NET_BIND_SERVICE (or sysctl net.ipv4.ip_unprivileged_port_start=53)`)
			: error));
		socket.bind(port, host, resolve);
	});
	return { port: socket.address().port, queries, close: () => new Promise((resolve) => socket.close(resolve)) };
}

/** This machine's first IPv4 address that is not loopback, or undefined. */
function lanAddress() {
	return Object.values(networkInterfaces()).flat().find((a) => a && a.family === "IPv4" && !a.internal)?.address;
}

/** `npm run view` for `seconds` into `file` (its lines into `logFile`): { ok, summary }, ok when
 * the path was direct, the board sealed the packets with its engines (version 6), frames came, none
 * was lost, and ffprobe decodes every frame written. */
export async function watch(device, cloud, password, file, logFile, seconds) {
	const { view } = await import("./view.mjs");
	const lines = [];
	let end, path, version;
	rmSync(file, { force: true });
	const code = await view({ device, cloud, user: "admin", password, out: file, format: "fmp4", seconds, quiet: false },
		{ log: (line) => lines.push(line), onReport: (kind, report) => { if (kind === "view-end") end = report; else if (kind === "view-path") path = report; else if (kind === "view-connected") ({ version } = report); } })
		.catch((error) => (lines.push(String(error?.message ?? error)), 1));
	writeFileSync(logFile, lines.join("\n") + "\n");
	if (!end?.written) return { ok: false, summary: `no frames (exit ${code}): ${lines.filter((l) => /error|refused|no path/i.test(l)).slice(-1)[0] ?? "see " + logFile}` };
	const probe = spawnSync("ffprobe", ["-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", file], { encoding: "utf8" });
	const decoded = probe.stdout.split("\n").filter(Boolean).reduce((sum, n) => sum + Number(n), 0);
	const ok = code === 0 && path?.kind === "direct" && version === 6 && end.lost === 0 && decoded === end.written;
	return { ok, frames: end.written, lost: end.lost, summary: `${path ? `${path.kind} via ${path.type} ${path.address}:${path.port}` : "no path"}, packets of version ${version ?? "?"}, ${end.written} frames in ${seconds} s, ${end.lost} lost, ffprobe decoded ${decoded}${probe.stderr ? `; ffprobe: ${probe.stderr.trim().split("\n")[0]}` : ""}` };
}

/** aiortc (Debian's python3-aiortc: tests/_webrtc.mjs) as a WHEP client of the cloud for `seconds`, with
 * an API token `api` (boardCloud's, signed in as admin) makes:
 * { ok, summary }, ok when the camera answered, DTLS-SRTP connected and FFmpeg decoded at least
 * half the frames `clip` ({ width, height, fps }) has in that time, at its size. */
export async function watchWebRtc(device, cloud, api, stun, seconds, clip) {
	try {
		const { whepClient } = await import("../tests/_webrtc.mjs");
		const { token } = await (await api("/v1/tokens", { method: "POST" })).json();
		const r = await whepClient(`${cloud}/v1/devices/${device}/whep`, token, seconds, { stun: `stun:${stun.address}:${stun.port}` });
		const ok = r.status === 201 && r.dtls === "connected" && r.width === clip.width && r.height === clip.height && r.frames >= (seconds * clip.fps) / 2;
		return { ok, frames: r.frames, summary: r.status === 201 ? `DTLS-SRTP ${r.dtls}, ${r.frames} frames decoded in ${seconds} s at ${r.width}x${r.height}, the first ${r.firstFrameS ?? "never"} s after the offer`
			: `the cloud answered ${r.status}: ${r.error ?? ""}` };
	}
	catch (error) {
		return { ok: false, summary: String(error?.message ?? error).split("\n")[0] };
	}
}

/** The camera's latest snapshot in the cloud (the device's `lastSnapshot`, its signed link):
 * { ok, summary }, ok when ffprobe reads a JPEG from it and it is byte for byte one of `stills`
 * (the clip's, one a second: the one of the clip's second when it was taken). */
export async function snapshotCheck(cloud, cookie, device, file, stills, camera) {
	try {
		const described = await (await fetch(new URL(`/v1/devices/${device}`, cloud), { headers: { cookie } })).json();
		if (!described.lastSnapshot) return { ok: false, summary: "none in the cloud" };
		const got = await fetch(new URL(described.lastSnapshot.url, cloud));
		const bytes = Buffer.from(await got.arrayBuffer());
		writeFileSync(file, bytes);
		const probe = spawnSync("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", file], { encoding: "utf8" });
		const [codec, width, height] = probe.stdout.trim().split(",");
		// the camera's channel (a board's camera source): a JPEG of its frame, at its size
		if (camera && described.lastSnapshot.channel === camera.channel) {
			const ok = got.status === 200 && codec === "mjpeg" && Number(width) === camera.width && Number(height) === camera.height;
			return { ok, summary: `channel ${camera.channel} (${camera.device}), ${got.status === 200 ? `a ${codec} still of ${width}x${height}` : `its link answered ${got.status}`}${probe.stderr ? `; ffprobe: ${probe.stderr.trim().split("\n")[0]}` : ""}` };
		}
		const second = stills.findIndex((jpeg) => jpeg.equals(bytes));
		const ok = got.status === 200 && codec === "mjpeg" && second >= 0;
		return { ok, summary: `channel ${described.lastSnapshot.channel}, ${got.status === 200 ? `a ${codec} still of ${width}x${height}, ${second >= 0 ? `the clip's second ${second}` : "none of the clip's stills"}` : `its link answered ${got.status}`}${probe.stderr ? `; ffprobe: ${probe.stderr.trim().split("\n")[0]}` : ""}` };
	}
	catch (error) {
		return { ok: false, summary: String(error?.message ?? error).split("\n")[0] };
	}
}

/** The name the emulated camera of `board test` knows the cloud by (tlsFront's certificate carries it). */
export const CLOUD_NAME = "cloud.board.test";

/** The camera's way into the cloud: TLS (a certificate for QEMU's 10.0.2.2 and CLOUD_NAME, signed by a CA made
 * here) in front of the cloud's plain port on loopback, as a load balancer terminates it in front
 * of a deployment — the viewers, the console and the checks here speak to the cloud in plain HTTP
 * on loopback. { url: https://127.0.0.1:port (deviceForEmulator moves it to 10.0.2.2), ca: PEM,
 * wrongCa: a CA that signed nothing here (PEM), close() }. */
async function tlsFront(cloudUrl) {
	const { ca, wrongCa, cert, key } = testPki({ altNames: `DNS:${CLOUD_NAME},IP:10.0.2.2` });
	const { hostname, port } = new URL(cloudUrl);
	const open = new Set();
	// ChaCha20-Poly1305 when the camera lists it first, as the cloud's own TLS does (cloud/src/server.ts)
	const server = createTlsServer({ cert, key, secureOptions: cryptoConstants.SSL_OP_PRIORITIZE_CHACHA }, (client) => {
		const upstream = tcpConnect(Number(port), hostname);
		for (const socket of [client, upstream]) {
			open.add(socket);
			socket.on("error", () => { client.destroy(); upstream.destroy(); });
			socket.on("close", () => { open.delete(socket); client.destroy(); upstream.destroy(); });
		}
		client.pipe(upstream).pipe(client);
	});
	server.on("tlsClientError", () => {});   // a camera refusing the certificate shows in its console
	await new Promise((resolve, reject) => server.listen(0, "127.0.0.1", resolve).once("error", reject));
	return {
		url: `https://127.0.0.1:${server.address().port}`, ca, wrongCa,
		close: () => new Promise((resolve) => { for (const socket of open) socket.destroy(); server.close(resolve); }),
	};
}

/**
 * The world the emulated camera meets, on this machine: a STUN server on this machine's network
 * address (the camera is behind QEMU's NAT, 10.0.2.15: a viewer here reaches it at the address the
 * STUN server saw it from, as a camera behind a home router is reached), a cloud that names it (a
 * fresh data folder `dir`/`name`, its log `dir`/`name`-cloud.log; `env` adds to its environment)
 * and a camera registered in it with `channels` channels, which reaches the cloud through TLS (tlsFront). Resolves { url,
 * cameraUrl (the camera's https URL), ca (its CA, PEM), wrongCa (one that signed nothing), id, secret, data, stun, adminPassword, cookie,
 * api(path, init) (as the admin), stop() }; throws saying what did not start.
 */
export async function boardCloud(dir, name, env = {}, channels = 1) {
	const data = join(dir, name);
	rmSync(data, { recursive: true, force: true });
	mkdirSync(data, { recursive: true });
	if (!existsSync(cloudCli)) throw new Error("the cloud is not built: npm install (or node scripts/build.mjs)");
	const hostAddress = lanAddress();
	if (!hostAddress) throw new Error("this machine has no IPv4 address but loopback: the emulated camera and a viewer here meet through a STUN server on one");
	let stun;
	try {
		stun = await startCoturn(hostAddress);
	}
	catch (error) {
		throw new Error(`the STUN server: ${error.message.split("\n")[0]}`);
	}
	const logPath = join(dir, `${name}-cloud.log`);
	const cloud = spawn(process.execPath, [cloudCli, "serve", "--port", "0", "--host", "127.0.0.1", "--data", data],
		{ stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, IVXS_CLOUD_STUN_SERVERS: `${stun.address}:${stun.port}`, ...env } });
	const cloudLog = createWriteStream(logPath);
	cloud.stdout.pipe(cloudLog, { end: false });
	cloud.stderr.pipe(cloudLog, { end: false });
	let front;
	const stop = async () => {
		await front?.close();
		cloud.kill("SIGTERM");
		await new Promise((resolve) => (cloud.exitCode === null ? cloud.on("exit", resolve) : resolve()));
		await stun.stop();
	};
	let adminPassword;
	const url = await new Promise((resolve) => {
		eachLine(cloud.stdout, (line) => {
			adminPassword ??= /sign in as "admin" with password (\S+)/.exec(line)?.[1];
			if (listeningUrl(line)) resolve(listeningUrl(line));
		});
		cloud.on("exit", () => resolve(undefined));
	});
	try {
		if (!url) throw new Error(`the cloud did not start (its log: ${logPath})`);
		const { id, secret } = addDevice(data, "board-cam", "emulated ESP32-S3", channels);
		const { sessionCookie } = await import("./view.mjs");
		const cookie = await sessionCookie(url, "admin", adminPassword);
		const api = (path, init = {}) => fetch(new URL(path, url), { ...init, headers: { ...init.headers, cookie } });
		front = await tlsFront(url);
		return { url, cameraUrl: front.url, ca: front.ca, wrongCa: front.wrongCa, id, secret, data, stun, adminPassword, cookie, api, stop };
	}
	catch (error) {
		await stop();
		throw error;
	}
}
