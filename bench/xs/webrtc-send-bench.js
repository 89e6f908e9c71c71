// The WebRTC send path's cost per video frame on XS, run by bench/webrtc/run.mjs under callgrind:
//   build/bin/ivxs-m32 -m bench/xs -m build/ts -m build/mods webrtc-send-bench -- <sender|js> <iterations>
// Every access unit of fixtures/media/h264-main-640x480.h264, `iterations` times, made into SRTP
// packets as a WebRtcSession sends them — "sender": native/webrtc's RtpSender (packets made and
// protected in C into one scratch buffer, a view per packet); "js": the path it replaced (packetize's
// ArrayBuffer per packet, a copy per packet with room for the tag, Srtp.protect). The packets are
// counted, not sent. Prints one JSON line: { mode, frames, packets, bytes }.
import { readFile } from "ivxs/file";
import { argv } from "ivxs/host";
import * as annexb from "annexb";
import { RtpSender, SRTP_TAG_BYTES, Srtp, packetize } from "webrtc";

const MTU = 1200, PACKETS_PER_CALL = 8;

export default function main() {
	const [mode, count] = argv();
	const clip = new Uint8Array(readFile("fixtures/media/h264-main-640x480.h264"));
	const units = [];
	for (let at = 0, spans = annexb.accessUnits(clip, "h264"); at < spans.length; at += 3) units.push(clip.subarray(spans[at], spans[at + 1]));
	const srtp = new Srtp(Uint8Array.from({ length: 16 }, (_, i) => i).buffer, Uint8Array.from({ length: 14 }, (_, i) => i).buffer);
	const sender = new RtpSender(1, 0x1ce1ce, 1, 102, MTU);
	const out = new ArrayBuffer(PACKETS_PER_CALL * (MTU + SRTP_TAG_BYTES)), lengths = new Uint16Array(PACKETS_PER_CALL);
	let frames = 0, packets = 0, bytes = 0, seq = 1;
	const send = (view) => { packets++; bytes += view.byteLength; };
	for (let i = 0; i < Number(count); i++)
		for (const unit of units) {
			const timestamp = frames++ * 6000;
			if (mode === "sender") {
				sender.begin(unit, timestamp);
				for (let n = sender.next(unit, srtp, out, lengths); n; n = sender.next(unit, srtp, out, lengths))
					for (let k = 0, offset = 0; k < n; offset += lengths[k++]) send(new Uint8Array(out, offset, lengths[k]));
			}
			else {
				const list = packetize(unit.slice().buffer, 1, 0x1ce1ce, seq, 102, MTU, timestamp);
				seq = (seq + list.length) & 0xffff;
				for (const packet of list) {
					const buffer = new ArrayBuffer(packet.byteLength + SRTP_TAG_BYTES);
					new Uint8Array(buffer).set(new Uint8Array(packet));
					send(new Uint8Array(buffer, 0, srtp.protect(buffer, packet.byteLength)));
				}
			}
		}
	srtp.close();
	trace(`${JSON.stringify({ mode, frames, packets, bytes })}\n`);
}
