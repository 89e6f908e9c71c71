// The C Annex-B core (module "annexb") against the JS reference copy, on XS:
// the same NAL spans, the same access units and info words, the same errors,
// on every fixture and on a mutation corpus; no limit the JS side lacks.
import test from "ava";
import * as annexb from "annexb";
import { readFile } from "ivxs/file";
import { MediaError, probeVideo } from "../../modules/media/index.js";
import {
	AU_INFO, accessUnitInfo, accessUnitSpans, accessUnitSpansJs, scanNalUnits, scanNalUnitsJs, useNativeAnnexB,
	type VideoCodec,
} from "../../modules/media/annexb.js";

const fixtures: ReadonlyArray<readonly [string, VideoCodec]> = [
	["h264-main-640x480.h264", "h264"], ["h265-main-640x480.h265", "h265"], ["h264-bframes-320x240.h264", "h264"],
	["h264-main-320x240.h264", "h264"], ["h265-main-320x240.h265", "h265"], ["h264-aud-10s-320x240.h264", "h264"],
];
const load = (file: string) => new Uint8Array(readFile(`fixtures/media/${file}`));

function answer(f: () => number[]): number[] | string {
	try {
		return f();
	}
	catch (e) {
		if (!(e instanceof MediaError)) throw e;
		return `${e.name}: ${e.message}`;
	}
}

// Both engines' answers for one input: [C, JS]. The native hooks are removed
// after each call so the JS reference really runs in JS.
function nals(data: Uint8Array): [number[] | string, number[] | string] {
	useNativeAnnexB(annexb);
	const c = answer(() => scanNalUnits(data));
	useNativeAnnexB(undefined);
	return [c, answer(() => scanNalUnitsJs(data))];
}

function units(data: Uint8Array, codec: VideoCodec): [number[] | string, number[] | string] {
	useNativeAnnexB(annexb);
	const c = answer(() => accessUnitSpans(data, codec));
	useNativeAnnexB(undefined);
	return [c, answer(() => accessUnitSpansJs(data, codec))];
}

function random(seed: number): () => number {
	return () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

// Mutations that reach the boundary rules: bytes set to 0/1/random, start
// codes and zero runs inserted, cuts, header bytes of other NAL types.
function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
	let bytes = src.slice(0, Math.max(1, Math.floor(rnd() * Math.min(src.length, 4096))));
	const edits = 1 + Math.floor(rnd() * 6);
	for (let k = 0; k < edits; k++) {
		const at = Math.floor(rnd() * bytes.length);
		const kind = Math.floor(rnd() * 5);
		if (kind === 0) bytes[at] = rnd() < 0.5 ? 0 : 1;
		else if (kind === 1) bytes[at] = Math.floor(rnd() * 256);
		else {
			const insert = kind === 2 ? [0, 0, 1, Math.floor(rnd() * 128)] : kind === 3 ? [0, 0, 0, 1, 0, 0, 1] : [0, 0, 1, 0];
			const next = new Uint8Array(bytes.length + insert.length);
			next.set(bytes.subarray(0, at));
			next.set(insert, at);
			next.set(bytes.subarray(at), at + insert.length);
			bytes = next;
		}
	}
	return bytes;
}

test("the C scanner gives the JS scanner's NAL spans on every fixture", (t) => {
	for (const [file] of fixtures) {
		const [c, js] = nals(load(file));
		t.deepEqual(c, js, file);
		t.true(Array.isArray(c), file);
	}
});

test("the C grouping gives the JS grouping's access units and info words on every fixture", (t) => {
	for (const [file, codec] of fixtures) {
		const [c, js] = units(load(file), codec);
		t.deepEqual(c, js, file);
		const spans = c as number[];
		t.true(spans.length >= 3 * 15, file);
		for (let i = 0; i < spans.length; i += 3) {
			const info = spans[i + 2];
			t.true((info & AU_INFO.VCL) !== 0, `${file}: AU ${i / 3} has a picture`);
			if (info & AU_INFO.KEY) t.true((info & AU_INFO.PARAMS) !== 0, `${file}: key AU ${i / 3} carries its parameter sets`);
		}
	}
});

test("C and JS agree on a mutation corpus (NAL spans, access units, errors)", (t) => {
	const rnd = random(7);
	let errors = 0;
	for (const [file, codec] of fixtures) {
		const src = load(file);
		for (let round = 0; round < 150; round++) {
			const bytes = mutate(src, rnd);
			const [cn, jn] = nals(bytes);
			t.deepEqual(cn, jn, `${file} round ${round}: NAL spans`);
			const [cu, ju] = units(bytes, codec);
			if (JSON.stringify(cu) !== JSON.stringify(ju)) t.log(`C ${JSON.stringify(cu)}, JS ${JSON.stringify(ju)}, input ${JSON.stringify(Array.from(bytes))}`);
			t.deepEqual(cu, ju, `${file} round ${round}: access units`);
			if (typeof cu === "string") errors++;
		}
	}
	t.true(errors > 50, `the corpus reaches the error paths (${errors})`);
	t.deepEqual(...nals(new Uint8Array(0)));
});

// The cases where the two implementations once disagreed, with the answer the
// standards give (see native/annexb/annexb.h): [start, end] of each AU, or the error.
const cases: ReadonlyArray<{ name: string; codec: VideoCodec; bytes: number[]; expect: number[] | string }> = [
	{ name: "H.264 partitions B and C (slice_id 0) stay in the picture", codec: "h264",
		bytes: [0, 0, 0, 1, 0x22, 0x80, 0x11, 0, 0, 1, 0x23, 0x80, 0x11, 0, 0, 1, 0x24, 0x80, 0x11, 0, 0, 1, 0x21, 0x80, 0x11], expect: [0, 19, 19, 25] },
	{ name: "H.265 layer-1 slice with first_slice_segment_in_pic_flag stays in the AU", codec: "h265",
		bytes: [0, 0, 0, 1, 0x26, 0x01, 0x80, 0x11, 0, 0, 1, 0x02, 0x09, 0x80, 0x11, 0, 0, 1, 0x02, 0x01, 0x80, 0x11], expect: [0, 15, 15, 22] },
	{ name: "H.265 layer-1 SPS stays in the AU", codec: "h265",
		bytes: [0, 0, 0, 1, 0x26, 0x01, 0x80, 0x11, 0, 0, 1, 0x42, 0x09, 0x11, 0, 0, 1, 0x02, 0x01, 0x80, 0x11], expect: [0, 14, 14, 21] },
	{ name: "H.265 nuh_temporal_id_plus1 0 is refused", codec: "h265",
		bytes: [0, 0, 0, 1, 0x26, 0x01, 0x80, 0x11, 0, 0, 1, 0x02, 0x00, 0x80, 0x11], expect: "BitstreamError: invalid NAL unit header" },
	{ name: "an empty NAL before a 4-byte start code is refused", codec: "h264",
		bytes: [0, 0, 0, 1, 0x65, 0x88, 0x11, 0, 0, 1, 0, 0, 0, 0, 1, 0x41, 0x9a, 0x22], expect: "BitstreamError: empty NAL unit between start codes" },
];

test("the cases the two once disagreed on have the standard's answer in both", (t) => {
	for (const c of cases) {
		const [native, js] = units(new Uint8Array(c.bytes), c.codec);
		t.deepEqual(native, js, c.name);
		t.deepEqual(typeof js === "string" ? js : js.filter((_, i) => i % 3 !== 2), c.expect, c.name);
	}
});

test("a 10-second clip with 311 NAL units scans and probes on XS as on Node", (t) => {
	const clip = load("h264-aud-10s-320x240.h264");
	const [c, js] = nals(clip);
	t.deepEqual(c, js);
	t.true((c as number[]).length / 3 > 256, `${(c as number[]).length / 3} NAL units`);
	useNativeAnnexB(annexb);
	const probe = probeVideo(clip.subarray(0, 256 * 1024), "h264");
	useNativeAnnexB(undefined);
	t.deepEqual(probe, probeVideo(clip, "h264"));
	t.is(probe.width, 320);
	t.is(probe.height, 240);
});

test("the C scanner reads subarrays at their offset", (t) => {
	const bytes = new Uint8Array([9, 9, 0, 0, 1, 0x41, 5, 0, 0, 1, 0x41, 6]);
	t.deepEqual(nals(bytes.subarray(2))[0], [0, 3, 5, 5, 8, 10]);
});

test("accessUnits refuses an unknown codec", (t) => {
	t.throws(() => annexb.accessUnits(new Uint8Array([0, 0, 1, 0x41]), "vp8" as VideoCodec), { instanceOf: TypeError });
});

// The info word the benchmark and the simulator compute in JS for one access unit is the
// word capture's C gives that unit.
test("accessUnitInfo of each access unit is the C grouping's info word, on every fixture", (t) => {
	for (const [file, codec] of fixtures) {
		const data = load(file);
		const spans = annexb.accessUnits(data, codec) as number[];
		for (let i = 0; i < spans.length; i += 3) {
			if (spans[i + 1] - spans[i] === 0) continue;
			t.is(accessUnitInfo(codec, data.subarray(spans[i], spans[i + 1])), spans[i + 2], `${file}: AU ${i / 3}`);
		}
	}
});
