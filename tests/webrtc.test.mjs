// The WebRTC wire's SRTP core (native/webrtc/srtp.c) against an independent implementation,
// Debian's libsrtp2 (what Chromium's WebRTC uses): native/webrtc/tests/libsrtp_interop.c,
// compiled here (native/Makefile does not link libsrtp2: the host must not) plain and with
// AddressSanitizer + UBSan, must protect every RTP and RTCP packet to the same bytes as libsrtp2
// and unprotect what it protected. The core's own tests: native/webrtc/tests (tests/native-c).
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { build, root, runHost } from "./_host.mjs";

const SOURCES = ["native/webrtc/tests/libsrtp_interop.c", "native/webrtc/srtp.c", "native/webrtc/webrtc_status.c"].map((f) => join(root, f));
const INCLUDES = ["native/webrtc", "native/common", "native/annexb"].map((d) => `-I${join(root, d)}`);
const VARIANTS = { plain: ["-O2"], sanitize: ["-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"] };

for (const [variant, flags] of Object.entries(VARIANTS)) {
	test(`SRTP (${variant}): byte-identical to libsrtp2 for RTP and RTCP, each side unprotects the other's`, async (t) => {
		const dir = join(build, "ctest", variant);
		mkdirSync(dir, { recursive: true });
		const binary = join(dir, "libsrtp_interop");
		const cc = spawnSync("gcc", ["-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", ...flags, ...INCLUDES, ...SOURCES, "-lsrtp2", "-lmbedcrypto", "-o", binary], { encoding: "utf8" });
		t.is(cc.status, 0, cc.stderr);
		const run = await runHost([], { binary, timeoutMs: 120_000 });
		t.log(run.stdout.trim());
		t.is(run.code, 0, run.stdout + run.stderr);
		t.regex(run.stdout, /2 passed, 0 failed/);
		t.false(/AddressSanitizer|runtime error:/.test(run.stderr), run.stderr);
	});
}
