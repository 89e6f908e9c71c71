// memory().reserved: what the app's machine reserved at its creation (the host's sizes, or --creation's).
import { memory } from "ivxs/host";
const m = memory();
trace(`reserved ${m.reserved} chunks ${m.chunks} slots ${m.slots}\n`);
