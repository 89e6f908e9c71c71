// The cloud's data folder on a small tmpfs the soak mounts (it runs as root, as the tests do:
// cloud/tests/disk-full.test.mjs), so a ballast file can fill it for real. `cannotMount` says why
// not, where mounting is impossible (the disk-full fault is then left out, and the verdict says so).
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export class Volume {
	dir;
	mounted = false;
	cannotMount;

	/** A folder for the cloud's data: a tmpfs of `mib` MiB when it can be mounted. */
	constructor(mib) {
		this.dir = mkdtempSync(join(tmpdir(), "ivxs-soak-cloud-"));
		try {
			execFileSync("mount", ["-t", "tmpfs", "-o", `size=${mib}m`, "tmpfs", this.dir], { stdio: "pipe" });
			this.mounted = true;
		}
		catch (error) {
			this.cannotMount = `cannot mount a tmpfs (${String(error.stderr || error.message).trim()}): disk full needs root`;
		}
	}

	free() {
		const info = statfsSync(this.dir);
		return info.bavail * info.bsize;
	}

	/** Fills the volume to the last 16 KiB with a ballast file; its path. */
	fill() {
		const path = join(this.dir, "ballast");
		const fd = openSync(path, "w");
		const chunk = Buffer.alloc(1024 * 1024);
		try {
			for (let left = this.free() - 16 * 1024; left > 0; left = this.free() - 16 * 1024) writeSync(fd, chunk, 0, Math.min(chunk.length, left));
		}
		catch {}   // ENOSPC: as full as it gets
		finally {
			closeSync(fd);
		}
		return path;
	}

	/** Removes the ballast (or, with no argument, unmounts and removes the folder). */
	release(ballast) {
		if (ballast) return rmSync(ballast, { force: true });
		if (this.mounted) execFileSync("umount", ["-l", this.dir]);
		rmSync(this.dir, { recursive: true, force: true });
	}
}
