// A child process of the soak: spawned with its output split into lines (each handed to the
// caller and kept in a log file), killable with SIGKILL, stoppable with SIGSTOP, and measured
// from /proc (RSS, open fds) as the field would see it.
import { spawn } from "node:child_process";
import { appendFileSync, readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";

/**
 * Starts `command` with `args`; every stdout/stderr line goes to `onLine(line, stream)` and to
 * `logFile` (prefixed with the time and the stream). Resolves nothing: `child.exited` is a promise
 * of { code, signal }.
 */
export function startChild(command, args, { env = {}, cwd, logFile, onLine } = {}) {
	const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
	for (const stream of ["stdout", "stderr"]) {
		createInterface({ input: child[stream] }).on("line", (line) => {
			if (logFile) appendFileSync(logFile, `${new Date().toISOString()} ${stream} ${line}\n`);
			onLine?.(line, stream);
		});
	}
	child.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
	child.on("error", () => {});   // a spawn failure shows as an exit
	return child;
}

/** Whether the child still runs (not exited, not killed). */
export const running = (child) => !!child && child.exitCode === null && child.signalCode === null;

/** SIGKILLs the child (if it runs) and waits for it to go. */
export async function kill9(child) {
	if (!running(child)) return;
	child.kill("SIGKILL");
	await child.exited;
}

/** Stops the child politely, then by force after `ms`. */
export async function stopChild(child, ms = 10_000) {
	if (!running(child)) return;
	child.kill("SIGTERM");
	const timer = setTimeout(() => child.kill("SIGKILL"), ms);
	await child.exited;
	clearTimeout(timer);
}

/** A process's CPU time so far (user + system, all threads), in seconds, from /proc; undefined when gone. */
export function cpuSeconds(pid) {
	try {
		// The fields after the command's closing parenthesis: utime is the 12th, stime the 13th.
		const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ").at(-1).split(" ");
		return (Number(fields[11]) + Number(fields[12])) / 100;   // USER_HZ is 100 on Linux
	}
	catch {
		return undefined;
	}
}

/** A process's resident set (bytes), open file descriptors and CPU seconds, from /proc; undefined when gone. */
export function procSample(pid) {
	try {
		const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
		return { rss: rssKb * 1024, fds: readdirSync(`/proc/${pid}/fd`).length, cpuS: cpuSeconds(pid) };
	}
	catch {
		return undefined;
	}
}
