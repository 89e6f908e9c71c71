declare module "fmp4" {
	export interface FragmenterOptions {
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
	export function create(options: FragmenterOptions): Fragmenter;
	/** Flags (READY, …) when taken, else a negative IVXS_FMP4_E* code (nothing changed). */
	export function video(fragmenter: Fragmenter, ref: number, data: Uint8Array, timestamp: number, info: number): number;
	export function audio(fragmenter: Fragmenter, ref: number, data: Uint8Array, timestamp: number): number;
	export function flush(fragmenter: Fragmenter): number;
	/** The ready fragment's scatter list (views), undefined when none; sets `info`. */
	export function take(fragmenter: Fragmenter, frames: ReadonlyArray<Uint8Array | undefined>, info: FragmentInfo): Uint8Array[] | undefined;
	export function setVideoDuration(fragmenter: Fragmenter, ticks: number): void;
	export const READY: 1;
	export const DROPPED: 2;
	export const NEW_AUDIO: 4;
	export const REFS: 256;
	export const Mode: { readonly gop: 0; readonly parts: 1; readonly duration: 2 };
	export const codes: Readonly<Record<string, string>>;
}
