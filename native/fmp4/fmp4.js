// Fragmented MP4 from ring frames in C (native/fmp4: fmp4.h has the rules, modfmp4.c the calls).
// Plain functions over a native host object, as native/ring's: modules/cs/segment-mux.ts wraps
// them for cloud storage and the local store.
import { nativeReader, nativeRing } from "ring";

function create_(options) @ "xs_fmp4_create";
function pump_(fragmenter, reader, keyFrom, endBefore, lastSeq, audioless, counts) @ "xs_fmp4_pump";
export function video(fragmenter, data, timestamp, info) @ "xs_fmp4_video";
export function audio(fragmenter, data, timestamp) @ "xs_fmp4_audio";
export function flush(fragmenter) @ "xs_fmp4_flush";
export function take(fragmenter, info) @ "xs_fmp4_take";
export function setVideoDuration(fragmenter, ticks) @ "xs_fmp4_set_video_duration";

export function create(options) {
	return create_({ ...options, ring: nativeRing(options.ring) });
}
export function pump(fragmenter, reader, keyFrom, endBefore, lastSeq, audioless, counts) {
	const frame = pump_(fragmenter, nativeReader(reader), keyFrom, endBefore, lastSeq, audioless, counts);
	if (typeof frame === "object") frame.data = new Uint8Array(frame.data);   // as RingReader.read's
	return frame;
}

// What video(), audio() and flush() return when they took the frame (flags, >= 0).
export const READY = 1;
export const DROPPED = 2;
export const NEW_AUDIO = 4;
export const Mode = Object.freeze({ gop: 0, parts: 1, duration: 2 });

// The `code` of this module's refusals (native/common/README.md).
export const codes = Object.freeze({
	ETIME: "IVXS_FMP4_ETIME",
	ENOKEY: "IVXS_FMP4_ENOKEY",
	EVIDEO: "IVXS_FMP4_EVIDEO",
	EADTS: "IVXS_FMP4_EADTS",
	ETRACK: "IVXS_FMP4_ETRACK",
	EFULL: "IVXS_FMP4_EFULL",
	EBUSY: "IVXS_FMP4_EBUSY",
});
