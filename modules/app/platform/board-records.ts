/**
 * Small OTA records (slots.ts readRecord/writeRecord: rotated keys, a slot's download, its
 * progress mark) in a board's key-value store — Moddable's `preference`, NVS on the ESP32.
 *
 * NVS writes one key whole, but the SDK's ESP32 preference.set erases the key before it sets
 * the new value (modules/files/preference/esp32/modPreference.c, ERASE_KEY): a power cut between
 * the two leaves neither. So each record is kept twice, "<name>.0" and "<name>.1", each holding
 * "<sequence>\n<text>" (or "<sequence>" alone: removed); a write replaces the older copy, a read
 * takes the newer one. A cut costs at most the write it interrupts — never the record before it
 * (losing "keys" would trust a retired key again).
 */
export interface KeyValueStore {
	get(domain: string, key: string): string | boolean | number | ArrayBuffer | undefined;
	set(domain: string, key: string, value: string): void;
}

/** NVS limits a key to 15 characters: the name, ".0" or ".1". (A literal made per call, at run
 * time: a RegExp preloaded with this module would not be safe to match — protocol/pattern.ts.) */
const isName = (name: string) => /^[a-z0-9-]{1,13}$/.test(name);

export class BoardRecords {
	#store: KeyValueStore;
	#domain: string;
	constructor(store: KeyValueStore, domain = "ivxs-ota") {
		this.#store = store;
		this.#domain = domain;
	}

	read(name: string): string | undefined {
		const newest = this.#newest(name);
		return newest?.text;
	}

	write(name: string, text: string | undefined): void {
		const copies = [this.#copy(name, 0), this.#copy(name, 1)];
		const newer = (copies[0]?.sequence ?? -1) >= (copies[1]?.sequence ?? -1) ? 0 : 1;
		const sequence = (copies[newer]?.sequence ?? 0) + 1;
		this.#store.set(this.#domain, `${name}.${1 - newer}`, text === undefined ? `${sequence}` : `${sequence}\n${text}`);
	}

	#newest(name: string): { sequence: number; text: string | undefined } | undefined {
		const a = this.#copy(name, 0), b = this.#copy(name, 1);
		return !b || (a && a.sequence > b.sequence) ? a : b;
	}

	#copy(name: string, index: number): { sequence: number; text: string | undefined } | undefined {
		if (!isName(name)) throw new RangeError(`record name ${name}`);
		const value = this.#store.get(this.#domain, `${name}.${index}`);
		if (typeof value !== "string") return undefined;
		const end = value.indexOf("\n");
		const head = end < 0 ? value : value.slice(0, end);
		if (!/^\d{1,9}$/.test(head)) return undefined;   // not ours: as if absent
		return { sequence: Number(head), text: end < 0 ? undefined : value.slice(end + 1) };
	}
}
Object.freeze(BoardRecords.prototype);
