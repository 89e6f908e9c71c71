/**
 * Viewers over P2P on the camera app (SPEC §2, issue 14 §2): live straight from the first
 * channel's ring (no onSendGet), playback of the local store (store/playback.ts, pulled by
 * onSendGet), talkback (viewerVoice below: files, or the firmware), and the built-in commands
 * (viewerCommands below, viewer-commands.ts: both wires); a C firmware's callbacks (libivxs: iv_avt_p2p_init) take streams, talkback and
 * commands when it gave them. A viewer comes with a ticket the cloud minted for this device.
 */
import type { Ring } from "ring";
import Timer from "timer";
import { FileWriter, listDirectory, makeDirectory, monotonic, now, removeFile } from "ivxs/platform";
import { MAX_SESSIONS, P2P, P2PEvent, parseStreamParams } from "../p2p/index.js";
import type { LocalStore } from "../store/local-store.js";
import { Playback } from "../store/playback.js";
import type { DeviceConfig } from "./device-file.js";
import { admitTalkFrame, TalkFolder, talkMeter, type Talk, type TalkMeter } from "./talkback.js";
import { firmwareCommand, runViewerCommand } from "./viewer-commands.js";
import { FirmwareP2P, type Firmware } from "./firmware.js";
import { Pace } from "./pace.js";
import { COMMAND_RATE, OPEN_RATE } from "../protocol/viewer-commands.js";

/** The send buffer's watermarks, bytes: low, warn, high (camera-p2p.ts setWatermarks). */
const WATERMARKS = Object.freeze([64 * 1024, 128 * 1024, 192 * 1024] as const);
/** What an onSendGet-fed channel holds unsent (the transport's default): a firmware's chunk may not be larger. */
const QUEUE_BYTES = 256 * 1024;   // frozen: preloaded on ESP32 (the XS linker warns otherwise)

export interface ViewerOptions {
	port: number;
	ring: Ring;
	/** The first channel's local store (playback, the recordings command). */
	store?: LocalStore;
	/** Where a viewer's voice goes (viewerVoice: the talkback folder or the firmware; none: talkback is refused). */
	voice?: ViewerVoice;
	/** The viewers' commands (viewerCommands: the same for WebRTC viewers' DataChannels). */
	commands: ViewerCommands;
	/** Unix seconds for tickets' expiry: the camera's clock as the cloud knows it (default now()). */
	unixTime?: () => number;
	maxSessions?: number;
	/** Places left for viewers on every wire, a new native one counted (viewers.ts): it is refused below 0. */
	places?: () => number;
	/** The C firmware that started the app (libivxs), whose P2P callbacks it registered answer. */
	firmware?: Firmware;
	log: (message: string) => void;
}

type Handle = { peer: string; params: string; playback?: Playback };
/** A stream a C firmware's send_get_cb feeds (its own bytes, live or playback): its channel's id in the link. */
type FirmwareStream = { peer: string; params: string; firmware: number; closed: boolean };
const isFirmware = (handle: unknown): handle is FirmwareStream => "firmware" in (handle as object);

/** The endpoint, or why P2P cannot run (the caller logs it: p2p-signal.ts). */
export function startViewers(config: DeviceConfig, options: ViewerOptions): P2P | string {
	const { log, store, voice, commands } = options;
	if (config.id.length > 16) return `a ticket names devices of at most 16 bytes; "${config.id}" is longer`;
	const playbacks = commands.playbacks;
	const opens = new Pace(OPEN_RATE, monotonic);
	const mayOpen = (peer: string) => {
		if (opens.take(peer)) return true;
		log(`p2p: ${peer}: more than ${OPEN_RATE.perSecond} playback or talkback a second: refused`);
		return false;
	};
	const p2p = new P2P({
		deviceId: config.id, deviceSecret: Uint8Array.from(config.secret, (c) => c.charCodeAt(0)), port: options.port, ring: options.ring,
		ringClock: now, monotonic, unixTime: options.unixTime ?? (() => now() / 1000), maxSessions: options.maxSessions ?? MAX_SESSIONS.board, places: options.places, queueBytes: QUEUE_BYTES, log,
	});
	const fw = options.firmware;
	/** The firmware's iv_avt_p2p_set_buf_watermark, once it changed; the app's own without a firmware's callbacks. */
	const followWatermarks = () => {
		const marks = fw?.watermarks();
		if (!marks) return;
		const own = !(fw!.p2p() & FirmwareP2P.send) && !marks[2];
		p2p.setWatermarks(...(own ? WATERMARKS : marks));
		log(`p2p: send-buffer watermarks ${own ? "the app's" : "the firmware's"}: ${(own ? WATERMARKS : marks).join(", ")} bytes`);
	};
	p2p.init({
		// the firmware's p2p_keep_alive when it registered its callbacks before P2P started
		keepAlive: fw?.keepAlive(),
		onSendInit: (params, peer): Handle | FirmwareStream | undefined => {
			if (fw && fw.p2p() & FirmwareP2P.send) {
				// a C firmware's send_init_cb takes the viewer's stream (the seed's send_get_cb feeds it), live and playback
				if (parseStreamParams(params).action !== "live" && !mayOpen(peer)) return undefined;
				followWatermarks();
				const id = fw.sendInit(params, peer);
				if (id === undefined) return undefined;
				log(`p2p: ${peer} gets the firmware's stream (${params})`);
				return { peer, params, firmware: id, closed: false };
			}
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
		onSendGet: (handle) => {
			if (!isFirmware(handle)) return (handle as Handle).playback?.pull();
			const stream = handle as FirmwareStream;
			if (stream.closed) return undefined;
			followWatermarks();
			const chunk = fw!.sendGet(stream.firmware, { buffered: p2p.sendBuffered(handle), ...p2p.sendStats(handle) }, QUEUE_BYTES);
			if (chunk !== false) return chunk;
			// iv_avt_p2p_exit closed it (send_stop_cb called): the viewer's stream ends
			stream.closed = true;
			Timer.set(() => p2p.end(stream.peer), 0);
			return undefined;
		},
		pullsLive: (handle) => isFirmware(handle),
		onSendStop: (handle) => {
			if (isFirmware(handle)) {
				const stream = handle as FirmwareStream;
				fw!.sendStop(stream.firmware);
				log(`p2p: ${stream.peer}'s firmware stream stopped`);
				return;
			}
			const { peer, playback } = handle as Handle;
			if (playback && playbacks.get(peer) === playback) playbacks.delete(peer);
			log(`p2p: ${peer} stopped ${playback ? "playing back" : "watching"}`);
		},
		onEvent: (event, handle) => {
			// the endpoint's own events to a C firmware (its event_notify_cb); a watermark only for the firmware's own channels
			if (event < P2PEvent.watermarkLow) fw?.event(event);
			else if (handle && isFirmware(handle)) fw!.event(event, (handle as FirmwareStream).firmware);
			if (event === P2PEvent.watermarkLow || event === P2PEvent.watermarkWarn || event === P2PEvent.watermarkHigh) return;   // in the session report
			if (event === P2PEvent.peerConnectFail) log("p2p: no STUN server answered (PEER_CONNECT_FAIL): only host and relayed candidates");
			else if (event !== P2PEvent.peerReady) log(`p2p: event ${event}`);
		},
		onRecvInit: (params, peer): VoiceHandle | undefined => (voice?.takes && mayOpen(peer) ? voice.open(params, peer) : undefined),
		onRecvVoice: (handle, data) => voice!.voice(handle as VoiceHandle, data),
		onCommand: (command, peer, rights) => commands.run(command, peer, rights),
	});
	// A playback read from the card faster than the viewer's path drains stops above high and
	// resumes below low (the transport holds at most 256 KiB unsent per channel): the card is read
	// at the path's rate, not the card's. Live comes from the ring and is never held back by them.
	p2p.setWatermarks(...WATERMARKS);
	log(`p2p: viewers on UDP port ${p2p.port}`);
	return p2p;
}

/**
 * A viewer's commands, whichever wire they come on — the native transport's requests, a WebRTC
 * viewer's DataChannel: a C firmware's command_cb answers when it gave one, else the built-ins
 * (viewer-commands.ts). One rate per viewer, one table of rights, one reply format.
 */
export interface ViewerCommands {
	/** Each native viewer's open playback (the `playback` command controls the asking viewer's). */
	readonly playbacks: Map<string, Playback>;
	/** The reply to `peer`'s command (its ticket's `rights`); null: the firmware closes the viewer's
	 * session; false: over the viewer's rate, dropped unanswered. */
	run(bytes: ArrayBuffer, peer: string, rights: number): Uint8Array | ArrayBuffer | null | false;
}

export function viewerCommands({ store, snapshot, firmware, log }: { store?: LocalStore; snapshot?(): { time: number; taken: boolean }; firmware?: Firmware; log(message: string): void }): ViewerCommands {
	const playbacks = new Map<string, Playback>();
	const context = { store, playbackOf: (p: string) => playbacks.get(p), snapshot, firmware, log, pace: new Pace(COMMAND_RATE, monotonic) };
	return {
		playbacks,
		run(bytes, peer, rights) {
			const reply = firmwareCommand(context, bytes, peer, rights);
			return reply !== undefined ? reply : runViewerCommand(context, bytes, peer, rights);
		},
	};
}

/**
 * A viewer's voice (talkback), whichever wire it comes on — the native transport's `open voice`, a
 * WebRTC viewer's microphone: a C firmware's recv callbacks (libivxs: iv_avt_p2p_init) take it when
 * it registered them, else a file in the talkback folder (talkback.ts). One folder, and one set of
 * bounds (talkback.ts admitTalkFrame) for both wires and both takers: a frame past them never
 * reaches recv_voice_cb, and a cut talkback's end (NULL, 0) reaches it at the cut.
 */

/** A talkback a C firmware's recv_voice_cb takes: its channel's id in the link, and its bounds' meter. */
export type FirmwareTalk = TalkMeter & { peer: string; firmware: number };
export type VoiceHandle = Talk | FirmwareTalk;

export interface ViewerVoice {
	/** Whether a viewer's voice goes anywhere (a folder, or the firmware's callbacks). */
	readonly takes: boolean;
	/** A talkback opened for `peer` (`params`: talkback.ts's codec=…&rate=…), or undefined (none taken). Throws a RangeError for params or a folder it cannot take. */
	open(params: string, peer: string): VoiceHandle | undefined;
	/** One frame of it; empty data ends it. */
	voice(handle: VoiceHandle, data: ArrayBuffer): void;
}

/** The end of a talkback for recv_voice_cb (recv_buf NULL, recv_len 0). */
const TALK_END = Object.freeze(new ArrayBuffer(0));

/** `clock`: monotonic ms for the bounds (the platform's; tests pass their own). */
export function viewerVoice({ talkbackDir, firmware, log, clock = monotonic }: { talkbackDir?: string; firmware?: Firmware; log(message: string): void; clock?: () => number }): ViewerVoice {
	if (talkbackDir) makeDirectory(talkbackDir);
	const talks = talkbackDir ? new TalkFolder(talkbackDir, { listDirectory, removeFile, createWriter: (path) => new FileWriter(path) }, clock) : undefined;
	const toFirmware = () => !!firmware && !!(firmware.p2p() & FirmwareP2P.talk);
	return {
		get takes() {
			return toFirmware() || !!talks;
		},
		open(params, peer) {
			if (toFirmware()) {
				// the firmware's recv_init_cb takes the viewer's voice (the seed's talkback), not a file
				const meter = talkMeter(params, clock());   // params it cannot bound: a RangeError, as the folder's
				const id = firmware!.recvInit(params, peer);
				if (id === undefined) return undefined;
				log(`p2p: ${peer} talks to the firmware (${params})`);
				return { ...meter, peer, firmware: id };
			}
			if (!talks) return undefined;
			const talk = talks.openTalk(params, peer, now());
			log(`p2p: ${peer} talks (${talk.codec}) into ${talk.path}`);
			return talk;
		},
		voice(handle, data) {
			if ("firmware" in handle) {
				const cut = handle.cut;
				if (data.byteLength && !admitTalkFrame(handle, data, clock())) {
					if (cut || !handle.cut) return;   // dropped (counted)
					// cut short: the firmware hears its end now, and nothing after it
					firmware!.recvVoice(handle.firmware, TALK_END as ArrayBuffer);
					log(`p2p: ${handle.peer}'s talkback to the firmware cut short: ${handle.cut}; ${handle.frames} frames, ${handle.bytes} bytes`);
					return;
				}
				if (cut) return;   // the viewer's end after the cut: the firmware heard it then
				// closed by iv_avt_p2p_exit: the frames that follow go nowhere
				if (!firmware!.recvVoice(handle.firmware, data) && !data.byteLength) log(`p2p: ${handle.peer} ended talkback to the firmware: ${handle.frames} frames, ${handle.bytes} bytes${handle.dropped ? `, ${handle.dropped} frames dropped (${handle.why})` : ""}`);
				return;
			}
			const talk = handle, cut = talk.cut;
			const ended = talks!.frame(talk, data);
			if (!cut && talk.cut) log(`p2p: ${talk.peer}'s talkback cut short: ${talk.cut}; ${talk.frames} frames, ${talk.bytes} bytes in ${talk.path}`);
			if (ended) log(`p2p: ${talk.peer} ended talkback: ${talk.frames} frames, ${talk.bytes} bytes in ${talk.path}${talk.dropped ? `, ${talk.dropped} frames dropped (${talk.why || talk.cut})` : ""}`);
		},
	};
}
