import test from "ava";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cloudFor } from "./_cloud.mjs";

const cli = join(import.meta.dirname, "../../build/node/cloud/src/cli.js");

test("device add prints the secret once; a second add of the same id is refused", (t) => {
	const data = mkdtempSync(join(tmpdir(), "ivxs-cli-"));
	t.teardown(() => rmSync(data, { recursive: true, force: true }));
	const out = JSON.parse(execFileSync(process.execPath, [cli, "device", "add", "cam1", "--channels", "4", "--data", data], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
	t.is(out.id, "cam1");
	t.is(out.channels, 4);
	t.true(out.secret.length >= 32);
	const again = spawnSync(process.execPath, [cli, "device", "add", "cam1", "--data", data], { encoding: "utf8" });
	t.is(again.status, 1);
	t.regex(again.stderr, /already exists/);
	const bad = spawnSync(process.execPath, [cli, "device", "add", "../x", "--data", data], { encoding: "utf8" });
	t.is(bad.status, 1);
	t.regex(bad.stderr, /device id must match/);
	t.regex(execFileSync(process.execPath, [cli, "device", "list", "--data", data], { encoding: "utf8" }), /^cam1\tcam1\t4 channel/);
});

test("health and metrics answer; unknown paths are a JSON 404", async (t) => {
	const cloud = await cloudFor(t);
	t.like(await (await fetch(`${cloud.url}/healthz`)).json(), { ok: true, storage: "disk" });
	t.regex(await (await fetch(`${cloud.url}/metrics`)).text(), /ivxs_process_resident_bytes \d+/);
	const missing = await fetch(`${cloud.url}/v1/nothing/here`);
	t.is(missing.status, 404);
	t.regex((await missing.json()).error, /no such endpoint/);
});
