// aiortc (Debian's python3-aiortc) as WHEP viewers of the camera through the cloud, as the benches
// start them (webrtc_product, board_cpu): bench/webrtc/aiortc_viewers.py, one Python process for
// all the viewers of a call, and the address the camera offers them.
import { spawn } from "node:child_process";
import { networkInterfaces } from "node:os";
import { join } from "node:path";

/** The cloud's WHEP endpoint for a device's viewers. */
export const whepUrl = (cloudUrl, device) => `${cloudUrl}/v1/devices/${device}/whep`;

/**
 * Whether the camera should offer these viewers its loopback address: only on a machine without a
 * LAN address. With one, the camera's only candidate is that address: aioice (aiortc's ICE, Debian's
 * 0.8) declares failure when every pair's check is done while its nomination is still in flight, so
 * a second candidate of the camera's (its loopback) failed 1 viewer in 4 and 14 in 32 here.
 */
export const offerLoopback = () => !Object.values(networkInterfaces()).flat().some((a) => a.family === "IPv4" && !a.internal);

/**
 * aiortc_viewers.py with `args` (its header says which: `at-once URL TOKENS N SECONDS [APART_S [go]]`,
 * `cycles URL TOKEN K`): { result, go(), stop() }. `result` resolves with the JSON line it prints;
 * `go()` writes the line an `at-once … go` waits for; `stop()` kills it (then `result` rejects).
 * `onProgress(line)` sees its progress lines (stderr's `cycles: …`); past `timeoutMs` (if given)
 * it is stopped.
 */
export function startAiortcViewers(root, args, { onProgress = () => {}, timeoutMs } = {}) {
	const child = spawn("/usr/bin/python3", [join(root, "bench/webrtc/aiortc_viewers.py"), ...args], { stdio: ["pipe", "pipe", "pipe"] });
	const result = new Promise((resolve, reject) => {
		let out = "", err = "";
		child.stdout.on("data", (chunk) => { out += chunk; });
		child.stderr.on("data", (chunk) => {
			err += chunk;
			for (const line of String(chunk).split("\n")) if (line.startsWith("cycles:")) onProgress(line);
		});
		const timer = timeoutMs && setTimeout(() => child.kill("SIGKILL"), timeoutMs);
		child.on("close", (code, signal) => {
			clearTimeout(timer);
			try { resolve(JSON.parse(out.trim().split("\n").pop())); }
			catch { reject(new Error(`aiortc_viewers.py ${args[0]} exited ${code ?? signal}: ${out.slice(-500)}${err.slice(-1500)}`)); }
		});
	});
	child.stdin.on("error", () => {});   // (gone already: `result` says why)
	return {
		result,
		go: () => child.stdin.end("go\n"),
		stop: () => { if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL"); },
	};
}

/** startAiortcViewers' result alone. */
export const aiortcViewers = (root, args, options) => startAiortcViewers(root, args, options).result;
