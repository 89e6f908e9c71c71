// P2P through the cloud, end to end (issue 14 §3–§4): the real cloud, the camera app on the XS
// host (P2P off until the cloud announces a viewer: no --p2p), and `npm run view`'s code
// (scripts/view.mjs → the viewer app on a second XS host). The viewer signs in, gets a ticket,
// finds the camera's host candidate by STUN checks, watches live as fMP4 that ffprobe decodes;
// a second viewer, a plain user, is in the cloud's session list with the camera's figures, and is cut
// off within one keep-alive interval when its grant is revoked. `--talk FILE` sends talkback that
// the camera writes to a file byte for byte.
import test from "ava";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Writable } from "node:stream";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cloudFor, deviceIn, session } from "../cloud/tests/_cloud.mjs";
import { countFrames } from "../cloud/tests/_ingest.mjs";
import { eventually } from "../cloud/tests/_mqtt.mjs";
import { cameraConnected, deviceFile } from "./_camera.mjs";
import { view } from "../scripts/view.mjs";

const adminPassword = "admin-secret-1";

test("npm run view: sign in, ticket, path, live fMP4 that ffprobe decodes; revoking a grant ends that viewer's session", async (t) => {
	// A STUN server nobody answers on: both sides go on with their host candidates; the camera's
	// P2P API says PEER_CONNECT_FAIL (the seed's "could not reach the STUN/rendezvous server").
	const cloud = await cloudFor(t, { adminPassword, p2pSweepS: 1, stunServers: ["127.0.0.1:9"] });
	const device = await deviceIn(cloud, "view-cam");
	const admin = await session(cloud, "admin", adminPassword);
	t.is((await admin.call("/v1/users", { method: "POST", body: { name: "eve", password: "eve-password" } })).status, 201);
	t.is((await admin.call("/v1/users/eve/devices/view-cam", { method: "PUT" })).status, 204);
	const { done: camera } = await cameraConnected(deviceFile(t, device, cloud.url), { seconds: 25, args: ["--p2p-loopback"] });
	const dir = mkdtempSync(join(tmpdir(), "ivxs-view-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));

	const reports = { admin: [], eve: [] };
	const base = { device: "view-cam", cloud: cloud.url, format: "fmp4", quiet: true };
	// The admin's stream to "stdout" (through the FIFO, as `| ffplay -` gets it), eve's into a file.
	const piped = [];
	const output = new Writable({ write(chunk, _encoding, done) { piped.push(chunk); done(); } });
	const watching = view({ ...base, user: "admin", password: adminPassword, out: "-", seconds: 4 }, { output, onReport: (kind, r) => reports.admin.push([kind, r]) });
	let eveOpen;
	const eveOpened = new Promise((resolve) => { eveOpen = resolve; });
	const eve = view({ ...base, user: "eve", password: "eve-password", out: join(dir, "eve.mp4"), seconds: 60 }, {
		onReport: (kind, r) => {
			reports.eve.push([kind, r, Date.now()]);
			if (kind === "view" && r.frames > 10) eveOpen();
		},
	});
	t.is(await watching, 0, JSON.stringify(reports.admin));
	const path = reports.admin.find(([kind]) => kind === "view-path")?.[1];
	t.log("path", path, "open", reports.admin.find(([kind]) => kind === "view-open")?.[1]);
	t.is(path.kind, "direct");
	t.is(path.type, "host", "a camera on the same machine is reached by a host candidate");
	// the viewer offers version 6; a Linux camera keeps 5 (ChaCha20-Poly1305 is its faster software)
	t.is(reports.admin.find(([kind]) => kind === "view-connected")?.[1].version, 5);
	const first = reports.admin.find(([kind]) => kind === "view-first")?.[1];
	t.log(`viewer request → first frame: ${first.ms} ms`);
	t.true(first.key, "the first frame is a key frame");
	const end = reports.admin.find(([kind]) => kind === "view-end")[1];
	t.log(end, reports.admin.filter(([kind]) => kind === "view").map(([, r]) => `${r.rttMs} ms ${r.rate} B/s`).join("; "));
	const frames = countFrames(Buffer.concat(piped));
	t.log("ffprobe", frames);
	t.true(frames.h264 > 30, `${frames.h264} video frames in 4 s`);
	t.true(frames.aac > 20, `${frames.aac} audio frames`);
	t.is(end.refused, 0, "every frame went into the file");

	await Promise.race([eveOpened, eve]);
	// The camera reports its open sessions (every 5 s): the cloud's list has eve's with its figures.
	let listed;
	await eventually(async () => {
		listed = (await (await admin.call("/v1/devices/view-cam/p2p")).json()).sessions.find((s) => s.user === "eve" && s.connected);
		return listed !== undefined;
	}, 8000);
	t.log("eve in the cloud's list", listed);
	t.is(listed.action, "live");
	t.true(listed.rate > 0 && listed.srttMs >= 0 && listed.memory > 0);
	const revoked = Date.now();
	t.is((await admin.call("/v1/users/eve/devices/view-cam", { method: "DELETE" })).status, 204);
	t.is(await eve, 3, "the camera closed eve's session");
	const cut = reports.eve.find(([kind]) => kind === "view-end");
	t.log(`eve cut ${cut[2] - revoked} ms after the revocation`, cut[1]);
	t.true(cut[2] - revoked < 5000, "within one keep-alive interval (5 s)");
	const { stdout } = await camera;
	t.regex(stdout, /p2p: [0-9a-f]{16} watches \(action=live\)/);
	t.regex(stdout, /p2p: the cloud ended session [0-9a-f]{16} \(1 open\)/);
	t.regex(stdout, /no STUN server answered \(PEER_CONNECT_FAIL\)/);
});

test("npm run view --talk FILE: AAC alone, then μ-law along with live; the camera writes each byte-exact, in order", async (t) => {
	const cloud = await cloudFor(t, { adminPassword });
	const device = await deviceIn(cloud, "talk-cam");
	const dir = mkdtempSync(join(tmpdir(), "ivxs-view-talk-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const talkDir = join(dir, "talk"), aac = join(dir, "hello.aac"), ulaw = join(dir, "hello.ul");
	// 1.5 s of AAC (ADTS, as ffmpeg writes it) and 1.2 s of G.711 μ-law (any bytes are μ-law samples)
	execFileSync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1.5:sample_rate=16000", "-c:a", "aac", "-f", "adts", aac]);
	writeFileSync(ulaw, randomBytes(9600));
	const { done: camera } = await cameraConnected(deviceFile(t, device, cloud.url), { seconds: 16, args: ["--talkback", talkDir, "--p2p-loopback"] });
	const base = { device: "talk-cam", cloud: cloud.url, user: "admin", password: adminPassword, format: "fmp4", quiet: true };

	const reports = [];
	// Alone (what a terminal with no -o gets): the viewer ends with the talkback.
	t.is(await view({ ...base, out: "", talk: aac }, { onReport: (kind, r) => reports.push([kind, r]) }), 0);
	const alone = reports.find(([kind]) => kind === "view-talk")?.[1];
	t.log("AAC alone", alone);
	t.is(alone.params, "codec=aac&rate=16000");
	t.true(alone.ms >= 1300, `sent at the pace it plays (${alone.ms} ms for 1.5 s)`);
	t.is(reports.find(([kind]) => kind === "view-end")[1].why, "talk");

	// Along with live into a file: the stream goes on after the talkback.
	reports.length = 0;
	t.is(await view({ ...base, out: join(dir, "live.mp4"), talk: ulaw, seconds: 3 }, { onReport: (kind, r) => reports.push([kind, r]) }), 0);
	const along = reports.find(([kind]) => kind === "view-talk")?.[1];
	t.log("μ-law with live", along);
	t.deepEqual([along.frames, along.bytes, along.params], [60, 9600, "codec=pcmu&rate=8000"], "20-ms frames");
	t.true(countFrames(readFileSync(join(dir, "live.mp4"))).h264 > 30, "live came meanwhile");

	const { stdout } = await camera;
	t.regex(stdout, /ended talkback: \d+ frames, \d+ bytes in .*\.aac/);
	t.regex(stdout, /ended talkback: 60 frames, 9600 bytes in .*\.ulaw/);
	const files = readdirSync(talkDir).sort((a, b) => a.localeCompare(b));
	t.deepEqual(files.map((f) => f.replace(/^\d+-[0-9a-f]{16}/, "")), [".aac", ".ulaw"]);
	t.deepEqual(readFileSync(join(talkDir, files[0])), readFileSync(aac), "every AAC byte, in order");
	t.deepEqual(readFileSync(join(talkDir, files[1])), readFileSync(ulaw), "every μ-law byte, in order");
});
