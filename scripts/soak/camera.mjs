// The soak's camera: the camera app on the XS host (modules/app/camera) as a child process on one
// device file, local store and libfaketime clock file, so it can be SIGKILLed and started again
// and its wall clock moved while it runs. It reads the camera's own words: its XS heap and native
// bytes (`@@memory`, --memory-probe), the gaps it reports, its closing summary.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "../build.mjs";
import { LIBFAKETIME, sampleChannel } from "../../tests/_camera.mjs";
import { kill9, procSample, running, startChild, stopChild } from "./proc.mjs";
import { FAULTS } from "./faults.mjs";

/** Camera lines that say something went wrong (the camera's log has no levels). */
export const CAMERA_TROUBLE = /error|fail|refused|cannot|exception|lost|gap:|timed? ?out|reset|retrying|unreachable|did not answer/i;
/** Camera lines that say nothing failed but that only a fault should cause: a P2P viewer at a new address. */
export const CAMERA_NOTABLE = /p2p: event 3\b|p2p: viewer [0-9a-f]+ moved/;
/** The lines some fault `expects` to cause: the evidence that it happened as meant. */
const EXPECTED = Object.values(FAULTS).map((fault) => fault.expects).filter(Boolean);

export class SoakCamera {
	#child;
	#o;
	/** One entry per run: { started, ended, how, summary, gaps: [{ frames, reason, from, to }] }. */
	runs = [];
	/** `@@memory` samples: { t, heap, native }. */
	memory = [];
	/** { t, level, msg, source: "camera" } of each line that says something went wrong, or is notable. */
	logs = [];
	/** { t, msg } of each line a fault expects (EXPECTED). */
	seen = [];

	/** `dir`: the camera's folder (device file, store, clock file); `mqttUrl`: its broker; `maxGopBytes`: its ring's size. */
	constructor({ device, cloudUrl, mqttUrl, dir, logFile, maxGopBytes }) {
		this.#o = { dir, logFile, file: join(dir, "device.json"), clock: join(dir, "faketime") };
		// The sample channel without its G.711 track: the verdict finds lost frames as holes in the
		// ring's sequence between stored segments (stored.mjs), which holds only while every ring
		// frame is one cloud storage keeps — the G.711 track's are WebRTC's (framesNotStored).
		const { g711: _g711, ...channel } = sampleChannel;
		writeFileSync(this.#o.file, JSON.stringify({ id: device.id, secret: device.secret, cloud: cloudUrl, mqtt: mqttUrl, maxGopBytes, channels: [channel] }));
		this.setClock("+0");
	}

	get pid() { return running(this.#child) ? this.#child.pid : undefined; }
	get run() { return this.runs.at(-1); }

	/** Moves the camera's wall clock (libfaketime re-reads the file: within a second); "+0" is true time. */
	setClock(offset) {
		writeFileSync(this.#o.clock, `${offset}\n`);
	}

	/** Starts the camera for at most `seconds` (then it stops in order and prints its summary). */
	start(seconds) {
		const { dir, file, clock, logFile } = this.#o;
		const run = { started: Date.now(), ended: undefined, how: undefined, summary: undefined, gaps: [], connected: undefined };
		this.runs.push(run);
		const args = ["modules/app/camera", "--", "--device", file, "--seconds", String(Math.ceil(seconds)), "--summary", "--memory-probe", "5",
			"--store", join(dir, "store"), "--store-mb", "64", "--event-every", "30", "--talkback", join(dir, "talkback"),
			// every viewer runs on this machine: its candidates are loopback addresses
			"--p2p-loopback"];
		this.#child = startChild(join(root, "build/bin/ivxs"), args, {
			cwd: root, logFile,
			env: { LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: clock, FAKETIME_DONT_FAKE_MONOTONIC: "1", FAKETIME_CACHE_DURATION: "1" },
			onLine: (line) => this.#line(run, line),
		});
		this.#child.exited.then(({ code, signal }) => {
			run.ended = Date.now();
			run.how ??= signal ? `signal ${signal}` : `exit ${code}`;
		});
	}

	#line(run, line) {
		const t = Date.now();
		if (line.startsWith("@@memory ")) {
			const m = JSON.parse(line.slice(9));
			this.memory.push({ t, heap: m.heap, native: Object.values(m.native ?? {}).reduce((sum, n) => sum + (typeof n === "number" ? n : n?.bytes ?? 0), 0) });
			return;
		}
		if (line.startsWith("@@camera ")) {
			run.summary = JSON.parse(line.slice(9));
			return;
		}
		if (/control channel connected/.test(line)) run.connected ??= t;
		const gap = /gap: (\d+) frames (\w+) \((\d+)\.\.(\d+)\)/.exec(line);
		if (gap) run.gaps.push({ frames: Number(gap[1]), reason: gap[2], from: Number(gap[3]), to: Number(gap[4]) });
		if (EXPECTED.some((re) => re.test(line))) this.seen.push({ t, msg: line });
		if (CAMERA_TROUBLE.test(line)) this.logs.push({ t, level: "warn", msg: line, source: "camera" });
		else if (CAMERA_NOTABLE.test(line)) this.logs.push({ t, level: "info", msg: line, source: "camera" });
	}

	async kill9() {
		if (this.run) this.run.how = "killed";
		await kill9(this.#child);
	}

	/** Waits for the run to end by itself (its --seconds), or stops it after `ms`. */
	async finish(ms) {
		const timer = setTimeout(() => stopChild(this.#child), ms);
		await this.#child?.exited;
		clearTimeout(timer);
	}

	sample() {
		return this.pid ? procSample(this.pid) : undefined;
	}
}
