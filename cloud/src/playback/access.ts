// Who is asking and may they see this device's channel. Viewers come from the
// users part (cloud/src/users/access.ts: session cookie, API token, or a signed
// URL through verifySignedUrl). Until that part is in the build, only signed
// URLs are known, and only an admin's signature opens a device: nothing is
// ever more open for the users part being absent.
import type { IncomingMessage } from "node:http";
import type { CloudContext } from "../context.js";
import { HttpError } from "../http/router.js";
import { findDevice, type Device } from "../devices/registry.js";
import { verifySignedUrl, type SignedViewer } from "../auth/signed-url.js";
import { loadOptional } from "./optional.js";

export type Viewer = SignedViewer;

interface UsersAccess {
	viewerOf(ctx: CloudContext, req: IncomingMessage, url: URL): Viewer | Promise<Viewer>;
	requireDeviceAccess(ctx: CloudContext, viewer: Viewer, deviceId: string): Device | Promise<Device>;
}

let users: UsersAccess | null | undefined;

/** Loads the users part's access module once, if it is built. */
export async function loadUsersAccess(): Promise<void> {
	users ??= await loadOptional<UsersAccess>("../users/access.js", ["viewerOf", "requireDeviceAccess"]);
}

export async function viewerOf(ctx: CloudContext, req: IncomingMessage, url: URL): Promise<Viewer> {
	if (users) return users.viewerOf(ctx, req, url);
	const viewer = verifySignedUrl(ctx, url);
	if (!viewer) throw new HttpError(401, "sign in, or use a signed URL");
	return viewer;
}

export async function requireDeviceAccess(ctx: CloudContext, viewer: Viewer, deviceId: string): Promise<Device> {
	if (users) return users.requireDeviceAccess(ctx, viewer, deviceId);
	const device = findDevice(ctx.db, deviceId);
	if (!device) throw new HttpError(404, `no device ${deviceId}`);
	if (!viewer.admin) throw new HttpError(403, `device ${deviceId} is not granted to ${viewer.user}`);
	return device;
}

/** The viewer, the device and a checked channel number, for routes with :device/:channel. */
export async function viewerChannel(ctx: CloudContext, req: IncomingMessage, url: URL, params: Record<string, string>): Promise<{ viewer: Viewer; device: Device; channel: number }> {
	const viewer = await viewerOf(ctx, req, url);
	const device = await requireDeviceAccess(ctx, viewer, params.device);
	return { viewer, device, channel: channelOf(device, params.channel) };
}

export function channelOf(device: Device, text: string): number {
	if (!/^(0|[1-9][0-9]?)$/.test(text)) throw new HttpError(400, `channel must be a number 0..63, not ${JSON.stringify(text)}`);
	const channel = Number(text);
	if (channel >= device.channels) throw new HttpError(400, `channel ${channel} out of range: device ${device.id} has ${device.channels} channel${device.channels === 1 ? "" : "s"}`);
	return channel;
}
