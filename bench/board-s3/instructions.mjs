/*
 * The cores' own instruction counts, as the emulator image prints them (hosts/esp32s3/instructions):
 *   instructions: <ms since boot>,<core 0 total>,<core 1 total>    once a second
 *   task times: <name>=<µs>,…                                      every 5 s (FreeRTOS run-time stats)
 * Between on() and off(), the first and the last line of each kind in the window give the
 * instructions per second per core, and each task's share of the time the cores were not idle —
 * which splits the count by task as time splits it (a task's instructions per µs taken as the
 * others': an estimate, said so in the bench's output).
 */
const IDLE = /^IDLE\d*$/;

export function instructionFigures() {
	let recording = false, first, last, tasksFirst, tasksLast;
	return {
		line(text) {
			if (!recording) return;
			if (text.startsWith("instructions: ")) {
				const v = text.slice(14).trim().split(",").map(Number);
				if (v.length < 2 || v.some((x) => !Number.isSafeInteger(x))) return;   // a line cut by another task's output
				const sample = { ms: v[0], cores: v.slice(1) };
				first ??= sample;
				last = sample;
			}
			else if (text.startsWith("task times: ")) {
				const tasks = new Map();
				for (const pair of text.slice(12).trim().split(",")) {
					const at = pair.lastIndexOf("=");
					const us = Number(pair.slice(at + 1));
					if (at <= 0 || !Number.isSafeInteger(us)) return;
					tasks.set(pair.slice(0, at), us);
				}
				tasksFirst ??= tasks;
				tasksLast = tasks;
			}
		},
		on() { recording = true; },
		off() { recording = false; },
		/** { seconds, perS, coresPerS, byTask: { name: per s } } over the window, or undefined with fewer than two lines. */
		values() {
			if (!first || last.ms <= first.ms) return undefined;
			const seconds = (last.ms - first.ms) / 1000;
			const coresPerS = last.cores.map((n, core) => Math.round((n - first.cores[core]) / seconds));
			const perS = coresPerS.reduce((a, b) => a + b, 0);
			const busy = new Map();
			for (const [name, us] of tasksLast ?? []) {
				const spent = us - (tasksFirst.get(name) ?? 0);   // a task started in the window counts from 0
				if (!IDLE.test(name) && spent > 0) busy.set(name, (busy.get(name) ?? 0) + spent);
			}
			const busyUs = [...busy.values()].reduce((a, b) => a + b, 0);
			const byTask = Object.fromEntries([...busy].sort((a, b) => b[1] - a[1]).map(([name, us]) => [name, Math.round((perS * us) / busyUs)]));
			return { seconds, perS, coresPerS, byTask };
		},
	};
}
