/* The RTP packets of an Annex-B clip as the packetizer (rtp_video.h) makes them, for an
 * independent depacketizer to read back (tests/webrtc.test.mjs hands them to aiortc's):
 *   rtp_dump <h264|h265> <mtu> <clip> > packets   — each packet as a 16-bit big-endian length and its bytes.
 * Access units from native/annexb, 90 kHz timestamps at 15 frames a second. Exit 1 on any error. */
#include "rtp_video.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	ivxs_rtp_stream stream = { 0x5eed, 40000, 96, IVXS_ANNEXB_H264, 1200 };
	ivxs_annexb_au_cursor cursor;
	ivxs_rtp_packetizer it;
	uint8_t *clip, packet[1500];
	uint32_t start, end, info, frame = 0;
	long size, n;
	FILE *f;
	int r;
	if (argc != 4 || !(f = fopen(argv[3], "rb"))) {
		fprintf(stderr, "usage: rtp_dump <h264|h265> <mtu> <clip>\n");
		return 1;
	}
	stream.codec = strcmp(argv[1], "h265") ? IVXS_ANNEXB_H264 : IVXS_ANNEXB_H265;
	stream.mtu = (size_t)atoi(argv[2]);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	clip = malloc((size_t)size);
	if (!clip || fread(clip, 1, (size_t)size, f) != (size_t)size)
		return 1;
	fclose(f);
	ivxs_annexb_au_cursor_init(&cursor);
	while ((r = ivxs_annexb_next_au(stream.codec, clip, (size_t)size, &cursor, &start, &end, &info)) == 1) {
		if (ivxs_rtp_begin(&it, &stream, clip + start, end - start, frame++ * 6000))
			return 1;
		while ((n = ivxs_rtp_next(&it, packet, sizeof(packet))) > 0) {
			putchar((int)(n >> 8));
			putchar((int)(n & 0xff));
			fwrite(packet, 1, (size_t)n, stdout);
		}
		if (n < 0)
			return 1;
	}
	free(clip);
	return r < 0;
}
