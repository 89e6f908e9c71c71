// WebRTC viewers through the cloud, end to end (issue 28 §4–§6): the real cloud, the camera app on
// the XS host, and aiortc (Debian python3-aiortc, a WebRTC stack we did not write) as a WHEP client.
// The viewer posts its SDP offer to the cloud's WHEP endpoint with an API token; the cloud checks the
// grant and the offer and hands it to the camera over the control channel; the camera answers
// (ICE-lite, DTLS-SRTP, H.264 from the ring) and aiortc decodes the video straight from the camera.
// The session is in the cloud's P2P list as a WebRTC one; DELETE ends it on the camera; a revoked
// grant ends it too. Bad offers are refused by the cloud before the camera hears of them. aiortc's
// DataChannel (its own SCTP and DCEP) carries the native wire's commands, answered the same way,
// and its G.711 decoder hears the camera's sound. Both aiortc's and Chromium's DataChannels close by
// an SCTP stream reset the camera answers (RFC 8831 §6.7), and a channel opened after it works.
import test from "ava";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { browserFor } from "../cloud/tests/_browser.mjs";
import { cloudFor, deviceIn, session } from "../cloud/tests/_cloud.mjs";
import { eventually } from "../cloud/tests/_mqtt.mjs";
import { cameraConnected, deviceFile } from "./_camera.mjs";
import { tokenOf, whepClient } from "./_webrtc.mjs";
import { view } from "../scripts/view.mjs";

const adminPassword = "admin-secret-1";

/** A cloud, the admin's session and API token, and the camera app connected to it as `name` for
 * `seconds` (its loopback candidate allowed: the viewer is on this host); `output()` is its stdout so far. */
async function cameraOnCloud(t, name, seconds, args = []) {
	const cloud = await cloudFor(t, { adminPassword, p2pSweepS: 1 });
	const device = await deviceIn(cloud, name);
	const admin = await session(cloud, "admin", adminPassword);
	const token = await tokenOf(admin);
	let stdout = "";
	const { done: camera } = await cameraConnected(deviceFile(t, device, cloud.url), { seconds, args: ["--p2p-loopback", ...args], onStdout: (chunk) => { stdout += chunk; } });
	return { cloud, admin, token, output: () => stdout, camera };
}

test("WHEP through the cloud: aiortc decodes the camera's video straight from it and sends commands on a DataChannel; listed as WebRTC; DELETE ends it on the camera", async (t) => {
	const { cloud, admin, token, output, camera } = await cameraOnCloud(t, "rtc-cam", 30);
	const url = `${cloud.url}/v1/devices/rtc-cam/whep`;

	const commands = [{ cmd: "ptz", op: "left" }, { cmd: "snapshot" }, { cmd: "recordings" }, { cmd: "fly" }, "not an object"];
	const watching = whepClient(url, token, 6, { commands, audio: true });
	let listed;
	await eventually(async () => {
		listed = (await (await admin.call("/v1/devices/rtc-cam/p2p")).json()).sessions.find((s) => s.wire === "webrtc" && s.connected);
		return listed !== undefined;
	}, 30_000);   // a liveness bound: connected on a quiet machine in about 1.5 s, past 12 s once in a loaded suite
	t.log("in the cloud's list", listed);
	t.is(listed.action, "live");
	t.true(listed.rate > 0, "the camera reports what it sends");
	const result = await watching;
	t.log(result);
	t.is(result.status, 201);
	t.is(result.contentType, "application/sdp");
	t.regex(result.location, /^\/v1\/devices\/rtc-cam\/whep\/[0-9a-f]{16}$/);
	t.is(result.ice, "completed");
	t.is(result.dtls, "connected");
	t.true(result.frames >= 40, `${result.frames} frames decoded in 6 s (15 fps)`);
	t.deepEqual([result.width, result.height], [640, 480]);
	// how soon is the bench's (webrtc product first_frame_ms): here only that the first frame comes
	// while the viewer watches, on a machine however busy
	t.true(result.firstFrameS < 6, `first frame ${result.firstFrameS} s after the offer`);
	t.is(result.deleteStatus, 200);
	// the camera's G.711 track, decoded by aiortc's own decoder: 20-ms frames at 8 kHz, a tone
	t.is(result.audio.rate, 8000);
	t.true(result.audio.frames >= 150, `${result.audio.frames} audio frames in 6 s (50 a second)`);
	t.true(result.audio.peak > 1000, `a tone, not silence (peak ${result.audio.peak} of 32767)`);
	// the commands, answered on the channel as on the native wire (viewer-commands.ts)
	t.is(result.channel, "open");
	t.is(result.replies.length, commands.length);
	t.like(result.replies[0], { ok: true, ptz: "left", moved: false });
	t.like(result.replies[1], { ok: true });
	t.true(result.replies[1].time > 0, "a still was taken");
	t.like(result.replies[2], { ok: false, error: "no local store" });
	t.like(result.replies[3], { ok: false });
	t.like(result.replies[4], { ok: false, error: "not a JSON object" });
	t.regex(output(), /webrtc: DataChannel "commands" opened on stream \d+ \([0-9a-f]{16}\)/);
	// closed by aiortc (an SCTP stream reset both ways), then a new channel on the same stream
	t.is(result.closed, "closed", "aiortc's close completes: the camera answered its stream reset");
	t.is(result.reopened.stream, result.reopened.firstStream, "aiortc reuses the stream once both sides reset it");
	t.like(result.reopened.reply, { ok: true, ptz: "left" }, "the reply on the reopened stream reaches aiortc (our stream numbers restarted)");
	t.regex(output(), new RegExp(`webrtc: DataChannel on stream ${result.reopened.firstStream} closed by the viewer`));
	const id = result.location.split("/").pop();
	await eventually(() => new RegExp(`webrtc: viewer ${id} ended by the cloud: \\d+ frames`).test(output()), 5000);
	// aiortc's receiver reports echoed the camera's sender reports: the round trip is known; its RTCP
	// (straight from it on loopback) was read in C as the socket was read, with no JS a packet (one
	// before the feed's first call knew the viewer's address would come through JS)
	t.regex(output(), new RegExp(`webrtc: viewer ${id} ended by the cloud: .*; [1-9]\\d* sender reports, [1-9]\\d* RTCP packets read \\([1-9]\\d* as the socket was read\\), round trip \\d+ ms.*; 6 commands \\(6 answered\\)`));
	t.log(/\d+ RTCP packets read \(\d+ as the socket was read\)/.exec(output())?.[0]);
	t.regex(output(), new RegExp(`webrtc: viewer ${id} watches \\(connected in \\d+ ms\\)`));
	t.regex(output(), /webrtc: made this camera's DTLS identity|webrtc: viewer [0-9a-f]{16} offered H264/);
	// The session is gone from the cloud, and a second DELETE finds nothing.
	t.is((await fetch(`${cloud.url}${result.location}`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } })).status, 404);
	await camera;
});

test("one uplink budget for both wires (--uplink-kbps): a WebRTC viewer (aiortc) and a native one watching at once each take their part of the viewers' budget in C — equal, as both want more than half — and each decodes", async (t) => {
	// 160 kbit/s: 20,000 B/s, less what cloud storage keeps (1.5 × the ~18 KB/s it produces), never
	// below the viewers' floor of 16 KB/s — 8 KB/s each, under the stream: both are held to their part
	const { cloud, token, output, camera } = await cameraOnCloud(t, "rtc-uplink", 25, ["--uplink-kbps", "160"]);
	const dir = mkdtempSync(join(tmpdir(), "ivxs-rtc-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	let ended;
	const [rtc, native] = await Promise.all([
		whepClient(`${cloud.url}/v1/devices/rtc-uplink/whep`, token, 10),
		view({ device: "rtc-uplink", cloud: cloud.url, user: "admin", password: adminPassword, format: "fmp4", quiet: true, out: join(dir, "live.mp4"), seconds: 10 }, { onReport: (kind, r) => { if (kind === "view-end") ended = r; } }),
	]);
	const shared = [...output().matchAll(/p2p: uplink 20000 B\/s: viewers (\d+) B\/s, [^;\n]*; 2 viewer\(s\) on every wire, a part of (\d+) B\/s each/g)];
	t.log({ rtc: { frames: rtc.frames, status: rtc.status }, native: { code: native, ...ended }, shared: shared.map((m) => m[0]) });
	t.true(shared.length >= 1, output().split("\n").filter((l) => l.includes("uplink")).join("\n"));
	const [, budget, part] = shared[0].map(Number);
	t.is(part, Math.floor(budget / 2), "an equal part each: both want more");
	t.is(rtc.status, 201);
	t.true(rtc.frames >= 10, `aiortc decoded ${rtc.frames} frames within its part`);
	t.is(native, 0);
	t.true(ended.frames >= 10, `the native viewer ${ended.frames} frames within its part`);
	const webrtcEnd = /webrtc: viewer [0-9a-f]{16} [^\n]*?: (\d+) frames, [^\n]*; (\d+) frames skipped for the uplink or the path/.exec(output());
	t.truthy(webrtcEnd, "the WebRTC viewer's end");
	t.true(Number(webrtcEnd[2]) > 0, "the WebRTC viewer was held to its part: frames skipped whole");
	await camera;
});

test("a hostile WebRTC viewer ends nothing: its long, garbage and oversized SRTCP, DTLS and STUN, 20 rounds a second, cost at most its own session; another viewer decodes throughout and the camera app uploads on and exits only when told", async (t) => {
	const { cloud, token, output, camera } = await cameraOnCloud(t, "rtc-hostile", 25);
	const url = `${cloud.url}/v1/devices/rtc-hostile/whep`;
	const [good, hostile] = await Promise.all([whepClient(url, token, 10), whepClient(url, token, 10, { hostile: true })]);
	t.log({ good: good.frames, hostile: hostile.hostile, hostileFrames: hostile.frames });
	t.is(hostile.status, 201);
	t.true(hostile.hostile.longCompound >= 20 && hostile.hostile.garbageRtcp >= 20 && hostile.hostile.oversized >= 20, JSON.stringify(hostile.hostile));
	t.true(good.frames >= 100, `the other viewer decoded ${good.frames} frames in 10 s (15 fps)`);
	const run = await camera;
	t.is(run.code, 0, "the camera app ran its time and exited as told");
	t.true(run.summary.channels["0"].segmentsStored >= 3, "cloud storage uploaded throughout");
	t.notRegex(output(), /uncaught|RangeError: feedback/);
	// each viewer's RTCP was taken in C as the socket was read, whichever of the two came first in the list
	const taken = [...output().matchAll(/RTCP packets read \((\d+) as the socket was read\)/g)].map((m) => Number(m[1]));
	t.is(taken.length, 2, output());
	t.true(taken.every((n) => n > 0), `taken in C: ${taken}`);
});

test("WHEP: the cloud refuses what it must before the camera hears of it; a revoked grant ends the viewer's session", async (t) => {
	const cloud = await cloudFor(t, { adminPassword, p2pSweepS: 1 });
	const device = await deviceIn(cloud, "rtc-cam2");
	const admin = await session(cloud, "admin", adminPassword);
	t.is((await admin.call("/v1/users", { method: "POST", body: { name: "eve", password: "eve-password" } })).status, 201);
	const eve = await session(cloud, "eve", "eve-password");
	const eveToken = await tokenOf(eve);
	const url = `${cloud.url}/v1/devices/rtc-cam2/whep`;
	const post = (body, headers = {}) => fetch(url, { method: "POST", body, headers: { authorization: `Bearer ${eveToken}`, "content-type": "application/sdp", ...headers } });

	t.is((await post("v=0\r\n")).status, 403, "no grant: no session");
	t.is((await admin.call("/v1/users/eve/devices/rtc-cam2", { method: "PUT" })).status, 204);
	const json = await post("{}", { "content-type": "application/json" });
	t.is(json.status, 415);
	const bad = await post("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");
	t.is(bad.status, 400);
	t.log("malformed offer:", (await bad.json()).error);
	t.is((await post("v=0\r\n" + "a=x\r\n".repeat(8000))).status, 413, "an offer over 32 KiB");
	t.is((await fetch(url, { method: "POST", body: "v=0\r\n", headers: { "content-type": "application/sdp" } })).status, 401, "no token");

	// The camera comes (one viewer at most); eve watches until the grant is revoked.
	let stdout = "";
	const { done: camera } = await cameraConnected(deviceFile(t, device, cloud.url), { seconds: 25, args: ["--p2p-loopback", "--viewers", "1"], onStdout: (chunk) => { stdout += chunk; } });
	const watching = whepClient(url, eveToken, 15);
	await eventually(() => /webrtc: viewer [0-9a-f]{16} watches/.test(stdout), 12_000);
	// No trickle ICE (405) on her session; a second viewer finds the camera's one place taken.
	const { sessions } = await (await admin.call("/v1/devices/rtc-cam2/p2p")).json();
	t.is(sessions.length, 1);
	const patch = (body, type = "application/trickle-ice-sdpfrag") => fetch(`${url}/${sessions[0].session}`, { method: "PATCH", body, headers: { authorization: `Bearer ${eveToken}`, "content-type": type } });
	t.is((await patch("a=end-of-candidates\r\n")).status, 405, "candidates alone: trickle, which the ICE-lite camera needs not");
	t.is((await patch("a=ice-ufrag:eveU2\r\n")).status, 400, "a restart without its password");
	t.is((await patch("a=ice-ufrag:eveU2\r\na=ice-pwd:evePasswordEvePassword24\r\n", "application/sdp")).status, 415);
	// An ICE restart (her network changed): the camera's new credentials and candidates come back; a second within 2 s is refused by it
	const restarted = await patch("a=ice-ufrag:eveU2\r\na=ice-pwd:evePasswordEvePassword24\r\na=candidate:1 1 udp 2122260223 127.0.0.1 9 typ host\r\n");
	const fragment = await restarted.text();
	t.log("ICE restart answered:", JSON.stringify(fragment));
	t.is(restarted.status, 200, fragment);
	t.is(restarted.headers.get("content-type"), "application/trickle-ice-sdpfrag");
	t.regex(fragment, /^a=ice-ufrag:[A-Za-z0-9]{8}\r\na=ice-pwd:[A-Za-z0-9]{24}\r\n(a=candidate:\d+ 1 udp \d+ [\d.]+ \d+ typ host\r\n)+$/);
	t.regex(fragment, / 127\.0\.0\.1 \d+ typ host\r\n/, "its loopback candidate (this camera allows it)");
	const again = await patch("a=ice-ufrag:eveU3\r\na=ice-pwd:evePasswordEvePassword24\r\n");
	t.is(again.status, 409);
	t.regex((await again.json()).error, /one ICE restart per 2 s/);
	await eventually(() => /webrtc: viewer [0-9a-f]{16} restarted ICE/.test(stdout), 2000);
	const second = await whepClient(url, await tokenOf(admin), 1);
	t.is(second.status, 502);
	t.regex(second.error, /serves as many viewers as it can/);
	// Nor does a native viewer get in: one place, both wires.
	const dir = mkdtempSync(join(tmpdir(), "ivxs-rtc-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	let ended;
	const native = await view({ device: "rtc-cam2", cloud: cloud.url, user: "admin", password: adminPassword, format: "fmp4", quiet: true, out: join(dir, "live.mp4"), seconds: 4 }, { onReport: (kind, r) => { if (kind === "view-end") ended = r; } });
	t.is(native, 2, "no stream");
	t.like(ended, { frames: 0, why: "the camera closed the session (0)" });
	t.regex(stdout, /p2p: viewer [0-9a-f]{16} refused: every place is taken \(0 viewer\(s\) here, the rest on the camera's other wires\)/);
	const revoked = Date.now();
	t.is((await admin.call("/v1/users/eve/devices/rtc-cam2", { method: "DELETE" })).status, 204);
	await eventually(() => /webrtc: viewer [0-9a-f]{16} ended by the cloud/.test(stdout), 5000);
	t.log(`ended on the camera ${Date.now() - revoked} ms after the revocation`);
	const result = await watching;
	t.log(result);
	t.is(result.status, 201);
	t.true(result.frames > 0, "eve watched before the revocation");
	await camera;
});

test("Chromium's DataChannel (its own SCTP, dcSCTP) closes by a stream reset the camera answers both ways; a new channel then gets replies", async (t) => {
	const { cloud, token, output, camera } = await cameraOnCloud(t, "rtc-cam3", 15);
	const { page } = await browserFor(t, { args: ["--allow-loopback-in-peer-connection"] });
	await page.goto(`${cloud.url}/healthz`).catch(() => {});   // the cloud's origin: the WHEP POST is same-origin
	const result = await page.evaluate(async (token) => {
		const pc = new RTCPeerConnection();
		pc.addTransceiver("video", { direction: "recvonly" });
		const opened = (channel) => new Promise((resolve, reject) => {
			channel.onopen = () => resolve();
			setTimeout(() => reject(new Error(`channel ${channel.label} not open in 10 s`)), 10000);
		});
		const reply = (channel, command) => new Promise((resolve) => {
			channel.onmessage = (event) => resolve(JSON.parse(event.data));
			channel.send(JSON.stringify(command));
			setTimeout(() => resolve(null), 5000);
		});
		const first = pc.createDataChannel("commands");
		await pc.setLocalDescription(await pc.createOffer());
		const response = await fetch("/v1/devices/rtc-cam3/whep", { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/sdp" }, body: pc.localDescription.sdp });
		if (response.status !== 201) return { error: `${response.status} ${await response.text()}` };
		await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
		await opened(first);
		const before = await reply(first, { cmd: "ptz", op: "left" });
		const closing = new Promise((resolve) => { first.onclose = () => resolve(true); setTimeout(() => resolve(false), 5000); });
		first.close();
		const closed = await closing;
		const second = pc.createDataChannel("commands");
		await opened(second);
		const after = await reply(second, { cmd: "ptz", op: "right" });
		const ids = [first.id, second.id];
		pc.close();
		return { before, closed, state: first.readyState, after, ids };
	}, token);
	t.log(result);
	t.like(result.before, { ok: true, ptz: "left" });
	t.true(result.closed, "Chromium's close completed (its stream reset answered, ours taken)");
	t.is(result.state, "closed");
	t.like(result.after, { ok: true, ptz: "right" }, "a channel opened after the reset is answered");
	t.regex(output(), new RegExp(`webrtc: DataChannel on stream ${result.ids[0]} closed by the viewer`));
	await camera;
});
