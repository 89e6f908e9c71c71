/*
 * P2P transport — the core's private structures, shared by its files:
 *   p2p_wire.c      packet and frame codecs (byte order: ivxs_bytes.h)
 *   p2p_aead.c      the packets' AEAD: ChaCha20-Poly1305 (version 5); p2p_aead_aes.c: AES-128-CTR +
 *                   HMAC-SHA-256 (version 6) on ivxs_engine.h
 *   p2p_crypto.c    mbedTLS: X25519, HKDF, HMAC, SHA-256 (the only file that includes mbedTLS)
 *   p2p_ticket.c    tickets and pre-shared keys
 *   p2p_endpoint.c  configuration, creation (every pool), destruction, allocator, stats
 *   p2p_handshake.c hello, reply / reject, session keys
 *   p2p_session.c   sessions: input, keep-alive, migration, send loop, close
 *   p2p_reliable.c  packet numbers, replay window, ACK ranges, RTT/RTO, loss detection
 *   p2p_cc.c        congestion control (BBR-style) and pacing (p2p_cc.h: WebRTC's sender uses it too)
 *   p2p_channel.c   frame channels (media/voice) and the command stream, stats, watermarks
 */
#ifndef IVXS_P2P_INTERNAL_H
#define IVXS_P2P_INTERNAL_H

#include "p2p.h"
#include "p2p_cc.h"
#include "feed.h"
#include "uplink.h"
#include "ivxs_bytes.h"
#include "ivxs_md_stream.h"

/* Wrap-safe time comparisons (P2P_LT, P2P_DIFF, P2P_SINCE…): p2p_cc.h. */

/* ---- wire ---- */
#define P2P_CID 8
#define P2P_PUB 32
#define P2P_TAG 16
#define P2P_IV 12              /* a direction's nonce base (both versions) */
#define P2P_KEYS_CHACHA 44     /* a direction's keys, version 5: ChaCha20-Poly1305 key 32, IV */
#define P2P_KEYS_AES 60        /* version 6: AES-128 key 16, IV, HMAC-SHA-256 key 32 */
#define P2P_KEYS_MAX 60
#define P2P_DATA_HDR 13        /* type, cid[8], pn u32 */
#define P2P_PKT_LEAD ((4 - P2P_DATA_HDR % 4) % 4)
#define P2P_HELLO_FIXED 43     /* type, cid[8], pub[32], ticket length u16 */
#define P2P_HELLO_RXF (P2P_HELLO_FIXED + IVXS_P2P_TICKET_BYTES)   /* ... ticket, rx frames u8 */
#define P2P_HELLO_RXB (P2P_HELLO_RXF + 1)                          /* largest frame reassembled u32 */
#define P2P_HELLO_BODY (P2P_HELLO_RXB + 4)                         /* what the keys are bound to */
#define P2P_HELLO_OFFER (P2P_HELLO_BODY + 1 + P2P_COOKIE)   /* after the cookie: versions offered besides 5 */
#define P2P_OFFER_AES 0x01                                  /* ... bit 0: 6 (the keys are bound to this byte too) */
#define P2P_REPLY_RXF 49       /* reply: type, client cid, server cid, pub, rx frames u8, */
#define P2P_REPLY_RXB 50       /* largest frame reassembled u32, tag */
#define P2P_REPLY_BYTES (P2P_REPLY_RXB + 4 + P2P_TAG)
#define P2P_REJECT_BYTES 10    /* type, client cid, code */
#define P2P_PLAIN_MAX (IVXS_P2P_MTU - P2P_DATA_HDR - P2P_TAG)
#define P2P_CMD_WINDOW (IVXS_P2P_MAX_COMMAND + 64)  /* command stream window, bytes (both ends) */
/* A camera's command buffer for short messages: it holds one window-sized buffer per viewer at a
 * time, and a short one beside it; with a viewer's steady 13.8 KiB that is 31.4 KiB (aim 32) */
#define P2P_CMD_SMALL 1536
#define P2P_ACK_RANGES 16
#define P2P_WINDOW 128         /* replay / ACK window, packets */

enum { P2P_PKT_HELLO = 1, P2P_PKT_REPLY = 2, P2P_PKT_DATA = 3, P2P_PKT_REJECT = 4, P2P_PKT_RETRY = 5 };
#define P2P_COOKIE 20          /* time slot u32, HMAC-SHA256(cookie key, slot || address || cid || key)[0..16) */
#define P2P_RETRY_BYTES (1 + P2P_CID + P2P_COOKIE)
enum { P2P_F_PAD = 0x00, P2P_F_PING = 0x01, P2P_F_ACK = 0x02, P2P_F_CLOSE = 0x03, P2P_F_CHALLENGE = 0x04,
	P2P_F_RESPONSE = 0x05, P2P_F_FRAME = 0x10, P2P_F_CMD = 0x11 };   /* 0x12 (REPAIR, version 3) is retired: refused */
#define P2P_TOKEN 8            /* PATH_CHALLENGE / PATH_RESPONSE data */
#define P2P_HS_SPACING_MS 1000u   /* one key exchange per ticket per second at most */
#define P2P_PROBE_FACTOR 3     /* bytes sent to an unvalidated address: at most 3x those from it */
#define P2P_FRAME_HDR 26
#define P2P_CMD_HDR 7
#define P2P_MSG_HDR 5          /* command message: kind u8, id u16, length u16 */


typedef struct {
	uint32_t largest;
	uint32_t delay_ms;
	uint32_t nranges;          /* ranges below, highest first */
	uint32_t lo[P2P_ACK_RANGES + 1], hi[P2P_ACK_RANGES + 1];
} p2p_ack;

typedef struct {
	uint8_t chan, key, flags;
	uint32_t seq, ts, total, off, floor, len;
	const uint8_t *data;
} p2p_frame_chunk;

typedef struct {
	uint32_t off, len;
	const uint8_t *data;
} p2p_cmd_chunk;

/* One parsed frame of a decrypted packet. */
typedef struct {
	uint8_t type;
	uint8_t code;              /* CLOSE */
	const uint8_t *token;      /* PATH_CHALLENGE, PATH_RESPONSE */
	p2p_ack ack;
	p2p_frame_chunk fc;
	p2p_cmd_chunk cc;
} p2p_item;

/* Reads the frame at *pos of plain[0..len); 1 = one frame, 0 = end, < 0 malformed. */
int p2p_wire_next(const uint8_t *plain, size_t len, size_t *pos, p2p_item *out);
size_t p2p_wire_ack(uint8_t *p, const p2p_ack *a);
size_t p2p_wire_ack_size(const p2p_ack *a);
size_t p2p_wire_frame_hdr(uint8_t *p, const p2p_frame_chunk *c);
void p2p_wire_cmd_hdr(uint8_t *p, uint32_t off, uint32_t len);

/* ---- crypto (p2p_aead.c: the packets' AEAD by version; p2p_crypto.c: the rest, mbedTLS) ---- */
typedef struct p2p_aead p2p_aead;
size_t p2p_aead_size(void);
/* A direction's key bytes for a version (P2P_KEYS_CHACHA, P2P_KEYS_AES): what the handshake derives. */
size_t p2p_aead_key_bytes(int version);
/* A packet's nonce, both versions: the direction's IV with the packet number XORed into its last
 * four bytes, big-endian (as TLS 1.3 / QUIC). */
void p2p_aead_nonce(const uint8_t iv[P2P_IV], uint32_t pn, uint8_t nonce[P2P_IV]);
/* Keys for `version` (5 or 6; else EVERSION). */
int p2p_aead_init(p2p_aead *a, int version, const uint8_t *keys);
void p2p_aead_free(p2p_aead *a);
/* Encrypts head then body (one plaintext, the body read where it lies) into out; tag after. */
int p2p_aead_seal(p2p_aead *a, uint32_t pn, const uint8_t *aad, size_t aad_len, const uint8_t *head, size_t head_len,
		const uint8_t *body, size_t body_len, uint8_t *out, uint8_t tag[P2P_TAG]);
int p2p_aead_open(p2p_aead *a, uint32_t pn, const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
		const uint8_t tag[P2P_TAG], uint8_t *out);
/* Version 6's AEAD (p2p_aead_aes.c): AES-128-CTR, then HMAC-SHA-256 truncated to the tag, on
 * ivxs_engine.h (a chip's engines, or Mbed TLS's software on Linux). */
typedef struct {
	uint8_t key[16], iv[P2P_IV];
	ivxs_hmac mac;
} p2p_aes_hmac;
void p2p_aes_hmac_init(p2p_aes_hmac *a, const uint8_t keys[P2P_KEYS_AES]);
void p2p_aes_hmac_seal(const p2p_aes_hmac *a, uint32_t pn, const uint8_t *aad, size_t aad_len, const uint8_t *head,
		size_t head_len, const uint8_t *body, size_t body_len, uint8_t *out, uint8_t tag[P2P_TAG]);
int p2p_aes_hmac_open(const p2p_aes_hmac *a, uint32_t pn, const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
		const uint8_t tag[P2P_TAG], uint8_t *out);
typedef int (*p2p_random_fn)(void *ctx, uint8_t *out, size_t size);
int p2p_x25519_keypair(p2p_random_fn rnd, void *ctx, uint8_t priv[32], uint8_t pub[32]);
int p2p_x25519_shared(p2p_random_fn rnd, void *ctx, const uint8_t priv[32], const uint8_t peer[32], uint8_t shared[32]);
int p2p_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
		uint8_t out[32]);
int p2p_sha256(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len, uint8_t out[32]);
int p2p_hkdf(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len,
		uint8_t *out, size_t out_len);
int p2p_equal(const uint8_t *a, const uint8_t *b, size_t n);   /* constant time */
void p2p_wipe(void *p, size_t n);

/* ---- reliability (p2p_reliable.c) ---- */
#define P2P_MAX_RTO 3000u      /* ms: the longest a packet waits for its ACK (backoff included) */
enum { P2P_SENT_FREE = 0, P2P_SENT_FLIGHT = 1 };
enum { P2P_CARRY_NONE = 0, P2P_CARRY_FRAME = 1, P2P_CARRY_CMD = 2 };

typedef struct {
	p2p_cc_packet cc;          /* its send time, datagram bytes and what the congestion control keeps */
	uint32_t pn;
	uint32_t a;                /* frame seq, or command stream offset */
	uint16_t b;                /* frame chunk index, or command descriptor index */
	uint16_t len;              /* payload bytes carried */
	uint8_t state, carry;
	/* frames only: the packet also carried `more` whole one-chunk audio frames, a + skip …
	 * a + skip + more - 1 (they share a packet when several wait: p2p_channel.c) */
	uint8_t more, skip;
} p2p_sent;

typedef struct {
	uint32_t next_pn;          /* next packet number to send */
	uint32_t lo_pn;            /* packets below are acknowledged or lost */
	uint32_t largest_acked;
	int any_acked;
	p2p_sent *sent;
	uint32_t nsent;
	uint32_t in_flight_bytes, in_flight_packets;
	p2p_rtt rtt;               /* min RTT, srtt, rttvar (p2p_cc.h) */
	uint32_t rto, backoff;
	uint32_t progress_ms;      /* when an ACK last acknowledged new packets (restarts the RTO, RFC 6298 5.3) */
	/* receive side: replay and ACK window */
	uint32_t rx_largest;
	int rx_any;
	uint64_t rx_bits[2];       /* bit i: packet rx_largest - i was received */
	uint32_t rx_largest_ms;    /* when rx_largest arrived (ACK delay) */
	uint32_t ack_pending;      /* ack-eliciting packets received since the last ACK sent */
	uint32_t ack_due_ms;
} p2p_rel;

/* ---- channels (p2p_channel.c) ---- */
#define P2P_BITWORDS (IVXS_P2P_MAX_FRAME_CHUNKS / 32)
#define P2P_FRAME_WINDOW 64    /* chunks of one frame past its first unacknowledged one that may be sent */
typedef struct {
	ivxs_p2p_frame f;
	uint32_t seq, deadline;
	uint16_t nchunks, nacked, nsent;   /* nsent: chunks [0, nsent) were sent at least once (in order) */
	/* chunks below c0 are acknowledged; bit i of sent / acked is chunk c0 + i, and nothing at or
	 * past c0 + 64 is sent: 16 bytes of bitmaps instead of 128 for 512 chunks, so a camera
	 * affords the frames in flight that audio beside video needs (32 slots) */
	uint16_t c0;
	uint8_t used, lost;        /* lost: a chunk of it was lost once (the adaptive deadline) */
	uint64_t sent, acked;
} p2p_ftx_slot;

typedef struct {
	p2p_ftx_slot *slots;
	uint32_t n;
	uint32_t base, next;       /* frames [base, next) are in the slots (free slots were finished) */
	uint32_t limit;            /* frames in flight at most: ours and the peer's reassembly slots */
	uint32_t max_bytes;        /* the largest frame the peer reassembles (handshake): larger ones are not sent */
	int need_key;
	uint32_t keyed[8];         /* streams (a frame's flags) with key frames: only their frames depend on others */
	const ivxs_p2p_frame_source *src;
	ivxs_p2p_frame_source src_copy;
	uint64_t unsent;           /* bytes of frames in the slots not sent once */
	/* a live source's frames are decided by the viewer core (feed.h), the slots its wire: made
	 * when one is attached, freed with it */
	ivxs_feed *feed;
	uint32_t feed_skipped;     /* the feed's skipped counts already in the channel's frames_skipped */
} p2p_ftx;

typedef struct {
	uint32_t seq, total, ts, got_bytes;
	uint16_t nchunks, got;
	uint8_t used, key, flags;
	uint32_t bits[P2P_BITWORDS];
} p2p_frx_slot;

typedef struct {
	p2p_frx_slot *slots;
	uint32_t n, slot_bytes;
	/* the slots' bytes (slot i at i * slot_bytes), taken at the first frame and given back when
	 * the session ends: a camera's viewer who never talks holds none */
	uint8_t *arena;
	uint32_t next;             /* next frame to deliver */
	uint32_t lost;             /* frames given up since the last delivery */
	/* per stream (a frame's flags): key frames seen in it, and its chain broken by a lost
	 * frame (its P frames are not delivered until its next key frame) */
	uint32_t keyed[8], broken[8];
} p2p_frx;

enum { P2P_CD_UNSENT = 0, P2P_CD_FLIGHT = 1, P2P_CD_ACKED = 2 };
typedef struct {
	uint32_t off;              /* stream offset (wraps at 2^32) */
	uint16_t pos;              /* where its bytes are in the ring (2^32 is no multiple of its size) */
	uint16_t len;
	uint8_t state;
	uint8_t ever;              /* sent at least once */
} p2p_cdesc;

#define P2P_CMD_DESCS 64
#define P2P_CMD_RANGES 32
/* The command stream's bookkeeping, kept while a buffer is (`tx` or `rx`): a viewer with no
 * command under way holds none of it. */
typedef struct {
	p2p_cdesc desc[P2P_CMD_DESCS];
	uint32_t rlo[P2P_CMD_RANGES], rhi[P2P_CMD_RANGES];   /* received, relative to rx_off, sorted, disjoint */
} p2p_cmd_book;

typedef struct {
	uint8_t *tx;               /* tx_cap bytes, allocated on first use, freed when all is acknowledged */
	uint32_t tx_cap;           /* P2P_CMD_WINDOW, or (a camera's short messages) P2P_CMD_SMALL */
	uint32_t tx_base, tx_head; /* stream offsets: [base, head) queued, not all acknowledged */
	uint32_t tx_head_pos;      /* ring index of tx_head */
	p2p_cmd_book *book;        /* while tx or rx is */
	uint32_t d_tail, d_count;  /* descriptors of [tx_base, tx_head), oldest at d_tail */
	uint64_t unsent;
	uint8_t *rx;               /* rx_cap bytes: rx[0] is stream offset rx_off */
	uint32_t rx_cap;           /* P2P_CMD_WINDOW, or (a camera's while it can) P2P_CMD_SMALL */
	int lend;                  /* inside the command callback, rx holds only that message: a
	                            * reply queued then takes rx over as its tx (one buffer, not two) */
	int peer_waiting;          /* camera: a viewer's chunk found no room (the long buffer was sending);
	                            * no long message is queued until the viewer's gets in */
	uint32_t rx_off;
	uint32_t nranges;          /* of book's received ranges */
} p2p_cmd;

#define P2P_METER 10           /* buckets of 100 ms */
typedef struct {
	uint32_t bucket_ms;        /* start of the current bucket */
	uint32_t sent[P2P_METER], acked[P2P_METER];   /* bytes in each bucket */
	uint32_t cur;
} p2p_meter;

typedef struct {
	ivxs_p2p_channel_stats st;
	p2p_meter meter;
	int level;                 /* 0 normal, 1 above warn, 2 above high */
} p2p_chan;

/* ---- sessions (p2p_session.c) ---- */
enum { P2P_S_FREE = 0, P2P_S_HELLO = 1, P2P_S_ACCEPTED = 2, P2P_S_OPEN = 3 };

struct ivxs_p2p_session {
	ivxs_p2p *p2p;
	int state;
	uint8_t local_cid[P2P_CID], peer_cid[P2P_CID];
	ivxs_p2p_addr addr;
	uint32_t rights;
	uint8_t viewer_id[IVXS_P2P_ID_BYTES];
	/* handshake */
	uint8_t priv[32], pub[32];
	uint8_t ticket[IVXS_P2P_TICKET_BYTES];
	uint8_t psk[IVXS_P2P_PSK_BYTES];
	uint8_t reply[P2P_REPLY_BYTES];
	uint8_t version;           /* DATA's (and the reply's): IVXS_P2P_VERSION or _AES; 0 until the keys */
	uint8_t cookie[P2P_COOKIE];  /* client: the camera's RETRY cookie, echoed in the hello */
	uint8_t cookie_len;
	uint32_t start_ms, hello_ms, hello_interval;
	int reply_resent;          /* server: the reply went out again, the handshake's RTT is ambiguous (Karn) */
	p2p_aead *tx_aead, *rx_aead;
	p2p_rel rel;
	p2p_cc cc;
	ivxs_uplink_share uplink;  /* server: its part of the viewers' budget (attached while it sends) */
	p2p_ftx ftx;
	p2p_frx frx;
	p2p_cmd cmd;
	p2p_chan chan[IVXS_P2P_CHANNELS];
	uint32_t last_rx_ms, last_ping_ms;
	/* path validation: a new address is challenged before the session moves there */
	ivxs_p2p_addr probe_addr;
	uint8_t probe_token[P2P_TOKEN];
	int probing;
	uint32_t probe_ms, probe_rcvd, probe_sent;
	uint8_t challenge_token[P2P_TOKEN];   /* the peer's last PATH_CHALLENGE: this end moved */
	int challenged;
	uint32_t rr;               /* round robin between channels */
	int close_pending;         /* closed from a callback: freed when the call returns */
	int close_status;
	uint64_t packets_sent, packets_received, packets_lost, bytes_sent, bytes_received;
	uint64_t dropped_auth, dropped_replay, dropped_trunc, bogus_acks;
	uint64_t commands_deferred;   /* packets left unacknowledged for want of a command buffer */
	size_t footprint;
};

struct ivxs_p2p {
	ivxs_p2p_config cfg;
	ivxs_p2p_allocator alloc;
	uint8_t secret[64];
	size_t secret_len;
	uint8_t cookie_key[32];    /* server: stateless RETRY cookies (random per endpoint) */
	uint64_t unix_s;
	int have_time;
	ivxs_p2p_session *sessions;
	uint32_t nsessions;
	uint32_t rr;
	ivxs_uplink own_uplink;    /* its viewers' budget (ivxs_p2p_set_uplink), unless shared */
	ivxs_uplink *uplink;       /* the budget its sessions share: own_uplink, or ivxs_p2p_share_uplink's */
	int busy;                  /* inside input/tick: closes are deferred */
	ivxs_p2p_stats st;
	/* the datagram being built: pkt, P2P_PKT_LEAD bytes into a word-aligned room, so that a DATA
	 * packet's ciphertext (at P2P_DATA_HDR) is word-aligned — a chip's engines read and XOR words */
	_Alignas(4) uint8_t pkt_room[P2P_PKT_LEAD + IVXS_P2P_MTU];
	uint8_t *pkt;
	uint8_t plain[IVXS_P2P_MTU];         /* decrypted datagram / frame headers being built */
	size_t footprint;
};

void *p2p_alloc(ivxs_p2p *p, size_t bytes);
void p2p_free(ivxs_p2p *p, void *ptr);
void p2p_event(ivxs_p2p_session *s, ivxs_p2p_event ev, int arg);

/* p2p_session.c, for the handshake: a free session slot in `state` (NULL: none), its release,
 * a datagram to the session's address, and the send loop (ACKs, a ping, data). */
ivxs_p2p_session *p2p_session_open(ivxs_p2p *p, int state, uint32_t now);
void p2p_session_free(ivxs_p2p_session *s);
void p2p_send_raw(ivxs_p2p_session *s, const uint8_t *data, size_t size);
int p2p_addr_equal(const ivxs_p2p_addr *a, const ivxs_p2p_addr *b);
void p2p_flush(ivxs_p2p_session *s, uint32_t now, int ping);

/* p2p_handshake.c: hello / reply / reject packets (the type checked, hello at least
 * P2P_HELLO_FIXED bytes), and a session in P2P_S_HELLO on the tick (hello again or time out)
 * and its wait until the next hello. */
int p2p_hs_on_hello(ivxs_p2p *p, const ivxs_p2p_addr *from, const uint8_t *data, size_t size, uint32_t now);
int p2p_hs_on_reply(ivxs_p2p *p, const uint8_t *data, size_t size, uint32_t now);
int p2p_hs_on_reject(ivxs_p2p *p, const uint8_t *data, size_t size);
int p2p_hs_on_retry(ivxs_p2p *p, const uint8_t *data, size_t size, uint32_t now);
void p2p_hs_tick(ivxs_p2p_session *s, uint32_t now);
uint32_t p2p_hs_wait(const ivxs_p2p_session *s, uint32_t now);

/* reliability */
void p2p_rel_init(p2p_rel *r, uint32_t now);
int p2p_rel_rx_check(const p2p_rel *r, uint32_t pn);
void p2p_rel_rx_mark(p2p_rel *r, uint32_t pn, int eliciting, uint32_t now);
int p2p_rel_ack_build(p2p_rel *r, uint32_t now, p2p_ack *out);
int p2p_rel_on_ack(ivxs_p2p_session *s, const p2p_ack *a, uint32_t now);
void p2p_rel_detect_loss(ivxs_p2p_session *s, uint32_t now);
uint32_t p2p_rel_next_timer(const ivxs_p2p_session *s, uint32_t now);
void p2p_rel_rtt_seed(p2p_rel *r, uint32_t sample);   /* the handshake's round trip: the first RTO */
uint32_t p2p_rel_rto(const p2p_rel *r);   /* the retransmission timeout now (backoff included) */
p2p_sent *p2p_rel_slot(p2p_rel *r);   /* the record for next_pn, or NULL if it is still in flight */

/* channels */
void p2p_chan_init(ivxs_p2p_session *s, uint32_t now);
void p2p_chan_release(ivxs_p2p_session *s);
void p2p_chan_tick(ivxs_p2p_session *s, uint32_t now);
/* Writes pending data into the plaintext `plain` from `pos` (at most `room` bytes in all) and
 * sets *end past it; 1 = data written, 0 = nothing. With *body set (a chunk sent zero-copy
 * from its source) the body follows plain[0, *end) in the packet; with *body
 * NULL everything is in plain (small frames copied in, several to a packet). */
int p2p_chan_pick(ivxs_p2p_session *s, uint32_t now, uint8_t *plain, size_t pos, size_t room, size_t *end,
		const uint8_t **body, size_t *body_len, p2p_sent *rec);
/* After encryption: 1 if every frame's bytes were intact (the packet may go), 0 if one was
 * torn (drop the packet: the torn frames are given up, the others sent later). */
int p2p_chan_commit(ivxs_p2p_session *s, const p2p_sent *rec, int intact_needed, uint32_t now);
int p2p_chan_body_intact(ivxs_p2p_session *s, const p2p_sent *rec);
void p2p_chan_on_acked(ivxs_p2p_session *s, const p2p_sent *rec, uint32_t now);
void p2p_chan_on_lost(ivxs_p2p_session *s, const p2p_sent *rec);
int p2p_chan_check_frame(const ivxs_p2p_session *s, const p2p_frame_chunk *c);
int p2p_chan_check_cmd(ivxs_p2p_session *s, const p2p_cmd_chunk *c);
void p2p_chan_on_frame(ivxs_p2p_session *s, const p2p_frame_chunk *c);
/* sole: the packet carries no other command chunk (a reply may then take the request's buffer
 * over: no later chunk of the packet, acknowledged whole, needs it) */
void p2p_chan_on_cmd(ivxs_p2p_session *s, const p2p_cmd_chunk *c, int sole);
size_t p2p_chan_cmd_bytes(const ivxs_p2p_session *s);   /* the command buffers held now */
size_t p2p_chan_heap_bytes(const ivxs_p2p_session *s);  /* and the live source's feed */
void p2p_chan_cmd_idle(ivxs_p2p_session *s);            /* gives the buffers with nothing in them back */
void p2p_chan_meter(p2p_meter *m, uint32_t now);
void p2p_chan_watermarks(ivxs_p2p_session *s);
int p2p_chan_has_data(const ivxs_p2p_session *s, uint32_t now);
uint32_t p2p_chan_next_deadline(const ivxs_p2p_session *s, uint32_t now);   /* ms until a frame is given up (1000: none) */

#endif
