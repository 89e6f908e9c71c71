// The C Annex-B scanner (module "annexb") against the JS reference, on XS.
import test from "ava";
import { scan } from "annexb";
import { readFile } from "ivxs/file";
import { scanNalUnitsJs, splitAccessUnits, useNativeScanner, scanNalUnits, MediaError } from "../../modules/media/index.js";

function jsOrError(data: Uint8Array): number[] | string {
	try {
		return scanNalUnitsJs(data);
	}
	catch (e) {
		return (e as Error).message;
	}
}

function nativeOrError(data: Uint8Array): number[] | string {
	useNativeScanner(scan);
	try {
		return scanNalUnits(data);
	}
	catch (e) {
		if (!(e instanceof MediaError)) throw e;
		return e.message;
	}
}

test("the C scanner gives the JS scanner's NAL spans on every fixture access unit", (t) => {
	for (const [file, codec] of [["h264-main-640x480.h264", "h264"], ["h265-main-640x480.h265", "h265"], ["h264-bframes-320x240.h264", "h264"]] as const) {
		const aus = splitAccessUnits(new Uint8Array(readFile(`fixtures/media/${file}`)), codec);
		for (const au of aus) t.deepEqual(nativeOrError(au), jsOrError(au), file);
	}
});

test("the C scanner throws the JS scanner's errors on mutated input", (t) => {
	const au = splitAccessUnits(new Uint8Array(readFile("fixtures/media/h264-main-640x480.h264")), "h264")[0];
	let seed = 7;
	const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
	for (let round = 0; round < 300; round++) {
		const bytes = au.slice(0, 1 + Math.floor(random() * au.length));
		for (let k = 0; k < 4; k++) bytes[Math.floor(random() * bytes.length)] = random() < 0.5 ? 0 : Math.floor(random() * 256);
		t.deepEqual(nativeOrError(bytes), jsOrError(bytes), `round ${round}`);
	}
	t.deepEqual(nativeOrError(new Uint8Array(0)), jsOrError(new Uint8Array(0)));
});

test("the C scanner reads subarrays at their offset", (t) => {
	const bytes = new Uint8Array([9, 9, 0, 0, 1, 0x41, 5, 0, 0, 1, 0x41, 6]);
	t.deepEqual(nativeOrError(bytes.subarray(2)), [0, 3, 5, 5, 8, 10]);
});
