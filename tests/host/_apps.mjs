// Helpers for the host's tests: run an app from tests/host/apps, and a
// temporary folder removed after the test.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runHost, root, build } from "../_host.mjs";

export const apps = ["-m", join(root, "tests/host/apps"), "-m", join(build, "mods")];
export const app = (name, extra = [], options) => runHost([...apps, ...extra, name], options);

export function tempDir(t) {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-host-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	return dir;
}
