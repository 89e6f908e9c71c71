// `npm run firmware`: the sample C firmware (hosts/linux/capi/sample/iv_cs_sample.c: seed 000's
// loop, encoder → iv_cs_push_stream, linked with libivxs) against a running cloud.
//
//   npm start -- --cloud-only        (in another terminal: the cloud, and demo-cam's device file)
//   npm run firmware                 pushes the sample clip as demo-cam until Ctrl-C
//   npm run firmware -- --seconds 20 --event-at 5 --device ivxs-data/device.json
//   npm run firmware -- --own-stream  viewers get the firmware's own FLV (send_get_cb), not the ring:
//                                     npm run view -- demo-cam --format raw -o live.flv
//
// The device file is the camera's (--device, default ivxs-data/device.json, the one
// `npm start` writes): the same id, secret and cloud, with its channels replaced by one the
// firmware feeds ({ "codec": "h264", "firmware": { "audio": true } }). The camera app keeps its
// data in ivxs-data/firmware. The sample prints its start/stop callbacks and, at the end, what it
// pushed (@@sample) and what the camera uploaded (@@camera).
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { root } from "./build.mjs";
import { helpIfAsked } from "./usage.mjs";

const usage = "usage: npm run firmware -- [--device FILE] [--seconds N] [--event-at S] [--own-stream]";
const args = process.argv.slice(2);
helpIfAsked(args, import.meta.url);
let device = join(root, "ivxs-data/device.json");
const passed = [];
for (let i = 0; i < args.length; i++) {
	if (args[i] === "--device" && args[i + 1]) device = resolve(args[++i]);
	else if ((args[i] === "--seconds" || args[i] === "--event-at") && args[i + 1]) passed.push(args[i], args[++i]);
	else if (args[i] === "--own-stream") passed.push(args[i]);
	else {
		console.error(`npm run firmware: unknown argument ${args[i]}\n${usage}`);
		process.exit(2);
	}
}
let camera;
try {
	camera = JSON.parse(readFileSync(device, "utf8"));
}
catch (error) {
	console.error(`npm run firmware: cannot read the device file ${device} (${error.message}): start the cloud first (npm start -- --cloud-only) or give --device\n${usage}`);
	process.exit(2);
}
const data = join(root, "ivxs-data/firmware");
mkdirSync(data, { recursive: true });
const file = join(data, "device.json");
writeFileSync(file, JSON.stringify({ ...camera, channels: [{ codec: "h264", firmware: { audio: true } }] }, null, 2));
const child = spawn(join(root, "build/bin/iv_cs_sample"), passed, {
	cwd: root, stdio: "inherit",
	// --p2p-loopback as `npm start` gives it: the cloud and a viewer (`npm run view`) are on this machine
	env: { ...process.env, IVXS_DEVICE: file, IVXS_DATA: data, IVXS_CAMERA_ARGS: "--summary --p2p-loopback" },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
