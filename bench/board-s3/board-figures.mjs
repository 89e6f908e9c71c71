/*
 * What the release emulator image prints about itself (hosts/esp32s3/figures):
 *   instructions: <ms since boot>,<core 0 total>,<core 1 total>                  once a second
 *   memory: <internal free>,<internal lowest>,<PSRAM free>,<PSRAM lowest>,<PSRAM size>   once a second
 *   task times: <name>=<µs>,…                                                    every 5 s
 * Between on() and off(): the instructions per second per core (the first and the last line in the
 * window), each task's share of the time the cores were not idle — which splits the count by task
 * as time splits it (a task's instructions per µs taken as the others': an estimate, said so in the
 * bench's output) — and the least internal RAM free and the most PSRAM used in the window.
 */
const IDLE = /^IDLE\d*$/;

/** The numbers after `prefix`, or undefined when the line is not one (or another task's output cut into it). */
function numbers(text, prefix, count) {
	if (!text.startsWith(prefix)) return undefined;
	const v = text.slice(prefix.length).trim().split(",").map(Number);
	return v.length >= count && v.every(Number.isSafeInteger) ? v : undefined;
}

export function boardFigures() {
	let recording = false, first, last, tasksFirst, tasksLast, internalFree = Infinity, psramUsed = 0;
	return {
		line(text) {
			if (!recording) return;
			const counted = numbers(text, "instructions: ", 2);
			if (counted) {
				const sample = { ms: counted[0], cores: counted.slice(1) };
				first ??= sample;
				last = sample;
				return;
			}
			const memory = numbers(text, "memory: ", 5);
			if (memory) {
				internalFree = Math.min(internalFree, memory[0]);
				psramUsed = Math.max(psramUsed, memory[4] - memory[2]);
				return;
			}
			if (!text.startsWith("task times: ")) return;
			const tasks = new Map();
			for (const pair of text.slice(12).trim().split(",")) {
				const at = pair.lastIndexOf("=");
				const us = Number(pair.slice(at + 1));
				if (at <= 0 || !Number.isSafeInteger(us)) return;
				tasks.set(pair.slice(0, at), us);
			}
			tasksFirst ??= tasks;
			tasksLast = tasks;
		},
		on() { recording = true; },
		off() { recording = false; },
		/** { seconds, perS, coresPerS, byTask: { name: per s }, internalFree, psramUsed } over the window, or undefined with fewer than two counts. */
		values() {
			if (!first || last.ms <= first.ms) return undefined;
			const seconds = (last.ms - first.ms) / 1000;
			const coresPerS = last.cores.map((n, core) => Math.round((n - first.cores[core]) / seconds));
			const perS = coresPerS.reduce((a, b) => a + b, 0);
			const busy = new Map();
			for (const [name, us] of tasksLast ?? []) {
				const spent = us - (tasksFirst.get(name) ?? 0);   // a task started in the window counts from 0
				if (!IDLE.test(name) && spent > 0) busy.set(name, spent);
			}
			const busyUs = [...busy.values()].reduce((a, b) => a + b, 0);
			const byTask = Object.fromEntries([...busy].sort((a, b) => b[1] - a[1]).map(([name, us]) => [name, Math.round((perS * us) / busyUs)]));
			return { seconds, perS, coresPerS, byTask, internalFree: Number.isFinite(internalFree) ? internalFree : undefined, psramUsed: psramUsed || undefined };
		},
	};
}
