// `npm run view -- <device> --playback START END --speed N` end to end (issue 14 §4): the real cloud,
// the camera app with its local store (--store; P2P on when the cloud announces the viewer) and
// the viewer app: a span of the camera's own recording comes back as fMP4 that ffprobe decodes,
// from the key frame at or before START to the last fragment before END, asked faster than real time;
// and `--command '{"cmd":"recordings"}'` prints the camera's reply (the spans it holds).
import test from "ava";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { cloudFor, deviceIn } from "../cloud/tests/_cloud.mjs";
import { eventually } from "../cloud/tests/_mqtt.mjs";
import { cameraConnected, deviceFile } from "./_camera.mjs";
import { view } from "../scripts/view.mjs";

const adminPassword = "admin-secret-1";
const SEGMENT = /^(\d+)-(\d+)\.mp4$/;

test("npm run view --playback: a span of the camera's local store as fMP4 (asked at 4× real time)", async (t) => {
	const cloud = await cloudFor(t, { adminPassword });
	const device = await deviceIn(cloud, "pb-cam");
	const dir = mkdtempSync(join(tmpdir(), "ivxs-view-pb-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const store = join(dir, "store");
	const { done: camera } = await cameraConnected(deviceFile(t, device, cloud.url), { seconds: 30, args: ["--store", store, "--store-segment-s", "2", "--p2p-loopback"] });
	const segments = () => existsSync(store) ? readdirSync(store).filter((n) => SEGMENT.test(n)).sort() : [];
	await eventually(() => segments().length >= 5, 25000);
	const first = Number(SEGMENT.exec(segments()[0])[1]);
	const start = first + 1000, end = start + 6000;
	const out = join(dir, "span.mp4");
	const reports = [];
	const began = Date.now();
	const code = await view({ device: "pb-cam", cloud: cloud.url, user: "admin", password: adminPassword, out, format: "fmp4", quiet: true, seconds: 5, playback: [start, end], speed: 4 },
		{ onReport: (kind, r) => reports.push([kind, r]) });
	t.is(code, 0, JSON.stringify(reports));
	const times = execFileSync("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of", "csv=p=0", out], { encoding: "utf8" })
		.split("\n").filter((l) => /^[0-9]/.test(l)).map(Number);
	const [firstPts, lastPts] = [times[0], times[times.length - 1]];
	t.log({ frames: times.length, firstPts, lastPts, start: start / 1000, end: end / 1000, ms: Date.now() - began });
	t.true(firstPts <= start / 1000 && firstPts > start / 1000 - 3, `first pts ${firstPts}: the key frame at or before START`);
	t.true(lastPts >= end / 1000 - 1.1 && lastPts < end / 1000 + 3, `last pts ${lastPts}: up to END`);
	t.true(times.length >= (lastPts - firstPts) * 15 * 0.95, `${times.length} frames: every frame of the span`);

	// --command: the camera's list of what it holds, as JSON on stdout.
	const printed = [];
	const output = new Writable({ write(chunk, _encoding, done) { printed.push(chunk); done(); } });
	t.is(await view({ device: "pb-cam", cloud: cloud.url, user: "admin", password: adminPassword, quiet: true, command: JSON.stringify({ cmd: "recordings" }) }, { output }), 0);
	const reply = JSON.parse(Buffer.concat(printed).toString());
	t.log("recordings", reply);
	t.true(reply.ok && reply.spans[0][0] === first && reply.spans[0][1] >= end, JSON.stringify(reply));
	await camera;
});
