// TURN credentials by the TURN REST API scheme (draft-uberti-behave-turn-rest, what coturn's
// `use-auth-secret` checks): username "<expiry unix s>:<device>", password
// base64(HMAC-SHA1(shared secret, username)). The TURN server verifies them with the same secret
// and refuses them after the expiry; no account per camera is stored anywhere.
import { createHmac } from "node:crypto";
import type { Config } from "../config.js";

export function turnCredentials(config: Pick<Config, "turnSecret" | "turnCredentialS">, device: string, now = Date.now()): { username: string; password: string } {
	const username = `${Math.floor(now / 1000) + config.turnCredentialS}:${device}`;
	return { username, password: createHmac("sha1", config.turnSecret ?? "").update(username).digest("base64") };
}
