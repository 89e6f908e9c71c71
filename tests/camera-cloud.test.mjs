// The Linux camera app (modules/app/camera: capture → ring → modules/cs) on the XS host against
// the real cloud (disk and S3), through a TCP proxy the test cuts: what ffprobe decodes from
// what the cloud stored is exactly what the camera says it uploaded, and every frame the camera
// pushed is either stored or counted in a gap.
import test from "ava";
import { cloudFor, deviceIn } from "../cloud/tests/_cloud.mjs";
import { storedStream } from "../cloud/tests/_ingest.mjs";
import { eventually } from "../cloud/tests/_mqtt.mjs";
import { s3For } from "../cloud/tests/_s3.mjs";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runHost } from "./_host.mjs";
import { cuttableProxy, deviceFile, runCamera, storedFrames, totalFrames } from "./_camera.mjs";

/** Checks the accounting of one run; returns the channel's stats. */
async function checkUploads(t, cloud, device, summary) {
	const stats = summary.channels["0"];
	const streams = await storedFrames(cloud, device.id);
	const frames = totalFrames(streams);
	t.log(`${stats.segmentsStored} segments in ${streams.length} stream(s); ffprobe: ${frames.h264} h264 + ${frames.aac} aac = ${frames.total}; camera: ${stats.framesUploaded} uploaded, ${stats.framesLost} lost in ${stats.gaps} gap(s), resent ${stats.segmentsResent}`);
	t.true(stats.segmentsStored >= 2);
	t.is(frames.total, stats.framesUploaded, "ffprobe decodes exactly the frames the camera uploaded");
	// Ring sequence numbers count every frame capture pushed: each one from the first uploaded to
	// the last is in the cloud, in a gap, or of the G.711 track cloud storage does not keep.
	t.true(stats.framesNotStored > 0, "the sample camera's G.711 track is in the ring");
	t.is(stats.lastSeq - stats.firstSeq + 1, stats.framesUploaded + stats.framesLost + stats.framesNotStored);
	return stats;
}

/**
 * Where the recording the cloud holds begins: the mfhd number of its first fragment (SegmentMux
 * numbers a segment's fragments from its first frame's ring seq + 1) and the flags ffprobe reads
 * on its first video packet ("K" for a key frame).
 */
async function recordingStart(cloud, device) {
	const [first] = cloud.ctx.sql.db.prepare("SELECT stream FROM streams WHERE device = ? AND channel = 0 ORDER BY epoch_ms, created").all(device.id);
	const { bytes } = await storedStream(cloud, device.id, 0, first.stream);
	const moof = bytes.indexOf("moof");   // its first child is the mfhd: size, type, version and flags, sequence number
	if (moof < 0 || bytes.toString("latin1", moof + 8, moof + 12) !== "mfhd") throw new Error("no moof with an mfhd in the stored stream");
	const probe = JSON.parse(execFileSync("ffprobe", ["-v", "error", "-select_streams", "v:0", "-read_intervals", "%+#1", "-show_entries", "packet=flags", "-of", "json", "-i", "pipe:0"], { input: bytes, encoding: "utf8" }));
	return { sequence: bytes.readUInt32BE(moof + 16), flags: probe.packets[0]?.flags ?? "" };
}

test("xs › the camera app uploads continuously to a disk cloud named by DNS (localhost, through the system's resolver); ffprobe counts exactly the frames it uploaded", async (t) => {
	const cloud = await cloudFor(t);
	const device = await deviceIn(cloud);
	const named = new URL(cloud.url);
	named.hostname = "localhost";
	const run = await runCamera(deviceFile(t, device, named.origin, { dns: ["192.0.2.53"] }), { seconds: 8 });
	t.is(run.code, 0, run.stderr + run.stdout);
	t.regex(run.stdout, /device file: "dns" is for boards; this host resolves names as its system does/, "a board's DNS servers: not this host's to change");
	const stats = await checkUploads(t, cloud, device, run.summary);
	t.is(stats.framesLost, 0);
	// The plan starts the recording at the ring's first key frame when it reaches the camera before
	// capture's first frame, else at the live edge's next one (tests/cs/api.test.ts pins the first):
	// either way at a key frame, the one at firstSeq, and every frame after it is accounted for.
	const start = await recordingStart(cloud, device);
	t.is(start.sequence, stats.firstSeq + 1, "the cloud's recording begins with the frame at firstSeq");
	t.regex(start.flags, /^K/, "a key frame");
});

test("xs › the camera app uploads to an S3 cloud (s3rver)", async (t) => {
	const s3 = await s3For(t, "ivxs-camera");
	const cloud = await cloudFor(t, { storage: s3.storage });
	const device = await deviceIn(cloud);
	const run = await runCamera(deviceFile(t, device, cloud.url), { seconds: 6 });
	t.is(run.code, 0, run.stderr + run.stdout);
	t.is((await checkUploads(t, cloud, device, run.summary)).framesLost, 0);
});

test("xs › a network cut shorter than the ring loses no frame: the upload resumes from the ring cursor", async (t) => {
	const cloud = await cloudFor(t);
	const device = await deviceIn(cloud);
	const proxy = await cuttableProxy(t, cloud.port ?? Number(new URL(cloud.url).port));
	let cut = false;
	const run = await runCamera(deviceFile(t, device, `http://127.0.0.1:${proxy.port}`), {
		seconds: 16,
		onStdout(chunk) {
			// Cut 3 s once the first segment is stored: the ring (about a minute here) holds it all.
			if (!cut && /control channel connected/.test(chunk)) {
				cut = true;
				setTimeout(() => proxy.cut(3000), 4000);
			}
		},
	});
	t.is(run.code, 0, run.stderr + run.stdout);
	t.true(cut);
	const stats = await checkUploads(t, cloud, device, run.summary);
	t.is(stats.framesLost, 0);
	t.true(stats.segmentsResent + (run.stdout.match(/retrying/g)?.length ?? 0) > 0, "the cut interrupted an upload");
});

test("xs › a cut longer than the ring loses the oldest frames, and the gap the camera reports is exactly what is missing", async (t) => {
	const cloud = await cloudFor(t);
	const device = await deviceIn(cloud);
	const proxy = await cuttableProxy(t, Number(new URL(cloud.url).port));
	let cut = false;
	// A 64 KiB GOP estimate: a ring of about 150 KB, some 8 s of the sample clip.
	const file = deviceFile(t, device, `http://127.0.0.1:${proxy.port}`, { maxGopBytes: 65536 });
	const run = await runCamera(file, {
		seconds: 36,   // the control channel reconnects within 10 s of the cut's end, then sends the gaps
		onStdout(chunk) {
			if (!cut && /control channel connected/.test(chunk)) {
				cut = true;
				setTimeout(() => proxy.cut(15000), 3000);
			}
		},
	});
	t.is(run.code, 0, run.stderr + run.stdout);
	const stats = await checkUploads(t, cloud, device, run.summary);
	t.true(stats.framesLost > 0, "a 15-s cut overflows an 8-s ring");
	t.true(stats.gaps >= 1);
	const gaps = [...run.stdout.matchAll(/gap: (\d+) frames overwritten/g)].map((m) => Number(m[1]));
	t.is(gaps.reduce((a, b) => a + b, 0), stats.framesLost, "the gaps reported add up to the frames lost");
	// …and reached the cloud (MQTT, QoS 1: held through the cut), where viewers list them.
	await eventually(() => cloud.ctx.sql.db.prepare("SELECT sum(frames) AS n FROM gaps WHERE device = ?").get(device.id).n === stats.framesLost, 10_000).catch(() => {});
	const stored = cloud.ctx.sql.db.prepare("SELECT sum(frames) AS frames, min(from_ms) AS from_ms FROM gaps WHERE device = ? AND reason = 'overwritten'").get(device.id);
	t.is(stored.frames, stats.framesLost, "the cloud holds gaps for exactly the frames lost");
	t.true(stored.from_ms > Date.now() - 60_000);
});

test("xs › a provisioned device file (--provision, kept in persistent storage) runs the camera without --device", async (t) => {
	const cloud = await cloudFor(t);
	const device = await deviceIn(cloud);
	const data = mkdtempSync(join(tmpdir(), "ivxs-provision-"));
	t.teardown(() => rmSync(data, { recursive: true, force: true }));
	const none = await runHost(["--data", data, "modules/app/camera", "--", "--seconds", "1"]);
	t.is(none.code, 2);
	t.regex(none.stdout + none.stderr, /cannot read the provisioned one \(none given \(--device FILE\) and none provisioned\)/);
	const stored = await runHost(["--data", data, "modules/app/camera", "--", "--provision", deviceFile(t, device, cloud.url)]);
	t.is(stored.code, 0, stored.stdout + stored.stderr);
	const run = await runHost(["--data", data, "modules/app/camera", "--", "--seconds", "5", "--summary"], { timeoutMs: 60_000 });
	t.is(run.code, 0, run.stdout + run.stderr);
	const summary = JSON.parse(run.stdout.split("\n").find((l) => l.startsWith("@@camera ")).slice(9));
	t.true(summary.channels["0"].segmentsStored >= 1, "it uploaded as the provisioned camera");
});
