// aiortc (Debian python3-aiortc) as a WHEP client of the cloud (tests/webrtc/aiortc_whep.py), for
// the tests that watch the camera app over WebRTC: its one JSON line (HTTP statuses, frames decoded,
// their size, the first frame's delay, ICE and DTLS states).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { root } from "./_host.mjs";

/** `prefix`: an argv that runs it elsewhere (a network namespace); `stun`: its STUN server ("stun:host:port");
 * `commands`: sent on a DataChannel once open, one at a time (the result's `replies`); `audio`: it
 * receives the camera's audio too (the result's `audio`: frames, samples, rate, peak). */
export function whepClient(url, token, seconds, { prefix = [], stun, commands, audio, hostile } = {}) {
	return new Promise((resolve, reject) => {
		const argv = [...prefix, "/usr/bin/python3", join(root, "tests/webrtc/aiortc_whep.py"), url, token, String(seconds), ...(stun ? [stun] : [])];
		const env = { ...process.env, ...(commands ? { IVXS_WHEP_COMMANDS: JSON.stringify(commands) } : {}), ...(audio ? { IVXS_WHEP_AUDIO: "1" } : {}), ...(hostile ? { IVXS_WHEP_HOSTILE: "1" } : {}) };
		const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], env });
		let out = "", err = "";
		child.stdout.on("data", (chunk) => { out += chunk; });
		child.stderr.on("data", (chunk) => { err += chunk; });
		const timer = setTimeout(() => child.kill("SIGKILL"), (seconds + 40) * 1000);
		child.on("close", (code) => {
			clearTimeout(timer);
			const line = out.trim().split("\n").pop();
			try {
				resolve(JSON.parse(line));
			}
			catch {
				reject(new Error(`aiortc_whep.py exited ${code}: ${out}\n${err.slice(-2000)}`));
			}
		});
	});
}

/** A new API token of a signed-in user (cloud/tests/_cloud.mjs `session`). */
export async function tokenOf(user) {
	return (await (await user.call("/v1/tokens", { method: "POST" })).json()).token;
}
