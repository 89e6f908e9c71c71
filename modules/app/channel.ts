/*
 * One channel's capture — a GOP ring and the capture that fills it — set up one way for the
 * camera app (each channel of its device file) and the file demo (main.ts).
 */
import { Ring } from "ring";
import { Capture } from "capture";
import { readFile } from "ivxs/platform";
import { probeVideo, type VideoProbe } from "../media/index.js";
import type { ChannelConfig } from "./device-file.js";

/** Frames per second when neither the channel nor the clip's SPS says. */
const DEFAULT_FPS = 25;

export interface ChannelCapture {
	ring: Ring;
	/** Not started yet. */
	capture: Capture;
	fps: number | undefined;
	/** The clip's SPS, when the frame rate had to be read from it. */
	probe?: VideoProbe;
}

/**
 * A ring for GOPs of up to `maxGopBytes` and a capture of `source` into it, at `source.fps` or
 * else the clip's own rate (its SPS, in the first 256 KB); `maxReaders` reader slots (the ring's
 * default 8: cloud storage, the local store, P2P's wake-up and 4 viewers fit). When the capture cannot be made (a
 * board has no camera source yet) the ring is closed and the error thrown.
 */
export function openChannel(source: Omit<ChannelConfig, "channel" | "enabled">, maxGopBytes: number, maxReaders?: number): ChannelCapture {
	const ring = new Ring(maxReaders ? { maxGopBytes, maxReaders } : { maxGopBytes });
	try {
		const { video, audio, stills, codec } = source;
		const probe = video && source.fps === undefined ? probeVideo(new Uint8Array(readFile(video, { maxBytes: 256 * 1024 })), codec) : undefined;
		const fps = source.fps ?? (probe ? probe.frameRate ?? DEFAULT_FPS : undefined);
		return { ring, capture: new Capture({ ring, video, audio, stills, codec, fps }), fps, probe };
	}
	catch (error) {
		ring.close();
		throw error;
	}
}
