// The demo end to end: capture (C thread) → ring → fMP4 + FLV files on the XS
// host, decoded whole by ffprobe with exactly the frames the demo muxed.
import test from "ava";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runHost } from "./_host.mjs";

function probe(file) {
	const out = execFileSync("ffprobe", ["-v", "error", "-count_frames", "-show_entries",
		"stream=codec_name,width,height,nb_read_frames", "-of", "json", file], { encoding: "utf8" });
	return JSON.parse(out).streams;
}

for (const codec of ["h264", "h265"]) {
	test(`demo (${codec}): live fMP4 and FLV decode end to end with the exact frame count`, async (t) => {
		const out = mkdtempSync(join(tmpdir(), "ivxs-demo-"));
		t.teardown(() => rmSync(out, { recursive: true, force: true }));
		const { code, stdout, stderr } = await runHost(["modules/app/main", "--", "--seconds", "3", "--codec", codec, "--out", out]);
		t.is(code, 0, stderr);
		const [, video, audio, rejected, torn] = stdout.match(/frames (\d+) video, (\d+) audio, rejected (\d+), torn (\d+)/).map(Number);
		t.true(video >= 30, `only ${video} video frames in 3 s at 15 fps`);
		t.true(audio > 30);
		t.is(rejected, 0);
		t.is(torn, 0);
		const name = codec === "h264" ? "h264" : "hevc";
		const mp4 = probe(join(out, "live.mp4"));
		t.deepEqual(mp4.map((s) => [s.codec_name, Number(s.nb_read_frames)]), [[name, video], ["aac", audio]]);
		t.is(mp4[0].width, 640);
		t.is(mp4[0].height, 480);
		execFileSync("ffmpeg", ["-v", "error", "-xerror", "-i", join(out, "live.mp4"), "-f", "null", "-"]);
		if (codec === "h264") {   // ffmpeg 5.1 cannot read enhanced-FLV HEVC (see flv-muxer.ts)
			const flv = probe(join(out, "live.flv"));
			t.deepEqual(flv.map((s) => [s.codec_name, Number(s.nb_read_frames)]), [["h264", video], ["aac", audio]]);
		}
		const still = readFileSync(join(out, "still.jpg"));
		t.deepEqual([...still.subarray(0, 2)], [0xff, 0xd8]);
		t.deepEqual([...still.subarray(-2)], [0xff, 0xd9]);
	});
}

test("demo: bad arguments get a clear error", async (t) => {
	const { code, stderr } = await runHost(["modules/app/main", "--", "--codec", "vp9"]);
	t.is(code, 1);
	t.regex(stderr, /--codec must be h264 or h265/);
});

test("demo: the app with its native modules boots from a heap snapshot (production) and records the same way", async (t) => {
	const out = mkdtempSync(join(tmpdir(), "ivxs-demo-snap-"));
	t.teardown(() => rmSync(out, { recursive: true, force: true }));
	const snapshot = join(out, "app.xss");
	const written = await runHost(["-w", snapshot, "-p", "timer,ring,capture,annexb,ivxs/file,ivxs/host", "modules/app/main"]);
	t.is(written.code, 0, written.stderr);
	const { code, stdout, stderr } = await runHost(["-s", snapshot, "--", "--seconds", "2", "--out", out]);
	t.is(code, 0, stderr);
	const [, video, audio] = stdout.match(/frames (\d+) video, (\d+) audio/).map(Number);
	t.true(video > 0 && audio > 0);
	const mp4 = probe(join(out, "live.mp4"));
	t.deepEqual(mp4.map((s) => Number(s.nb_read_frames)), [video, audio]);
});
