// A power cut (SIGKILL of the host) at 24 points of an update — 20 spread over the download,
// 4 after its last byte (hashing, unpacking, staging) — always leaves a camera that boots: the
// active slot's files are byte for byte what they were, and the next boot runs either the old
// version or, when the cut came after staging, the new one as a trial that confirms.
import test from "ava";
import { spawn } from "node:child_process";
import { cpSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { hostBinary, root, runHost } from "../_host.mjs";
import { appLayer, makeBundle, makeKey, probeLayer, rangeServer, tempDir } from "./_ota.mjs";

const dir = tempDir();
const key = makeKey(dir, "key");
const keys = { [key.keyId]: key.point };
const server = await rangeServer();
test.after.always(() => server.close());

const lineOf = (stdout, tag) => {
	const line = stdout.split("\n").find((l) => l.startsWith(`@@${tag} `));
	return line ? JSON.parse(line.slice(tag.length + 3)) : undefined;
};
const installArgs = (data, path) => ["--data", data, "tests/ota/install-app", "--", JSON.stringify({ port: server.port, path, keys })];
const boot = async (data) => {
	const result = await runHost(["--data", data, "modules/ota-probe/main"], { timeoutMs: 30_000 });
	return { ...result, probe: lineOf(result.stdout, "probe") };
};

/** Every file under folder → its SHA-256 (what "untouched" means). */
function treeHash(folder) {
	const out = {};
	const walk = (path) => {
		for (const name of readdirSync(path).sort()) {
			const full = join(path, name);
			if (statSync(full).isDirectory()) walk(full);
			else out[full.slice(folder.length)] = createHash("sha256").update(readFileSync(full)).digest("hex");
		}
	};
	walk(folder);
	return out;
}

test("SIGKILL at 24 points of a download and switch leaves the active slot untouched and the camera bootable", async (t) => {
	// 1.0.0 installed and confirmed in slot a: the template every cut starts from.
	const template = join(dir, "template");
	makeBundle({ key, version: "1.0.0", modules: probeLayer(join(dir, "v1"), "1.0.0"), out: join(dir, "v1.ivxs") });
	server.serve("/v1.ivxs", readFileSync(join(dir, "v1.ivxs")));
	t.true(lineOf((await runHost(installArgs(template, "/v1.ivxs"))).stdout, "ota").ok);
	t.is((await boot(template)).probe.version, "1.0.0");
	const activeFiles = treeHash(join(template, "ota/a"));

	// 2.0.0 with 400 KB of module text, served in 4 KiB pieces 1 ms apart.
	const layer = probeLayer(join(dir, "v2"), "2.0.0");
	appLayer(layer, { "modules/ota-probe/filler.js": `export const filler = "${"x".repeat(400_000)}";\n` });
	makeBundle({ key, version: "2.0.0", modules: layer, out: join(dir, "v2.ivxs") });
	const bytes = readFileSync(join(dir, "v2.ivxs"));

	const outcomes = { old: 0, trial: 0 };
	// Fractions of the payload sent before the cut, then times after its last byte.
	const cuts = [...Array.from({ length: 20 }, (_, i) => ({ at: (i + 0.5) / 20 })), ...[0, 3, 10, 30].map((ms) => ({ afterMs: ms }))];
	for (const [i, cut] of cuts.entries()) {
		const data = join(dir, `cut-${i}`);
		cpSync(template, data, { recursive: true });
		const child = spawn(hostBinary, installArgs(data, "/v2.ivxs"), { cwd: root, stdio: "ignore" });
		const kill = () => child.kill("SIGKILL");
		server.serve("/v2.ivxs", bytes, {
			chunk: 4096, delayMs: 1,
			onSent(sent, start, length) {
				if (start === 0) return;   // the header's read
				if (cut.at !== undefined && sent >= cut.at * length) kill();
				if (cut.afterMs !== undefined && sent === length) setTimeout(kill, cut.afterMs);
			},
		});
		const [code, signal] = await new Promise((resolve) => child.on("close", (c, s) => resolve([c, s])));
		t.deepEqual(treeHash(join(data, "ota/a")), activeFiles, `cut ${i}: the active slot is untouched`);
		const first = await boot(data);
		t.is(first.code, 0, `cut ${i} (${JSON.stringify(cut)}, install ended ${signal ?? code}): ${first.stdout}${first.stderr}`);
		if (first.probe?.version === "2.0.0") {
			outcomes.trial++;
			t.true(first.probe.record.trial, `cut ${i}: 2.0.0 runs only as a trial`);
			t.like((await boot(data)).probe, { version: "2.0.0", record: { active: "b" } });
		}
		else {
			outcomes.old++;
			t.like(first.probe, { version: "1.0.0", record: { active: "a", trial: false } }, `cut ${i}`);
		}
	}
	t.log(`after the cut: ${outcomes.old} booted 1.0.0, ${outcomes.trial} tried and confirmed 2.0.0`);
	t.true(outcomes.old >= 20, "the cuts inside the download all left 1.0.0");
});
