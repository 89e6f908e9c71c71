/**
 * A viewer's voice (talkback), whichever wire it comes on — the native transport's `open voice`, a
 * WebRTC viewer's microphone: a C firmware's recv callbacks (libivxs: iv_avt_p2p_init) take it when
 * it registered them, else a file in the talkback folder (talkback.ts). One folder and one set of
 * bounds for both wires.
 */
import { FileWriter, listDirectory, makeDirectory, monotonic, now, removeFile } from "ivxs/platform";
import { TalkFolder, type Talk } from "./talkback.js";
import { FirmwareP2P, type Firmware } from "./firmware.js";

/** A talkback a C firmware's recv_voice_cb takes: its channel's id in the link. */
export type FirmwareTalk = { peer: string; firmware: number; frames: number; bytes: number };
export type VoiceHandle = Talk | FirmwareTalk;

export interface ViewerVoice {
	/** Whether a viewer's voice goes anywhere (a folder, or the firmware's callbacks). */
	readonly takes: boolean;
	/** A talkback opened for `peer` (`params`: talkback.ts's codec=…&rate=…), or undefined (none taken). Throws a RangeError for params or a folder it cannot take. */
	open(params: string, peer: string): VoiceHandle | undefined;
	/** One frame of it; empty data ends it. */
	voice(handle: VoiceHandle, data: ArrayBuffer): void;
}

export function viewerVoice({ talkbackDir, firmware, log }: { talkbackDir?: string; firmware?: Firmware; log(message: string): void }): ViewerVoice {
	if (talkbackDir) makeDirectory(talkbackDir);
	const talks = talkbackDir ? new TalkFolder(talkbackDir, { listDirectory, removeFile, createWriter: (path) => new FileWriter(path) }, monotonic) : undefined;
	const toFirmware = () => !!firmware && !!(firmware.p2p() & FirmwareP2P.talk);
	return {
		get takes() {
			return toFirmware() || !!talks;
		},
		open(params, peer) {
			if (toFirmware()) {
				// the firmware's recv_init_cb takes the viewer's voice (the seed's talkback), not a file
				const id = firmware!.recvInit(params, peer);
				if (id === undefined) return undefined;
				log(`p2p: ${peer} talks to the firmware (${params})`);
				return { peer, firmware: id, frames: 0, bytes: 0 };
			}
			if (!talks) return undefined;
			const talk = talks.openTalk(params, peer, now());
			log(`p2p: ${peer} talks (${talk.codec}) into ${talk.path}`);
			return talk;
		},
		voice(handle, data) {
			if ("firmware" in handle) {
				handle.frames += data.byteLength ? 1 : 0;
				handle.bytes += data.byteLength;
				// closed by iv_avt_p2p_exit: the frames that follow go nowhere
				if (!firmware!.recvVoice(handle.firmware, data) && !data.byteLength) log(`p2p: ${handle.peer} ended talkback to the firmware: ${handle.frames} frames, ${handle.bytes} bytes`);
				return;
			}
			const talk = handle, cut = talk.cut;
			const ended = talks!.frame(talk, data);
			if (!cut && talk.cut) log(`p2p: ${talk.peer}'s talkback cut short: ${talk.cut}; ${talk.frames} frames, ${talk.bytes} bytes in ${talk.path}`);
			if (ended) log(`p2p: ${talk.peer} ended talkback: ${talk.frames} frames, ${talk.bytes} bytes in ${talk.path}${talk.dropped ? `, ${talk.dropped} frames dropped (${talk.why || talk.cut})` : ""}`);
		},
	};
}
