// Runs over a preloaded module (preloaded.preload) preloaded (the default) and with --no-preload: the results are
// the same, what a board's flash refuses is refused, and the collector compacts the app's heap
// many times under code and strings that live in the shared machine.
import { memory, collectGarbage } from "ivxs/host";
import { words, table, settings, bump, count, Counter, join } from "preload/state";

const out = [];
out.push(`bump ${bump()} ${bump()} count ${count}`);
settings.level = 2;
words.push("delta");
out.push(`settings ${settings.level} words ${words.join(",")}`);
const a = new Counter(), b = new Counter();
out.push(`counter ${a.add(2)} ${a.add(3)} ${b.add(1)} made ${Counter.made}`);
try { table.set("b", 2); out.push(`map set ${table.size}`); } catch (e) { out.push(`map ${e.constructor.name}: ${e.message}`); }
try { out.push(`stringify ${JSON.stringify(settings)}`); } catch (e) { out.push(`stringify ${e.constructor.name}: ${e.message}`); }
let kept = [];
for (let i = 0; i < 400; i++) {
	kept.push(join([String(i), "x".repeat(i % 17), words[i % 3]]));
	if (kept.length > 50) kept = kept.slice(25);
	if (i % 40 === 0) collectGarbage();
}
out.push(`joined ${kept.length} last ${kept[kept.length - 1]}`);
// A type name from the shared machine's stack, held across compactions of the app's heap.
let typed = 0;
for (let i = 0; i < 20; i++) {
	const kind = typeof i;
	const junk = "y".repeat(64 + i);
	collectGarbage();
	if (kind === "number" && junk.length) typed++;
}
out.push(`typeof ${typed}`);
const m = memory();
out.push(`preloaded ${m.preloaded > 0} collected ${m.collections >= 10}`);
trace(out.join("\n") + "\n");
