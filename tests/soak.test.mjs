// `npm run soak` at its 3-minute schedule (issue 27, README "Soak"): the whole system — cloud,
// camera on the XS host, 4 P2P viewers, an LL-HLS player in Chromium, an FLV reader — through one
// of each fault; its JSON verdict must say ok. The soak's own figures are logged.
import test from "ava";
import { spawn } from "node:child_process";

test("soak › three minutes in the field: every fault recovered within its bound, frames lost = gaps reported, all decodes, resources flat, logs explained", async (t) => {
	t.timeout(8 * 60_000);
	const child = spawn(process.execPath, ["scripts/soak.mjs", "--minutes", "3"], { stdio: ["ignore", "pipe", "pipe"] });
	let stdout = "", stderr = "";
	child.stdout.on("data", (chunk) => (stdout += chunk));
	child.stderr.on("data", (chunk) => (stderr += chunk));
	const code = await new Promise((resolve) => child.on("close", resolve));
	const line = stdout.trim().split("\n").at(-1);
	let verdict;
	try {
		verdict = JSON.parse(line);
	}
	catch {
		t.fail(`no JSON verdict (exit ${code}): ${stdout.slice(-2000)}\n${stderr.slice(-2000)}`);
		return;
	}
	t.log(JSON.stringify({ faults: verdict.faults, frames: verdict.frames, slopesPerMinute: verdict.slopesPerMinute }));
	t.true(verdict.ok, `failures: ${JSON.stringify(verdict.failures, null, 1)}`);
	t.is(code, 0);
});
