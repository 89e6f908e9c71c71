/*
 * SCTP (RFC 4960) as a WebRTC DataChannel carries it over DTLS (RFC 8261, RFC 8831), sized for
 * the viewer commands the native transport takes (PTZ, snapshot now, list recordings): one
 * association per viewer, the camera passive (the browser's INIT starts it), reliable messages
 * both ways. I/O-free and allocation-free: packets in by a call (the plaintext of a DTLS record),
 * packets out through the caller's `send` (to be written as DTLS records), the caller's clock for
 * retransmissions, the caller's random bytes for the verification tag and cookie.
 *
 * Why our own and not usrsctp (the large alternative, ~80k lines, its own threads and timers):
 * commands are a few small messages a minute, so none of SCTP's throughput machinery is needed —
 * no congestion window, no gap reports, no partial reliability. What
 * is kept: the handshake (INIT / INIT-ACK / COOKIE-ECHO / COOKIE-ACK), CRC32c both ways, DATA
 * in TSN order (a chunk out of order is dropped unacknowledged; the peer's retransmission brings
 * it), message reassembly up to IVXS_SCTP_MAX_RECEIVE, SACK of every packet with DATA, our
 * messages fragmented into DATA chunks and retransmitted until acknowledged (T3-rtx, RTO doubling,
 * the association fails after IVXS_SCTP_MAX_RETRANSMITS), HEARTBEAT answered, ABORT and
 * SHUTDOWN honoured. esp_peer (Espressif) made the same choice for the same reason.
 *
 * Stream reset (RFC 6525's RE-CONFIG, as RFC 8831 §6.7 closes a DataChannel): our INIT-ACK lists
 * RE-CONFIG; a viewer's Outgoing SSN Reset Request is answered, performed in TSN order once all it
 * sent before asking is here (deferred until then, §5.2.2), and handed to the caller as an empty
 * message of PPID IVXS_SCTP_PPID_RESET on that stream, in order with the messages; our outgoing
 * streams of the same numbers are then reset by a request of ours (when the peer's INIT listed
 * RE-CONFIG), resent at the RTO until answered. Without it a browser's channel.close() never
 * completes (Chrome's stays "closing"; aiortc's never resends its request and queues every later
 * close behind it). Other requests (incoming reset, SSN/TSN reset, adding streams) are denied.
 *
 * Bounds a hostile viewer meets: a message larger than IVXS_SCTP_MAX_RECEIVE, or of PPID 0 (which
 * would read as a reset), is dropped whole (counted, its chunks acknowledged so the peer moves on); at most IVXS_SCTP_INBOX bytes of
 * complete messages wait for the caller to take them, beyond that DATA is not acknowledged (our
 * a_rwnd says so); at most IVXS_SCTP_SEND_BYTES of our messages wait for acknowledgement; every
 * chunk length is checked against the packet before a byte is read.
 */
#ifndef IVXS_SCTP_H
#define IVXS_SCTP_H

#include <stddef.h>
#include <stdint.h>

#include "webrtc.h"

#define IVXS_SCTP_MAX_PACKET 1140        /* the largest packet we send: a DTLS record of it fits a 1200-byte datagram */
#define IVXS_SCTP_MAX_RECEIVE 2048       /* the largest message a viewer may send (our SDP's a=max-message-size) */
#define IVXS_SCTP_INBOX 4096             /* complete messages waiting for ivxs_sctp_take, bytes (with 8 per message) */
#define IVXS_SCTP_SEND_BYTES 16640       /* our messages not yet acknowledged: the largest command reply (16 KiB) and a DCEP ack */
#define IVXS_SCTP_SEND_CHUNKS 32         /* DATA chunks not yet acknowledged */
#define IVXS_SCTP_STREAMS 16             /* outbound and inbound streams offered (DataChannel ids 0 … 15) */
#define IVXS_SCTP_RTO_MS 1000            /* the first retransmission timeout; doubles to IVXS_SCTP_RTO_MAX_MS */
#define IVXS_SCTP_RTO_MAX_MS 8000
#define IVXS_SCTP_MAX_RETRANSMITS 8      /* timeouts in a row before the association fails */
#define IVXS_SCTP_MAX_BURST 4            /* packets of DATA a call sends at most (RFC 4960 Max.Burst): a 16 KiB reply goes out
                                          * as the peer's SACKs come, and a caller's queue of 8 datagrams a call never overflows */

/* Payload protocol identifiers (RFC 8831 §8, RFC 8832): DCEP, and the messages of a channel. */
enum {
	IVXS_SCTP_PPID_RESET = 0,    /* not a wire PPID: ivxs_sctp_take's empty record of a stream the peer reset (its channel closed) */
	IVXS_SCTP_PPID_DCEP = 50,
	IVXS_SCTP_PPID_STRING = 51,
	IVXS_SCTP_PPID_BINARY = 53,
	IVXS_SCTP_PPID_STRING_EMPTY = 56,
	IVXS_SCTP_PPID_BINARY_EMPTY = 57
};

enum {
	IVXS_SCTP_LISTENING = 0,     /* no INIT yet, or an INIT answered and its COOKIE-ECHO awaited */
	IVXS_SCTP_ESTABLISHED = 1,
	IVXS_SCTP_CLOSED = 2         /* ABORT either way, SHUTDOWN done, or too many retransmissions */
};

typedef int (*ivxs_sctp_random)(void *ctx, unsigned char *out, size_t size);
/* A packet to go out (as one DTLS record). Its bytes are valid during the call only. */
typedef int (*ivxs_sctp_send_fn)(void *ctx, const uint8_t *packet, size_t len);

/* One DATA chunk of ours not yet acknowledged: its bytes are send[offset … offset + len). */
typedef struct {
	uint32_t tsn;
	uint32_t ppid;
	uint16_t stream, ssn;
	uint16_t offset, len;
	uint8_t flags;           /* the DATA chunk's B and E bits */
	uint8_t sent;            /* times sent */
} ivxs_sctp_chunk;

typedef struct {
	int state;
	uint16_t localPort, remotePort;      /* from the SDP's a=sctp-port (5000 for both in practice) */
	uint32_t localTag, remoteTag;        /* verification tags: ours (the peer puts it on its packets), the peer's */
	uint8_t cookie[16];                  /* the state cookie of our INIT-ACK, to be echoed */
	/* receiving */
	uint32_t cumTsn;                     /* the last TSN taken in order */
	uint8_t assembling;                  /* a message's first fragment taken, its last not yet */
	uint8_t dropping;                    /* the message being received is too large: its fragments are acknowledged and dropped */
	uint16_t partStream;
	uint32_t partPpid;
	size_t partLen;
	uint8_t part[IVXS_SCTP_MAX_RECEIVE]; /* the message being put together */
	uint8_t inbox[IVXS_SCTP_INBOX];      /* complete messages: stream (2), ppid (4), length (2), bytes */
	size_t inboxLen, inboxTaken;
	/* sending */
	uint32_t nextTsn;                    /* the TSN our next DATA chunk gets */
	uint32_t peerRwnd;                   /* the peer's receive window, from its INIT and SACKs */
	uint16_t ssn[IVXS_SCTP_STREAMS];     /* the next stream sequence number per outbound stream */
	uint16_t streamsOut;                 /* min(our OS, the peer's MIS) */
	ivxs_sctp_chunk chunks[IVXS_SCTP_SEND_CHUNKS];   /* in TSN order, the oldest first */
	unsigned chunkCount;
	uint8_t *send;                       /* the chunks' payloads, in order (compacted as the oldest are acknowledged):
	                                      * IVXS_SCTP_SEND_BYTES lent by the caller (ivxs_sctp_lend), NULL when none is */
	size_t sendLen;
	/* stream reset (RFC 6525): requests are numbered per direction from each side's initial TSN */
	uint8_t peerReconfig;                /* the peer's INIT listed RE-CONFIG: our own requests are understood */
	uint8_t deferred;                    /* the peer's last request waits for its data (§5.2.2) or for inbox room */
	uint16_t peerResetting;              /* the streams it names (bit n: stream n; streams past ours are ignored) */
	uint32_t peerResetTsn;               /* the last TSN the peer had sent when asking */
	uint32_t peerReqSeq;                 /* the sequence number of the peer's next request */
	uint32_t peerResult;                 /* our answer to its last one: a copy of that request gets it again */
	uint8_t answers;                     /* answers due in our next packet (at most 2, as one RE-CONFIG holds) */
	uint32_t answerSeq[2], answerResult[2];
	uint16_t toReset;                    /* our outgoing streams to reset, not asked yet */
	uint16_t resetting;                  /* the streams our request in flight names */
	uint32_t reqSeq;                     /* that request's sequence number (the next one's once answered) */
	uint32_t resetTsn;                   /* the last TSN we had sent when asking */
	uint64_t reconfigAt;                 /* when our request goes again (0: none in flight) */
	unsigned reconfigTimeouts;           /* its resends in a row; the association fails past IVXS_SCTP_MAX_RETRANSMITS */
	uint64_t now;
	uint64_t t3;                         /* when the oldest unacknowledged chunk is sent again (0: no timer) */
	uint32_t rto;
	unsigned timeouts;                   /* T3 expiries in a row (reset by a SACK that moves) */
	/* counters: what a hostile or broken peer cost */
	uint32_t dropped;                    /* messages over IVXS_SCTP_MAX_RECEIVE dropped */
	uint32_t refused;                    /* packets refused: bad checksum, tag, ports or chunk lengths */
	uint32_t abortReason;                /* 0, or why the association closed (an IVXS_WEBRTC_E* code) */
	ivxs_sctp_send_fn sendFn;
	void *sendCtx;
	ivxs_sctp_random random;
	void *randomCtx;
} ivxs_sctp;

/* An association waiting for the peer's INIT on `localPort`, from `remotePort`. 0 or a status. */
int ivxs_sctp_setup(ivxs_sctp *s, uint16_t localPort, uint16_t remotePort, ivxs_sctp_random random, void *randomCtx,
		ivxs_sctp_send_fn send, void *sendCtx, uint64_t nowMs);
/* A packet from the peer (a DTLS record's plaintext). 0 when taken or quietly dropped (out of
 * order, a duplicate), IVXS_WEBRTC_EPACKET when refused (checksum, verification tag, ports,
 * a chunk length past the packet: counted in `refused`, nothing changed), or IVXS_WEBRTC_ECLOSED
 * once the association is closed. Answers (INIT-ACK, COOKIE-ACK, SACK, HEARTBEAT-ACK,
 * SHUTDOWN-ACK) and DATA that became sendable go out through `send` during the call. */
int ivxs_sctp_input(ivxs_sctp *s, const uint8_t *packet, size_t len, uint64_t nowMs);
/* The next complete message from the peer: 1 with *stream, *ppid, *data (valid until the next
 * ivxs_sctp_input or ivxs_sctp_take) and *len; 0 when none waits. A stream the peer reset (its
 * DataChannel closed) is an empty message of PPID IVXS_SCTP_PPID_RESET, in order with the rest. */
int ivxs_sctp_take(ivxs_sctp *s, uint16_t *stream, uint32_t *ppid, const uint8_t **data, size_t *len);
/* A message to the peer on `stream` (ordered, reliable), fragmented into DATA chunks; sent at
 * once as far as the peer's window allows. 0, IVXS_WEBRTC_EFULL (no room until the peer
 * acknowledges what waits, no send buffer lent, or the stream is being reset: nothing taken), IVXS_WEBRTC_ECLOSED (not established),
 * IVXS_WEBRTC_EMTU (len over IVXS_SCTP_SEND_BYTES or 0 bytes: an empty message is sent as one
 * byte with the PPID of an empty one by the caller), IVXS_WEBRTC_ESTREAMS (stream past streamsOut). */
int ivxs_sctp_send(ivxs_sctp *s, uint16_t stream, uint32_t ppid, const uint8_t *data, size_t len, uint64_t nowMs);
/* The send buffer (IVXS_SCTP_SEND_BYTES) the association keeps our messages in until the peer
 * acknowledges them: lent by the caller, who may take it back once all are (ivxs_sctp_reclaim),
 * so an association holds none while it has nothing to resend — a viewer's commands are rare and
 * a reply may be 16 KiB. Without one, ivxs_sctp_send is IVXS_WEBRTC_EFULL. */
void ivxs_sctp_lend(ivxs_sctp *s, uint8_t *buffer);
/* The lent buffer when nothing of ours waits for an acknowledgement (the association has none
 * after); NULL while something does, or when none was lent. */
uint8_t *ivxs_sctp_reclaim(ivxs_sctp *s);
/* Time passing: retransmissions. 0, or IVXS_WEBRTC_ECLOSED (closed now or before). */
int ivxs_sctp_tick(ivxs_sctp *s, uint64_t nowMs);
/* When ivxs_sctp_tick is due next (the caller's ms), or 0: nothing is waiting. A stream reset
 * request of ours made by ivxs_sctp_take (the peer's reset done once the inbox had room) is due
 * at once. */
uint64_t ivxs_sctp_deadline(const ivxs_sctp *s);
/* Ends the association: an ABORT to the peer when it was established. */
void ivxs_sctp_abort(ivxs_sctp *s);
/* CRC32c (Castagnoli) of `len` bytes, as SCTP's checksum uses it (RFC 4960 Appendix B). */
uint32_t ivxs_sctp_crc32c(const uint8_t *data, size_t len);

#endif
