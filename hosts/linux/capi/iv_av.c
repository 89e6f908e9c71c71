/*
 * libivxs's P2P front: the seed's iv_avt_p2p_* calls (native/capi/include/iv_av.h). They check
 * their arguments and register the firmware's callbacks in the link (src/firmware_p2p.h); the
 * camera app's P2P viewers call them on the app's thread. They need no running app: callbacks
 * registered before iv_cs_init are there when it starts, and iv_avt_p2p_exit without an app
 * has no channel to stop.
 */
#include "iv_av.h"
#include "firmware_p2p.h"

#include <string.h>

#define kMaxAttempts 10        /* the seed: max_attempt_num at most 10 */
#define kExitTimeoutMs 2000    /* the app closes the firmware's channels within one poll (200 ms) */

int iv_avt_p2p_init(const iv_p2p_parm_s *pstInitParm)
{
	const iv_p2p_parm_s *p = pstInitParm;
	if (!p)
		return IV_ERR_AVT_INIT_PRM_NULL;
	/* a stream needs its bytes and its end, a talkback its voice (as modules/p2p's init) */
	if (p->p2p_handle_send_init_cb && (!p->p2p_handle_send_get_cb || !p->p2p_handle_send_stop_cb))
		return IV_ERR_AVT_INIT_CB_NULL;
	if (p->p2p_handle_recv_init_cb && !p->p2p_handle_recv_voice_cb)
		return IV_ERR_AVT_INIT_CB_NULL;
	if (p->p2p_keep_alive.max_attempt_num > kMaxAttempts)
		return IV_ERR_AVT_INIT_PRM_RANGE;
	return ivxs_firmware_p2p_register(p) ? IV_ERR_AVT_STATE_ERROR : IV_ERR_NONE;
}

int iv_avt_p2p_exit(void)
{
	switch (ivxs_firmware_p2p_unregister(kExitTimeoutMs)) {
	case 0: return IV_ERR_NONE;
	case -2: return IV_ERR_AVT_FAILED;   /* from inside a callback: it would wait for itself */
	default: return IV_ERR_AVT_STATE_ERROR;   /* not initialised, or exited already */
	}
}

int iv_avt_p2p_set_buf_watermark(size_t low_mark, size_t warn_mark, size_t high_mark)
{
	/* all 0: no events; else 0 < low <= warn <= high (a low of 0 would never resume pulling) */
	if ((low_mark || warn_mark || high_mark) && !(low_mark && low_mark <= warn_mark && warn_mark <= high_mark))
		return IV_ERR_AVT_INPUT_PARAM_INVAILD;
	return ivxs_firmware_p2p_set_watermarks(low_mark, warn_mark, high_mark) ? IV_ERR_AVT_STATE_ERROR : IV_ERR_NONE;
}

size_t iv_avt_p2p_get_send_buf(void *handle)
{
	iv_p2p_send_stats_s stats;
	size_t buffered = 0;
	(void)ivxs_firmware_p2p_channel_get(handle, &buffered, &stats);   /* not an open channel: 0 */
	return buffered;
}

iv_p2p_send_stats_s iv_avt_p2p_get_send_status(void *handle)
{
	iv_p2p_send_stats_s stats;
	size_t buffered;
	if (ivxs_firmware_p2p_channel_get(handle, &buffered, &stats))
		memset(&stats, 0, sizeof(stats));
	return stats;
}
