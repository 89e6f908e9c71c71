// Several P2P viewers of the camera app at once (issue 14 §2): 32 on Linux (`--viewers 32`),
// every one live from the ring with its own congestion state; and a camera-wide uplink budget
// (`--uplink-kbps`) the viewers share evenly. The viewers run in one second XS process.
import test from "ava";
import { cloudFor, deviceIn } from "../cloud/tests/_cloud.mjs";
import { deviceFile, runCamera } from "./_camera.mjs";
import { runHost } from "./_host.mjs";

const device = { id: "viewcam-1", secret: "s".repeat(16) + "0123456789abcdef0123456789abcdef" };

/** `until`: { frames, keys } — the viewers watch until each has that many (`seconds` then a deadline). */
async function watch(t, { viewers, count, seconds, until, args = [], camera: cam = device, cloudUrl = "http://127.0.0.1:9" }) {
	const file = deviceFile(t, cam, cloudUrl);
	const port = 20000 + Math.floor(Math.random() * 30000);
	let ready;
	const started = new Promise((resolve) => { ready = resolve; });
	const camera = runCamera(file, {
		seconds: seconds + 12, args: ["--p2p", String(port), "--viewers", String(viewers), ...args],
		onStdout: (chunk) => { if (chunk.includes("p2p: viewers on UDP port")) ready(); },
	});
	await Promise.race([started, camera]);
	await new Promise((r) => setTimeout(r, 2000));   // a key frame or two in the ring
	const run = await runHost(["tests/xs-apps/p2p-viewers", "--", String(port), cam.id, cam.secret, String(count), String(seconds), ...(until ? [String(until.frames), String(until.keys)] : [])], { timeoutMs: (seconds + 60) * 1000 });
	const line = run.stdout.split("\n").find((l) => l.startsWith("@@viewers "));
	const { stdout, code, summary } = await camera;
	t.truthy(line, `viewers: ${run.stdout}${run.stderr}\ncamera: ${stdout.slice(-2000)}`);
	t.is(code, 0);
	return { seen: JSON.parse(line.slice(10)), stdout, summary };
}

test("32 viewers watch live at once on Linux, each with key frames", async (t) => {
	// each until it has 30 frames (two seconds of the sample) and 2 key frames: on an idle machine
	// in about 5 s; a loaded one takes longer (its 32 viewers share one XS process), up to 25 s
	const { seen, stdout } = await watch(t, { viewers: 32, count: 32, seconds: 25, until: { frames: 30, keys: 2 } });
	t.log({ frames: seen.map((v) => v.frames), firstKey: seen.filter((v) => v.firstKey).length });
	t.deepEqual(seen.filter((v) => v.error), []);
	for (const [i, v] of seen.entries()) {
		// (the first frame delivered may be an audio frame — audio never waits for a key frame;
		// starting at the newest key frame is tests/camera-p2p's and the API test's)
		t.true(v.keys >= 2, `viewer ${i}: ${v.keys} key frames`);
		t.true(v.frames >= 30, `viewer ${i}: ${v.frames} frames in ${v.watchedMs} ms`);
	}
	t.is((stdout.match(/p2p: viewer-\d+ watches/g) ?? []).length, 32);
});

test("a viewer beyond --viewers is refused; the camera-wide budget is shared evenly between viewers", async (t) => {
	// the sample is about 18 KB/s: five viewers would take 90 KB/s; the budget is 40 KB/s (320 kbit/s,
	// no cloud storage uploading here: all of it is the viewers')
	const seconds = 6;
	const { seen } = await watch(t, { viewers: 5, count: 6, seconds, args: ["--uplink-kbps", "320"] });
	t.log(seen.map((v) => ({ frames: v.frames, bytes: v.bytes, error: v.error })));
	const refused = seen.filter((v) => v.error);
	t.is(refused.length, 1, "the sixth viewer is refused");
	const watching = seen.filter((v) => !v.error);
	const total = watching.reduce((sum, v) => sum + v.bytes, 0);
	const mean = total / watching.length;
	t.true(total <= 40_000 * seconds * 1.1, `${total} bytes in ${seconds} s`);
	t.true(total >= 40_000 * seconds * 0.5, `${total} bytes: the budget is used`);
	// (not firstKey here: within a short budget an audio frame, which never waits, can arrive before
	// the first key frame is whole)
	// Fair: each viewer's rate over all the time it watched is at least half the mean rate. Over its
	// own time, not the run's window: on a loaded machine some open seconds late (their bytes in the
	// window were half the mean at an even share). A viewer starved all along still fails.
	const rates = watching.map((v) => (v.watchedMs > 0 ? (v.bytes * 1000) / v.watchedMs : 0));
	const meanRate = rates.reduce((sum, r) => sum + r, 0) / rates.length;
	t.log({ watchedMs: watching.map((v) => v.watchedMs), rates: rates.map(Math.round) });
	for (const [i, v] of watching.entries()) t.true(rates[i] >= meanRate * 0.5, `a fair share: ${Math.round(rates[i])} B/s of mean ${Math.round(meanRate)} B/s (${v.bytes} B in ${v.watchedMs} ms)`);
});

test("with cloud storage uploading, the viewers share what it leaves of the uplink, and it loses nothing", async (t) => {
	const cloud = await cloudFor(t);   // a continuous plan: cloud storage uploads all along
	const cam = await deviceIn(cloud);
	// 600 kbit/s = 75 000 B/s; the sample produces about 18 KB/s: cloud storage keeps 1.5 × that
	const seconds = 6;
	const { seen, stdout, summary } = await watch(t, { viewers: 4, count: 4, seconds, camera: cam, cloudUrl: cloud.url, args: ["--uplink-kbps", "600"] });
	const budgets = [...stdout.matchAll(/p2p: uplink 75000 B\/s: viewers (\d+) B\/s, cloud storage (\d+) B\/s produced/g)].map((m) => [Number(m[1]), Number(m[2])]);
	t.log({ budgets, viewers: seen.map((v) => v.bytes), cs: summary.channels["0"] });
	t.true(budgets.length >= 1, "the budget was set while cloud storage uploads");
	const [budget, produced] = budgets[budgets.length - 1];
	t.true(Math.abs(budget - (75_000 - produced * 1.5)) <= 2, `${budget} = 75000 − 1.5 × ${produced}`);
	t.true(produced > 10_000 && produced < 40_000, `${produced} B/s produced`);
	const total = seen.reduce((sum, v) => sum + v.bytes, 0);
	t.true(total <= budget * seconds * 1.1, `viewers: ${total} bytes in ${seconds} s within ${budget} B/s`);
	t.true(seen.every((v) => !v.error && v.frames > 20), JSON.stringify(seen));
	const cs = summary.channels["0"];
	t.true(cs.segmentsStored >= 3, `${cs.segmentsStored} segments stored`);
	t.is(cs.framesLost, 0);
});
