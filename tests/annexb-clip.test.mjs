// An ordinary 10-second, 53 KB H.264 clip whose head holds 311 NAL units
// (fixtures/media/h264-aud-10s-320x240.h264): Node (JS scanner) and XS (the C
// scanner, no fixed output size) give the same answer — the probe path the
// demo takes, and the demo itself on XS, which once died with "too many NAL
// units". The C-versus-JS comparison on XS is in tests/xs-only/annexb.test.ts.
import test from "ava";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root, runHost } from "./_host.mjs";
import * as media from "../build/ts/modules/media/index.js";

const file = "fixtures/media/h264-aud-10s-320x240.h264";
const clip = new Uint8Array(readFileSync(join(root, file)));

test("Node: the clip scans, splits and probes from its head", (t) => {
	const spans = media.scanNalUnits(clip);
	t.true(spans.length / 3 > 256, `${spans.length / 3} NAL units`);
	const frames = Number(execFileSync("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", join(root, file)], { encoding: "utf8" }).trim());
	t.is(media.splitAccessUnits(clip, "h264").length, frames);
	t.deepEqual(media.probeVideo(clip.subarray(0, 256 * 1024), "h264"),
		{ codec: "h264", width: 320, height: 240, frameRate: 15, codecString: "avc1.4d400c" });   // Main, level 1.2 (ffprobe)
});

test("XS: the demo probes the clip with the C scanner and records it", async (t) => {
	const out = mkdtempSync(join(tmpdir(), "ivxs-clip-"));
	t.teardown(() => rmSync(out, { recursive: true, force: true }));
	const { code, stdout, stderr } = await runHost(["modules/app/main", "--", "--video", file, "--seconds", "2", "--out", out]);
	t.is(code, 0, stderr);
	const [, video, , rejected] = stdout.match(/frames (\d+) video, (\d+) audio, rejected (\d+)/).map(Number);
	t.true(video >= 15, `${video} video frames`);
	t.is(rejected, 0);
});
