// HTTP-FLV live (`GET /v1/live/:device/:channel.flv`): the stored fMP4
// segments of the live window, re-framed as FLV tags by the media layer's
// FlvMuxer (legacy AVC, enhanced-RTMP 'hvc1' for H.265, AAC) — no re-encoding:
// an fMP4 sample is already length-prefixed NAL units, the avcC/hvcC record is
// FLV's sequence header as it is, and AAC's AudioSpecificConfig likewise. The
// answer starts at the newest segment (a key frame) and follows the window
// (one wake-up per segment, shared with the HLS viewers) until the viewer goes.
// At the viewer's pace: one segment's tags are written, then the answer waits
// for them to drain — so at most a segment is queued per viewer — and a viewer
// that falls more than `flvMaxLagS` behind the newest segment skips to a newer
// one (each starts at a key frame), or is ended when one segment alone takes
// that long to drain (its bytes are queued: they cannot be taken back).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CloudContext } from "../context.js";
import type { LiveEntry, LiveWindow } from "./live-window.js";
import { writeBatch } from "../http/backpressure.js";
import { HttpError } from "../http/router.js";
import { streamOf, type SegmentRow } from "../catalogue/index.js";
import { parseInit, type InitInfo, type TrackInfo } from "../media/init.js";
import { parseSegment } from "../media/segment.js";
import { segmentBytes } from "./segments.js";
import { liveChannel } from "./live.js";
import { askForLive } from "./on-demand.js";
import { FlvMuxer } from "../../../modules/media/flv-muxer.js";
import type { VideoConfig } from "../../../modules/media/video.js";
import type { AudioConfig } from "../../../modules/media/audio.js";
import type { AudioUnit, VideoUnit } from "../../../modules/media/track.js";
import { streamsFromNow, waitedOnPurpose } from "../http/answer-time.js";

/** How long the first request waits for a segment (a camera woken by live on demand), and each next one. */
const waitMs = 6_000;

interface Stream {
	id: string;
	/** Unix ms of decode time 0. */
	epoch: number;
	init: InitInfo;
	video?: VideoConfig;
	audio?: AudioConfig;
}

const videoConfigOf = (track: TrackInfo): VideoConfig => ({
	codec: track.format.startsWith("hv") ? "h265" : "h264", vps: [], sps: [], pps: [], width: track.width!, height: track.height!,
	codecString: track.codec, decoderConfig: track.config,
});

const audioConfigOf = (track: TrackInfo): AudioConfig => ({
	objectType: track.config[0] >> 3, sampleRateIndex: ((track.config[0] & 7) << 1) | (track.config[1] >> 7),
	sampleRate: track.sampleRate!, channels: track.channels!, asc: track.config, codecString: track.codec,
});

/** The NAL units of a sample of 4-byte-length-prefixed NALs (what avcC/hvcC with lengthSize 4 carry). */
function nalsOf(sample: Uint8Array): Uint8Array[] {
	const nals: Uint8Array[] = [];
	const view = new DataView(sample.buffer, sample.byteOffset, sample.byteLength);
	for (let at = 0; at + 4 <= sample.length;) {
		const length = view.getUint32(at);
		if (at + 4 + length > sample.length) throw new HttpError(500, "a stored sample's NAL lengths run past it");
		nals.push(sample.subarray(at + 4, at + 4 + length));
		at += 4 + length;
	}
	return nals;
}

export async function sendLiveFlv(ctx: CloudContext, req: IncomingMessage, res: ServerResponse, device: string, channel: number): Promise<void> {
	askForLive(ctx, device, channel);
	const live = await liveChannel(ctx, device, channel);
	const started = Date.now();
	if (!live.window.newest || live.window.newest.row.end_ms < Date.now() - 60_000) await live.waitFor((live.window.newest?.msn ?? -1) + 1, started + waitMs, req);
	waitedOnPurpose(res, Date.now() - started);
	let entry = live.window.newest;
	if (!entry || entry.row.end_ms < Date.now() - 60_000) throw new HttpError(404, `nothing live on ${device} channel ${channel}`);
	let stream = await streamFor(ctx, entry.row);
	const maxLagMs = ctx.config.flvMaxLagS * 1000;
	// The muxer's sink is synchronous: a segment's tags (views of its bytes) are gathered, then written as one batch.
	let batch: Uint8Array[] = [];
	// A skip moves decode time on by up to the lag: a jump, not an error.
	const muxer = new FlvMuxer({ video: stream.video?.codec, audio: !!stream.audio, onJump: "discontinuity", sink: (chunks) => { for (const chunk of chunks) batch.push(chunk); } });
	res.writeHead(200, { "content-type": "video/x-flv", "cache-control": "no-cache" });
	// From here the answer lasts as long as the viewer watches: its time is not the service's.
	streamsFromNow(res);
	while (!req.destroyed && entry) {
		if (entry.row.stream !== stream.id) {
			const next = await streamFor(ctx, entry.row);
			// FLV has one codec per track for the whole stream: a change of tracks or codec ends it (the player reconnects).
			if (next.video?.codec !== stream.video?.codec || !!next.audio !== !!stream.audio) break;
			stream = next;
		}
		writeSegment(muxer, stream, await segmentBytes(ctx, entry.row));
		const sent = await writeBatch(res, batch, Date.now() + maxLagMs);
		batch = [];
		if (sent === "closed") break;
		if (sent === "late") {
			ctx.metrics.inc("ivxs_flv_viewers_ended_total", "Live FLV answers ended by the service: a segment took longer than FLV_MAX_LAG_S to drain", { reason: "lag" });
			return void res.destroy();
		}
		const msn: number = entry.msn;
		await live.waitFor(msn + 1, Date.now() + waitMs, req);
		const { next, skipped } = nextFor(live.window, msn, maxLagMs);
		if (skipped) ctx.metrics.inc("ivxs_flv_segments_skipped_total", "Live FLV segments skipped: their viewer was more than FLV_MAX_LAG_S behind", {}, skipped);
		entry = next;
		if (!entry) break; // nothing new for a while: the camera stopped
	}
	res.end();
}

/**
 * The segment to send after `msn`: the next one, unless the viewer would then be more than `maxLagMs`
 * behind the window's newest end — then the first that is not (the newest at least), and how many it passed.
 */
function nextFor(window: LiveWindow, msn: number, maxLagMs: number): { next?: LiveEntry; skipped: number } {
	const later = window.entries.filter((e) => e.msn > msn);
	if (!later.length) return { skipped: 0 };
	const edge = later[later.length - 1].row.end_ms;
	const at = later.findIndex((e) => edge - e.row.start_ms <= maxLagMs);
	const index = at < 0 ? later.length - 1 : at;
	return { next: later[index], skipped: index };
}

async function streamFor(ctx: CloudContext, row: SegmentRow): Promise<Stream> {
	const found = await streamOf(ctx.sql, row.device, row.channel, row.stream);
	if (!found) throw new HttpError(404, `stream ${row.stream} is gone`);
	const init = parseInit(await ctx.store.get(found.init_key));
	const video = init.video && videoConfigOf(init.video);
	// lengthSizeMinusOne: avcC byte 4, hvcC byte 21 (low two bits); FLV's NAL units carry 4-byte lengths.
	if (video && (video.decoderConfig[video.codec === "h264" ? 4 : 21] & 3) !== 3) throw new HttpError(501, `stream ${row.stream}: NAL lengths of other than 4 bytes cannot be sent as FLV`);
	return { id: row.stream, epoch: found.epoch_ms, init, video, audio: init.audio && audioConfigOf(init.audio) };
}

/** One stored segment's samples as FLV tags, in decode order across tracks. */
function writeSegment(muxer: FlvMuxer, stream: Stream, bytes: Buffer): void {
	const samples: { ms: number; write: () => void }[] = [];
	// Decode times count from the stream's epoch: on the wall clock, streams of a channel follow each other.
	parseSegment(bytes, stream.init, undefined, (s) => {
		const dtsMs = stream.epoch + s.dts * 1000 / s.track.timescale, ptsMs = stream.epoch + (s.dts + s.cto) * 1000 / s.track.timescale;
		const data = bytes.subarray(s.offset, s.offset + s.size);
		if (s.track.kind === "video") {
			const unit: VideoUnit = { nals: nalsOf(data), sampleSize: s.size, key: s.sync, config: stream.video!, ptsMs, dtsMs, discontinuity: false };
			samples.push({ ms: dtsMs, write: () => muxer.writeVideoUnit(unit) });
		}
		else {
			const unit: AudioUnit = { payload: data, config: stream.audio!, ptsMs, discontinuity: false };
			samples.push({ ms: ptsMs, write: () => void muxer.writeAudioUnit(unit) });
		}
	});
	samples.sort((a, b) => a.ms - b.ms);
	for (const sample of samples) sample.write();
}
