/**
 * The `params` query string of a viewer's stream request (SPEC §2, seed 001's
 * p2p_handle_send_init_cb): `action=live`, or `action=playback&start=<ms>&end=<ms>` (Unix
 * milliseconds, start < end, optionally `&speed=<1…16>`: × real time, default 1), optionally
 * `&channel=<n>` (the camera's channel, default 0).
 * Parsed strictly: an unknown or repeated key, a missing or malformed value is an error.
 */
import { P2pCodes, P2pError } from "./errors.js";
import { MAX_PLAYBACK_SPEED } from "../protocol/viewer-commands.js";

export type StreamParams =
	| { action: "live"; channel: number }
	| { action: "playback"; channel: number; start: number; end: number; speed: number };

const KEYS: Readonly<Record<string, readonly string[]>> = Object.freeze({
	live: Object.freeze(["action", "channel"]),
	playback: Object.freeze(["action", "channel", "start", "end", "speed"]),
});

function integer(text: string | undefined, name: string, max: number): number {
	if (text === undefined || !/^(0|[1-9][0-9]{0,15})$/.test(text) || Number(text) > max)
		throw new P2pError(P2pCodes.EARG, `params: ${name} must be an integer 0 … ${max}`);
	return Number(text);
}

/** The pairs of a query string (no decoding beyond what these keys need: none). */
export function queryPairs(params: string): Map<string, string> {
	if (typeof params !== "string" || params.length > 512) throw new P2pError(P2pCodes.EARG, "params must be a query string of at most 512 characters");
	const pairs = new Map<string, string>();
	if (!params) return pairs;
	for (const part of params.split("&")) {
		const eq = part.indexOf("=");
		const key = eq < 0 ? part : part.slice(0, eq);
		if (!/^[a-z][a-z0-9_]*$/.test(key)) throw new P2pError(P2pCodes.EARG, `params: bad key "${key}"`);
		if (pairs.has(key)) throw new P2pError(P2pCodes.EARG, `params: ${key} twice`);
		pairs.set(key, eq < 0 ? "" : part.slice(eq + 1));
	}
	return pairs;
}

export function parseStreamParams(params: string): StreamParams {
	const pairs = queryPairs(params);
	const action = pairs.get("action");
	if (action !== "live" && action !== "playback") throw new P2pError(P2pCodes.EARG, `params: action must be live or playback`);
	for (const key of pairs.keys())
		if (!KEYS[action].includes(key)) throw new P2pError(P2pCodes.EARG, `params: ${key} is not a parameter of action=${action}`);
	const channel = pairs.has("channel") ? integer(pairs.get("channel"), "channel", 255) : 0;
	if (action === "live") return { action, channel };
	const start = integer(pairs.get("start"), "start", Number.MAX_SAFE_INTEGER);
	const end = integer(pairs.get("end"), "end", Number.MAX_SAFE_INTEGER);
	if (start >= end) throw new P2pError(P2pCodes.EARG, "params: playback needs start < end");
	const speed = pairs.has("speed") ? integer(pairs.get("speed"), "speed", MAX_PLAYBACK_SPEED) : 1;
	if (speed < 1) throw new P2pError(P2pCodes.EARG, `params: speed must be an integer 1 … ${MAX_PLAYBACK_SPEED}`);
	return { action, channel, start, end, speed };
}
