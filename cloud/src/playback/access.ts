// Who is asking and may they see this device's channel: the users part's
// viewerOf (session cookie, API token, or a signed URL through
// verifySignedUrl) and requireDeviceAccess, plus the channel check.
import type { IncomingMessage } from "node:http";
import type { CloudContext } from "../context.js";
import { HttpError } from "../http/router.js";
import type { Device } from "../devices/registry.js";
import { requireDeviceAccess, viewerOf, type Viewer } from "../users/access.js";
import { dayMs, limitParam, maxListMs, rangeParams } from "./params.js";

export { viewerOf, requireDeviceAccess, type Viewer };

/** The viewer, the device and a checked channel number, for routes with :device/:channel. */
export async function viewerChannel(ctx: CloudContext, req: IncomingMessage, url: URL, params: Record<string, string>): Promise<{ viewer: Viewer; device: Device; channel: number }> {
	const viewer = viewerOf(ctx, req, url);
	const device = requireDeviceAccess(ctx, viewer, params.device);
	return { viewer, device, channel: channelOf(device, params.channel) };
}

export function channelOf(device: Device, text: string): number {
	if (!/^(0|[1-9][0-9]?)$/.test(text)) throw new HttpError(400, `channel must be a number 0..63, not ${JSON.stringify(text)}`);
	const channel = Number(text);
	if (channel >= device.channels) throw new HttpError(400, `channel ${channel} out of range: device ${device.id} has ${device.channels} channel${device.channels === 1 ? "" : "s"}`);
	return channel;
}

/**
 * The viewer, the device and the parameters of a per-device list (events,
 * gaps): `[start, end)` (default the last 24 h, at most 31 days), an optional
 * `channel`, `limit`.
 */
export function deviceListQuery(ctx: CloudContext, req: IncomingMessage, url: URL, params: Record<string, string>):
	{ viewer: Viewer; device: Device; start: number; end: number; channel?: number; limit: number } {
	const viewer = viewerOf(ctx, req, url);
	const device = requireDeviceAccess(ctx, viewer, params.device);
	const { start, end } = rangeParams(url, maxListMs, dayMs);
	const channelText = url.searchParams.get("channel");
	return { viewer, device, start, end, channel: channelText === null ? undefined : channelOf(device, channelText), limit: limitParam(url) };
}
