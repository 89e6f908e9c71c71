// The profiling host (hosts/linux/README.md "Profiling"): build/bin/ivxs-profile --cpu-profile
// writes XS's sampling profile of the app as a .cpuprofile, and scripts/cpu-profile.mjs reads it.
// A known load (tests/xs-apps/busy: ~8 ms in spin() and ~2 ms in idle() every 20 ms, both through
// work()) must come out as it is: work's time, its two callers, and the loop's waits left out.
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildHostVariant, root, runHost } from "./_host.mjs";
import { profileRows } from "../scripts/cpu-profile.mjs";

test("--cpu-profile: the app's JS time by function, its callers, the host's waits left out; only the profiling host takes it", async (t) => {
	const binary = buildHostVariant("profile");
	const dir = mkdtempSync(join(tmpdir(), "ivxs-profile-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const file = join(dir, "busy.cpuprofile");
	const ms = 1500;
	const run = await runHost(["--cpu-profile", file, "tests/xs-apps/busy", "--", String(ms)], { binary });
	t.is(run.code, 0, run.stdout + run.stderr);
	const { rows, allMs } = profileRows(JSON.parse(readFileSync(file, "utf8")));
	const work = rows.find((r) => r.name === "work");
	const inWork = rows.filter((r) => r.name === "work" || r.callers.includes("work")).reduce((sum, r) => sum + r.selfMs, 0);
	t.log(`${Math.round(allMs)} ms of JS in a ${ms}-ms run (${run.wallS.toFixed(2)} s), ${Math.round(inWork)} ms of it in work() and what it called`);
	t.truthy(work, JSON.stringify(rows.slice(0, 10)));
	t.deepEqual([...work.callers].sort(), ["idle", "spin"], "its callers, from XS's graph");
	t.regex(work.where, /busy\.js:\d+$/);
	t.true(inWork >= 0.8 * allMs, `work and its callees ${inWork} of ${allMs} ms`);
	// a half of the run is work, the rest waiting in the loop: with the waits counted it would be all of it
	t.true(allMs > 0.25 * ms && allMs < 0.75 * run.wallS * 1000, `${allMs} ms of JS in ${run.wallS} s`);

	const plain = await runHost(["--cpu-profile", file, "tests/xs-apps/busy", "--", "10"]);
	t.is(plain.code, 2);
	t.regex(plain.stderr, /--cpu-profile needs the profiling host: node scripts\/build.mjs --variant profile/);
});

test("scripts/cpu-profile.mjs: the top functions by self time, and a clear error for a file that is not a profile", (t) => {
	const profile = {
		nodes: [
			{ id: 1, callFrame: { functionName: "(host)", url: "", lineNumber: -1 }, children: [3, 4] },
			{ id: 2, callFrame: { functionName: "(gc)", url: "", lineNumber: -1 }, children: [] },
			{ id: 3, callFrame: { functionName: "mux", url: "m.js", lineNumber: 9 }, children: [4] },
			{ id: 4, callFrame: { functionName: "write", url: "", lineNumber: -1 }, children: [] },
		],
		samples: [3, 4, 4, 2, 3], timeDeltas: [1000, 2000, 2000, 500, 1500],
	};
	const { rows, allMs } = profileRows(profile);
	t.is(allMs, 7);
	t.like(rows.find((r) => r.name === "mux"), { where: "m.js:10", selfMs: 2.5, callers: ["(host)"] });
	t.deepEqual(rows.find((r) => r.name === "write").callers, ["(host)", "mux"]);
	const dir = mkdtempSync(join(tmpdir(), "ivxs-profile-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const good = join(dir, "p.cpuprofile"), bad = join(dir, "bad.cpuprofile");
	writeFileSync(good, JSON.stringify(profile));
	writeFileSync(bad, "{\"nodes\":");
	const out = spawnSync(process.execPath, [join(root, "scripts/cpu-profile.mjs"), good, "--top", "2"], { encoding: "utf8" });
	t.is(out.status, 0, out.stderr);
	t.regex(out.stdout, /5 samples, 7 ms/);
	t.regex(out.stdout, /4\.0\s+57\.1\s+write\s+\(\(host\), mux\)/);
	t.notRegex(out.stdout, /\(gc\)/, "--top 2");
	const refused = spawnSync(process.execPath, [join(root, "scripts/cpu-profile.mjs"), bad], { encoding: "utf8" });
	t.is(refused.status, 2);
	t.regex(refused.stderr, /not a \.cpuprofile/);
});
