// Debian's coturn (`turnserver`) as a STUN/TURN server on an address of the caller's choosing, with
// the TURN REST API scheme (a shared secret, credentials minted by the cloud) — as cloud/README.md
// says to run it in a deployment. Used by the P2P tests (tests/_coturn.mjs) and `npm run board --
// test` (the emulated camera learns its address behind QEMU's NAT from it).
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A free UDP port on `address`. */
const freeUdpPort = (address) => new Promise((resolve) => {
	const socket = dgram.createSocket("udp4");
	socket.bind(0, address, () => {
		const { port } = socket.address();
		socket.close(() => resolve(port));
	});
});

/** Starts coturn on address:port (relays on the same address); resolves, once it answers a STUN
 * Binding request, with { address, port, secret, realm, log(), stop() }; rejects with its log when
 * it never answers. */
export async function startCoturn(address, { secret = "turn-shared-secret", realm = "ivxs.test" } = {}) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-coturn-"));
	const port = await freeUdpPort(address);
	const server = spawn("turnserver", [
		"-n", "--no-cli", "--no-tls", "--no-dtls", "--listening-ip", address, "--listening-port", String(port),
		"--relay-ip", address, "--min-port", "49152", "--max-port", "65535", "--use-auth-secret", "--static-auth-secret", secret,
		"--realm", realm, "--fingerprint", "--log-file", "stdout", "--simple-log", "--pidfile", join(dir, "pid"), "--userdb", join(dir, "db"),
		// The tests' addresses are private ranges, which coturn would relay to anyway; loopback too (a camera on this machine).
		"--allow-loopback-peers",
	], { stdio: ["ignore", "pipe", "pipe"] });
	let log = "";
	server.stdout.on("data", (chunk) => (log += chunk));
	server.stderr.on("data", (chunk) => (log += chunk));
	const spawnError = new Promise((resolve) => server.once("error", (error) => {
		log += `${error.code === "ENOENT" ? "turnserver is not on PATH (Debian's coturn: npm run setup installs it)" : error.message}\n`;
		resolve();
	}));
	const stop = () => new Promise((resolve) => {
		if (server.exitCode !== null || server.signalCode !== null || server.pid === undefined) return resolve(rmSync(dir, { recursive: true, force: true }));
		server.once("exit", () => resolve(rmSync(dir, { recursive: true, force: true })));
		server.kill("SIGTERM");
	});
	const request = Buffer.alloc(20);
	request.writeUInt16BE(1, 0);
	request.writeUInt32BE(0x2112a442, 4);
	const socket = dgram.createSocket("udp4");
	try {
		for (let i = 0; i < 50; i++) {
			const answered = await Promise.race([spawnError.then(() => false), new Promise((resolve) => {
				const timer = setTimeout(() => resolve(false), 100);
				socket.once("message", () => {
					clearTimeout(timer);
					resolve(true);
				});
				socket.send(request, port, address);
			})]);
			if (answered) return { address, port, secret, realm, log: () => log, stop };
			if (server.exitCode !== null || server.pid === undefined) break;
		}
	}
	finally {
		socket.close();
	}
	await stop();
	throw new Error(`coturn did not answer on ${address}:${port}:\n${log}`);
}
