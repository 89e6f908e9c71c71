// Playback reads many objects at once (segments of clips, playlists' media):
// the disk store must close each file exactly once. It used to close the
// descriptor twice (the read stream's autoClose, then the FileHandle), and the
// second close hit whatever file or socket had reused the number.
import test from "ava";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DiskStore } from "../../build/node/cloud/src/storage/disk.js";

test("many concurrent ranged reads from the disk store all succeed, each file closed once", async (t) => {
	const dir = mkdtempSync(join(tmpdir(), "ivxs-store-"));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const store = new DiskStore(dir);
	await store.init();
	const objects = 40;
	for (let i = 0; i < objects; i++) await store.put(`media/cam/0/s/${i}.m4s`, Buffer.alloc(10_000 + i, i));
	const closeErrors = [];
	const onWarning = (warning) => closeErrors.push(warning);
	process.on("warning", onWarning);
	t.teardown(() => process.off("warning", onWarning));
	// Readers in parallel, each starting its next read as soon as one ends: a
	// descriptor closed by one is reopened by another at once.
	const failures = [];
	await Promise.all(Array.from({ length: 8 }, async (_, worker) => {
		for (let n = 0; n < 150; n++) {
			const i = (worker * 7 + n) % objects;
			try {
				const bytes = await store.get(`media/cam/0/s/${i}.m4s`, { start: 5, end: 9_999 + i });
				if (bytes.length !== 9_995 + i || !bytes.every((b) => b === i)) failures.push(`object ${i}: wrong bytes`);
			}
			catch (error) {
				failures.push(`object ${i}: ${error.message}`);
			}
		}
	}));
	t.deepEqual(failures.slice(0, 5), []);
	await new Promise((resolve) => setTimeout(resolve, 100));
	t.deepEqual(closeErrors.map(String), []);
});
