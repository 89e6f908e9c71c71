/**
 * How a viewer opens and closes the seed's channels (SPEC §2: a stream with its `params`,
 * talkback): CONTROL messages of the transport's command stream (native/p2p/PROTOCOL.md
 * "COMMAND", kind 3; the camera answers with kind 4 and the same id), which the transport
 * delivers whatever the ticket's rights — so a live-only ticket can watch; what is opened
 * is checked against the ticket's rights here (camera-p2p.ts). Payloads are ASCII text:
 * "open media <params>", "open voice <params>", "close media", "close voice"; the camera replies
 * "ok" or "no <code>". modules/p2p/README.md documents it.
 */
import { asciiText } from "../protocol/ascii.js";

export type ControlKind = "media" | "voice";

export interface ControlMessage {
	op: "open" | "close" | "ok" | "no";
	kind?: ControlKind;
	/** open: the params; no: the code */
	text: string;
}

export function encodeControl(message: string): Uint8Array {
	const bytes = new Uint8Array(message.length);
	for (let i = 0; i < message.length; i++) bytes[i] = message.charCodeAt(i) & 0x7f;
	return bytes;
}

export function decodeControl(bytes: ArrayBuffer): ControlMessage | undefined {
	const text = asciiText(bytes);
	const match = /^(open|close|ok|no)(?: (media|voice))?(?: (.*))?$/s.exec(text);
	if (!match) return undefined;
	const op = match[1] as ControlMessage["op"];
	const kind = match[2] as ControlKind | undefined;
	if ((op === "open" || op === "close") !== (kind !== undefined)) return undefined;
	return { op, kind, text: match[3] ?? "" };
}
