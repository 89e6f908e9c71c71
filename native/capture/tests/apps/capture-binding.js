// Drives the capture binding's native functions directly (the Capture class
// never hands them anything but its own host object), run by
// tests/capture-binding.test.mjs: each line printed is one check.
import { Ring, nativeRing } from "ring";

function create(options) @ "xs_capture_create";
function start(capture) @ "xs_capture_start";
function stats(capture) @ "xs_capture_stats";
function still(capture) @ "xs_capture_still";
function close(capture) @ "xs_capture_close";

function check(name, f) {
	try {
		trace(`${name}: ${f()}\n`);
	}
	catch (e) {
		trace(`${name}: ${e?.name}: ${e?.message}\n`);
	}
}

export default function main() {
	const ring = new Ring({ maxGopBytes: 512 * 1024 });
	const foreign = nativeRing(ring);   // another binding's host object
	for (const [name, f] of [["start", start], ["stats", stats], ["still", still], ["close", close]]) {
		check(`${name}(ring host object)`, () => f(foreign));
		check(`${name}(plain object)`, () => f({}));
		check(`${name}(undefined)`, () => f());
	}
	const capture = create({ ring: foreign, video: "fixtures/media/h264-main-640x480.h264", stills: "fixtures/media/stills", startTime: 0 });
	start(capture);
	const s = still(capture);
	const bytes = new Uint8Array(s.data);
	check("still bytes", () => `${s.data.byteLength} resizable ${s.data.resizable === true} soi ${bytes[0] === 0xff && bytes[1] === 0xd8} eoi ${bytes[bytes.length - 2] === 0xff && bytes[bytes.length - 1] === 0xd9}`);
	check("stats(capture)", () => typeof stats(capture).running);
	close(capture);
	check("close twice", () => String(close(capture)));
	check("stats after close", () => stats(capture));
	ring.close();
}
