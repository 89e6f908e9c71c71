// Mutation ("fuzz") test: thousands of corrupted inputs fed to the parsers and both muxers.
// Every failure must be a documented MediaError subclass, and the output produced so far must
// stay parseable (mp4box for fMP4, our strict reader for FLV) with one sample per accepted frame.
import test from "ava";
import { audioFrames, concatBytes, fixture, media, parseFlv, parseMp4, rng, videoFrames, cleanup } from "./_media.mjs";

test.after.always(cleanup);

const { MediaError } = media;
const seen = new Map(); // error class name -> count

function note(e) {
  seen.set(e.name, (seen.get(e.name) || 0) + 1);
}

function mutate(r, data, codec) {
  const kind = Math.floor(r() * 6);
  const b = data.slice();
  switch (kind) {
    case 0: { // bit flips anywhere
      const n = 1 + Math.floor(r() * 8);
      for (let i = 0; i < n && b.length; i++) b[Math.floor(r() * b.length)] ^= 1 << Math.floor(r() * 8);
      return b;
    }
    case 1: // truncation
      return b.subarray(0, Math.floor(r() * b.length));
    case 2: { // garbage inserted
      const at = Math.floor(r() * (b.length + 1));
      const g = new Uint8Array(1 + Math.floor(r() * 16)).map(() => Math.floor(r() * 256));
      const out = new Uint8Array(b.length + g.length);
      out.set(b.subarray(0, at));
      out.set(g, at);
      out.set(b.subarray(at), at + g.length);
      return out;
    }
    case 3: // zero-length
      return new Uint8Array(0);
    case 4: { // bit flips in the first 64 bytes (parameter sets, headers)
      const n = 1 + Math.floor(r() * 4);
      const lim = Math.min(64, b.length);
      for (let i = 0; i < n && lim; i++) b[Math.floor(r() * lim)] ^= 1 << Math.floor(r() * 8);
      return b;
    }
    default: { // flip bits inside a parameter-set NAL when there is one
      if (!codec) return b.subarray(0, Math.max(0, b.length - 1 - Math.floor(r() * 4)));
      try {
        const ps = media.splitNalUnits(b).filter((n) => {
          const t = media.nalType(codec, n);
          return codec === "h264" ? t === 7 || t === 8 : t >= 32 && t <= 34;
        });
        if (ps.length) {
          const n = ps[Math.floor(r() * ps.length)];
          n[1 + Math.floor(r() * (n.length - 1))] ^= 1 << Math.floor(r() * 8);
        }
      } catch { /* not splittable: keep as is */ }
      return b;
    }
  }
}

function expectMediaError(t, fn) {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof MediaError)) t.fail(`non-MediaError thrown: ${e && e.stack}`);
    else note(e);
    return undefined;
  }
}

test("parsers throw only MediaErrors on thousands of corrupted inputs", (t) => {
  const r = rng(1);
  let count = 0;
  for (const [codec, file] of [["h264", "h264-main-640x480.h264"], ["h265", "h265-main-640x480.h265"], ["h264", "h264-bframes-320x240.h264"]]) {
    const aus = videoFrames(file, codec).map((x) => x.au);
    const sps = media.splitNalUnits(aus[0]).filter((n) => media.nalType(codec, n) === (codec === "h264" ? 7 : 33))[0];
    for (let i = 0; i < 600; i++) {
      const bad = mutate(r, aus[Math.floor(r() * aus.length)], codec);
      expectMediaError(t, () => media.splitNalUnits(bad));
      expectMediaError(t, () => media.analyzeAccessUnit(codec, bad));
      const f = expectMediaError(t, () => media.analyzeAccessUnit(codec, bad));
      if (f && f.key) expectMediaError(t, () => media.configForKeyFrame(codec, f, undefined));
      const s = mutate(r, sps, undefined);
      expectMediaError(t, () => (codec === "h264" ? media.parseH264Sps(s) : media.parseH265Sps(s)));
      count += 2;
    }
  }
  const aac = media.splitAdtsFrames(fixture("aac-lc-16k-mono.aac"));
  for (let i = 0; i < 1500; i++) {
    const bad = mutate(r, aac[Math.floor(r() * aac.length)], undefined);
    expectMediaError(t, () => media.parseAdtsFrame(bad));
    expectMediaError(t, () => media.splitAdtsFrames(bad));
    count++;
  }
  t.true(count >= 5000);
  t.log(Object.fromEntries(seen));
  for (const name of ["TruncatedError", "BitstreamError", "EmptyFrameError", "AdtsError"]) t.true(seen.has(name), name);
});

function corruptStream(r, video, audio, codec, rate) {
  const v = video.map((x) => ({ ...x }));
  const a = audio.map((x) => ({ ...x }));
  let mutated = 0;
  for (const x of v) if (r() < rate) { x.au = mutate(r, x.au, codec); mutated++; }
  for (const x of a) if (r() < rate) { x.f = mutate(r, x.f, undefined); mutated++; }
  for (const list of [v, a]) {
    for (let i = 0; i + 1 < list.length; i++) {
      const p = r();
      if (p < rate / 4) { // swapped timestamps
        const j = i + 1;
        [list[i].pts, list[j].pts] = [list[j].pts, list[i].pts];
        if (list[i].dts !== undefined) [list[i].dts, list[j].dts] = [list[j].dts, list[i].dts];
        mutated++;
      } else if (p < rate / 3) { // repeated / NaN / jumping timestamps
        const k = Math.floor(r() * 3);
        const bad = k === 0 ? list[Math.max(0, i - 1)].pts : k === 1 ? NaN : list[i].pts + 60000;
        list[i].pts = bad;
        if (list[i].dts !== undefined) list[i].dts = bad;
        mutated++;
      }
    }
  }
  return { v, a, mutated };
}

function runMuxer(t, Kind, codec, v, a) {
  const chunks = [];
  const infos = [];
  const m = new Kind({ video: codec, audio: a.length > 0, sink: (c, info) => { chunks.push(c.slice()); infos.push({ ...info }); } });
  let acceptedVideo = 0;
  let acceptedAudio = 0;
  let vi = 0;
  let ai = 0;
  while (vi < v.length || ai < a.length) {
    const useVideo = vi < v.length && (ai >= a.length || !(v[vi].dts > a[ai].pts));
    if (useVideo) {
      const x = v[vi++];
      try {
        m.writeVideo(x.au, x.pts, x.dts);
        acceptedVideo++;
      } catch (e) {
        if (!(e instanceof MediaError)) t.fail(`writeVideo threw ${e && e.stack}`);
        else note(e);
      }
    } else {
      const x = a[ai++];
      try {
        if (m.writeAudio(x.f, x.pts)) acceptedAudio++;
      } catch (e) {
        if (!(e instanceof MediaError)) t.fail(`writeAudio threw ${e && e.stack}`);
        else note(e);
      }
    }
  }
  try {
    m.end();
  } catch (e) {
    t.fail(`end threw ${e && e.stack}`);
  }
  return { chunks, infos, acceptedVideo, acceptedAudio };
}

for (const [codec, file] of [["h264", "h264-main-640x480.h264"], ["h265", "h265-main-640x480.h265"]]) {
  const videoAll = videoFrames(file, codec);
  const audioAll = audioFrames();

  test(`fMP4 ${codec}: corrupted streams are muxed into parseable output`, (t) => {
    const r = rng(codec === "h264" ? 7 : 8);
    let mutated = 0;
    for (let s = 0; s < 60; s++) {
      const start = Math.floor(r() * 2) * 15;
      const { v, a, mutated: n } = corruptStream(r, videoAll.slice(start, start + 30), s % 3 === 0 ? [] : audioAll.slice(start / 15 * 16, start / 15 * 16 + 32), codec, 0.25);
      mutated += n;
      const { chunks, infos, acceptedVideo, acceptedAudio } = runMuxer(t, media.Fmp4Muxer, codec, v, a);
      // Split the output at init segments: each group must parse on its own.
      const groups = [];
      infos.forEach((info, i) => {
        if (info.type === "init") groups.push([]);
        if (!groups.length) t.fail("fragment before init segment");
        groups[groups.length - 1].push(...chunks[i]);
      });
      let videoSamples = 0;
      let audioSamples = 0;
      for (const g of groups) {
        const { info, samples } = parseMp4(concatBytes(g));
        for (const tr of info.tracks) {
          if (tr.codec.startsWith("mp4a")) audioSamples += samples.get(tr.id).length;
          else videoSamples += samples.get(tr.id).length;
        }
      }
      t.is(videoSamples, acceptedVideo);
      t.is(audioSamples, acceptedAudio);
    }
    t.true(mutated > 500, `mutated inputs: ${mutated}`);
    t.log(mutated, Object.fromEntries(seen));
    for (const name of ["TimestampError", "NoKeyFrameError"]) t.true(seen.has(name), name);
  });

  test(`FLV ${codec}: corrupted streams are muxed into parseable output`, (t) => {
    const r = rng(codec === "h264" ? 17 : 18);
    let mutated = 0;
    for (let s = 0; s < 60; s++) {
      const start = Math.floor(r() * 2) * 15;
      const { v, a, mutated: n } = corruptStream(r, videoAll.slice(start, start + 30), audioAll.slice(start / 15 * 16, start / 15 * 16 + 32), codec, 0.25);
      mutated += n;
      const { chunks, acceptedVideo, acceptedAudio } = runMuxer(t, media.FlvMuxer, codec, v, a);
      if (acceptedVideo + acceptedAudio === 0) {
        t.is(chunks.length, 0);
        continue;
      }
      const tags = parseFlv(concatBytes(chunks.flat()));
      const frames = tags.filter((x) => x.type === 9 && (codec === "h264" ? x.body[1] === 1 : [1, 3].includes(x.body[0] & 0x0f)));
      t.is(frames.length, acceptedVideo);
      t.is(tags.filter((x) => x.type === 8 && x.body[1] === 1).length, acceptedAudio);
    }
    t.true(mutated > 500, `mutated inputs: ${mutated}`);
  });
}
