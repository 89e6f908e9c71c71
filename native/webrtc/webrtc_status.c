/* The webrtc cores' status table (webrtc.h). */
#include "webrtc.h"

const ivxs_status_entry ivxs_webrtc_statuses[] = {
	IVXS_STATUS(IVXS_WEBRTC_EPACKET, "not an RTP/RTCP packet, or no room for its trailer"),
	IVXS_STATUS(IVXS_WEBRTC_EAUTH, "SRTP authentication failed"),
	IVXS_STATUS(IVXS_WEBRTC_EREPLAY, "SRTP replay: seen already or too old"),
	IVXS_STATUS(IVXS_WEBRTC_ESTREAMS, "more SSRCs than an SRTP context follows"),
	IVXS_STATUS(IVXS_WEBRTC_ECRYPTO, "the crypto library failed"),
	IVXS_STATUS(IVXS_WEBRTC_EMTU, "MTU or buffer too small"),
	IVXS_STATUS(IVXS_WEBRTC_ECODEC, "unknown RTP video codec"),
	IVXS_STATUS(IVXS_WEBRTC_EFULL, "DataChannel send buffer full"),
	IVXS_STATUS(IVXS_WEBRTC_ECLOSED, "DataChannel association closed"),
	IVXS_STATUS_END
};

const char *ivxs_webrtc_strerror(int status)
{
	return ivxs_status_message(ivxs_webrtc_statuses, status);
}
