/*
 * The link between a C firmware's P2P callbacks (libivxs's iv_avt_p2p_* front, capi/iv_av.c)
 * and the camera app's P2P viewers (the app reaches them through `ivxs/firmware`). The
 * firmware registers its callbacks from any thread; the app calls them on its own thread (the
 * VM thread, as it calls iv_cs's start_cb), each call between ivxs_firmware_p2p_enter and
 * ivxs_firmware_p2p_leave, so iv_avt_p2p_exit can wait until no callback runs and every channel the
 * firmware opened was stopped. Every function here is safe from any thread.
 */
#ifndef IVXS_FIRMWARE_P2P_H
#define IVXS_FIRMWARE_P2P_H

#include <stddef.h>
#include "iv_av.h"

/* Registers the callbacks: 0, or -1 when registered already. */
int ivxs_firmware_p2p_register(const iv_avt_init_parm_s *callbacks);
/* Asks the app to stop every channel the firmware opened (their send_stop_cb, talkback's end),
 * waits for that (at most timeout_ms) and for any callback running, then forgets the callbacks:
 * 0, -1 when none are registered, -2 when called from inside a callback (it would wait for itself). */
int ivxs_firmware_p2p_unregister(unsigned timeout_ms);
/* The app's thread: a copy of the callbacks for one call, 1; or 0 (none registered, or going
 * away: the app then does what it does without a firmware). Each 1 needs one ivxs_firmware_p2p_leave. */
int ivxs_firmware_p2p_enter(iv_avt_init_parm_s *callbacks);
void ivxs_firmware_p2p_leave(void);
/* The firmware's open channels (send and talkback), at most IVXS_FIRMWARE_P2P_CHANNELS (32
 * viewers, each with a stream and a talkback). The app opens one when send_init_cb or
 * recv_init_cb returned a handle: its id (never used again), or -1 (the table is full: the app
 * refuses the channel); it closes it once its send_stop_cb or voice end was called. */
#define IVXS_FIRMWARE_P2P_CHANNELS 64
long long ivxs_firmware_p2p_channel_open(void *handle, int talk);
/* 0 and the handle of an open channel, or -1 (closed, or never opened). */
int ivxs_firmware_p2p_channel_handle(long long id, void **handle);
/* An open channel's id, handle and kind (to close them all: iv_avt_p2p_exit), or -1: none. */
long long ivxs_firmware_p2p_channel_next(void **handle, int *talk);
void ivxs_firmware_p2p_channel_close(long long id);
/* The app's thread, before each send_get_cb: the channel's send buffer and statistics, which
 * iv_avt_p2p_get_send_buf / _get_send_status give any thread (fresh inside send_get_cb, at
 * most one pull, 10 ms, old elsewhere). */
void ivxs_firmware_p2p_channel_update(long long id, size_t buffered, const iv_p2p_send_stats_s *stats);
/* 0 and a send channel's last figures, or -1: not an open send channel of the firmware's. */
int ivxs_firmware_p2p_channel_get(void *handle, size_t *buffered, iv_p2p_send_stats_s *stats);
/* Whether iv_avt_p2p_exit waits for the app to close the firmware's channels (its poll asks). */
int ivxs_firmware_p2p_closing(void);
/* The app's thread (mod_firmware_p2p.c; its poll, when closing): ends every channel of the
 * firmware's, each through its callback (send_stop_cb, or the voice's end). */
void ivxs_firmware_p2p_close_all(void);
/* The send-buffer watermarks, one setting for every channel (iv_avt_p2p_set_buf_watermark):
 * 0, or -1 when no callbacks are registered. */
int ivxs_firmware_p2p_set_watermarks(size_t low, size_t warn, size_t high);
/* The watermarks as last set, and whether they changed since the app's last look (1 once). */
int ivxs_firmware_p2p_watermarks(size_t marks[3]);

#endif
