/*
 * `node scripts/mbedtls3-check.mjs [--no-count] [<mbedtls 3.x source tree>]` — the C cores that call
 * mbedTLS (native/modules.txt: those linking -lmbed*: the P2P transport and WebRTC) built against
 * another mbedTLS than the host's (Debian 12's 2.28) — the 3.6 line ESP-IDF 5 ships — and their C
 * test programs run, with AddressSanitizer and UBSan; with them the ESP32-S3 board's TLS client
 * session (hosts/esp32s3/tls_lwip.c, which only a board build compiles otherwise) and its test,
 * hosts/esp32s3/tests/tls_lwip_test.c (a Mbed TLS server at the other end of an in-memory stream).
 * Without a tree it is Debian 13's mbedTLS 3.6 source (scripts/mbedtls3-source.mjs: fetched once
 * from Debian's archive, signature checked); a tree given is any with include/ and library/ (a
 * release tarball, `git archive v3.6.5 include library` of github.com/Mbed-TLS/mbedtls).
 * tests/mbedtls3.test.mjs runs it with --no-count.
 *
 * The library is compiled from the tree with MBEDTLS_SSL_DTLS_SRTP on (off in mbedTLS's default
 * configuration, on in hosts/esp32s3/sdkconfig) into build/mbedtls-check/; nothing is installed.
 * Then, unless --no-count, the camera's side of a DTLS-SRTP handshake in instructions against it,
 * as `node bench/run.mjs webrtc` counts it (the library built again -m32 -O2: a board's word size).
 * Exit 0 when every program builds and passes.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { cTestPrograms, nativeModules } from "./native-modules.mjs";
import { boardMbedtls, buildMbedtls, MBEDTLS_DEFINES, mbedtls3Source, mbedtlsVersion } from "./mbedtls3-source.mjs";
import { dtlsHandshakeInstructions } from "../bench/webrtc/run.mjs";
import { helpIfAsked } from "./usage.mjs";

helpIfAsked(process.argv.slice(2), import.meta.url);
const root = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const count = !args.includes("--no-count");
const given = args.find((a) => !a.startsWith("--"));
let tree;
try {
	tree = given ? resolve(given) : await mbedtls3Source(join(root, "build"), console.log);
} catch (error) {
	console.error(error.message);
	process.exit(1);
}
if (!existsSync(join(tree, "include/mbedtls/version.h")) || !existsSync(join(tree, "library"))) {
	console.error("usage: node scripts/mbedtls3-check.mjs [--no-count] [<mbedtls source tree: include/ and library/>]");
	process.exit(2);
}
const version = mbedtlsVersion(tree);
const out = join(root, "build/mbedtls-check", version);
const sanitize = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-sanitize=alignment"];

function run(command, args, options = {}) {
	const result = spawnSync(command, args, { encoding: "utf8", ...options });
	return { ok: result.status === 0, text: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

console.log(`mbedTLS ${version} from ${tree}: building ${join(out, "libmbedtls-all.a")}`);
let library;
try {
	library = buildMbedtls(tree, out, ["-O1"]);
} catch (error) {
	console.error(error.message);
	process.exit(1);
}

// The C test programs of the modules that link mbedTLS, against it; then the board's TLS client
// session (hosts/esp32s3/tls_lwip.c, on Mbed TLS 3.6 or 4 on a board), which no module registers: its
// test runs it over an in-memory stream against a Mbed TLS server in the same process.
const modules = nativeModules();
const usesMbedtls = new Set(modules.filter((m) => m.libs.some((l) => l.startsWith("-lmbed"))).map((m) => m.specifier));
const boardTls = {
	name: "tls_lwip_test", sources: ["hosts/esp32s3/tests/tls_lwip_test.c", "hosts/esp32s3/tls_lwip.c"],
	includes: ["hosts/esp32s3", "native/common"], libs: [],
};
let failed = 0;
for (const program of [...cTestPrograms(modules).filter((p) => usesMbedtls.has(p.module)), boardTls]) {
	const binary = join(out, program.name);
	const others = program.libs.filter((l) => !l.startsWith("-lmbed"));
	const compiled = run("gcc", ["-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-pthread", ...sanitize, ...MBEDTLS_DEFINES,
		`-I${tree}/include`, ...program.includes.map((i) => `-I${join(root, i)}`), ...program.sources.map((s) => join(root, s)),
		"-o", binary, library, ...others, "-lm"]);
	if (!compiled.ok) {
		failed++;
		console.log(`FAIL ${program.name}: does not build\n${compiled.text}`);
		continue;
	}
	const ran = run(binary, [], { env: { ...process.env, IVXS_FIXTURES: join(root, "fixtures/media") }, timeout: 600_000 });
	const summary = /(\d+) passed, (\d+) failed/.exec(ran.text);
	if (!ran.ok || !summary || summary[2] !== "0") {
		failed++;
		console.log(`FAIL ${program.name}:\n${ran.text.split("\n").filter((l) => /FAIL|ERROR|runtime error|passed/.test(l)).join("\n") || ran.text.slice(-2000)}`);
	}
	else console.log(`ok   ${program.name} — ${summary[0]}`);
}
if (count) {
	const handshake = dtlsHandshakeInstructions(root, boardMbedtls(tree, join(out, "m32")));
	console.log(`DTLS-SRTP handshake, the camera's side (-m32, callgrind): ${(handshake / 1e6).toFixed(1)} M instructions, ${Math.round(handshake / 240e3)} ms at 240 MIPS`);
}
console.log(failed ? `${failed} program(s) failed against mbedTLS ${version}` : `every program passed against mbedTLS ${version}`);
process.exit(failed ? 1 : 0);
