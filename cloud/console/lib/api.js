// The cloud's viewer API as the console uses it (cloud/API.md; sessions,
// devices and plans from the users/control parts). Every call goes through
// `request`, which turns a non-2xx answer into an ApiError carrying the
// service's own message, and a 401 into a sign-in prompt.

export class ApiError extends Error {
	name = "ApiError";
	constructor(status, message) {
		super(message);
		this.status = status;
	}
}

let onUnauthorized = () => {};
/** Called on any 401 (the session ended or was never there). */
export function whenSignedOut(handler) {
	onUnauthorized = handler;
}

async function request(method, path, body) {
	let response;
	try {
		response = await fetch(path, {
			method,
			credentials: "same-origin",
			// Every request that changes something says JSON, with a body or not (API.md: 415 otherwise).
			headers: method === "GET" ? {} : { "content-type": "application/json" },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
	}
	catch (error) {
		throw new ApiError(0, "The cloud cannot be reached. Check your connection and try again.");
	}
	if (response.status === 204) return undefined;
	const text = await response.text();
	let value;
	try {
		value = text ? JSON.parse(text) : undefined;
	}
	catch {
		value = undefined;
	}
	if (!response.ok) {
		const message = value && typeof value.error === "string" ? value.error : `${response.status} ${response.statusText}`;
		const error = new ApiError(response.status, message);
		if (response.status === 401 && path !== "/v1/session") onUnauthorized(error);
		throw error;
	}
	return value;
}

const enc = encodeURIComponent;
const query = (params) => {
	const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null);
	return entries.length ? "?" + entries.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&") : "";
};
const iso = (ms) => new Date(ms).toISOString();
const list = (value, key) => Array.isArray(value) ? value : value?.[key] ?? [];

export const api = {
	signIn: (user, password) => request("POST", "/v1/session", { user, password }),
	signOut: () => request("DELETE", "/v1/session"),
	me: () => request("GET", "/v1/me"),

	devices: async () => list(await request("GET", "/v1/devices"), "devices"),
	device: (id) => request("GET", `/v1/devices/${enc(id)}`),
	/** Admin: { id, name?, channels? } → the device with its secret (shown only now). */
	addDevice: (body) => request("POST", "/v1/devices", body),
	/** Admin: { name?, timeZone? (IANA or null) } → the device. */
	updateDevice: (id, change) => request("PATCH", `/v1/devices/${enc(id)}`, change),
	/** Admin: the device and all it recorded. */
	removeDevice: (id) => request("DELETE", `/v1/devices/${enc(id)}`),
	plan: (id) => request("GET", `/v1/devices/${enc(id)}/plan`),
	savePlan: (id, plan) => request("PUT", `/v1/devices/${enc(id)}/plan`, plan),

	/** Playable spans: [{ start (ms), end (ms), duration (s), url, hls }] */
	spans: async (id, channel, start, end) => list(await request("GET", `/v1/recordings/${enc(id)}/${channel}/list${query({ start: iso(start), end: iso(end) })}`), "spans")
		.map((span) => {
			const startMs = Date.parse(span.start);
			return { ...span, start: startMs, end: startMs + span.duration * 1000 };
		}),
	/** Events: [{ id, channel, time (ms), bits, kinds, clip, picture (the still sent with it, or null) }] */
	events: async (id, channel, start, end) => list(await request("GET", `/v1/devices/${enc(id)}/events${query({ start: iso(start), end: iso(end), channel })}`), "events")
		.map((event) => ({ ...event, time: event.timeMs ?? Date.parse(event.time) })),
	/** Gaps the camera reported: [{ channel, from (ms), to (ms), frames, reason }] */
	gaps: async (id, channel, start, end) => list(await request("GET", `/v1/devices/${enc(id)}/gaps${query({ start: iso(start), end: iso(end), channel })}`), "gaps")
		.map((gap) => ({ ...gap, from: gap.fromMs ?? Date.parse(gap.from), to: gap.toMs ?? Date.parse(gap.to) })),
	/** Assembled recording files: [{ name, start (ms), end (ms), bytes, url }] */
	files: async (id, channel, start, end) => list(await request("GET", `/v1/recordings/${enc(id)}/${channel}/files${query({ start: iso(start), end: iso(end) })}`), "files")
		.map((file) => ({ ...file, start: Date.parse(file.start), end: Date.parse(file.end) })),
	/** Snapshot history: [{ time (ms), bytes, url }] */
	snapshots: async (id, channel, start, end, limit) => list(await request("GET", `/v1/snapshots/${enc(id)}/${channel}${query({ start: iso(start), end: iso(end), limit })}`), "snapshots")
		.map((shot) => ({ ...shot, time: shot.timeMs ?? Date.parse(shot.time) })),
	/** A signed link to `path` (API.md "Signed URLs"), valid `lifetimeS` (the cloud's default when undefined): { url, expires }. */
	sign: (path, lifetimeS) => request("POST", "/v1/sign", { path, lifetimeS }),
	/** Asks the camera for a still now (202; the still arrives in the snapshot list). */
	askSnapshot: (id, channel) => request("POST", `/v1/snapshots/${enc(id)}/${channel}`),

	/** The device's P2P sessions [{ session, user, since, ticketExpiry, connected, action?, talk?, srttMs?, rate?, buffered?, memory? }] (API.md "P2P"). */
	p2pSessions: async (id) => list(await request("GET", `/v1/devices/${enc(id)}/p2p`), "sessions"),

	/** Admin: users [{ name, admin, created, devices }] and their changes. */
	users: async () => list(await request("GET", "/v1/users"), "users"),
	addUser: (name, password, admin) => request("POST", "/v1/users", { name, password, admin }),
	removeUser: (name) => request("DELETE", `/v1/users/${enc(name)}`),
	resetPassword: (name, password) => request("PUT", `/v1/users/${enc(name)}/password`, { password }),
	grant: (name, device) => request("PUT", `/v1/users/${enc(name)}/devices/${enc(device)}`),
	revoke: (name, device) => request("DELETE", `/v1/users/${enc(name)}/devices/${enc(device)}`),

	/** Admin: OTA releases [{ version, manifest, keyId, bundleSize, added }] and rollouts (API.md "Releases and rollouts"). */
	releases: async () => list(await request("GET", "/v1/releases"), "releases"),
	/** The bundle file as it is (a File): the one request that is not JSON. */
	uploadRelease: async (file) => {
		const response = await fetch("/v1/releases", { method: "POST", credentials: "same-origin", headers: { "content-type": "application/octet-stream" }, body: file });
		const value = await response.json().catch(() => undefined);
		if (!response.ok) throw new ApiError(response.status, value?.error ?? `${response.status} ${response.statusText}`);
		return value;
	},
	/** 409 while a running or paused rollout offers it (the error says which). */
	removeRelease: (version) => request("DELETE", `/v1/releases/${enc(version)}`),
	rollouts: async () => list(await request("GET", "/v1/rollouts"), "rollouts"),
	rollout: (id) => request("GET", `/v1/rollouts/${enc(id)}`),
	startRollout: (body) => request("POST", "/v1/rollouts", body),
	/** pause | resume | cancel */
	changeRollout: (id, action) => request("POST", `/v1/rollouts/${enc(id)}/${action}`),

	/** URLs a player or an <img> loads with the session cookie (same origin). */
	liveUrl: (id, channel) => `/v1/hls/${enc(id)}/${channel}/live.m3u8`,
	/** WHEP: live straight from the camera over WebRTC (lib/webrtc-player.js). */
	whepUrl: (id) => `/v1/devices/${enc(id)}/whep`,
	/** The STUN servers a viewer asks for its server-reflexive candidate: { stun: [{ address, port }] }. */
	p2pServers: () => request("GET", "/v1/p2p"),
	vodUrl: (id, channel, start, end) => `/v1/hls/${enc(id)}/${channel}/vod.m3u8${query({ start: iso(start), end: iso(end) })}`,
	getUrl: (id, channel, start, durationS) => `/v1/recordings/${enc(id)}/${channel}/get${query({ start: iso(start), duration: durationS })}`,
	/** One snapshot by its time: immutable, so the browser caches it. */
	snapshotUrl: (id, channel, time) => `/v1/snapshots/${enc(id)}/${channel}/${time}.jpg`,
};
