// The routes' access rules (http/router.ts, `Access`) checked for this
// service: users by users/access.ts (a signed URL where the rule accepts one,
// an API token or the session cookie; then admin, then the grant of the device
// the rule names), devices by auth/device-auth.ts (the request's signature,
// PROTOCOL.md §2).
import type { IncomingMessage } from "node:http";
import type { CloudContext } from "./context.js";
import type { Access, Params } from "./http/router.js";
import { requireAdmin, requireDeviceAccess, viewerOf } from "./users/access.js";
import { authenticateDevice } from "./auth/device-auth.js";

export async function checkAccess(ctx: CloudContext, req: IncomingMessage, url: URL, params: Params, access: Access): Promise<unknown> {
	if (access.auth === "none") return {};
	if (access.auth === "device") return authenticateDevice(ctx, req, url, params[access.device], access.anyTime);
	const viewer = await viewerOf(ctx, req, url, access.auth === "user" && access.signedUrl === true);
	if (access.auth === "admin") requireAdmin(viewer);
	return access.device === undefined ? { viewer } : { viewer, device: await requireDeviceAccess(ctx, viewer, params[access.device]) };
}
