// `npm run demo`: runs the file demo (modules/app/main.ts) on the XS host with
// the embedded defaults, then describes what it wrote with ffprobe when
// installed. Extra arguments go to the demo: npm run demo -- --seconds 30 --codec h265
//   options: --seconds N (10), --codec h264|h265, --out DIR (build/demo: live.mp4, live.flv),
//   --video FILE (Annex-B; default the fixture of the codec), --audio FILE (ADTS AAC),
//   --stills DIR, --fps N (default: probed from the video)
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { root } from "./build.mjs";
import { helpIfAsked } from "./usage.mjs";

const args = process.argv.slice(2);
helpIfAsked(args, import.meta.url);
const out = args.includes("--out") ? args[args.indexOf("--out") + 1] : "build/demo";
const run = spawnSync(join(root, "build/bin/ivxs"), ["modules/app/main", "--", ...args], { cwd: root, stdio: "inherit" });
if (run.status !== 0) process.exit(run.status ?? 1);
const probe = spawnSync("ffprobe", ["-v", "error", "-count_frames", "-show_entries",
	"stream=codec_name,width,height,nb_read_frames", "-of", "compact=p=0:nk=0"], { encoding: "utf8" });
if (probe.error) {
	console.log("(install ffmpeg to have the outputs checked here: apt-get install ffmpeg)");
	process.exit(0);
}
for (const file of ["live.mp4", "live.flv"]) {
	const result = spawnSync("ffprobe", ["-v", "error", "-count_frames", "-show_entries",
		"stream=codec_name,width,height,nb_read_frames", "-of", "compact=p=0", join(out, file)], { cwd: root, encoding: "utf8" });
	console.log(`ffprobe ${join(out, file)}: ${result.stdout.trim().split("\n").join("; ") || result.stderr.trim()}`);
}
console.log(`play it: ffplay ${join(out, "live.mp4")}`);
