// LL-HLS parts (issue 17): while a camera streams a segment, the live playlist
// lists each fragment that has arrived as an EXT-X-PART (served from memory),
// a preload hint names the next, and blocking reloads wait on parts
// (_HLS_msn + _HLS_part). A cut upload's parts vanish, never become VOD and
// never move the playlist back; memory per watched channel stays bounded.
// Driven through the real ingest endpoint by the simulated camera's packager
// (200-ms fragments, modules/media "parts") and uploader (chunked PUT).
import test from "ava";
import { cloudFor, deviceIn } from "./_cloud.mjs";
import { readPlaylist } from "./_ll-hls.mjs";
import { signUrl } from "../../build/node/cloud/src/auth/signed-url.js";
import { packageStream } from "../../build/node/cloud/sim/packager.js";
import { Uploader } from "../../build/node/cloud/sim/uploader.js";
import { maxPartBytes, maxPartSegments, partTargetMs } from "../../build/node/cloud/src/playback/live-parts.js";
import { watchedChannel } from "../../build/node/cloud/src/playback/live.js";
import { PART_TARGET_MS } from "../../build/node/modules/protocol/live.js";

const admin = { user: "admin", admin: true };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const get = (cloud, path) => fetch(`${cloud.url}${signUrl(cloud.ctx, path, admin)}`);
const live = async (cloud, query = "") => {
	const response = await get(cloud, `/v1/hls/cam1/0/live.m3u8${query}`);
	if (response.status !== 200) throw new Error(`live playlist: ${response.status} ${await response.text()}`);
	return response.text();
};
/** A request's settlement within `ms`, or "pending". */
const within = (promise, ms) => Promise.race([promise, sleep(ms).then(() => "pending")]);
const seqs = (text) => text.split("\n").filter((line) => line && !line.startsWith("#")).map((uri) => Number(/\/(\d+)\.m4s\?/.exec(uri)[1]));
/** A cloud, camera cam1 watched on channel 0, a stream `a` of `seconds` 1-s segments of 200-ms fragments. */
async function streamingCamera(t, { seconds = 6 } = {}) {
	const cloud = await cloudFor(t);
	const device = await deviceIn(cloud, "cam1");
	const uploader = new Uploader({ cloud: cloud.url, device: device.id, secret: device.secret });
	t.teardown(() => uploader.close());
	const media = packageStream({ seconds });
	t.true(media.segments.every((segment) => segment.fragments.length === 5), "five 200-ms fragments in each 1-s segment");
	// Decode time 0 `seconds` + 1 s ago: the last segment ends before now (never "in the future").
	const epoch = Date.now() - (seconds + 1) * 1000;
	t.is((await uploader.putInit("a", media.init, epoch)).status, 201);
	const upload = async (seq, fragments = media.segments[seq].fragments.length) => {
		const stream = uploader.streamSegment("a", seq);
		for (const fragment of media.segments[seq].fragments.slice(0, fragments)) stream.write(fragment.bytes);
		return stream;
	};
	return { cloud, uploader, media, upload };
}

/** Waits (≤ 3 s) until `check(playlist text)`. */
async function playlistWhere(cloud, check) {
	let text = "";
	for (let i = 0; i < 60; i++) {
		text = await live(cloud);
		if (check(text)) return text;
		await sleep(50);
	}
	throw new Error(`the playlist never got there:\n${text}`);
}

test("a segment in flight is listed part by part, blocking reloads wait on _HLS_part and the preload hint's request on its part", async (t) => {
	const { cloud, media, upload } = await streamingCamera(t);
	for (const seq of [0, 1]) t.is((await (await upload(seq)).end()).status, 201);
	// Watched from now: the committed segments carry no parts (their upload was not kept).
	const before = readPlaylist(t, await live(cloud));
	t.deepEqual(before.segments.map((segment) => segment.seq), [0, 1]);
	t.is(before.partTarget, undefined, "no EXT-X-PART-INF before any part");

	const stream = await upload(2, 0);
	const fragments = media.segments[2].fragments;
	// A reload for part 0 of msn 2 waits until the part arrives.
	const reload0 = live(cloud, "?_HLS_msn=2&_HLS_part=0");
	t.is(await within(reload0, 400), "pending", "answered before part 0 arrived");
	stream.write(fragments[0].bytes);
	let playlist = readPlaylist(t, await reload0);
	t.is(playlist.partTarget, Number((partTargetMs / 1000).toFixed(3)));
	t.true(playlist.partTarget * 1000 >= PART_TARGET_MS);
	t.deepEqual(playlist.segments.map((segment) => segment.seq), [0, 1], "the segment in flight has no EXTINF yet");
	t.is(playlist.inFlight.length, 1);
	t.true(playlist.inFlight[0].independent, "the first part starts at a key frame: INDEPENDENT=YES");
	t.regex(playlist.inFlight[0].uri, /\/v1\/media\/cam1\/0\/a\/2\.0\.m4s\?/);
	t.regex(playlist.hint, /\/v1\/media\/cam1\/0\/a\/2\.1\.m4s\?/);

	// The hinted part's request waits for it, then gets its bytes.
	const hinted = fetch(`${cloud.url}${playlist.hint}`);
	const reload1 = live(cloud, "?_HLS_msn=2&_HLS_part=1");
	t.is(await within(hinted, 400), "pending", "the hinted part was answered before it arrived");
	t.is(await within(reload1, 0), "pending");
	stream.write(fragments[1].bytes);
	const part1 = await hinted;
	t.is(part1.status, 200);
	t.deepEqual(Buffer.from(await part1.arrayBuffer()), fragments[1].bytes);
	playlist = readPlaylist(t, await reload1);
	t.deepEqual(playlist.inFlight.map((part) => part.independent), [true, false]);

	// The rest of the segment, then its commit: its parts stay beside its EXTINF, and are its bytes.
	for (const fragment of fragments.slice(2)) stream.write(fragment.bytes);
	t.is((await stream.end()).status, 201);
	playlist = readPlaylist(t, await live(cloud, "?_HLS_msn=2"));
	const committed = playlist.segments.at(-1);
	t.is(committed.seq, 2);
	t.is(committed.parts.length, 5);
	t.is(playlist.inFlight.length, 0);
	t.regex(playlist.hint, /\/a\/3\.0\.m4s\?/, "the hint names the next segment's first part");
	const bytes = await Promise.all(committed.parts.map(async (part) => Buffer.from(await (await fetch(`${cloud.url}${part.uri}`)).arrayBuffer())));
	t.deepEqual(Buffer.concat(bytes), media.segments[2].bytes, "the parts put end to end are the segment");
	t.deepEqual(Buffer.from(await (await fetch(`${cloud.url}${committed.uri}`)).arrayBuffer()), media.segments[2].bytes);

	// A reload for a part of a segment that ends with fewer parts is answered by the next segment.
	const beyond = live(cloud, "?_HLS_msn=3&_HLS_part=9");
	const next = await upload(3);
	t.is(await within(beyond, 300), "pending", "answered while msn 3 had fewer than 10 parts");
	t.is((await next.end()).status, 201);
	t.deepEqual(readPlaylist(t, await beyond).segments.map((segment) => segment.seq), [0, 1, 2, 3]);
});

test("bad part directives are refused: _HLS_part needs _HLS_msn and is a number", async (t) => {
	const { cloud, upload } = await streamingCamera(t, { seconds: 2 });
	t.is((await (await upload(0)).end()).status, 201);
	for (const query of ["?_HLS_part=1", "?_HLS_msn=1&_HLS_part=-1", "?_HLS_msn=1&_HLS_part=x", "?_HLS_msn=1&_HLS_part=01"])
		t.is((await get(cloud, `/v1/hls/cam1/0/live.m3u8${query}`)).status, 400, query);
	// A part that is not there and not next: 404 at once (no wait), and the path says how to play instead.
	const started = Date.now();
	const missing = await get(cloud, "/v1/media/cam1/0/a/0.7.m4s");
	t.is(missing.status, 404);
	t.true(Date.now() - started < 2000);
});

test("a cut upload's parts vanish from the playlist, are never served as VOD, and the playlist never moves back", async (t) => {
	const { cloud, uploader, media, upload } = await streamingCamera(t);
	for (const seq of [0, 1]) t.is((await (await upload(seq)).end()).status, 201);
	await live(cloud);
	const stream = await upload(2, 3);
	let playlist = readPlaylist(t, await playlistWhere(cloud, (text) => /\/a\/2\.2\.m4s/.test(text)));
	t.is(playlist.inFlight.length, 3);
	const partUri = playlist.inFlight[1].uri;
	t.regex(playlist.hint, /\/a\/2\.3\.m4s\?/);
	const hinted = fetch(`${cloud.url}${playlist.hint}`);
	t.is(await within(hinted, 300), "pending");
	// The camera loses its network mid-segment: the hinted part's request is answered 404 (not at its 6-s deadline).
	const cutAt = Date.now();
	stream.cut();
	t.is((await hinted).status, 404);
	t.true(Date.now() - cutAt < 3000, `the hinted part's request waited ${Date.now() - cutAt} ms after the cut`);
	playlist = readPlaylist(t, await playlistWhere(cloud, (text) => !text.includes("#EXT-X-PART:")));
	t.is(playlist.inFlight.length, 0, "the cut segment's parts are gone");
	t.is(playlist.mediaSequence, 0, "the media sequence did not move");
	t.deepEqual(playlist.segments.map((segment) => segment.seq), [0, 1]);
	t.is((await fetch(`${cloud.url}${partUri}`)).status, 404, "a vanished part is not served");
	t.is((await get(cloud, "/v1/media/cam1/0/a/2.m4s")).status, 404, "no segment 2 was stored");
	const vod = await (await get(cloud, `/v1/hls/cam1/0/vod.m3u8?start=${Date.now() - 60_000}&end=${Date.now()}`)).text();
	t.deepEqual(seqs(vod), [0, 1], "VOD lists only committed segments");
	t.false(vod.includes("#EXT-X-PART"));
	// The camera resends the segment whole (fixed length): it is committed and the window moves on.
	t.is((await uploader.resendSegment("a", 2, media.segments[2].bytes, async () => {})).status, 201);
	playlist = readPlaylist(t, await live(cloud, "?_HLS_msn=2"));
	t.deepEqual(playlist.segments.map((segment) => segment.seq), [0, 1, 2]);
	t.is(playlist.mediaSequence, 0);
});

test("memory per watched channel is bounded: parts of at most a few segments and bytes; an unwatched channel has no state", async (t) => {
	const { cloud, upload } = await streamingCamera(t, { seconds: 12 });
	t.is((await (await upload(0)).end()).status, 201);
	t.is(watchedChannel(cloud.ctx, "cam1", 0), undefined, "nobody watches: no channel state");
	await live(cloud);
	const channel = watchedChannel(cloud.ctx, "cam1", 0);
	const counts = [];
	for (let seq = 1; seq < 12; seq++) {
		t.is((await (await upload(seq)).end()).status, 201);
		counts.push(channel.parts.segments);
		t.true(channel.parts.bytes <= maxPartBytes);
	}
	t.true(Math.max(...counts) <= maxPartSegments, `segments with parts held: ${counts.join(" ")}`);
	// Parts are listed for the last 3 target durations only.
	const playlist = readPlaylist(t, await live(cloud));
	const withParts = playlist.segments.filter((segment) => segment.parts.length).map((segment) => segment.seq);
	t.deepEqual(withParts, [9, 10, 11]);
	const gauge = Number(/^ivxs_live_part_bytes (\d+)$/m.exec(cloud.ctx.metrics.render())[1]);
	t.is(gauge, channel.parts.bytes);
});

test("a channel first watched while a segment is being uploaded lists that segment's parts in its first playlist", async (t) => {
	const { cloud, media, upload } = await streamingCamera(t);
	for (const seq of [0, 1]) t.is((await (await upload(seq)).end()).status, 201);
	const stream = await upload(2, 2);
	await sleep(300); // the cloud has both fragments
	t.is(watchedChannel(cloud.ctx, "cam1", 0), undefined, "nobody watched yet");
	let playlist = readPlaylist(t, await live(cloud));
	t.deepEqual(playlist.segments.map((segment) => segment.seq), [0, 1]);
	t.is(playlist.inFlight.length, 2, "the first playlist lists the segment in flight");
	t.deepEqual(Buffer.from(await (await fetch(`${cloud.url}${playlist.inFlight[1].uri}`)).arrayBuffer()), media.segments[2].fragments[1].bytes);
	for (const fragment of media.segments[2].fragments.slice(2)) stream.write(fragment.bytes);
	t.is((await stream.end()).status, 201);
	playlist = readPlaylist(t, await live(cloud, "?_HLS_msn=2"));
	t.is(playlist.segments.at(-1).parts.length, 5);
});

test("an upload cut while nobody watched leaves no parts for the first viewer", async (t) => {
	const { cloud, upload } = await streamingCamera(t);
	for (const seq of [0, 1]) t.is((await (await upload(seq)).end()).status, 201);
	const stream = await upload(2, 2);
	await sleep(300);
	stream.cut();
	await sleep(300);
	const playlist = readPlaylist(t, await live(cloud));
	t.deepEqual(playlist.segments.map((segment) => segment.seq), [0, 1]);
	t.is(playlist.inFlight.length, 0);
	t.is(playlist.partTarget, undefined, "no parts at all");
});
