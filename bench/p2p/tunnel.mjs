// Runs a sender or receiver of transports.mjs through a tunnel program beside it (kcptun: the
// TCP programs carried over KCP), so a tunnelled peer keeps the transport contract:
//   node tunnel.mjs --tunnel '<JSON argv of the tunnel>' [--wait <text>] -- <program> <args…>
// Starts the tunnel, waits until its stderr shows <text> (it listens), then runs the program and
// passes its stdout through, except: the program's "connected" line is dropped (its handshake is
// with the local tunnel, not across the link), and its "done" line gets the tunnel's CPU and peak
// memory (/proc) added — cpu_ms becomes program + tunnel, with both parts shown. Our stdin
// closing (the harness went away) closes the program's (which then exits); the tunnel dies with us.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

const sep = process.argv.indexOf("--");
const opts = {};
for (let i = 2; i < sep; i += 2) opts[process.argv[i].slice(2)] = process.argv[i + 1];
const [cmd, ...args] = process.argv.slice(sep + 1);
const [tcmd, ...targs] = JSON.parse(opts.tunnel);

// setpriv --pdeathsig: the tunnel dies with us even when we are SIGKILLed (the link's close()
// does that to what is still running), where no exit hook of ours runs.
const tunnel = spawn("setpriv", ["--pdeathsig", "KILL", tcmd, ...targs], { stdio: ["ignore", "ignore", "pipe"] });
let tunnelLog = "";
const listening = new Promise((resolve) => {
	const timer = setTimeout(resolve, 5000);
	tunnel.stderr.on("data", (d) => {
		tunnelLog = (tunnelLog + d).slice(-4000);
		if (!opts.wait || tunnelLog.includes(opts.wait)) {
			clearTimeout(timer);
			resolve();
		}
	});
});
tunnel.on("exit", (code) => {
	process.stderr.write(`tunnel: ${tcmd} exited ${code}: ${tunnelLog.trim().split("\n").slice(-3).join(" | ")}\n`);
	process.exit(1);
});
process.on("exit", () => tunnel.kill("SIGKILL"));
// The harness ends a receiver with SIGTERM: Node's default would skip the exit hook and leave the
// tunnel and the program running (orphans outlive the link's namespaces).
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => process.exit(1));
await listening;

// CPU (ms, from utime + stime in clock ticks of 10 ms) and peak RSS of the tunnel process.
function tunnelFigures() {
	try {
		const fields = readFileSync(`/proc/${tunnel.pid}/stat`, "utf8").split(") ")[1].split(" ");
		const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${tunnel.pid}/status`, "utf8"));
		return { cpu_ms: (Number(fields[11]) + Number(fields[12])) * 10, max_rss_kb: hwm ? Number(hwm[1]) : null };
	} catch {
		return { cpu_ms: null, max_rss_kb: null };
	}
}

const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "inherit"] });
process.on("exit", () => child.kill("SIGKILL"));
process.stdin.on("end", () => child.stdin.end()).resume();
createInterface({ input: child.stdout }).on("line", (line) => {
	let o = null;
	try {
		o = JSON.parse(line);
	} catch { /* passed through as is */ }
	if (o?.connected) return;
	if (o?.done) {
		const t = tunnelFigures();
		line = JSON.stringify({ ...o, program_cpu_ms: o.cpu_ms, tunnel_cpu_ms: t.cpu_ms, tunnel_max_rss_kb: t.max_rss_kb,
			cpu_ms: (o.cpu_ms ?? 0) + (t.cpu_ms ?? 0) });
	}
	process.stdout.write(`${line}\n`);
});
child.on("exit", (code) => {
	tunnel.removeAllListeners("exit");
	process.exitCode = code ?? 1;
	process.exit();
});
