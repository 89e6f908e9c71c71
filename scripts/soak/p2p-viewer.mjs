// A P2P viewer for the soak: the viewer app (modules/app/viewer, what `npm run view` runs) on the
// XS host, watching live into /dev/null, started again whenever it ends (the camera went away, a
// cut, a refusal). `frames` counts every frame it received over all its runs; SIGSTOP and SIGCONT
// stall it as a frozen player. `netns`: it runs in that network namespace (`ip netns exec`, which
// execs: the pid stays the viewer's), where its address can change under it.
import { join } from "node:path";
import { root } from "../build.mjs";
import { running, startChild, stopChild } from "./proc.mjs";

export class P2PViewer {
	#child;
	#o;
	#runFrames = 0;
	#stopping = false;
	frames = 0;
	restarts = 0;
	/** Reports of the camera seeing this viewer at a new address, or of the viewer seeing itself move. */
	moves = 0;
	/** { t, candidates } of each time this viewer told the camera its own new candidates (its host's
	 * addresses changed: `view-candidates` of who "viewer"), in the viewer's placeOf form. */
	announced = [];
	errors = [];

	constructor({ name, cloudUrl, device, session, logFile, netns }) {
		this.#o = { name, cloudUrl, device, session, logFile, netns };
	}

	get pid() { return running(this.#child) ? this.#child.pid : undefined; }

	start() {
		this.#loop();
	}

	async #loop() {
		while (!this.#stopping) {
			try {
				await this.#once();
			}
			catch (error) {
				this.errors.push({ t: Date.now(), msg: error.message });
			}
			if (this.#stopping) break;
			this.restarts++;
			await new Promise((resolve) => setTimeout(resolve, 1000));
		}
	}

	async #once() {
		const { cloudUrl, device, session, logFile, netns } = this.#o;
		const url = new URL(cloudUrl);
		const cookie = await session.cookie();
		this.#runFrames = 0;
		const viewer = [join(root, "build/bin/ivxs"), "modules/app/viewer", "--", "--cloud", url.host, "--host", url.host,
			"--device", device, "--format", "fmp4", "--cookie", cookie, "--params", "action=live", "--out", "/dev/null"];
		const [command, ...args] = netns ? ["ip", "netns", "exec", netns, ...viewer] : viewer;
		this.#child = startChild(command, args, {
			cwd: root, logFile,
			onLine: (line) => {
				const m = /^@@(view[a-z-]*) (.*)$/.exec(line);
				if (!m) return;
				const report = JSON.parse(m[2]);
				if (m[1] === "view" && report.frames > this.#runFrames) {
					this.frames += report.frames - this.#runFrames;
					this.#runFrames = report.frames;
				}
				else if (m[1] === "view-moved") this.moves++;
				else if (m[1] === "view-candidates" && report.who === "viewer") this.announced.push({ t: Date.now(), candidates: String(report.candidates) });
				else if (m[1] === "view-error" && /401|403/.test(m[2])) session.cookie(true).catch(() => {});
			},
		});
		await this.#child.exited;
	}

	/** Freezes (SIGSTOP) or thaws (SIGCONT) the running viewer. */
	freeze(on) {
		if (this.pid) process.kill(this.pid, on ? "SIGSTOP" : "SIGCONT");
	}

	async stop() {
		this.#stopping = true;
		if (this.pid) process.kill(this.pid, "SIGCONT");
		await stopChild(this.#child, 3000);
	}
}
