// Every viewer endpoint answers bad input with a 4xx and a message that says
// what was wrong: times, ranges, devices, channels, credentials, path tricks.
import test from "ava";
import { cloudFor, deviceIn, json } from "./_cloud.mjs";
import { Camera } from "./_media.mjs";
import { signUrl } from "../../build/node/cloud/src/auth/signed-url.js";
import { addToken, addUser, grantDevice } from "../../build/node/cloud/src/users/store.js";

const admin = { user: "admin", admin: true };
const day = 86400_000;
const t0 = Date.UTC(2025, 10, 22, 12, 0, 0);

// [name, path (signed for admin unless `raw`), status, message]
const cases = [
	["list: a start that is no time", `/v1/recordings/cam1/0/list?start=yesterday&end=${t0}`, 400, /start must be unix ms or an ISO 8601 time with a zone/],
	["list: an ISO time without a zone", `/v1/recordings/cam1/0/list?start=2025-11-22T12:00:00&end=${t0}`, 400, /start must be unix ms or an ISO 8601/],
	["list: an impossible date", `/v1/recordings/cam1/0/list?start=2025-13-45T12:00:00Z&end=${t0}`, 400, /is not a time between 2000 and 2200/],
	["list: end before start", `/v1/recordings/cam1/0/list?start=${t0}&end=${t0 - 1}`, 400, /end must be after start/],
	["list: a range over 31 days", `/v1/recordings/cam1/0/list?start=${t0 - 32 * day}&end=${t0}`, 400, /more than the 31 d allowed/],
	["list: a start given twice", `/v1/recordings/cam1/0/list?start=${t0}&start=${t0}&end=${t0 + 1}`, 400, /start is given more than once/],
	["list: unknown device", `/v1/recordings/nobody/0/list`, 404, /no device nobody/],
	["list: channel out of range", `/v1/recordings/cam1/2/list`, 400, /channel 2 out of range: device cam1 has 2 channels/],
	["list: channel not a number", `/v1/recordings/cam1/one/list`, 400, /channel must be a number 0..63/],
	["list: channel with a leading zero", `/v1/recordings/cam1/01/list`, 400, /channel must be a number/],
	["get: no start", `/v1/recordings/cam1/0/get?duration=10`, 400, /start is required/],
	["get: no duration", `/v1/recordings/cam1/0/get?start=${t0}`, 400, /duration must be a positive number of seconds, at most 86400/],
	["get: duration 0", `/v1/recordings/cam1/0/get?start=${t0}&duration=0`, 400, /duration must be a positive/],
	["get: a negative duration", `/v1/recordings/cam1/0/get?start=${t0}&duration=-5`, 400, /duration must be a positive/],
	["get: a duration over 24 h", `/v1/recordings/cam1/0/get?start=${t0}&duration=86401`, 400, /at most 86400/],
	["get: a duration in exponent form", `/v1/recordings/cam1/0/get?start=${t0}&duration=1e3`, 400, /duration must be a positive/],
	["get: nothing recorded there", `/v1/recordings/cam1/0/get?start=${t0 - day}&duration=10`, 404, /nothing recorded between/],
	["vod: a range over 24 h", `/v1/hls/cam1/0/vod.m3u8?start=${t0}&end=${t0 + day + 1}`, 400, /more than the 24 h allowed/],
	["vod: no end", `/v1/hls/cam1/0/vod.m3u8?start=${t0}`, 400, /end is required/],
	["vod: nothing recorded there", `/v1/hls/cam1/0/vod.m3u8?start=${t0 - day}&end=${t0 - day + 1000}`, 404, /nothing recorded/],
	["live: a negative _HLS_msn", `/v1/hls/cam1/0/live.m3u8?_HLS_msn=-1`, 400, /_HLS_msn must be a non-negative integer/],
	["live: a text _HLS_msn", `/v1/hls/cam1/0/live.m3u8?_HLS_msn=next`, 400, /_HLS_msn must be/],
	["media: another file type", `/v1/media/cam1/0/a/0.mp4`, 400, /media file must be init.mp4, <seq>.m4s or <seq>.<part>.m4s/],
	["media: a seq with a leading zero", `/v1/media/cam1/0/a/00.m4s`, 400, /media file must be/],
	["media: an unknown stream", `/v1/media/cam1/0/zz/init.mp4`, 404, /no stream zz/],
	["media: an unknown segment", `/v1/media/cam1/0/a/99.m4s`, 404, /no segment 99 in stream a/],
	["media: a parent folder, encoded", `/v1/media/cam1/0/%2e%2e/init.mp4`, 404, /no such endpoint/],
	["media: a slash inside a name, encoded", `/v1/media/cam1/0/..%2F..%2Fservice.key/init.mp4`, 404, /no such endpoint/],
	["media: a NUL in a name", `/v1/media/cam1/0/a%00/init.mp4`, 404, /no such endpoint/],
	["files: a name not ending in .mp4", `/v1/recordings/cam1/0/files/x.mov`, 400, /file must be <name>.mp4/],
	["snapshots: a file that is not <ms>.jpg", `/v1/snapshots/cam1/0/x.jpg`, 400, /snapshot file must be <unix ms>.jpg or latest/],
	["snapshots: a time in seconds", `/v1/snapshots/cam1/0?start=1700000000&end=1700000100`, 400, /not a time between 2000 and 2200/],
	["snapshots: a limit too large", `/v1/snapshots/cam1/0?limit=10001`, 400, /limit must be an integer in 1..10000/],
	["snapshots: nothing yet", `/v1/snapshots/cam1/1/latest`, 404, /no snapshot of cam1 channel 1/],
];

async function setUp(t) {
	const cloud = await cloudFor(t);
	await deviceIn(cloud, "cam1", { channels: 2 });
	await deviceIn(cloud, "cam2");
	const camera = await new Camera(cloud, { device: "cam1", stream: "a", epoch: t0 }).start();
	await camera.commit();
	await addUser(cloud.ctx.sql, "bob", "bob-password-1");
	await grantDevice(cloud.ctx.sql, "bob", "cam2");
	return cloud;
}

test("viewer endpoints refuse bad input with a 4xx that says why", async (t) => {
	const cloud = await setUp(t);
	for (const [name, path, status, message] of cases) {
		const response = await fetch(`${cloud.url}${signUrl(cloud.ctx, path, admin)}`);
		t.is(response.status, status, name);
		const body = await response.json().catch(() => ({}));
		t.regex(body.error ?? "", message, name);
	}
});

test("credentials: none, forged, expired, another user's device, an unknown user", async (t) => {
	const cloud = await setUp(t);
	const path = `/v1/recordings/cam1/0/get?start=${t0}&duration=1`;
	const good = signUrl(cloud.ctx, path, admin);
	t.is((await fetch(`${cloud.url}${good}`)).status, 200);
	const checks = [
		["no credentials", path, 401, /sign in/],
		["a forged signature", good.replace(/sig=.*/, "sig=" + "A".repeat(43)), 403, /signed URL does not match/],
		["a widened range", good.replace("duration=1", "duration=3600"), 403, /signed URL does not match/],
		["an expired link", signUrl(cloud.ctx, path, admin, 10, Date.now() - 60_000), 403, /signed URL expired at/],
		["a device not granted", signUrl(cloud.ctx, path, { user: "bob", admin: false }), 403, /device cam1 is not granted to bob/],
		["admin claimed by a user the cloud knows as not admin", signUrl(cloud.ctx, path, { user: "bob", admin: true }), 403, /not granted to bob/],
		["an unknown user", signUrl(cloud.ctx, path, { user: "mallory", admin: true }), 403, /unknown user mallory/],
		["a bad API token", [path, { authorization: "Bearer nope" }], 401, /API token not valid/],
	];
	for (const [name, target, status, message] of checks) {
		const [url, headers] = Array.isArray(target) ? target : [target, {}];
		const response = await fetch(`${cloud.url}${url}`, { headers });
		t.is(response.status, status, name);
		t.regex((await response.json()).error, message, name);
	}
	// Granted: bob's own device answers.
	t.is((await fetch(`${cloud.url}${signUrl(cloud.ctx, "/v1/recordings/cam2/0/list", { user: "bob", admin: false })}`)).status, 200);
});

test("POST /v1/sign signs viewer paths of devices the caller may see, and nothing else", async (t) => {
	const cloud = await setUp(t);
	const token = await addToken(cloud.ctx.sql, "bob");
	const asBob = (body) => fetch(`${cloud.url}/v1/sign`, json(body, { method: "POST", headers: { authorization: `Bearer ${token}` } }));
	const ok = await asBob({ path: "/v1/hls/cam2/0/live.m3u8" });
	t.is(ok.status, 200);
	const { url, expires } = await ok.json();
	t.regex(url, /^\/v1\/hls\/cam2\/0\/live\.m3u8\?exp=\d+&user=bob&sig=/);
	t.true(Date.parse(expires) > Date.now());
	for (const [body, status, message] of [
		[{ path: "/v1/hls/cam1/0/live.m3u8" }, 403, /not granted to bob/],
		[{ path: "/v1/hls/nobody/0/live.m3u8" }, 404, /no device nobody/],
		[{ path: "/v1/hls/cam2/3/live.m3u8" }, 400, /channel 3 out of range/],
		[{ path: "/v1/users" }, 400, /path must be a viewer path/],
		[{ path: "/v1/hls/cam2/0/../../../v1/users" }, 400, /path must be a viewer path/],
		// Encodings a URL parser resolves past a check on the raw string: the device
		// segment names cam2 (granted), the path the URL would open is elsewhere.
		[{ path: "/v1/hls/cam2/0/%2e%2e/%2e%2e/%2e%2e/tokens" }, 400, /plain: no percent-encoding/],
		[{ path: "/v1/hls/cam2/%2E%2e/%2e%2E/cam1/0/live.m3u8" }, 400, /plain: no percent-encoding/],
		[{ path: "/v1/hls/cam2/0/.%2e/.%2e/cam1/0/live.m3u8" }, 400, /plain: no percent-encoding/],
		[{ path: "/v1/recordings/cam2/0/..%2f..%2f..%2fusers" }, 400, /plain: no percent-encoding/],
		[{ path: "/v1/snapshots/cam2%2f..%2fcam1/0/latest" }, 400, /plain: no percent-encoding/],
		[{ path: "/v1/hls/cam2/0/%252e%252e/%252e%252e/cam1/0/live.m3u8" }, 400, /plain: no percent-encoding/],
		[{ path: "/v1/hls/cam2/0/./live.m3u8" }, 400, /no \. or \.\. segments/],
		[{ path: "/v1/hls/cam2/0\\..\\..\\users" }, 400, /path must be a viewer path/],
		[{ path: "//v1/hls/cam2/0/live.m3u8" }, 400, /path must be a viewer path/],
		// GET routes that are no viewer media: a signed URL would be an API credential.
		[{ path: "/v1/devices/cam2/plan" }, 400, /path must be a viewer path/],
		[{ path: "/v1/devices/cam2" }, 400, /path must be a viewer path/],
		[{ path: "/v1/me" }, 400, /path must be a viewer path/],
		[{ path: "/v1/sign" }, 400, /path must be a viewer path/],
		[{ path: 42 }, 400, /path must be a string/],
		[{}, 400, /path must be a string/],
	]) {
		const response = await asBob(body);
		t.is(response.status, status, JSON.stringify(body));
		t.regex((await response.json()).error, message, JSON.stringify(body));
	}
	const notJson = await fetch(`${cloud.url}/v1/sign`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{" });
	t.is(notJson.status, 400);
});
