// The camera's WebRTC wire (native/webrtc): SRTP/SRTCP contexts (AES_CM_128_HMAC_SHA1_80 over
// mbedTLS) and H.264 / H.265 RTP packetization of an access unit. README.md says what is built
// and what is to come.
//
// Srtp is a plain class over a native host object (not `class X @ "…"`): XS cannot put a class
// with a host destructor into a heap snapshot, and apps preload this module into one.
function create(key, salt) @ "xs_webrtc_srtp_create";
function apply(srtp, op, buffer, length) @ "xs_webrtc_srtp";
function close(srtp) @ "xs_webrtc_srtp_close";

// packetize(accessUnit, codec, ssrc, seq, payloadType, mtu, timestamp): the RTP packets
// (ArrayBuffers) of one Annex-B access unit; codec 1 H.264 (RFC 6184), 2 H.265 (RFC 7798).
export function packetize(accessUnit, codec, ssrc, seq, payloadType, mtu, timestamp) @ "xs_webrtc_packetize";

// Bytes SRTP adds to an RTP packet (its tag) and to an RTCP packet (E flag + index, and the tag).
export const SRTP_TAG_BYTES = 10;
export const SRTCP_TRAILER_BYTES = 14;

export class Srtp {
	#srtp;
	// One direction of a DTLS-SRTP association: its master key (16 bytes) and salt (14 bytes).
	constructor(masterKey, masterSalt) {
		this.#srtp = create(masterKey, masterSalt);
	}
	// Each works in place on `buffer` (an ArrayBuffer) holding the packet from offset 0, and
	// returns its new length; protecting needs room for the trailer after `length`.
	protect(buffer, length) { return apply(this.#srtp, 0, buffer, length); }
	unprotect(buffer, length) { return apply(this.#srtp, 1, buffer, length); }
	protectRtcp(buffer, length) { return apply(this.#srtp, 2, buffer, length); }
	unprotectRtcp(buffer, length) { return apply(this.#srtp, 3, buffer, length); }
	close() { close(this.#srtp); }
}
Object.freeze(Srtp.prototype);

// The `code` of the errors this module throws (native/common/README.md): match
// errors by code, never by message. The kit's own (IVXS_EARG, …) are in ivxs/codes.
export const codes = Object.freeze({
	EPACKET: "IVXS_WEBRTC_EPACKET",
	EAUTH: "IVXS_WEBRTC_EAUTH",
	EREPLAY: "IVXS_WEBRTC_EREPLAY",
	ESTREAMS: "IVXS_WEBRTC_ESTREAMS",
	ECRYPTO: "IVXS_WEBRTC_ECRYPTO",
	EMTU: "IVXS_WEBRTC_EMTU",
	ECODEC: "IVXS_WEBRTC_ECODEC",
});
