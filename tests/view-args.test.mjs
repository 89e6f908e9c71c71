// `npm run view`'s command line (scripts/view.mjs): playback of the camera's own recordings becomes
// the stream's params (modules/p2p/params.ts); what cannot be asked is refused before anything runs.
import test from "ava";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, streamParams, UsageError } from "../scripts/view.mjs";

const env = { IVXS_PASSWORD: "p" };

test("live unless --playback; a span in ISO 8601 or Unix ms, with a speed", (t) => {
	t.is(streamParams(parse(["cam-1", "-o", "x.mp4"], env)), "action=live");
	t.is(streamParams(parse(["cam-1", "-o", "x.mp4", "--playback", "1763900000000", "1763900060000"], env)), "action=playback&start=1763900000000&end=1763900060000");
	t.is(streamParams(parse(["cam-1", "-o", "x.mp4", "--playback", "2026-11-23T07:00:00Z", "2026-11-23T07:01:00.5Z", "--speed", "8"], env)),
		`action=playback&start=${Date.parse("2026-11-23T07:00:00Z")}&end=${Date.parse("2026-11-23T07:01:00.5Z")}&speed=8`);
});

test("--command takes JSON, and prints its reply on a terminal too", (t) => {
	t.is(parse(["cam-1", "--command", '{"cmd":"recordings"}'], env, true).command, '{"cmd":"recordings"}');
});

test("a span that is not one, or a speed without playback or out of 1…16, is a usage error", (t) => {
	for (const args of [
		["--playback", "yesterday", "1763900060000"],
		["--playback", "1763900060000", "1763900000000"],
		["--playback", "1763900000000"],
		["--speed", "4"],
		["--playback", "1763900000000", "1763900060000", "--speed", "32"],
		["--playback", "1763900000000", "1763900060000", "--speed", "1.5"],
		["--playback", "1763900000000", "1763900060000", "--format", "annexb"],
		["--command", "{cmd: recordings}"],
		["--command", '{"cmd":"recordings"}', "--playback", "1763900000000", "1763900060000"],
	]) t.throws(() => parse(["cam-1", "-o", "x.mp4", ...args], env), { instanceOf: UsageError }, args.join(" "));
});

test("--talk FILE: its codec by the extension; alone on a terminal, along with a stream otherwise", (t) => {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-view-args-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const [ulaw, aac, wav] = ["voice.ul", "voice.AAC", "voice.wav"].map((name) => join(dir, name));
	for (const file of [ulaw, aac, wav]) writeFileSync(file, "x");
	t.is(parse(["cam-1", "--talk", ulaw], env, true).out, "", "a terminal and no -o: talk alone");
	t.is(parse(["cam-1", "--talk", aac], env, false).out, "-", "piped: the stream too");
	t.is(parse(["cam-1", "-o", "x.mp4", "--talk", aac], env, true).out, "x.mp4");
	t.throws(() => parse(["cam-1", "-o", "x.mp4", "--talk", wav], env), { instanceOf: UsageError, message: /\.aac/ });
	t.throws(() => parse(["cam-1", "-o", "x.mp4", "--talk", join(dir, "none.ul")], env), { instanceOf: UsageError, message: /no such file/ });
	t.throws(() => parse(["cam-1", "--talk", ulaw, "--command", '{"cmd":"recordings"}'], env, true), { instanceOf: UsageError });
});
