// Parameter-set validation against an independent decoder: bit-flipped fixture SPS, each put into
// the clip's first access units, judged by our parser and by ffmpeg. ffmpeg decodes the stream
// with -xerror (undecodable output is what a wrongly accepted SPS costs us) and parses its headers
// with the trace_headers bitstream filter (libavcodec's CBS: the standard's syntax and ranges).
// The agreement figures are logged; the test holds the floor they reached.
import test from "ava";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { cleanup, fixture, media, rng, tmp } from "./_media.mjs";

test.after.always(cleanup);

const PER_FIXTURE = Number(process.env.IVXS_SPS_FLIPS ?? 50);
// Floors: with issue 6's checks these 150 flips give 80+ % header agreement and under 10 %
// undecodable among the accepted; the parsers before them agreed with ffmpeg's header parser on
// 66 % of 300 such flips and accepted 47 undecodable SPS of 265 (18 %). Most that remain
// undecodable are valid SPS whose slices were coded with the original one (slice-level errors).
const FLOOR_HEADERS = 0.75;
const CEILING_UNDECODABLE = 0.12;

/** 1-2 bits flipped in the RBSP after the NAL header, emulation prevention put back. */
function flip(r, sps, hdr) {
  for (;;) {
    const rbsp = media.removeEmulationPrevention(sps).slice();
    const n = 1 + Math.floor(r() * 2);
    for (let i = 0; i < n; i++) rbsp[hdr + Math.floor(r() * (rbsp.length - hdr))] ^= 1 << Math.floor(r() * 8);
    if (rbsp[rbsp.length - 1] === 0) continue; // the Annex-B framing would cut a trailing zero
    const out = [];
    let zeros = 0;
    for (let i = 0; i < rbsp.length; i++) {
      if (i >= hdr && zeros >= 2 && rbsp[i] <= 3) {
        out.push(3);
        zeros = 0;
      }
      out.push(rbsp[i]);
      zeros = rbsp[i] === 0 ? zeros + 1 : 0;
    }
    return Uint8Array.from(out);
  }
}

function ffmpegRejects(file, format, args) {
  const p = spawnSync("ffmpeg", ["-v", "error", "-threads", "1", "-f", format, "-i", file, ...args, "-f", "null", "-"], { encoding: "utf8", timeout: 60000 });
  return p.status !== 0 || p.stderr.trim() !== "";
}

const CASES = [
  ["h264", "h264-main-640x480.h264", 7, 1],
  ["h264", "h264-bframes-320x240.h264", 7, 2],
  ["h265", "h265-main-640x480.h265", 33, 3],
];

test("bit-flipped SPS: our accept/reject agrees with ffmpeg", (t) => {
  const total = { n: 0, decode: 0, headers: 0, weAccept: 0, weAcceptHeadersReject: 0, weAcceptDecodeRejects: 0 };
  for (const [codec, file, spsType, seed] of CASES) {
    const format = codec === "h264" ? "h264" : "hevc";
    const aus = media.splitAccessUnits(fixture(file), codec).slice(0, 3);
    const nals = aus.map((au) => media.splitNalUnits(au));
    const sps = nals[0].find((n) => media.nalType(codec, n) === spsType);
    // The muxers' path for a key frame: its NAL units, then the configuration (SPS, references).
    const parse = (s) => {
      try {
        const first = [];
        for (const n of nals[0]) first.push(Buffer.from([0, 0, 0, 1]), Buffer.from(media.nalType(codec, n) === spsType ? s : n));
        media.configForKeyFrame(codec, media.analyzeAccessUnit(codec, new Uint8Array(Buffer.concat(first))), undefined);
        return true;
      } catch (e) {
        if (!(e instanceof media.MediaError)) throw e;
        return false;
      }
    };
    const file0 = path.join(tmp, `sps.${format}`);
    const write = (s) => {
      const parts = [];
      for (const list of nals) for (const n of list) parts.push(Buffer.from([0, 0, 0, 1]), Buffer.from(media.nalType(codec, n) === spsType ? s : n));
      fs.writeFileSync(file0, Buffer.concat(parts));
    };
    // The fixture's own SPS: accepted by both.
    t.true(parse(sps), `${file}: fixture SPS accepted`);
    write(sps);
    t.false(ffmpegRejects(file0, format, ["-xerror"]), `${file}: ffmpeg decodes the fixture`);
    const r = rng(seed);
    for (let i = 0; i < PER_FIXTURE; i++) {
      const s = flip(r, sps, codec === "h264" ? 1 : 2);
      write(s);
      const ours = parse(s);
      const decodeOk = !ffmpegRejects(file0, format, ["-xerror"]);
      const headersOk = !ffmpegRejects(file0, format, ["-c", "copy", "-bsf:v", "trace_headers"]);
      total.n++;
      if (ours === decodeOk) total.decode++;
      if (ours === headersOk) total.headers++;
      if (ours) total.weAccept++;
      if (ours && !headersOk) total.weAcceptHeadersReject++;
      if (ours && !decodeOk) total.weAcceptDecodeRejects++;
    }
  }
  const pct = (x) => Math.round((1000 * x) / total.n) / 10;
  t.log(`${total.n} flipped SPS: agreement with ffmpeg decoding ${pct(total.decode)} %, with its header parser ${pct(total.headers)} %; ` +
    `we accept ${total.weAccept}, of which ffmpeg's decoder rejects ${total.weAcceptDecodeRejects} and its header parser ${total.weAcceptHeadersReject}`);
  t.true(total.headers / total.n >= FLOOR_HEADERS, `header agreement ${pct(total.headers)} %`);
  t.true(total.weAcceptDecodeRejects / total.weAccept <= CEILING_UNDECODABLE,
    `${total.weAcceptDecodeRejects} of the ${total.weAccept} SPS we accept are undecodable`);
});
