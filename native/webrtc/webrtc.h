/*
 * The camera's WebRTC wire (issue 28): its C cores' status codes (webrtc's range of
 * native/common/ivxs_status.h). The cores: srtp.h (SRTP/SRTCP over mbedTLS), rtp_video.h (H.264
 * and H.265 RTP payloads), rtcp.h, dtls.h, sctp.h (DataChannels). README.md says what is built and what is to come.
 */
#ifndef IVXS_WEBRTC_H
#define IVXS_WEBRTC_H

#include "ivxs_status.h"

enum {   /* webrtc's range: -600 … -699 (ivxs_status.h) */
	IVXS_WEBRTC_EPACKET = -601,   /* not an RTP/RTCP packet, or no room for what it needs */
	IVXS_WEBRTC_EAUTH = -602,     /* its SRTP tag does not match: forged, damaged or another key */
	IVXS_WEBRTC_EREPLAY = -603,   /* seen already, or older than the replay window */
	IVXS_WEBRTC_ESTREAMS = -604,  /* an SSRC more than a context follows */
	IVXS_WEBRTC_ECRYPTO = -605,   /* the crypto library refused (a key it cannot take) */
	IVXS_WEBRTC_EMTU = -606,      /* an MTU or a buffer too small for a packet */
	IVXS_WEBRTC_ECODEC = -607,    /* a codec the RTP packetizer does not know */
	IVXS_WEBRTC_EFULL = -608,     /* a DataChannel's send buffer is full until the peer acknowledges */
	IVXS_WEBRTC_ECLOSED = -609    /* the DataChannel's association is not open (closed, aborted, failed) */
};

/* The longest datagram from a viewer the bindings take (DTLS records, SRTCP): the socket's own
 * bound (modules/p2p/udp.ts RECEIVE_BYTES drops longer ones unread), so no datagram that reaches a
 * session is refused for its size. */
#define IVXS_WEBRTC_DATAGRAM_BYTES 2048

extern const ivxs_status_entry ivxs_webrtc_statuses[];
const char *ivxs_webrtc_strerror(int status);

#endif
