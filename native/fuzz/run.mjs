// Builds and runs the libFuzzer harnesses: "splitters" over the Annex-B core
// and capture's splitters (native/fuzz/splitters_fuzz.c), "p2p" over every
// packet of the P2P transport and its handshake (native/fuzz/p2p_fuzz.c), "webrtc" over SRTP/SRTCP
// unprotect, the RTP packetizer, the RTCP parser, datagrams into a DTLS session and packets into an
// SCTP association (native/fuzz/webrtc_fuzz.c), "fmp4" over the fMP4 core's fragments from frames
// of any bytes and times (native/fuzz/fmp4_fuzz.c).
// Used by tests/fuzz.test.mjs (a bounded number of inputs in `npm test`) and
// by `npm run fuzz` (each harness IVXS_FUZZ_SECONDS, default 180; IVXS_FUZZ_JOBS,
// default 1; IVXS_FUZZ_HARNESS=name for one only; IVXS_FUZZ_RUNS=n for a count
// of inputs instead of a time).
// Needs Debian's clang 14 with libFuzzer: apt-get install clang libclang-rt-14-dev.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { nativeModules } from "../../scripts/native-modules.mjs";
import { helpIfAsked } from "../../scripts/usage.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const outRoot = join(root, "build", "fuzz");
// What native/modules.txt says of a module (scripts/native-modules.mjs): its C core, include
// folders and libraries; a harness's headers (for rebuilding) are those folders' .h files.
const modules = nativeModules();
const moduleOf = (specifier) => modules.find((m) => m.specifier === specifier);

// Each harness: its sources (and the headers they depend on), flags, largest input, seeds.
export const harnesses = {
	splitters: {
		// Capture's splitters only (not its whole core): the files they need, with capture's include path.
		sources: () => ["native/fuzz/splitters_fuzz.c", "native/annexb/annexb.c", "native/capture/au_splitter.c",
			"native/capture/adts_splitter.c", "native/capture/capture_common.c"],
		headers: () => moduleOf("capture").headers,
		flags: () => ["-DIVXS_CAPTURE_CORE_ONLY", ...moduleOf("capture").includes.map((i) => `-I${i}`)],
		libs: () => [],
		maxLen: 24000,
		seeds: (dir) => writeSplitterSeeds(dir),
	},
	p2p: {
		// The whole P2P core, as the C tests and the host link it.
		sources: () => ["native/fuzz/p2p_fuzz.c", ...moduleOf("p2p").core],
		headers: () => moduleOf("p2p").headers,
		flags: () => moduleOf("p2p").includes.map((i) => `-I${i}`),
		libs: () => moduleOf("p2p").libs,
		maxLen: 4096,
		seeds: (dir) => writeP2pSeeds(dir),
	},
	aead: {
		// The packets' AEAD of both versions (native/p2p/p2p_aead.c, p2p_aead_aes.c) against mbedTLS's
		// ChaCha20-Poly1305, and its AES-CTR and HMAC.
		sources: () => ["native/fuzz/aead_fuzz.c", "native/p2p/p2p_aead.c", "native/p2p/p2p_aead_aes.c", "native/p2p/p2p_crypto.c",
			"native/common/ivxs_md_stream.c", "native/common/ivxs_engine_linux.c"],
		headers: () => [...moduleOf("p2p").headers, "native/p2p/tests/aead_reference.h"],
		flags: () => moduleOf("p2p").includes.map((i) => `-I${i}`),
		libs: () => moduleOf("p2p").libs,
		maxLen: 1600,
		seeds: (dir) => writeAeadSeeds(dir),
	},
	webrtc: {
		// The WebRTC core: SRTP/SRTCP unprotect on forged and damaged packets, the RTP packetizer.
		sources: () => ["native/fuzz/webrtc_fuzz.c", ...moduleOf("webrtc").core],
		headers: () => moduleOf("webrtc").headers,
		flags: () => moduleOf("webrtc").includes.map((i) => `-I${i}`),
		libs: () => moduleOf("webrtc").libs,
		maxLen: 3000,
		seeds: (dir) => writeWebrtcSeeds(dir),
	},
	fmp4: {
		// The fMP4 core: frames of any bytes, times and kinds into fragments.
		sources: () => ["native/fuzz/fmp4_fuzz.c", ...moduleOf("fmp4").core],
		headers: () => moduleOf("fmp4").headers,
		flags: () => moduleOf("fmp4").includes.map((i) => `-I${i}`),
		libs: () => moduleOf("fmp4").libs,
		maxLen: 8000,
		seeds: (dir) => writeFmp4Seeds(dir),
	},
};
const outOf = (name) => join(outRoot, name);
const binaryOf = (name) => join(outRoot, `${name}_fuzz`);
export const binary = binaryOf("splitters");
const missing = "the fuzz harness needs clang with libFuzzer: install the Debian packages clang and libclang-rt-14-dev " +
	"(apt-get install clang libclang-rt-14-dev)";

function findClang() {
	for (const cc of [process.env.IVXS_FUZZ_CC, "clang", "clang-14"].filter(Boolean)) {
		if (spawnSync(cc, ["--version"], { stdio: "ignore" }).status === 0) return cc;
	}
	throw new Error(`${missing}: no clang found`);
}

/** Compiles a harness when a source is newer than its binary; returns its path. */
export function buildFuzzer(name = "splitters") {
	const cc = findClang();
	const harness = harnesses[name];
	const binary = binaryOf(name);
	mkdirSync(outRoot, { recursive: true });
	const inputs = [...harness.sources(), ...harness.headers(), "native/fuzz/fuzz.h", "native/fuzz/run.mjs"].map((s) => join(root, s));
	const newest = Math.max(...inputs.map((p) => statSync(p).mtimeMs));
	if (existsSync(binary) && statSync(binary).mtimeMs >= newest) return binary;
	const result = spawnSync(cc, ["-std=c11", "-D_GNU_SOURCE", "-g", "-O1", "-fsanitize=fuzzer,address,undefined",
		"-fno-sanitize-recover=all", ...harness.flags(), ...harness.sources(), "-o", binary, ...harness.libs()],
	{ cwd: root, encoding: "utf8" });
	if (result.status !== 0) {
		const text = `${result.stdout}${result.stderr}`;
		if (/libclang_rt\.fuzzer|fuzzer.*not found|cannot find.*fuzzer/i.test(text)) throw new Error(`${missing}\n${text}`);
		throw new Error(`building the fuzz harness failed:\n${text}`);
	}
	return binary;
}

// Splitter seeds: the head of every fixture behind a header that picks codec, sizes and chunking.
function writeSplitterSeeds(dir) {
	mkdirSync(dir, { recursive: true });
	const media = join(root, "fixtures/media");
	const seeds = [
		["h264-main-640x480.h264", 0], ["h264-bframes-320x240.h264", 0], ["h264-main-320x240.h264", 0],
		["h264-aud-10s-320x240.h264", 0], ["h265-main-640x480.h265", 1], ["h265-main-320x240.h265", 1],
		["aac-lc-16k-mono.aac", 2],
	];
	let i = 0;
	for (const [file, mode] of seeds) {
		const bytes = readFileSync(join(media, file));
		for (const [maxAu, chunk, length] of [[0x0400, 6, 6000], [0x7fff, 12, 20000], [0x0010, 16, 3000]]) {
			const header = Buffer.from([mode, maxAu >> 8, maxAu & 0xff, i, i >> 8, 7, 9, chunk]);
			writeFileSync(join(dir, `seed-${i++}`), Buffer.concat([header, bytes.subarray(0, length)]));
		}
	}
}

// AEAD seeds (native/fuzz/aead_fuzz.c): a packet's shapes — a lone ACK, an audio packet, a full
// video packet split after its frame header, the key confirmation — with and without a flipped
// bit, in both versions (0x80 in the aad byte: version 6).
function writeAeadSeeds(dir) {
	mkdirSync(dir, { recursive: true });
	let i = 0;
	const shapes = [[13, 0, 40, 0], [13, 26, 300, 0x85], [13, 60, 1120, 0], [13, 60, 1120, 0xff], [0, 0, 0, 0x80], [54, 0, 0, 0x81], [40, 7, 17, 0x81]];
	for (const [aad, head, text, flip] of [...shapes, ...shapes.map(([aad, ...rest]) => [aad | 0x80, ...rest])]) {
		const header = Buffer.alloc(68);
		for (let b = 0; b < 64; b++) header[b] = (b * 37 + i) & 255;
		header.set([aad, head >> 8, head & 255, flip], 64);
		const body = Buffer.alloc((aad & 0x7f) + text);
		for (let b = 0; b < body.length; b++) body[b] = (b * 7 + 3) & 255;
		writeFileSync(join(dir, `seed-${i++}`), Buffer.concat([header, body]));
	}
}

// P2P seeds (native/fuzz/p2p_fuzz.c): records of well-formed frames for each mode, each from three
// clock bases (just before the wrap, just before 2^31, 0; the fuzzer mutates the base too).
/** Mode 6's packet framing (webrtc_fuzz.c): its flag byte, a 16-bit length, the chunks. */
function sctpPacket(flag, chunks) {
	const body = Buffer.concat(chunks);
	return Buffer.concat([Buffer.from([flag, body.length >> 8, body.length & 255]), body]);
}

/** A whole DATA chunk on stream 0 (B and E), its TSN `tsn` past the one expected, padded to 4 bytes. */
function dataChunk(tsn, ppid, payload) {
	const length = 16 + payload.length;
	const chunk = Buffer.alloc((length + 3) & ~3);
	chunk.set([0, 3, length >> 8, length & 255]);
	chunk.writeUInt32BE(tsn, 4);
	chunk.writeUInt32BE(ppid, 12);
	chunk.set(payload, 16);
	return chunk;
}

// fMP4 seeds: the fixtures' first access units and ADTS frames as the harness's frames.
function writeFmp4Seeds(dir) {
	mkdirSync(dir, { recursive: true });
	const media = join(root, "fixtures/media");
	const record = (kind, bytes) => Buffer.concat([Buffer.from([kind, bytes.length >> 8, bytes.length & 0xff]), bytes]);
	const adts = readFileSync(join(media, "aac-lc-16k-mono.aac"));
	const audio = [];
	for (let o = 0; audio.length < 8 && o + 7 <= adts.length;) {
		const n = ((adts[o + 3] & 3) << 11) | (adts[o + 4] << 3) | (adts[o + 5] >> 5);
		audio.push(adts.subarray(o, o + n));
		o += n;
	}
	[["h264-main-320x240.h264", 0], ["h265-main-320x240.h265", 1]].forEach(([file, codec], i) => {
		const clip = readFileSync(join(media, file));
		const frames = [record(2, clip.subarray(0, 1800))];
		for (let k = 0; k < 8; k++) frames.push(record(1 | (20 << 3), audio[k]), record(4 | (24 << 3), Buffer.concat([Buffer.from([0, 0, 0, 1, codec ? 0x02 : 0x41, 1, 0x9a]), Buffer.alloc(40, 0x85)])));
		writeFileSync(join(dir, `seed-${i}`), Buffer.concat([Buffer.from([codec | (1 << 3), 24]), ...frames]));
	});
}

function writeWebrtcSeeds(dir) {
	mkdirSync(dir, { recursive: true });
	const clip = readFileSync(join(root, "fixtures/media/h264-main-320x240.h264"));
	const rtp = Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, ...Buffer.alloc(60, 7)]);
	const seeds = [
		Buffer.concat([Buffer.from([0, 0, 0]), rtp, Buffer.alloc(10)]),
		Buffer.concat([Buffer.from([1, 20, 1]), rtp]),
		Buffer.concat([Buffer.from([1, 0, 0]), Buffer.from([0x91, 96, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 9, 9, 9, 9, 0xbe, 0xde, 0, 1, 1, 2, 3, 4]), Buffer.alloc(30, 1)]),
		Buffer.concat([Buffer.from([2, 9, 4]), Buffer.from([0x80, 200, 0, 6, 0, 0, 0, 42]), Buffer.alloc(20, 3)]),
		Buffer.concat([Buffer.from([3, 0, 0]), clip.subarray(0, 2900)]),
		Buffer.concat([Buffer.from([3, 0, 255]), clip.subarray(0, 2900)]),
		Buffer.concat([Buffer.from([3, 1, 10]), readFileSync(join(root, "fixtures/media/h265-main-320x240.h265")).subarray(0, 2900)]),
		// a DTLS 1.2 ClientHello's record header and the start of its handshake message
		Buffer.from([5, 0, 40, 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 27, 1, 0, 0, 0x3c, 0, 0, 0, 0, 0, 0, 0, 0x3c, 0xfe, 0xfd, ...Buffer.alloc(10, 7)]),
		Buffer.from([4, 0x81, 201, 0, 7, 0, 0, 0, 7, ...Buffer.alloc(24, 5), 0x81, 205, 0, 3, 0, 0, 0, 7, 0, 0, 0, 9, 0, 100, 0x80, 1, 0x84, 206, 0, 4, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 9, 1, 0, 0, 0]),
		// an RR and Chromium's XR: a receiver reference time (RFC 3611 §4.4) after a DLRR block
		Buffer.from([4, 0x80, 201, 0, 1, 0, 0, 0, 7, 0x80, 207, 0, 8, 0, 0, 0, 7, 5, 0, 0, 3, 0, 0, 0, 9, 1, 2, 3, 4, 0, 0, 0, 5,
			4, 0, 0, 2, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]),
		// an RR and a TWCC feedback (RTPFB FMT 15) for 20 packets from 65530: a run of 7 with small
		// deltas, a 2-bit vector (lost, large, large negative, …), a 1-bit vector with 8 extras
		Buffer.from([4, 0x80, 201, 0, 1, 0, 0, 0, 7, 0x8f, 205, 0, 11, 0, 0, 0, 7, 0, 0, 0, 9, 0xff, 0xfa, 0, 20, 0xff, 0xff, 0xfe, 5,
			0x20, 7, 0xc6, 0x92, 0x80 | 0x3f, 0x00, 1, 2, 3, 4, 5, 6, 7, 40, 4, 0, 0xff, 0x9c, 0, 0xff, 0xff, 9, 8, 7, 6, 5, 4, 0]),
		// six TWCC feedbacks, each on the newest packet sent, the viewer's reference time a third of its
		// span ahead at each (two wraps): the clock offset stays bounded
		Buffer.from([4, ...Array.from({ length: 6 }, (_, k) => {
			const seq = 199 + 10 * k, ref = (k * 0x555556) & 0xffffff;
			return [0x8f, 205, 0, 5, 0, 0, 0, 9, 0, 0, 0, 7, seq >> 8, seq & 0xff, 0, 1, ref >> 16, (ref >> 8) & 0xff, ref & 0xff, k, 0x20, 1, 0, 0];
		}).flat()]),
		// SCTP (mode 6): a DCEP OPEN and a string as DATA chunks behind our tag (flag 2), every message
		// taken and one of ours sent (flag bits 7 and 3); then a SACK of it, time moving on (bits 4-6)
		Buffer.concat([Buffer.from([6, 200]), sctpPacket(0x8a, [dataChunk(0, 50, [3, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, ...Buffer.from("commands")]), dataChunk(1, 51, [...Buffer.from('{"cmd":"ptz","op":"left"}')])]),
			sctpPacket(0x32, [Buffer.from([3, 0, 0, 16, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])])]),
		// the channel closed: a stream reset request for stream 0 (its numbers relative), our
		// request for ours answered "performed" after time moves on
		Buffer.concat([Buffer.from([6, 200]), sctpPacket(0x8a, [dataChunk(0, 50, [3, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, ...Buffer.from("commands")])]),
			sctpPacket(0x02, [Buffer.from([130, 0, 0, 22, 0, 13, 0, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]),
			sctpPacket(0x92, [Buffer.from([130, 0, 0, 16, 0, 16, 0, 12, 0, 0, 0, 0, 0, 0, 0, 1])])]),
	];
	seeds.forEach((seed, i) => writeFileSync(join(dir, `seed-${i}`), seed));
}

function writeP2pSeeds(dir) {
	mkdirSync(dir, { recursive: true });
	const record = (flags, bytes) => Buffer.concat([Buffer.from([flags, bytes.length >> 8, bytes.length & 0xff]), bytes]);
	const u16 = (v) => [v >> 8, v & 0xff];
	const u32 = (v) => [v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
	const ack = (largest, first) => Buffer.from([0x02, ...u32(largest), 0, 5, 1, first, 2, 3]);
	const frame = (chan, seq, total, off, len, floor = 0) => Buffer.concat([Buffer.from([0x10, chan, ...u32(seq), ...u32(1234),
		seq === 0 ? 1 : 0, 1, ...u32(total), ...u32(off), ...u32(floor), ...u16(len)]), Buffer.alloc(len, seq)]);
	const command = (off, message) => Buffer.concat([Buffer.from([0x11, ...u32(off), ...u16(message.length)]), message]);
	const message = (kind, id, payload) => Buffer.concat([Buffer.from([kind, ...u16(id), ...u16(payload.length)]), payload]);
	const request = (id, payload) => message(1, id, payload);
	const seeds = [
		[0, record(1, ack(3, 2)), record(3, Buffer.from([0x01])), record(0, frame(2, 0, 300, 0, 300))],
		[0, record(0, command(0, request(7, Buffer.from("status?")))), record(16 | 32, command(0, request(7, Buffer.from("x"))))],
		[0, record(0, Buffer.concat([Buffer.alloc(5), ack(1, 0), Buffer.from([0x03, 0])]))],
		[0, record(0, Buffer.from([0x04, 1, 2, 3, 4, 5, 6, 7, 8])), record(1, Buffer.from([0x05, 1, 2, 3, 4, 5, 6, 7, 8]))],
		[1, record(0, Buffer.from([0x04, 8, 7, 6, 5, 4, 3, 2, 1, 0x05, 0, 0, 0, 0, 0, 0, 0, 0]))],
		[1, record(0, frame(1, 0, 2000, 1088, 912)), record(5, frame(1, 0, 2000, 0, 1088)), record(0, frame(1, 3, 100, 0, 100, 2))],
		[1, record(0, frame(1, 0, 2500, 0, 1088)), record(0, frame(1, 0, 2500, 2176, 324)), record(0, frame(1, 0, 2500, 1088, 1088))],
		[1, record(0, command(0, Buffer.concat([Buffer.from([2, 0, 9, 0, 3]), Buffer.from("yes")])))],
		// CONTROL (kind 3) to the camera, its reply (kind 4) to the viewer
		[0, record(0, command(0, message(3, 1, Buffer.from("open media action=live")))), record(0, command(27, message(3, 2, Buffer.from("close media"))))],
		[1, record(0, command(0, message(4, 1, Buffer.from("ok"))))],
		[2, record(2, Buffer.alloc(4)), record(0, Buffer.from([0x33, ...Buffer.alloc(40)]))],
		[2, record(6, Buffer.from([0xff, 0xff, 0xff]))],
		[2, record(2, Buffer.alloc(8)), record(2, Buffer.from([0, 1]))],
		[3, record(0, Buffer.from([0x35, ...Buffer.alloc(28)]))],
		[3, record(2, Buffer.alloc(0)), record(6, Buffer.from([0, 0, 0, 0, 1])), record(0, Buffer.from([0x34, ...Buffer.alloc(8), 5]))],
		[4, Buffer.concat([Buffer.from([1, 13, 0, 0]), Buffer.alloc(72)])],
	];
	const bases = [0xfffff000, 0x7ffff000, 0];
	let i = 0;
	for (const base of bases) {
		for (const [mode, ...records] of seeds) {
			writeFileSync(join(dir, `seed-${i++}`), Buffer.concat([Buffer.from([mode, ...u32(base)]), ...records]));
		}
	}
	// issue 27: from 2^31 + 65 536 ms, 378 ms of ticks (the first flight times out), then an ACK of
	// packets 1-2 only: every later packet must still time out (the harness's liveness check)
	const tick63 = record(15, Buffer.alloc(0));
	writeFileSync(join(dir, `seed-${i++}`), Buffer.concat([Buffer.from([0, ...u32(0x80010000)]),
		...Array(6).fill(tick63), record(0, Buffer.from([0x02, ...u32(2), 0, 0, 0, 1]))]));
}

/**
 * Runs a fuzzer: { name, runs } inputs or { name, seconds }. Resolves to { code, output, executions };
 * a crash or a failed check gives a non-zero code and the reproducer in build/fuzz/<name>/crashes.
 */
export function runFuzzer({ name = "splitters", runs, seconds, jobs = 1 } = {}) {
	const harness = harnesses[name];
	const binary = binaryOf(name);
	const corpus = join(outOf(name), "corpus");
	const seeds = join(outOf(name), "seeds");
	const crashes = join(outOf(name), "crashes");
	for (const d of [corpus, crashes]) mkdirSync(d, { recursive: true });
	harness.seeds(seeds);
	const args = [`-max_len=${harness.maxLen}`, "-timeout=20", "-rss_limit_mb=2048", "-print_final_stats=1",
		`-artifact_prefix=${crashes}/`, corpus, seeds];
	if (runs !== undefined) args.unshift(`-runs=${runs}`);
	if (seconds !== undefined) args.unshift(`-max_total_time=${seconds}`);
	if (jobs > 1) args.unshift(`-jobs=${jobs}`, `-workers=${jobs}`);
	return new Promise((resolvePromise) => {
		const child = spawn(binary, args, { cwd: root, env: { ...process.env, ASAN_OPTIONS: "detect_leaks=1", UBSAN_OPTIONS: "print_stacktrace=1" } });
		let output = "";
		child.stdout.on("data", (d) => { output += d; });
		child.stderr.on("data", (d) => { output += d; });
		child.on("close", (code, signal) => {
			const executions = Number(output.match(/stat::number_of_executed_units:\s*(\d+)/)?.[1] ?? 0);
			resolvePromise({ code: code ?? 128, signal, output, executions });
		});
	});
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
	helpIfAsked(process.argv.slice(2), import.meta.url);
	const runs = process.env.IVXS_FUZZ_RUNS === undefined ? undefined : Number(process.env.IVXS_FUZZ_RUNS);
	const seconds = runs === undefined ? Number(process.env.IVXS_FUZZ_SECONDS ?? 180) : undefined;
	const jobs = Number(process.env.IVXS_FUZZ_JOBS ?? 1);
	const names = process.env.IVXS_FUZZ_HARNESS ? [process.env.IVXS_FUZZ_HARNESS] : Object.keys(harnesses);
	let failed = false;
	for (const name of names) {
		if (!harnesses[name]) {
			console.error(`no fuzz harness "${name}" (${Object.keys(harnesses).join(", ")})`);
			process.exit(2);
		}
		try {
			buildFuzzer(name);
		}
		catch (error) {
			console.error(error.message);
			process.exit(2);
		}
		console.log(`fuzzing ${name} for ${runs === undefined ? `${seconds} s (IVXS_FUZZ_SECONDS)` : `${runs} inputs (IVXS_FUZZ_RUNS)`}`);
		const { code, output, executions } = await runFuzzer({ name, runs, seconds, jobs });
		console.log(output.split("\n").filter((l) => /^(#\d+\s+DONE|stat::|==\d+==|check failed|SUMMARY)/.test(l)).join("\n"));
		console.log(`${name}: ${executions} inputs, exit ${code}${code ? ` (reproducer in build/fuzz/${name}/crashes)` : ""}`);
		failed ||= code !== 0;
	}
	process.exit(failed ? 1 : 0);
}
