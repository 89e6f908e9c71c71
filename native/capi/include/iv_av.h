/*
 * iv_av.h — the seed's P2P C API (seed 001), declared as far as the seed shows it: every type,
 * enum value, callback signature and member, with the seed's meaning. Slice 2 of issue 30
 * implements it in libivxs over modules/p2p (the TypeScript P2P API): native/capi/README.md "P2P".
 *
 * Threads: every iv_avt_p2p_* call is safe from any thread, and needs no running app (callbacks
 * registered before iv_cs_init are there when the app starts). Every callback runs on the camera
 * app's thread (as iv_cs's start_cb), one at a time: send_get_cb every 10 ms per open channel;
 * command_cb synchronously, so it must not take long. iv_avt_p2p_exit returns once the app
 * stopped the firmware's channels (send_stop_cb) and no callback runs; from inside a callback
 * it is refused (IV_ERR_AVT_FAILED). iv_avt_p2p_get_send_buf / _get_send_status give the
 * figures the app wrote before the channel's last send_get_cb; not an open channel: 0.
 */
#ifndef IV_AV_H
#define IV_AV_H

#include "iv_cm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* P2P events (seed numbers). */
typedef enum {
	IV_AVT_EVENT_P2P_PEER_READY = 0,         /* P2P initialised */
	IV_AVT_EVENT_P2P_PEER_CONNECT_FAIL = 1,  /* the STUN server could not be reached: check the network */
	IV_AVT_EVENT_P2P_PEER_ERROR = 2,         /* a network error: check the network */
	IV_AVT_EVENT_P2P_PEER_ADDR_CHANGED = 3,  /* the address changed: renegotiated inside, no restart needed */
	IV_AVT_EVENT_P2P_WATERMARK_LOW = 4,      /* the send buffer fell below low_mark: getting data resumes */
	IV_AVT_EVENT_P2P_WATERMARK_WARN = 5,     /* it passed warn_mark */
	IV_AVT_EVENT_P2P_WATERMARK_HIGH = 6,     /* it passed high_mark: getting data pauses */
	IV_AVT_EVENT_P2P_BUTT                    /* 7: not an event */
} iv_avt_event_e;

/* P2P keep-alive: either 0 turns it off (the MQTT keep-alive then judges the network). */
typedef struct p2p_keep_alive_s {
	uint8_t time_inter_s;     /* most seconds between two checks with the P2P server (5–10 advised) */
	uint8_t max_attempt_num;  /* probes per check, at most 10 (3 advised) */
} p2p_keep_alive_cfg;

/* Sending statistics of a video channel. */
typedef struct {
	uint32_t inst_net_rate;   /* instantaneous send rate, bytes/s */
	uint32_t ave_sent_rate;   /* bytes sent and acknowledged in the last second, bytes/s */
	uint64_t sum_sent_acked;  /* bytes sent and acknowledged in all */
} iv_p2p_send_stats_s;

typedef struct iv_avt_init_parm_s {
	/* A viewer asks for media ("action=live" or "action=playback" in params; peer names it):
	 * returns the channel's handle. */
	void *(*p2p_handle_send_init_cb)(const char *params, const char *peer);
	/* Every 10 ms per open channel: the next bytes to send (freed through buf_free_fn). */
	iv_cm_memory_s (*p2p_handle_send_get_cb)(void *handle);
	/* The channel closed (the return value is not used). */
	int (*p2p_handle_send_stop_cb)(void *handle);
	/* An event; handle is the channel's for the WATERMARK events, else NULL. */
	void (*p2p_handle_event_notify_cb)(iv_avt_event_e event, void *handle);
	/* A viewer starts talking (params: codec=aac|pcmu|pcma[&rate=Hz], refused before this call when
	 * implausible): returns a handle for its voice. */
	void *(*p2p_handle_recv_init_cb)(const char *params, const char *peer);
	/* The viewer's audio, within the talkback bounds (plausible frames, at most 1 s ahead of real
	 * time, a session of at most 300 s and 2.5 MiB, cut after 50 frames dropped); recv_buf NULL and
	 * recv_len 0 once when it stops or is cut. */
	void (*p2p_handle_recv_voice_cb)(void *handle, uint8_t *recv_buf, size_t recv_len);
	/* A command (synchronous, keep it short): the reply, whose buf must be writable; a NULL buf
	 * or a zero size closes the channel. */
	iv_cm_memory_s (*p2p_handle_command_cb)(const char *command, size_t cmd_len, const char *peer);
	p2p_keep_alive_cfg p2p_keep_alive;
} iv_avt_init_parm_s;
/* The seed's name for it (its sample declares iv_p2p_parm_s). */
typedef iv_avt_init_parm_s iv_p2p_parm_s;

/* Registers the callbacks. IV_ERR_NONE or IV_ERR_AVT_*. */
int iv_avt_p2p_init(const iv_p2p_parm_s *pstInitParm);
/* Releases everything. IV_ERR_NONE or IV_ERR_AVT_*. */
int iv_avt_p2p_exit(void);
/* Send-buffer thresholds in bytes, one setting for every channel: passing warn_mark raises
 * WATERMARK_WARN once, passing high_mark WATERMARK_HIGH and pauses send_get, falling below
 * low_mark WATERMARK_LOW and resumes it. All three 0: no events (iv_avt_p2p_get_send_buf
 * lets the firmware judge itself). */
int iv_avt_p2p_set_buf_watermark(size_t low_mark, size_t warn_mark, size_t high_mark);
/* Bytes waiting in the send buffer of the channel send_init_cb returned. */
size_t iv_avt_p2p_get_send_buf(void *handle);
/* Sending statistics of that (video) channel. */
iv_p2p_send_stats_s iv_avt_p2p_get_send_status(void *handle);

#ifdef __cplusplus
}
#endif
#endif
