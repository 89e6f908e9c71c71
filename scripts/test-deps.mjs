// Makes sure the machine has what `npm test` needs beyond Node, gcc and make,
// and installs what is missing from Debian's packages. Each need is probed by
// doing what the tests do (running a tool, compiling a tiny program), not by
// asking the package manager, so a tool that is present but broken is found too.
//
// Installing needs root (or password-less sudo) and apt-get. Where the script
// cannot install, it names the packages and exits 1, before any test runs.
//   node scripts/test-deps.mjs            check, install what is missing
//   node scripts/test-deps.mjs --check    check only (exit 1 if something is missing)
//   node scripts/test-deps.mjs --build    only what `npm install` needs (`npm run setup`, and scripts/build.mjs)
//   node scripts/test-deps.mjs --bench    only what `npm run bench` needs beyond the tests (the p2p
//                                         benchmark's peers); never fails: a peer it lacks is
//                                         reported unavailable by the benchmark
// The tests need none of the bench's entries.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { helpIfAsked } from "./usage.mjs";

helpIfAsked(process.argv.slice(2), import.meta.url);

const scratch = mkdtempSync(join(tmpdir(), "ivxs-deps-"));
const hello = join(scratch, "hello.c");
writeFileSync(hello, "int main(void) { return 0; }\n");
const fuzzTarget = join(scratch, "fuzz.c");
writeFileSync(fuzzTarget, "#include <stdint.h>\n#include <stddef.h>\n"
	+ "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n");

const mbedtlsHost = join(scratch, "mbedtls-host.c");
writeFileSync(mbedtlsHost, "#include <mbedtls/md.h>\n#include <mbedtls/ssl.h>\nint main(void) { mbedtls_ssl_context s; mbedtls_ssl_init(&s); mbedtls_ssl_free(&s); return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256) == 0; }\n");
const srtPeer = join(scratch, "srt-peer.c");
writeFileSync(srtPeer, "#include <srt/srt.h>\nint main(void) { return srt_startup() < 0; }\n");
const succeeds = (command, args) => spawnSync(command, args, { stdio: "ignore", cwd: scratch }).status === 0;
const compiles = (compiler, flags, source = hello, out = join(scratch, "a.out")) => succeeds(compiler, [...flags, source, "-o", out]);
const hello32 = join(scratch, "hello32");
const compiles32 = () => compiles("gcc", ["-m32"], hello, hello32);
/** No 32-bit program to run (no gcc -m32 yet: that need comes first), or one that runs. */
const runs32 = () => !compiles32() || succeeds(hello32, []);

// A kernel built without IA32 emulation (seen: a 6.18 microVM kernel) refuses 32-bit x86
// programs ("Exec format error"); Debian's qemu-user then runs them, once binfmt_misc hands it
// every i386 ELF executable (the magic and mask of QEMU's own qemu-binfmt-conf.sh). Registered
// only where the kernel cannot run them itself: binfmt_misc is asked before the native loader.
const I386_BINFMT = ":qemu-i386:M::\\x7fELF\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x03\\x00"
	+ ":\\xff\\xff\\xff\\xff\\xff\\xfe\\xfe\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/usr/bin/qemu-i386:F";
function registerQemuI386(prefix) {
	if (runs32() || !existsSync("/usr/bin/qemu-i386")) return;
	const [command, ...rest] = [...prefix, "sh", "-c", "dir=/proc/sys/fs/binfmt_misc; "
		+ "{ [ -e $dir/register ] || mount -t binfmt_misc binfmt_misc $dir; } && "
		+ `{ [ -e $dir/qemu-i386 ] || printf '%s\\n' '${I386_BINFMT}' > $dir/register; }`];
	console.error("[test-deps] this kernel cannot run 32-bit programs: registering qemu-i386 with binfmt_misc");
	execFileSync(command, rest, { stdio: ["ignore", "ignore", "inherit"] });
}

// What the tests need: why, how to tell it is there, and the Debian packages.
const needs = [
	{ what: "ffprobe/ffmpeg (independent media checks)", ok: () => succeeds("ffprobe", ["-version"]) && succeeds("ffmpeg", ["-version"]),
		packages: ["ffmpeg"] },
	{ what: "Chromium (playback in a real browser)", ok: () => succeeds("chromium", ["--version"]),
		packages: ["chromium"] },
	{ what: "gcc sanitizers (ASan + UBSan builds of the cores and the host)",
		ok: () => compiles("gcc", ["-fsanitize=address,undefined"]), packages: ["libasan8", "libubsan1"] },
	{ what: "32-bit gcc (the -m32 host: board-sized XS heap figures)", ok: compiles32,
		packages: ["gcc-multilib"] },
	{ what: "32-bit programs that run (the -m32 C tests and host): where the kernel has no IA32 emulation, through Debian's qemu-user and binfmt_misc",
		ok: runs32, packages: ["qemu-user"], after: registerQemuI386 },
	{ what: "Cortex-M compiler (MCU compile check of the portable C)",
		ok: () => compiles("arm-none-eabi-gcc", ["-mcpu=cortex-m4", "-mthumb", "--specs=nosys.specs"]),
		packages: ["gcc-arm-none-eabi", "libnewlib-arm-none-eabi"] },
	{ what: "python3 and g++ (npm install builds the cloud's SQLite addon, better-sqlite3, with node-gyp)", build: true,
		ok: () => succeeds("python3", ["-c", "import sys"]) && succeeds("g++", ["--version"]), packages: ["python3", "g++"] },
	{ what: "mbedTLS (the Linux host links it: ivxs/crypto, TLS sockets)", build: true,
		ok: () => succeeds("gcc", [mbedtlsHost, "-lmbedtls", "-lmbedx509", "-lmbedcrypto", "-o", join(scratch, "a.out")]),
		packages: ["libmbedtls-dev"] },
	{ what: "32-bit mbedTLS (the -m32 host)",
		ok: () => succeeds("gcc", ["-m32", mbedtlsHost, "-lmbedtls", "-lmbedx509", "-lmbedcrypto", "-o", join(scratch, "a.out")]),
		packages: ["libmbedtls-dev:i386"] },
	{ what: "lwIP's headers (the board's UDP socket is compiled against them: tests/moddable.test.mjs)",
		ok: () => existsSync("/usr/include/lwip/lwip/udp.h"), packages: ["liblwip-dev"] },
	{ what: "strace (the cloud's durability test watches an object put's fsyncs)", ok: () => succeeds("strace", ["-V"]), packages: ["strace"] },
	{ what: "libfaketime (the camera app run with its wall clock 10 minutes off: tests/camera-clock)",
		ok: () => succeeds("env", ["LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "FAKETIME=+600", "true"])
			&& existsSync("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"), packages: ["libfaketime", "faketime"] },
	{ what: "openssl and python3 (the network tests' certificates and a port that never accepts)",
		ok: () => succeeds("openssl", ["version"]) && succeeds("python3", ["-c", "import socket"]), packages: ["openssl", "python3"] },
	{ what: "clang with libFuzzer (fuzz harnesses of the C parsers)",
		ok: () => compiles("clang", ["-fsanitize=fuzzer,address,undefined"], fuzzTarget),
		packages: ["clang", "libclang-rt-14-dev"] },
	{ what: "gpgv, Debian's archive keyring, xz and bzip2 (mbedTLS 3.6's source fetched from Debian 13 and checked as apt would: tests/mbedtls3.test.mjs, scripts/mbedtls3-source.mjs)",
		ok: () => succeeds("gpgv", ["--version"]) && existsSync("/usr/share/keyrings/debian-archive-keyring.gpg")
			&& succeeds("xz", ["--version"]) && succeeds("bzip2", ["--help"]),
		packages: ["gpgv", "debian-archive-keyring", "xz-utils", "bzip2"] },
	{ what: "libsrtp2 with its headers (an independent SRTP the WebRTC core's is checked against: tests/webrtc.test.mjs)",
		ok: () => existsSync("/usr/include/srtp2/srtp.h") && compiles("gcc", ["-lsrtp2"]), packages: ["libsrtp2-dev"] },
	{ what: "aiortc, an independent WebRTC stack (Debian's python3-aiortc: its RTP depacketizer reads ours in tests/webrtc.test.mjs)",
		ok: () => succeeds("/usr/bin/python3", ["-c", "import aiortc"]), packages: ["python3-aiortc"] },
	{ what: "iproute2 (TUN link tests of tests/p2p: network namespaces)", ok: () => succeeds("ip", ["netns", "list"]),
		packages: ["iproute2"] },
	{ what: "coturn (the STUN/TURN server of the P2P tests: tests/camera-p2p-nat.test.mjs)",
		ok: () => ["turnserver", "/usr/bin/turnserver"].some((path) => spawnSync(path, ["--help"], { stdio: "ignore" }).error === undefined), packages: ["coturn"] },
	{ what: "nftables (the NATs of the P2P tests' network namespaces: tests/_netns.mjs)", ok: () => succeeds("/usr/sbin/nft", ["--version"]),
		packages: ["nftables"] },
	{ what: "kcptun (the p2p benchmark's KCP peer: bench/p2p/transports.mjs)", bench: true,
		ok: () => succeeds("kcptun-client", ["--version"]) && succeeds("kcptun-server", ["--version"]), packages: ["kcptun"] },
	{ what: "libsrt with its headers (the p2p benchmark's SRT peer: bench/p2p/srt-peer.c)", bench: true,
		ok: () => succeeds("sh", ["-c", `pkg-config --exists srt && gcc ${srtPeer} $(pkg-config --cflags --libs srt) -o a.out`]), packages: ["libsrt-openssl-dev", "pkg-config"] },
	{ what: "mosquitto (the external MQTT broker of the cloud's scale tests; `mosquitto -h` exits 3, so its banner is the probe)",
		ok: () => ["mosquitto", "/usr/sbin/mosquitto"].some((path) => /mosquitto version/.test(spawnSync(path, ["-h"], { encoding: "utf8" }).stdout ?? "")),
		packages: ["mosquitto"] },
	{ what: "HAProxy (the load balancer in front of several cloud instances: cloud/tests/multi-instance.test.mjs, bench cloud_multi)",
		ok: () => ["haproxy", "/usr/sbin/haproxy"].some((path) => succeeds(path, ["-v"])), packages: ["haproxy"] },
	{ what: "PostgreSQL server (the metadata contract suite, the tests parametrised by engine and the cluster on PostgreSQL start their own cluster with initdb/pg_ctl)",
		ok: () => (existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql") : []).some((version) => succeeds(`/usr/lib/postgresql/${version}/bin/initdb`, ["--version"])),
		packages: ["postgresql"] },
];

// `--build`: only what building the host needs (run by scripts/build.mjs, so
// `npm install` on a fresh machine can build before `npm test` installs the rest);
// `--bench`: only the benchmark's own.
const bench = process.argv.includes("--bench");
function missing() {
	const buildOnly = process.argv.includes("--build");
	return needs.filter((need) => Boolean(need.bench) === bench && (!buildOnly || need.build) && !need.ok());
}

function installer() {
	if (!succeeds("apt-get", ["--version"])) return null;
	if (process.getuid?.() === 0) return [];
	return succeeds("sudo", ["-n", "true"]) ? ["sudo", "-n"] : null;
}

function install(packages) {
	const prefix = installer();
	if (!prefix) return false;
	const run = (args) => {
		const [command, ...rest] = [...prefix, ...args];
		execFileSync(command, rest, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
	};
	console.error(`[test-deps] installing from Debian: ${packages.join(" ")} (a few minutes the first time)`);
	// 32-bit libraries (name:i386) need the architecture enabled before the update
	if (packages.some((p) => p.endsWith(":i386"))) run(["dpkg", "--add-architecture", "i386"]);
	// A mirror caught mid-sync fails the update for one index (seen: bookworm-security's i386
	// list, "File has unexpected size") though the packages we need resolve from the rest:
	// retry once, then go on and let the install itself decide.
	for (let attempt = 1; ; attempt++) {
		try {
			run(["apt-get", "update", "-qq"]);
			break;
		}
		catch (error) {
			if (attempt === 2) {
				console.error(`[test-deps] apt-get update failed twice (${error.message.split("\n")[0]}); installing with the indexes there are`);
				break;
			}
		}
	}
	run(["apt-get", "install", "-y", "-qq", ...packages]);
	return true;
}

function main() {
	let lacking = missing();
	// two rounds: a need can show only once another is met (32-bit programs run once gcc -m32 builds them)
	for (let round = 0; round < 2 && lacking.length && !process.argv.includes("--check"); round++) {
		const packages = [...new Set(lacking.flatMap((need) => need.packages))];
		try {
			if (!install(packages))
				console.error("[test-deps] cannot install: needs root or password-less sudo, and apt-get");
			else
				for (const need of lacking) need.after?.(installer());
		}
		catch (error) {
			console.error(`[test-deps] apt-get failed: ${error.message.split("\n")[0]}`);
		}
		lacking = missing();
	}
	if (!lacking.length) return 0;
	console.error(`[test-deps] the ${bench ? "benchmark" : "tests"} need${bench ? "s" : ""}, and this machine lacks:`);
	for (const need of lacking) console.error(`  - ${need.what}: Debian package(s) ${need.packages.join(", ")}`);
	console.error(`[test-deps] install them (e.g. sudo apt-get install ${[...new Set(lacking.flatMap((need) => need.packages))].join(" ")}) and run npm ${bench ? "run bench" : "test"} again`);
	return bench ? 0 : 1;
}

try {
	process.exitCode = main();
}
finally {
	rmSync(scratch, { recursive: true, force: true });
}
