// Every id the protocol allows (modules/protocol/ids.ts: device ids, stream
// ids, channel numbers — with a leading "-" or "_", at the maximum length, the
// whole alphabet) goes through ingest, the recordings list and playback: each
// is stored and played back; every id it does not allow is a 4xx, never a 5xx.
import test from "ava";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { Uploader } from "../../build/node/cloud/sim/uploader.js";
import { packageStream } from "../../build/node/cloud/sim/packager.js";
import { signUrl } from "../../build/node/cloud/src/auth/signed-url.js";
import { DEVICE_ID, STREAM_ID, MAX_CHANNELS } from "../../build/node/modules/protocol/ids.js";

const av = packageStream({ seconds: 2 });
const admin = { user: "admin", admin: true };
const alnum = "abcdefghijklmnopqrstuvwxyz0123456789";
const streamAlphabet = `ABCDEFGHIJKLMNOPQRSTUVWXYZ${alnum}_-`;

// Device ids: first character [a-z0-9], then [a-z0-9_-], 1..64 characters.
const devices = ["a", "9", "z-", "0_", `a${"-_".repeat(31)}b`.slice(0, 64), `${alnum}_-${alnum}`.slice(0, 64)];
// Stream ids: [A-Za-z0-9_-]{1,64}, the leading "-" and "_" included.
const streams = ["-", "_", "--", "__", "-a", "_a", "-_-_", "A", "z", "0", "a-", "b_", streamAlphabet.slice(0, 64), streamAlphabet.slice(-64), `-${"x".repeat(63)}`, `_${"Y".repeat(63)}`];
// Channels 0 … MAX_CHANNELS−1.
const channels = [0, 1, 10, MAX_CHANNELS - 1];

test("the id lists cover what the protocol allows: every character of both alphabets, both lengths' ends", (t) => {
	for (const id of devices) t.regex(id, DEVICE_ID.regexp);
	for (const id of streams) t.regex(id, STREAM_ID.regexp);
	const chars = (text) => [...new Set(text)].sort().join("");
	t.is(chars(devices.join("")), chars(`${alnum}_-`));
	t.is(chars(streams.join("")), chars(streamAlphabet));
	t.true(devices.some((id) => id.length === 64) && devices.some((id) => id.length === 1));
	t.true(streams.some((id) => id.length === 64) && streams.some((id) => id.length === 1));
});

test("every allowed device id, stream id and channel is stored, listed and played back", async (t) => {
	const cloud = await cloudFor(t);
	const get = (path) => fetch(`${cloud.url}${signUrl(cloud.ctx, path, admin)}`);
	const base = Date.now() - 24 * 3600_000;
	for (let i = 0; i < streams.length; i++) {
		const stream = streams[i], channel = channels[i % channels.length];
		const id = devices[i % devices.length];
		if (!cloud.ctx.sql.db.prepare("SELECT 1 FROM devices WHERE id = ?").get(id)) await deviceIn(cloud, id, { channels: MAX_CHANNELS });
		const device = cloud.ctx.sql.db.prepare("SELECT * FROM devices WHERE id = ?").get(id);
		const uploader = new Uploader({ cloud: cloud.url, device: id, secret: device.secret, channel, backoffMs: 10, maxAttempts: 1 });
		t.teardown(() => uploader.close());
		const what = `device ${id} channel ${channel} stream ${stream}`;
		const epoch = base + i * 60_000;
		t.is((await uploader.sendFixed("PUT", `${uploader.path(stream, "init")}?epoch=${epoch}`, av.init)).status, 201, what);
		for (const seq of [0, 1]) t.is((await uploader.sendFixed("PUT", uploader.path(stream, `segments/${seq}`), av.segments[seq].bytes)).status, 201, `${what} seq ${seq}`);
		t.is((await uploader.sendFixed("PUT", uploader.path(stream, "segments/1"), av.segments[1].bytes)).status, 200, `${what} retry`);
		t.is((await uploader.sendFixed("POST", uploader.path(stream, "end"), new Uint8Array(0))).status, 200, `${what} end`);
		const list = await get(`/v1/recordings/${id}/${channel}/list?start=${epoch}&end=${epoch + 30_000}`);
		t.is(list.status, 200, `${what} list`);
		const spans = await list.json();
		t.is(spans.length, 1, `${what} list`);
		const clip = await fetch(`${cloud.url}${spans[0].url}`);
		t.is(clip.status, 200, `${what} get`);
		t.true((await clip.arrayBuffer()).byteLength > av.segments[0].bytes.length, `${what} get`);
		const playlist = await fetch(`${cloud.url}${spans[0].hls}`);
		t.is(playlist.status, 200, `${what} vod.m3u8`);
		const text = await playlist.text();
		const uris = [...text.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]).concat(text.split("\n").filter((line) => line && !line.startsWith("#")));
		t.is(uris.length, 3, `${what} playlist URIs:\n${text}`);
		for (const uri of uris) {
			t.true(uri.includes(`/${stream}/`), `${what}: ${uri}`);
			const media = await fetch(new URL(uri, `${cloud.url}${spans[0].hls}`));
			t.is(media.status, 200, `${what} ${uri}`);
		}
	}
});

test("ids the protocol does not allow are a 4xx, never a 5xx", async (t) => {
	const cloud = await cloudFor(t);
	const device = await deviceIn(cloud, "cam", { channels: MAX_CHANNELS });
	const uploader = new Uploader({ cloud: cloud.url, device: device.id, secret: device.secret, backoffMs: 10, maxAttempts: 1 });
	t.teardown(() => uploader.close());
	const badStreams = ["x".repeat(65), "a.b", ".", "..", "a%2Fb", "%2e%2e", "a%20b", "%C3%A9", "a~b", "a+b", "a:b"];
	for (const stream of badStreams) {
		const init = await uploader.sendFixed("PUT", `${uploader.path(stream, "init")}?epoch=${Date.now()}`, av.init);
		t.true(init.status >= 400 && init.status < 500, `stream ${stream}: ${init.status}`);
		const segment = await uploader.sendFixed("PUT", uploader.path(stream, "segments/0"), av.segments[0].bytes);
		t.true(segment.status >= 400 && segment.status < 500, `stream ${stream} segment: ${segment.status}`);
	}
	for (const channel of [String(MAX_CHANNELS), "-1", "1.0", "0x1", "999", "a"]) {
		const answer = await uploader.sendFixed("PUT", `/v1/devices/cam/channels/${channel}/streams/s/init?epoch=${Date.now()}`, av.init);
		t.true(answer.status >= 400 && answer.status < 500, `channel ${channel}: ${answer.status}`);
		const viewer = await fetch(`${cloud.url}${signUrl(cloud.ctx, `/v1/recordings/cam/${channel}/list?start=0&end=1000`, admin)}`);
		t.true(viewer.status >= 400 && viewer.status < 500, `list channel ${channel}: ${viewer.status}`);
	}
	for (const id of ["CAM", "-cam", "_cam", "c".repeat(65), "ca.m", "ca%2Fm"]) {
		const answer = await fetch(`${cloud.url}/v1/devices/${id}/channels/0/streams/s/init?epoch=${Date.now()}`, { method: "PUT", body: av.init });
		t.true(answer.status >= 400 && answer.status < 500, `device ${id}: ${answer.status}`);
		const viewer = await fetch(`${cloud.url}${signUrl(cloud.ctx, `/v1/recordings/${id}/0/list?start=0&end=1000`, admin)}`);
		t.true(viewer.status >= 400 && viewer.status < 500, `list device ${id}: ${viewer.status}`);
	}
	for (const path of ["/v1/media/cam/0/-x/init.mp4", "/v1/media/cam/0/_x/0.m4s", `/v1/media/cam/0/${"x".repeat(65)}/0.m4s`, "/v1/media/cam/0/a.b/0.m4s"]) {
		const answer = await fetch(`${cloud.url}${signUrl(cloud.ctx, path, admin)}`);
		t.true(answer.status >= 400 && answer.status < 500, `${path}: ${answer.status}`);
	}
});
