/**
 * The camera app's built-in P2P commands (issue 14 §2; the format is modules/protocol's
 * viewer-commands.ts): PTZ placeholders, a still now, the local store's recordings, and control
 * of the asking viewer's playback. Synchronous (the seed's onCommand must not block): a still's
 * upload runs after the reply. Every reply is a JSON object, never empty (that would close the
 * viewer's session). Each command needs its right of the viewer's ticket (the protocol's table).
 */
import { COMMAND_RATE, encodeJsonAscii, parseViewerCommand, refusedByRights, MAX_COMMAND_REPLY_SPANS } from "../protocol/viewer-commands.js";
import type { LocalStore } from "../store/local-store.js";
import type { Playback } from "../store/playback.js";
import type { Pace } from "./pace.js";
import { FirmwareP2P, type Firmware } from "./firmware.js";
import { Rights } from "../protocol/ticket.js";

export interface CommandContext {
	/** The local store, when the camera has one. */
	store?: LocalStore;
	/** Each viewer's command rate. */
	pace: Pace;
	/** The viewer's open playback, if any. */
	playbackOf(peer: string): Playback | undefined;
	/** Takes a still now and sends it to the cloud (asynchronously); its time and size. */
	snapshot?(): { time: number; taken: boolean };
	/** The C firmware that started the app (libivxs): its command_cb, when it gave one, answers instead. */
	firmware?: Firmware;
	log(message: string): void;
}

/** A viewer's command over its rate (COMMAND_RATE): refused with EBUSY once per wait, the rest
 * dropped unanswered (false); undefined: within the rate. */
function overRate(context: CommandContext, peer: string): Uint8Array | false | undefined {
	const verdict = context.pace.ask(peer);
	if (verdict === "go") return undefined;
	return verdict === "busy" && encodeJsonAscii({ ok: false, code: "EBUSY", error: `more than ${COMMAND_RATE.perSecond} commands a second` });
}

/**
 * A C firmware's command_cb (libivxs: iv_avt_p2p_init) answers every command, as the seed's API
 * has it: the reply's bytes, null (an empty reply: the seed closes the viewer's session), or
 * undefined when the firmware gave no command_cb (the built-in commands answer). The seed knows
 * no rights, so the firmware hears only viewers whose ticket has the command right; the same
 * rate per viewer as the built-ins (its callback runs on the app's thread).
 */
export function firmwareCommand(context: CommandContext, bytes: ArrayBuffer, peer: string, rights: number): Uint8Array | ArrayBuffer | null | false | undefined {
	const firmware = context.firmware;
	if (!firmware || !(firmware.p2p() & FirmwareP2P.command)) return undefined;
	const busy = overRate(context, peer);
	if (busy !== undefined) return busy;
	if (!(rights & Rights.command)) {
		context.log(`p2p: ${peer}: the firmware's commands need the ticket's command right: refused`);
		return encodeJsonAscii({ ok: false, code: "ERIGHTS", error: "the firmware's commands need the ticket's command right" });
	}
	return firmware.command(bytes, peer);
}

/** `rights`: the viewer's ticket's (Rights bits, the session's): a command whose right it lacks is
 * refused. False: over the viewer's rate, dropped unanswered. */
export function runViewerCommand(context: CommandContext, bytes: ArrayBuffer, peer: string, rights: number): Uint8Array | false {
	// counted before it is parsed: a malformed 16 KiB request costs its parse too
	const busy = overRate(context, peer);
	if (busy !== undefined) return busy;
	const command = parseViewerCommand(bytes);
	if (typeof command === "string") return encodeJsonAscii({ ok: false, error: command });
	const refused = refusedByRights(command, rights);
	if (refused) {
		context.log(`p2p: ${peer}: ${refused}: refused`);
		return encodeJsonAscii({ ok: false, code: "ERIGHTS", error: refused });
	}
	try {
		switch (command.cmd) {
		case "ptz":
			context.log(`p2p: ${peer}: ptz ${command.op} (no motor: a placeholder)`);
			return encodeJsonAscii({ ok: true, ptz: command.op, moved: false });
		case "snapshot": {
			if (!context.snapshot) return encodeJsonAscii({ ok: false, error: "no channel takes stills" });
			// through the camera's one gate for stills (one at a time per channel, 2 s apart)
			const { time, taken } = context.snapshot();
			return encodeJsonAscii(taken ? { ok: true, time } : { ok: false, time, error: "busy: a still was just taken" });
		}
		case "recordings": {
			if (!context.store) return encodeJsonAscii({ ok: false, error: "no local store" });
			const spans = context.store.spans(command.from, command.to);
			// the newest first when they do not all fit in one reply
			const more = spans.length > MAX_COMMAND_REPLY_SPANS;
			return encodeJsonAscii({ ok: true, spans: more ? spans.slice(-MAX_COMMAND_REPLY_SPANS) : spans, more });
		}
		case "playback": {
			const playback = context.playbackOf(peer);
			if (!playback) return encodeJsonAscii({ ok: false, error: "no playback open" });
			if (command.speed !== undefined) playback.setSpeed(command.speed);
			if (command.pause !== undefined) playback.pause(command.pause);
			if (command.seek !== undefined) playback.seek(command.seek);
			return encodeJsonAscii({ ok: true, position: Math.round(playback.position), paused: playback.paused, speed: playback.speed, done: playback.done });
		}
		}
	}
	catch (error) {
		return encodeJsonAscii({ ok: false, error: (error as Error).message });
	}
}
