// The soak's camera: the camera app on the XS host (modules/app/camera) as a child process on one
// device file, local store and libfaketime clock file, so it can be SIGKILLed and started again
// and its wall clock moved while it runs. It reads the camera's own words: its XS heap and native
// bytes (`@@memory`, --memory-probe), the gaps it reports, its closing summary. With `firmware`
// the camera is the sample C firmware (build/bin/iv_cs_sample, the app inside it through libivxs:
// scripts/firmware.mjs's way) pushing its own frames — G.711 in 160-ms frames and one P frame in 30
// torn (FIRMWARE_ARGS) — and its malloc heap (`@@heap`) is sampled too.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "../build.mjs";
import { LIBFAKETIME, sampleChannel } from "../../tests/_camera.mjs";
import { kill9, procSample, running, startChild, stopChild } from "./proc.mjs";
import { FAULTS } from "./faults.mjs";

/** The soak camera's viewer places (--viewers): the 4 P2P and 3 WebRTC viewers, one to spare. */
export const PLACES = 8;

/** Camera lines that say something went wrong (the camera's log has no levels). */
export const CAMERA_TROUBLE = /error|fail|refused|cannot|exception|lost|gap:|timed? ?out|reset|retrying|unreachable|did not answer/i;
/** Camera lines the firmware's torn frames cause (each viewer's sender skips to the next key frame): counted, not trouble. */
const TORN = /a frame the packetizer cannot walk/;
/** Camera lines that say nothing failed but that only a fault should cause: a P2P viewer at a new address. */
export const CAMERA_NOTABLE = /p2p: event 3\b|p2p: viewer [0-9a-f]+ moved/;
/** The lines some fault `expects` to cause: the evidence that it happened as meant. */
const EXPECTED = Object.values(FAULTS).map((fault) => fault.expects).filter(Boolean);
/** The sample firmware's pushes: what a field encoder does and the clip does not (iv_cs_sample.c's header). */
const FIRMWARE_ARGS = ["--g711", "pcmu", "--long-g711", "--torn-every", "30", "--heap-every", "5"];

export class SoakCamera {
	#child;
	#o;
	/**
	 * One entry per run: { started, until (its --seconds' end), ended, how ("exit N", "signal S", "killed" by the
	 * schedule, "stopped" by the soak), summary, gaps: [{ frames, reason, from, to }], connected, uncaught (the line) }.
	 */
	runs = [];
	/** `@@memory` samples: { t, heap, native, webrtc } (native: the counters but the WebRTC sessions'). */
	memory = [];
	/** The firmware's `@@heap` samples: { t, pid, bytes }. */
	firmwareHeap = [];
	/** The firmware's lines its torn frames explain (TORN). */
	tornLines = 0;
	/** { t, level, msg, source: "camera" } of each line that says something went wrong, or is notable. */
	logs = [];
	/** { t, msg } of each line a fault expects (EXPECTED). */
	seen = [];

	/** `dir`: the camera's folder (device file, store, clock file); `mqttUrl`: its broker; `maxGopBytes`: its ring's size; `firmware`: the C firmware is the camera. */
	constructor({ device, cloudUrl, mqttUrl, dir, logFile, maxGopBytes, firmware = false }) {
		this.#o = { dir, logFile, firmware, file: join(dir, "device.json"), clock: join(dir, "faketime") };
		// The sample channel without its G.711 track: the verdict finds lost frames as holes in the
		// ring's sequence between stored segments (stored.mjs), which holds only while every ring
		// frame is one cloud storage keeps — the G.711 track's are WebRTC's (framesNotStored).
		// The firmware's channel is its own pushes, G.711 among them.
		const { g711: _g711, ...clip } = sampleChannel;
		const channel = firmware ? { codec: "h264", firmware: { audio: "pcmu" } } : clip;
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
		const { dir, file, clock, logFile, firmware } = this.#o;
		const run = { started: Date.now(), until: Date.now() + Math.ceil(seconds) * 1000, ended: undefined, how: undefined, summary: undefined, gaps: [], connected: undefined, uncaught: undefined };
		this.runs.push(run);
		const appArgs = ["--summary", "--memory-probe", "5", "--store", join(dir, "store"), "--store-mb", "64", "--event-every", "30", "--talkback", join(dir, "talkback"),
			// every viewer runs on this machine: its candidates are loopback addresses
			"--p2p-loopback",
			// places for the 4 P2P and 3 WebRTC viewers (the default is a board's 4, both wires together), one to spare
			"--viewers", String(PLACES)];
		const time = { LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: clock, FAKETIME_DONT_FAKE_MONOTONIC: "1", FAKETIME_CACHE_DURATION: "1" };
		const [command, args, env] = firmware
			? [join(root, "build/bin/iv_cs_sample"), ["--seconds", String(Math.ceil(seconds)), ...FIRMWARE_ARGS], { ...time, IVXS_DEVICE: file, IVXS_DATA: dir, IVXS_CAMERA_ARGS: appArgs.join(" ") }]
			: [join(root, "build/bin/ivxs"), ["modules/app/camera", "--", "--device", file, "--seconds", String(Math.ceil(seconds)), ...appArgs], time];
		this.#child = startChild(command, args, {
			cwd: root, logFile, env,
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
			const bytes = (n) => (typeof n === "number" ? n : n?.bytes ?? 0);
			// the live WebRTC sessions' own (their SRTP, congestion control and feed) apart: visits bring and take them
			const { webrtc, ...rest } = m.native ?? {};
			this.memory.push({ t, heap: m.heap, native: Object.values(rest).reduce((sum, n) => sum + bytes(n), 0), webrtc: bytes(webrtc) });
			return;
		}
		if (line.startsWith("@@heap ")) {
			this.firmwareHeap.push({ t, pid: this.pid, bytes: Number(line.slice(7)) });
			return;
		}
		if (line.startsWith("@@sample ")) {
			run.sample = JSON.parse(line.slice(9));
			return;
		}
		if (line.startsWith("@@camera ")) {
			run.summary = JSON.parse(line.slice(9));
			return;
		}
		if (/control channel connected/.test(line)) run.connected ??= t;
		if (/uncaught exception/.test(line)) run.uncaught ??= line;
		const gap = /gap: (\d+) frames (\w+) \((\d+)\.\.(\d+)\)/.exec(line);
		if (gap) run.gaps.push({ frames: Number(gap[1]), reason: gap[2], from: Number(gap[3]), to: Number(gap[4]) });
		if (EXPECTED.some((re) => re.test(line))) this.seen.push({ t, msg: line });
		if (this.#o.firmware && TORN.test(line)) {
			this.tornLines++;
			return;
		}
		if (CAMERA_TROUBLE.test(line)) this.logs.push({ t, level: "warn", msg: line, source: "camera" });
		else if (CAMERA_NOTABLE.test(line)) this.logs.push({ t, level: "info", msg: line, source: "camera" });
	}

	async kill9() {
		if (this.run) this.run.how = "killed";
		await kill9(this.#child);
	}

	/** Waits for the run to end by itself (its --seconds), or stops it after `ms`. */
	async finish(ms) {
		const timer = setTimeout(() => {
			if (this.run && !this.run.ended) this.run.how = "stopped";
			stopChild(this.#child);
		}, ms);
		await this.#child?.exited;
		clearTimeout(timer);
	}

	sample() {
		return this.pid ? procSample(this.pid) : undefined;
	}
}
