/*
 * Status strings, pacing arithmetic and JPEG checks (portable, see capture.h).
 */
#include "capture.h"

#include <string.h>

const char *ivxs_capture_strerror(int status)
{
	switch (status) {
	case IVXS_CAPTURE_OK: return "ok";
	case IVXS_CAPTURE_EARG: return "invalid argument";
	case IVXS_CAPTURE_ENOMEM: return "out of memory";
	case IVXS_CAPTURE_EOPEN: return "cannot open file or device";
	case IVXS_CAPTURE_EREAD: return "read error";
	case IVXS_CAPTURE_ENOSTART: return "no Annex-B start code found";
	case IVXS_CAPTURE_ENOKEY: return "no key frame found";
	case IVXS_CAPTURE_ETOOBIG: return "access unit too large";
	case IVXS_CAPTURE_EGARBAGE: return "garbage in stream";
	case IVXS_CAPTURE_ETRUNC: return "stream truncated inside a frame";
	case IVXS_CAPTURE_EADTS: return "bad ADTS header";
	case IVXS_CAPTURE_ECODEC: return "unknown or unsupported codec";
	case IVXS_CAPTURE_ESTATE: return "invalid state";
	case IVXS_CAPTURE_ETHREAD: return "cannot create thread";
	case IVXS_CAPTURE_ENOTDEV: return "not a V4L2 device";
	case IVXS_CAPTURE_ECAPS: return "device cannot stream video capture";
	case IVXS_CAPTURE_EFORMAT: return "device does not deliver H.264";
	case IVXS_CAPTURE_EIO: return "device I/O error";
	case IVXS_CAPTURE_ENOSTILL: return "no stills";
	case IVXS_CAPTURE_EJPEG: return "invalid JPEG";
	case IVXS_CAPTURE_ENOSPACE: return "buffer too small";
	case IVXS_CAPTURE_EUNSUPPORTED: return "not supported on this platform";
	default: break;
	}
#ifndef IVXS_CAPTURE_CORE_ONLY
	if (status < 0 && status > -100)
		return ivxs_ring_strerror(status);
#endif
	return "unknown error";
}

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
