// Fetches the XS engine sources from the npm package @agoric/xsnap@0.15.0
// (XS 13.3.0, LGPL-3.0-or-later) into build/xs. The tarball comes from the
// npm registry through `npm pack` (no install scripts run), its sha512 is
// checked against the pin below, and only moddable/xs/{sources,includes,
// platforms} are extracted. Nothing of the engine is committed to ivxs.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";

export const XS_PACKAGE = "@agoric/xsnap@0.15.0";
export const XS_INTEGRITY =
	"sha512-ZBm4DZxbtfacxMHVVdJjZi0Y8zOxN77vpu1WwI5RWfPkaRh0aHkz/dVdTGKXalDNzWfz183lljKxlxl3/h0n+A==";

export function fetchXs(buildDir, log) {
	const dest = join(buildDir, "xs");
	const stamp = join(dest, ".integrity");
	if (existsSync(stamp) && readFileSync(stamp, "utf8") === XS_INTEGRITY) return dest;
	const tmp = join(buildDir, "xs-download");
	rmSync(tmp, { recursive: true, force: true });
	mkdirSync(tmp, { recursive: true });
	log(`fetching XS engine sources (${XS_PACKAGE})`);
	const out = execFileSync("npm", ["pack", XS_PACKAGE, "--ignore-scripts", "--json", "--pack-destination", tmp], {
		stdio: ["ignore", "pipe", "pipe"],
		encoding: "utf8",
	});
	const info = JSON.parse(out.slice(out.indexOf("[")))[0];
	const tarball = join(tmp, info.filename);
	const digest = "sha512-" + createHash("sha512").update(readFileSync(tarball)).digest("base64");
	if (digest !== XS_INTEGRITY)
		throw new Error(`${XS_PACKAGE}: integrity mismatch (got ${digest}, pinned ${XS_INTEGRITY})`);
	execFileSync("tar", ["-xzf", tarball, "-C", tmp,
		"package/moddable/xs/sources", "package/moddable/xs/includes", "package/moddable/xs/platforms",
		"package/LICENSE"]);
	rmSync(dest, { recursive: true, force: true });
	renameSync(join(tmp, "package/moddable/xs"), dest);
	renameSync(join(tmp, "package/LICENSE"), join(dest, "LICENSE.xsnap-package"));
	writeFileSync(stamp, XS_INTEGRITY);
	rmSync(tmp, { recursive: true, force: true });
	return dest;
}
