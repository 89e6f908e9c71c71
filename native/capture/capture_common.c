/*
 * Status strings, pacing arithmetic and JPEG checks (portable, see capture.h).
 */
#include "capture.h"

#include <string.h>

const ivxs_status_entry ivxs_capture_statuses[] = {
	IVXS_STATUS(IVXS_CAPTURE_EARG, "invalid argument"),
	IVXS_STATUS(IVXS_CAPTURE_ENOMEM, "out of memory"),
	IVXS_STATUS(IVXS_CAPTURE_EOPEN, "cannot open file or device"),
	IVXS_STATUS(IVXS_CAPTURE_EREAD, "read error"),
	IVXS_STATUS(IVXS_CAPTURE_ENOSTART, "no Annex-B start code found"),
	IVXS_STATUS(IVXS_CAPTURE_ENOKEY, "no key frame found"),
	IVXS_STATUS(IVXS_CAPTURE_ETOOBIG, "access unit too large"),
	IVXS_STATUS(IVXS_CAPTURE_EGARBAGE, "garbage in stream"),
	IVXS_STATUS(IVXS_CAPTURE_ETRUNC, "stream truncated inside a frame"),
	IVXS_STATUS(IVXS_CAPTURE_EADTS, "bad ADTS header"),
	IVXS_STATUS(IVXS_CAPTURE_ECODEC, "unknown or unsupported codec"),
	IVXS_STATUS(IVXS_CAPTURE_ESTATE, "invalid state"),
	IVXS_STATUS(IVXS_CAPTURE_ETHREAD, "cannot create thread"),
	IVXS_STATUS(IVXS_CAPTURE_ENOTDEV, "not a V4L2 device"),
	IVXS_STATUS(IVXS_CAPTURE_ECAPS, "device cannot stream video capture"),
	IVXS_STATUS(IVXS_CAPTURE_EFORMAT, "device does not deliver H.264"),
	IVXS_STATUS(IVXS_CAPTURE_EIO, "device I/O error"),
	IVXS_STATUS(IVXS_CAPTURE_ENOSTILL, "no stills"),
	IVXS_STATUS(IVXS_CAPTURE_EJPEG, "invalid JPEG"),
	IVXS_STATUS(IVXS_CAPTURE_ENOSPACE, "buffer too small"),
	IVXS_STATUS(IVXS_CAPTURE_EUNSUPPORTED, "not supported on this platform"),
	IVXS_STATUS_END
};

const char *ivxs_capture_strerror(int status)
{
#ifndef IVXS_CAPTURE_CORE_ONLY
	if (ivxs_status_find(ivxs_ring_statuses, status))
		return ivxs_ring_strerror(status);
#endif
	return ivxs_status_message(ivxs_capture_statuses, status);
}

#ifndef IVXS_CAPTURE_CORE_ONLY
int ivxs_capture_ring_sink(void *ring, const ivxs_capture_frame *frame)
{
	ivxs_ring_frame f;
	f.type = frame->type;
	f.codec = frame->codec;
	f.key = frame->key;
	f.timestamp_ms = frame->timestamp_ms;
	f.info = frame->info;
	f.data = frame->data;
	f.size = frame->size;
	return ivxs_ring_push_frame(ring, &f);
}
#endif

uint64_t ivxs_capture_video_offset_us(uint64_t n, uint32_t fps_num, uint32_t fps_den)
{
	if (!fps_num || !fps_den)
		return 0;
	/* n * den * 1e6 / num without overflow for any realistic n */
	uint64_t per = (uint64_t)fps_den * 1000000u;
	uint64_t q = n / fps_num, r = n % fps_num;
	return q * per + (r * per) / fps_num;
}

uint64_t ivxs_capture_audio_offset_us(uint64_t samples, uint32_t rate)
{
	if (!rate)
		return 0;
	return (samples / rate) * 1000000u + ((samples % rate) * 1000000u) / rate;
}

int ivxs_capture_jpeg_valid(const void *data, size_t size)
{
	const uint8_t *b = data;
	if (!b || size < 4)
		return 0;
	if (b[0] != 0xFF || b[1] != 0xD8 || b[2] != 0xFF)
		return 0;
	while (size > 4 && (b[size - 1] == 0 || b[size - 1] == '\n' ||
			b[size - 1] == '\r' || b[size - 1] == ' '))
		size--;
	return b[size - 2] == 0xFF && b[size - 1] == 0xD9;
}

uint32_t ivxs_capture_still_index(uint64_t clip_pos_us, uint32_t count)
{
	if (!count)
		return 0;
	return (uint32_t)((clip_pos_us / 1000000u) % count);
}
