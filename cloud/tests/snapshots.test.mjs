// Snapshots: binary JPEG uploads signed by the camera, stored byte for byte;
// the latest per channel, the history, each picture by time; refusals that
// store nothing; tombstones from retention.
import test from "ava";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { jpeg } from "./_media.mjs";
import { signRequest } from "../../build/node/cloud/sim/sign.js";
import { signUrl } from "../../build/node/cloud/src/auth/signed-url.js";

const admin = { user: "admin", admin: true };
const view = (cloud, path) => fetch(`${cloud.url}${signUrl(cloud.ctx, path, admin)}`);

const pictures = [jpeg("320x240", 0), jpeg("320x240", 1), jpeg("640x480", 2)];

function upload(cloud, device, { channel = 0, time = Date.now(), body, query = `time=${time}`, as = device, headers = {} }) {
	const path = `/v1/devices/${device.id}/channels/${channel}/snapshots?${query}`;
	const signed = signRequest({ device: as.id, key: as.secret, method: "PUT", path, body });
	return fetch(`${cloud.url}${path}`, { method: "PUT", body, headers: { "content-type": "image/jpeg", ...signed.headers, ...headers } });
}

const stored = (cloud) => cloud.ctx.sql.db.prepare("SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS bytes FROM snapshots").get();

test("a JPEG upload is stored byte for byte; latest, history and each picture serve the same bytes", async (t) => {
	const cloud = await cloudFor(t);
	const device = await deviceIn(cloud, "cam1", { channels: 2 });
	const base = Date.now() - 60_000;
	let uploaded = 0;
	for (const [i, body] of pictures.entries()) {
		const response = await upload(cloud, device, { channel: 1, time: base + i * 10_000, body });
		t.is(response.status, 201, await response.clone().text());
		uploaded += body.length;
	}
	// Bytes stored / bytes uploaded: the objects are the uploads themselves.
	let objects = 0;
	for await (const info of cloud.ctx.store.list("snapshots/")) objects += info.size;
	t.is(objects / uploaded, 1);
	t.is(stored(cloud).bytes, uploaded);
	const latest = await view(cloud, "/v1/snapshots/cam1/1/latest");
	t.is(latest.status, 200);
	t.is(latest.headers.get("content-type"), "image/jpeg");
	t.is(latest.headers.get("x-ivxs-time"), new Date(base + 20_000).toISOString());
	t.deepEqual(Buffer.from(await latest.arrayBuffer()), pictures[2]);
	const list = await (await view(cloud, `/v1/snapshots/cam1/1?start=${base}&end=${base + 60_000}`)).json();
	t.deepEqual(list.map((item) => item.timeMs), [base, base + 10_000, base + 20_000]);
	for (const [i, item] of list.entries()) {
		t.is(item.bytes, pictures[i].length);
		t.regex(item.url, /^\/v1\/snapshots\/cam1\/1\/\d+\.jpg\?exp=/);
		t.deepEqual(Buffer.from(await (await fetch(`${cloud.url}${item.url}`)).arrayBuffer()), pictures[i]);
	}
	t.is((await view(cloud, "/v1/snapshots/cam1/0/latest")).status, 404);
	// The same picture again (a retry) is a 200, stored once.
	const again = await upload(cloud, device, { channel: 1, time: base, body: pictures[0] });
	t.is(again.status, 200);
	t.like(await again.json(), { duplicate: true });
	t.is(stored(cloud).n, 3);
});

test("refused uploads say why and store nothing", async (t) => {
	const cloud = await cloudFor(t, { maxSnapshotBytes: 64 * 1024 });
	const device = await deviceIn(cloud, "cam1", { channels: 2 });
	const other = await deviceIn(cloud, "cam2");
	const good = pictures[0];
	const png = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
	const headerRunsOver = Buffer.from(good);
	headerRunsOver.writeUInt16BE(0xfff0, 4); // the first segment's length runs past the end
	const noFrame = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 1, 2, 3]), Buffer.from([0xff, 0xd9])]);
	const big = Buffer.concat([good.subarray(0, -2), Buffer.alloc(70 * 1024), Buffer.from([0xff, 0xd9])]);
	const cases = [
		["a PNG", { body: png }, 400, /must start with FF D8/],
		["a truncated JPEG", { body: good.subarray(0, good.length - 100) }, 400, /must end with FF D9/],
		["a header segment running past the end", { body: headerRunsOver }, 400, /runs past the end/],
		["a scan before any frame header", { body: noFrame }, 400, /before any frame header/],
		["an empty body", { body: Buffer.alloc(0) }, 400, /must start with FF D8/],
		["a body over maxSnapshotBytes", { body: big }, 413, /over the limit of 65536/],
		["no time", { body: good, query: "at=now" }, 400, /time is required/],
		["a time in seconds", { body: good, query: "time=1700000000" }, 400, /not a time between 2000 and 2200/],
		["a time ahead of the clock", { body: good, time: Date.now() + 3600_000 }, 400, /time is in the future/],
		["a channel out of range", { body: good, channel: 2 }, 400, /channel 2 out of range/],
		["another device's signature", { body: good, as: other }, 403, /may not act for device cam1/],
	];
	for (const [name, options, status, message] of cases) {
		const response = await upload(cloud, device, options);
		t.is(response.status, status, name);
		t.regex((await response.json()).error, message, name);
	}
	const unsigned = await fetch(`${cloud.url}/v1/devices/cam1/channels/0/snapshots?time=${Date.now()}`, { method: "PUT", body: good });
	t.is(unsigned.status, 401);
	const path = `/v1/devices/cam1/channels/0/snapshots?time=${Date.now()}`;
	const signed = signRequest({ device: "cam1", key: device.secret, method: "PUT", path, body: good });
	const swapped = await fetch(`${cloud.url}${path}`, { method: "PUT", body: pictures[1], headers: signed.headers });
	t.is(swapped.status, 401, "a body other than the signed one");
	t.deepEqual(stored(cloud), { n: 0, bytes: 0 });
	const objects = [];
	for await (const info of cloud.ctx.store.list("snapshots/")) objects.push(info.key);
	t.deepEqual(objects, []);
});

test("retention's tombstones hide a snapshot from latest and the history; the picture stays readable through the grace period", async (t) => {
	const cloud = await cloudFor(t, { deleteGraceS: 60 });
	const device = await deviceIn(cloud, "cam1");
	const base = Date.now() - 60_000;
	for (const [i, body] of pictures.entries()) t.is((await upload(cloud, device, { time: base + i * 1000, body })).status, 201);
	const tombstone = cloud.ctx.sql.db.prepare("UPDATE snapshots SET deleted = ? WHERE time_ms = ?");
	tombstone.run(Date.now(), base + 2000);
	tombstone.run(Date.now() - 120_000, base + 1000);
	t.is((await view(cloud, "/v1/snapshots/cam1/0/latest")).headers.get("x-ivxs-time"), new Date(base).toISOString());
	t.deepEqual((await (await view(cloud, `/v1/snapshots/cam1/0?start=${base}`)).json()).map((item) => item.timeMs), [base]);
	t.is((await view(cloud, `/v1/snapshots/cam1/0/${base + 2000}.jpg`)).status, 200, "within the grace period");
	const gone = await view(cloud, `/v1/snapshots/cam1/0/${base + 1000}.jpg`);
	t.is(gone.status, 404, "past the grace period");
	t.regex((await gone.json()).error, /no snapshot of cam1 channel 0 at/);
});
