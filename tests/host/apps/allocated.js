// memory().allocated: the bytes the machine allocated, across the collections that freed them.
import { memory, collectGarbage } from "ivxs/host";

const N = 100000;
const before = memory();
let kept;
for (let i = 0; i < N; i++) kept = { i, j: i + 1 };   // an instance and two properties: 3 slots
const objects = memory();
trace(`object ${(objects.allocated - before.allocated) / N} bytes; collections ${objects.collections - before.collections}\n`);
let text = "";
for (let i = 0; i < 1000; i++) text = "x".repeat(4000);   // a 4001-byte chunk and its slot each
const strings = memory();
trace(`string ${Math.round((strings.allocated - objects.allocated) / 1000)} bytes\n`);
collectGarbage();
const after = memory();
trace(`a collection allocates ${after.allocated - strings.allocated} bytes and frees ${strings.chunks + strings.slots - after.chunks - after.slots} of ${strings.chunks + strings.slots}\n`);
trace(`${kept.j} ${text.length}\n`);
// memory().malloc: the C heap, which holds the XS heap's blocks — a 3 MB string grows it by as much
const held = memory().malloc;
const big = "y".repeat(3_000_000);
trace(`malloc grew ${memory().malloc - held} bytes for ${big.length}\n`);
