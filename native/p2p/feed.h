/*
 * One viewer's live feed, for any wire (the viewer core): frames from a live frame source (p2p.h's:
 * the ring's, p2p_ring_source.c), the frame policy, the viewer's allowance, pacing, and the
 * schedule. The wire makes and sends a frame's packets (native/webrtc/rtp_wire.c: RTP, TWCC and
 * SRTP), or takes the frame whole into its own store (native/p2p's channel: its slots, whose chunks
 * it sends, repairs and gives up by their deadline); the feed decides which frames go, and when.
 * I/O-free and allocation-free: the caller gives the time, and calls ivxs_feed_tick when a frame may
 * have come (the ring's push), when the path may have opened (the viewer's feedback, the wire's
 * acknowledgements), and when the last tick's delay has passed.
 *
 * The frame policy: frames read from the source wait in order (IVXS_FEED_WAITING at most) for the
 * wire's room and, video, the viewer's allowance — what its path takes by its feedback, and its part
 * of the viewers' uplink (uplink.h). Waiting paces the stream at the path's rate; a frame that
 * has waited `wait_ms` (IVXS_FEED_WAIT_MS unless the wire sets it; from when it was read, or from its
 * capture) less the queue at the path's bottleneck (what it would wait there too) is skipped when it
 * cannot go then — counted from its capture (a deadline) even when it could, as it would be late —
 * and with a video frame every frame after it up to the next
 * key frame (frame-aware: never a frame whose reference was not sent); the picture starts again at
 * the newest key frame waiting. A gap in what the source hands out (the ring overtook its reader),
 * a frame the wire cannot walk, one whose bytes the ring overwrote while it went out, or one the
 * wire took and could not deliver (ivxs_feed_wait_key) has the viewer wait for the next key frame
 * the same way. Audio goes from the first picture on, in order with the video
 * while the wire has room, never waiting for the allowance (its bytes count against it). While the
 * picture waits for a key frame the audio either carries on (IVXS_FEED_AUDIO_CARRIES_ON: WebRTC's,
 * the sound goes on while the picture yields) or yields with it (IVXS_FEED_AUDIO_YIELDS: the native
 * transport's, whose frames take the link until delivered or given up — audio going on would keep
 * the link from the key frame on a link thinner than the stream: bench p2p_sim's overload).
 *
 * Pacing: while the viewer is losing packets (the wire says it NACKed within IVXS_FEED_LOSSY_MS), a
 * video frame goes out at the path's rate past IVXS_FEED_PACE_BURST_MS of it at once, and no more
 * in flight than the path's window: the rest of a key frame waits here, not in the bottleneck's
 * queue where the resend of a packet the viewer NACKed would wait behind it. With no loss a frame
 * goes as one burst: a FIFO bottleneck finishes it no later, and a rate learnt from paced packets
 * would never learn more.
 */
#ifndef IVXS_FEED_H
#define IVXS_FEED_H

#include <stdint.h>

#include "p2p.h"
#include "p2p_cc.h"
#include "uplink.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IVXS_FEED_WAITING 32            /* frames waiting at most (a second and more of video at 15–30 fps) */
#define IVXS_FEED_WAIT_MS 600u          /* a frame's wait by default (WebRTC's): the native transport's media deadline (p2p.h) */
#define IVXS_FEED_RETRY_MIN_MS 5u       /* the soonest a waiting frame is tried again */
#define IVXS_FEED_STALLED_MS 50u        /* a stalled path (rate 0): the waiting frames tried again after this */
#define IVXS_FEED_BURST_MS 1000u        /* its part of the uplink's burst: a second of it */
#define IVXS_FEED_PATH_BURST_MS 250u    /* or a quarter second of the path's rate when the path limits it */
#define IVXS_FEED_PACE_BURST_MS 20u     /* pacing's burst, while the viewer loses packets */
#define IVXS_FEED_PACED_PACKETS 2u      /* packets sent between the pacer's checks */
#define IVXS_FEED_LOSSY_MS 5000u        /* a NACK this recent: the viewer is losing packets */
#define IVXS_FEED_WINDOW_RETRY_MS 50u   /* a frame waiting for the path's window goes on after this, or with the next feedback */
#define IVXS_FEED_REWIND_MS 1000u       /* the source is rewound to its newest key frame at most this often */
#define IVXS_FEED_MTU 1200u             /* the wire's largest packet (pacing's unit) */
#define IVXS_FEED_PACKET_OVERHEAD 50u   /* what a packet costs beyond its payload: RTP 12, SRTP tag 10, UDP 8, IPv4 20 */
#define IVXS_FEED_UNBOUNDED UINT64_MAX  /* a rate nothing bounds (no path feedback) */
#define IVXS_FEED_IDLE UINT32_MAX       /* ivxs_feed_tick: nothing to do until a frame or a feedback comes */

/* What the feed does with the source's audio frames (ivxs_feed_init). */
enum { IVXS_FEED_AUDIO_NONE = 0, IVXS_FEED_AUDIO_CARRIES_ON = 1, IVXS_FEED_AUDIO_YIELDS = 2 };

/* What the feed asks of the wire. `begin` starts a frame (video or audio, f->flags): 0, or < 0 when
 * it cannot be walked (a damaged access unit: given up). `make` makes the begun frame's next packet
 * (`more`: frames wait behind it): its length, 0 when the frame is done, < 0 when it cannot walk
 * further. The feed then checks the frame is intact (the source's `intact`: bytes the ring overwrote
 * meanwhile are never sent) and calls `send`, which sends the packet just made and returns its bytes
 * on the wire. `path_rate`: bytes/s the viewer's path takes now (0: stalled; IVXS_FEED_UNBOUNDED: the
 * wire has no feedback), `path_queue_ms` the queue at its bottleneck, `window_open` whether `bytes`
 * more fit what may be in flight — any of the three may be NULL (no feedback). `room`: whether the wire
 * takes a frame now (NULL: always) — a wire that keeps frames until they are delivered (the native
 * transport's slots) says no while they are full: the frame waits, as video waits for the allowance. */
typedef struct {
	int (*begin)(void *ctx, const ivxs_p2p_frame *f);
	long (*make)(void *ctx, const ivxs_p2p_frame *f, int more, uint32_t now);
	uint32_t (*send)(void *ctx);
	uint64_t (*path_rate)(void *ctx, uint32_t now);
	uint32_t (*path_queue_ms)(void *ctx);
	int (*window_open)(void *ctx, uint32_t bytes, uint32_t now);
	int (*room)(void *ctx, const ivxs_p2p_frame *f, uint32_t now);
	void *ctx;
} ivxs_feed_wire;

typedef struct {
	uint32_t frames;           /* video frames sent whole */
	uint32_t audio_frames;     /* audio frames sent */
	uint32_t audio_skipped;    /* audio frames given up: past their wait, or yielding with the picture */
	uint32_t skipped;          /* video frames skipped for the allowance (and the rest of their GOP) */
	uint32_t passed_over;      /* other video frames passed over waiting for a key frame (a gap, a tear…) */
	uint32_t torn;             /* frames the ring overwrote while they went out */
	uint32_t unwalkable;       /* frames the wire could not walk (damaged at their source) */
	uint32_t gaps;             /* times the source's reader was overtaken (a gap: wait for a key frame) */
	uint32_t rewinds;          /* times the source went back to its newest key frame */
	int last_unwalkable;       /* the wire's status for the last frame it could not walk */
} ivxs_feed_stats;

typedef struct {
	ivxs_p2p_frame_source src;   /* (its overtaken count and rewind: p2p.h; without a rewind, a key
	                              * frame request waits for the next key frame) */
	uint64_t overtaken_seen;
	ivxs_feed_wire wire;
	ivxs_p2p_frame waiting[IVXS_FEED_WAITING];
	uint32_t waiting_ms[IVXS_FEED_WAITING];   /* when each began to wait (read, or captured) */
	uint8_t head, count;
	ivxs_p2p_frame cur;        /* the video frame going out (paced), while `active` */
	uint8_t active, cur_more;
	uint8_t keyed;             /* a key frame went out since the start, the last gap or the last skip */
	uint8_t starved;           /* the last frame was skipped for the allowance: the rest of its GOP follows it */
	uint8_t audio;             /* IVXS_FEED_AUDIO_*: what its audio frames do */
	uint8_t allowance_set, lossy, rewound;
	ivxs_uplink_share *uplink; /* its part of the viewers' budget (uplink.h: the wire's), or NULL: none */
	uint32_t wait_ms;          /* how long a frame may wait to start (IVXS_FEED_WAIT_MS unless set) */
	uint8_t from_capture;      /* ... counted from its capture (its time_ms), not from when it was read */
	p2p_bucket allowance;      /* bytes it may still send (below 0: what the frames after wait for) */
	p2p_bucket pace;           /* pacing's bytes in hand (the native wire's bucket, p2p_cc.h) */
	uint32_t lossy_ms, rewound_ms;
	uint32_t wake_ms;          /* when the frame going out or the first waiting goes on (valid with `wake`) */
	uint8_t wake;
	uint64_t key_read;         /* the source's token[1] (ring: its sequence number) of the newest key frame read */
	uint64_t key_sent;         /* and of the last key frame begun */
	ivxs_feed_stats stats;
} ivxs_feed;

/* A feed over `src` (started: its frames handed out from now on) through `wire`; `audio`: what its
 * audio frames do (IVXS_FEED_AUDIO_*). */
void ivxs_feed_init(ivxs_feed *feed, const ivxs_p2p_frame_source *src, const ivxs_feed_wire *wire, int audio, uint32_t now);

/* Reads what the source has, sends what the frame policy and the allowance let go, and returns the
 * milliseconds until it should be called again (IVXS_FEED_IDLE: when a frame or a feedback comes). */
uint32_t ivxs_feed_tick(ivxs_feed *feed, uint32_t now);

/* How long a frame may wait to start, less the path's queue, before it is skipped: the wire's
 * deadline less what it needs once the frame has started (default IVXS_FEED_WAIT_MS), counted from
 * when it was read, or with `from_capture` from its capture (the source's time_ms is on the feed's
 * clock and the wire's deadline counts from it: a frame the ring held a while is that much late). */
void ivxs_feed_set_wait(ivxs_feed *feed, uint32_t ms, int from_capture);

/* A frame the wire had taken did not reach the viewer (given up, torn): the frames wait for the next
 * key frame (the source is not rewound: a key frame already sent is not sent again for it). */
void ivxs_feed_wait_key(ivxs_feed *feed);

/* The viewer's frames wait for `share` — its part of the viewers' budget (uplink.h), which the wire
 * keeps and attaches — as for what its path takes, from now on; NULL: for no budget. (The native
 * wire's budget is its session's, charged per packet: its feed has none.) */
void ivxs_feed_share_uplink(ivxs_feed *feed, ivxs_uplink_share *share);

/* The viewer NACKed a packet: it is losing packets (pacing for IVXS_FEED_LOSSY_MS). */
void ivxs_feed_nacked(ivxs_feed *feed, uint32_t now);

/* Whether a repair (a NACKed packet's resend, a packet at most) may go now — it comes before the
 * frames (without it the frame and the rest of its GOP are lost to the viewer), so it may take the
 * allowance into a debt of IVXS_FEED_PATH_BURST_MS of its rate, never while the path is stalled;
 * when it may, a packet's bytes are counted. Once sent, ivxs_feed_repaired: the pacer pays its
 * `bytes` (the frames it paces wait, the repair does not). */
int ivxs_feed_repair(ivxs_feed *feed, uint32_t now);
void ivxs_feed_repaired(ivxs_feed *feed, uint32_t bytes);

/* The viewer asked for a key frame (or is owed one): the frames wait for the next key frame, and the
 * source goes back to its newest one now unless it did within IVXS_FEED_REWIND_MS. The frame going
 * out and the waiting ones are given up. 1 when it rewound. */
int ivxs_feed_key_request(ivxs_feed *feed, uint32_t now);

/* Whether the last key frame begun is the newest the source handed out (a viewer asking for a key
 * frame while that one is still repaired needs no other). */
int ivxs_feed_key_is_newest(const ivxs_feed *feed);

#ifdef __cplusplus
}
#endif
#endif
