/*
 * `node scripts/cpu-profile.mjs <file.cpuprofile> [--top N] [--json]` — where the app's JS time
 * went, from the profile the profiling host writes (`build/bin/ivxs-profile --cpu-profile FILE …`,
 * hosts/linux/README.md "Profiling"): each function's self time (the samples taken in it), in ms
 * and as a share of all samples' time, and the functions that called it, the top N (default 25) by
 * self time. XS writes a graph, not a tree — one node per function, its children every function it
 * called from anywhere — so time through a function (its callees') cannot be told apart by caller
 * and is not reported. `(host)` is C outside any JS call, `(gc)` the collector; `@name` a host
 * function. The time is wall time the app spent running (the loop's waits are left out), so a
 * host function's includes the system calls it makes. --json prints the rows as JSON.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { helpIfAsked } from "./usage.mjs";

/** { rows: [{ name, where, selfMs, callers }], allMs } from a .cpuprofile's nodes, samples and timeDeltas (µs). */
export function profileRows(profile) {
	const rows = new Map();
	const nameOf = (node) => {
		const { functionName, url, lineNumber } = node.callFrame;
		return `${functionName || "(anonymous)"}${url ? `  ${url}${lineNumber >= 0 ? `:${lineNumber + 1}` : ""}` : ""}`;
	};
	for (const node of profile.nodes) {
		const [name, where = ""] = nameOf(node).split("  ");
		rows.set(node.id, { name, where, selfMs: 0, callers: [] });
	}
	for (const node of profile.nodes)
		for (const child of node.children ?? []) rows.get(child)?.callers.push(rows.get(node.id).name);
	let allMs = 0;
	profile.samples.forEach((id, i) => {
		const ms = (profile.timeDeltas[i] ?? 0) / 1000;
		allMs += ms;
		const row = rows.get(id);
		if (row) row.selfMs += ms;
	});
	return { rows: [...rows.values()], allMs };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const args = process.argv.slice(2);
	helpIfAsked(args, import.meta.url);
	const file = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--top");
	const top = Number(args[args.indexOf("--top") + 1] ?? 25) || 25;
	if (!file) {
		process.stderr.write("usage: node scripts/cpu-profile.mjs <file.cpuprofile> [--top N] [--json]\n");
		process.exit(2);
	}
	let profile;
	try {
		profile = JSON.parse(readFileSync(file, "utf8"));
		if (!Array.isArray(profile.nodes) || !Array.isArray(profile.samples)) throw new Error("no nodes or samples");
	}
	catch (error) {
		process.stderr.write(`cpu-profile: ${file}: not a .cpuprofile (${error.message})\n`);
		process.exit(2);
	}
	const { rows, allMs } = profileRows(profile);
	const sorted = rows.sort((a, b) => b.selfMs - a.selfMs).slice(0, top);
	const share = (ms) => (allMs ? (100 * ms) / allMs : 0);
	if (args.includes("--json")) process.stdout.write(`${JSON.stringify({ allMs, rows: sorted }, null, 1)}\n`);
	else {
		process.stdout.write(`${profile.samples.length} samples, ${allMs.toFixed(0)} ms of JS and collection time\n`);
		process.stdout.write(`${"self ms".padStart(9)} ${"self %".padStart(6)}  function  (called by)\n`);
		for (const r of sorted)
			process.stdout.write(`${r.selfMs.toFixed(1).padStart(9)} ${share(r.selfMs).toFixed(1).padStart(6)}  ${r.name}${r.where ? `  ${r.where}` : ""}${r.callers.length ? `  (${r.callers.slice(0, 4).join(", ")}${r.callers.length > 4 ? ", …" : ""})` : ""}\n`);
	}
}
