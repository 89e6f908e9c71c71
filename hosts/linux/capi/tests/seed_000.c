/*
 * Seed 000's sample code, its three blocks as the seed prints them (between the BEGIN/END marks,
 * unchanged), around the few names it takes from the vendor's platform layer (pf_*, av_encdec_*,
 * GDB_ERR: stubs below). tests/capi.test.mjs compiles it against native/capi/include and links
 * it with libivxs.so: the seed's calls and structures are the library's.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "iv_cs.h"

/* ---- the vendor platform layer the seed's sample uses (stubs) ---- */
#define GDB_ERR(...) fprintf(stderr, __VA_ARGS__)
typedef struct { uint8_t *pStream; uint32_t u32Len; uint64_t u64TimeStamp; } pf_audio_stream_s;
typedef iv_cm_venc_stream_s pf_venc_stream_s;   /* the seed casts one to the other */
typedef enum { AV_ENCDEC_DST_TYPE_CS_HD = 0 } av_encdec_dst_type_e;
static int av_encdec_get_audio_stream(av_encdec_dst_type_e type, pf_audio_stream_s *s) { (void)type; (void)s; return -1; }
static int av_encdec_get_video_stream(int chn, av_encdec_dst_type_e type, pf_venc_stream_s *s) { (void)chn; (void)type; (void)s; return -1; }
static int s32CloudStorageExit = 1;
static int cloudStorage_start(void) { return 0; }
static int cloudStorage_stop(void) { return 0; }

static int init(void)
{
/* BEGIN seed 000: 1. 云存储初始化 */
iv_err_code_e eErrCode = 0;
iv_cs_init_parm_s stCsInitParm;
memset(&stCsInitParm, 0, sizeof(iv_cs_init_parm_s));
stCsInitParm.u32MaxSizeInAGop = 512*1024;
stCsInitParm.iv_cs_push_stream_start_cb = cloudStorage_start;
stCsInitParm.iv_cs_push_stream_stop_cb = cloudStorage_stop;
eErrCode = iv_cs_init(&stCsInitParm);
if(eErrCode < 0)
{
	GDB_ERR("fail:%d\n", eErrCode);
	return eErrCode;
}
/* END */
	return 0;
}

static int deinit(void)
{
/* BEGIN seed 000: 2. 云存储去初始化 */
iv_err_code_e eErrCode = 0;
eErrCode = iv_cs_exit();
if(eErrCode < 0)
{
	GDB_ERR("fail:%d\n", eErrCode);
	return eErrCode;
}
/* END */
	return 0;
}

static void push(void)
{
/* BEGIN seed 000: 3. 云存推流 */
pf_audio_stream_s stAudioStream;
iv_cm_aenc_stream_s stIvAencStream;
av_encdec_dst_type_e eEncdecDstType = AV_ENCDEC_DST_TYPE_CS_HD;

pf_venc_stream_s stVencStream;
iv_cm_venc_stream_s *pstIvVencStream;
memset(&stVencStream, 0, sizeof(pf_venc_stream_s));

while(!s32CloudStorageExit)
{
	int s32GetAudioStreamRet = 0;
	int s32GetVideoStreamRet = 0;
	
	/*audio data*/
	s32GetAudioStreamRet = av_encdec_get_audio_stream(eEncdecDstType, &stAudioStream);
	if(s32GetAudioStreamRet < 0) goto RECORD_NO_AUDIO_DATA;
	if(0 != stAudioStream.u32Len)
	{
		stIvAencStream.pu8Stream = stAudioStream.pStream;
		stIvAencStream.u32Len = stAudioStream.u32Len;
		stIvAencStream.u64TimeStamp = stAudioStream.u64TimeStamp;
		iv_cs_push_stream(IV_CS_STREAM_TYPE_AUDIO, IV_CM_VENC_TYPE_H264, (void *)&stIvAencStream);
	}
	RECORD_NO_AUDIO_DATA:
	
	/*video data*/
	s32GetVideoStreamRet = av_encdec_get_video_stream(0, eEncdecDstType, &stVencStream);
	if(s32GetVideoStreamRet < 0) goto RECORD_NO_VIDEO_DATA;
	pstIvVencStream = (iv_cm_venc_stream_s*)&stVencStream;
	iv_cs_push_stream(IV_CS_STREAM_TYPE_VIDEO, IV_CM_VENC_TYPE_H264, (void *)pstIvVencStream);
	RECORD_NO_VIDEO_DATA:
	if(s32GetAudioStreamRet < 0 && s32GetVideoStreamRet < 0)
	{
		usleep(5000);
		continue;
	}
}
/* END */
}

/* Without IVXS_DEVICE the library refuses at once: the calls reached it. */
int main(void)
{
	int initStatus = init();
	push();
	iv_cs_event_happen_notify(1);
	printf("init %d, exit %d\n", initStatus, deinit());
	return initStatus == IV_ERR_SYS_DEVICE_INFORMATION ? 0 : 1;
}
