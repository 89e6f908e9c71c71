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
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const SHIM_SOURCE = here("./tcpcc.c");
const SHIM = join(here("../.."), "build/p2p/tcpcc.so");

// The LD_PRELOAD shim that gives the TCP sender's socket its congestion control (tcpcc.c).
function compileShim() {
	if (existsSync(SHIM) && statSync(SHIM).mtimeMs >= statSync(SHIM_SOURCE).mtimeMs) return SHIM;
	mkdirSync(dirname(SHIM), { recursive: true });
	execFileSync("gcc", ["-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", SHIM_SOURCE, "-o", SHIM, "-ldl"], { stdio: ["ignore", "pipe", "pipe"] });
	return SHIM;
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

export const transports = [
	tcp("tcp", "cubic"),
	tcp("tcp-bbr", "bbr"),
	udpRaw,
];

// Measured only when asked for (IVXS_P2P_TRANSPORTS): keeps the section within ~3 minutes.
const OPTIONAL = new Set(["tcp-bbr", "udp-raw"]);

// The transports a run measures: IVXS_P2P_TRANSPORTS=tcp,tcp-bbr,… or, by default, every
// transport but the optional ones.
export function selectTransports(env = process.env) {
	const names = env.IVXS_P2P_TRANSPORTS ? env.IVXS_P2P_TRANSPORTS.split(",").map((s) => s.trim()) : transports.map((t) => t.name).filter((n) => !OPTIONAL.has(n));
	for (const n of names) if (!transports.some((t) => t.name === n)) throw new Error(`no p2p transport "${n}" (${transports.map((t) => t.name).join(", ")})`);
	return transports.filter((t) => names.includes(t.name));
}
