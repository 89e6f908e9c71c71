/*
 * P2P transport — portable core (no sockets, no clocks, no threads).
 *
 * KCP-style: the caller passes time in (milliseconds, any origin, u32 and
 * wrap-safe), hands every received datagram to ivxs_p2p_input(), calls
 * ivxs_p2p_tick() when the returned delay has passed, and sends the datagrams
 * the core gives its `send` callback. Every session's fixed pools are allocated
 * when the endpoint is created (through the allocator hook); what a session uses
 * only at times (command buffers, the frame feed, the voice bytes) is taken when
 * it is first needed and given back when it is not; nothing is allocated per
 * packet. Crypto is mbedTLS (p2p_crypto.c). Wire format: PROTOCOL.md;
 * design and figures: README.md.
 *
 * An endpoint is a camera (IVXS_P2P_SERVER: admits viewers that present a
 * ticket the cloud issued, checked offline with the device secret) or a viewer
 * (IVXS_P2P_CLIENT: one session, opened with ivxs_p2p_connect()).
 *
 * Channels of a session: IVXS_P2P_CH_COMMAND (reliable, in order,
 * request/reply messages <= 16 KiB, both ways), IVXS_P2P_CH_MEDIA (frames,
 * camera -> viewer, partially reliable: a frame past its deadline is given up)
 * and IVXS_P2P_CH_VOICE (frames, viewer -> camera, same rules). Outgoing
 * frames are pulled zero-copy from a frame source (p2p_ring_source.c adapts
 * the GOP ring): bytes are encrypted straight from the source and checked
 * intact after, never sent torn.
 *
 * Status codes: 0 or a positive count on success, a negative IVXS_P2P_E*.
 * Thread model: one thread at a time per endpoint; callbacks run inside the
 * call that triggered them (input, tick, connect, command, close).
 */
#ifndef IVXS_P2P_H
#define IVXS_P2P_H

#include <stddef.h>
#include <stdint.h>

#include "ivxs_alloc.h"
#include "ivxs_status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {   /* p2p's range: -400 … -499 (ivxs_status.h) */
	IVXS_P2P_OK = 0,
	IVXS_P2P_EARG = -401,          /* bad argument */
	IVXS_P2P_ENOMEM = -402,        /* allocation failed (creation only) */
	IVXS_P2P_ECRYPTO = -403,       /* mbedTLS failed (or random source failed) */
	IVXS_P2P_ETICKET_FORGED = -404, /* ticket MAC does not verify */
	IVXS_P2P_ETICKET_EXPIRED = -405, /* ticket expiry is in the past */
	IVXS_P2P_ETICKET_DEVICE = -406, /* ticket was issued for another device */
	IVXS_P2P_ETICKET_FORMAT = -407, /* ticket of the wrong size or version */
	IVXS_P2P_ETRUNC = -408,        /* packet or frame shorter than its fields */
	IVXS_P2P_EREPLAY = -409,       /* packet number already seen or too old */
	IVXS_P2P_EAUTH = -410,         /* AEAD tag does not verify */
	IVXS_P2P_ENOSESSION = -411,    /* no session has this connection id */
	IVXS_P2P_EFULL = -412,         /* every session slot is in use */
	IVXS_P2P_ESTATE = -413,        /* not possible in the session's state */
	IVXS_P2P_EAGAIN = -414,        /* no room now (command buffer full) */
	IVXS_P2P_ETOOBIG = -415,       /* larger than the protocol allows */
	IVXS_P2P_EVERSION = -416,      /* unknown protocol version or packet type */
	IVXS_P2P_ECLOSED = -417,       /* session closed */
	IVXS_P2P_ERIGHTS = -418,       /* the ticket does not grant this */
	IVXS_P2P_EPROTO = -419,        /* peer broke the protocol (frame malformed) */
	IVXS_P2P_ETIMEOUT = -420,      /* handshake or keep-alive timed out */
	IVXS_P2P_EWEAKKEY = -421       /* peer's X25519 key gives an all-zero secret */
};

const char *ivxs_p2p_strerror(int status);
/* The codes' names and messages (native/common/ivxs_status.h). */
extern const ivxs_status_entry ivxs_p2p_statuses[];

/* Protocol constants (PROTOCOL.md). */
#define IVXS_P2P_VERSION 5             /* the handshake's (HELLO, RETRY, REJECT), and DATA sealed with ChaCha20-Poly1305. 2: path validation; 3: REPAIR frames (since retired); 4 skipped: 0x4X is TURN ChannelData's first byte, RFC 9443; PROTOCOL.md */
#define IVXS_P2P_VERSION_AES 6         /* DATA sealed with AES-128-CTR + HMAC-SHA-256: for a chip's AES and SHA engines, when the viewer offers it */
/* Whether a datagram's first nibble is one of this wire's versions (PROTOCOL.md: the socket is shared). */
#define IVXS_P2P_IS_VERSION(v) ((v) == IVXS_P2P_VERSION || (v) == IVXS_P2P_VERSION_AES)
/* The version a camera takes when its viewer offers 6: 6 where the build has a chip's AES and SHA
 * engines (the ESP32-S3's manifest defines it), 5 elsewhere (ChaCha20-Poly1305 is faster in software). */
#ifndef IVXS_P2P_PREFERRED_VERSION
#define IVXS_P2P_PREFERRED_VERSION IVXS_P2P_VERSION
#endif
#define IVXS_P2P_MTU 1200              /* largest datagram sent; the client hello is padded to it */
#define IVXS_P2P_CHUNK 1088            /* payload bytes of one data frame at most */
#define IVXS_P2P_ID_BYTES 16           /* device id, viewer id */
#define IVXS_P2P_TICKET_BYTES 76
#define IVXS_P2P_PSK_BYTES 32
#define IVXS_P2P_MAX_COMMAND 16384     /* command payload bytes at most */
#define IVXS_P2P_MAX_FRAME_CHUNKS 512  /* frames up to 512 * 1088 bytes */

enum { IVXS_P2P_SERVER = 0, IVXS_P2P_CLIENT = 1 };
enum { IVXS_P2P_CH_COMMAND = 0, IVXS_P2P_CH_MEDIA = 1, IVXS_P2P_CH_VOICE = 2, IVXS_P2P_CHANNELS = 3 };

/* Ticket rights bits. */
enum {
	IVXS_P2P_RIGHT_LIVE = 1,
	IVXS_P2P_RIGHT_PLAYBACK = 2,
	IVXS_P2P_RIGHT_TALK = 4,
	IVXS_P2P_RIGHT_COMMAND = 8
};

/* Command stream message kinds: the app's requests and replies, and control — opening and
 * closing channels. Every viewer may send both; the app checks each against the session's
 * rights (ivxs_p2p_session_stats.rights) and refuses in its reply what they do not cover. */
enum { IVXS_P2P_REQUEST = 1, IVXS_P2P_REPLY = 2, IVXS_P2P_CONTROL = 3, IVXS_P2P_CONTROL_REPLY = 4 };
#define IVXS_P2P_KIND_VALID(k) ((k) >= IVXS_P2P_REQUEST && (k) <= IVXS_P2P_CONTROL_REPLY)

/* Events (ivxs_p2p_callbacks.event). `arg` is given per event. */
typedef enum {
	IVXS_P2P_EV_CONNECTED = 1,     /* handshake done (server: the viewer proved its keys) */
	IVXS_P2P_EV_CLOSED = 2,        /* arg = status (0: peer or local close; ETIMEOUT: dead peer) */
	IVXS_P2P_EV_ADDR_CHANGED = 3,  /* arg 0: the peer moved to a new address, validated (PATH_RESPONSE);
	                                  arg 1: the peer saw this end at a new address (its PATH_CHALLENGE) */
	IVXS_P2P_EV_WATERMARK_LOW = 4, /* arg = channel */
	IVXS_P2P_EV_WATERMARK_WARN = 5,
	IVXS_P2P_EV_WATERMARK_HIGH = 6
} ivxs_p2p_event;

/* A peer address: opaque bytes (a sockaddr), compared bytewise. */
#define IVXS_P2P_ADDRESS_BYTES 31
typedef struct {
	uint8_t len;
	uint8_t bytes[IVXS_P2P_ADDRESS_BYTES];
} ivxs_p2p_addr;

/* One outgoing frame, as a frame source hands it over. The bytes stay where
 * they are (a ring arena); the core reads them each time it sends a chunk and
 * asks `intact` afterwards. */
typedef struct {
	const uint8_t *data;
	uint32_t size;
	uint32_t time_ms;      /* capture time, in the clock of `now` (deadline = time_ms + deadline_ms) */
	uint32_t ts_ms;        /* media timestamp, carried to the receiver */
	uint8_t key;           /* a key frame (the receiver can start here) */
	uint8_t flags;         /* carried to the receiver (e.g. audio/video) */
	uint64_t token[2];     /* the source's own (ring: the view's position) */
} ivxs_p2p_frame;

typedef struct {
	/* The next frame after the last one handed out; key_only: skip to the next
	 * key frame (the receiver fell behind). 1 = *out filled, 0 = none yet, < 0 error. */
	int (*next)(void *ctx, int key_only, ivxs_p2p_frame *out);
	/* 1 if the frame's bytes were not overwritten up to now (call after reading them). It reads
	 * the frame's data, size and token only (a wire may keep just those of a frame it sent). */
	int (*intact)(void *ctx, const ivxs_p2p_frame *frame);
	/* Bytes waiting in the source beyond the frames handed out (may be NULL). */
	uint64_t (*pending)(void *ctx);
	void *ctx;
	/* A live source (a GOP ring's: p2p_ring_source.h) has `rewind`: the next frame handed out is its
	 * newest key frame (a viewer whose decoder lost the picture), and `overtaken` counts the frames
	 * it lost before they were read (a gap in the picture; may be NULL). Its frames are read as they
	 * come and wait in the viewer core's window (feed.h), which decides which go. Without `rewind`
	 * (an app's queue, which drops nothing it was given) frames wait in the source until the wire
	 * has room. */
	void (*rewind)(void *ctx);
	const uint64_t *overtaken;
} ivxs_p2p_frame_source;

typedef struct ivxs_p2p ivxs_p2p;
typedef struct ivxs_p2p_session ivxs_p2p_session;

typedef struct {
	/* One datagram to send (at most IVXS_P2P_MTU bytes). */
	void (*send)(void *ctx, const ivxs_p2p_addr *to, const uint8_t *data, size_t size);
	void (*event)(void *ctx, ivxs_p2p_session *session, ivxs_p2p_event event, int arg);
	/* A complete incoming frame, in order; `lost` frames before it were given up. */
	void (*frame)(void *ctx, ivxs_p2p_session *session, int channel, const uint8_t *data, uint32_t size,
			uint32_t ts_ms, int key, uint32_t lost);
	/* A complete command message. */
	void (*command)(void *ctx, ivxs_p2p_session *session, int kind, uint16_t id, const uint8_t *data, uint32_t size);
	/* Cryptographically secure random bytes; 0 on success. */
	int (*random)(void *ctx, uint8_t *out, size_t size);
	void *ctx;
} ivxs_p2p_callbacks;

typedef ivxs_allocator ivxs_p2p_allocator;   /* native/common/ivxs_alloc.h */

typedef struct {
	int role;                       /* IVXS_P2P_SERVER or IVXS_P2P_CLIENT */
	uint32_t max_sessions;          /* server: viewers at once (0 = 4); client: always 1 */
	const uint8_t *device_secret;   /* server: the device's secret (tickets, keys) */
	size_t device_secret_len;
	uint8_t device_id[IVXS_P2P_ID_BYTES]; /* server */
	uint32_t max_in_flight;         /* packets in flight per session (0 = 64; 8..1024) */
	uint32_t tx_frames;             /* outgoing frames in flight (0 = server 32, client 4; a power of two, 2..64) */
	uint32_t rx_frames;             /* incoming frames reassembled at once (0 = server 4, client 32; a power of two, 2..64) */
	uint32_t rx_frame_bytes;        /* largest incoming frame (0 = server 1200 (voice), client 256 KiB) */
	uint32_t deadline_ms;           /* frames given up this long after their capture (0 = 600) */
	uint32_t deadline_max_ms;       /* ... or up to this long while a loss is repaired and the sender is not
	                                 * behind the link (0 = deadline_ms + deadline_ms / 3: 800; = deadline_ms: off) */
	uint32_t keepalive_interval_ms; /* 0 with attempts 0 = default 5000 x 3; see keepalive_off */
	uint32_t keepalive_attempts;
	int keepalive_off;              /* 1: no keep-alive, no dead-peer detection */
	uint32_t handshake_timeout_ms;  /* client (0 = 5000) */
	uint32_t version;               /* DATA's version: server: the one it takes when the viewer offers it (0 =
	                                 * IVXS_P2P_PREFERRED_VERSION); client: the highest it offers (0 = 6; 5: 5 alone) */
	uint32_t low, warn, high;       /* watermarks, bytes unsent per channel (all 0: no events) */
	ivxs_p2p_callbacks cb;
	const ivxs_p2p_allocator *allocator; /* NULL = malloc/free */
} ivxs_p2p_config;

int ivxs_p2p_create(ivxs_p2p **out, const ivxs_p2p_config *config);
void ivxs_p2p_destroy(ivxs_p2p **p2p);

/* Wall-clock seconds (Unix time) for ticket expiry; the server refuses every
 * ticket until it is set. */
void ivxs_p2p_set_unix_time(ivxs_p2p *p2p, uint64_t unix_s);

/* Watermarks from now on (SPEC §2's setWatermarks): all 0 = no events, else
 * 0 < low <= warn <= high; EARG otherwise. Levels already reached stay until crossed. */
int ivxs_p2p_set_watermarks(ivxs_p2p *p2p, uint32_t low, uint32_t warn, uint32_t high);

/* Server: its viewers' packets (every session's: live, playback, repairs, commands) within the
 * camera's viewer budget of `bytes_per_s` from now on (0: none, the default), shared max-min
 * fairly between them (uplink.h) — each session keeps its own congestion control inside its part.
 * The app sets what is left of the camera's uplink after its other senders (cloud storage). With
 * ivxs_p2p_share_uplink, the budget is the shared one's (viewers on other wires share it too). */
int ivxs_p2p_set_uplink(ivxs_p2p *p2p, uint64_t bytes_per_s, uint32_t now);

/* Server: its sessions share `uplink` (uplink.h: its budget and its other wires' viewers) from now
 * on, instead of the endpoint's own (NULL: its own again). The uplink outlives the endpoint's use
 * of it: ivxs_p2p_destroy, or another call here, leaves it. */
typedef struct ivxs_uplink ivxs_uplink;
int ivxs_p2p_share_uplink(ivxs_p2p *p2p, ivxs_uplink *uplink);

/* Client: opens the session with a ticket and its pre-shared key (both from
 * the cloud) and sends the hello. */
int ivxs_p2p_connect(ivxs_p2p *p2p, const ivxs_p2p_addr *server, const uint8_t *ticket, size_t ticket_len,
		const uint8_t psk[IVXS_P2P_PSK_BYTES], uint32_t now, ivxs_p2p_session **out);

/* One received datagram. 0 if it was used; a negative status says why it was
 * dropped (counted in the stats; never answered). */
int ivxs_p2p_input(ivxs_p2p *p2p, const ivxs_p2p_addr *from, const uint8_t *data, size_t size, uint32_t now);

/* Timers, pacing, retransmission, keep-alive. Returns the milliseconds until
 * it wants to be called again (at most 1000): only when there is work (pacing,
 * an ACK or retransmission timer, a frame's deadline, keep-alive). Call it
 * also after every input and whenever an attached frame source has a new
 * frame (the ring's wake-up): the core does not poll its sources. */
uint32_t ivxs_p2p_tick(ivxs_p2p *p2p, uint32_t now);

/* The session's outgoing frame channel (server: media, client: voice) pulls
 * from `source` from now on (NULL detaches). The server needs the LIVE or
 * PLAYBACK right. */
int ivxs_p2p_attach_frames(ivxs_p2p_session *s, const ivxs_p2p_frame_source *source);

/* Queues a command message (copied). EAGAIN when the buffer has no room. */
int ivxs_p2p_command(ivxs_p2p_session *s, int kind, uint16_t id, const uint8_t *data, uint32_t size, uint32_t now);

/* A session's slot number (0 … max_sessions − 1), and back (NULL if the slot is free). */
int ivxs_p2p_session_index(const ivxs_p2p_session *s);
ivxs_p2p_session *ivxs_p2p_session_at(ivxs_p2p *p2p, uint32_t index);

/* Sends a close and frees the slot (CLOSED event). */
int ivxs_p2p_close(ivxs_p2p_session *s, uint32_t now);

typedef struct {
	uint64_t send_buffered;  /* bytes not sent yet (frames: handed out and waiting + the source's pending) */
	uint64_t inst_rate;      /* bytes/s sent over the last 100 ms */
	uint64_t avg_rate;       /* bytes/s acknowledged over the last second */
	uint64_t acked_bytes;    /* payload bytes acknowledged, total */
	uint64_t frames_sent;    /* frames (or messages) fully acknowledged */
	uint64_t frames_given_up;/* past their deadline, or too big */
	uint64_t frames_torn;    /* overwritten in the source before they were acknowledged */
	uint64_t frames_skipped; /* not sent: skipped to a key frame */
	uint64_t retransmits;    /* chunks sent again */
} ivxs_p2p_channel_stats;

typedef struct {
	uint32_t srtt_ms, rttvar_ms, rto_ms, min_rtt_ms;
	uint64_t bandwidth;      /* congestion control's bottleneck estimate, bytes/s */
	uint64_t pacing_rate;    /* bytes/s */
	uint32_t cwnd_bytes, in_flight_bytes;
	uint64_t packets_sent, packets_received, packets_lost;
	uint64_t bytes_sent, bytes_received;
	uint64_t dropped_auth, dropped_replay, dropped_trunc, bogus_acks, frames_lost_rx;
	uint64_t commands_deferred; /* packets left unacknowledged: no room for their command chunk yet */
	uint32_t rights;
	uint32_t version;        /* DATA's: 5 (ChaCha20-Poly1305) or 6 (AES-128-CTR + HMAC-SHA-256); 0 before the reply */
	uint8_t viewer_id[IVXS_P2P_ID_BYTES];
	ivxs_p2p_addr peer;      /* where the session sends now (follows a validated address change) */
	size_t footprint_bytes;  /* everything allocated for this session */
} ivxs_p2p_session_stats;

int ivxs_p2p_channel_stats_get(const ivxs_p2p_session *s, int channel, ivxs_p2p_channel_stats *out);
int ivxs_p2p_session_stats_get(const ivxs_p2p_session *s, ivxs_p2p_session_stats *out);

typedef struct {
	uint64_t hellos, retries, refused_forged, refused_expired, refused_device, refused_format, refused_full;
	uint64_t refused_rate;   /* hellos dropped: their ticket's last key exchange was under P2P_HS_SPACING_MS ago */
	uint64_t dropped_unknown, dropped_trunc, dropped_version;
	uint32_t sessions_open;
	size_t footprint_bytes;  /* everything this endpoint allocated */
} ivxs_p2p_stats;

void ivxs_p2p_stats_get(const ivxs_p2p *p2p, ivxs_p2p_stats *out);

/* ---- Tickets (p2p_ticket.c, PROTOCOL.md "Tickets"): what the cloud mints. ---- */
typedef struct {
	uint8_t device_id[IVXS_P2P_ID_BYTES];
	uint8_t viewer_id[IVXS_P2P_ID_BYTES];
	uint32_t rights;         /* IVXS_P2P_RIGHT_* */
	uint64_t expiry_s;       /* Unix seconds; refused at or after this time */
} ivxs_p2p_ticket;

/* Mints a ticket and its pre-shared key (the cloud does this in Node with
 * the same derivation; this one serves tests and tools). */
int ivxs_p2p_ticket_mint(const uint8_t *device_secret, size_t secret_len, const ivxs_p2p_ticket *t,
		uint8_t out[IVXS_P2P_TICKET_BYTES], uint8_t psk[IVXS_P2P_PSK_BYTES]);
/* Checks a ticket offline: format, MAC, device, expiry (in that order); on
 * success fills *t and the pre-shared key. */
int ivxs_p2p_ticket_verify(const uint8_t *device_secret, size_t secret_len, const uint8_t device_id[IVXS_P2P_ID_BYTES],
		uint64_t now_s, const uint8_t *ticket, size_t len, ivxs_p2p_ticket *t, uint8_t psk[IVXS_P2P_PSK_BYTES]);

#ifdef __cplusplus
}
#endif
#endif
