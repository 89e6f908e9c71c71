declare module "fmp4" {
	import type { Frame, Ring, RingReader } from "ring";
	export interface FragmenterOptions {
		/** The ring whose frames it takes. */
		ring: Ring;
		/** Ring codec of the video track (1 H.264, 2 H.265); omit for audio alone. */
		video?: number;
		/** An AAC track. */
		audio?: boolean;
		/** Mode.gop (default), Mode.parts or Mode.duration. */
		mode?: number;
		fragmentMs?: number;
		/** The stream's time 0, ms (integer). */
		originMs?: number;
		firstSequence?: number;
		maxJumpMs?: number;
	}
	/** The native fragmenter (a host object). */
	export type Fragmenter = object;
	export interface FragmentInfo {
		startMs: number;
		newInit: boolean;
	}
	/** What pump() took: frames muxed, left out (audioless), not for the tracks, refused, all of them; the last one's time and seq. */
	export interface PumpCounts {
		taken: number;
		skipped: number;
		ignored: number;
		rejected: number;
		read: number;
		timestamp: number;
		seq: number;
	}
	export function create(options: FragmenterOptions): Fragmenter;
	/** Flags (READY, …) when taken, else a negative IVXS_FMP4_E* code (nothing changed). `data`: a ring frame's. */
	export function video(fragmenter: Fragmenter, data: Uint8Array, timestamp: number, info: number): number;
	export function audio(fragmenter: Fragmenter, data: Uint8Array, timestamp: number): number;
	/**
	 * Reads `reader`'s frames into the fragmenter in C: READY when a fragment is ready, 0 when the
	 * ring has no frame now, or the frame the caller must judge (not taken): a video key frame, a key
	 * frame at or after `keyFrom`, a frame at or after `endBefore` or past `lastSeq`, one after lost frames,
	 * an AAC frame of a new configuration.
	 */
	export function pump(fragmenter: Fragmenter, reader: RingReader, keyFrom: number, endBefore: number, lastSeq: number, audioless: boolean, counts: PumpCounts): number | Frame;
	export function flush(fragmenter: Fragmenter): number;
	/** The ready fragment's scatter list (views), undefined when none; sets `info`. */
	export function take(fragmenter: Fragmenter, info: FragmentInfo): Uint8Array[] | undefined;
	export function setVideoDuration(fragmenter: Fragmenter, ticks: number): void;
	export const READY: 1;
	export const DROPPED: 2;
	export const NEW_AUDIO: 4;
	export const Mode: { readonly gop: 0; readonly parts: 1; readonly duration: 2 };
	export const codes: Readonly<Record<string, string>>;
}
