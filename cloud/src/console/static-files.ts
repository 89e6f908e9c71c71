// A closed set of static files served over HTTP: the table is built from a
// folder walk at start, so a request can only ever name a file that was in the
// table — no path from a URL reaches the file system, and "..", "%2e%2e",
// encoded slashes or symlinks out of the folder have nothing to match.
// Bodies are read once and re-read when the file's mtime or size changes (an
// edited console shows up on reload without a restart); each carries a strong
// ETag (SHA-256 of the bytes) and a gzip copy when that is smaller.
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { gzipSync } from "node:zlib";
import type { IncomingMessage, ServerResponse } from "node:http";

export const contentTypes: Record<string, string> = {
	".html": "text/html; charset=utf-8",
	".js": "text/javascript; charset=utf-8",
	".mjs": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".json": "application/json; charset=utf-8",
	".svg": "image/svg+xml",
	".png": "image/png",
	".ico": "image/x-icon",
	".webmanifest": "application/manifest+json",
	".txt": "text/plain; charset=utf-8",
	".map": "application/json; charset=utf-8",
};

// Types worth compressing (images are already compressed).
const compressible = /^(text\/|application\/(json|manifest\+json)|image\/svg)/;

export interface StaticFile {
	/** Absolute path on disk. */
	readonly path: string;
	readonly type: string;
	/** Cache-Control for this file. */
	readonly cache: string;
	/** Extra headers (e.g. a Content-Security-Policy on HTML). */
	readonly headers?: Record<string, string>;
}

interface Loaded {
	mtimeMs: number;
	size: number;
	body: Buffer;
	gzip?: Buffer;
	etag: string;
}

const cache = new WeakMap<StaticFile, Loaded>();

/** The files under `folder` (recursively; dot files and symlinks skipped) as `[relative URL path, absolute path]`. */
export function walk(folder: string): [string, string][] {
	const found: [string, string][] = [];
	const visit = (dir: string) => {
		for (const entry of readdirSync(dir, { withFileTypes: true })) {
			if (entry.name.startsWith(".")) continue;
			const path = join(dir, entry.name);
			// lstat: a symlink could point out of the folder; the console has none.
			const info = lstatSync(path);
			if (info.isDirectory()) visit(path);
			else if (info.isFile()) found.push([relative(folder, path).split(sep).join("/"), path]);
		}
	};
	visit(folder);
	return found.sort(([a], [b]) => a.localeCompare(b));
}

export function typeOf(path: string): string | undefined {
	return contentTypes[extname(path).toLowerCase()];
}

function load(file: StaticFile): Loaded {
	const info = statSync(file.path);
	const known = cache.get(file);
	if (known && known.mtimeMs === info.mtimeMs && known.size === info.size) return known;
	const body = readFileSync(file.path);
	const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
	let gzip: Buffer | undefined;
	if (compressible.test(file.type) && body.length > 512) {
		const packed = gzipSync(body, { level: 9 });
		if (packed.length < body.length * 0.9) gzip = packed;
	}
	const loaded = { mtimeMs: info.mtimeMs, size: info.size, body, gzip, etag };
	cache.set(file, loaded);
	return loaded;
}

/** True when any of the comma-separated entity tags of If-None-Match is `etag` (or "*"). */
function matches(header: string | undefined, etag: string): boolean {
	if (!header) return false;
	return header.split(",").some((tag) => {
		const t = tag.trim().replace(/^W\//, "");
		return t === "*" || t === etag;
	});
}

function acceptsGzip(header: string | string[] | undefined): boolean {
	const value = Array.isArray(header) ? header.join(",") : header ?? "";
	return value.split(",").some((part) => {
		const [coding, ...params] = part.trim().split(";");
		if (coding.trim().toLowerCase() !== "gzip") return false;
		const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
		return !q || Number(q.slice(2)) > 0;
	});
}

/** Answers GET/HEAD for one file: 200 (gzip when accepted), or 304 when the client's copy is current. */
export function sendFile(req: IncomingMessage, res: ServerResponse, file: StaticFile): void {
	const loaded = load(file);
	const headers: Record<string, string | number> = {
		"cache-control": file.cache,
		etag: loaded.etag,
		vary: "accept-encoding",
		"x-content-type-options": "nosniff",
		...file.headers,
	};
	if (matches(req.headers["if-none-match"], loaded.etag)) {
		res.writeHead(304, headers);
		res.end();
		return;
	}
	const gzip = loaded.gzip && acceptsGzip(req.headers["accept-encoding"]);
	const body = gzip ? loaded.gzip! : loaded.body;
	res.writeHead(200, {
		...headers,
		"content-type": file.type,
		"content-length": body.length,
		...(gzip ? { "content-encoding": "gzip" } : {}),
	});
	res.end(req.method === "HEAD" ? undefined : body);
}
