// --heap-census: what is live after collectGarbage(), by class, a function scope by its variables.
import { collectGarbage } from "ivxs/host";

class Kept {
	#bytes = new ArrayBuffer(1000);
	label = "kept";
}
const kept = [];
for (let i = 0; i < 250; i++) kept.push(new Kept());
let made = 0;
for (let i = 0; i < 5000; i++) made += new Kept().label.length;   // collected: not in the census
function counter() {
	let countedSoFar = 0;
	return () => ++countedSoFar;
}
const counters = [counter(), counter(), counter()];
collectGarbage();
trace(`${kept.length} ${counters.length} ${made}\n`);
const sparse = [];
sparse[100_000_000] = "far";   // a length far past the items it holds
collectGarbage();
trace(`${sparse.length}\n`);
