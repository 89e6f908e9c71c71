// The libFuzzer harnesses (native/fuzz): the Annex-B core and capture's
// splitters, the P2P transport's packets and handshake and its AEAD: a bounded run
// here, longer with `npm run fuzz`
// (IVXS_FUZZ_SECONDS). Progress (no stall, bounded results per byte) and the
// invariants are checked inside the harness; a failure leaves its input in
// build/fuzz/crashes. Needs clang + libFuzzer (Debian: clang, libclang-rt-14-dev).
import test from "ava";
import { buildFuzzer, runFuzzer } from "../native/fuzz/run.mjs";

const runs = Number(process.env.IVXS_FUZZ_RUNS ?? 15_000);

for (const [name, what] of [["splitters", "the splitters and the scanner"], ["p2p", "the P2P packets and handshake"], ["aead", "the P2P packets' AEADs, ChaCha20-Poly1305 and AES-128-CTR + HMAC-SHA-256 (the same bytes as mbedTLS's, forgeries refused)"], ["webrtc", "SRTP/SRTCP unprotect, the RTP packetizer, the RTCP parser, DTLS datagrams and SCTP packets"], ["fmp4", "the fMP4 core's fragments from frames of any bytes and times"]]) {
	test(`${what} hold their invariants on ${runs} fuzzed inputs`, async (t) => {
		buildFuzzer(name);   // throws, naming the Debian packages, when clang or libFuzzer is missing
		const { code, signal, output, executions } = await runFuzzer({ name, runs });
		const failure = output.split("\n").filter((l) => /check failed|ERROR: |SUMMARY|runtime error|artifact_prefix/.test(l)).join("\n");
		t.is(signal, null, failure || output.slice(-3000));
		t.is(code, 0, failure || output.slice(-3000));
		t.true(executions >= runs, `${executions} inputs run`);
		t.log(`${executions} inputs`);
	});
}
