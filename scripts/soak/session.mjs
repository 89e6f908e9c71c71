// Signing in to the soak's cloud as its admin: a session cookie, asked again when the old one is
// refused (a cloud that lost it) — one place for the viewers, the FLV reader and the HLS proxy.
export class Session {
	#cloud;
	#password;
	#cookie;

	constructor(cloudUrl, password) {
		this.#cloud = cloudUrl;
		this.#password = password;
	}

	/** The cookie ("name=value"); signs in when there is none or `fresh`. Throws when the cloud is down. */
	async cookie(fresh = false) {
		if (this.#cookie && !fresh) return this.#cookie;
		const res = await fetch(`${this.#cloud}/v1/session`, {
			method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: "admin", password: this.#password }),
			signal: AbortSignal.timeout(5000),
		});
		if (res.status !== 200) throw new Error(`sign-in: ${res.status}`);
		this.#cookie = res.headers.get("set-cookie").split(";")[0];
		return this.#cookie;
	}
}
