/**
 * What a datagram on the camera's shared socket is, by its first byte: RFC 7983's ranges for a
 * socket that STUN, DTLS and SRTP share (RFC 9443 puts TURN channels at 64–79; RTP and RTCP are
 * told apart by the second byte, RTCP's packet types 192–223: RFC 5761 §4), and the native
 * transport's packets (0x5X and 0x6X: versions 5 and 6, native/p2p/PROTOCOL.md). Of DTLS's reserved 20–63 only the
 * content types DTLS has (20–25, change_cipher_spec … tls12_cid) are taken: the rest is nobody's,
 * not a record for the WebRTC session to parse. The link (link.ts) and the WebRTC wire tell
 * datagrams apart with it.
 */
import { isPacket } from "p2p";

/** Numbers, not text: on XS every evaluation of a string literal copies it into a new chunk, and a
 * kind is told and compared for every datagram the socket hears. */
export const enum DatagramKind { stun, dtls, rtp, rtcp, native }

/** Which wire the first `length` bytes of `bytes` are for; undefined: nobody's. */
export function datagramKind(bytes: Uint8Array | ArrayBuffer, length = bytes.byteLength): DatagramKind | undefined {
	if (!length) return undefined;
	if (isPacket(bytes, length)) return DatagramKind.native;
	const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes, 0, Math.min(length, 2));
	const first = view[0];
	if (first <= 3) return DatagramKind.stun;
	if (first >= 20 && first <= 25) return DatagramKind.dtls;
	if (first >= 128 && first <= 191) return length > 1 && view[1] >= 192 && view[1] <= 223 ? DatagramKind.rtcp : DatagramKind.rtp;
	return undefined;
}
