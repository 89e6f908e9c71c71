// A preloaded module (tests/host/apps/preloaded.preload lists it): what it holds is shared and
// read-only after preloading, as in a board's flash.
export const words = ["alpha", "beta", "gamma"];      // an array: aliased (copied) when written
export const table = new Map([["a", 1]]);             // a Map: read-only once preloaded
export const settings = { level: 1 };                 // an object: aliased when written
export let count = 0;                                 // a variable: aliased when set
export function bump() { return ++count; }
export class Counter {
	#n = 0;
	static made = 0;
	constructor() { Counter.made++; }
	add(k) { this.#n += k; return this.#n; }
}
// Strings and code in the shared heap, used after the app's collector has compacted its own heap.
export const join = (parts) => parts.map((p) => `${p}-${words[p.length % words.length]}`).join("/");
