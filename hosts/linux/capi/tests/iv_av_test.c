/*
 * libivxs's P2P API used wrongly (iv_av.h), and iv_avt_p2p_exit's wait: each wrong call returns
 * its IV_ERR_*, a call before init or after exit is an error, not a crash, and exit returns only
 * once the app stopped the firmware's channels and no callback runs. The app's side is played
 * here through the link (src/firmware_p2p.h) on a thread of its own, as the camera app's thread
 * would. Run by tests/capi.test.mjs, plain and sanitized: iv_av_test
 */
#include "iv_av.h"
#include "firmware_p2p.h"
#include "ivxs_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static atomic_int gStops, gExitInside;
static int gHandle;

static void *sendInit(const char *params, const char *peer) { (void)params; (void)peer; return &gHandle; }
static iv_cm_memory_s sendGet(void *handle) { iv_cm_memory_s m; (void)handle; memset(&m, 0, sizeof(m)); return m; }
static int sendStop(void *handle) { (void)handle; atomic_fetch_add(&gStops, 1); return 0; }
static void *recvInit(const char *params, const char *peer) { (void)params; (void)peer; return &gHandle; }
static void recvVoice(void *handle, uint8_t *buf, size_t len) { (void)handle; (void)buf; (void)len; }
/* a command whose callback calls iv_avt_p2p_exit: refused (it would wait for itself) */
static iv_cm_memory_s command(const char *cmd, size_t len, const char *peer)
{
	iv_cm_memory_s m;
	(void)cmd; (void)len; (void)peer;
	atomic_store(&gExitInside, iv_avt_p2p_exit());
	memset(&m, 0, sizeof(m));
	return m;
}

static iv_p2p_parm_s full(void)
{
	iv_p2p_parm_s p;
	memset(&p, 0, sizeof(p));
	p.p2p_handle_send_init_cb = sendInit;
	p.p2p_handle_send_get_cb = sendGet;
	p.p2p_handle_send_stop_cb = sendStop;
	p.p2p_handle_recv_init_cb = recvInit;
	p.p2p_handle_recv_voice_cb = recvVoice;
	p.p2p_handle_command_cb = command;
	p.p2p_keep_alive.time_inter_s = 5;
	p.p2p_keep_alive.max_attempt_num = 3;
	return p;
}

static void t_before_init(void)
{
	iv_p2p_send_stats_s s = iv_avt_p2p_get_send_status(&gHandle);
	CHECK_EQ(iv_avt_p2p_exit(), IV_ERR_AVT_STATE_ERROR);
	CHECK_EQ(iv_avt_p2p_set_buf_watermark(1, 2, 3), IV_ERR_AVT_STATE_ERROR);
	CHECK_EQ(iv_avt_p2p_get_send_buf(&gHandle), 0);
	CHECK_EQ(iv_avt_p2p_get_send_buf(NULL), 0);
	CHECK(s.inst_net_rate == 0 && s.ave_sent_rate == 0 && s.sum_sent_acked == 0);
done:;
}

static void t_init_refuses(void)
{
	iv_p2p_parm_s p = full();
	CHECK_EQ(iv_avt_p2p_init(NULL), IV_ERR_AVT_INIT_PRM_NULL);
	p.p2p_handle_send_get_cb = NULL;
	CHECK_EQ(iv_avt_p2p_init(&p), IV_ERR_AVT_INIT_CB_NULL);
	p = full();
	p.p2p_handle_send_stop_cb = NULL;
	CHECK_EQ(iv_avt_p2p_init(&p), IV_ERR_AVT_INIT_CB_NULL);
	p = full();
	p.p2p_handle_recv_voice_cb = NULL;
	CHECK_EQ(iv_avt_p2p_init(&p), IV_ERR_AVT_INIT_CB_NULL);
	p = full();
	p.p2p_keep_alive.max_attempt_num = 11;
	CHECK_EQ(iv_avt_p2p_init(&p), IV_ERR_AVT_INIT_PRM_RANGE);
	CHECK_EQ(iv_avt_p2p_exit(), IV_ERR_AVT_STATE_ERROR);   /* nothing was registered */
	/* only a command callback (live comes from the ring): fine */
	memset(&p, 0, sizeof(p));
	p.p2p_handle_command_cb = command;
	CHECK_EQ(iv_avt_p2p_init(&p), IV_ERR_NONE);
	CHECK_EQ(iv_avt_p2p_init(&p), IV_ERR_AVT_STATE_ERROR);   /* twice */
	CHECK_EQ(iv_avt_p2p_exit(), IV_ERR_NONE);
	CHECK_EQ(iv_avt_p2p_exit(), IV_ERR_AVT_STATE_ERROR);   /* twice */
	p = full();
	CHECK_EQ(iv_avt_p2p_init(&p), IV_ERR_NONE);   /* again after exit */
	CHECK_EQ(iv_avt_p2p_set_buf_watermark(0, 0, 0), IV_ERR_NONE);
	CHECK_EQ(iv_avt_p2p_set_buf_watermark(0, 2, 3), IV_ERR_AVT_INPUT_PARAM_INVAILD);
	CHECK_EQ(iv_avt_p2p_set_buf_watermark(3, 2, 4), IV_ERR_AVT_INPUT_PARAM_INVAILD);
	CHECK_EQ(iv_avt_p2p_set_buf_watermark(1, 2, 3), IV_ERR_NONE);
	CHECK_EQ(iv_avt_p2p_exit(), IV_ERR_NONE);
	CHECK_EQ(iv_avt_p2p_set_buf_watermark(1, 2, 3), IV_ERR_AVT_STATE_ERROR);
done:
	iv_avt_p2p_exit();
}

/* The app's thread: one channel open, a command whose callback calls exit, then it waits
 * until exit asks and stops the channel (send_stop_cb), as the camera app's poll does. */
static atomic_int gAppReady;
static void *app(void *unused)
{
	iv_avt_init_parm_s cb;
	iv_p2p_send_stats_s stats = { 1000, 900, 12345 };
	void *handle = NULL;
	long long id = -1;
	(void)unused;
	if (ivxs_firmware_p2p_enter(&cb)) {
		handle = cb.p2p_handle_send_init_cb("action=live", "viewer-1");
		id = ivxs_firmware_p2p_channel_open(handle, 0);
		ivxs_firmware_p2p_channel_update(id, 4096, &stats);
		ivxs_firmware_p2p_leave();
	}
	if (ivxs_firmware_p2p_enter(&cb)) {
		cb.p2p_handle_command_cb("x", 1, "viewer-1");
		ivxs_firmware_p2p_leave();
	}
	atomic_store(&gAppReady, 1);
	while (!ivxs_firmware_p2p_closing())
		usleep(1000);
	usleep(50 * 1000);   /* exit must wait, not return early */
	if (ivxs_firmware_p2p_enter(&cb)) {
		cb.p2p_handle_send_stop_cb(handle);
		ivxs_firmware_p2p_channel_close(id);
		ivxs_firmware_p2p_leave();
	}
	return NULL;
}

static void t_exit_waits(void)
{
	iv_p2p_parm_s p = full();
	iv_p2p_send_stats_s s;
	pthread_t thread;
	int started = 0;
	CHECK_EQ(iv_avt_p2p_init(&p), IV_ERR_NONE);
	CHECK_EQ(pthread_create(&thread, NULL, app, NULL), 0);
	started = 1;
	while (!atomic_load(&gAppReady))
		usleep(1000);
	CHECK_EQ(atomic_load(&gExitInside), IV_ERR_AVT_FAILED);
	CHECK_EQ(iv_avt_p2p_get_send_buf(&gHandle), 4096);
	s = iv_avt_p2p_get_send_status(&gHandle);
	CHECK(s.inst_net_rate == 1000 && s.ave_sent_rate == 900 && s.sum_sent_acked == 12345);
	CHECK_EQ(iv_avt_p2p_exit(), IV_ERR_NONE);
	CHECK_EQ(atomic_load(&gStops), 1);   /* send_stop_cb ran before exit returned */
	CHECK_EQ(iv_avt_p2p_get_send_buf(&gHandle), 0);   /* released */
done:
	if (started)
		pthread_join(thread, NULL);
	iv_avt_p2p_exit();
}

int main(void)
{
	ivxs_test_run("before iv_avt_p2p_init: exit and watermarks are errors, a channel's figures 0", t_before_init);
	ivxs_test_run("iv_avt_p2p_init refuses NULL, a stream or talkback half-given, 11 probes; init/exit twice; watermarks checked", t_init_refuses);
	ivxs_test_run("iv_avt_p2p_exit stops the firmware's channels first, and is refused inside a callback", t_exit_waits);
	return ivxs_test_summary();
}
