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
 *
 * Each needs a right of the viewer's ticket (COMMANDS below): without it the reply is
 * `{ ok: false, code: "ERIGHTS", error }`; past COMMAND_RATE it is `{ ok: false, code: "EBUSY", error }`.
 */
import { asciiBytes, asciiText } from "./ascii.js";
import { Rights } from "./ticket.js";

type RightName = keyof typeof Rights;
/** Spans in one `recordings` reply: 2 × 13 digits + punctuation each, well inside 16 KiB. */
export const MAX_COMMAND_REPLY_SPANS = 400;

/** Commands one viewer may send (the camera answers more with `code: "EBUSY"`): `perSecond` on
 * average, `burst` at once — each may scan the store's index or read the card on the event loop. */
export const COMMAND_RATE = Object.freeze({ perSecond: 10, burst: 20 });
/** Streams (playback) and talkbacks one viewer may open: each reads the card's index or creates a
 * file. More are refused (the open's reply `no ECLOSED`). Live is not counted: it reads nothing. */
export const OPEN_RATE = Object.freeze({ perSecond: 1, burst: 5 });

/** The fastest playback a viewer may ask (× real time): the card is read at most this fast. */
export const MAX_PLAYBACK_SPEED = 16;

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

type Parse = (c: Record<string, unknown>) => ViewerCommand | string;

function parsePlayback(c: Record<string, unknown>): ViewerCommand | string {
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
		if (!Number.isInteger(c.speed) || (c.speed as number) < 1 || (c.speed as number) > MAX_PLAYBACK_SPEED) return `playback: speed is an integer 1 … ${MAX_PLAYBACK_SPEED}`;
		out.speed = c.speed as number;
	}
	return out;
}

/**
 * Every command: the ticket right it needs (ticket.ts Rights; the camera refuses the command
 * without it, issue 27 §3) beside its parse rule. `ptz` moves the camera and `snapshot` makes it take
 * a still and upload it to its owner's cloud storage: both act, so the command right (a live
 * ticket watches, nothing more). `recordings` and `playback` read the local store.
 */
type Spec = Readonly<{ right: RightName; parse: Parse }>;
const spec = (right: RightName, parse: Parse): Spec => Object.freeze({ right, parse });
// frozen: preloaded on ESP32 (the XS linker warns otherwise)
const COMMANDS: Readonly<Record<ViewerCommand["cmd"], Spec>> = Object.freeze({
	ptz: spec("command", (c) => PTZ_OPS.includes(c.op as never) ? { cmd: "ptz", op: c.op as (typeof PTZ_OPS)[number] } : `ptz: op must be one of ${PTZ_OPS.join(", ")}`),
	snapshot: spec("command", () => ({ cmd: "snapshot" })),
	recordings: spec("playback", (c) => {
		const from = c.from ?? 0, to = c.to ?? Number.MAX_SAFE_INTEGER;
		return isTime(from) && isTime(to) && from < to ? { cmd: "recordings", from, to } : "recordings: from < to, Unix ms";
	}),
	playback: spec("playback", parsePlayback),
});

/** The right a command needs, by name (ticket.ts Rights). */
export const commandRight = (cmd: ViewerCommand["cmd"]): RightName => COMMANDS[cmd].right;

/** Why a ticket with `rights` (Rights bits) may not run the command, or undefined when it may. */
export function refusedByRights(command: ViewerCommand, rights: number): string | undefined {
	const right = COMMANDS[command.cmd].right;
	return rights & Rights[right] ? undefined : `${command.cmd} needs the ticket's ${right} right`;
}

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
	// own keys only: "constructor" is no command
	return typeof c.cmd === "string" && Object.hasOwn(COMMANDS, c.cmd) ? COMMANDS[c.cmd as ViewerCommand["cmd"]].parse(c) : `unknown command ${JSON.stringify(c.cmd)}`;
}
