// The viewer side of recordings: signed URLs, the mediamtx-style list, the
// fMP4 `get`, HLS (VOD and live), and the media objects they point to.
// Endpoints and answers: cloud/API.md.
import type { CloudContext } from "../context.js";
import { HttpError, readJson, sendJson } from "../http/router.js";
import { NotFoundError } from "../storage/object-store.js";
import { serviceKey, signUrl } from "../auth/signed-url.js";
import { requireDeviceAccess } from "../users/access.js";
import { channelOf } from "../devices/channels.js";
import { dayMs, durationParam, iso, limitParam, maxListMs, rangeParams, timeParam } from "../http/params.js";
import { fileList, sendFile } from "./files.js";
import { segmentBytes } from "./segments.js";
import { segmentAt, segmentsOverlapping, streamOf } from "../catalogue/index.js";
import { spansOf } from "./spans.js";
import { sendClip } from "./clip.js";
import { fileNameFor } from "../recordings/files.js";
import { sendLive, sendLivePart, sendPlaylist, vodPlaylist } from "./hls.js";
import { installLive } from "./live.js";
import { sendLiveFlv } from "./flv.js";

const maxLinkS = 7 * 86400;

// What /v1/sign signs: a plain path — ids need no percent-encoding, so none is
// taken (no %2e%2e or %2f that a URL parser would resolve past this check), and
// no segment starts with a dot — and a query without a fragment or white space.
const plainPath = /^(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$/;
const notSignable = "path must be a viewer path that signed URLs open (GET of /v1/recordings, /v1/hls, /v1/live, /v1/media, /v1/snapshots or /v1/devices/<id>/events), plain: no percent-encoding, no . or .. segments";

export async function install(ctx: CloudContext): Promise<void> {
	// Made at start, not at the first signed URL, so instances that share the
	// data folder agree on it before either hands out a link.
	serviceKey(ctx);
	installLive(ctx);
	const { router } = ctx;
	// Every route here names a device the user must be granted; each checks its channel.
	const viewerOfDevice = { auth: "user", device: "device", signedUrl: true } as const;

	router.add("GET", "/v1/recordings/:device/:channel/list", viewerOfDevice, async (_req, res, params, url, { viewer, device }) => {
		const channel = channelOf(device, params.channel);
		const { start, end } = rangeParams(url, maxListMs, dayMs);
		const limit = limitParam(url);
		const spans = spansOf(await segmentsOverlapping(ctx.sql, device.id, channel, start, end));
		sendJson(res, 200, spans.slice(0, limit).map((span) => {
			const clipMs = Math.min(span.end - span.start, dayMs);
			return {
				start: iso(span.start),
				duration: (span.end - span.start) / 1000,
				url: signUrl(ctx, `/v1/recordings/${device.id}/${channel}/get?start=${span.start}&duration=${clipMs / 1000}`, viewer),
				hls: signUrl(ctx, `/v1/hls/${device.id}/${channel}/vod.m3u8?start=${span.start}&end=${span.start + clipMs}`, viewer),
			};
		}), spans.length > limit ? { "x-ivxs-more": "1" } : {});
	});

	router.add("GET", "/v1/recordings/:device/:channel/files", viewerOfDevice, async (_req, res, params, url, { viewer, device }) => {
		const channel = channelOf(device, params.channel);
		const { start, end } = rangeParams(url, maxListMs, dayMs);
		const { items, more } = await fileList(ctx, viewer, device.id, channel, start, end, limitParam(url));
		sendJson(res, 200, items, more ? { "x-ivxs-more": "1" } : {});
	});

	router.add("GET", "/v1/recordings/:device/:channel/files/:file", viewerOfDevice, async (req, res, params, _url, { device }) => {
		const channel = channelOf(device, params.channel);
		await sendFile(ctx, req, res, device.id, channel, params.file);
	});

	router.add("GET", "/v1/recordings/:device/:channel/get", viewerOfDevice, async (req, res, params, url, { device }) => {
		const channel = channelOf(device, params.channel);
		const start = timeParam(url, "start");
		const duration = durationParam(url, "duration", dayMs);
		// ?download=1: saved as a file named like the recording files (a share link without it plays in the page).
		const download = url.searchParams.get("download") === "1" ? `${fileNameFor(ctx.config, device.id, channel, { start, end: start + duration }).name}.mp4` : undefined;
		await sendClip(ctx, res, device.id, channel, start, start + duration, req.method === "HEAD", download);
	});

	router.add("GET", "/v1/hls/:device/:channel/vod.m3u8", viewerOfDevice, async (req, res, params, url, { viewer, device }) => {
		const channel = channelOf(device, params.channel);
		const { start, end } = rangeParams(url, dayMs);
		sendPlaylist(res, await vodPlaylist(ctx, viewer, device.id, channel, start, end), req.method === "HEAD");
	});

	router.add("GET", "/v1/hls/:device/:channel/live.m3u8", viewerOfDevice, async (req, res, params, url, { viewer, device }) => {
		const channel = channelOf(device, params.channel);
		await sendLive(ctx, req, res, url, viewer, device.id, channel);
	});

	// HTTP-FLV live: `:file` is `<channel>.flv`.
	router.add("GET", "/v1/live/:device/:file", viewerOfDevice, async (req, res, params, _url, { device }) => {
		const file = /^(0|[1-9][0-9]?)\.flv$/.exec(params.file);
		if (!file) throw new HttpError(404, "live FLV is /v1/live/<device>/<channel>.flv");
		await sendLiveFlv(ctx, req, res, device.id, channelOf(device, file[1]));
	});

	router.add("GET", "/v1/media/:device/:channel/:stream/:file", viewerOfDevice, async (req, res, params, _url, { device }) => {
		const channel = channelOf(device, params.channel);
		const { stream, file } = params;
		let read: () => Promise<Buffer>, type: string;
		if (file === "init.mp4") {
			const info = await streamOf(ctx.sql, device.id, channel, stream);
			if (!info) throw new HttpError(404, `no stream ${stream} on ${device.id} channel ${channel}`);
			read = () => ctx.store.get(info.init_key);
			type = "video/mp4";
		}
		else {
			const part = /^(0|[1-9][0-9]{0,9})\.(0|[1-9][0-9]{0,5})\.m4s$/.exec(file);
			if (part) return sendLivePart(ctx, req, res, device.id, channel, stream, Number(part[1]), Number(part[2]));
			const seq = /^(0|[1-9][0-9]{0,9})\.m4s$/.exec(file)?.[1];
			if (seq === undefined) throw new HttpError(400, `media file must be init.mp4, <seq>.m4s or <seq>.<part>.m4s, not ${JSON.stringify(file)}`);
			const row = await segmentAt(ctx.sql, device.id, channel, stream, Number(seq));
			// A tombstoned segment stays readable through the grace period, so a playback in progress is not cut.
			if (!row || (row.deleted !== null && row.deleted < Date.now() - ctx.config.deleteGraceS * 1000))
				throw new HttpError(404, `no segment ${seq} in stream ${stream} of ${device.id} channel ${channel}`);
			read = () => segmentBytes(ctx, row);
			type = "video/iso.segment";
		}
		let bytes: Buffer;
		try {
			bytes = await read();
		}
		catch (error) {
			if (error instanceof NotFoundError) throw new HttpError(404, `${file} of stream ${stream} was deleted`);
			throw error;
		}
		res.writeHead(200, { "content-type": type, "content-length": bytes.length, "cache-control": "private, max-age=31536000, immutable" });
		res.end(req.method === "HEAD" ? undefined : bytes);
	});

	// The device is named in the body's path: its grant is checked here, and the
	// path must be one whose route accepts signed URLs (its access rule says so).
	router.add("POST", "/v1/sign", { auth: "user" }, async (req, res, _params, _url, { viewer }) => {
		const { path, lifetimeS } = await readJson(req, 8 * 1024);
		if (typeof path !== "string" || path.length > 2048) throw new HttpError(400, "path must be a string of at most 2048 characters");
		// A share link may live longer than the console's own links (a clip sent to someone), up to a week.
		if (lifetimeS !== undefined && (typeof lifetimeS !== "number" || !Number.isInteger(lifetimeS) || lifetimeS < 10 || lifetimeS > maxLinkS)) throw new HttpError(400, `lifetimeS must be a whole number of seconds from 10 to ${maxLinkS}`);
		const at = path.indexOf("?");
		const pathname = at < 0 ? path : path.slice(0, at);
		if (!plainPath.test(pathname) || /[#\s]/.test(path) || new URL(path, "http://local").pathname !== pathname) throw new HttpError(400, notSignable);
		const found = router.match("GET", pathname);
		const access = "route" in found ? found.route.access : undefined;
		if (access?.auth !== "user" || !access.signedUrl || !access.device || !("params" in found)) throw new HttpError(400, notSignable);
		const device = await requireDeviceAccess(ctx, viewer, found.params[access.device]);
		if (found.params.channel !== undefined) channelOf(device, found.params.channel);
		const signed = signUrl(ctx, path, viewer, lifetimeS as number | undefined);
		sendJson(res, 200, { url: signed, expires: iso(Number(new URL(signed, "http://local").searchParams.get("exp")) * 1000) });
	});
}
