/*
 * The board app (ESP32-S3): what the camera demo (main.ts) does minus the
 * Linux-only parts (capture plays files; the demo writes files). The GOP ring's
 * arena is in PSRAM (hosts/esp32s3/manifest.json: defines.ring.psram); a live
 * reader feeds both muxers, whose output is counted (the network consumers of
 * later issues take it from there). The board's camera source comes with a
 * later issue: until it pushes, the app reports that it waits.
 */
import { Ring, RingReader, intact } from "ring";
import Timer from "timer";
import * as annexb from "annexb";
import { Fmp4Muxer, FlvMuxer, useNativeAnnexB } from "../media/index.js";
import { MuxerFeed } from "./feed.js";
import { log, memory } from "ivxs/platform";

export const BOARD_DEFAULTS = Object.freeze({
	maxGopBytes: 512 * 1024,   // the embedded default largest GOP, as in the demo
	codec: "h264" as "h264" | "h265",
	reportSeconds: 10,
});

export default function main(): void {
	useNativeAnnexB(annexb);
	const codec = BOARD_DEFAULTS.codec;   // the camera source will say
	const ring = new Ring({ maxGopBytes: BOARD_DEFAULTS.maxGopBytes });
	let mp4Bytes = 0, flvBytes = 0, torn = 0;
	// Where bytes leave (native/ring/README.md "Zero-copy output"): a fragment
	// whose ring views were overwritten is dropped and counted, never emitted.
	// The network consumers of later issues emit here; for now it is counted.
	const emitted = (chunks: (ArrayBuffer | ArrayBufferView)[]) => {
		if (!intact(chunks)) {
			torn++;
			return 0;
		}
		let bytes = 0;
		for (let i = 0; i < chunks.length; i++) bytes += chunks[i].byteLength;
		return bytes;
	};
	const fmp4 = new Fmp4Muxer({ video: codec, audio: true, onJump: "discontinuity", sink: (chunks) => { mp4Bytes += emitted(chunks); } });
	const flv = new FlvMuxer({ video: codec, audio: true, sink: (chunks) => { flvBytes += emitted(chunks); } });
	const feeder = new MuxerFeed(codec, [fmp4, flv], (frame, error) => log.warn(`board: frame ${frame.seq} rejected: ${error.message}`));
	const reader = new RingReader(ring, {
		at: "live",
		onReadable() {
			for (let frame = this.read(); frame; frame = this.read()) feeder.feed(frame);
		},
	});
	log.info(`ivxs board: ${codec}, ring ${ring.stats().arenaBytes} bytes; waiting for a camera source`);
	Timer.repeat(() => {
		const m = memory();
		log.info(`${feeder.videoFrames} video + ${feeder.audioFrames} audio frames, ${mp4Bytes} fMP4 + ${flvBytes} FLV bytes, rejected ${feeder.rejected}, torn fragments dropped ${torn}, frames lost ${reader.lost}; XS heap peak ${m.chunksPeak + m.slotsPeak} bytes, ring ${m.native.ring?.peak ?? 0} bytes`);
	}, BOARD_DEFAULTS.reportSeconds * 1000);
}
