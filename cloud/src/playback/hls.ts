// HLS over the stored segments, fMP4 and never re-muxed: each camera segment
// is an HLS segment, each stream's init its EXT-X-MAP. Live playlists number
// segments with media sequence numbers that stay the same across reloads and
// instances (the catalogue numbers each stream once: hlsNumbersOf), only move
// forward (live-window.ts), come from memory (live.ts) and answer LL-HLS
// blocking reloads (_HLS_msn) the moment the segment is committed. While a
// segment is being uploaded its fragments are listed as LL-HLS parts
// (EXT-X-PART, a preload hint for the next; live-parts.ts), served from
// memory at <seq>.<part>.m4s, so a player is a part, not a segment, behind.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CloudContext } from "../context.js";
import { HttpError } from "../http/router.js";
import { waitedOnPurpose } from "../http/answer-time.js";
import { signUrl } from "../auth/signed-url.js";
import type { Viewer } from "../users/access.js";
import { iso } from "../http/params.js";
import { segmentsOverlapping, type SegmentRow } from "../catalogue/index.js";
import { spansOf } from "./spans.js";
import { liveChannel, watchedChannel } from "./live.js";
import { askForLive } from "./on-demand.js";
import { presenceOf } from "../control/presence.js";
import { targetSeconds, type LiveEntry, type LiveWindow } from "./live-window.js";
import { partTargetMs, type LivePart, type PartListing } from "./live-parts.js";

/** A channel with no segment this recent is not live. */
const liveMs = 60_000;
/** How long a blocking reload waits for the segment it asks for. */
const blockMs = 6_000;
/** How long a request finding nothing live waits for a camera asked to start (live on demand): below a player's manifest timeout (hls.js 10 s). */
const startMs = 5_000;
/** Live players stay this many target durations behind the newest segment's end. */
export const holdBackTargets = 1;
/** LL-HLS players stay this many part targets behind the newest part's end (RFC 8216bis: at least 2, 3 recommended). */
export const partHoldBackParts = 3;

const mime = "application/vnd.apple.mpegurl";

interface Signer {
	/** Who the links are signed for, until when: viewers with the same key get the same links. */
	key: string;
	sign: (path: string) => string;
}

/** Signed links that stay the same for 5 minutes, so reloads list the same URIs. */
function signer(ctx: CloudContext, viewer: Viewer): Signer {
	const bucket = 300_000, now = Math.floor(Date.now() / bucket) * bucket;
	return {
		key: `${now} ${viewer.admin ? 1 : 0} ${viewer.user}`,
		sign: (path) => signUrl(ctx, path, viewer, ctx.config.urlLifetimeS + bucket / 1000, now),
	};
}

const mediaPath = (row: SegmentRow) => `/v1/media/${row.device}/${row.channel}/${row.stream}/${row.seq}.m4s`;
/** A part of segment `seq`: `<seq>.<index>.m4s`, from memory (index.ts). */
const partPath = (row: SegmentRow, stream: string, seq: number, index: number) => `/v1/media/${row.device}/${row.channel}/${stream}/${seq}.${index}.m4s`;
const initPath = (row: SegmentRow) => `/v1/media/${row.device}/${row.channel}/${row.stream}/init.mp4`;
const seconds = (ms: number) => (ms / 1000).toFixed(3);
const targetOf = (rows: SegmentRow[]) => Math.max(1, ...rows.map(targetSeconds));

export async function vodPlaylist(ctx: CloudContext, viewer: Viewer, device: string, channel: number, start: number, end: number): Promise<string> {
	const rows = await segmentsOverlapping(ctx.sql, device, channel, start, end);
	if (!rows.length) throw new HttpError(404, `nothing recorded between ${iso(start)} and ${iso(end)}`);
	const { sign } = signer(ctx, viewer);
	const lines = ["#EXTM3U", "#EXT-X-VERSION:7", `#EXT-X-TARGETDURATION:${targetOf(rows)}`, "#EXT-X-MEDIA-SEQUENCE:0",
		"#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-INDEPENDENT-SEGMENTS"];
	let stream: string | undefined;
	for (const [index, span] of spansOf(rows).entries()) {
		if (index > 0) lines.push("#EXT-X-DISCONTINUITY");
		if (span.stream !== stream) lines.push(`#EXT-X-MAP:URI="${sign(initPath(span.segments[0]))}"`);
		stream = span.stream;
		lines.push(`#EXT-X-PROGRAM-DATE-TIME:${iso(span.start)}`);
		for (const row of span.segments) lines.push(`#EXTINF:${seconds(row.end_ms - row.start_ms)},`, sign(mediaPath(row)));
	}
	lines.push("#EXT-X-ENDLIST", "");
	return lines.join("\n");
}

function livePlaylist(window: LiveWindow, listing: PartListing, sign: Signer["sign"]): string {
	const entries = window.entries, target = window.target, partTarget = seconds(partTargetMs);
	const hasParts = listing.byMsn.size > 0 || listing.inFlight !== undefined;
	const control = `CAN-BLOCK-RELOAD=YES${hasParts ? `,PART-HOLD-BACK=${seconds(partTargetMs * partHoldBackParts)}` : ""},HOLD-BACK=${(target * holdBackTargets).toFixed(3)}`;
	const lines = ["#EXTM3U", "#EXT-X-VERSION:9", `#EXT-X-TARGETDURATION:${target}`, ...(hasParts ? [`#EXT-X-PART-INF:PART-TARGET=${partTarget}`] : []),
		`#EXT-X-SERVER-CONTROL:${control}`,
		`#EXT-X-MEDIA-SEQUENCE:${entries[0].msn}`, `#EXT-X-DISCONTINUITY-SEQUENCE:${entries[0].disc}`, "#EXT-X-INDEPENDENT-SEGMENTS"];
	const newest = entries[entries.length - 1].row;
	const partLines = (stream: string, seq: number, parts: readonly LivePart[]) => {
		for (const part of parts)
			lines.push(`#EXT-X-PART:DURATION=${seconds(part.durationMs)},URI="${sign(partPath(newest, stream, seq, part.index))}"${part.independent ? ",INDEPENDENT=YES" : ""}`);
	};
	let previous: LiveEntry | undefined;
	for (const entry of entries) {
		if (previous && entry.disc !== previous.disc) lines.push("#EXT-X-DISCONTINUITY");
		if (!previous || entry.row.stream !== previous.row.stream) lines.push(`#EXT-X-MAP:URI="${sign(initPath(entry.row))}"`);
		lines.push(`#EXT-X-PROGRAM-DATE-TIME:${iso(entry.row.start_ms)}`);
		partLines(entry.row.stream, entry.row.seq, listing.byMsn.get(entry.msn) ?? []);
		lines.push(`#EXTINF:${seconds(entry.row.end_ms - entry.row.start_ms)},`, sign(mediaPath(entry.row)));
		previous = entry;
	}
	if (hasParts) {
		const { inFlight, hint } = listing;
		if (inFlight) partLines(inFlight.stream, inFlight.seq, inFlight.parts);
		if (hint) lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${sign(partPath(newest, hint.stream, hint.seq, hint.index))}"`);
	}
	lines.push("");
	return lines.join("\n");
}

export async function sendLive(ctx: CloudContext, req: IncomingMessage, res: ServerResponse, url: URL, viewer: Viewer, device: string, channel: number): Promise<void> {
	const wanted = url.searchParams.get("_HLS_msn"), wantedPart = url.searchParams.get("_HLS_part");
	if (wanted !== null && !/^(0|[1-9][0-9]{0,14})$/.test(wanted)) throw new HttpError(400, "_HLS_msn must be a non-negative integer");
	if (wantedPart !== null && (wanted === null || !/^(0|[1-9][0-9]{0,5})$/.test(wantedPart))) throw new HttpError(400, "_HLS_part must be a non-negative integer, with _HLS_msn");
	const asked = askForLive(ctx, device, channel);
	const live = await liveChannel(ctx, device, channel);
	const window = live.window;
	const stale = () => !window.newest || window.newest.row.end_ms < Date.now() - liveMs;
	if (stale() && asked && (await presenceOf(ctx.sql, device))?.online) {
		// Live on demand: the camera (online) was just asked; its first segment is a GOP and a round trip away.
		const blocked = Date.now();
		await live.waitFor((window.newest?.msn ?? -1) + 1, blocked + startMs, req);
		waitedOnPurpose(res, Date.now() - blocked);
	}
	if (stale()) throw new HttpError(404, `nothing live on ${device} channel ${channel}`);
	if (wanted !== null) {
		const msn = Number(wanted), newest = window.newest!.msn;
		if (msn > newest + 2) throw new HttpError(400, `_HLS_msn ${msn} is more than 2 segments ahead of the newest (${newest})`);
		const blocked = Date.now();
		await live.waitFor(msn, blocked + blockMs, req, wantedPart === null ? undefined : Number(wantedPart));
		waitedOnPurpose(res, Date.now() - blocked);
		if (!window.newest) throw new HttpError(404, `nothing live on ${device} channel ${channel}`); // deleted meanwhile
	}
	const { key, sign } = signer(ctx, viewer);
	const bytes = live.render(key, () => Buffer.from(livePlaylist(window, live.parts.listing(window), sign)));
	res.writeHead(200, { "content-type": mime, "content-length": bytes.length, "cache-control": "no-cache" });
	res.end(req.method === "HEAD" ? undefined : bytes);
}

export function sendPlaylist(res: ServerResponse, text: string, head: boolean): void {
	res.writeHead(200, { "content-type": mime, "content-length": Buffer.byteLength(text), "cache-control": "private, max-age=5" });
	res.end(head ? undefined : text);
}

/** A live part (`<seq>.<part>.m4s`): from memory; a request for the next part (the preload hint) waits for it. */
export async function sendLivePart(ctx: CloudContext, req: IncomingMessage, res: ServerResponse, device: string, channel: number, stream: string, seq: number, index: number): Promise<void> {
	const live = watchedChannel(ctx, device, channel);
	const blocked = Date.now();
	const state = live ? await live.partOf(stream, seq, index, blocked + blockMs, req) : "gone";
	waitedOnPurpose(res, Date.now() - blocked);
	if (state === "wait" || state === "gone") throw new HttpError(404, `no part ${index} of segment ${seq} in stream ${stream} (parts are live only: play ${seq}.m4s)`);
	const bytes = state.part.bytes;
	res.writeHead(200, { "content-type": "video/iso.segment", "content-length": bytes.length, "cache-control": "private, max-age=60" });
	res.end(req.method === "HEAD" ? undefined : bytes);
}
