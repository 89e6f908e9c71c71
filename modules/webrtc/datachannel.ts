/**
 * A WebRTC viewer's DataChannels as the camera takes them (RFC 8831): the Data Channel
 * Establishment Protocol (RFC 8832) opens one — DATA_CHANNEL_OPEN on a stream, answered with
 * DATA_CHANNEL_ACK on it — and each message on an open channel is a viewer command in the native
 * wire's format (modules/protocol/viewer-commands.ts: JSON, ASCII), answered on the same channel
 * by the same handler, with the same rights and rate (the app's viewerCommands). The SCTP
 * association under it is C's (native/webrtc/sctp.h): its messages, windows and retransmissions
 * are bounded there; this only reads DCEP and routes.
 */
import { Ppid } from "webrtc";

/** DCEP message types (RFC 8832 §5). */
const DCEP_OPEN = 0x03;
const DCEP_ACK = 0x02;
/** DATA_CHANNEL_OPEN's fixed part: type, channel type, priority, reliability, label and protocol lengths. */
const OPEN_FIXED = 12;

/** A command's answer as the handler gives it: bytes, or null / nothing (the seed's "close the
 * viewer's session"), or false: no answer (dropped over the viewer's rate). */
export type CommandReply = Uint8Array | ArrayBuffer | null | undefined | false;

/** What the channels do, each function handed the channels' owner: one object serves every viewer. */
export interface CommandChannelsOptions<Owner = unknown> {
	/** A message to the viewer on `stream`; false when it could not go (the association's refusal, logged there). */
	send(stream: number, ppid: number, bytes: ArrayBuffer, owner: Owner): boolean;
	/** The viewer's command (its bytes) → the reply. */
	command(bytes: ArrayBuffer, owner: Owner): CommandReply;
	/** The handler gave no reply: the viewer's session ends (as on the native wire). */
	end(why: string, owner: Owner): void;
	log(message: string, owner: Owner): void;
}

export class CommandChannels<Owner = unknown> {
	readonly #o: CommandChannelsOptions<Owner>;
	/** Whose channels they are (the endpoint's record of the viewer), handed to `#o`'s functions. */
	readonly #owner: Owner;
	/** Streams DCEP opened. */
	#open = new Set<number>();
	readonly stats = { opened: 0, closed: 0, commands: 0, replies: 0, unsent: 0,
		/** Commands the handler dropped unanswered (over the viewer's rate). */
		unanswered: 0,
		/** Messages on a stream DCEP did not open, DCEP that is not an OPEN, empty messages. */
		refused: 0 };

	constructor(o: CommandChannelsOptions<Owner>, owner?: Owner) {
		this.#o = o;
		this.#owner = owner as Owner;
	}

	/** A message the association delivered. */
	message(stream: number, ppid: number, data: ArrayBuffer): void {
		if (ppid === Ppid.reset) return this.#reset(stream);
		if (ppid === Ppid.dcep) return this.#dcep(stream, new Uint8Array(data));
		if (!this.#open.has(stream) || (ppid !== Ppid.string && ppid !== Ppid.binary)) {
			this.stats.refused++;   // (an empty message's PPIDs carry no command either)
			return;
		}
		this.stats.commands++;
		const reply = this.#o.command(data, this.#owner);
		if (reply === false) {
			this.stats.unanswered++;
			return;
		}
		const bytes = reply instanceof Uint8Array ? reply.slice().buffer : reply;
		if (!bytes || !bytes.byteLength) return this.#o.end("its command's handler gave no reply", this.#owner);
		// answered as it asked: a string message gets a string back
		if (this.#o.send(stream, ppid, bytes as ArrayBuffer, this.#owner)) this.stats.replies++;
		else this.stats.unsent++;
	}

	/** The viewer closed the channel on `stream` (its stream reset; the association resets ours):
	 * nothing more is taken on it until DCEP opens it again. */
	#reset(stream: number): void {
		if (!this.#open.delete(stream)) return;
		this.stats.closed++;
		this.#o.log(`webrtc: DataChannel on stream ${stream} closed by the viewer`, this.#owner);
	}

	/** DCEP: an OPEN is acknowledged (the channel is the viewer's to use); an ACK (we open none) and the rest are dropped. */
	#dcep(stream: number, bytes: Uint8Array): void {
		if (bytes[0] === DCEP_ACK) return;
		if (bytes[0] !== DCEP_OPEN || bytes.length < OPEN_FIXED) {
			this.stats.refused++;
			return;
		}
		const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
		const labelLength = view.getUint16(8), protocolLength = view.getUint16(10);
		if (OPEN_FIXED + labelLength + protocolLength !== bytes.length) {
			this.stats.refused++;
			return;
		}
		const label = printable(bytes.subarray(OPEN_FIXED, OPEN_FIXED + Math.min(labelLength, 64)));
		if (!this.#o.send(stream, Ppid.dcep, Uint8Array.of(DCEP_ACK).buffer, this.#owner)) return;
		if (!this.#open.has(stream)) this.stats.opened++;
		this.#open.add(stream);
		this.#o.log(`webrtc: DataChannel "${label}" opened on stream ${stream}`, this.#owner);
	}
}

/** A label for the log: printable ASCII, the rest as "?" (it is the viewer's text). */
function printable(bytes: Uint8Array): string {
	let text = "";
	for (const b of bytes) text += b >= 0x20 && b < 0x7f && b !== 0x22 ? String.fromCharCode(b) : "?";
	return text;
}
