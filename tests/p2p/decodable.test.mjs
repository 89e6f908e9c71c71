// The benchmark's headline figure (bench/p2p/decodable.mjs) on hand-made traces.
import test from "ava";
import { decodableOnTime } from "../../bench/p2p/decodable.mjs";

// "K" key on time, "P" P frame on time, lower case: the same frame lost or late.
const trace = (s) => [...s].map((c) => ({ key: c.toUpperCase() === "K", onTime: c === c.toUpperCase() }));

const cases = [
	["every frame on time", "KPPPKPPP", 8],
	["a late P frame costs the rest of its GOP, not the next one", "KPpPPKPP", 5],
	["a lost key frame costs its whole GOP, even P frames that came on time", "kPPPKPP", 3],
	["frames before the first key frame have nothing to decode from", "PPKP", 2],
	["a late last frame of a GOP costs only itself", "KPPpKP", 5],
	["nothing arrives", "kppkpp", 0],
	["an empty trace", "", 0],
];
for (const [title, s, want] of cases) test(`decodable on time: ${title}`, (t) => t.is(decodableOnTime(trace(s)), want));
