// Capture source (native/capture): plays an Annex-B H.264/H.265 file (and an
// ADTS AAC file) into a Ring from its own thread, paced in real time, looping;
// or streams a V4L2 camera that delivers H.264. See native/capture/README.md.
// A plain class over a native host object, so apps can preload it into a
// heap snapshot (see ring.js).
import { nativeRing } from "ring";

function create(options) @ "xs_capture_create";
function start(capture) @ "xs_capture_start";
function stop(capture) @ "xs_capture_stop";
function stats(capture) @ "xs_capture_stats";
function still(capture) @ "xs_capture_still";
function close(capture) @ "xs_capture_close";

export class Capture {
	#capture;
	constructor(options) {
		if (options === null || typeof options !== "object") throw new TypeError("capture: options required");
		this.#capture = create({ ...options, ring: nativeRing(options.ring) });
	}
	start() { start(this.#capture); }
	stop() { stop(this.#capture); }
	stats() { return stats(this.#capture); }
	still() { return still(this.#capture); }
	close() { close(this.#capture); }
}
Object.freeze(Capture.prototype);
export default Capture;

// The `code` of the errors this module throws (native/common/README.md): match
// errors by code, never by message. The kit's own (IVXS_EARG, …) are in ivxs/codes (ring codes come through too: ring's codes).
export const codes = Object.freeze({
	EARG: "IVXS_CAPTURE_EARG",
	ENOMEM: "IVXS_CAPTURE_ENOMEM",
	EOPEN: "IVXS_CAPTURE_EOPEN",
	EREAD: "IVXS_CAPTURE_EREAD",
	ENOSTART: "IVXS_CAPTURE_ENOSTART",
	ENOKEY: "IVXS_CAPTURE_ENOKEY",
	ETOOBIG: "IVXS_CAPTURE_ETOOBIG",
	EGARBAGE: "IVXS_CAPTURE_EGARBAGE",
	ETRUNC: "IVXS_CAPTURE_ETRUNC",
	EADTS: "IVXS_CAPTURE_EADTS",
	ECODEC: "IVXS_CAPTURE_ECODEC",
	ESTATE: "IVXS_CAPTURE_ESTATE",
	ETHREAD: "IVXS_CAPTURE_ETHREAD",
	ENOTDEV: "IVXS_CAPTURE_ENOTDEV",
	ECAPS: "IVXS_CAPTURE_ECAPS",
	EFORMAT: "IVXS_CAPTURE_EFORMAT",
	EIO: "IVXS_CAPTURE_EIO",
	ENOSTILL: "IVXS_CAPTURE_ENOSTILL",
	EJPEG: "IVXS_CAPTURE_EJPEG",
	ENOSPACE: "IVXS_CAPTURE_ENOSPACE",
	EUNSUPPORTED: "IVXS_CAPTURE_EUNSUPPORTED",
});
