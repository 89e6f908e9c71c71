/**
 * The camera's built-in P2P commands (issue 14 §2; native/p2p/PROTOCOL.md "COMMAND", the seed's
 * synchronous onCommand): one JSON object per request, ASCII, ≤ 16 KiB each way, shared by the
 * camera (modules/app/viewer-commands.ts), viewers and tests. Every reply is a JSON object with
 * `ok`; a refused command is `{ ok: false, error }` — never empty (an empty reply closes the
 * viewer's session, the seed's rule).
 *
 *   { "cmd": "ptz", "op": "left"|"right"|"up"|"down"|"zoomIn"|"zoomOut"|"stop" }  placeholder (no motor)
 *   { "cmd": "snapshot" }                                 a still now, to the cloud → { time } (busy: ok false)
 *   { "cmd": "recordings", "from"?: ms, "to"?: ms }       the local store's spans → { spans: [[s, e]…], more }
 *   { "cmd": "playback", "seek"?: ms, "pause"?: bool, "speed"?: 1…16 }   the viewer's playback → { position, paused, speed, done }
 */
import { asciiBytes, asciiText } from "./ascii.js";
/** Spans in one `recordings` reply: 2 × 13 digits + punctuation each, well inside 16 KiB. */
export const MAX_COMMAND_REPLY_SPANS = 400;

export const PTZ_OPS = Object.freeze(["left", "right", "up", "down", "zoomIn", "zoomOut", "stop"] as const);

export type ViewerCommand =
	| { cmd: "ptz"; op: (typeof PTZ_OPS)[number] }
	| { cmd: "snapshot" }
	| { cmd: "recordings"; from: number; to: number }
	| { cmd: "playback"; seek?: number; pause?: boolean; speed?: number };

/** ASCII bytes of a command or reply (JSON escapes anything else). */
export function encodeJsonAscii(value: unknown): Uint8Array {
	const text = JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
	return asciiBytes(text);
}

export function decodeJsonAscii(bytes: ArrayBuffer | Uint8Array): unknown {
	return JSON.parse(asciiText(bytes));
}

const isTime = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** A request → the command, or a string saying what is wrong with it. */
export function parseViewerCommand(bytes: ArrayBuffer | Uint8Array): ViewerCommand | string {
	let value: unknown;
	try {
		value = decodeJsonAscii(bytes);
	}
	catch {
		return "not JSON";
	}
	if (!value || typeof value !== "object" || Array.isArray(value)) return "not a JSON object";
	const c = value as Record<string, unknown>;
	switch (c.cmd) {
	case "ptz":
		return PTZ_OPS.includes(c.op as never) ? { cmd: "ptz", op: c.op as (typeof PTZ_OPS)[number] } : `ptz: op must be one of ${PTZ_OPS.join(", ")}`;
	case "snapshot":
		return { cmd: "snapshot" };
	case "recordings": {
		const from = c.from ?? 0, to = c.to ?? Number.MAX_SAFE_INTEGER;
		return isTime(from) && isTime(to) && from < to ? { cmd: "recordings", from, to } : "recordings: from < to, Unix ms";
	}
	case "playback": {
		const out: ViewerCommand & { cmd: "playback" } = { cmd: "playback" };
		if (c.seek !== undefined) {
			if (!isTime(c.seek)) return "playback: seek is Unix ms";
			out.seek = c.seek;
		}
		if (c.pause !== undefined) {
			if (typeof c.pause !== "boolean") return "playback: pause is true or false";
			out.pause = c.pause;
		}
		if (c.speed !== undefined) {
			if (!Number.isInteger(c.speed) || (c.speed as number) < 1 || (c.speed as number) > 16) return "playback: speed is an integer 1 … 16";
			out.speed = c.speed as number;
		}
		return out;
	}
	default:
		return `unknown command ${JSON.stringify(c.cmd)}`;
	}
}
