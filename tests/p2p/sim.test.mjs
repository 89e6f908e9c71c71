// The virtual-time benchmark (bench/p2p/sim.mjs, bench/p2p/p2p-sim.c): its link model is
// link.mjs's (same PRNG, same draws, same fates and times), and a seed gives the same figures.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import test from "ava";
import { oracle, simulate } from "../../bench/p2p/sim.mjs";
import { writeFixtureFrames } from "../../bench/p2p/frames.mjs";
import { burstyLoss, LinkModel } from "./link.mjs";
import { compileWithCore } from "../../bench/p2p/transports.mjs";

const root = join(import.meta.dirname, "../..");
const framesFile = join(root, "build/bench/p2p-sim-test-frames.bin");
const SIM = compileWithCore(join(root, "bench/p2p/p2p-sim.c"), join(root, "build/p2p/p2p-sim"));
await writeFixtureFrames(framesFile);

const models = {
	"rate cap, drop-tail queue, random loss": { delayMs: 30, rateBps: 142500, queueBytes: 15000, loss: 0.05 },
	"Gilbert–Elliott bursts": { delayMs: 30, rateBps: 2e6, queueBytes: 62500, ge: burstyLoss(0.05, 4) },
	"no cap": { delayMs: 30, loss: 0.02 },
};
for (const [name, model] of Object.entries(models)) {
	test(`the C link model decides as link.mjs does: ${name}`, (t) => {
		const n = 3000;
		const args = ["--frames", framesFile, "--seed", "77", "--link-check", String(n), "--delay-ms", String(model.delayMs)];
		if (model.rateBps) args.push("--rate-bps", String(model.rateBps), "--queue-bytes", String(model.queueBytes));
		if (model.loss) args.push("--loss", String(model.loss));
		if (model.ge) args.push("--ge-good-bad", String(model.ge.pGoodBad), "--ge-bad-good", String(model.ge.pBadGood));
		const c = JSON.parse(execFileSync(SIM, args, { encoding: "utf8" }));
		const js = new LinkModel(model, 77);
		const want = Array.from({ length: n }, (_, i) => {
			const r = js.offer(0.5 * i, 100 + ((37 * i) % 1300));
			return r.drop ? null : r.at[0];
		});
		t.is(c.length, n);
		t.true(c.some((x) => x === null) && c.some((x) => x !== null));
		for (let i = 0; i < n; i++) if (!(c[i] === want[i] || Math.abs(c[i] - want[i]) < 1e-5)) return t.fail(`packet ${i}: C ${c[i]}, link.mjs ${want[i]}`);
		t.pass();
	});
}

test("same seed, same run; another seed, another run", (t) => {
	const model = { delayMs: 30, rateBps: 142500, queueBytes: 15000, ge: burstyLoss(0.05, 4) };
	const a = simulate({ framesFile, model, seed: 5, seconds: 6 });
	const b = simulate({ framesFile, model, seed: 5, seconds: 6 });
	const c = simulate({ framesFile, model, seed: 6, seconds: 6 });
	t.deepEqual(a, b);
	t.notDeepEqual(a.camera, c.camera);
});

test("a clean fast link delivers every frame, one way delay plus serialisation", (t) => {
	const { frames, camera } = simulate({ framesFile, model: { delayMs: 30 }, seed: 1, seconds: 4 });
	t.is(frames.length, 60);
	for (const f of frames) t.true(f.arrivalMs - f.captureMs >= 30 && f.arrivalMs - f.captureMs < 50, `${f.arrivalMs - f.captureMs}`);
	t.is(camera.retransmits, 0);
});

// The oracle (p2p-sim.c --oracle): frames back to back at the link rate in the core's datagrams.
function oracleFrames(model, seconds, share = 1) {
	const args = ["--frames", framesFile, "--seconds", String(seconds), "--oracle", String(share), "--delay-ms", String(model.delayMs),
		"--rate-bps", String(model.rateBps), "--queue-bytes", String(model.queueBytes)];
	return JSON.parse(execFileSync(SIM, args, { encoding: "utf8" })).frames;
}

test("with nothing lost the core delivers every frame when the oracle does; with loss never earlier", (t) => {
	const clean = { delayMs: 30, rateBps: 142500, queueBytes: 15000 };
	const o = oracleFrames(clean, 6);
	const { frames } = simulate({ framesFile, model: clean, seed: 1, seconds: 6 });
	t.is(frames.length, o.length);
	for (const [i, f] of frames.entries()) t.true(Math.abs(f.arrivalMs - o[i][1]) < 0.5, `frame ${i}: ${f.arrivalMs} ms, oracle ${o[i][1]} ms`);
	const lossy = simulate({ framesFile, model: { ...clean, loss: 0.05 }, seed: 3, seconds: 6 }).frames;
	t.true(lossy.some((f, i) => f.arrivalMs > o[i][1] + 1));
	for (const [i, f] of lossy.entries()) t.true(f.arrivalMs >= o[i][1] - 0.5, `frame ${i}: ${f.arrivalMs} ms, before the oracle's ${o[i][1]} ms`);
});

test("the oracle less the loss is the oracle at the rate the loss leaves", (t) => {
	const model = { delayMs: 30, rateBps: 142500, queueBytes: 15000, loss: 0.05 };
	const full = oracle({ framesFile, model, seconds: 6 });
	const less = oracle({ framesFile, model, seconds: 6, lossless: false });
	const slower = oracleFrames({ ...model, rateBps: 142500 * 0.95 }, 6);
	t.true(less.latency_ms.p95 > full.latency_ms.p95);
	t.deepEqual(oracleFrames(model, 6, 0.95), slower);
});
