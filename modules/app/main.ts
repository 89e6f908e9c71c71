/*
 * The file demo (`npm run demo`): capture → GOP ring → live fMP4 and FLV files, no cloud.
 *
 * The channel is set up as the camera app sets up each of its channels (channel.ts): the
 * sample clip (H.264 or H.265 + AAC) played in real time on its own C thread into a ring sized
 * for the embedded default largest GOP. What is the demo's own: a live reader wakes on new
 * frames and feeds both muxers (feed.ts), whose scatter lists (small headers + zero-copy views
 * of ring frames) go straight to files. Every second it prints progress; at the end it writes
 * a snapshot still and a summary.
 *
 *   ivxs modules/app/main -- [--seconds 10] [--out build/demo] [--codec h264|h265]
 *                            [--video F] [--audio F] [--stills DIR] [--fps N (default: from the SPS)]
 *
 * It runs on the headless Linux host, reaching the machine only through
 * "ivxs/platform" (files, arguments, memory: platform.d.ts) as the camera app
 * does; manifest.json builds the camera app, not this demo.
 */
import { RingReader, intact } from "ring";
import type { Frame } from "ring";
import { FileWriter, argv, makeDirectory, memory } from "ivxs/platform";
import Timer from "timer";
import * as annexb from "annexb";
import { Fmp4Muxer, FlvMuxer, useNativeAnnexB } from "../media/index.js";
import { openChannel } from "./channel.js";
import { DEFAULT_MAX_GOP_BYTES } from "./device-file.js";
import { MuxerFeed } from "./feed.js";

export const EMBEDDED_DEFAULTS = Object.freeze({
	seconds: 10,
	out: "build/demo",
	codec: "h264" as "h264" | "h265",
});

interface DemoOptions {
	seconds: number;
	out: string;
	codec: "h264" | "h265";
	video: string;
	audio: string;
	stills: string;
	fps?: number;
}

export function parseArguments(args: string[]): DemoOptions {
	const options: Record<string, string> = {};
	for (let i = 0; i < args.length; i += 2) {
		const name = args[i];
		if (!name.startsWith("--") || i + 1 >= args.length)
			throw new RangeError(`demo: expected --name value pairs, got "${name}"`);
		options[name.slice(2)] = args[i + 1];
	}
	const codec = (options.codec ?? EMBEDDED_DEFAULTS.codec) as "h264" | "h265";
	if (codec !== "h264" && codec !== "h265") throw new RangeError(`demo: --codec must be h264 or h265`);
	const seconds = Number(options.seconds ?? EMBEDDED_DEFAULTS.seconds);
	if (!(seconds > 0)) throw new RangeError(`demo: --seconds must be a positive number`);
	if (options.fps !== undefined && !(Number(options.fps) > 0)) throw new RangeError(`demo: --fps must be a positive number`);
	return {
		seconds,
		codec,
		out: options.out ?? EMBEDDED_DEFAULTS.out,
		video: options.video ?? `fixtures/media/${codec}-main-640x480.${codec}`,
		audio: options.audio ?? "fixtures/media/aac-lc-16k-mono.aac",
		stills: options.stills ?? "fixtures/media/stills",
		fps: options.fps === undefined ? undefined : Number(options.fps),
	};
}

export default function main(): void {
	useNativeAnnexB(annexb);   // Annex-B rules in C: the byte loop XS is slow at
	const options = parseArguments(argv());
	const { ring, capture, fps, probe } = openChannel(options, DEFAULT_MAX_GOP_BYTES);
	makeDirectory(options.out);
	const mp4File = new FileWriter(`${options.out}/live.mp4`);
	const flvFile = new FileWriter(`${options.out}/live.flv`);
	let fragments = 0, torn = 0;
	// Zero-copy output (native/ring/README.md "Zero-copy output"): the muxers'
	// chunks view ring frames, which the capture thread may overwrite while the
	// muxer holds them (a whole GOP). Write, then check: a fragment with an
	// overwritten view is truncated away and counted (torn), never kept.
	const emit = (file: FileWriter, chunks: Uint8Array[]): boolean => {
		const before = file.written;
		file.write(chunks);
		if (intact(chunks)) return true;
		file.truncate(before);
		torn++;
		return false;
	};
	const fmp4 = new Fmp4Muxer({
		video: options.codec,
		audio: true,
		onJump: "discontinuity",
		sink: (chunks, info) => {
			if (!emit(mp4File, chunks)) return;
			if (info.type === "fragment") fragments++;
			else trace(`  init segment: ${info.width}x${info.height} codecs ${info.codecs}\n`);
		},
	});
	const flv = new FlvMuxer({ video: options.codec, audio: true, sink: (chunks) => { emit(flvFile, chunks); } });

	// The muxers keep their state when they refuse a frame: log and go on.
	const feeder = new MuxerFeed(options.codec, [fmp4, flv], (frame, error) => trace(`demo: frame ${frame.seq} rejected: ${error.message}\n`));
	const feed = (frame: Frame) => feeder.feed(frame);
	// A live viewer: starts at the newest key frame, wakes when capture pushes.
	const reader = new RingReader(ring, {
		at: "live",
		onReadable() {
			for (let frame = this.read(); frame; frame = this.read()) feed(frame);
		},
	});
	capture.start();
	const rate = probe ? `${probe.codecString} ${probe.width}x${probe.height} at ${fps} fps${probe.frameRate ? " (from the SPS)" : " (default)"}` : `${options.codec} at ${fps} fps`;
	trace(`ivxs demo: ${options.video}: ${rate} + AAC, ring ${ring.stats().arenaBytes} bytes, ${options.seconds} s into ${options.out}/\n`);

	const started = Date.now();
	const progress = Timer.repeat(() => {
		const s = capture.stats();
		const elapsed = Math.round((Date.now() - started) / 1000);
		trace(`  ${elapsed} s: ${feeder.videoFrames} video + ${feeder.audioFrames} audio frames, ${fragments} fMP4 fragments, ${mp4File.written} + ${flvFile.written} bytes, capture late ≤ ${s.maxLateMicroseconds} µs\n`);
		if (Date.now() - started < options.seconds * 1000) return;
		Timer.clear(progress);
		const still = capture.still();   // the picture matching the clip now
		capture.stop();
		for (let frame = reader.read(); frame; frame = reader.read()) feed(frame);
		fmp4.end();
		flv.end();
		const stillFile = new FileWriter(`${options.out}/still.jpg`);
		stillFile.write(still.data);
		stillFile.close();
		mp4File.close();
		flvFile.close();
		reader.close();
		capture.close();
		const m = memory();
		trace(`done: ${options.out}/live.mp4 (${mp4File.written} bytes, ${fragments} fragments), ${options.out}/live.flv (${flvFile.written} bytes), ${options.out}/still.jpg\n`);
		trace(`  frames ${feeder.videoFrames} video, ${feeder.audioFrames} audio, rejected ${feeder.rejected}, torn ${torn}, lost ${reader.lost}; XS heap peak ${m.chunksPeak + m.slotsPeak} bytes, ring ${m.native.ring?.peak ?? 0} bytes\n`);
		ring.close();
	}, 1000);
}
