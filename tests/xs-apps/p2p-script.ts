// A scripted viewer on the XS host for the camera-app P2P tests (playback, commands, talkback):
// mints a ticket as the cloud does (modules/protocol), connects to the camera app's P2P port and
// runs the steps of a JSON script, printing each step's result as "@@step {json}" and at the end
// "@@script {json}" (media frames and bytes seen, per step).
//   ivxs tests/xs-apps/p2p-script -- [ADDRESS:]PORT DEVICE SECRET '[{ "open": "action=…", "save": "FILE" }, { "wait": 1000 }, …]' [RIGHTS]
// RIGHTS: the ticket's rights bits (default all four; the cloud adds `command` to every ticket).
// Steps: { open, save? } opens the stream (media is appended to `save`); { stop: true };
// { command: {…} } sends a built-in command (its JSON reply is the result), `padTo` bytes long
// (a "pad" field of spaces added: the largest request is MAX_COMMAND), `times` times, one after
// another (the last reply is the result); { wait: ms };
// { talk: params, file, frameBytes, everyMs } sends a file as talkback frames, then ends it
// (`adts: true`: the file's ADTS frames, one a frame, instead of frameBytes slices).
// { latency: ms } waits that long and gives each frame's age on arrival (capture → here, ms:
// { n, min, p50, p90, max }) — a live frame carries its capture time, wall-clock ms modulo 2^32
// (the ring's stamp), and a viewer on the same machine reads the same clock: glass to glass.
import Timer from "timer";
import { Rights } from "p2p";
import { FileWriter, argv, exit, monotonic, readFile } from "ivxs/platform";
import { decodeJsonAscii, encodeJsonAscii } from "../../modules/protocol/viewer-commands.js";
import { splitAdtsFrames } from "../../modules/media/index.js";
import { testViewer } from "./_viewer.js";

type Step = { open?: string; save?: string; stop?: boolean; command?: Record<string, unknown>; padTo?: number; times?: number; wait?: number; talk?: string; file?: string; frameBytes?: number; adts?: boolean; everyMs?: number; latency?: number };

/** { n, min, p50, p90, max } of some ms figures. */
function spread(values: number[]): { n: number; min: number; p50: number; p90: number; max: number } {
	const s = [...values].sort((a, b) => a - b);
	const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
	return { n: s.length, min: s[0] ?? 0, p50: at(0.5), p90: at(0.9), max: s[s.length - 1] ?? 0 };
}

const sleep = (ms: number) => new Promise((resolve) => Timer.set(resolve, ms));

export default function main(): void {
	const [to, device, secret, script, rights] = argv();
	const steps = JSON.parse(script) as Step[];
	const at = to.lastIndexOf(":");
	let save: FileWriter | undefined;
	let ages: number[] | undefined;
	const { viewer, seen } = testViewer({
		address: at > 0 ? to.slice(0, at) : undefined, port: Number(to.slice(at + 1)), device, secret, id: "test-viewer",
		rights: rights ? Number(rights) : Rights.live | Rights.playback | Rights.talk | Rights.command,
		onFrame: (bytes, info) => {
			save?.write([bytes]);
			// 32-bit ms stamps: the difference taken modulo 2^32
			if (ages) ages.push(((Date.now() - info.timestamp) % 2 ** 32 + 2 ** 32) % 2 ** 32);
		},
	});
	const run = async () => {
		await viewer.connect();
		for (const step of steps) {
			const before = { frames: seen.frames, bytes: seen.bytes, at: monotonic() };
			let result: unknown = "ok";
			if (step.open !== undefined) {
				if (step.save) save = new FileWriter(step.save);
				await viewer.open(step.open);
			}
			else if (step.stop) await viewer.stop();
			else if (step.command !== undefined) {
				const request = step.padTo ? { ...step.command, pad: "" } : step.command;
				if (step.padTo) request.pad = " ".repeat(step.padTo - encodeJsonAscii(request).length);
				for (let i = 0; i < (step.times ?? 1); i++) result = decodeJsonAscii(await viewer.command(encodeJsonAscii(request)));
			}
			else if (step.wait !== undefined) await sleep(step.wait);
			else if (step.latency !== undefined) {
				ages = [];
				await sleep(step.latency);
				result = spread(ages);
				ages = undefined;
			}
			else if (step.talk !== undefined) {
				const audio = new Uint8Array(readFile(step.file!));
				await viewer.talk(step.talk);
				const frames: Uint8Array[] = [];
				if (step.adts) frames.push(...splitAdtsFrames(audio));
				else for (let at = 0; at < audio.length; at += step.frameBytes!) frames.push(audio.slice(at, at + step.frameBytes!));
				let sent = 0;
				while (sent < frames.length) {
					if (viewer.voice(frames[sent], sent * step.everyMs!) !== 0) {
						await sleep(5);
						continue;
					}
					sent++;
					await sleep(step.everyMs!);
				}
				await viewer.endTalk();
				result = { sent };
			}
			trace(`@@step ${JSON.stringify({ step, result, frames: seen.frames - before.frames, bytes: seen.bytes - before.bytes, ms: Math.round(monotonic() - before.at) })}\n`);
		}
	};
	run().catch((error: Error) => { seen.error = error.message; }).then(() => {
		save?.close();
		trace(`@@script ${JSON.stringify(seen)}\n`);
		viewer.close();
		Timer.set(() => exit(0), 50);
	});
}
