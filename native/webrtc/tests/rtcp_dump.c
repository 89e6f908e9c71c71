/* The RTCP core (rtcp.h) for an independent stack to be compared with (tests/webrtc.test.mjs, aiortc):
 *   rtcp_dump parse     reads compound packets as hex lines on stdin; for each, one JSON line:
 *                       the packets it found (type, count, sender, media, SR's sender info, report
 *                       blocks, the sequence numbers a NACK asks for, whether a key frame is asked for)
 *                       or {"error": status} where the walk stopped;
 *   rtcp_dump sr SSRC NTP RTP PACKETS OCTETS   the camera's sender report, as hex. */
#include "rtcp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void dumpPacket(const ivxs_rtcp_packet *p)
{
	ivxs_rtcp_sender_info info;
	ivxs_rtcp_report r;
	ivxs_rtcp_nack_cursor c = { 0, 0 };
	uint16_t seq;
	unsigned i;
	int fir, first = 1;
	printf("{\"type\":%u,\"count\":%u,\"sender\":%u,\"media\":%u", p->type, p->count, p->sender, p->media);
	if (!ivxs_rtcp_sender_info_of(p, &info))
		printf(",\"info\":{\"ntp\":\"%llu\",\"rtpTimestamp\":%u,\"packets\":%u,\"octets\":%u}", (unsigned long long)info.ntp, info.rtpTimestamp, info.packets, info.octets);
	if (p->type == IVXS_RTCP_SR || p->type == IVXS_RTCP_RR) {
		printf(",\"reports\":[");
		for (i = 0; !ivxs_rtcp_report_at(p, i, &r); i++)
			printf("%s{\"ssrc\":%u,\"fractionLost\":%u,\"cumulativeLost\":%d,\"highestSeq\":%u,\"jitter\":%u,\"lastSr\":%u,\"delaySinceLastSr\":%u}", i ? "," : "",
				r.ssrc, r.fractionLost, r.cumulativeLost, r.highestSeq, r.jitter, r.lastSr, r.delaySinceLastSr);
		printf("]");
	}
	if (p->type == IVXS_RTCP_RTPFB && p->count == 1) {
		printf(",\"nacks\":[");
		while (ivxs_rtcp_nack_next(p, &c, &seq) == 1) {
			printf("%s%u", first ? "" : ",", seq);
			first = 0;
		}
		printf("]");
	}
	if (ivxs_rtcp_wants_key_frame(p, p->media, &fir))
		printf(",\"keyFrame\":%d", fir);
	printf("}");
}

int main(int argc, char **argv)
{
	static char line[65536];
	static uint8_t bytes[32768];
	if (argc == 7 && !strcmp(argv[1], "sr")) {
		ivxs_rtcp_sender_info info = { strtoull(argv[3], NULL, 10), (uint32_t)strtoul(argv[4], NULL, 10), (uint32_t)strtoul(argv[5], NULL, 10), (uint32_t)strtoul(argv[6], NULL, 10) };
		uint8_t out[64];
		long n = ivxs_rtcp_write_sender_report(out, sizeof(out), (uint32_t)strtoul(argv[2], NULL, 10), &info), i;
		for (i = 0; i < n; i++)
			printf("%02x", out[i]);
		printf("\n");
		return n > 0 ? 0 : 1;
	}
	if (argc != 2 || strcmp(argv[1], "parse"))
		return 2;
	while (fgets(line, sizeof(line), stdin)) {
		size_t n = 0, pos = 0;
		ivxs_rtcp_packet p;
		int r, count = 0;
		unsigned v;
		while (n < sizeof(bytes) && sscanf(line + 2 * n, "%2x", &v) == 1)
			bytes[n++] = (uint8_t)v;
		printf("{\"packets\":[");
		while ((r = ivxs_rtcp_next(bytes, n, &pos, &p)) == 1) {
			if (count++)
				printf(",");
			dumpPacket(&p);
		}
		printf("]%s}\n", r < 0 ? ",\"error\":true" : "");
	}
	return 0;
}
