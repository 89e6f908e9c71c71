// One fsync for many: whoever asks while an fsync of the same path runs waits
// for the next one, which starts when it ends and covers every write made
// before it began. Concurrent acknowledgements (many cameras' segments landing
// at once) then cost one flush of the WAL, or of a folder, instead of one each,
// and each runs on libuv's thread pool, never on the event loop.
import { open } from "node:fs/promises";

interface Group {
	running?: Promise<void>;
	next?: Promise<void>;
}

const groups = new Map<string, Group>();

async function fsyncOnce(path: string): Promise<void> {
	let handle;
	try {
		handle = await open(path, "r");
	}
	catch (error) {
		// Nothing was ever written there (a WAL before the first commit).
		if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
		throw error;
	}
	try {
		await handle.sync();
	}
	finally {
		await handle.close();
	}
}

/** Resolves once everything written to `path` (a file, or a folder's entries) before the call is on the disk. */
export function fsyncPath(path: string): Promise<void> {
	let group = groups.get(path);
	if (!group) groups.set(path, group = {});
	const start = (): Promise<void> => {
		const run = fsyncOnce(path).finally(() => {
			group.running = undefined;
			if (!group.next) groups.delete(path);
		});
		group.running = run;
		return run;
	};
	if (!group.running) return start();
	// The running fsync may have begun before the caller's write: one more after it.
	return group.next ??= group.running.catch(() => {}).then(() => {
		group.next = undefined;
		return start();
	});
}
