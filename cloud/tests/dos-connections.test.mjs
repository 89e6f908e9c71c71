// Connections a peer opens and holds without credentials (issue 16 §1): silent
// sockets, request heads that never end and dripping bodies are cut by their
// timers, caps per address and in all close new connections at once, and under
// attack a camera keeps uploading and /healthz answers. Attackers come from
// other loopback addresses (127.0.0.2…) than the camera (127.0.0.1).
import test from "ava";
import { connect } from "node:net";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { Uploader } from "../../build/node/cloud/sim/uploader.js";
import { packageStream } from "../../build/node/cloud/sim/packager.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const av = packageStream({ seconds: 4 });

/** A TCP connection from `localAddress`; `cutAfter` resolves with ms from connect to close (by the server). */
function open(cloud, localAddress) {
	return new Promise((resolve, reject) => {
		const socket = connect({ host: "127.0.0.1", port: cloud.port, localAddress });
		socket.on("error", () => {});
		let connectedAt;
		const closed = new Promise((done) => socket.once("close", () => done(Date.now() - connectedAt)));
		socket.once("connect", () => {
			connectedAt = Date.now();
			resolve(Object.assign(socket, { cutAfter: closed }));
		});
		socket.once("close", () => connectedAt === undefined && reject(new Error("not connected")));
	});
}

/** Writes `pieces` one at a time every `everyMs` until the server closes the socket (or they run out). */
async function drip(socket, pieces, everyMs) {
	for (const piece of pieces) {
		if (socket.destroyed) return;
		socket.write(piece);
		await sleep(everyMs);
	}
}

const metric = async (cloud, name) => {
	const text = await (await fetch(`${cloud.url}/metrics`)).text();
	return Object.fromEntries([...text.matchAll(new RegExp(`^${name}\\{(\\w+)="([^"]+)"\\} (\\d+)$`, "gm"))].map((m) => [m[2], Number(m[3])]));
};

const stats = (ms) => {
	const sorted = [...ms].sort((a, b) => a - b);
	return { min: sorted[0], median: sorted[sorted.length >> 1], max: sorted[sorted.length - 1] };
};

test("300 silent sockets, endless heads and dripping bodies are cut by their timers while a camera uploads and /healthz answers", async (t) => {
	const timers = { firstByteTimeoutS: 1, headTimeoutS: 1, rateWindowS: 1, minBytesPerS: 2048 };
	const cloud = await cloudFor(t, timers);
	const device = deviceIn(cloud);
	const uploader = new Uploader({ cloud: cloud.url, device: device.id, secret: device.secret, backoffMs: 50, maxAttempts: 2 });
	t.teardown(() => uploader.close());
	const epoch = Date.now() - 60_000;
	t.is((await uploader.putInit("s1", av.init, epoch)).status, 201);

	// 300 silent sockets from ten addresses (30 each: under the per-address cap of 64).
	const silent = await Promise.all(Array.from({ length: 300 }, (_, i) => open(cloud, `127.0.0.${2 + (i % 10)}`)));
	// 30 request heads growing by a header line every 200 ms, never ending.
	const heads = await Promise.all(Array.from({ length: 30 }, () => open(cloud, "127.0.0.20")));
	for (const socket of heads) void drip(socket, ["GET /healthz HTTP/1.1\r\nhost: x\r\n", ...Array(100).fill("x-slow: 1\r\n")], 200);
	// 30 segment uploads announcing 1 MiB and sending 20 bytes every 200 ms (100 B/s, under the
	// 2 KiB/s floor; unsigned, they are answered 401 at once and the rest of the body is read and dropped).
	const bodies = await Promise.all(Array.from({ length: 30 }, () => open(cloud, "127.0.0.21")));
	const put = `PUT /v1/devices/${device.id}/channels/0/streams/s1/segments/9 HTTP/1.1\r\nhost: x\r\ncontent-length: 1048576\r\n\r\n`;
	for (const socket of bodies) void drip(socket, [put, ...Array(100).fill("x".repeat(20))], 200);

	// Meanwhile: /healthz, and the camera — one segment streamed slowly (6 KiB/s, three times the
	// floor, over 3 s: a slow uplink is not an attacker), the others sent whole.
	t.is((await fetch(`${cloud.url}/healthz`)).status, 200);
	const slow = uploader.streamSegment("s1", 0);
	const bytes = av.segments[0].bytes;
	for (let at = 0; at < bytes.length; at += 1536) {
		slow.write(bytes.subarray(at, at + 1536));
		await sleep(250);
	}
	t.is((await slow.end()).status, 201);
	for (const seq of [1, 2, 3]) t.is((await uploader.sendFixed("PUT", uploader.path("s1", `segments/${seq}`), av.segments[seq].bytes)).status, 201);
	t.is((await fetch(`${cloud.url}/healthz`)).status, 200);

	const cut = { silent: await Promise.all(silent.map((s) => s.cutAfter)), heads: await Promise.all(heads.map((s) => s.cutAfter)), bodies: await Promise.all(bodies.map((s) => s.cutAfter)) };
	t.log(`ms from connect to cut (1-s timers, sweep every 250 ms): ${JSON.stringify(Object.fromEntries(Object.entries(cut).map(([k, v]) => [k, stats(v)])))}`);
	// Cut by the timers: not before them, and within a few sweeps after (slack for a loaded machine).
	for (const [kind, ms] of Object.entries(cut)) {
		t.true(stats(ms).min >= 950, `${kind} cut before its timer`);
		t.true(stats(ms).max <= 6000, `${kind} not cut in time`);
	}
	t.like(await metric(cloud, "ivxs_connections_cut_total"), { "first-byte": 300, head: 30, body: 30 });
	t.is(cloud.ctx.db.prepare("SELECT COUNT(*) AS n FROM segments WHERE device = ?").get(device.id).n, 4);
});

test("a cap per address and one in all close new connections at once; a camera already connected keeps uploading; trusted proxies count only in all", async (t) => {
	const cloud = await cloudFor(t, { maxConnectionsPerAddress: 5, maxConnections: 20, firstByteTimeoutS: 60, trustedProxies: ["127.0.0.9"] });
	const device = deviceIn(cloud);
	const uploader = new Uploader({ cloud: cloud.url, device: device.id, secret: device.secret, backoffMs: 50, maxAttempts: 1 });
	t.teardown(() => uploader.close());
	t.is((await uploader.putInit("s1", av.init, Date.now() - 60_000)).status, 201);

	const held = [];
	t.teardown(() => held.forEach((s) => s.destroy()));
	const closedAtOnce = async (socket) => (await Promise.race([socket.cutAfter, sleep(1000).then(() => undefined)])) !== undefined;
	for (let i = 0; i < 5; i++) held.push(await open(cloud, "127.0.0.2"));
	const sixth = await open(cloud, "127.0.0.2");
	t.true(await closedAtOnce(sixth), "the sixth connection from one address is closed");
	for (const socket of held) t.false(socket.destroyed);
	// A trusted proxy carries many clients: 8 connections from it, over the per-address cap.
	for (let i = 0; i < 8; i++) held.push(await open(cloud, "127.0.0.9"));
	await sleep(200);
	t.true(held.every((s) => !s.destroyed));
	// The camera's keep-alive connection is the 14th; six more fill the total.
	for (let i = 0; i < 5; i++) held.push(await open(cloud, "127.0.0.3"));
	held.push(await open(cloud, "127.0.0.4"));
	const over = await open(cloud, "127.0.0.5");
	t.true(await closedAtOnce(over), "a connection over the total cap is closed");
	// The camera already connected uploads through its open connection.
	for (const seq of [0, 1]) t.is((await uploader.sendFixed("PUT", uploader.path("s1", `segments/${seq}`), av.segments[seq].bytes)).status, 201);
	// Room again once some leave.
	for (const socket of held.splice(-3)) socket.destroy();
	await sleep(100);
	t.is((await fetch(`${cloud.url}/healthz`)).status, 200);
	t.like(await metric(cloud, "ivxs_connections_refused_total"), { "per-address": 1, total: 1 });
});
