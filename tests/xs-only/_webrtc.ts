// A WebRTC viewer as the XS tests play it against the camera's endpoint (modules/webrtc): its offer,
// checks, DTLS through take(), SRTCP, and the fixtures they share.
import { DtlsIdentity, DtlsSession, SRTCP_TRAILER_BYTES, type Srtp } from "webrtc";
import { hmacSha1 } from "ivxs/crypto";
import { readFile } from "ivxs/file";
import { Ring } from "ring";
import { accessUnitSpans } from "../../modules/media/annexb.js";
import { candidatePriority, iceCheck } from "../../modules/webrtc/ice.js";
import type { WebRtcEndpoint } from "../../modules/webrtc/endpoint.js";
import { TWCC_URI } from "../../modules/webrtc/sdp.js";

/** A viewer's inbox: `send` for the camera's session; a datagram byte for byte the one before it is
 * an SRTP replay a viewer drops (the stream's first packet goes twice: session.ts #sendMade). */
export function inbox(list: ArrayBuffer[], replays = { count: 0 }): (bytes: Uint8Array) => void {
	let last: Uint8Array | undefined;
	return (bytes) => {
		const same = last !== undefined && last.length === bytes.length && last.every((b, i) => b === bytes[i]);
		last = bytes.slice();
		if (same) replays.count++;
		else list.push(last.buffer as ArrayBuffer);
	};
}

/** A list's items, the list emptied (not splice(0): XS's splice of an empty array memcpys from NULL, which UBSan reports). */
export function drained<T>(list: T[]): T[] {
	const out = [...list];
	list.length = 0;
	return out;
}

/** A browser-like offer of a viewer whose certificate hashes to `fingerprint`: recvonly H.264, and
 * with `audio` an audio section in that direction offering Opus, PCMU and PCMA; with `twcc` its
 * transport-wide feedback under that extension id. */
export function viewerOffer(fingerprint: ArrayBuffer, audio?: "sendrecv" | "recvonly", twcc?: number): string {
	const fp = Array.from(new Uint8Array(fingerprint), (b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
	const transport = ["c=IN IP4 0.0.0.0", "a=ice-ufrag:viewerU", "a=ice-pwd:viewerPasswordViewer24", `a=fingerprint:sha-256 ${fp}`, "a=setup:actpass"];
	return ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", `a=group:BUNDLE 0${audio ? " 1" : ""}`, "m=video 9 UDP/TLS/RTP/SAVPF 102", ...transport, "a=mid:0", "a=recvonly", "a=rtcp-mux",
		"a=rtpmap:102 H264/90000", "a=rtcp-fb:102 nack pli", "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f",
		...(twcc ? [`a=extmap:${twcc} ${TWCC_URI}`, "a=rtcp-fb:102 transport-cc"] : []),
		"a=candidate:1 1 udp 2122260223 10.0.0.9 4000 typ host",
		...(audio ? ["m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8", ...transport, "a=mid:1", `a=${audio}`, "a=rtcp-mux", "a=rtpmap:111 opus/48000/2", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
			...(twcc ? [`a=extmap:${twcc} ${TWCC_URI}`, "a=rtcp-fb:111 transport-cc"] : [])] : []), ""].join("\r\n");   // (as Chrome: transport-cc for Opus only)
}

/** Where the viewer's datagrams come from (its host candidate in viewerOffer). */
export const VIEWER = Object.freeze({ address: "10.0.0.9", port: 4000 });

/** The viewer's datagram as the endpoint's socket gives it (from `from`, by default VIEWER). */
export const fromViewer = (buffer: ArrayBuffer, from: { address: string; port: number } = VIEWER) => Object.assign(buffer, { address: from.address, port: from.port });

/** The viewer's RTCP `bytes` as its datagram: protected as SRTCP by its context `srtcp`. */
export function viewerRtcp(srtcp: Srtp, bytes: Uint8Array) {
	const packet = new Uint8Array(bytes.length + SRTCP_TRAILER_BYTES);
	packet.set(bytes);
	return fromViewer(packet.buffer.slice(0, srtcp.protectRtcp(packet.buffer, bytes.length)));
}

/** A generic NACK (RFC 4585 §6.2.1) about `ssrc`: each entry a packet id and its bitmask of the 16 after. */
export function nackOf(ssrc: number, entries: [number, number][]): Uint8Array {
	return Uint8Array.from([0x81, 205, 0, 2 + entries.length, 0, 0, 0, 7, ...bigEndian(ssrc), ...entries.flatMap(([pid, blp]) => [pid >> 8, pid & 0xff, blp >> 8, blp & 0xff])]);
}

export const bigEndian = (word: number) => [word >>> 24, (word >> 16) & 0xff, (word >> 8) & 0xff, word & 0xff];

/** RTP, not RTCP (RFC 5761: RTCP's second byte is 192–223). */
export const isRtp = (d: ArrayBuffer) => new Uint8Array(d)[0] >= 128 && !(new Uint8Array(d)[1] >= 192 && new Uint8Array(d)[1] <= 223);

/** An RTP packet's sequence number (clear in SRTP). */
export const seqOf = (d: ArrayBuffer) => (new Uint8Array(d)[2] << 8) | new Uint8Array(d)[3];

/** The transport-wide number of a packet of ours, unprotected: its one-byte extension follows the
 * 12-byte header (0xBEDE, its length, id and length, then the number). */
export const twccNumberOf = (d: ArrayBuffer) => (new Uint8Array(d)[17] << 8) | new Uint8Array(d)[18];

/** The viewer's nominating check for the camera's `answer`, through take(). */
export function nominate(endpoint: WebRtcEndpoint, answer: string, from: { address: string; port: number } = VIEWER): boolean {
	const ufrag = /a=ice-ufrag:(\S+)/.exec(answer)![1], pwd = /a=ice-pwd:(\S+)/.exec(answer)![1];
	return endpoint.take(Object.assign(iceCheck({ id: new Uint8Array(12).fill(7), local: { ufrag: "viewerU", pwd: "viewerPasswordViewer24" }, remote: { ufrag, pwd }, priority: candidatePriority("host"), controlling: true, tieBreaker: new Uint8Array(8).fill(3), nominate: true }, hmacSha1).slice().buffer, from));
}

/** DTLS with the viewer as client through take(): its state at the end, and the media (not DTLS) that went out meanwhile. */
export function handshakeThrough(endpoint: WebRtcEndpoint, viewer: DtlsSession, toViewer: ArrayBuffer[], tick: () => number, from: { address: string; port: number } = VIEWER): { state: number; media: ArrayBuffer[] } {
	const isDtls = (d: ArrayBuffer) => new Uint8Array(d)[0] >= 20 && new Uint8Array(d)[0] <= 25;
	const media: ArrayBuffer[] = [];
	let flight = viewer.tick(tick()).send, state = 0;
	for (let round = 0; round < 8 && flight.length; round++) {
		for (const d of flight) endpoint.take(fromViewer(d, from));
		const answers = drained(toViewer);
		media.push(...answers.filter((d) => !isDtls(d)));
		flight = [];
		for (const d of answers.filter(isDtls)) { const r = viewer.input(d, tick()); state = r.state; flight.push(...r.send); }
	}
	return { state, media };
}

/** The clip's access units (`unit(i)`: the i-th of a GOP), a camera's and a viewer's DTLS identities, a ring. */
export function gopFixture() {
	const clip = new Uint8Array(readFile("fixtures/media/h264-main-640x480.h264"));
	const spans = accessUnitSpans(clip, "h264");
	const cam = DtlsIdentity.create(), view = DtlsIdentity.create();
	return {
		unit: (i: number) => clip.slice(spans[3 * i], spans[3 * i + 1]),
		viewerId: new DtlsIdentity(view.key, view.certificate), cameraId: new DtlsIdentity(cam.key, cam.certificate),
		ring: new Ring({ maxGopBytes: 256 * 1024 }),
	};
}

