// fMP4 validation (cloud/src/media/init.ts, segment.ts) on what the project's
// own muxer makes from the fixtures, on targeted corruptions, and on
// truncated / garbled inputs (nothing but Mp4Error may come out).
import test from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseInit } from "../../build/node/cloud/src/media/init.js";
import { parseSegment } from "../../build/node/cloud/src/media/segment.js";
import { Mp4Error, readBoxes } from "../../build/node/cloud/src/media/boxes.js";
import { packageStream, fixturesDir } from "../../build/node/cloud/sim/packager.js";
import { Fmp4Muxer, splitAccessUnits } from "../../build/node/modules/media/index.js";
import { box, randomSegment, sameBytesSegment } from "./_hostile-mp4.mjs";

const av = packageStream({ seconds: 3 });
const avInit = parseInit(av.init);

/** The first box of `type` on the path (e.g. ["moof", "traf", "tfdt"]) from `at`. */
function find(buf, path, start = 0, end = buf.length) {
	let box;
	for (const type of path) {
		box = readBoxes(buf, box ? box.body : start, box ? box.end : end).find((b) => b.type === type);
		if (!box) throw new Error(`no ${type}`);
	}
	return box;
}

const copy = (buf) => Buffer.from(buf);

test("an A/V init: tracks, timescales, picture size and the codecs string the muxer announced", (t) => {
	t.is(avInit.codecs, av.codecs);
	t.is(avInit.codecs, "avc1.4d4016,mp4a.40.2");
	t.like(avInit.video, { kind: "video", timescale: 90000, width: 640, height: 480, format: "avc1" });
	t.like(avInit.audio, { kind: "audio", timescale: 16000, sampleRate: 16000, channels: 1, codec: "mp4a.40.2" });
});

test("an H.265 init gives the hvc1 codecs string the muxer computed from the SPS", (t) => {
	let init, codecs;
	const muxer = new Fmp4Muxer({ video: "h265", sink: (chunks, info) => {
		if (info.type === "init") init = Buffer.concat(chunks), codecs = info.codecs;
	} });
	splitAccessUnits(readFileSync(join(fixturesDir, "h265-main-640x480.h265")), "h265").slice(0, 16).forEach((au, i) => muxer.writeVideo(au, (i * 1000) / 15));
	muxer.end();
	const info = parseInit(init);
	t.is(info.codecs, codecs);
	t.regex(info.codecs, /^hvc1\.1\.6\.L\d+\.[0-9A-F]+/);
	t.is(info.audio, undefined);
});

test("segments: per-track decode spans, sample counts, fragments", (t) => {
	const first = parseSegment(av.segments[0].bytes, avInit);
	t.is(first.fragments, 5); // 200-ms fragments (PART_TARGET_MS) of a 1-s segment
	t.like(first.tracks.get(avInit.video.id), { start: 0, end: 90000, samples: 15 });
	t.like(first.tracks.get(avInit.audio.id), { start: 0, samples: 16 });
	const second = parseSegment(av.segments[1].bytes, avInit);
	t.like(second.tracks.get(avInit.video.id), { start: 90000, end: 180000, samples: 15 });
});

/** Corruptions of the first segment, each with the message it must give. */
const corruptions = [
	["a track the init lacks", (b) => b.writeUInt32BE(9, find(b, ["moof", "traf", "tfhd"]).body + 4), /names track 9, which the init does not have/],
	["no tfdt", (b) => b.write("free", find(b, ["moof", "traf", "tfdt"]).start + 4, "latin1"), /without 'tfdt'/],
	// The muxer's video trun (flags 0x701): version/flags, sample_count, data_offset, then per sample duration, size, flags.
	["a sample past its mdat", (b) => {
		const trun = find(b, ["moof", "traf", "trun"]);
		b.writeInt32BE(b.readInt32BE(trun.body + 8) + 100000, trun.body + 8);
	}, /outside its 'mdat'/],
	["a first video sample that is not a sync sample", (b) => b.writeUInt32BE(0x01010000, find(b, ["moof", "traf", "trun"]).body + 20), /not a sync sample/],
	["a moof without its mdat", (b) => b.subarray(0, find(b, ["mdat"]).start), /not followed by its 'mdat'/],
	["an init box in a segment", (b) => Buffer.concat([av.init.subarray(0, find(av.init, ["ftyp"]).end), b]), /unexpected 'ftyp'/],
	["nothing but styp", () => Buffer.from([0, 0, 0, 16, 0x73, 0x74, 0x79, 0x70, 0x6d, 0x73, 0x64, 0x68, 0, 0, 0, 0]), /no 'moof'/],
	["a header running past the end", (b) => b.subarray(0, b.length - 1), /runs past its container/],
];

for (const [name, corrupt, message] of corruptions) {
	test(`a segment with ${name} is refused with a clear Mp4Error`, (t) => {
		const b = copy(av.segments[0].bytes);
		const out = corrupt(b);
		const bad = Buffer.isBuffer(out) ? out : b;
		const error = t.throws(() => parseSegment(bad, avInit), { instanceOf: Mp4Error });
		t.regex(error.message, message);
	});
}

test("decode times that go back between fragments are refused", (t) => {
	// The second fragment of segment 1 moved before the end of the first.
	const b = copy(av.segments[0].bytes);
	const moofs = readBoxes(b).filter((x) => x.type === "moof");
	const tfdt = find(b, ["traf", "tfdt"], moofs[1].body, moofs[1].end);
	b.writeBigUInt64BE(0n, tfdt.body + 4);
	t.regex(t.throws(() => parseSegment(b, avInit), { instanceOf: Mp4Error }).message, /goes back before/);
});

test("inits: no moov, no mvex, an unknown codec, two video tracks are refused", (t) => {
	const ftyp = av.init.subarray(0, find(av.init, ["ftyp"]).end);
	t.regex(t.throws(() => parseInit(ftyp), { instanceOf: Mp4Error }).message, /no 'moov'/);
	const noMvex = copy(av.init);
	noMvex.write("free", find(noMvex, ["moov", "mvex"]).start + 4, "latin1");
	t.regex(t.throws(() => parseInit(noMvex), { instanceOf: Mp4Error }).message, /no 'mvex'/);
	const vp9 = copy(av.init);
	vp9.write("vp09", find(vp9, ["moov", "trak", "mdia", "minf", "stbl"]).body + 8 + 8 + 4, "latin1");
	t.regex(t.throws(() => parseInit(vp9), { instanceOf: Mp4Error }).message, /video format 'vp09'/);
	t.throws(() => parseInit(av.segments[0].bytes), { instanceOf: Mp4Error });
	// The video trak twice (the copy with the audio's id, which has a trex): one video track only.
	const moov = find(av.init, ["moov"]), trak = find(av.init, ["moov", "trak"]);
	const extra = copy(av.init.subarray(trak.start, trak.end));
	extra.writeUInt32BE(2, find(extra, ["trak", "tkhd"]).body + 12);
	const twice = Buffer.concat([av.init.subarray(0, moov.end), extra, av.init.subarray(moov.end)]);
	twice.writeUInt32BE(moov.end - moov.start + extra.length, moov.start);
	t.regex(t.throws(() => parseInit(twice), { instanceOf: Mp4Error }).message, /more than one video track/);
});

// A small deterministic PRNG (xorshift32): the same garbling on every run.
function prng(seed) {
	let x = seed >>> 0 || 1;
	return () => {
		x ^= x << 13, x >>>= 0, x ^= x >>> 17, x ^= x << 5, x >>>= 0;
		return x / 4294967296;
	};
}

const onlyMp4Errors = (t, fn) => {
	try {
		fn();
	}
	catch (error) {
		if (!(error instanceof Mp4Error)) t.fail(`threw ${error?.name}: ${error?.message}`);
	}
};

test("every truncation of an init and a segment gives an Mp4Error (or parses), never another exception", (t) => {
	for (let n = 0; n < av.init.length; n++) onlyMp4Errors(t, () => parseInit(av.init.subarray(0, n)));
	const segment = av.segments[0].bytes;
	for (let n = 0; n < segment.length; n += n < 2000 ? 1 : 97) onlyMp4Errors(t, () => parseSegment(segment.subarray(0, n), avInit));
	t.pass();
});

test("3000 garbled inits and segments (random bytes overwritten) give only Mp4Errors", (t) => {
	const random = prng(0x1f2e3d4c);
	let refused = 0;
	for (let i = 0; i < 3000; i++) {
		const source = i % 3 === 0 ? av.init : av.segments[i % av.segments.length].bytes;
		const b = copy(source);
		// Mostly the headers (the first ~400 bytes hold every box that is parsed).
		for (let k = 1 + Math.floor(random() * 4); k > 0; k--) {
			const at = Math.floor(random() * Math.min(b.length, random() < 0.8 ? 400 : b.length));
			b[at] = Math.floor(random() * 256);
		}
		try {
			if (source === av.init) parseInit(b);
			else parseSegment(b, avInit);
		}
		catch (error) {
			if (!(error instanceof Mp4Error)) t.fail(`case ${i}: ${error?.name}: ${error?.message}`);
			refused++;
		}
	}
	t.true(refused > 1000, `${refused} refused`);
});

test("the validator's work is bounded by the segment's bytes: at most one sample visit per byte, for 2000 random hostile segments", (t) => {
	const random = prng(0x5eed1e55);
	const ids = [...avInit.tracks.keys()];
	let accepted = 0, worst = 0;
	for (let i = 0; i < 2000; i++) {
		const segment = randomSegment(random, ids);
		const meter = { samples: 0 };
		try {
			parseSegment(segment, avInit, meter);
			accepted++;
		}
		catch (error) {
			if (!(error instanceof Mp4Error)) t.fail(`case ${i}: ${error?.name}: ${error?.message}`);
		}
		worst = Math.max(worst, meter.samples / segment.length);
		if (meter.samples > segment.length) t.fail(`case ${i}: ${meter.samples} sample visits for ${segment.length} bytes`);
	}
	t.log(`${accepted} accepted; worst ${worst.toFixed(3)} sample visits per byte`);
	t.true(accepted > 0);
});

test("truns that claim the same mdat bytes again are refused after one pass over them", (t) => {
	const segment = sameBytesSegment(231 * 1024, avInit.video.id);
	const meter = { samples: 0 };
	const error = t.throws(() => parseSegment(segment, avInit, meter), { instanceOf: Mp4Error });
	t.regex(error.message, /does not fit in the 0 bytes of its 'mdat' left unclaimed/);
	t.true(meter.samples < segment.length, `${meter.samples} sample visits`);
	// Two truns whose ranges overlap by one byte, each fitting on its own: refused too.
	const mdatBytes = 10;
	const overlap = (() => {
		const build = (at) => box("moof", box("mfhd", Buffer.from([0, 0, 0, 0, 0, 0, 0, 1])), box("traf",
			box("tfhd", Buffer.from([0, 2, 0, 0x30, 0, 0, 0, avInit.video.id, 0, 0, 0, 1, 0, 0, 0, 0])), box("tfdt", Buffer.alloc(8)),
			box("trun", Buffer.from([0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, at])), box("trun", Buffer.from([0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, at + 4]))));
		return Buffer.concat([build(build(0).length + 8), box("mdat", Buffer.alloc(mdatBytes))]);
	})();
	t.regex(t.throws(() => parseSegment(overlap, avInit), { instanceOf: Mp4Error }).message, /overlap/);
});
