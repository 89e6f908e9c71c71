// Who is asking, and may they see this device. Every viewer-facing endpoint
// starts with `viewerOf` (a signed playback URL where the route accepts one,
// an API token, or a session cookie from the console) and, for a device's
// data, `requireDeviceAccess`, which checks the grants at request time (so a
// revoked grant also closes the signed URLs handed out before).
import type { IncomingMessage } from "node:http";
import type { CloudContext } from "../context.js";
import { HttpError } from "../http/router.js";
import { isSignedUrl, verifySignedUrl } from "../auth/signed-url.js";
import { findDevice, type Device } from "../devices/registry.js";
import { findUser, isGranted, sessionUser, tokenUser } from "./store.js";

export interface Viewer {
	user: string;
	admin: boolean;
	/** The epoch the links this viewer is handed carry (users/store.ts). */
	linkEpoch: number;
}

export const sessionCookie = "ivxs_session";

export function cookieOf(req: IncomingMessage, name: string): string | undefined {
	const header = req.headers.cookie;
	if (!header) return undefined;
	for (const part of header.split(";")) {
		const at = part.indexOf("=");
		if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
	}
	return undefined;
}

/** The viewer of a request, or a 401; `signedUrl`: the route accepts a signed URL (its access rule says so). */
export async function viewerOf(ctx: CloudContext, req: IncomingMessage, url: URL, signedUrl = false): Promise<Viewer> {
	// A signed URL speaks for itself (a <video> or <img> sends no token); a bad one is a 403.
	try {
		if (isSignedUrl(url) && !signedUrl) throw new HttpError(403, "a signed URL opens only GET/HEAD of the viewer's media, pictures and lists: use a session or an API token here");
		const signed = verifySignedUrl(ctx, req.method ?? "GET", url);
		if (signed) {
			// With the user's rights as they are now: a removed user's links stop, a demoted admin's too,
			// and those signed before a removal (a new account of the name) or a new password.
			const user = await findUser(ctx.sql, signed.user);
			if (!user) throw new HttpError(403, `signed URL of an unknown user ${signed.user}`);
			if (user.linkEpoch !== signed.linkEpoch) throw new HttpError(403, `signed URL ended: ${signed.user}'s account was removed or its password set since it was signed`);
			return { user: user.name, admin: user.admin, linkEpoch: user.linkEpoch };
		}
	}
	catch (error) {
		ctx.metrics.inc("ivxs_auth_failures_total", "Refused credentials, by kind", { kind: "signed-url" });
		throw error;
	}
	const authorization = req.headers.authorization;
	if (authorization !== undefined) {
		const token = /^Bearer ([A-Za-z0-9_-]{1,128})$/.exec(authorization)?.[1];
		const user = token ? await tokenUser(ctx.sql, token) : undefined;
		if (!user) {
			ctx.metrics.inc("ivxs_auth_failures_total", "Refused credentials, by kind", { kind: "token" });
			throw new HttpError(401, "API token not valid (expected Authorization: Bearer <token>)");
		}
		return { user: user.name, admin: user.admin, linkEpoch: user.linkEpoch };
	}
	const session = cookieOf(req, sessionCookie);
	if (session) {
		const user = await sessionUser(ctx.sql, session);
		if (user) return { user: user.name, admin: user.admin, linkEpoch: user.linkEpoch };
		ctx.metrics.inc("ivxs_auth_failures_total", "Refused credentials, by kind", { kind: "session" });
		throw new HttpError(401, "session expired or signed out: sign in again");
	}
	throw new HttpError(401, "sign in (POST /v1/session) or send an API token");
}

/** The device if the viewer may see it: 404 when it does not exist, 403 when not granted. */
export async function requireDeviceAccess(ctx: CloudContext, viewer: Viewer, deviceId: string): Promise<Device> {
	const device = await findDevice(ctx.sql, deviceId);
	if (!device) throw new HttpError(404, `no device ${deviceId}`);
	if (!viewer.admin && !await isGranted(ctx.sql, viewer.user, deviceId)) throw new HttpError(403, `device ${deviceId} is not granted to ${viewer.user}`);
	return device;
}

/** Admin-only endpoints. */
export function requireAdmin(viewer: Viewer): void {
	if (!viewer.admin) throw new HttpError(403, "only an admin may do this");
}
