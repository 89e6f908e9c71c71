// LL-HLS parts from the camera app on the XS host (issue 17): its segments are cut into fragments
// of at most PART_TARGET_MS (modules/cs SegmentMux, Fmp4Muxer "parts") and streamed as cut, so a
// viewer's live playlist lists the segment in flight part by part, and the parts put end to end
// are the segment the cloud stored.
import test from "ava";
import { cloudFor, deviceIn } from "../cloud/tests/_cloud.mjs";
import { eventually } from "../cloud/tests/_mqtt.mjs";
import { readPlaylist } from "../cloud/tests/_ll-hls.mjs";
import { signUrl } from "../build/node/cloud/src/auth/signed-url.js";
import { deviceFile, runCamera } from "./_camera.mjs";

const admin = { user: "admin", admin: true };

test("xs › the camera's segment in flight is listed as parts within PART-TARGET, and they make the stored segment", async (t) => {
	const cloud = await cloudFor(t);
	const device = await deviceIn(cloud);
	const get = (path) => fetch(`${cloud.url}${signUrl(cloud.ctx, path, admin)}`);
	const run = runCamera(deviceFile(t, device, cloud.url), { seconds: 12 });
	// Watched from the first committed segment on: the following ones are seen part by part.
	await eventually(async () => (await get(`/v1/hls/${device.id}/0/live.m3u8`)).status === 200, 20_000);
	const first = readPlaylist(t, await (await get(`/v1/hls/${device.id}/0/live.m3u8`)).text());
	const msn = first.mediaSequence + first.segments.length;
	// A reload for part 1 of the next segment: answered while that segment is still being uploaded.
	const inFlight = readPlaylist(t, await (await get(`/v1/hls/${device.id}/0/live.m3u8?_HLS_msn=${msn}&_HLS_part=1`)).text());
	t.is(inFlight.segments.length + inFlight.mediaSequence, msn, "answered before the segment was committed");
	t.true(inFlight.inFlight.length >= 2, `${inFlight.inFlight.length} parts of the segment in flight`);
	t.true(inFlight.inFlight[0].independent);
	t.true(inFlight.partTarget <= 0.25);
	// Once committed, its parts are listed beside it and are its bytes.
	const done = readPlaylist(t, await (await get(`/v1/hls/${device.id}/0/live.m3u8?_HLS_msn=${msn}`)).text());
	const segment = done.segments[msn - done.mediaSequence];
	t.true(segment.parts.length >= 3, `${segment.parts.length} parts in a 1-s segment`);
	const parts = await Promise.all(segment.parts.map(async (part) => Buffer.from(await (await fetch(`${cloud.url}${part.uri}`)).arrayBuffer())));
	const whole = Buffer.from(await (await fetch(`${cloud.url}${segment.uri}`)).arrayBuffer());
	t.deepEqual(Buffer.concat(parts), whole);
	t.log(`parts of segment ${msn}: ${segment.parts.map((part) => part.duration).join(" ")} s (PART-TARGET ${done.partTarget})`);
	const result = await run;
	t.is(result.code, 0, result.stderr + result.stdout);
});
