/*
 * `node bench/run.mjs capi` — the seed's C API (libivxs, issue 30) against the camera app it
 * wraps: the same clip uploaded by the TypeScript camera app reading it itself (file source →
 * ring) and by the C sample firmware (hosts/linux/capi/sample/iv_cs_sample.c: the same file source
 * as its "encoder", each frame pushed with iv_cs_push_stream from the encoder's thread), both to
 * a cloud started in this process (bench/in-process-cloud.mjs), plan continuous in 2-s segments,
 * no P2P, under callgrind:
 *
 *   valgrind --tool=callgrind --callgrind-out-file=build/bench/capi/<run>.out \
 *       build/bin/ivxs modules/app/camera -- --device <file> --seconds N --summary --no-p2p
 *   IVXS_CAMERA_ARGS="--summary --no-p2p" valgrind --tool=callgrind … build/bin/iv_cs_sample --seconds N
 *
 * each for SHORT and LONG seconds: the difference of the two runs' instruction counts (all
 * threads: callgrind's `totals`) over the difference of the seconds of video they uploaded
 * (video frames the cloud stored / 15, the clip's frame rate) is the steady state's cost per
 * second of video (with its audio), start-up and shutdown cancelled. Data check: no frame lost, ffprobe's frame count of the stored stream equals
 * the camera's framesUploaded (the cloud's playback reader) for every run.
 *
 * Figure: firmware_vs_app = the sample's instructions per second of video / the app's. Target
 * (issue 30): ≤ 1.05 — the push path adds no more than 5 % to the camera's CPU.
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inProcessCloud } from "../in-process-cloud.mjs";
import { callgrindTotal, log, round } from "../lib.mjs";

const CLIP = "fixtures/media/h264-main-640x480.h264";   // 640x480, 15 fps
const AUDIO = "fixtures/media/aac-lc-16k-mono.aac";
const FPS = 15;
const SHORT = 6, LONG = 26;

function runUnder(args, env, timeoutMs) {
	return new Promise((resolve, reject) => {
		const child = spawn("valgrind", args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
		let stdout = "", stderr = "";
		child.stdout.setEncoding("utf8").on("data", (c) => { stdout += c; });
		child.stderr.setEncoding("utf8").on("data", (c) => { stderr += c; });
		const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
		child.once("error", reject);
		child.once("close", (code, signal) => {
			clearTimeout(timer);
			resolve({ code, signal, stdout, stderr });
		});
	});
}

export async function benchCapi({ root }) {
	const work = join(root, "build/bench/capi");
	rmSync(work, { recursive: true, force: true });
	mkdirSync(work, { recursive: true });
	const { cloud, api, addDevice } = await inProcessCloud(root, join(work, "cloud"));
	const { storedFrames, totalFrames } = await import(join(root, "tests/_camera.mjs"));
	try {
		const runs = {};
		for (const kind of ["app", "firmware"]) {
			for (const seconds of [SHORT, LONG]) {
				const name = `${kind}_${seconds}s`;
				const device = await addDevice({ id: `bench-capi-${kind}-${seconds}` });
				await api(`/v1/devices/${device.id}/plan`, { method: "PUT", body: { mode: "continuous", segmentS: 2 } });
				const channel = kind === "app" ? { video: CLIP, codec: "h264", audio: AUDIO } : { codec: "h264", firmware: { audio: true } };
				const file = join(work, `${name}.json`);
				writeFileSync(file, JSON.stringify({ id: device.id, secret: device.secret, cloud: cloud.url, channels: [channel] }));
				const out = join(work, `${name}.out`);
				const grind = ["--tool=callgrind", `--callgrind-out-file=${out}`];
				log(`capi: ${name} under callgrind`);
				const run = kind === "app"
					? await runUnder([...grind, "build/bin/ivxs", "--data", join(work, name), "modules/app/camera", "--", "--device", file, "--seconds", String(seconds), "--summary", "--no-p2p"], {}, (seconds + 120) * 1000)
					: await runUnder([...grind, "build/bin/iv_cs_sample", "--seconds", String(seconds), CLIP, AUDIO], { IVXS_DEVICE: file, IVXS_DATA: join(work, name), IVXS_CAMERA_ARGS: "--summary --no-p2p" }, (seconds + 120) * 1000);
				writeFileSync(join(work, `${name}.log`), run.stdout + run.stderr);
				const line = run.stdout.split("\n").find((l) => l.startsWith("@@camera "));
				if (run.code !== 0 || !line) throw new Error(`${name}: exited ${run.code ?? run.signal}${line ? "" : " without a summary"} (build/bench/capi/${name}.log)`);
				const stats = JSON.parse(line.slice(9)).channels["0"];
				const stored = totalFrames(await storedFrames(cloud, device.id));
				runs[name] = { instructions: callgrindTotal(out), framesUploaded: stats.framesUploaded, framesLost: stats.framesLost, stored: stored.total, videoStored: stored.h264 };
				log(`capi: ${name}: ${runs[name].instructions} instructions, ${stats.framesUploaded} frames uploaded (${stored.h264} video), ${stats.framesLost} lost, ${stored.total} stored`);
			}
		}
		const perSecond = (kind) => {
			const a = runs[`${kind}_${SHORT}s`], b = runs[`${kind}_${LONG}s`];
			return (b.instructions - a.instructions) / ((b.videoStored - a.videoStored) / FPS);
		};
		const app = perSecond("app"), firmware = perSecond("firmware");
		const intact = Object.values(runs).every((r) => r.framesLost === 0 && r.stored === r.framesUploaded);
		const ratio = firmware / app;
		return {
			what: `instructions per second of video (callgrind, all threads; a ${LONG}-s run minus a ${SHORT}-s run over the seconds of video they uploaded at ${FPS} fps): the camera app uploading ${CLIP} + ${AUDIO} itself vs the C sample firmware pushing the same clip through iv_cs_push_stream`,
			app_instructions_per_s: Math.round(app),
			firmware_instructions_per_s: Math.round(firmware),
			firmware_vs_app: round(ratio, 3),
			runs,
			data_intact: intact,
			target: "firmware_vs_app <= 1.05 (issue 30), every run: no frame lost, ffprobe counts what was uploaded",
			meets: intact && ratio <= 1.05,
		};
	}
	finally {
		await cloud.stop();
	}
}
