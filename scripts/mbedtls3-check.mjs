/*
 * `node scripts/mbedtls3-check.mjs <mbedtls-3.x source tree>` — the C cores that call mbedTLS
 * (native/modules.txt: those linking -lmbed*: the P2P transport and WebRTC) built against another
 * mbedTLS than Debian's 2.28 — the 3.6 line ESP-IDF 5 ships — and their C test programs run,
 * with AddressSanitizer and UBSan. CI has only Debian's 2.28 and no internet, so this is a check
 * by hand: give it an mbedTLS source tree (include/, library/; e.g. a release tarball, or
 * `git archive v3.6.5 include library` of github.com/Mbed-TLS/mbedtls).
 *
 * The library is compiled from the tree with MBEDTLS_SSL_DTLS_SRTP on (off in mbedTLS's default
 * configuration, on in hosts/esp32s3/sdkconfig) into build/mbedtls-check/; nothing is installed.
 * Then the camera's side of a DTLS-SRTP handshake in instructions against it, as `node bench/run.mjs
 * webrtc` counts it against Debian's (the library built again -m32 -O2: a board's word size).
 * Exit 0 when every program builds and passes.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cTestPrograms, nativeModules } from "./native-modules.mjs";
import { dtlsHandshakeInstructions } from "../bench/webrtc/run.mjs";
import { helpIfAsked } from "./usage.mjs";

helpIfAsked(process.argv.slice(2), import.meta.url);
const root = resolve(import.meta.dirname, "..");
const tree = process.argv[2] && resolve(process.argv[2]);
if (!tree || !existsSync(join(tree, "include/mbedtls/version.h")) || !existsSync(join(tree, "library"))) {
	console.error("usage: node scripts/mbedtls3-check.mjs <mbedtls source tree: include/ and library/>");
	process.exit(2);
}
const version = /MBEDTLS_VERSION_STRING\s+"([^"]+)"/.exec(readFileSync(join(tree, "include/mbedtls/build_info.h"), "utf8"))?.[1] ?? "?";
const out = join(root, "build/mbedtls-check", version);
const defines = ["-DMBEDTLS_SSL_DTLS_SRTP"];
const sanitize = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-sanitize=alignment"];

function run(command, args, options = {}) {
	const result = spawnSync(command, args, { encoding: "utf8", ...options });
	return { ok: result.status === 0, text: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

/** Every library/*.c of the tree into one archive (two at a time), with the given compiler flags. */
function buildLibrary(dir, flags) {
	const objects = join(dir, "obj");
	mkdirSync(objects, { recursive: true });
	const archive = join(dir, "libmbedtls-all.a");
	const sources = readdirSync(join(tree, "library")).filter((f) => f.endsWith(".c"));
	const built = run("sh", ["-c", `printf '%s\\n' ${sources.join(" ")} | xargs -P2 -I{} sh -c 'gcc ${flags.join(" ")} ${defines.join(" ")} -I"${tree}/include" -I"${tree}/library" -c "${tree}/library/{}" -o "${objects}/{}.o"'`]);
	run("rm", ["-f", archive]);
	const archived = built.ok && run("sh", ["-c", `ar rcs "${archive}" "${objects}"/*.o`]);
	if (!archived?.ok) {
		console.error((archived || built).text);
		process.exit(1);
	}
	return archive;
}

console.log(`mbedTLS ${version} from ${tree}: building ${join(out, "libmbedtls-all.a")}`);
const library = buildLibrary(out, ["-O1"]);

// The C test programs of the modules that link mbedTLS, against it.
const modules = nativeModules();
const usesMbedtls = new Set(modules.filter((m) => m.libs.some((l) => l.startsWith("-lmbed"))).map((m) => m.specifier));
let failed = 0;
for (const program of cTestPrograms(modules).filter((p) => usesMbedtls.has(p.module))) {
	const binary = join(out, program.name);
	const others = program.libs.filter((l) => !l.startsWith("-lmbed"));
	const compiled = run("gcc", ["-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-pthread", ...sanitize, ...defines,
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
const handshake = dtlsHandshakeInstructions(root, { tag: `mbedtls-${version}`, flags: [...defines, `-I${tree}/include`], libs: [buildLibrary(join(out, "m32"), ["-m32", "-O2"])] });
console.log(`DTLS-SRTP handshake, the camera's side (-m32, callgrind): ${(handshake / 1e6).toFixed(1)} M instructions, ${Math.round(handshake / 240e3)} ms at 240 MIPS`);
console.log(failed ? `${failed} program(s) failed against mbedTLS ${version}` : `every program passed against mbedTLS ${version}`);
process.exit(failed ? 1 : 0);
