// The signed time exchange of PROTOCOL.md §2.1 (rule: modules/protocol/cloud-time.ts): a device
// whose clock is off learns the cloud's. Its request is signed as any other, at whatever time its
// clock says; the answer is signed over the request's nonce with the device's K_sign.
import type { CloudContext } from "../context.js";
import { sendJson } from "../http/router.js";
import { readHashed } from "../ingest/body.js";
import { deviceSigningKey, hmacSha256 } from "../auth/device-keys.js";
import { cloudTimeAnswer, cloudTimePath } from "../../../modules/protocol/cloud-time.js";

export function install(ctx: CloudContext): void {
	ctx.router.add("GET", cloudTimePath(":id"), { auth: "device", device: "id", anyTime: true }, async (req, res, _params, _url, auth) => {
		auth.verifyTrailers((await readHashed(req, 0)).sha256);   // no body, and the signature says so
		const answer = cloudTimeAnswer(hmacSha256, deviceSigningKey(auth.device.secret), auth.device.id, auth.nonce, Date.now());
		sendJson(res, 200, answer);
	});
}
