// `npm run sign-release` (scripts/sign-release.mjs) run as a person runs it, for the OTA tests and
// `npm run board -- test`: keys and signed bundles made by the real command, not a copy of it.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./native-modules.mjs";

/** Runs sign-release with `args`; its stdout, or throws with its stderr. */
export function signRelease(args, env = process.env) {
	const result = spawnSync(process.execPath, [join(root, "scripts/sign-release.mjs"), ...args], { cwd: root, env, encoding: "utf8" });
	if (result.status !== 0) throw new Error(`sign-release ${args[0]} failed (exit ${result.status}): ${(result.stderr || result.stdout || String(result.error)).trim().split("\n").slice(-4).join("\n")}`);
	return result.stdout;
}

/** A fresh key pair under dir/name: { key (private file), pub (file), keyId, point (hex) }. */
export function makeKey(dir, name, env) {
	const out = join(dir, name);
	signRelease(["keygen", "--out", out], env);
	const pub = join(out, "ota-signing.pub.json");
	const { keyId, key } = JSON.parse(readFileSync(pub, "utf8"));
	return { key: join(out, "ota-signing.key"), pub, keyId, point: key };
}
