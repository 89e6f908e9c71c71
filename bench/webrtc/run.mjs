/*
 * `node bench/run.mjs webrtc` — the camera's side of a WebRTC viewer's DTLS-SRTP handshake
 * (native/webrtc/dtls.c over mbedTLS) in instructions, on the 32-bit host (a board's word size):
 *
 *   gcc -m32 -O2 bench/webrtc/dtls_handshakes.c native/webrtc/{dtls,srtp,webrtc_status}.c -lmbedtls -lmbedx509 -lmbedcrypto
 *   valgrind --tool=callgrind --toggle-collect=mbedtls_ssl_handshake_server_step dtls_handshakes 3
 *
 * Only the server's handshake steps are counted (the camera answers as the DTLS server:
 * a=setup:passive), with everything they call — the key exchange (P-256 ECDHE), the signature of its
 * ServerKeyExchange and the check of the viewer's CertificateVerify (P-256 ECDSA) — over 3
 * handshakes, divided by 3. The identities are made before (once at provisioning on a camera).
 * Figure: instructions per handshake, and that at 240 M instructions a second (an ESP32-S3 core
 * at one instruction a cycle: x86 instructions, not Xtensa's, so a guide, not a board's time).
 * Counted twice: against the mbedTLS a board runs — the 3.6 line of ESP-IDF 5, as Debian 13's
 * source (scripts/mbedtls3-source.mjs, fetched once) built -m32 -O2 — which the target is judged
 * on, and against the host's (Debian 12's 2.28, its -m32 libraries), beside it.
 * Target (issue 28): aim ≤ 300 ms.
 *
 * The send path per video frame (bench/xs/webrtc-send-bench.js on build/bin/ivxs-m32 under
 * callgrind, every access unit of the 640×480 clip 12 times minus 2 times, divided by the frames
 * between), from the push into the ring to the datagrams on a loopback socket: native/webrtc's
 * RtpFeed — the frame read in the ring, packetized, protected and written to the socket in C, one
 * call a frame — against the JavaScript one would write instead (a RingReader, packetize's
 * ArrayBuffer per packet, a copy each, Srtp.protect, a socket write each). Both make the same
 * packets (checked: counts and bytes equal). Instructions per frame (XS, C, crypto and the system
 * calls' user side together) and the ratio feed / js. Target (issue 55): ≤ 40,000 a frame.
 *
 * A consent check (bench/xs/webrtc-consent-bench.js, the same way: 1,000 checks minus 200): what a
 * watching viewer's ICE consent check costs the camera on XS — found by its ufrag and answered
 * (FINGERPRINT, MESSAGE-INTEGRITY, the signed response) — in instructions and in XS bytes allocated
 * (every one the collector's; a viewer sends one every few seconds for as long as it watches).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { callgrindTotal, round, xsBenchRun } from "../lib.mjs";
import { boardMbedtls, mbedtls3Source, mbedtlsVersion } from "../../scripts/mbedtls3-source.mjs";

const HANDSHAKES = 3;

/**
 * The camera's (DTLS server's) instructions per handshake, HANDSHAKES counted under callgrind, built
 * -m32 -O2 against Debian's mbedTLS or, given `mbedtls` ({ tag, flags, libs }), another build of it
 * (scripts/mbedtls3-source.mjs `boardMbedtls`: the 3.6 line ESP-IDF 5 ships).
 */
export function dtlsHandshakeInstructions(root, mbedtls = { tag: "debian", flags: [], libs: ["-lmbedtls", "-lmbedx509", "-lmbedcrypto"] }) {
	const work = join(root, "build/bench/webrtc");
	mkdirSync(work, { recursive: true });
	const binary = join(work, `dtls_handshakes-m32-${mbedtls.tag}`);
	const sources = ["bench/webrtc/dtls_handshakes.c", "native/webrtc/dtls.c", "native/webrtc/srtp.c", "native/webrtc/srtp_crypto.c", "native/webrtc/webrtc_status.c"].map((f) => join(root, f));
	const cc = spawnSync("gcc", ["-m32", "-std=c11", "-D_GNU_SOURCE", "-O2", ...mbedtls.flags, `-I${join(root, "native/webrtc")}`, `-I${join(root, "native/common")}`, ...sources, ...mbedtls.libs, "-o", binary], { encoding: "utf8" });
	if (cc.status !== 0) throw new Error(`gcc -m32: ${cc.stderr}`);
	const out = join(work, `dtls-${mbedtls.tag}.callgrind`);
	const run = spawnSync("valgrind", ["--tool=callgrind", "--toggle-collect=mbedtls_ssl_handshake_server_step", `--callgrind-out-file=${out}`, binary, String(HANDSHAKES)], { encoding: "utf8", timeout: 300_000 });
	if (run.status !== 0 || !/handshakes 3/.test(run.stdout)) throw new Error(`dtls_handshakes: ${run.stdout}${run.stderr.slice(-500)}`);
	return callgrindTotal(out) / HANDSHAKES;
}

export async function benchWebrtc({ root }) {
	const tree = await mbedtls3Source(join(root, "build"));
	const board = dtlsHandshakeInstructions(root, boardMbedtls(tree, join(root, "build/bench/webrtc/mbedtls-m32")));
	const host = dtlsHandshakeInstructions(root);
	const ms = (instructions) => instructions / 240e6 * 1000;
	const send = sendPath(root);
	return {
		...send,
		...consentCheck(root),
		what: `the camera's (DTLS server's) instructions per DTLS-SRTP handshake: P-256 ECDHE key exchange, P-256 ECDSA sign and verify (32-bit host, callgrind), against the mbedTLS a board runs (${mbedtlsVersion(tree)}: the 3.6 line of ESP-IDF 5, Debian 13's source) and, beside it, the host's (Debian 12's 2.28)`,
		dtls_handshake_mbedtls: mbedtlsVersion(tree),
		dtls_handshake_instructions: Math.round(board),
		dtls_handshake_ms_at_240MIPS: round(ms(board), 0),
		host_dtls_handshake_instructions: Math.round(host),
		host_dtls_handshake_ms_at_240MIPS: round(ms(host), 0),
		target: "aim <= 300 ms on a 240 MHz core, with the board's mbedTLS (issue 28)",
		meets: ms(board) <= 300,
	};
}

const OUT_DIR = "build/bench/webrtc";
const SEND_LONG = 12, SEND_SHORT = 2;
const CHECKS_LONG = 1000, CHECKS_SHORT = 200;

/** A consent check's instructions and XS bytes allocated, each (long run minus short). */
function consentCheck(root) {
	const long = xsBenchRun(root, OUT_DIR, "webrtc-consent-bench", [CHECKS_LONG], "checks"), short = xsBenchRun(root, OUT_DIR, "webrtc-consent-bench", [CHECKS_SHORT], "checks");
	const checks = long.checks - short.checks;
	return {
		consent_what: "a watching viewer's ICE consent check, found by its ufrag and answered on XS (32-bit host, callgrind: 1,000 checks minus 200): instructions and XS bytes allocated per check",
		consent_instructions_per_check: Math.round((long.instructions - short.instructions) / checks),
		consent_allocated_bytes_per_check: Math.round((long.allocated - short.allocated) / checks),
	};
}

/** The send path's instructions per video frame: RtpFeed against the JavaScript path one would write instead. */
function sendPath(root) {
	const perFrame = {}, made = {};
	for (const mode of ["feed", "js"]) {
		const long = xsBenchRun(root, OUT_DIR, "webrtc-send-bench", [mode, SEND_LONG], "mode"), short = xsBenchRun(root, OUT_DIR, "webrtc-send-bench", [mode, SEND_SHORT], "mode");
		perFrame[mode] = (long.instructions - short.instructions) / (long.frames - short.frames);
		made[mode] = [long.packets, long.bytes];
	}
	if (made.feed.join() !== made.js.join()) throw new Error(`the two send paths made different packets: ${JSON.stringify(made)}`);
	return {
		send_what: "instructions per video frame from the ring's push to its SRTP datagrams on a loopback socket, on XS (32-bit host, callgrind, 640x480 H.264 clip: long run minus short): native RtpFeed vs the JS path one would write instead",
		send_instructions_per_frame_feed: Math.round(perFrame.feed),
		send_instructions_per_frame_js: Math.round(perFrame.js),
		send_ratio_feed_vs_js: round(perFrame.feed / perFrame.js, 3),
		send_target: "<= 40,000 instructions a frame (issue 55)",
		send_meets: perFrame.feed <= 40_000,
		send_packets_bytes: made.feed,
	};
}
