// The link emulator: a link model per direction (delay, jitter, bandwidth cap with a drop-tail
// queue, random and Gilbert–Elliott loss, reordering, duplication) and a UDP relay that carries
// datagrams between two endpoints through it, with NAT rebinding. See tests/p2p/README.md.
//
// LinkModel is pure (virtual time in, delivery times out) so its statistics can be tested
// exactly; Relay puts two of them between real sockets.
import dgram from "node:dgram";
import { performance } from "node:perf_hooks";

// xoshiro128** seeded through splitmix32: the emulator's own PRNG, so a seed gives the same
// decisions on every Node version (Math.random cannot be seeded).
export class Prng {
	#s = new Uint32Array(4);

	constructor(seed = 1) {
		let x = seed >>> 0;
		for (let i = 0; i < 4; i++) {
			x = (x + 0x9e3779b9) >>> 0;
			let z = x;
			z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
			z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
			this.#s[i] = (z ^ (z >>> 16)) >>> 0;
		}
		if ((this.#s[0] | this.#s[1] | this.#s[2] | this.#s[3]) === 0) this.#s[0] = 1;
	}

	// A uniform float in [0, 1).
	next() {
		const s = this.#s;
		const r = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
		const t = (s[1] << 9) >>> 0;
		s[2] ^= s[0];
		s[3] ^= s[1];
		s[1] ^= s[2];
		s[0] ^= s[3];
		s[2] ^= t;
		s[3] = rotl(s[3], 11);
		return r / 4294967296;
	}
}

function rotl(x, k) {
	return ((x << k) | (x >>> (32 - k))) >>> 0;
}

// Gilbert–Elliott parameters for an average loss with a mean burst length (in packets), losing
// every packet in the bad state and none in the good one: the bad state lasts 1 / pBadGood
// packets on average and is occupied pGoodBad / (pGoodBad + pBadGood) of the time.
export function burstyLoss(loss, meanBurst) {
	if (!(loss > 0 && loss < 1) || !(meanBurst >= 1)) throw new RangeError("burstyLoss: 0 < loss < 1, meanBurst >= 1");
	const pBadGood = 1 / meanBurst;
	return { pGoodBad: (loss * pBadGood) / (1 - loss), pBadGood, lossGood: 0, lossBad: 1 };
}

const DROP_REASONS = ["queue", "loss", "burst", "no_peer", "stale_mapping", "no_mapping"];

function probability(name, p) {
	if (!(p >= 0 && p <= 1)) throw new RangeError(`${name} must be a probability`);
	return p;
}

// One direction of a link. Every packet draws the same six numbers whatever the configuration,
// so enabling one effect does not reshuffle the decisions of another for a given seed.
//
// Order of effects for a packet offered at `now` (ms) with `size` bytes:
// 1. the bottleneck: if the bytes still waiting to be serialised plus this packet exceed
//    queueBytes, it is dropped (drop-tail); else it leaves the queue when the link has sent
//    everything before it, at rateBps (bits/s, counting size + overheadBytes);
// 2. loss on the wire after the bottleneck (so a lost packet has used its share of bandwidth):
//    random (`loss`), then Gilbert–Elliott (`ge`), one state step per packet that reaches it;
// 3. propagation: delayMs plus a uniform jitter in [-jitterMs, +jitterMs] (never below zero);
//    unless jitterReorders, a packet never overtakes the one before it (arrival >= previous);
// 4. reordering: with probability `reorder`, the packet is held reorderMs longer than the
//    packets after it (and does not hold them back);
// 5. duplication: with probability `duplicate`, a second copy arrives duplicateGapMs later.
export class LinkModel {
	#o;
	#prng;
	#queue = [];   // [finishMs, bytes] of packets not yet fully serialised, in order
	#queued = 0;
	#linkFreeAt = -Infinity;
	#lastArrival = -Infinity;
	#bad = false;
	counters;

	constructor(options = {}, seed = 1) {
		const o = {
			delayMs: 0, jitterMs: 0, jitterReorders: false, rateBps: Infinity, queueBytes: Infinity,
			overheadBytes: 0, loss: 0, ge: null, reorder: 0, reorderMs: 20, duplicate: 0, duplicateGapMs: 1,
			...options,
		};
		if (!(o.delayMs >= 0) || !(o.jitterMs >= 0) || !(o.reorderMs >= 0) || !(o.duplicateGapMs >= 0)) throw new RangeError("times must be >= 0");
		if (!(o.rateBps > 0) || !(o.queueBytes > 0) || !(o.overheadBytes >= 0)) throw new RangeError("rateBps, queueBytes must be > 0");
		probability("loss", o.loss);
		probability("reorder", o.reorder);
		probability("duplicate", o.duplicate);
		if (o.ge) for (const k of ["pGoodBad", "pBadGood", "lossGood", "lossBad"]) probability(`ge.${k}`, o.ge[k]);
		this.#o = Object.freeze(o);
		this.#prng = new Prng(seed);
		this.counters = {
			sent: 0, sentBytes: 0, delivered: 0, deliveredBytes: 0, duplicated: 0, reordered: 0,
			dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])), queuePeakBytes: 0, badStatePackets: 0,
			lateMsMax: 0, lateMsTotal: 0,
		};
	}

	get options() {
		return this.#o;
	}

	// Decides the fate of a packet offered at `now`: { drop: reason } or { at: [arrival ms, ...] }.
	// The caller reports each delivered copy with delivered(size) (the relay does it when it
	// actually sends), so the counters say what reached the far side.
	offer(now, size) {
		const o = this.#o;
		const c = this.counters;
		const uLoss = this.#prng.next();
		const uGeStep = this.#prng.next();
		const uGeLoss = this.#prng.next();
		const uJitter = this.#prng.next();
		const uReorder = this.#prng.next();
		const uDup = this.#prng.next();
		c.sent++;
		c.sentBytes += size;

		// 1. the bottleneck queue
		while (this.#queue.length && this.#queue[0][0] <= now) this.#queued -= this.#queue.shift()[1];
		let leaves = now;
		if (o.rateBps !== Infinity) {
			if (this.#queued + size > o.queueBytes) return this.#drop("queue");
			leaves = Math.max(now, this.#linkFreeAt) + ((size + o.overheadBytes) * 8000) / o.rateBps;
			this.#linkFreeAt = leaves;
			this.#queue.push([leaves, size]);
			this.#queued += size;
			if (this.#queued > c.queuePeakBytes) c.queuePeakBytes = this.#queued;
		}

		// 2. loss on the wire
		if (uLoss < o.loss) return this.#drop("loss");
		if (o.ge) {
			this.#bad = this.#bad ? uGeStep >= o.ge.pBadGood : uGeStep < o.ge.pGoodBad;
			if (this.#bad) c.badStatePackets++;
			if (uGeLoss < (this.#bad ? o.ge.lossBad : o.ge.lossGood)) return this.#drop("burst");
		}

		// 3. propagation and jitter
		let arrival = leaves + Math.max(0, o.delayMs + (2 * uJitter - 1) * o.jitterMs);
		// 4. reordering
		if (uReorder < o.reorder) {
			c.reordered++;
			arrival = Math.max(arrival, this.#lastArrival) + o.reorderMs;
		} else {
			if (!o.jitterReorders) arrival = Math.max(arrival, this.#lastArrival);
			this.#lastArrival = arrival;
		}
		// 5. duplication
		if (uDup < o.duplicate) {
			c.duplicated++;
			return { at: [arrival, arrival + o.duplicateGapMs] };
		}
		return { at: [arrival] };
	}

	// lateMs: how much later than the model said the copy actually left (the relay's timer and
	// event-loop delay): the emulator's own error, reported so a loaded machine shows.
	delivered(size, lateMs = 0) {
		const c = this.counters;
		c.delivered++;
		c.deliveredBytes += size;
		c.lateMsTotal += lateMs;
		if (lateMs > c.lateMsMax) c.lateMsMax = lateMs;
	}

	// A datagram that never reached the link (sent to a stale NAT mapping, refused by a filter):
	// counted as sent and dropped, without taking the PRNG draws of a packet that crossed it.
	refuse(size, reason) {
		this.counters.sent++;
		this.counters.sentBytes += size;
		this.#drop(reason);
	}

	// A packet that crossed the link but had nowhere to go (the far side's peer is unknown).
	drop(reason) {
		this.#drop(reason);
	}

	#drop(reason) {
		this.counters.dropped[reason]++;
		return { drop: reason };
	}
}

// A binary min-heap of scheduled deliveries ordered by time, then by insertion.
class Schedule {
	#heap = [];
	#n = 0;

	get size() {
		return this.#heap.length;
	}

	peek() {
		return this.#heap[0];
	}

	push(at, item) {
		const h = this.#heap;
		const e = { at, order: this.#n++, item };
		h.push(e);
		for (let i = h.length - 1; i > 0;) {
			const p = (i - 1) >> 1;
			if (before(h[p], h[i])) break;
			[h[p], h[i]] = [h[i], h[p]];
			i = p;
		}
	}

	pop() {
		const h = this.#heap;
		const top = h[0];
		const last = h.pop();
		if (h.length) {
			h[0] = last;
			for (let i = 0; ;) {
				const l = 2 * i + 1;
				const r = l + 1;
				let m = i;
				if (l < h.length && before(h[l], h[m])) m = l;
				if (r < h.length && before(h[r], h[m])) m = r;
				if (m === i) break;
				[h[m], h[i]] = [h[i], h[m]];
				i = m;
			}
		}
		return top;
	}

	clear() {
		this.#heap.length = 0;
	}
}

function before(a, b) {
	return a.at < b.at || (a.at === b.at && a.order < b.order);
}

function bind(address, port = 0) {
	return new Promise((resolve, reject) => {
		const socket = dgram.createSocket({ type: address.includes(":") ? "udp6" : "udp4", recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
		socket.once("error", reject);
		socket.bind(port, address, () => {
			socket.off("error", reject);
			resolve(socket);
		});
	});
}

// A UDP relay between endpoint A and endpoint B. Each side has a "face": the relay's socket that
// the endpoint talks to. A datagram from A's peer arriving at face A crosses the `ab` model and
// leaves face B toward B's peer, and the other way round.
//
// A face with no configured peer learns it from the latest datagram it receives (as a server
// learns a client's public address). rebind(side) replaces that side's face with a new socket
// (a new source port, and a new address if given), as a NAT re-mapping does: the endpoint sees
// the other side's datagrams coming from a new address, and what it sends to the old one is
// dropped (counted as stale_mapping) once graceMs have passed.
export class Relay {
	#models;
	#faces = {};
	#old = [];
	#schedule = new Schedule();
	#filters = { ab: null, ba: null };
	#timer = null;
	#timerAt = Infinity;
	#closed = false;
	#t0 = performance.now();

	static async open({ ab = {}, ba = {}, seed = 1, a = {}, b = {} } = {}) {
		const relay = new Relay(ab, ba, seed);
		for (const [side, o] of [["a", a], ["b", b]]) {
			await relay.#openFace(side, o.address ?? "127.0.0.1", o.port ?? 0);
			if (o.peer) relay.setPeer(side, o.peer);
		}
		return relay;
	}

	constructor(ab, ba, seed) {
		// Two independent PRNG streams from one seed: traffic in one direction never shifts the
		// decisions of the other.
		this.#models = { ab: new LinkModel(ab, seed), ba: new LinkModel(ba, (seed ^ 0x5bd1e995) >>> 0) };
	}

	// Milliseconds since the relay opened (the clock of the models).
	now() {
		return performance.now() - this.#t0;
	}

	// { address, port } the endpoint on `side` sends to.
	face(side) {
		const f = this.#face(side);
		const { address, port } = f.socket.address();
		return { address, port };
	}

	setPeer(side, peer) {
		const f = this.#face(side);
		f.peer = { address: peer.address, port: peer.port };
		f.learn = false;
	}

	peer(side) {
		return this.#face(side).peer;
	}

	// Installs a per-direction packet filter, run on each datagram as it reaches the relay,
	// before the link model: fn(msg, now) returns the datagram to carry (possibly rewritten) or a
	// drop reason (a string, counted like the model's own). tun.mjs's NAT is one.
	setFilter(dir, fn) {
		if (dir !== "ab" && dir !== "ba") throw new RangeError(`no direction "${dir}" (ab or ba)`);
		this.#filters[dir] = fn;
	}

	counters() {
		const copy = (c) => ({ ...c, dropped: { ...c.dropped } });
		return { ab: copy(this.#models.ab.counters), ba: copy(this.#models.ba.counters) };
	}

	// Moves `side`'s face to a new socket; returns its { address, port }. With graceMs > 0 the old
	// mapping still forwards what the endpoint sends to it for that long (some NATs do).
	async rebind(side, { address, graceMs = 0 } = {}) {
		const old = this.#face(side);
		const f = await this.#bindFace(side, address ?? old.socket.address().address, 0);
		f.peer = old.peer;
		f.learn = old.learn;
		old.staleAfter = this.now() + graceMs;
		old.replacedBy = f;
		this.#old.push(old);
		this.#faces[side] = f;
		return this.face(side);
	}

	async close() {
		if (this.#closed) return;
		this.#closed = true;
		clearTimeout(this.#timer);
		this.#schedule.clear();
		const all = [...Object.values(this.#faces), ...this.#old];
		await Promise.all(all.map((f) => new Promise((resolve) => f.socket.close(resolve))));
	}

	#face(side) {
		const f = this.#faces[side];
		if (!f) throw new RangeError(`no side "${side}" (a or b)`);
		return f;
	}

	async #openFace(side, address, port) {
		this.#faces[side] = await this.#bindFace(side, address, port);
	}

	async #bindFace(side, address, port) {
		const socket = await bind(address, port);
		const face = { side, socket, peer: null, learn: true, staleAfter: Infinity, replacedBy: null };
		socket.on("message", (msg, rinfo) => this.#receive(face, msg, rinfo));
		socket.on("error", () => { /* ICMP errors toward a vanished peer: the datagram is lost, as on a real path */ });
		return face;
	}

	#receive(face, msg, rinfo) {
		if (this.#closed) return;
		const dir = face.side === "a" ? "ab" : "ba";
		const model = this.#models[dir];
		const now = this.now();
		let live = face;
		if (face.replacedBy) {
			if (now >= face.staleAfter) return void model.refuse(msg.length, "stale_mapping");
			while (live.replacedBy) live = live.replacedBy;
		}
		if (live.learn) live.peer = { address: rinfo.address, port: rinfo.port };
		if (this.#filters[dir]) {
			const out = this.#filters[dir](msg, now);
			if (typeof out === "string") return void model.refuse(msg.length, out);
			msg = out;
		}
		const fate = model.offer(now, msg.length);
		if (fate.drop) return;
		const out = this.#faces[face.side === "a" ? "b" : "a"];
		for (const at of fate.at) this.#schedule.push(at, { model, side: out.side, msg });
		this.#arm();
	}

	#arm() {
		const next = this.#schedule.peek();
		if (!next || next.at >= this.#timerAt) return;
		clearTimeout(this.#timer);
		this.#timerAt = next.at;
		this.#timer = setTimeout(() => this.#fire(), Math.max(0, Math.ceil(next.at - this.now())));
	}

	#fire() {
		this.#timer = null;
		this.#timerAt = Infinity;
		if (this.#closed) return;
		// Never early: a timer can wake a fraction of a millisecond before its time (libuv counts
		// whole milliseconds); what is not yet due waits for the next one.
		const now = this.now();
		while (this.#schedule.size && this.#schedule.peek().at <= now) {
			const { at, item } = this.#schedule.pop();
			const out = this.#faces[item.side];
			if (!out.peer) {
				item.model.drop("no_peer");
				continue;
			}
			item.model.delivered(item.msg.length, Math.max(0, now - at));
			out.socket.send(item.msg, out.peer.port, out.peer.address);
		}
		this.#arm();
	}
}
