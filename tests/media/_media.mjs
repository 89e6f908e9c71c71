// Shared helpers for the Node-only media tests: fixtures, muxing drivers, mp4box and ffprobe.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createFile, Log } from "mp4box";
import * as media from "../../build/ts/modules/media/index.js";

Log.setLogLevel(Log.error);
export { media };

const here = path.dirname(fileURLToPath(import.meta.url));
export const FIXTURES = path.join(here, "../../fixtures/media");

export function fixture(name) {
  const b = fs.readFileSync(path.join(FIXTURES, name));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ivxs-media-"));

/** Removes the temp dir (call from test.after.always); set IVXS_KEEP_MEDIA_TMP=1 to keep outputs. */
export function cleanup() {
  if (!process.env.IVXS_KEEP_MEDIA_TMP) fs.rmSync(tmp, { recursive: true, force: true });
}

export function writeTmp(name, chunks) {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))));
  return p;
}

export function concatBytes(chunks) {
  return new Uint8Array(Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))));
}

/** Video AUs with ms timestamps: [{au, pts, dts}] at `fps`, or from a "pts,dts" 90 kHz CSV. */
export function videoFrames(file, codec, fps = 15, csv) {
  const aus = media.splitAccessUnits(fixture(file), codec);
  if (!csv) return aus.map((au, i) => ({ au, pts: (i * 1000) / fps, dts: (i * 1000) / fps }));
  const rows = fs.readFileSync(path.join(FIXTURES, csv), "utf8").trim().split("\n").map((l) => l.split(",").map(Number));
  if (rows.length !== aus.length) throw new Error(`csv rows ${rows.length} != AUs ${aus.length}`);
  return aus.map((au, i) => ({ au, pts: rows[i][0] / 90, dts: rows[i][1] / 90 }));
}

/** ADTS frames with ms timestamps (1024 samples each). */
export function audioFrames(file = "aac-lc-16k-mono.aac") {
  const frames = media.splitAdtsFrames(fixture(file));
  const rate = media.parseAdtsHeader(frames[0]).sampleRate;
  return frames.map((f, i) => ({ f, pts: (i * 1024 * 1000) / rate }));
}

/** Feeds frames in timestamp order (video first on ties) to a muxer; returns chunk list + infos. */
export function mux(Kind, opts, video = [], audio = []) {
  const chunks = [];
  const infos = [];
  const m = new Kind({ ...opts, sink: (c, info) => { chunks.push(...c); infos.push({ info: { ...info }, chunks: c.slice() }); } });
  let vi = 0;
  let ai = 0;
  while (vi < video.length || ai < audio.length) {
    const useVideo = vi < video.length && (ai >= audio.length || video[vi].dts <= audio[ai].pts);
    if (useVideo) {
      const v = video[vi++];
      m.writeVideo(v.au, v.pts, v.dts);
    } else {
      const a = audio[ai++];
      m.writeAudio(a.f, a.pts);
    }
  }
  m.end();
  return { chunks, infos };
}

/** Parses fMP4 bytes with mp4box; returns { info, samples: Map<trackId, sample[]> }. */
export function parseMp4(bytes) {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  ab.fileStart = 0;
  const f = createFile();
  let info;
  let error;
  const samples = new Map();
  f.onError = (e) => { error = e; };
  f.onReady = (i) => {
    info = i;
    for (const t of i.tracks) {
      samples.set(t.id, []);
      f.setExtractionOptions(t.id, null, { nbSamples: 1000000 });
    }
    f.start();
  };
  f.onSamples = (id, _user, s) => samples.get(id).push(...s);
  f.appendBuffer(ab);
  f.flush();
  if (error) throw new Error("mp4box: " + error);
  return { info, samples };
}

/** Expected MP4/FLV sample bytes of an AU: 4-byte length + NAL, parameter sets and AUDs dropped. */
export function expectedSample(codec, au) {
  const parts = [];
  for (const nal of media.splitNalUnits(au)) {
    const t = media.nalType(codec, nal);
    if (codec === "h264" ? t === 7 || t === 8 || t === 9 : t >= 32 && t <= 35) continue;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(nal.length);
    parts.push(len, Buffer.from(nal));
  }
  return Buffer.concat(parts);
}

export function ffprobe(file) {
  const out = execFileSync("ffprobe", [
    "-v", "error", "-count_frames", "-show_entries", "stream=codec_name,nb_read_frames,width,height", "-of", "json", file,
  ], { encoding: "utf8" });
  return JSON.parse(out).streams.map((s) => ({ ...s, nb_read_frames: Number(s.nb_read_frames) }));
}

/** Decodes the whole file with ffmpeg; returns its stderr (empty when there were no errors). */
export function ffmpegDecode(file) {
  const r = spawnSync("ffmpeg", ["-v", "error", "-i", file, "-f", "null", "-"], { encoding: "utf8" });
  return (r.stderr || "").trim() + (r.status === 0 ? "" : `\nexit ${r.status}`);
}

/** Minimal FLV reader: header check and tags [{type, ts, body}] with PreviousTagSize checks. */
export function parseFlv(b) {
  if (b[0] !== 0x46 || b[1] !== 0x4c || b[2] !== 0x56 || b[3] !== 1) throw new Error("no FLV header");
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = dv.getUint32(5);
  if (dv.getUint32(p) !== 0) throw new Error("PreviousTagSize0 != 0");
  p += 4;
  const tags = [];
  while (p < b.length) {
    if (p + 11 > b.length) throw new Error("truncated tag header");
    const size = (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
    const ts = ((b[p + 7] << 24) | (b[p + 4] << 16) | (b[p + 5] << 8) | b[p + 6]) >>> 0;
    if (p + 11 + size + 4 > b.length) throw new Error("truncated tag");
    tags.push({ type: b[p], ts, body: b.subarray(p + 11, p + 11 + size) });
    if (dv.getUint32(p + 11 + size) !== 11 + size) throw new Error("bad PreviousTagSize");
    p += 11 + size + 4;
  }
  return tags;
}

/** Deterministic PRNG (mulberry32) for mutation tests: same seed, same inputs. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
