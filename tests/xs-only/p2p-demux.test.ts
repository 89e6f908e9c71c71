// What a datagram on the camera's shared socket is (modules/p2p/demux.ts), by its first byte:
// RFC 7983's ranges and the native transport's 0x5X and 0x6X, the one table the link and WebRTC read.
import test from "ava";
import { datagramKind, DatagramKind } from "../../modules/p2p/demux.js";

const kind = (first: number) => datagramKind(Uint8Array.of(first, 0, 0, 0));

test("STUN 0–3, DTLS's content types 20–25, RTP and RTCP 128–191 (RTCP by its second byte, 192–223), the transport's 0x50–0x6F (versions 5 and 6)", (t) => {
	for (const first of [0, 1, 2, 3]) t.is(kind(first), DatagramKind.stun, `${first}`);
	for (let first = 20; first <= 25; first++) t.is(kind(first), DatagramKind.dtls, `${first}`);
	for (const first of [128, 144, 191]) t.is(kind(first), DatagramKind.rtp, `${first}`);
	for (const second of [192, 200, 206, 223]) t.is(datagramKind(Uint8Array.of(0x81, second, 0, 0)), DatagramKind.rtcp, `RTCP's type ${second} (RFC 5761 §4)`);
	for (const second of [96, 191, 224]) t.is(datagramKind(Uint8Array.of(0x80, second, 0, 0)), DatagramKind.rtp, `RTP's marker and payload type ${second}`);
	t.is(datagramKind(Uint8Array.of(0x81, 200), 1), DatagramKind.rtp, "a one-byte datagram is not RTCP");
	for (const first of [0x50, 0x55, 0x5f, 0x60, 0x63, 0x6f]) t.is(kind(first), DatagramKind.native, `${first}`);
});

test("the rest is nobody's: the gaps, DTLS's reserved 26–63, TURN's channels 64–79, past 191, an empty datagram", (t) => {
	for (const first of [4, 19, 26, 48, 63, 64, 79, 0x40, 0x70, 127, 192, 255]) t.is(kind(first), undefined, `${first}`);
	t.is(datagramKind(new Uint8Array(0)), undefined);
	t.is(datagramKind(Uint8Array.of(0x50).buffer), DatagramKind.native, "an ArrayBuffer too");
	t.is(datagramKind(Uint8Array.of(0x50, 1), 0), undefined, "only the first `length` bytes count");
});
