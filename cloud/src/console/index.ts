// The web console: the files of cloud/console (plain HTML, ES modules, CSS —
// nothing to build) at `/` and `/console/*`, and hls.js from its npm package at
// `/vendor/hls.min.js`. Only the files present at start are routes (see
// static-files.ts); their contents are re-read when they change on disk.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { CloudContext } from "../context.js";
import { sendFile, typeOf, walk, type StaticFile } from "./static-files.js";

/** The cloud/console folder: found upwards from this module (cloud/src/console in the source tree, build/node/cloud/src/console once compiled). */
export function consoleFolder(): string {
	let dir = dirname(fileURLToPath(import.meta.url));
	for (let i = 0; i < 8; i++) {
		const candidate = join(dir, "cloud", "console");
		if (existsSync(join(candidate, "index.html"))) return candidate;
		const parent = dirname(dir);
		if (parent === dir) break;
		dir = parent;
	}
	throw new Error("cloud/console/index.html not found above " + fileURLToPath(import.meta.url));
}

/** The page's Content-Security-Policy: scripts, styles and data from this origin only; media through
 * Media Source (blob:) and, when recordings are served from an S3 endpoint by signed URL, from there. */
export function contentSecurityPolicy(ctx: CloudContext): string {
	const storage = ctx.config.storage.kind === "s3" && ctx.config.storage.endpoint ? " " + new URL(ctx.config.storage.endpoint).origin : "";
	return [
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' blob: data:" + storage,
		"media-src 'self' blob:" + storage,
		"connect-src 'self'" + storage,
		// hls.js runs its transmuxer in a Worker made from a blob: URL.
		"worker-src 'self' blob:",
		"object-src 'none'",
		"base-uri 'none'",
		"frame-ancestors 'none'",
		"form-action 'self'",
	].join("; ");
}

export function install(ctx: CloudContext): void {
	const folder = consoleFolder();
	const page = {
		"content-security-policy": contentSecurityPolicy(ctx),
		// Playback URLs carry signatures in their query: never leak them in a Referer.
		"referrer-policy": "no-referrer",
		"x-frame-options": "DENY",
	};
	// App files revalidate on every load (an upgraded console is seen at once; a 304 costs little).
	const add = (route: string, file: StaticFile) => ctx.router.add("GET", route, { auth: "none" }, (req, res) => sendFile(req, res, file));
	let count = 0;
	for (const [name, path] of walk(folder)) {
		const type = typeOf(path);
		if (!type) continue;   // unknown kinds are not served rather than served as octet-stream
		const file: StaticFile = { path, type, cache: "no-cache", headers: type.startsWith("text/html") ? page : undefined };
		add(`/console/${name}`, file);
		if (name === "index.html") {
			add("/", file);
			add("/console", file);
		}
		count++;
	}
	const hls = createRequire(import.meta.url).resolve("hls.js/dist/hls.min.js");
	add("/vendor/hls.min.js", { path: hls, type: "text/javascript; charset=utf-8", cache: "public, max-age=86400" });
	ctx.log.debug({ folder: resolve(folder), files: count }, "console files");
}
