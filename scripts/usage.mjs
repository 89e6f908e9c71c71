// `--help` (or `-h`) on a command line asks for its usage: printed on stdout, exit 0, before the
// command does anything. The usage is the script's own header comment, the one text a reader of
// the source and a user at the terminal both see (so it cannot drift from a second copy). A usage
// *mistake* is another thing: each script says what was wrong, on stderr, and exits 2.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const asksForHelp = (args) => args.some((arg) => arg === "--help" || arg === "-h");

/** The comment a file starts with (`//` lines or one block comment), its markers taken off. */
export function headerComment(text) {
	const block = /^\/\*([\s\S]*?)\*\//.exec(text);
	if (block) return block[1].split("\n").map((line) => line.replace(/^\s?\*\s?/, "")).join("\n").trim();
	const lines = text.split("\n");
	const end = lines.findIndex((line) => !line.startsWith("//"));
	return lines.slice(0, end < 0 ? lines.length : end).map((line) => line.replace(/^\/\/ ?/, "")).join("\n").trim();
}

/** Exits 0 with the header comment of `moduleUrl` (import.meta.url) when `args` ask for help. */
export function helpIfAsked(args, moduleUrl) {
	if (!asksForHelp(args)) return;
	process.stdout.write(`${headerComment(readFileSync(fileURLToPath(moduleUrl), "utf8"))}\n`);
	process.exit(0);
}
