/**
 * Muxer benchmark, engine-neutral (XS or Node; no host APIs, Date.now() timing).
 * Splits an Annex-B stream and an ADTS stream once, then muxes them `iterations` times to a
 * counting sink with both muxers (video at 15 fps, audio at 1024 samples per frame).
 *
 * payloadBytesCopied = payload bytes the muxers should reference (sample NALs + raw AAC) minus the
 * emitted bytes whose chunk is a view of the input buffers: 0 means no payload was copied.
 * headerBytes = all other emitted bytes (boxes, tag headers, length prefixes, sequence headers).
 * Both are per iteration.
 */
import { splitAccessUnits, type VideoCodec } from "./annexb.js";
import { parseAdtsFrame, splitAdtsFrames } from "./aac.js";
import { FlvMuxer } from "./flv-muxer.js";
import { Fmp4Muxer } from "./fmp4-muxer.js";
import { analyzeAccessUnit } from "./video.js";

export interface BenchResult {
  frames: number;
  fmp4UsPerFrame: number;
  flvUsPerFrame: number;
  payloadBytesCopied: number;
  headerBytes: number;
  fmp4HeaderBytes: number;
  flvHeaderBytes: number;
}

export function benchMux(video: Uint8Array, audio: Uint8Array, iterations: number, codec: VideoCodec = "h264", fps = 15): BenchResult {
  const aus = splitAccessUnits(video, codec);
  const aacs = audio.length > 0 ? splitAdtsFrames(audio) : [];
  const rate = aacs.length > 0 ? parseAdtsFrame(aacs[0]).header.sampleRate : 1;
  let expectedPayload = 0;
  for (const au of aus) for (const n of analyzeAccessUnit(codec, au).nals) expectedPayload += n.length;
  for (const f of aacs) expectedPayload += parseAdtsFrame(f).payload.length;
  const frames = aus.length + aacs.length;

  let fromInput = 0;
  let other = 0;
  const sink = (chunks: Uint8Array[]) => {
    for (const c of chunks) {
      if (c.buffer === video.buffer || c.buffer === audio.buffer) fromInput += c.length;
      else other += c.length;
    }
  };

  const run = (make: () => { writeVideo(au: Uint8Array, pts: number): void; writeAudio(f: Uint8Array, pts: number): boolean; end(): void }) => {
    const m = make();
    let vi = 0;
    let ai = 0;
    while (vi < aus.length || ai < aacs.length) {
      const vt = (vi * 1000) / fps;
      const at = (ai * 1024 * 1000) / rate;
      if (vi < aus.length && (ai >= aacs.length || vt <= at)) m.writeVideo(aus[vi++], vt);
      else m.writeAudio(aacs[ai++], at);
    }
    m.end();
  };
  const hasAudio = aacs.length > 0;

  fromInput = 0;
  other = 0;
  let t0 = Date.now();
  for (let i = 0; i < iterations; i++) run(() => new Fmp4Muxer({ video: codec, audio: hasAudio, sink }));
  const fmp4Ms = Date.now() - t0;
  const fmp4Copied = expectedPayload - fromInput / iterations;
  const fmp4Header = other / iterations;

  fromInput = 0;
  other = 0;
  t0 = Date.now();
  for (let i = 0; i < iterations; i++) run(() => new FlvMuxer({ video: codec, audio: hasAudio, sink }));
  const flvMs = Date.now() - t0;
  const flvCopied = expectedPayload - fromInput / iterations;
  const flvHeader = other / iterations;

  return {
    frames,
    fmp4UsPerFrame: (fmp4Ms * 1000) / (iterations * frames),
    flvUsPerFrame: (flvMs * 1000) / (iterations * frames),
    payloadBytesCopied: fmp4Copied + flvCopied,
    headerBytes: fmp4Header + flvHeader,
    fmp4HeaderBytes: fmp4Header,
    flvHeaderBytes: flvHeader,
  };
}
