// Arguments whose getters or valueOf run the garbage collector: the bindings
// must read every argument before they take a pointer into one (the collector
// compacts, so strings and buffers move).
import { FileWriter, readFile } from "ivxs/file";
import { argv, collectGarbage } from "ivxs/host";

let junk, refill;
const churn = () => { junk = []; for (let i = 0; i < 200; i++) junk.push(new Uint8Array(64).fill(i)); };
// Collects the junk, then allocates over where the moved data used to be.
const drop = () => {
	junk = null;
	collectGarbage();
	refill = [];
	for (let i = 0; i < 400; i++) refill.push(new Uint8Array(64).fill(0x5a), `refill ${i} `.repeat(4));
};

export default function () {
	const [dir] = argv();
	for (let round = 0; round < 3; round++) {
		churn();   // junk before the first chunk: collecting it moves the chunk
		const first = new Uint8Array(4096).fill(0x41 + round);
		const path = [dir, `moved-${round}.bin`].join("/");
		const chunks = [first, null];
		Object.defineProperty(chunks, 1, { get() { drop(); return new Uint8Array(16).fill(0x7a); } });
		const writer = new FileWriter(path);
		writer.write(chunks);
		writer.close();
		let calls = 0;   // readFile checks maxBytes in JS first: collect on the binding's call
		const maxBytes = { valueOf() { if (calls++) drop(); return 5000; } };
		churn();
		const again = [dir, `moved-${round}.bin`].join("/");
		const read = new Uint8Array(readFile(again, { maxBytes }));
		const good = read.length === 4112 && read.subarray(0, 4096).every((b) => b === 0x41 + round) && read.subarray(4096).every((b) => b === 0x7a);
		trace(`round ${round}: ${read.length} bytes ${good ? "intact" : "DAMAGED"}\n`);
	}
}
