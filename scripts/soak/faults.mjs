// The soak's fault schedule: each kind of fault, what it does, how long it holds, which log lines
// it explains (and which one it must cause: `expects`) and how soon each subject must be back after it ends. `scheduleFor(minutes)` spreads
// the kinds over the run, in rounds: a 3-minute run has one of each, longer runs repeat them.

/** How soon (s) each subject must be making progress again after a fault ends, unless the fault says otherwise. */
export const DEFAULT_RECOVERY_S = { uploads: 30, viewers: 45, flv: 40, hls: 60 };

/** Lines every fault may cause while it holds and until its subjects are back (reconnects, retries). */
const RECONNECTS = [/retrying/, /control channel/, /connection (reset|refused|closed)/i, /ECONNRESET|ECONNREFUSED|EPIPE|socket hang up|aborted/i, /timed? ?out/i];

export const FAULTS = {
	"cut-short": {
		what: "the camera's network cut for 1.5 s (HTTP to the cloud and MQTT to the broker, each through its proxy): with the uploader's backoff still shorter than its ring (~8 s)",
		// The uploader waits 0.25–0.5, 0.5–1, 1–2, 2–4 s after failures (modules/cs/uploader.ts):
		// its next attempt after a cut of 1.5 s comes by 3.5 s, its oldest frame held a segment
		// (~2 s) older. A 3-s cut could leave it 7.5 s, and did: 30 frames overwritten, the
		// first attempt through 6.4 s after the cut began, 8.3 s after the oldest frame.
		holdS: 1.5,
		explains: RECONNECTS,
		async apply(w) { w.proxy.cut(1500); await sleep(1500); },
	},
	"viewer-move": {
		what: "P2P viewer 4 (in a network namespace on tests/_netns.mjs's internet) changes its address mid-stream, as a phone between networks: the camera validates the new address and moves the session (PEER_ADDR_CHANGED, its `p2p: event 3`)",
		holdS: 2,
		explains: [/p2p: event 3\b/, /p2p: viewer [0-9a-f]+ moved/],
		// Without it the viewer was back by starting a new session, not by the session moving.
		expects: /p2p: event 3\b/,
		async apply(w) { w.topo.renumber("viewer"); await sleep(2000); },
	},
	"cut-long": {
		what: "the camera's network to the cloud cut for 15 s, longer than its ring: the oldest frames are lost and reported as a gap",
		holdS: 15,
		explains: [...RECONNECTS, /gap: \d+ frames overwritten/, /lost/],
		async apply(w) { w.proxy.cut(15_000); await sleep(15_000); },
	},
	"cloud-kill": {
		what: "the cloud SIGKILLed, started again 3 s later on the same port and data (the broker, mosquitto, stays up: broker-kill restarts it)",
		holdS: 3,
		// the cloud's restart and the camera's reconnect can outlast the ~8-s ring: what it
		// overwrote is a gap (seen in a 30-minute run: 31 frames, 6 s after the kill). A WebRTC
		// viewer's client (tests/webrtc/aiortc_whep.py) that meets the dead cloud on its WHEP calls
		// exits without a goodbye: the camera ends that session when its consent lapses, 30 s on
		// (RFC 7675; seen in the 2-hour soak: 6 times in 82 cloud kills)
		explains: [...RECONNECTS, /50[234]/, /incomplete|partial|orphan|recover/i, /gap: \d+ frames overwritten/, /webrtc: viewer [0-9a-f]+ lost consent/],
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
		async apply(w) { w.viewers[0]?.freeze(true); w.flv.stall(15_000); await sleep(10_000); w.viewers[0]?.freeze(false); await sleep(5000); },
	},
	"broker-kill": {
		what: "the MQTT broker (mosquitto: the cloud's and, through its proxy, the camera's) SIGKILLed, started again 3 s later on the same port without its retained messages: the camera and the cloud reconnect, the cloud publishes every plan again",
		holdS: 3,
		explains: [...RECONNECTS, /broker|mqtt|republish/i],
		// The plan reaches the camera again: the broker forgot it (no persistence), so the cloud
		// reconnected and published it again, and the camera reconnected and subscribed.
		expects: /plan rev \d+/,
		async apply(w) { await w.broker.kill9(); await sleep(3000); await w.broker.start(); },
	},
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The order of a round: the cloud's restart last. A Node process's resident memory grows for its
 * first minutes while V8 sizes its heap (9–11 MiB a minute measured between 30 and 100 s of age,
 * 4 MiB over a 10-minute run): a cloud restarted mid-round would leave the 3-minute run's flatness
 * window (its last two thirds) to a process too young to tell growth from a leak.
 */
export const ROUND = [...Object.keys(FAULTS).filter((kind) => kind !== "cloud-kill"), "cloud-kill"];

/** The least time (s) between one fault's end and the next one's start. */
const MIN_GAP_S = 8;

/**
 * The schedule for `minutes`: [{ kind, at }] with `at` in seconds from the start of the faults.
 * One round of every kind takes ~3 minutes: each fault holds for its `holdS`, then a gap the
 * round's holds leave shares out (9.6 s with 9 kinds; its subjects' recoveries, 2–16 s measured,
 * mostly end within it, and the bounds allow for the rest), and `tail` after the round's last.
 * Rounds repeat.
 */
/** Seconds a run keeps after a round's last fault: its subjects' recovery is watched in them. */
export const TAIL_S = 20;

export function scheduleFor(minutes, kinds = ROUND) {
	const total = minutes * 60;
	const lead = 15, tail = TAIL_S;
	const holds = kinds.reduce((sum, kind) => sum + FAULTS[kind].holdS, 0);
	const gap = Math.max(MIN_GAP_S, (Math.min(total, 180) - lead - tail - holds) / Math.max(1, kinds.length - 1));
	const out = [];
	for (let at = lead, i = 0; ; i++) {
		const kind = kinds[i % kinds.length];
		if (Math.round(at) + FAULTS[kind].holdS + tail > total) break;
		out.push({ kind, at: Math.round(at) });
		at += FAULTS[kind].holdS + gap + (i % kinds.length === kinds.length - 1 ? tail : 0);
	}
	return out;
}
