// What stands between a connection and the embedded broker: it reads each MQTT
// packet's fixed header as the bytes pass (type, then the remaining length)
// and closes the connection when a packet announces more than it may carry —
// before its bytes are buffered (the broker's parser holds a packet whole).
// Before sign-in only the CONNECT passes, under a small cap; the bytes after it
// wait (unread, in the kernel) until the broker has checked the password.
import { Duplex } from "node:stream";
import type { Socket } from "node:net";

export interface GateLimits {
	/** Largest remaining length of the CONNECT, and of any packet after sign-in. */
	connectBytes: number;
	packetBytes: number;
}

export type GateRefusal = "connect-size" | "packet-size" | "malformed";

export class MqttGate extends Duplex {
	#socket: Socket;
	#limits: GateLimits;
	#onRefuse: (reason: GateRefusal, announced: number) => void;
	#signedIn = false;
	/** The CONNECT went to the broker, which has not said yet whether it signs the client in. */
	#waiting = false;
	// The fixed-header scanner: where in a packet the next byte falls.
	#state: "type" | "length" | "payload" = "type";
	#length = 0;
	#lengthBytes = 0;
	#left = 0;
	/** Bytes after the CONNECT, held until sign-in. */
	#held?: Buffer;

	constructor(socket: Socket, limits: GateLimits, onRefuse: (reason: GateRefusal, announced: number) => void) {
		super({ allowHalfOpen: false });
		this.#socket = socket;
		this.#limits = limits;
		this.#onRefuse = onRefuse;
		socket.on("data", (chunk: Buffer) => this.#feed(chunk));
		socket.on("end", () => this.push(null));
		socket.on("close", () => this.destroy());
		socket.on("error", (error) => this.destroy(error));
	}

	get remoteAddress(): string | undefined {
		return this.#socket.remoteAddress;
	}

	/** The broker accepted the CONNECT: larger packets may pass, and what waited is read. */
	signedIn(): void {
		if (this.#signedIn) return;
		this.#signedIn = true;
		this.#waiting = false;
		const held = this.#held;
		this.#held = undefined;
		if (held) this.#feed(held);
		if (!this.destroyed) this.#socket.resume();
	}

	#feed(chunk: Buffer) {
		if (this.#waiting) {
			this.#held = this.#held ? Buffer.concat([this.#held, chunk]) : chunk;
			return;
		}
		for (let at = 0; at < chunk.length;) {
			if (this.#state === "type") {
				at++;
				this.#state = "length";
				this.#length = this.#lengthBytes = 0;
			}
			else if (this.#state === "length") {
				const byte = chunk[at++];
				this.#length += (byte & 0x7f) * 128 ** this.#lengthBytes++;
				if (byte & 0x80) {
					if (this.#lengthBytes === 4) return this.#refuse("malformed", this.#length);
					continue;
				}
				const cap = this.#signedIn ? this.#limits.packetBytes : this.#limits.connectBytes;
				if (this.#length > cap) return this.#refuse(this.#signedIn ? "packet-size" : "connect-size", this.#length);
				this.#left = this.#length;
				this.#state = "payload";
			}
			else {
				const take = Math.min(this.#left, chunk.length - at);
				at += take;
				this.#left -= take;
			}
			if (this.#state === "payload" && this.#left === 0) {
				this.#state = "type";
				if (!this.#signedIn) {
					// The CONNECT is whole: it goes to the broker, the rest waits for its verdict.
					this.#socket.pause();
					this.#waiting = true;
					if (at < chunk.length) this.#held = chunk.subarray(at);
					this.#pass(chunk.subarray(0, at));
					return;
				}
			}
		}
		this.#pass(chunk);
	}

	#pass(chunk: Buffer) {
		if (!this.push(chunk)) this.#socket.pause();
	}

	#refuse(reason: GateRefusal, announced: number) {
		this.#onRefuse(reason, announced);
		this.#socket.destroy();
		this.destroy();
	}

	override _read(): void {
		if (!this.#waiting) this.#socket.resume();
	}

	override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
		this.#socket.write(chunk, done);
	}

	override _final(done: (error?: Error | null) => void): void {
		this.#socket.end(done);
	}

	override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
		this.#socket.destroy();
		done(error);
	}
}
