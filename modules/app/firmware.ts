/**
 * What the camera app sees of a C firmware that drives it (libivxs: the seed's iv_cs_* API,
 * hosts/linux/capi), as `firmware()` of ivxs/platform gives it: types (and FirmwareP2P's bits), shared by the
 * platform contract (platform.d.ts) and each host's implementation.
 */
import type { Capture } from "capture";
import type { Ring } from "ring";

/** A channel's capture, fed by the firmware's iv_cs_push_stream: Capture's shape, no stills. */
export interface FirmwareFeed {
	start(): void;
	stop(): void;
	close(): void;
	stats(): ReturnType<Capture["stats"]>;
	still(): { data: ArrayBuffer; timestamp: number };
}

export interface Firmware {
	/** The largest GOP the firmware announced (iv_cs_init's u32MaxSizeInAGop): sizes the ring. */
	maxGopBytes: number;
	/** The feed of a "firmware" channel (one): its video codec, and the codec of the audio it pushes (default AAC). */
	open(ring: Ring, codec: "h264" | "h265", audio?: "aac" | "pcmu" | "pcma"): FirmwareFeed;
	/** Whether the plan records now: the firmware's start/stop callbacks follow its changes. */
	record(on: boolean): void;
	/** Event bits the firmware raised since the last poll (0: none), or -1: it asked the app to exit. */
	poll(): number;
	/** The P2P callbacks it registered now (iv_avt_p2p_init): FirmwareP2P bits, 0 none. */
	p2p(): number;
	/** A viewer's command through its command_cb (on this thread, synchronous): the reply; null an
	 * empty reply (the seed: the viewer's session closes); undefined no command_cb now. */
	command(command: ArrayBuffer, peer: string): ArrayBuffer | null | undefined;
	/** An endpoint event (P2PEvent: the seed's iv_avt_event_e numbers) for its event_notify_cb:
	 * handle NULL, or a watermark event with the handle of its send channel `id` (without one: ignored). */
	event(event: number, id?: number): void;
	/** A viewer starts talking: its recv_init_cb → the channel's id, or undefined (refused, or no recv_init_cb now). */
	recvInit(params: string, peer: string): number | undefined;
	/** A talkback frame to its recv_voice_cb; empty: the end (recv_buf NULL, recv_len 0). Whether the channel is still open (iv_avt_p2p_exit ends it). */
	recvVoice(id: number, data: ArrayBuffer): boolean;
	/** A viewer asks for a stream: its send_init_cb → the channel's id, or undefined (refused, or no send_init_cb now). */
	sendInit(params: string, peer: string): number | undefined;
	/** The channel's send_get_cb (every 10 ms), after the figures its iv_avt_p2p_get_send_buf /
	 * _get_send_status then give: a copy of its bytes; undefined none now; false the channel is
	 * closed (iv_avt_p2p_exit). A chunk over maxBytes throws (RangeError): it could never be sent. */
	sendGet(id: number, figures: { buffered: number; instRate: number; avgRate: number; ackedBytes: number }, maxBytes: number): ArrayBuffer | undefined | false;
	/** The viewer's stream ended: its send_stop_cb (once; not again after iv_avt_p2p_exit). */
	sendStop(id: number): void;
	/** [low, warn, high] as iv_avt_p2p_set_buf_watermark last set them (all 0 after iv_avt_p2p_exit), or undefined: unchanged since the last look. */
	watermarks(): [number, number, number] | undefined;
	/** The p2p_keep_alive it registered (the seed's: either 0 turns it off), or undefined: no P2P callbacks now. */
	keepAlive(): { intervalS: number; attempts: number } | undefined;
}

/** Firmware.p2p()'s bits: which of the seed's P2P callbacks the firmware gave. */
export const FirmwareP2P = Object.freeze({ command: 1, send: 2, talk: 4 });
