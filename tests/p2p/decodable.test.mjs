// The benchmark's headline figure (bench/p2p/decodable.mjs) on hand-made traces: 15 fps,
// deadline 400 ms, latencies in ms (Infinity: never received intact), "K" marks key frames.
import test from "ava";
import { decodableOnTime } from "../../bench/p2p/decodable.mjs";

const trace = (gops, latencies) => [...gops].map((c, i) => ({ key: c === "K", captureMs: (1000 * i) / 15, arrivalMs: (1000 * i) / 15 + latencies[i] }));
const cases = [
	["every frame on time", "KPPPKPPP", [100, 100, 100, 100, 100, 100, 100, 100], 8],
	["a lost P frame costs the rest of its GOP, not the next GOP", "KPPPPKPP", [100, 100, Infinity, 100, 100, 100, 100, 100], 5],
	["a lost key frame costs its whole GOP, even P frames that came on time", "KPPPKPP", [Infinity, 100, 100, 100, 100, 100, 100], 3],
	["frames before the first key frame have nothing to decode from", "PPKP", [100, 100, 100, 100], 2],
	["a late frame counts for the frames whose deadline it still makes: key 450 ms late, the next P frame in time", "KPPP", [450, 100, 100, 100], 3],
	["a frame about 1 s late holds up the frames behind it until it is there", "KPPPPPPPPPPPP", [100, 1010, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100], 1 + 2],   // frame 1 there at 1077 ms: in time for frames 11 and 12 only (their deadlines 1133, 1200 ms)
	["a late last frame of a GOP costs only itself", "KPPPKP", [100, 100, 100, 500, 100, 100], 5],
	["nothing arrives", "KPPKPP", [Infinity, Infinity, Infinity, Infinity, Infinity, Infinity], 0],
	["an empty trace", "", [], 0],
];
for (const [title, gops, latencies, want] of cases) test(`decodable on time: ${title}`, (t) => t.is(decodableOnTime(trace(gops, latencies), 400), want));
