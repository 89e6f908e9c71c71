// Helpers for the OTA tests: keys, rotations and bundles made by `npm run sign-release` itself
// (scripts/sign-release.mjs), and small app layers to put in them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { root } from "../_host.mjs";

export const bundleModule = () => import(join(root, "build/ts/modules/protocol/bundle.js"));
export const archiveModule = () => import(join(root, "build/ts/modules/ota/archive.js"));
export { nodeBundleCrypto } from "../../scripts/ota-node.mjs";
import { makeKey, signRelease } from "../../scripts/sign-release-run.mjs";
export { makeKey, signRelease };

/** A temporary folder for a test file's run, removed when its worker exits (a CI machine runs the
 * suite many times). */
export function tempDir(name = "ivxs-ota-") {
	const dir = mkdtempSync(join(tmpdir(), name));
	process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
	return dir;
}

/** An app layer folder with these files ({ "modules/app/x.js": "source" }). */
export function appLayer(dir, files) {
	for (const [path, text] of Object.entries(files)) {
		mkdirSync(dirname(join(dir, path)), { recursive: true });
		writeFileSync(join(dir, path), text);
	}
	return dir;
}

/** Signs a bundle: { key, version, modules?, payload?, abi?, rollback?, rotations?, out }. */
export function makeBundle({ key, version, modules, payload, abi, rollback, rotations = [], out }) {
	signRelease(["sign", "--key", key.key, "--version", version, "--out", out,
		...(modules ? ["--modules", modules] : []), ...(payload ? ["--payload", payload] : []), ...(abi ? ["--abi", abi] : []),
		...(rollback ? ["--rollback"] : []), ...rotations.flatMap((r) => ["--rotation", r])]);
	return out;
}

/** A probe app layer (entry modules/ota-probe/main) of `version` that behaves as `kind` says:
 * good (confirms at once), throw (at boot), hang (a busy loop), unhealthy (a check never
 * passes), quiet (exits without confirming). It prints "@@probe {version, record}". */
export function probeLayer(dir, version, kind = "good") {
	const body = {
		good: "",
		throw: "throw new Error(\"boom at boot\");",
		hang: "for (;;) {}",
		unhealthy: "",
		quiet: "exit(0); return;",
	}[kind];
	const check = kind === "unhealthy" ? "() => false" : "() => true";
	return appLayer(dir, {
		"modules/ota-probe/main.js": `import { exit, monotonic, ota } from "ivxs/platform";
import Timer from "timer";
import { superviseTrial } from "../ota/trial.js";
export default function main() {
	trace("@@probe " + JSON.stringify({ version: ${JSON.stringify(version)}, record: ota.status() }) + "\\n");
	${body}
	superviseTrial({ slots: ota, checks: { cloud: ${check} }, withinS: 1, everyMs: 100, timer: Timer, monotonic,
		report: (r) => trace("@@report " + JSON.stringify(r) + "\\n"), onFailed: () => exit(3) });
	Timer.set(() => exit(0), 1500);
}
`,
	});
}

/** Serves files with Range (206). Options per path: cutAfter (body bytes, then the socket is
 * destroyed), extra (bytes appended past the file), chunk/delayMs (paced), onRange. */
export async function rangeServer() {
	const { createServer } = await import("node:http");
	const files = new Map();
	const ranges = [];
	const server = createServer((request, response) => {
		const entry = files.get(request.url);
		if (!entry) { response.writeHead(404).end(); return; }
		const bytes = entry.extra ? Buffer.concat([entry.bytes, Buffer.alloc(entry.extra, 0x55)]) : entry.bytes;
		const match = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? "");
		if (!match) { response.writeHead(200, { "Content-Length": bytes.length }).end(bytes); return; }
		const start = Number(match[1]), end = Math.min(match[2] ? Number(match[2]) : bytes.length - 1, bytes.length - 1);
		ranges.push({ path: request.url, start, end });
		if (start > end) { response.writeHead(416).end(); return; }
		const body = bytes.subarray(start, end + 1);
		response.writeHead(206, { "Content-Length": body.length, "Content-Range": `bytes ${start}-${end}/${bytes.length}` });
		const limit = entry.cutAfter !== undefined && start > 0 ? Math.min(entry.cutAfter, body.length) : body.length;
		const chunk = entry.chunk ?? 65536;
		let at = 0;
		const send = () => {
			if (at >= limit) {
				if (limit < body.length) response.socket.destroy();
				else response.end();
				return;
			}
			const piece = body.subarray(at, Math.min(at + chunk, limit));
			at += piece.length;
			response.write(piece);
			entry.onSent?.(at, start, body.length);
			if (entry.delayMs) setTimeout(send, entry.delayMs);
			else setImmediate(send);
		};
		send();
	});
	await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
	return {
		port: server.address().port, ranges,
		serve(path, bytes, options = {}) { files.set(path, { bytes: Buffer.from(bytes), ...options }); },
		close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
	};
}
