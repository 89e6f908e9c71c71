// A device's channels in request parameters: a channel number checked against
// the device, and the parameters of a per-device list (events, gaps).
import { HttpError } from "../http/router.js";
import { dayMs, limitParam, maxListMs, rangeParams } from "../http/params.js";
import type { Device } from "./registry.js";

export function channelOf(device: Device, text: string): number {
	if (!/^(0|[1-9][0-9]?)$/.test(text)) throw new HttpError(400, `channel must be a number 0..63, not ${JSON.stringify(text)}`);
	const channel = Number(text);
	if (channel >= device.channels) throw new HttpError(400, `channel ${channel} out of range: device ${device.id} has ${device.channels} channel${device.channels === 1 ? "" : "s"}`);
	return channel;
}

/** `[start, end)` (default the last 24 h, at most 31 days), an optional `channel`, `limit`. */
export function deviceListParams(url: URL, device: Device): { start: number; end: number; channel?: number; limit: number } {
	const { start, end } = rangeParams(url, maxListMs, dayMs);
	const channelText = url.searchParams.get("channel");
	return { start, end, channel: channelText === null ? undefined : channelOf(device, channelText), limit: limitParam(url) };
}
