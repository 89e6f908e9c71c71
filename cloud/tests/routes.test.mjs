// Every route of the service and its access rule (http/router.ts, `Access`):
// the rule is declared with the route and checked before its handler, so this
// table is the whole of who may call what. A new route fails here until it is
// listed with its rule. (The go-auth routes, added only with an external broker, are
// checked in mosquitto.test.mjs: rule none, the broker asks with the credentials in the body.)
import test from "ava";
import { cloudFor } from "./_cloud.mjs";

const user = { auth: "user" }, admin = { auth: "admin" }, none = { auth: "none" };
const viewerOf = (device) => ({ auth: "user", device });
// A viewer's media, pictures and lists: a signed URL may stand for the user (GET/HEAD only).
const playback = (device) => ({ auth: "user", device, signedUrl: true });
const signedBy = (device) => ({ auth: "device", device });

const expected = {
	"GET /healthz": none,
	"GET /metrics": none,
	"POST /v1/session": none,
	"DELETE /v1/session": none,
	"GET /v1/me": user,
	"PUT /v1/me/password": user,
	"POST /v1/tokens": user,
	"GET /v1/users": admin,
	"POST /v1/users": admin,
	"PUT /v1/users/:name/password": admin,
	"DELETE /v1/users/:name": admin,
	"PUT /v1/users/:name/devices/:device": admin,
	"DELETE /v1/users/:name/devices/:device": admin,
	"GET /v1/devices": user,
	"GET /v1/devices/:id": viewerOf("id"),
	"POST /v1/devices": admin,
	"PATCH /v1/devices/:id": { auth: "admin", device: "id" },
	"DELETE /v1/devices/:id": { auth: "admin", device: "id" },
	"GET /v1/devices/:id/plan": viewerOf("id"),
	"PUT /v1/devices/:id/plan": viewerOf("id"),
	// The time exchange (PROTOCOL §2.1): signed at whatever time the device's clock says.
	"GET /v1/devices/:id/time": { ...signedBy("id"), anyTime: true },
	"PUT /v1/devices/:id/channels/:ch/streams/:stream/init": signedBy("id"),
	"PUT /v1/devices/:id/channels/:ch/streams/:stream/segments/:seq": signedBy("id"),
	"POST /v1/devices/:id/channels/:ch/streams/:stream/end": signedBy("id"),
	"PUT /v1/devices/:device/channels/:channel/snapshots": signedBy("device"),
	"GET /v1/recordings/:device/:channel/list": playback("device"),
	"GET /v1/recordings/:device/:channel/files": playback("device"),
	"GET /v1/recordings/:device/:channel/files/:file": playback("device"),
	"GET /v1/recordings/:device/:channel/get": playback("device"),
	"GET /v1/hls/:device/:channel/vod.m3u8": playback("device"),
	"GET /v1/hls/:device/:channel/live.m3u8": playback("device"),
	"GET /v1/live/:device/:file": playback("device"),
	"GET /v1/media/:device/:channel/:stream/:file": playback("device"),
	"POST /v1/sign": user,
	"GET /v1/snapshots/:device/:channel/latest": playback("device"),
	"GET /v1/snapshots/:device/:channel/:file": playback("device"),
	"GET /v1/snapshots/:device/:channel": playback("device"),
	"POST /v1/snapshots/:device/:channel": viewerOf("device"),
	"GET /v1/devices/:device/events": playback("device"),
	"GET /v1/devices/:device/gaps": viewerOf("device"),
	"POST /v1/releases": admin,
	"GET /v1/releases": admin,
	"DELETE /v1/releases/:version": admin,
	"GET /v1/devices/:device/releases/:version": signedBy("device"),
	"POST /v1/rollouts": admin,
	"GET /v1/rollouts": admin,
	"GET /v1/rollouts/:rollout": admin,
	"POST /v1/rollouts/:rollout/pause": admin,
	"POST /v1/rollouts/:rollout/resume": admin,
	"POST /v1/rollouts/:rollout/cancel": admin,
	"GET /v1/devices/:device/p2p": viewerOf("device"),
	"POST /v1/devices/:device/p2p": viewerOf("device"),
	"GET /v1/devices/:device/p2p/:session/candidates": viewerOf("device"),
	"POST /v1/devices/:device/p2p/:session/candidates": viewerOf("device"),
	"POST /v1/devices/:device/whep": viewerOf("device"),
	"DELETE /v1/devices/:device/whep/:session": viewerOf("device"),
	"PATCH /v1/devices/:device/whep/:session": viewerOf("device"),
	"GET /v1/p2p": user,
};


test("every /v1/ route declares its access rule, as listed here; the rest are the console's files, health and metrics", async (t) => {
	const cloud = await cloudFor(t);
	const routes = cloud.ctx.router.routes();
	const api = Object.fromEntries(routes.filter((r) => r.pattern.startsWith("/v1/") || r.pattern === "/healthz" || r.pattern === "/metrics")
		.map((r) => [`${r.method} ${r.pattern}`, r.access]));
	t.deepEqual(api, expected);
	const others = routes.filter((r) => !(`${r.method} ${r.pattern}` in expected));
	t.true(others.length > 3);
	for (const route of others) {
		t.regex(route.pattern, /^\/(console(\/.*)?|vendor\/hls\.min\.js)?$/, `${route.method} ${route.pattern}`);
		t.deepEqual(route.access, none, `${route.method} ${route.pattern}: static files are public`);
	}
});

test("a rule that names a parameter the path lacks, or an unknown kind, fails at start", async (t) => {
	const cloud = await cloudFor(t);
	const { router } = cloud.ctx;
	t.throws(() => router.add("GET", "/v1/x/:id", { auth: "user", device: "device" }, () => {}), { message: /parameter :device/ });
	t.throws(() => router.add("GET", "/v1/x", { auth: "nobody" }, () => {}), { message: /unknown access rule/ });
	t.throws(() => router.add("GET", "/v1/x", undefined, () => {}));
	for (const [method, access] of [["POST", { auth: "user", signedUrl: true }], ["GET", { auth: "admin", signedUrl: true }], ["PUT", { auth: "user", device: "id", signedUrl: true }]])
		t.throws(() => router.add(method, "/v1/x/:id", access, () => {}), { message: /signed URLs are for GET routes of users only/ }, `${method} ${JSON.stringify(access)}`);
});
