// mbedTLS of the 3.6 line — the one ESP-IDF 5 builds into a board — as Debian's source package in
// Debian 13 (trixie), fetched from Debian's archive into build/mbedtls3/<version>: the C cores are
// checked against it (scripts/mbedtls3-check.mjs, a test) and the bench counts the board's DTLS
// handshake with it. The host itself keeps Debian 12's 2.28 (libmbedtls-dev).
//
// Trust goes the way apt's does: the suite's InRelease is checked by gpgv against Debian's archive
// keyring (debian-archive-keyring, which apt itself depends on), the Sources index by the SHA-256
// the signed text gives it, the upstream tarball by the SHA-256 the index gives it. Only include/,
// library/ and LICENSE are unpacked; nothing of mbedTLS is committed to ivxs. Once unpacked the tree is
// reused without the network (its stamp names the tarball's digest).
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const MBEDTLS3_SUITE = "trixie";   // not "stable": the next Debian may carry mbedTLS 4, another API
const ARCHIVE = "http://deb.debian.org/debian";
const KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

async function download(url) {
	let response;
	try {
		response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
	} catch (error) {
		throw new Error(`${url}: ${error.cause?.message ?? error.message} (Debian's archive is needed once, to fetch mbedTLS 3.6's source)`);
	}
	if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
	return Buffer.from(await response.arrayBuffer());
}

/** The SHA-256 a Release (or Sources stanza) text gives `name`, or null. */
function listedSha256(text, name) {
	const section = text.split(/^Checksums-Sha256:\n/m)[1] ?? text.split(/^SHA256:\n/m)[1] ?? "";
	for (const line of section.split("\n")) {
		if (!line.startsWith(" ")) break;
		const [digest, , file] = line.trim().split(/\s+/);
		if (file === name) return digest;
	}
	return null;
}

/** Unpacks (once) and returns the directory of Debian trixie's mbedTLS source: include/ and library/. */
export async function mbedtls3Source(buildDir, log = () => {}) {
	const base = join(buildDir, "mbedtls3");
	const current = existsSync(base) && readdirSync(base).find((d) => existsSync(join(base, d, ".sha256")));
	if (current) return join(base, current);

	const scratch = join(base, "download");
	rmSync(scratch, { recursive: true, force: true });
	mkdirSync(scratch, { recursive: true });
	log(`fetching mbedTLS 3.6's source from Debian ${MBEDTLS3_SUITE}`);
	const inRelease = join(scratch, "InRelease");
	writeFileSync(inRelease, await download(`${ARCHIVE}/dists/${MBEDTLS3_SUITE}/InRelease`));
	const release = join(scratch, "Release");
	try {
		execFileSync("gpgv", ["--keyring", KEYRING, "--output", release, inRelease], { stdio: ["ignore", "ignore", "pipe"] });
	} catch (error) {
		throw new Error(`Debian ${MBEDTLS3_SUITE}'s InRelease does not verify against ${KEYRING}: ${error.stderr}`);
	}
	const sourcesXz = await download(`${ARCHIVE}/dists/${MBEDTLS3_SUITE}/main/source/Sources.xz`);
	if (sha256(sourcesXz) !== listedSha256(readFileSync(release, "utf8"), "main/source/Sources.xz"))
		throw new Error(`Debian ${MBEDTLS3_SUITE}: main/source/Sources.xz does not match its signed Release`);
	const sources = execFileSync("xz", ["-dc"], { input: sourcesXz, maxBuffer: 1 << 30 }).toString("utf8");
	const stanza = sources.split("\n\n").find((s) => /^Package: mbedtls$/m.test(s));
	const directory = stanza && /^Directory: (.+)$/m.exec(stanza)?.[1];
	const tarball = stanza && /^ \S+ \d+ (mbedtls_[^ ]+\.orig\.tar\.(?:bz2|xz|gz))$/m.exec(stanza.split(/^Checksums-Sha256:$/m)[1] ?? "")?.[1];
	if (!directory || !tarball) throw new Error(`Debian ${MBEDTLS3_SUITE} lists no mbedtls source tarball`);
	const bytes = await download(`${ARCHIVE}/${directory}/${tarball}`);
	const digest = sha256(bytes);
	if (digest !== listedSha256(stanza, tarball)) throw new Error(`${tarball} does not match Debian's Sources index`);

	const file = join(scratch, tarball);
	writeFileSync(file, bytes);
	const top = execFileSync("tar", ["-tf", file], { maxBuffer: 1 << 28 }).toString().split("\n")[0].split("/")[0];
	execFileSync("tar", ["-xf", file, "-C", scratch, `${top}/include`, `${top}/library`, `${top}/LICENSE`]);
	const version = tarball.replace(/^mbedtls_/, "").replace(/\.orig\.tar\.\w+$/, "");
	const dest = join(base, version);
	rmSync(dest, { recursive: true, force: true });
	renameSync(join(scratch, top), dest);
	writeFileSync(join(dest, ".sha256"), `${digest}  ${tarball}\n`);
	rmSync(scratch, { recursive: true, force: true });
	log(`mbedTLS ${version} (Debian ${MBEDTLS3_SUITE}) unpacked in ${dest}`);
	return dest;
}

// MBEDTLS_SSL_DTLS_SRTP: off in mbedTLS's default configuration, on in hosts/esp32s3/sdkconfig.
export const MBEDTLS_DEFINES = ["-DMBEDTLS_SSL_DTLS_SRTP"];

export const mbedtlsVersion = (tree) =>
	/MBEDTLS_VERSION_STRING\s+"([^"]+)"/.exec(readFileSync(join(tree, "include/mbedtls/build_info.h"), "utf8"))?.[1] ?? "?";

/** Every library/*.c of the tree into one archive in `dir` (two compilers at a time), with the given flags;
 * kept while the tree (its tarball's digest; a tree without one is always rebuilt) and the flags are the
 * same — a build takes about a minute. */
export function buildMbedtls(tree, dir, flags) {
	const objects = join(dir, "obj");
	mkdirSync(objects, { recursive: true });
	const archive = join(dir, "libmbedtls-all.a");
	const stampFile = join(dir, ".built");
	const digestFile = join(tree, ".sha256");
	const stamp = existsSync(digestFile) && `${readFileSync(digestFile, "utf8").trim()}\n${[...flags, ...MBEDTLS_DEFINES].join(" ")}\n`;
	if (stamp && existsSync(archive) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) return archive;
	rmSync(stampFile, { force: true });
	const sources = readdirSync(join(tree, "library")).filter((f) => f.endsWith(".c"));
	const compile = `gcc ${[...flags, ...MBEDTLS_DEFINES].join(" ")} -I"${tree}/include" -I"${tree}/library" -c "${tree}/library/{}" -o "${objects}/{}.o"`;
	const built = spawnSync("sh", ["-c", `printf '%s\\n' ${sources.join(" ")} | xargs -P2 -I{} sh -c '${compile}'`], { encoding: "utf8" });
	rmSync(archive, { force: true });
	const archived = built.status === 0 && spawnSync("sh", ["-c", `ar rcs "${archive}" "${objects}"/*.o`], { encoding: "utf8" });
	if (!archived || archived.status !== 0)
		throw new Error(`mbedTLS ${mbedtlsVersion(tree)} (${flags.join(" ")}) does not build:\n${(archived || built).stdout}${(archived || built).stderr}`);
	if (stamp) writeFileSync(stampFile, stamp);
	return archive;
}

/** The tree built as a board's word size (-m32 -O2) into `dir`, as bench/webrtc/run.mjs's `mbedtls` argument. */
export const boardMbedtls = (tree, dir) => ({
	tag: `mbedtls-${mbedtlsVersion(tree)}`,
	flags: [...MBEDTLS_DEFINES, `-I${tree}/include`],
	libs: [buildMbedtls(tree, dir, ["-m32", "-O2"])],
});
