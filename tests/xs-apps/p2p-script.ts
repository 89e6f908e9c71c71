// A scripted viewer on the XS host for the camera-app P2P tests (playback, commands, talkback):
// mints a ticket as the cloud does (modules/protocol), connects to the camera app's P2P port and
// runs the steps of a JSON script, printing each step's result as "@@step {json}" and at the end
// "@@script {json}" (media frames and bytes seen, per step).
//   ivxs tests/xs-apps/p2p-script -- PORT DEVICE SECRET '[{ "open": "action=…", "save": "FILE" }, { "wait": 1000 }, …]'
// Steps: { open, save? } opens the stream (media is appended to `save`); { stop: true };
// { command: {…} } sends a built-in command (its JSON reply is the result); { wait: ms };
// { talk: params, file, frameBytes, everyMs } sends a file as talkback frames, then ends it.
import Timer from "timer";
import { Rights } from "p2p";
import { FileWriter, argv, exit, monotonic, readFile } from "ivxs/platform";
import { decodeJsonAscii, encodeJsonAscii } from "../../modules/protocol/viewer-commands.js";
import { testViewer } from "./_viewer.js";

type Step = { open?: string; save?: string; stop?: boolean; command?: unknown; wait?: number; talk?: string; file?: string; frameBytes?: number; everyMs?: number };

const sleep = (ms: number) => new Promise((resolve) => Timer.set(resolve, ms));

export default function main(): void {
	const [port, device, secret, script] = argv();
	const steps = JSON.parse(script) as Step[];
	let save: FileWriter | undefined;
	const { viewer, seen } = testViewer({
		port: Number(port), device, secret, id: "test-viewer", rights: Rights.live | Rights.playback | Rights.talk | Rights.command,
		onFrame: (bytes) => save?.write([bytes]),
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
			else if (step.command !== undefined) result = decodeJsonAscii(await viewer.command(encodeJsonAscii(step.command)));
			else if (step.wait !== undefined) await sleep(step.wait);
			else if (step.talk !== undefined) {
				const audio = new Uint8Array(readFile(step.file!));
				await viewer.talk(step.talk);
				let sent = 0;
				for (let at = 0; at < audio.length;) {
					const frame = audio.slice(at, at + step.frameBytes!);
					if (viewer.voice(frame, sent * step.everyMs!) !== 0) {
						await sleep(5);
						continue;
					}
					at += frame.length;
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
