// The camera's signalling (modules/app/p2p-signal.ts) fed a hostile viewer's candidates (issue 27
// §2): the camera's real P2P endpoint on loopback, and a UDP socket standing where the candidates
// point that counts the STUN requests reaching it. Before: one offer naming one address 8 times
// sent 80 requests, 20 updates in 59 ms 1,600, loopback and broadcast included.
import test from "ava";
import Timer from "timer";
import { monotonic } from "ivxs/platform";
import { P2P } from "../../modules/p2p/index.js";
import { CHECK } from "../../modules/p2p/checks.js";
import { isStun } from "../../modules/p2p/stun.js";
import { openUdp } from "../../modules/p2p/udp.js";
import { CHECKS_PER_SECOND, OFFER_VALID_MS, P2PSignal } from "../../modules/app/p2p-signal.js";
import { Viewers, nativeWire } from "../../modules/app/viewers.js";
import type { CandidateAddressOptions } from "../../modules/protocol/candidate-address.js";

const SESSION = "0123456789abcdef";
const sleep = (ms: number) => new Promise<void>((resolve) => Timer.set(() => resolve(), ms));

/** A camera's signalling on loopback; `checked` lists every check it asked for ("address:port"). */
function camera(allow: CandidateAddressOptions, now = () => Date.now()) {
	const p2p = new P2P({ deviceId: "CAM-0001", deviceSecret: new Uint8Array(32).fill(1), address: "127.0.0.1", monotonic });
	p2p.init({});
	const checked: string[] = [];
	const checks = p2p.link.checks;
	const check = checks.check.bind(checks);
	checks.check = (address, port, options) => {
		checked.push(`${address}:${port}`);
		return check(address, port, options);
	};
	const viewers = new Viewers(4);
	viewers.add("native", nativeWire(p2p));
	const signal = new P2PSignal({ start: () => p2p, media: { codec: "h264", audio: false }, viewers, answer: () => {}, log: () => {}, allow, now });
	return { signal, checked, checks, close: () => signal.exit() };
}

/** A UDP socket counting the STUN requests that reach it (it never answers: every try is sent). */
function target() {
	let stun = 0;
	const socket = openUdp({
		address: "127.0.0.1", port: 0,
		onReadable() {
			let packet;
			while ((packet = socket.read())) if (isStun(packet)) stun++;
		},
	});
	return { port: socket.port, count: () => stun, close: () => socket.close() };
}

const offer = (candidates: Array<{ address: string; port: number }>, session = SESSION) =>
	({ type: "p2p", session, candidates: candidates.map((c) => ({ type: "host", ...c })), stun: [], turn: [] });
const update = (candidates: Array<{ address: string; port: number }>, session = SESSION) =>
	({ type: "p2p-candidates", session, candidates: candidates.map((c) => ({ type: "host", ...c })) });

test("one offer naming one address 8 times: one check, its tries only", async (t) => {
	const at = target();
	const { signal, close } = camera({ loopback: true });
	t.true(signal.command(offer(Array.from({ length: 8 }, () => ({ address: "127.0.0.1", port: at.port })))));
	await sleep(CHECK.tries * CHECK.everyMs + 300);
	t.is(at.count(), CHECK.tries, `${at.count()} requests (the old code: 80)`);
	close();
	at.close();
});

test("loopback only when allowed; 0.0.0.0/8, broadcast, multicast and link-local (not allowed) never checked", async (t) => {
	const { signal, checked, close } = camera({});
	signal.command(offer([
		{ address: "127.0.0.1", port: 9 }, { address: "0.0.0.0", port: 9 }, { address: "0.1.2.3", port: 9 }, { address: "255.255.255.255", port: 9 },
		{ address: "224.0.0.1", port: 9 }, { address: "239.255.255.250", port: 1900 }, { address: "169.254.1.1", port: 9 }, { address: "198.51.100.20", port: 9 },
	]));
	await sleep(20);
	t.deepEqual(checked, ["198.51.100.20:9"]);
	close();
});

test(`20 updates in a burst: at most ${CHECKS_PER_SECOND} checks a session starts in a second`, async (t) => {
	// the burst within one second of the camera's clock, however long a loaded machine takes over it
	const { signal, checked, checks, close } = camera({ loopback: true }, () => 1_000_000);
	signal.command(offer([{ address: "127.0.0.1", port: 40000 }]));
	for (let i = 0; i < 20; i++)
		signal.command(update(Array.from({ length: 8 }, (_, k) => ({ address: "127.0.0.1", port: 40001 + i * 8 + k }))));
	await sleep(20);
	t.true(checked.length <= CHECKS_PER_SECOND, `${checked.length} checks (the old code: ${1 + 20 * 8})`);
	t.true(checks.inFlight <= CHECKS_PER_SECOND);
	t.true(signal.checksRefused >= 20 * 8 + 1 - CHECKS_PER_SECOND);
	close();
});

test(`updates only for an open session or an offer younger than ${OFFER_VALID_MS / 1000} s; not after p2p-end, never for an unknown one`, async (t) => {
	let now = 1_000_000;
	const { signal, checked, close } = camera({}, () => now);
	signal.command(update([{ address: "198.51.100.30", port: 1 }], "fedcba9876543210"));
	signal.command(offer([{ address: "198.51.100.31", port: 1 }]));
	await sleep(10);
	now += OFFER_VALID_MS - 2000;
	signal.command(update([{ address: "198.51.100.32", port: 1 }]));
	await sleep(10);
	now += 3000;
	signal.command(update([{ address: "198.51.100.33", port: 1 }]));
	await sleep(10);
	t.deepEqual(checked, ["198.51.100.31:1", "198.51.100.32:1"], "no viewer joined: its updates end with the ticket's life");
	signal.command(offer([{ address: "198.51.100.34", port: 1 }], "0000000000000001"));
	signal.command({ type: "p2p-end", session: "0000000000000001" });
	signal.command(update([{ address: "198.51.100.35", port: 1 }], "0000000000000001"));
	await sleep(10);
	t.is(checked.at(-1), "198.51.100.34:1", "ended by the cloud: no more updates");
	close();
});
