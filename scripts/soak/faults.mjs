// The soak's fault schedule: each kind of fault, what it does, how long it holds, which log lines
// it explains and how soon each subject must be back after it ends. `scheduleFor(minutes)` spreads
// the kinds over the run, in rounds: a 3-minute run has one of each, longer runs repeat them.

/** How soon (s) each subject must be making progress again after a fault ends, unless the fault says otherwise. */
export const DEFAULT_RECOVERY_S = { uploads: 30, viewers: 45, flv: 40, hls: 60 };

/** Lines every fault may cause while it holds and until its subjects are back (reconnects, retries). */
const RECONNECTS = [/retrying/, /control channel/, /connection (reset|refused|closed)/i, /ECONNRESET|ECONNREFUSED|EPIPE|socket hang up|aborted/i, /timed? ?out/i];

export const FAULTS = {
	"cut-short": {
		what: "the camera's network to the cloud (HTTP and MQTT through one proxy) cut for 3 s, shorter than its ring (~8 s)",
		holdS: 3,
		explains: RECONNECTS,
		async apply(w) { w.proxy.cut(3000); await sleep(3000); },
	},
	"cut-long": {
		what: "the camera's network to the cloud cut for 15 s, longer than its ring: the oldest frames are lost and reported as a gap",
		holdS: 15,
		explains: [...RECONNECTS, /gap: \d+ frames overwritten/, /lost/],
		async apply(w) { w.proxy.cut(15_000); await sleep(15_000); },
	},
	"cloud-kill": {
		what: "the cloud (and its embedded MQTT broker) SIGKILLed, started again 3 s later on the same port and data",
		holdS: 3,
		// the cloud's restart and the camera's reconnect can outlast the ~8-s ring: what it
		// overwrote is a gap (seen in a 30-minute run: 31 frames, 6 s after the kill)
		explains: [...RECONNECTS, /50[234]/, /incomplete|partial|orphan|recover/i, /gap: \d+ frames overwritten/],
		recoveryS: { uploads: 40, viewers: 60, flv: 45, hls: 75 },
		async apply(w) { await w.cloud.kill9(); await sleep(3000); await w.cloud.start(); },
	},
	"disk-full": {
		what: "the cloud's data volume (a tmpfs) filled with a ballast file for 12 s, then freed",
		holdS: 12,
		explains: [...RECONNECTS, /ENOSPC|no space|disk full|storage full|full/i, /507/, /gap: \d+ frames/, /lost/],
		async apply(w) { const ballast = w.volume.fill(); await sleep(12_000); w.volume.release(ballast); },
	},
	"clock-jump": {
		what: "the camera's wall clock jumps 10 minutes ahead for 15 s, then back (libfaketime, the camera running)",
		holdS: 15,
		explains: [...RECONNECTS, /clock|401|409|epoch|signature|stale|future/i, /refused/],
		async apply(w) { w.camera.setClock("+600"); await sleep(15_000); w.camera.setClock("+0"); },
	},
	"camera-kill": {
		what: "the camera SIGKILLed, started again 2 s later (its ring is lost: that run's tail is the kill's, not a gap)",
		holdS: 2,
		explains: [...RECONNECTS, /offline|will|presence|session (closed|ended|timed)/i],
		recoveryS: { uploads: 40, viewers: 75, flv: 50, hls: 75 },
		async apply(w) { await w.camera.kill9(); await sleep(2000); w.camera.start(w.remainingS()); },
	},
	"player-stall": {
		what: "stalled players: P2P viewer 1 SIGSTOPped for 10 s, the FLV reader stops reading for 15 s",
		holdS: 15,
		explains: [/slow|behind|stalled|backpressure|cut|drop/i],
		async apply(w) { w.viewers[0].freeze(true); w.flv.stall(15_000); await sleep(10_000); w.viewers[0].freeze(false); await sleep(5000); },
	},
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The schedule for `minutes`: [{ kind, at }] with `at` in seconds from the start of the faults.
 * One round of every kind takes ~3 minutes (a slot each, the fault then its recovery), rounds repeat.
 */
/**
 * The order of a round: the cloud's restart last. A Node process's resident memory grows for its
 * first minutes while V8 sizes its heap (9–11 MiB a minute measured between 30 and 100 s of age,
 * 4 MiB over a 10-minute run): a cloud restarted mid-round would leave the 3-minute run's flatness
 * window (its last two thirds) to a process too young to tell growth from a leak.
 */
export const ROUND = [...Object.keys(FAULTS).filter((kind) => kind !== "cloud-kill"), "cloud-kill"];

export function scheduleFor(minutes, kinds = ROUND) {
	const total = minutes * 60;
	const lead = 15, tail = 20;
	const slot = Math.max(20, (Math.min(total, 180) - lead - tail) / kinds.length);
	const out = [];
	for (let at = lead, i = 0; at + FAULTS[kinds[i % kinds.length]].holdS + tail <= total; at += slot + (i % kinds.length === kinds.length - 1 ? slot : 0), i++)
		out.push({ kind: kinds[i % kinds.length], at: Math.round(at) });
	return out;
}
