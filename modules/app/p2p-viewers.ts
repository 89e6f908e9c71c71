/**
 * Viewers over P2P on the camera app (SPEC §2, issue 14 §2): live straight from the first
 * channel's ring (no onSendGet), playback of the local store (store/playback.ts, pulled by
 * onSendGet), talkback written to files (talkback.ts), and the built-in commands
 * (viewer-commands.ts). A viewer comes with a ticket the cloud minted for this device.
 */
import type { Ring } from "ring";
import { FileWriter, listDirectory, makeDirectory, monotonic, now, removeFile } from "ivxs/platform";
import { MAX_SESSIONS, P2P, P2PEvent, parseStreamParams } from "../p2p/index.js";
import type { LocalStore } from "../store/local-store.js";
import { Playback } from "../store/playback.js";
import type { DeviceConfig } from "./device-file.js";
import { TalkFolder, type Talk } from "./talkback.js";
import { firmwareCommand, runViewerCommand } from "./viewer-commands.js";
import { FirmwareP2P, type Firmware } from "./firmware.js";
import { Pace } from "./pace.js";
import { COMMAND_RATE, OPEN_RATE } from "../protocol/viewer-commands.js";

/** The send buffer's watermarks, bytes: low, warn, high (camera-p2p.ts setWatermarks). */
const WATERMARKS = Object.freeze([64 * 1024, 128 * 1024, 192 * 1024] as const);   // frozen: preloaded on ESP32 (the XS linker warns otherwise)

export interface ViewerOptions {
	port: number;
	ring: Ring;
	/** The first channel's local store (playback, the recordings command). */
	store?: LocalStore;
	/** Talkback files go here (none: talkback is refused). */
	talkbackDir?: string;
	snapshot?(): { time: number; taken: boolean };
	/** Unix seconds for tickets' expiry: the camera's clock as the cloud knows it (default now()). */
	unixTime?: () => number;
	maxSessions?: number;
	/** The C firmware that started the app (libivxs), whose P2P callbacks it registered answer. */
	firmware?: Firmware;
	log: (message: string) => void;
}

type Handle = { peer: string; params: string; playback?: Playback };
/** A talkback a C firmware's recv_voice_cb takes: its channel's id in the link. */
type FirmwareTalk = { peer: string; firmware: number; frames: number; bytes: number };

/** The endpoint, or why P2P cannot run (the caller logs it: p2p-signal.ts). */
export function startViewers(config: DeviceConfig, options: ViewerOptions): P2P | string {
	const { log, store, talkbackDir } = options;
	if (config.id.length > 16) return `a ticket names devices of at most 16 bytes; "${config.id}" is longer`;
	if (talkbackDir) makeDirectory(talkbackDir);
	const talks = talkbackDir ? new TalkFolder(talkbackDir, { listDirectory, removeFile, createWriter: (path) => new FileWriter(path) }, monotonic) : undefined;
	const playbacks = new Map<string, Playback>();
	const commands = { store, playbackOf: (p: string) => playbacks.get(p), snapshot: options.snapshot, firmware: options.firmware, log, pace: new Pace(COMMAND_RATE, monotonic) };
	const opens = new Pace(OPEN_RATE, monotonic);
	const mayOpen = (peer: string) => {
		if (opens.take(peer)) return true;
		log(`p2p: ${peer}: more than ${OPEN_RATE.perSecond} playback or talkback a second: refused`);
		return false;
	};
	const p2p = new P2P({
		deviceId: config.id, deviceSecret: Uint8Array.from(config.secret, (c) => c.charCodeAt(0)), port: options.port, ring: options.ring,
		ringClock: now, monotonic, unixTime: options.unixTime ?? (() => now() / 1000), maxSessions: options.maxSessions ?? MAX_SESSIONS.board, log,
	});
	p2p.init({
		onSendInit: (params, peer): Handle | undefined => {
			const p = parseStreamParams(params);   // (checked already: this only narrows it)
			if (p.action === "live") {
				log(`p2p: ${peer} watches (${params})`);
				return { peer, params };
			}
			if (!store || p.channel !== 0) {
				log(`p2p: ${peer}: no local recordings for ${params}`);
				return undefined;
			}
			if (!mayOpen(peer)) return undefined;
			const playback = new Playback({ store, start: p.start, end: p.end, speed: p.speed, now: monotonic });
			playbacks.set(peer, playback);
			log(`p2p: ${peer} plays back (${params})`);
			return { peer, params, playback };
		},
		onSendGet: (handle) => (handle as Handle).playback?.pull(),
		onSendStop: (handle) => {
			const { peer, playback } = handle as Handle;
			if (playback && playbacks.get(peer) === playback) playbacks.delete(peer);
			log(`p2p: ${peer} stopped ${playback ? "playing back" : "watching"}`);
		},
		onEvent: (event) => {
			// the endpoint's own events to a C firmware (its event_notify_cb); a watermark names one of the app's channels, not the firmware's
			if (event < P2PEvent.watermarkLow) options.firmware?.event(event);
			if (event === P2PEvent.watermarkLow || event === P2PEvent.watermarkWarn || event === P2PEvent.watermarkHigh) return;   // in the session report
			if (event === P2PEvent.peerConnectFail) log("p2p: no STUN server answered (PEER_CONNECT_FAIL): only host and relayed candidates");
			else if (event !== P2PEvent.peerReady) log(`p2p: event ${event}`);
		},
		onRecvInit: (params, peer): Talk | FirmwareTalk | undefined => {
			const fw = options.firmware;
			if (fw && fw.p2p() & FirmwareP2P.talk) {
				// a C firmware's recv_init_cb takes the viewer's voice (the seed's talkback), not a file
				if (!mayOpen(peer)) return undefined;
				const id = fw.recvInit(params, peer);
				if (id === undefined) return undefined;
				log(`p2p: ${peer} talks to the firmware (${params})`);
				return { peer, firmware: id, frames: 0, bytes: 0 };
			}
			if (!talks) return undefined;
			if (!mayOpen(peer)) return undefined;
			const talk = talks.openTalk(params, peer, now());
			log(`p2p: ${peer} talks (${talk.codec}) into ${talk.path}`);
			return talk;
		},
		onRecvVoice: (handle, data) => {
			if ("firmware" in (handle as object)) {
				const voice = handle as FirmwareTalk;
				voice.frames += data.byteLength ? 1 : 0;
				voice.bytes += data.byteLength;
				// closed by iv_avt_p2p_exit: the frames that follow go nowhere
				if (!options.firmware!.recvVoice(voice.firmware, data) && !data.byteLength) log(`p2p: ${voice.peer} ended talkback to the firmware: ${voice.frames} frames, ${voice.bytes} bytes`);
				return;
			}
			const talk = handle as Talk, cut = talk.cut;
			const ended = talks!.frame(talk, data);
			if (!cut && talk.cut) log(`p2p: ${talk.peer}'s talkback cut short: ${talk.cut}; ${talk.frames} frames, ${talk.bytes} bytes in ${talk.path}`);
			if (ended) log(`p2p: ${talk.peer} ended talkback: ${talk.frames} frames, ${talk.bytes} bytes in ${talk.path}${talk.dropped ? `, ${talk.dropped} frames dropped (${talk.why || talk.cut})` : ""}`);
		},
		onCommand: (command, peer, rights) => {
			const reply = firmwareCommand(commands, command, peer, rights);
			return reply !== undefined ? reply : runViewerCommand(commands, command, peer, rights);
		},
	});
	// A playback read from the card faster than the viewer's path drains stops above high and
	// resumes below low (the transport holds at most 256 KiB unsent per channel): the card is read
	// at the path's rate, not the card's. Live comes from the ring and is never held back by them.
	p2p.setWatermarks(...WATERMARKS);
	log(`p2p: viewers on UDP port ${p2p.port}`);
	return p2p;
}
