declare module "capture" {
	import type { Ring } from "ring";
	export interface CaptureOptions {
		ring: Ring;
		/** Annex-B H.264/H.265 file (file source). */
		video?: string;
		/** ADTS AAC file (optional). */
		audio?: string;
		/** 16-bit PCM, 8 kHz mono, little-endian (optional): a G.711 track in 20-ms frames beside
		 * the rest (what a browser plays over WebRTC; a board's I2S microphone gives such samples). */
		g711?: string;
		/** The G.711 track's law: "pcmu" (μ-law, the default) or "pcma". */
		g711Codec?: "pcmu" | "pcma";
		/** Folder of JPEG stills, one per second of the clip (optional). */
		stills?: string;
		codec?: "h264" | "h265";
		fps?: number;
		pace?: "realtime" | "fast";
		/** Stop at the end of the file instead of looping. */
		once?: boolean;
		/** First timestamp, ms (default: wall clock at start). */
		startTime?: number;
		/** A camera instead of video: a V4L2 device path on Linux; on a board "camera" (the camera
		 * module, through esp32-camera and esp_h264's encoder) or "pattern" (a moving test pattern
		 * through the same encoder). */
		device?: string;
		width?: number;
		height?: number;
		/** A board's encoder: frames from one IDR to the next (1 … 255; default 2 s of frames) and its bit rate (bit/s; default 300 k). */
		gop?: number;
		bitrate?: number;
		/** A board's camera module: every pin a GPIO number or -1 (default: the ESP32-S3-EYE's). */
		pins?: CameraPins;
	}
	export interface CameraPins {
		pwdn: number; reset: number; xclk: number; sda: number; scl: number;
		d0: number; d1: number; d2: number; d3: number; d4: number; d5: number; d6: number; d7: number;
		vsync: number; href: number; pclk: number;
	}
	export interface CaptureStats {
		framesPushed: number; videoFrames: number; audioFrames: number; keyFrames: number;
		bytesPushed: number; loops: number; dropped: number; ringErrors: number; splitErrors: number;
		maxLateMicroseconds: number; stills: number; footprintBytes: number; running: boolean; error?: string;
	}
	export class Capture {
		constructor(options: CaptureOptions);
		start(): void;
		stop(): void;
		stats(): CaptureStats;
		still(): { data: ArrayBuffer; timestamp: number };
		close(): void;
	}
	export default Capture;
	/** The `code` of this module's errors, by short name: e.g. codes.EBUSY is its IVXS_<MODULE>_EBUSY (native/common/README.md). */
	export const codes: Readonly<Record<string, string>>;
}
