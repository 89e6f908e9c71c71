// Debian's HAProxy in front of cloud instances, as cloud/README.md ("More than
// one instance") configures it: used by the multi-instance tests (_cluster.mjs)
// and the cloud_multi benchmark. Import as "./_haproxy.mjs".
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { freePort } from "./_mosquitto.mjs";
import { eventually } from "./_mqtt.mjs";

export const haproxyBinary = ["haproxy", "/usr/sbin/haproxy"].find((path) => spawnSync(path, ["-v"]).status === 0);

/** The HAProxy configuration of the README's deployment, for `ports` (the instances) behind `port`. */
export function haproxyConfig(port, ports) {
	return `global
	maxconn 8192
defaults
	mode http
	# Per frontend (its default is far lower); the instances cap in all (MAX_CONNECTIONS), not per proxy address.
	maxconn 8192
	option forwardfor
	# A request that never reached an instance (refused, or closed unanswered) goes to another:
	# uploads are idempotent by seq (PROTOCOL §3.2), so a retry is at worst answered 200.
	retries 2
	option redispatch 1
	retry-on conn-failure empty-response
	# No longer than the service's own (cloud/README.md, "Under attack").
	timeout connect 2s
	timeout http-request 20s
	timeout client 60s
	timeout server 60s
	timeout http-keep-alive 60s
frontend cloud
	bind 127.0.0.1:${port}
	default_backend instances
backend instances
	# One device, one instance: its uploads and its viewers' requests hash to the same instance by
	# the path's 4th field, the device (/v1/devices/<id>/…, /v1/hls/<id>/…, /v1/media/<id>/…), so
	# the LL-HLS parts that instance holds in memory reach the viewers. Consistent hashing: when an
	# instance goes down only its devices move. Paths without a device hash on "" (one instance).
	balance hash path,field(4,/)
	hash-type consistent
	option httpchk GET /healthz
	http-check expect status 200
	# A check answered within 2 s passes: a busy instance (event-loop lag under load) is not a dead
	# one, and marking it down would put its load on the others. A dead instance refuses connections
	# at once, and retry-on sends those requests elsewhere before the checks notice.
	timeout check 2s
	default-server check inter 1s fall 2 rise 2
${ports.map((p, i) => `	server i${i} 127.0.0.1:${p}`).join("\n")}
`;
}

/**
 * Writes the configuration to `file` and starts HAProxy (in the foreground, this
 * process's child) on a free port in front of the instances on `ports`; resolves
 * once it answers /healthz: { url, pid, stop, log }.
 */
export async function startHaproxy(file, ports) {
	if (!haproxyBinary) throw new Error("haproxy is not installed (node scripts/test-deps.mjs installs it)");
	const port = await freePort();
	writeFileSync(file, haproxyConfig(port, ports));
	const child = spawn(haproxyBinary, ["-f", file, "-db"], { stdio: ["ignore", "ignore", "pipe"] });
	let log = "";
	child.stderr.on("data", (chunk) => (log += chunk));
	const stop = () => new Promise((resolve) => {
		if (child.exitCode !== null || child.signalCode !== null) return resolve();
		child.once("exit", resolve);
		child.kill("SIGTERM");
	});
	const url = `http://127.0.0.1:${port}`;
	try {
		await eventually(async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200, 10_000);
	}
	catch {
		await stop();
		throw new Error(`haproxy did not serve ${url}: ${log}`);
	}
	return { url, pid: child.pid, stop, log: () => log };
}
