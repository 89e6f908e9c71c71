// The transports the p2p benchmark compares: each is a sender/receiver pair of programs that
// the harness (bench/p2p/run.mjs) starts in the two namespaces of a TUN link
// (tests/p2p/tun.mjs): the receiver in B, the sender in A, so every packet of every transport
// crosses the same emulated link.
//
// The contract (any language; a C test driver of native/p2p fits it):
// - receiver argv: from receiver({ listen: "<addr>:<port>", frames }); prints {"ready": true} on
//   stdout once it accepts traffic, then one line per fully received frame:
//     {"seq": n, "capture_ns": "<ns>", "recv_ns": "<ns>", "bytes": n, "intact": true|false}
//   capture_ns is the value carried with the frame over the wire, recv_ns the CLOCK_MONOTONIC
//   time its last byte arrived; intact says the payload equals the frames file's. It runs until
//   the harness kills it, and exits when its stdin (a pipe from the harness) closes, so it never
//   outlives a harness that was killed.
// - sender argv: from sender({ connect: "<addr>:<port>", frames, fps, seconds, drainMs });
//   optional first line {"connected": true, "connect_ms": x} (handshake time); then one line per
//   frame of the schedule (seq = 0 … fps × seconds − 1, frame seq % count of the frames file,
//   captured at start + seq / fps):
//     {"seq": n, "capture_ns": "<ns>", "bytes": n, "key": bool, "sent": bool}
//   (sent false: the transport chose not to send it, e.g. skipped to the next key frame); then,
//   drainMs after the last frame, {"done": true, …any transport figures} and exit.
// - setup(link), optional: prepares the namespaces (e.g. a sysctl) before the programs start.
// - available(): { ok } or { ok: false, reason } (e.g. the driver is not built).
//
// The UDP transport joins by adding an entry here; the benchmark judges the targets as
// soon as an entry named "udp" exists (run.mjs).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { hmacSha256 } from "../../build/node/cloud/src/auth/device-keys.js";
import { mintTicket, Rights } from "../../build/node/modules/protocol/index.js";
import { nativeModules, root } from "../../scripts/native-modules.mjs";

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const SHIM_SOURCE = here("./tcpcc.c");
const SHIM = join(here("../.."), "build/p2p/tcpcc.so");

// A C helper of the benchmark, compiled into build/p2p on first use and again when its source
// is newer.
function compiled(source, output, flags) {
	if (existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs) return output;
	mkdirSync(dirname(output), { recursive: true });
	execFileSync("gcc", ["-O2", "-Wall", "-Wextra", "-Werror", ...flags.before, source, "-o", output, ...flags.after], { stdio: ["ignore", "pipe", "pipe"] });
	return output;
}

// The LD_PRELOAD shim that gives the TCP sender's socket its congestion control (tcpcc.c).
const compileShim = () => compiled(SHIM_SOURCE, SHIM, { before: ["-shared", "-fPIC"], after: ["-ldl"] });

// A program is there when it runs (`--version`-like argv); else why not.
function runs(argv, hint) {
	try {
		execFileSync(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
		return { ok: true };
	} catch (e) {
		return { ok: false, reason: `${argv[0]} does not run (${hint}): ${String(e.code ?? e.message)}` };
	}
}

function tcp(name, congestionControl) {
	return {
		name,
		description: `TCP (${congestionControl}, Nagle off), frames written as they come; the link's backlog waits in the socket`,
		available: () => ({ ok: true }),
		setup() {
			compileShim();
			return { congestion_control: congestionControl };
		},
		receiver: ({ listen, frames }) => [process.execPath, here("./tcp-receiver.mjs"), "--listen", listen, "--frames", frames],
		// Only the sender's algorithm matters (the receiver sends acknowledgements only); the shim
		// stops the sender (exit 97) if it cannot set it.
		sender: ({ connect, frames, fps, seconds, drainMs }) => ["env", `LD_PRELOAD=${compileShim()}`, `IVXS_TCP_CC=${congestionControl}`,
			process.execPath, here("./tcp-sender.mjs"), "--connect", connect,
			"--frames", frames, "--fps", String(fps), "--seconds", String(seconds), "--drain-ms", String(drainMs)],
	};
}

// A reference only (udp-raw.mjs): datagrams with no recovery and no congestion control.
const udpRaw = {
	name: "udp-raw",
	description: "reference only, not the issue's transport: frames in <= 1200-byte datagrams, no retransmission, no congestion control",
	available: () => ({ ok: true }),
	receiver: ({ listen, frames }) => [process.execPath, here("./udp-raw.mjs"), "receiver", "--listen", listen, "--frames", frames],
	sender: ({ connect, frames, fps, seconds, drainMs }) => [process.execPath, here("./udp-raw.mjs"), "sender", "--connect", connect,
		"--frames", frames, "--fps", String(fps), "--seconds", String(seconds), "--drain-ms", String(drainMs)],
};

// The transport: the native/p2p core over UDP sockets, driven by bench/p2p/udp-p2p.c
// (a C driver, as the core is C with no sockets or clocks of its own: no VM between the
// socket and the core, so the sender's CPU figure is the core's). Built on first use against
// the core's sources, the ring's and Debian's mbedTLS (-lmbedcrypto).
const UDP_SOURCE = here("./udp-p2p.c");
const UDP_DRIVER = join(here("../.."), "build/p2p/udp-p2p");
// The driver links the p2p core as native/modules.txt defines it (its files, the cores it uses,
// their include folders and libraries: scripts/native-modules.mjs), never a list of its own.
function coreBuild(source) {
	const p2p = nativeModules().find((m) => m.specifier === "p2p");
	const rooted = (path) => join(root, path);
	return { sources: [source, ...p2p.core.map(rooted)], headers: [here("./frames-file.h"), ...p2p.headers.map(rooted)], includes: p2p.includes.map((folder) => `-I${rooted(folder)}`), libs: p2p.libs };
}

// A C program of this folder linked with the p2p core (udp-p2p.c, p2p-sim.c), rebuilt when a source is newer.
export function compileWithCore(source, out) {
	const { sources, headers, includes, libs } = coreBuild(source);
	if (existsSync(out) && [...sources, ...headers].every((f) => statSync(f).mtimeMs <= statSync(out).mtimeMs)) return out;
	mkdirSync(dirname(out), { recursive: true });
	execFileSync("gcc", ["-std=c11", "-D_GNU_SOURCE", "-O2", "-Wall", "-Wextra", "-Werror", ...includes,
		...sources, ...libs, "-lm", "-o", out], { stdio: ["ignore", "pipe", "pipe"] });
	return out;
}

export const compileUdpDriver = () => compileWithCore(UDP_SOURCE, UDP_DRIVER);

// The harness stands in for the cloud: the camera (sender) gets the device secret, the viewer
// (receiver) the ticket and psk minted from it with modules/protocol, as the cloud mints them.
// Fresh per process.
const secret = randomBytes(32);
const DEVICE = "CAM-BENCH";
function viewerTicket() {
	const { ticket, psk } = mintTicket(hmacSha256, secret, { rights: Rights.live | Rights.command, expiryS: Math.floor(Date.now() / 1000) + 3600, device: DEVICE, viewer: "viewer-bench" });
	return ["--ticket", Buffer.from(ticket).toString("hex"), "--psk", Buffer.from(psk).toString("hex")];
}

export const udp = {
	name: "udp",
	description: "native/p2p over UDP (bench/p2p/udp-p2p.c): camera pushes frames into a GOP ring at 15 fps, media channel from the ring; viewer admitted with a minted ticket",
	available() {
		try {
			compileUdpDriver();
			return { ok: true };
		} catch (e) {
			return { ok: false, reason: `cannot build bench/p2p/udp-p2p.c (gcc, libmbedtls-dev): ${String(e.stderr || e.message).trim().split("\n")[0]}` };
		}
	},
	receiver: ({ listen, frames }) => [compileUdpDriver(), "receiver", "--listen", listen, "--frames", frames, ...viewerTicket(),
		...(process.env.IVXS_P2P_UDP_RX_FRAMES ? ["--rx-frames", process.env.IVXS_P2P_UDP_RX_FRAMES, "--rx-frame-bytes", String(64 * 1024)] : [])],
	sender: ({ connect, frames, fps, seconds, drainMs }) => [compileUdpDriver(), "sender", "--connect", connect, "--frames", frames,
		"--fps", String(fps), "--seconds", String(seconds), "--drain-ms", String(drainMs), "--secret", secret.toString("hex"), "--device", DEVICE,
		// the core's media deadline (default 600 ms); IVXS_P2P_UDP_DEADLINE_MS measures another
		...(process.env.IVXS_P2P_UDP_DEADLINE_MS ? ["--deadline-ms", process.env.IVXS_P2P_UDP_DEADLINE_MS] : [])],
};

const portOf = (hostPort) => Number(hostPort.split(":").at(-1));

// KCP (the peer in its "fast" modes) as kcptun ships it: the TCP sender and receiver above,
// carried over KCP between kcptun-client (in A, on loopback) and kcptun-server (in B, on the
// link). Modes: fast2 = nodelay 1, interval 20, resend 2, nc 1; fast3 = the same at interval 10
// (KCP's own "fastest" setting). With or without kcptun's Reed–Solomon FEC (10 data + 3 parity
// shards, its default; 0/0 turns it off). AES-128 (CFB, not authenticated; native/p2p pays for
// authenticated encryption: ChaCha20-Poly1305), no compression (video does not compress; it would only cost CPU).
// Windows, MTU (1350) and buffers are kcptun's defaults.
const KCP_KEY = randomBytes(16).toString("hex");
function kcp(name, mode, fec) {
	const shards = fec ? ["--datashard", "10", "--parityshard", "3"] : ["--datashard", "0", "--parityshard", "0"];
	const common = ["--mode", mode, "--crypt", "aes-128", "--key", KCP_KEY, "--nocomp", ...shards, "--quiet"];
	const tunnel = (argv) => [process.execPath, here("./tunnel.mjs"), "--tunnel", JSON.stringify(argv)];
	return {
		name,
		description: `KCP ${mode} (kcptun, smux over KCP, AES-128, no compression, ${fec ? "FEC 10+3 Reed–Solomon" : "no FEC"}) carrying the TCP sender/receiver; CPU = the Node sender + kcptun-client`,
		available: () => runs(["kcptun-client", "--version"], "Debian package kcptun"),
		receiver: ({ listen, frames }) => [...tunnel(["kcptun-server", "--listen", listen, "--target", `127.0.0.1:${portOf(listen) + 1}`, ...common]), "--",
			process.execPath, here("./tcp-receiver.mjs"), "--listen", `127.0.0.1:${portOf(listen) + 1}`, "--frames", frames],
		sender: ({ connect, frames, fps, seconds, drainMs }) => [...tunnel(["kcptun-client", "--localaddr", `127.0.0.1:${portOf(connect) + 1}`,
			"--remoteaddr", connect, ...common]), "--wait", "listening on", "--",
			process.execPath, here("./tcp-sender.mjs"), "--connect", `127.0.0.1:${portOf(connect) + 1}`,
			"--frames", frames, "--fps", String(fps), "--seconds", String(seconds), "--drain-ms", String(drainMs)],
	};
}

// SRT live mode (SRTT_LIVE: delivery at capture + latency, late packets dropped) on its message
// API, AES-128, by bench/p2p/srt-peer.c over Debian's libsrt (libsrt-openssl-dev).
const SRT_SOURCE = here("./srt-peer.c");
const SRT_PEER = join(here("../.."), "build/p2p/srt-peer");
function compileSrt() {
	const flags = execFileSync("pkg-config", ["--cflags", "--libs", "srt"], { encoding: "utf8" }).trim().split(/\s+/);
	return compiled(SRT_SOURCE, SRT_PEER, { before: ["-std=c11", "-D_GNU_SOURCE", ...flags.filter((f) => f.startsWith("-I"))], after: flags.filter((f) => !f.startsWith("-I")) });
}
function srt(name, latencyMs) {
	return {
		name,
		description: `SRT live mode, latency ${latencyMs} ms, message API (a frame = chunks of <= 1316 B), AES-128 (bench/p2p/srt-peer.c, libsrt)`,
		available() {
			try {
				compileSrt();
				return { ok: true };
			} catch (e) {
				return { ok: false, reason: `cannot build bench/p2p/srt-peer.c (Debian package libsrt-openssl-dev): ${String(e.stderr || e.message).trim().split("\n")[0]}` };
			}
		},
		receiver: ({ listen, frames }) => [compileSrt(), "receiver", "--listen", listen, "--frames", frames, "--latency-ms", String(latencyMs)],
		sender: ({ connect, frames, fps, seconds, drainMs }) => [compileSrt(), "sender", "--connect", connect, "--frames", frames,
			"--fps", String(fps), "--seconds", String(seconds), "--drain-ms", String(drainMs), "--latency-ms", String(latencyMs)],
	};
}

// WebRTC, the camera's second wire: the product's WebRtcEndpoint on XS (build/bin/ivxs; the
// session's packets made and protected in native/webrtc) sending to Debian's Chromium, whose
// encoded frames are taken as they are assembled (webrtc-receiver.mjs); signalling over HTTP
// across the link, as a page's would go through the cloud. CPU = the XS process (ICE, DTLS, the
// congestion control and the app's JS included, as on a camera).
export const webrtc = {
	name: "webrtc",
	description: "WebRTC: the camera's WebRtcEndpoint on XS (ring, H.264 RTP, SRTP, NACK resends, PLI, TWCC congestion control) to Chromium (encoded frames as assembled)",
	available() {
		if (!existsSync(join(root, "build/bin/ivxs"))) return { ok: false, reason: "build/bin/ivxs is not built (npm run build)" };
		return runs(["/usr/bin/chromium", "--version"], "Debian package chromium");
	},
	receiver: ({ listen, frames }) => [process.execPath, here("./webrtc-receiver.mjs"), "--listen", listen, "--frames", frames],
	sender: ({ connect, frames, fps, seconds, drainMs }) => [process.execPath, here("./webrtc-sender.mjs"), "--connect", connect,
		"--frames", frames, "--fps", String(fps), "--seconds", String(seconds), "--drain-ms", String(drainMs)],
};

export const transports = [
	tcp("tcp", "cubic"),
	tcp("tcp-bbr", "bbr"),
	udpRaw,
	udp,
	webrtc,
	kcp("kcp-fast3", "fast3", false),
	kcp("kcp-fast3-fec", "fast3", true),
	kcp("kcp-fast2", "fast2", false),
	kcp("kcp-fast2-fec", "fast2", true),
	srt("srt-120", 120),
	srt("srt-400", 400),
];

// Measured only when asked for (IVXS_P2P_TRANSPORTS): kcptun's fast2 differs from fast3 only in
// its 20-ms interval; the default set keeps the section's time down (see run.mjs).
const OPTIONAL = new Set(["tcp-bbr", "udp-raw", "kcp-fast2", "kcp-fast2-fec"]);

// The transports a run measures: IVXS_P2P_TRANSPORTS=tcp,tcp-bbr,… or, by default, every
// transport but the optional ones.
export function selectTransports(env = process.env) {
	const names = env.IVXS_P2P_TRANSPORTS ? env.IVXS_P2P_TRANSPORTS.split(",").map((s) => s.trim()) : transports.map((t) => t.name).filter((n) => !OPTIONAL.has(n));
	for (const n of names) if (!transports.some((t) => t.name === n)) throw new Error(`no p2p transport "${n}" (${transports.map((t) => t.name).join(", ")})`);
	return transports.filter((t) => names.includes(t.name));
}
