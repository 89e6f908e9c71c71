/**
 * Muxer benchmark, engine-neutral (XS or Node; no host APIs, Date.now() timing).
 * Splits an Annex-B stream and an ADTS stream once, then muxes them `iterations` times to a
 * counting sink with both muxers (video at 15 fps, audio at 1024 samples per frame).
 *
 * payloadBytesCopied = payload bytes the muxers should reference (sample NALs + raw AAC) minus the
 * emitted bytes whose chunk is a view of the input buffers: 0 means no payload was copied.
 * headerBytes = all other emitted bytes (boxes, tag headers, length prefixes, sequence headers).
 * Both are per iteration.
 *
 * bothUsPerFrame: the demo's shape — one VideoTrack + AudioTrack (track.ts) processing each frame
 * once and feeding both muxers; bothInfoUsPerFrame: the same with capture's AU info word passed
 * along (as ring frames carry it), here derived once before timing by accessUnitInfo() (annexb.ts,
 * the rules capture's C applies).
 */
import { accessUnitInfo, scanNalUnits, splitAccessUnits, type VideoCodec } from "./annexb.js";
import { parseAdtsFrame, splitAdtsFrames } from "./aac.js";
import { FlvMuxer } from "./flv-muxer.js";
import { Fmp4Muxer } from "./fmp4-muxer.js";
import { AudioTrack, VideoTrack } from "./track.js";
import { analyzeAccessUnit } from "./video.js";

/**
 * The cases both engines run, so XS and Node figures compare: [name, video fixture, audio fixture
 * ("" for none), codec], fixtures in fixtures/media.
 */
export const BENCH_MUX_CASES: readonly (readonly [string, string, string, VideoCodec])[] = Object.freeze([
  ["h264", "h264-main-640x480.h264", "aac-lc-16k-mono.aac", "h264"],
  ["h265", "h265-main-640x480.h265", "aac-lc-16k-mono.aac", "h265"],
  ["h264VideoOnly", "h264-main-640x480.h264", "", "h264"],
  ["h265VideoOnly", "h265-main-640x480.h265", "", "h265"],
] as const);

export interface BenchResult {
  frames: number;
  fmp4UsPerFrame: number;
  flvUsPerFrame: number;
  /** One track stage feeding both muxers, per frame (video + audio). */
  bothUsPerFrame: number;
  /** The same with the AU info word passed along. */
  bothInfoUsPerFrame: number;
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

  const infos = aus.map((au) => accessUnitInfo(codec, au));
  const both = (withInfo: boolean) => {
    const video = new VideoTrack({ codec });
    const audioTrack = new AudioTrack();
    const f = new Fmp4Muxer({ video: codec, audio: hasAudio, sink });
    const l = new FlvMuxer({ video: codec, audio: hasAudio, sink });
    let vi = 0;
    let ai = 0;
    while (vi < aus.length || ai < aacs.length) {
      const vt = (vi * 1000) / fps;
      const at = (ai * 1024 * 1000) / rate;
      if (vi < aus.length && (ai >= aacs.length || vt <= at)) {
        const u = video.process(aus[vi], vt, vt, withInfo ? infos[vi] : undefined);
        vi++;
        f.writeVideoUnit(u);
        l.writeVideoUnit(u);
      } else {
        const u = audioTrack.process(aacs[ai++], at);
        f.writeAudioUnit(u);
        l.writeAudioUnit(u);
      }
    }
    f.end();
    l.end();
  };
  fromInput = 0;
  other = 0;
  t0 = Date.now();
  for (let i = 0; i < iterations; i++) both(false);
  const bothMs = Date.now() - t0;
  const bothCopied = 2 * expectedPayload - fromInput / iterations;
  t0 = Date.now();
  for (let i = 0; i < iterations; i++) both(true);
  const bothInfoMs = Date.now() - t0;

  return {
    frames,
    bothUsPerFrame: (bothMs * 1000) / (iterations * frames),
    bothInfoUsPerFrame: (bothInfoMs * 1000) / (iterations * frames),
    fmp4UsPerFrame: (fmp4Ms * 1000) / (iterations * frames),
    flvUsPerFrame: (flvMs * 1000) / (iterations * frames),
    payloadBytesCopied: fmp4Copied + flvCopied + bothCopied,
    headerBytes: fmp4Header + flvHeader,
    fmp4HeaderBytes: fmp4Header,
    flvHeaderBytes: flvHeader,
  };
}
