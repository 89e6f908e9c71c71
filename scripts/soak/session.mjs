// Signing in to the soak's cloud (as its admin, or a viewer's account): a session cookie, asked again when the old one is
// refused (a cloud that lost it) — one place for the viewers, the FLV reader and the HLS proxy; `call`
// is the signed-in fetch the tests' sessions offer (cloud/tests/_cloud.mjs), so tests/_webrtc.mjs
// `tokenOf` takes it for the WebRTC viewers' API token.
import { randomBytes } from "node:crypto";

/** A request during the run gives up after this long (the cloud may be down: the caller tries again). */
const REQUEST_MS = 5000;
/** Setting the run up (accounts made and granted): a hang guard, not a bound — on a loaded machine
 * three accounts' scrypt at once took past REQUEST_MS and ended the soak before it began. */
const SETUP_MS = 60_000;

export class Session {
	#cloud;
	#user;
	#password;
	#cookie;

	constructor(cloudUrl, password, user = "admin") {
		this.#cloud = cloudUrl;
		this.#user = user;
		this.#password = password;
	}

	/** The cookie ("name=value"); signs in when there is none or `fresh`. Throws when the cloud is
	 * down (or does not answer within `timeoutMs`: a viewer's request during a fault gives up soon). */
	async cookie(fresh = false, timeoutMs = REQUEST_MS) {
		if (this.#cookie && !fresh) return this.#cookie;
		const res = await fetch(`${this.#cloud}/v1/session`, {
			method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: this.#user, password: this.#password }),
			signal: AbortSignal.timeout(timeoutMs),
		});
		if (res.status !== 200) throw new Error(`sign-in: ${res.status}`);
		this.#cookie = res.headers.get("set-cookie").split(";")[0];
		return this.#cookie;
	}

	/** fetch of `path` on the cloud with the session's cookie, signed in again once when refused (401). */
	async call(path, init = {}, timeoutMs = REQUEST_MS) {
		const go = async (fresh) => fetch(`${this.#cloud}${path}`, { ...init, headers: { ...init.headers, cookie: await this.cookie(fresh, timeoutMs) }, signal: AbortSignal.timeout(timeoutMs) });
		const res = await go(false);
		return res.status === 401 ? go(true) : res;
	}
}

/**
 * A Session of a new account `name` that `admin` (the admin's Session) made and granted `device`: a
 * viewer of its own, whose sessions and offers count against its own share of the camera, not the admin's.
 */
export async function viewerAccount(admin, cloudUrl, name, device) {
	const password = randomBytes(12).toString("hex");
	const json = { "content-type": "application/json" };
	const made = await admin.call("/v1/users", { method: "POST", headers: json, body: JSON.stringify({ name, password }) }, SETUP_MS);
	if (made.status !== 201) throw new Error(`user ${name}: ${made.status} ${await made.text()}`);
	const granted = await admin.call(`/v1/users/${name}/devices/${device}`, { method: "PUT" }, SETUP_MS);
	if (granted.status >= 300) throw new Error(`grant ${device} to ${name}: ${granted.status} ${await granted.text()}`);
	return new Session(cloudUrl, password, name);
}
