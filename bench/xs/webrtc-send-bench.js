// The WebRTC send path's cost per video frame on XS, run by bench/webrtc/run.mjs under callgrind:
//   build/bin/ivxs-m32 -m bench/xs -m build/ts -m build/mods webrtc-send-bench -- <feed|js> <iterations>
// Every access unit of fixtures/media/h264-main-640x480.h264, `iterations` times, pushed into a GOP
// ring and sent as SRTP to a UDP socket on the loopback, as the camera sends a WebRTC viewer's
// video — "feed": native/webrtc's RtpFeed (the frame read where it lies in the ring, packetized,
// protected and written to the socket in C, one call a frame: the product's path); "js": what one
// would write in JS instead (a RingReader's frame, packetize's ArrayBuffer per packet, a copy each
// with room for the tag, Srtp.protect, a socket write per packet). Prints one JSON line:
// { mode, frames, packets, bytes } — packets and bytes the same for both (the feed's first packet
// of the stream goes twice: not counted).
import { readFile } from "ivxs/file";
import { argv } from "ivxs/host";
import * as annexb from "annexb";
import { Codec, FrameType, Ring, RingReader } from "ring";
import { RtpFeed, SRTP_TAG_BYTES, Srtp, packetize } from "webrtc";
import { openUdp } from "modules/p2p/udp";

const MTU = 1200, SSRC = 0x1ce1ce, PT = 102, RTP_HEADER_BYTES = 12;   // (no header extension: no TWCC here)

export default function main() {
	const [mode, count] = argv();
	const clip = new Uint8Array(readFile("fixtures/media/h264-main-640x480.h264"));
	const units = [];
	for (let at = 0, spans = annexb.accessUnits(clip, "h264"); at < spans.length; at += 3) units.push({ bytes: clip.subarray(spans[at], spans[at + 1]), key: (spans[at + 2] & 1) !== 0 });
	const srtp = new Srtp(Uint8Array.from({ length: 16 }, (_, i) => i).buffer, Uint8Array.from({ length: 14 }, (_, i) => i).buffer);
	const ring = new Ring({ maxGopBytes: 2 * clip.length });
	const socket = openUdp({ address: "127.0.0.1", port: 0, onReadable() {} });
	const to = { address: "127.0.0.1", port: 9 };   // discard: nobody reads them
	let frames = 0, packets = 0, bytes = 0, seq = 1;
	if (mode === "feed") {
		const feed = new RtpFeed(ring, { codec: 1, ssrc: SSRC, seq, payloadType: PT }, undefined, 0, 0);
		const path = { socket: socket.native, address: 0x7f000001, port: to.port, buffer: new ArrayBuffer(1500), send() {} };
		for (let i = 0; i < Number(count); i++)
			for (const unit of units) {
				ring.push(FrameType.video, Codec.h264, unit.key, frames++ * 66, unit.bytes);
				feed.tick(srtp, undefined, path, frames, 0);   // (wall 0: its sender reports on the Unix epoch, which this bench does not read)
			}
		const stats = feed.stats(undefined, frames);
		packets = stats.packets;
		bytes = stats.payloadBytes + packets * RTP_HEADER_BYTES;   // (the RTP bytes, as the JS path counts them: its sender report not among them)
		feed.close();
	}
	else {
		const reader = new RingReader(ring, { at: "live" });
		for (let i = 0; i < Number(count); i++)
			for (const unit of units) {
				ring.push(FrameType.video, Codec.h264, unit.key, frames++ * 66, unit.bytes);
				for (let frame = reader.read(); frame; frame = reader.read()) {
					const list = packetize(frame.data.slice().buffer, 1, SSRC, seq, PT, MTU, frame.timestamp * 90);
					seq = (seq + list.length) & 0xffff;
					for (const packet of list) {
						const buffer = new ArrayBuffer(packet.byteLength + SRTP_TAG_BYTES);
						new Uint8Array(buffer).set(new Uint8Array(packet));
						socket.write(buffer, to.address, to.port, srtp.protect(buffer, packet.byteLength));
						packets++;
						bytes += packet.byteLength;
					}
				}
			}
		reader.close();
	}
	socket.close();
	ring.close();
	srtp.close();
	trace(`${JSON.stringify({ mode, frames, packets, bytes })}\n`);
}
