/*
 * One channel's capture — a GOP ring and the capture that fills it — set up one way for the
 * camera app (each channel of its device file) and the file demo (main.ts).
 */
import { Ring } from "ring";
import { Capture } from "capture";
import { firmware, readFile } from "ivxs/platform";
import { MissingParameterSetError, probeVideo, type VideoCodec, type VideoProbe } from "../media/index.js";
import type { ChannelConfig } from "./device-file.js";
import type { FirmwareFeed } from "./firmware.js";

/** Frames per second when neither the channel nor the clip's SPS says. */
const DEFAULT_FPS = 25;
/** A camera's rate when the channel does not say: a board's encoder's default (sensor_source_esp32.c;
 * a V4L2 camera keeps its own, which the app does not read). */
const BOARD_CAMERA_FPS = 10;

export interface ChannelCapture {
	ring: Ring;
	/** Not started yet: a capture of the channel's file or camera, or the feed a C firmware fills. */
	capture: Capture | FirmwareFeed;
	fps: number | undefined;
	/** The clip's SPS, when the frame rate had to be read from it. */
	probe?: VideoProbe;
}

/**
 * A ring for GOPs of up to `maxGopBytes` and a capture of `source` into it, at `source.fps` or
 * else the clip's own rate (its SPS, in the first 256 KB); `maxReaders` reader slots (the ring's
 * default 8: cloud storage, the local store, the two wires' wake-ups and 4 viewers fit). A "firmware" channel's ring is
 * sized by the C firmware (iv_cs_init's largest GOP) and filled by its pushes. When the capture cannot be made (a
 * file or camera this host has not; no C firmware started this app) the ring is closed and the error thrown.
 */
export function openChannel(source: Omit<ChannelConfig, "channel" | "enabled">, maxGopBytes: number, maxReaders?: number): ChannelCapture {
	const fw = source.firmware ? firmware() : undefined;
	if (source.firmware && !fw) throw new Error("a \"firmware\" channel needs a C firmware (libivxs: iv_cs_init) to feed it");
	if (fw) maxGopBytes = fw.maxGopBytes;
	// A G.711 track adds 50 small frames a second: twice the index slots the ring derives from its
	// bytes, or it would hold far fewer seconds (its pre-roll, a cut's catch-up) than without the track.
	const hasG711 = !!source.g711 || source.firmware?.audio === "pcmu" || source.firmware?.audio === "pcma";
	const ring = new Ring({ maxGopBytes, ...(maxReaders ? { maxReaders } : {}), ...(hasG711 ? { framesScale: 2 } : {}) });
	try {
		if (fw) return { ring, capture: fw.open(ring, source.codec, source.firmware?.audio), fps: undefined };
		if (source.device) {
			// a camera: V4L2 on Linux; a board's camera module or test pattern through its encoder
			const { device, width, height, gop, bitrate, pins } = source;
			const fps = source.fps ?? BOARD_CAMERA_FPS;
			return { ring, capture: new Capture({ ring, device, width, height, gop, bitrate, pins, fps: source.fps }), fps };
		}
		const { video, audio, stills, codec, g711, g711Codec } = source;
		const probe = video && source.fps === undefined ? probeFile(video, codec) : undefined;
		const fps = source.fps ?? (probe ? probe.frameRate ?? DEFAULT_FPS : undefined);
		return { ring, capture: new Capture({ ring, video, audio, stills, codec, fps, ...(g711 ? { g711, g711Codec } : {}) }), fps, probe };
	}
	catch (error) {
		ring.close();
		throw error;
	}
}

// The parameter sets lead a stream: its first 4 KiB are probed first, 256 KiB only when they hold
// no whole SPS (each read is that many bytes of XS heap: a 256-KiB read at start was half of the
// 720p camera's peak, bench board_memory).
const PROBE_HEADS = [4 * 1024, 256 * 1024];

function probeFile(video: string, codec: VideoCodec): VideoProbe {
	for (let i = 0; ; i++) {
		const head = new Uint8Array(readFile(video, { maxBytes: PROBE_HEADS[i] }));
		const more = head.length === PROBE_HEADS[i];   // the file may go on past this head
		try {
			return probeVideo(head, codec, more);
		}
		catch (error) {
			if (!more || i === PROBE_HEADS.length - 1 || !(error instanceof MissingParameterSetError)) throw error;
		}
	}
}
