// The camera app as the P2P product benches run it (modules/app/camera on a host binary, the
// 64-bit one or another variant, optionally inside a network namespace): its `@@memory` probes
// as they come, its other lines kept, a promise of a line it prints, the process's memory from
// /proc, and a stop that waits for the exit.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sleep } from "../lib.mjs";

/**
 * Starts it: `args` after `modules/app/camera --`; `binary` (default build/bin/ivxs); `ns`, a
 * network namespace to run it in (`ip netns exec` execs it: the pid is the camera's); `loopback`
 * (default: outside a namespace), whether it offers its viewers its loopback address.
 */
export function startCamera(root, args, { binary = "build/bin/ivxs", ns, loopback = !ns } = {}) {
	// outside a namespace its viewers run on this machine: their candidates are loopback addresses
	const argv = [join(root, binary), "modules/app/camera", "--", ...args, ...(loopback ? ["--p2p-loopback"] : [])];
	const child = ns ? spawn("ip", ["netns", "exec", ns, ...argv], { cwd: root, stdio: ["ignore", "pipe", "ignore"] })
		: spawn(argv[0], argv.slice(1), { cwd: root, stdio: ["ignore", "pipe", "ignore"] });
	const probes = [], lines = [], waiting = [];
	let partial = "";
	child.stdout.setEncoding("utf8").on("data", (chunk) => {
		const parts = (partial + chunk).split("\n");
		partial = parts.pop();
		for (const line of parts) {
			if (line.startsWith("@@memory ")) probes.push({ ...JSON.parse(line.slice(9)), at: Date.now() });   // its own `at` is the camera's elapsed ms
			else lines.push(line);
			for (const w of [...waiting]) if (line.includes(w.text)) {
				waiting.splice(waiting.indexOf(w), 1);
				w.resolve(line);
			}
		}
	});
	const exited = new Promise((resolve) => child.once("close", resolve));
	return {
		pid: child.pid, probes, lines, exited,
		/** Resolves with the first line (from now) that includes `text`; rejects after `ms` or when the camera exits. */
		line(text, ms = 20000) {
			return Promise.race([
				new Promise((resolve) => waiting.push({ text, resolve })),
				exited.then(() => { throw new Error(`the camera app exited before printing "${text}"`); }),
				sleep(ms).then(() => { throw new Error(`the camera app did not print "${text}" in ${ms / 1000} s`); }),
			]);
		},
		/** The newest probe taken after `at` (ms since the epoch), waiting up to 4 s for one. */
		async probeAfter(at) {
			for (let i = 0; i < 40 && !probes.some((p) => p.at > at); i++) await sleep(100);
			return probes.findLast((p) => p.at > at);
		},
		/** Resident and peak resident memory (VmRSS, VmHWM), bytes. */
		rss() {
			const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
			const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]) * 1024;
			return { rss: kib("VmRSS"), peak: kib("VmHWM") };
		},
		async stop() {
			child.kill("SIGTERM");
			await Promise.race([exited, sleep(5000)]);
			if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
		},
	};
}
