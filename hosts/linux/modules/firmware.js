// ivxs/firmware: a C firmware's link to the camera app on the Linux host (hosts/linux/src/mod_firmware.c).
// When libivxs's iv_cs_init started the app, firmware() describes it: the ring size it asked for,
// a feed its iv_cs_push_stream fills, the plan's start/stop for its callbacks, its events and its
// exit request; its P2P callbacks (iv_avt_p2p_init, src/mod_firmware_p2p.c). In the `ivxs` program nothing is attached and firmware() is undefined.
import { nativeRing } from "ring";

function attached() @ "xs_firmware_attached";
function open(ring, codec, audio) @ "xs_firmware_open";
function start(feed) @ "xs_firmware_start";
function stop(feed) @ "xs_firmware_stop";
function stats(feed) @ "xs_firmware_stats";
function close(feed) @ "xs_firmware_close";
function record(on) @ "xs_firmware_record";
function poll() @ "xs_firmware_poll";
function p2p() @ "xs_firmware_p2p";
function command(bytes, peer) @ "xs_firmware_p2p_command";
function event(n, id) @ "xs_firmware_p2p_event";
function recvInit(params, peer) @ "xs_firmware_p2p_recv_init";
function recvVoice(id, bytes) @ "xs_firmware_p2p_recv_voice";
function sendInit(params, peer) @ "xs_firmware_p2p_send_init";
function sendGet(id, buffered, instRate, avgRate, acked, maxBytes) @ "xs_firmware_p2p_send_get";
function sendStop(id) @ "xs_firmware_p2p_send_stop";
function watermarks() @ "xs_firmware_p2p_watermarks";
function keepAlive() @ "xs_firmware_p2p_keep_alive";

// The capture of a firmware channel: the shape of Capture (native/capture), without stills.
class Feed {
	#feed;
	constructor(ring, codec, audio) {
		this.#feed = open(nativeRing(ring), codec, audio);
	}
	start() { start(this.#feed); }
	stop() { stop(this.#feed); }
	stats() { return stats(this.#feed); }
	still() { throw new Error("firmware feed: no stills (the firmware pushes video only)"); }
	close() { close(this.#feed); }
}
Object.freeze(Feed.prototype);

const link = Object.freeze({
	open: (ring, codec, audio = "aac") => new Feed(ring, codec, audio),
	record: (on) => record(!!on),
	poll,
	p2p,
	command,
	event: (n, id) => id === undefined ? event(n) : event(n, id),
	recvInit,
	recvVoice,
	sendInit,
	sendGet: (id, figures, maxBytes) => sendGet(id, figures.buffered, figures.instRate, figures.avgRate, figures.ackedBytes, maxBytes),
	sendStop,
	watermarks,
	keepAlive,
});

// Asked when the app starts (never at module load: a heap snapshot must not keep the answer).
export function firmware() {
	const maxGopBytes = attached();
	return maxGopBytes ? { maxGopBytes, ...link } : undefined;
}
