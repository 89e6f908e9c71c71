// The benchmark's stream and the frame header every transport carries.
//
// Frames file (what the harness gives a sender, so a sender in any language needs no H.264
// parser): records of { u32 BE size, u8 flags (bit 0: key frame), size payload bytes }, in
// decode order, made from the fixture's access units by the project's own splitter.
//
// Frame header on the wire (TCP; a datagram transport may carry the same fields its own way):
//   u32 BE payload size, u32 BE sequence number, u64 BE capture time (CLOCK_MONOTONIC, ns),
//   u8 flags (bit 0: key frame), then the payload.
// CLOCK_MONOTONIC is shared by all processes of a machine, namespaces included (process.hrtime
// in Node, clock_gettime(CLOCK_MONOTONIC) in C), so latency = receive time − capture time
// needs no clock sync.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ensureClip, root } from "../lib.mjs";
/** The benchmark's stream: 640x480 H.264 (the tests' harness checks use it too). */
export const FIXTURE = "fixtures/media/h264-main-640x480.h264";
/** The realistic stream: a 1 Mbit/s 720p camera, 15 fps, a key frame every 2 s (made by ffmpeg, cached). */
export const CAMERA = { clip: "build/bench/p2p-1mbit-1280x720-15fps-gop30.h264", size: "1280x720", fps: 15, seconds: 20, gop: 30 };

export const HEADER_BYTES = 17;
export const FLAG_KEY = 1;

// Splits an H.264 Annex-B file into access units with the media layer's grouping (annexb.ts,
// the rules of native/annexb); key = its info word's KEY bit.
export async function framesFromFixture(path, annexbModule) {
	const { accessUnitSpans, AU_INFO } = await import(annexbModule);
	const data = new Uint8Array(readFileSync(path));
	const spans = accessUnitSpans(data, "h264");
	const frames = [];
	for (let i = 0; i < spans.length; i += 3) frames.push({ payload: data.subarray(spans[i], spans[i + 1]), key: (spans[i + 2] & AU_INFO.KEY) !== 0 });
	return frames;
}

/** The fixture's frames (split by the built media layer), written to the frames file `path`; returns them. */
export async function writeFixtureFrames(path, source = join(root, FIXTURE)) {
	const frames = await framesFromFixture(source, join(root, "build/ts/modules/media/annexb.js"));
	mkdirSync(dirname(path), { recursive: true });
	writeFramesFile(path, frames);
	return frames;
}

/** The realistic stream's frames (its clip encoded on first use), written to the frames file `path`. */
export const writeCameraFrames = (path, logTo) => writeFixtureFrames(path, ensureClip(CAMERA.clip, CAMERA, logTo));

export function writeFramesFile(path, frames) {
	const total = frames.reduce((n, f) => n + 5 + f.payload.length, 0);
	const out = Buffer.alloc(total);
	let at = 0;
	for (const f of frames) {
		out.writeUInt32BE(f.payload.length, at);
		out[at + 4] = f.key ? FLAG_KEY : 0;
		out.set(f.payload, at + 5);
		at += 5 + f.payload.length;
	}
	writeFileSync(path, out);
}

export function readFramesFile(path) {
	const data = readFileSync(path);
	const frames = [];
	for (let at = 0; at < data.length;) {
		if (at + 5 > data.length) throw new Error(`${path}: truncated record header at ${at}`);
		const size = data.readUInt32BE(at);
		if (at + 5 + size > data.length) throw new Error(`${path}: truncated frame at ${at}`);
		frames.push({ key: (data[at + 4] & FLAG_KEY) !== 0, payload: data.subarray(at + 5, at + 5 + size) });
		at += 5 + size;
	}
	return frames;
}

export function encodeHeader(size, seq, captureNs, key) {
	const h = Buffer.alloc(HEADER_BYTES);
	h.writeUInt32BE(size, 0);
	h.writeUInt32BE(seq >>> 0, 4);
	h.writeBigUInt64BE(captureNs, 8);
	h[16] = key ? FLAG_KEY : 0;
	return h;
}

export function decodeHeader(buf, at = 0) {
	return { size: buf.readUInt32BE(at), seq: buf.readUInt32BE(at + 4), captureNs: buf.readBigUInt64BE(at + 8), key: (buf[at + 16] & FLAG_KEY) !== 0 };
}

// Command-line options of senders and receivers: --name value pairs.
export function parseArgs(argv) {
	const o = {};
	for (let i = 0; i < argv.length; i += 2) {
		if (!argv[i].startsWith("--") || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`);
		o[argv[i].slice(2)] = argv[i + 1];
	}
	return o;
}

export const print = (o) => process.stdout.write(`${JSON.stringify(o, (k, v) => (typeof v === "bigint" ? String(v) : v))}\n`);

export const monotonicNs = () => process.hrtime.bigint();

// Resolves at CLOCK_MONOTONIC time `ns`, never before (a timer may wake a fraction of a
// millisecond early): a sender must not send a frame before its capture time.
export async function sleepUntil(ns) {
	while (monotonicNs() < ns) await new Promise((r) => setTimeout(r, Math.max(1, Math.ceil(Number(ns - monotonicNs()) / 1e6))));
}
