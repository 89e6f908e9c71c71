// Fakes with an ESP32 board's semantics for tests/ota/board-slots.test.mjs, sharing one power
// supply that can be cut at any unit of work:
//   NorFlash   a partition as embedded:storage/flash sees it: an erase sets a block to 0xFF, a
//              write only clears bits (AND), a read returns what is there. A write cut after k
//              bytes has written k; an erase cut leaves its block undefined (random bytes).
//   Nvs        Moddable's ESP32 preference: set() erases the key, then writes the value
//              (modPreference.c ERASE_KEY) — two units, a cut between them leaves no key.
//   record     the slot record of hosts/esp32s3/ota_slots.c: NVS, written whole (one unit).
import { createHash, randomBytes } from "node:crypto";

export class PowerCut extends Error {
	constructor() {
		super("power cut");
		this.name = "PowerCut";
	}
}

class Power {
	budget = Infinity;
	used = 0;
	/** How many of n units happen before the power goes. */
	take(n) {
		const k = Math.min(n, this.budget);
		this.budget -= k;
		this.used += k;
		return k;
	}
}

class NorFlash {
	counts = { erases: 0, writes: 0, written: 0 };
	maxReadPiece = 0;
	constructor(power, size, blockLength) {
		this.power = power;
		this.blockLength = blockLength;
		this.bytes = new Uint8Array(size).fill(0xff);
	}
	open() {
		const flash = this;
		let open = true;
		const live = () => { if (!open) throw new Error("closed"); };
		return {
			read(byteLength, byteOffset) {
				live();
				if (byteOffset < 0 || byteOffset + byteLength > flash.bytes.length) throw new RangeError("read beyond the partition");
				flash.maxReadPiece = Math.max(flash.maxReadPiece, byteLength);
				return flash.bytes.slice(byteOffset, byteOffset + byteLength).buffer;
			},
			write(buffer, byteOffset) {
				live();
				const bytes = ArrayBuffer.isView(buffer) ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : new Uint8Array(buffer);
				if (byteOffset < 0 || byteOffset + bytes.length > flash.bytes.length) throw new RangeError("write beyond the partition");
				const k = flash.power.take(bytes.length);
				for (let i = 0; i < k; i++) flash.bytes[byteOffset + i] &= bytes[i];
				flash.counts.writes++;
				flash.counts.written += k;
				if (k < bytes.length) throw new PowerCut();
			},
			eraseBlock(start, end = start + 1) {
				live();
				for (let block = start; block < end; block++) {
					const at = block * flash.blockLength;
					if (at < 0 || at + flash.blockLength > flash.bytes.length) throw new RangeError("erase beyond the partition");
					if (flash.power.take(1) < 1) {
						flash.bytes.set(randomBytes(flash.blockLength), at);
						throw new PowerCut();
					}
					flash.bytes.fill(0xff, at, at + flash.blockLength);
					flash.counts.erases++;
				}
			},
			status: () => ({ size: flash.bytes.length, blockLength: flash.blockLength, blocks: flash.bytes.length / flash.blockLength }),
			close() { open = false; },
		};
	}
}

class Nvs {
	values = new Map();
	sets = 0;
	constructor(power) {
		this.power = power;
	}
	get(domain, key) {
		return this.values.get(`${domain}/${key}`);
	}
	set(domain, key, value) {
		if (`${key}`.length > 15) throw new RangeError("NVS keys hold 15 characters");
		if (this.power.take(1) < 1) throw new PowerCut();
		this.values.delete(`${domain}/${key}`);
		if (this.power.take(1) < 1) throw new PowerCut();
		this.values.set(`${domain}/${key}`, value);
		this.sets++;
	}
}

export class Board {
	power = new Power();
	constructor({ slotBytes = 0x100000, blockLength = 4096 } = {}) {
		this.partitions = { xs_a: new NorFlash(this.power, slotBytes, blockLength), xs_b: new NorFlash(this.power, slotBytes, blockLength) };
		this.nvs = new Nvs(this.power);
		const power = this.power;
		this.record = {
			record: { active: "", activeVersion: "", pending: "", pendingVersion: "", trialSlot: "", trialVersion: "", result: "", reason: "", failedVersion: "", failures: 0, deadline: 120 },
			stages: 0,
			status() { return { ...this.record, trial: false }; },
			stage(slot, version, deadline) {
				if (slot && slot === this.record.active) throw new Error("ota: stage failed");
				if (power.take(1) < 1) throw new PowerCut();
				Object.assign(this.record, { pending: slot, pendingVersion: slot ? version : "", deadline });
				this.stages++;
			},
			confirm() {},
			fail() {},
		};
	}
	/** flash-slots.ts's FlashSlotsHost, less abi and crypto. */
	host() {
		return {
			record: this.record,
			openFlash: (path) => {
				const partition = this.partitions[path];
				if (!partition) throw new Error("can't find partition");
				return partition.open();
			},
			preference: this.nvs,
		};
	}
	digest() {
		const hash = createHash("sha256");
		return { update(data) { hash.update(data); }, digest: () => { const d = hash.digest(); return d.buffer.slice(d.byteOffset, d.byteOffset + d.length); }, close() {} };
	}
}

/** A RangeFetch over bytes in memory, in TCP-sized pieces: cutAfter (body bytes, then a reset),
 * extra (bytes past the end). `requests` lists each request's offset. */
export function serve(bytes, { chunk = 1460, cutAfter, extra = 0 } = {}) {
	const body = extra ? new Uint8Array([...bytes, ...randomBytes(extra)]) : bytes;
	const requests = [];
	const fetch = async (offset, end, onData) => {
		requests.push(offset);
		const stop = Math.min(body.length, end === undefined ? body.length : end + 1);
		let sent = 0;
		for (let at = offset; at < stop; at += chunk) {
			if (cutAfter !== undefined && sent >= cutAfter) throw new Error("connection reset");
			const piece = body.subarray(at, Math.min(stop, at + chunk));
			onData(piece);
			sent += piece.length;
		}
		return 206;
	};
	return { fetch, requests };
}
