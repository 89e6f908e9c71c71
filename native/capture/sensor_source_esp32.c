/*
 * The board's camera source: the V4L2 source's twin (selected by the capture option `device`, as on
 * Linux). `device: "camera"`: the camera module through esp32-camera (YUV422 frames in PSRAM);
 * `device: "pattern"`: a moving test pattern written in the same YUV422 layout, for a board or an
 * emulator without a sensor. Each frame goes through esp_h264's software encoder (OpenH264,
 * baseline; its YUYV input converted to I420 inside it) and the access unit it writes is emitted
 * into the ring by the capture core, on the capture task (capture_thread_esp32.c), paced on the
 * capture clock at the configured frame rate. Stills are JPEGs of the current frame (esp32-camera's
 * fmt2jpg_cb), made on the capture task when the VM asks for one.
 *
 * Everything a run needs is allocated at prepare (the frame buffers and the encoder's in PSRAM) and
 * freed at close: nothing per frame. Every failure is a status (no sensor: EOPEN; a bad pin or
 * size: EARG; the encoder's refusal: ECODEC; its memory: ENOMEM), never a crash.
 */
#include "capture_linux.h"

#include "esp_camera.h"
#include "img_converters.h"
#include "esp_h264_enc_single_sw.h"
#include "esp_heap_caps.h"
#include "driver/gpio.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"

#include <stdlib.h>
#include <string.h>

#define SENSOR_STACK (48 * 1024)       /* OpenH264's encode calls run deep (its own examples: 32 KB and more) */
#define SENSOR_STILL_MAX (96 * 1024)   /* a QVGA JPEG at quality 80 is ~10-20 KB; VGA fits too */
#define SENSOR_STILL_QUALITY 80
#define SENSOR_STILL_WAIT_MS 2000

/* The ESP32-S3-EYE's camera connector (Espressif's board), in IVXS_CAPTURE_PIN_* order. */
static const int eye_pins[IVXS_CAPTURE_PINS] = {
	-1, -1, 15, 4, 5,                 /* pwdn, reset, xclk, sda (SIOD), scl (SIOC) */
	11, 9, 8, 10, 12, 18, 17, 16,     /* d0 (Y2) … d7 (Y9) */
	6, 7, 13                          /* vsync, href, pclk */
};

typedef struct {
	int pattern;                      /* 1: the test pattern, no sensor */
	uint32_t width, height, fps_num, fps_den, gop, bitrate;
	int pins[IVXS_CAPTURE_PINS];
	/* run state (prepare → close) */
	int camera_on;
	esp_h264_enc_handle_t enc;
	uint8_t *yuyv;                    /* the pattern's frame */
	uint8_t *out;                     /* the encoder's access unit */
	size_t out_cap;
	uint64_t t0_us, n;                /* frame n is due at t0 + n frames */
	/* stills: asked by the VM thread, made by the capture task */
	SemaphoreHandle_t lock, made;
	int still_asked, still_status;
	uint8_t *still;
	size_t still_len;
	uint32_t stills;
} sensor_source;

/* The frame size esp32-camera names for width × height, or FRAMESIZE_INVALID. */
static framesize_t frame_size(uint32_t w, uint32_t h)
{
	static const struct { uint16_t w, h; framesize_t size; } sizes[] = {
		{ 160, 120, FRAMESIZE_QQVGA }, { 240, 176, FRAMESIZE_HQVGA }, { 320, 240, FRAMESIZE_QVGA },
		{ 400, 296, FRAMESIZE_CIF }, { 480, 320, FRAMESIZE_HVGA }, { 640, 480, FRAMESIZE_VGA },
	};
	size_t i;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (sizes[i].w == w && sizes[i].h == h)
			return sizes[i].size;
	return FRAMESIZE_INVALID;
}

/* Pins: each a GPIO of this chip or -1 (pwdn, reset), none used twice. */
static int pins_valid(const int *pins)
{
	int i, j;
	for (i = 0; i < IVXS_CAPTURE_PINS; i++) {
		int optional = i == IVXS_CAPTURE_PIN_PWDN || i == IVXS_CAPTURE_PIN_RESET;
		if (pins[i] == -1 && optional)
			continue;
		if (pins[i] < 0 || !GPIO_IS_VALID_GPIO(pins[i]))
			return 0;
		for (j = 0; j < i; j++)
			if (pins[j] == pins[i])
				return 0;
	}
	return 1;
}

/* A moving picture in YUYV: vertical colour bars scrolling left and a white square crossing them. */
static void pattern_frame(uint8_t *p, uint32_t w, uint32_t h, uint64_t n)
{
	static const uint8_t bars[8][3] = {   /* Y, U, V: white, yellow, cyan, green, magenta, red, blue, black */
		{ 235, 128, 128 }, { 210, 16, 146 }, { 170, 166, 16 }, { 145, 54, 34 },
		{ 106, 202, 222 }, { 81, 90, 240 }, { 41, 240, 110 }, { 16, 128, 128 }
	};
	uint32_t x, y, shift = (uint32_t)(n * 4 % w), box = h / 4;
	uint32_t bx = (uint32_t)(n * 6 % (w - box)), by = (uint32_t)((n * 3) % (h - box));
	for (y = 0; y < h; y++) {
		uint8_t *row = p + (size_t)y * w * 2;
		for (x = 0; x < w; x += 2) {
			const uint8_t *c = bars[((x + shift) % w) * 8 / w];
			int inbox = x >= bx && x < bx + box && y >= by && y < by + box;
			row[x * 2] = inbox ? 235 : c[0];
			row[x * 2 + 1] = inbox ? 128 : c[1];
			row[x * 2 + 2] = inbox ? 235 : c[0];
			row[x * 2 + 3] = inbox ? 128 : c[2];
		}
	}
}

static void sensor_close(void *ctx)
{
	sensor_source *s = ctx;
	if (s->enc) {
		esp_h264_enc_close(s->enc);
		esp_h264_enc_del(s->enc);
		s->enc = NULL;
	}
	if (s->camera_on) {
		esp_camera_deinit();
		s->camera_on = 0;
	}
	heap_caps_free(s->yuyv);
	heap_caps_free(s->out);
	heap_caps_free(s->still);
	s->yuyv = s->out = s->still = NULL;
}

static int sensor_prepare(void *ctx, ivxs_capture *c)
{
	sensor_source *s = ctx;
	esp_h264_enc_cfg_sw_t ec;
	int r = IVXS_CAPTURE_ENOMEM;
	memset(&ec, 0, sizeof(ec));
	s->out_cap = (size_t)s->width * s->height * 3 / 2;   /* an I420 frame's size: an AU stays below */
	s->out = heap_caps_malloc(s->out_cap, MALLOC_CAP_SPIRAM | MALLOC_CAP_8BIT);
	s->still = heap_caps_malloc(SENSOR_STILL_MAX, MALLOC_CAP_SPIRAM | MALLOC_CAP_8BIT);
	if (!s->out || !s->still)
		goto fail;
	if (s->pattern) {
		s->yuyv = heap_caps_malloc((size_t)s->width * s->height * 2, MALLOC_CAP_SPIRAM | MALLOC_CAP_8BIT);
		if (!s->yuyv)
			goto fail;
	} else {
		camera_config_t cc;
		memset(&cc, 0, sizeof(cc));
		cc.pin_pwdn = s->pins[IVXS_CAPTURE_PIN_PWDN];
		cc.pin_reset = s->pins[IVXS_CAPTURE_PIN_RESET];
		cc.pin_xclk = s->pins[IVXS_CAPTURE_PIN_XCLK];
		cc.pin_sccb_sda = s->pins[IVXS_CAPTURE_PIN_SDA];
		cc.pin_sccb_scl = s->pins[IVXS_CAPTURE_PIN_SCL];
		cc.pin_d0 = s->pins[IVXS_CAPTURE_PIN_D0];
		cc.pin_d1 = s->pins[IVXS_CAPTURE_PIN_D1];
		cc.pin_d2 = s->pins[IVXS_CAPTURE_PIN_D2];
		cc.pin_d3 = s->pins[IVXS_CAPTURE_PIN_D3];
		cc.pin_d4 = s->pins[IVXS_CAPTURE_PIN_D4];
		cc.pin_d5 = s->pins[IVXS_CAPTURE_PIN_D5];
		cc.pin_d6 = s->pins[IVXS_CAPTURE_PIN_D6];
		cc.pin_d7 = s->pins[IVXS_CAPTURE_PIN_D7];
		cc.pin_vsync = s->pins[IVXS_CAPTURE_PIN_VSYNC];
		cc.pin_href = s->pins[IVXS_CAPTURE_PIN_HREF];
		cc.pin_pclk = s->pins[IVXS_CAPTURE_PIN_PCLK];
		cc.xclk_freq_hz = 20000000;
		cc.ledc_timer = LEDC_TIMER_0;
		cc.ledc_channel = LEDC_CHANNEL_0;
		cc.pixel_format = PIXFORMAT_YUV422;   /* YUYV: esp_h264's software input */
		cc.frame_size = frame_size(s->width, s->height);
		cc.fb_count = 2;
		cc.fb_location = CAMERA_FB_IN_PSRAM;
		cc.grab_mode = CAMERA_GRAB_LATEST;
		if (esp_camera_init(&cc) != ESP_OK) {
			r = IVXS_CAPTURE_EOPEN;   /* no sensor answered on these pins, or its driver refused */
			goto fail;
		}
		s->camera_on = 1;
	}
	ec.pic_type = ESP_H264_RAW_FMT_YUYV;
	ec.gop = (uint8_t)s->gop;
	ec.fps = (uint8_t)((s->fps_num + s->fps_den - 1) / s->fps_den);
	ec.res.width = (uint16_t)s->width;
	ec.res.height = (uint16_t)s->height;
	ec.rc.bitrate = s->bitrate;
	ec.rc.qp_min = 20;
	ec.rc.qp_max = 40;
	switch (esp_h264_enc_sw_new(&ec, &s->enc)) {
	case ESP_H264_ERR_OK:
		break;
	case ESP_H264_ERR_MEM:
		goto fail;
	default:
		r = IVXS_CAPTURE_ECODEC;
		goto fail;
	}
	if (esp_h264_enc_open(s->enc) != ESP_H264_ERR_OK) {
		r = IVXS_CAPTURE_ECODEC;
		goto fail;
	}
	s->t0_us = ivxs_capture_now_us(c);
	s->n = 0;
	s->stills = 1;
	return IVXS_CAPTURE_OK;
fail:
	sensor_close(s);
	return r;
}

/* jpge's output, chunk by chunk, into the still's buffer; a chunk past its end refuses the still
 * (returning less than len stops the encoder). */
static size_t still_chunk(void *arg, size_t index, const void *data, size_t len)
{
	sensor_source *s = arg;
	if (index != s->still_len || len > SENSOR_STILL_MAX - s->still_len)
		return 0;
	memcpy(s->still + s->still_len, data, len);
	s->still_len += len;
	return len;
}

/* Makes the still the VM asked for from this frame (YUYV), and wakes it. */
static void still_from(sensor_source *s, const uint8_t *yuyv, size_t size)
{
	xSemaphoreTake(s->lock, portMAX_DELAY);
	if (s->still_asked) {
		s->still_len = 0;
		s->still_status = fmt2jpg_cb((uint8_t *)yuyv, size, (uint16_t)s->width, (uint16_t)s->height, PIXFORMAT_YUV422,
				SENSOR_STILL_QUALITY, still_chunk, s) && ivxs_capture_jpeg_valid(s->still, s->still_len) ? 0 : IVXS_CAPTURE_EJPEG;
		s->still_asked = 0;
		xSemaphoreGive(s->made);
	}
	xSemaphoreGive(s->lock);
}

static int sensor_step(void *ctx, ivxs_capture *c)
{
	sensor_source *s = ctx;
	uint64_t frame_us = ivxs_capture_video_offset_us(1, s->fps_num, s->fps_den), due, now, off;
	const uint8_t *yuyv;
	size_t size;
	camera_fb_t *fb = NULL;
	esp_h264_enc_in_frame_t in;
	esp_h264_enc_out_frame_t out;
	ivxs_capture_frame f;
	ivxs_au au;
	esp_h264_err_t e;
	now = ivxs_capture_now_us(c);
	due = s->t0_us + ivxs_capture_video_offset_us(s->n, s->fps_num, s->fps_den);
	if (now > due + frame_us) {   /* the encoder fell behind: skip the slots it missed */
		s->n = (now - s->t0_us) / frame_us;
		due = s->t0_us + ivxs_capture_video_offset_us(s->n, s->fps_num, s->fps_den);
	}
	if (ivxs_capture_wait_until(c, due))
		return 0;
	if (s->pattern) {
		pattern_frame(s->yuyv, s->width, s->height, s->n);
		yuyv = s->yuyv;
		size = (size_t)s->width * s->height * 2;
	} else {
		fb = esp_camera_fb_get();
		if (!fb)
			return IVXS_CAPTURE_EIO;   /* the sensor stopped delivering */
		if (fb->format != PIXFORMAT_YUV422 || fb->width != s->width || fb->height != s->height || fb->len < (size_t)s->width * s->height * 2) {
			esp_camera_fb_return(fb);
			return IVXS_CAPTURE_EFORMAT;
		}
		yuyv = fb->buf;
		size = fb->len;
	}
	if (s->still_asked)
		still_from(s, yuyv, size);
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	in.raw_data.buffer = (uint8_t *)yuyv;
	in.raw_data.len = (uint32_t)size;
	off = ivxs_capture_video_offset_us(s->n, s->fps_num, s->fps_den);
	in.pts = (uint32_t)(off / 1000);
	out.raw_data.buffer = s->out;
	out.raw_data.len = (uint32_t)s->out_cap;
	e = esp_h264_enc_process(s->enc, &in, &out);
	if (fb)
		esp_camera_fb_return(fb);
	s->n++;
	if (e != ESP_H264_ERR_OK || !out.length || !ivxs_au_describe(IVXS_CODEC_H264, s->out, out.length, &au)) {
		ivxs_capture_drop(c, 1);   /* a frame the encoder could not make (the next key frame resumes) */
		ivxs_capture_split_error(c, IVXS_CAPTURE_ECODEC);
		return 1;
	}
	memset(&f, 0, sizeof(f));
	f.type = IVXS_FRAME_VIDEO;
	f.codec = IVXS_CODEC_H264;
	f.key = au.key;
	f.info = au.info;
	f.data = s->out;
	f.size = out.length;
	f.index = s->n - 1;
	f.scheduled_us = due;
	f.timestamp_ms = ivxs_capture_base_ms(c) + off / 1000;
	ivxs_capture_emit(c, &f);
	ivxs_capture_advance(c, ivxs_capture_base_ms(c) + ivxs_capture_video_offset_us(s->n, s->fps_num, s->fps_den) / 1000);
	return 1;
}

static void sensor_release(void *ctx)
{
	sensor_source *s = ctx;
	sensor_close(s);
	if (s->lock)
		vSemaphoreDelete(s->lock);
	if (s->made)
		vSemaphoreDelete(s->made);
	free(s);
}

static void sensor_stats(void *ctx, ivxs_capture_stats *o)
{
	sensor_source *s = ctx;
	o->stills = s->stills;
	o->footprint_bytes += sizeof(*s) + (s->out ? s->out_cap : 0) + (s->still ? SENSOR_STILL_MAX : 0)
		+ (s->yuyv ? (size_t)s->width * s->height * 2 : 0);
}

/* The VM thread: asks the capture task for a JPEG of its next frame and waits for it. */
static int sensor_still(void *ctx, void *buf, size_t cap, size_t *len)
{
	sensor_source *s = ctx;
	int r;
	*len = 0;
	if (!s->enc)
		return IVXS_CAPTURE_ENOSTILL;   /* not capturing */
	xSemaphoreTake(s->lock, portMAX_DELAY);
	xSemaphoreTake(s->made, 0);   /* a late answer to a request that timed out */
	s->still_asked = 1;
	xSemaphoreGive(s->lock);
	if (xSemaphoreTake(s->made, pdMS_TO_TICKS(SENSOR_STILL_WAIT_MS)) != pdTRUE) {
		xSemaphoreTake(s->lock, portMAX_DELAY);
		s->still_asked = 0;
		xSemaphoreGive(s->lock);
		return IVXS_CAPTURE_ENOSTILL;   /* no frame came */
	}
	xSemaphoreTake(s->lock, portMAX_DELAY);
	r = s->still_status;
	*len = s->still_len;
	if (r >= 0 && s->still_len > cap)
		r = IVXS_CAPTURE_ENOSPACE;
	else if (r >= 0)
		memcpy(buf, s->still, s->still_len);
	xSemaphoreGive(s->lock);
	return r < 0 ? r : 0;
}

static const ivxs_capture_source sensor_interface = {
	sensor_prepare, sensor_step, sensor_close, sensor_release, sensor_stats, sensor_still, NULL
};

/* `device` "camera" (the module on the pins) or "pattern"; anything else is not a board's. */
int ivxs_capture_create_v4l2(ivxs_capture **out, const ivxs_capture_v4l2_config *cfg)
{
	sensor_source *s;
	ivxs_capture_config cc;
	int r, pattern;
	if (!out)
		return IVXS_CAPTURE_EARG;
	*out = NULL;
	if (!cfg || !cfg->device)
		return IVXS_CAPTURE_EARG;
	pattern = !strcmp(cfg->device, "pattern");
	if (!pattern && strcmp(cfg->device, "camera"))
		return IVXS_CAPTURE_EUNSUPPORTED;   /* no V4L2 on a board: "camera" or "pattern" */
	s = calloc(1, sizeof(*s));
	if (!s)
		return IVXS_CAPTURE_ENOMEM;
	s->pattern = pattern;
	s->width = cfg->width ? cfg->width : 320;
	s->height = cfg->height ? cfg->height : 240;
	s->fps_num = cfg->fps_num ? cfg->fps_num : 10;
	s->fps_den = cfg->fps_num ? (cfg->fps_den ? cfg->fps_den : 1) : 1;
	s->gop = cfg->gop ? cfg->gop : 2 * ((s->fps_num + s->fps_den - 1) / s->fps_den);
	s->bitrate = cfg->bitrate ? cfg->bitrate : 300000;
	memcpy(s->pins, cfg->pins_set ? cfg->pins : eye_pins, sizeof(s->pins));
	r = IVXS_CAPTURE_OK;
	if ((!pattern && frame_size(s->width, s->height) == FRAMESIZE_INVALID) || (s->width % 16) || (s->height % 16)
			|| s->width > 640 || s->height > 480 || s->gop > 255 || s->fps_num / s->fps_den > 60 || s->fps_num / s->fps_den < 1
			|| (!pattern && !pins_valid(s->pins)))
		r = IVXS_CAPTURE_EARG;
	s->lock = xSemaphoreCreateMutex();
	s->made = xSemaphoreCreateBinary();
	if (!r && (!s->lock || !s->made))
		r = IVXS_CAPTURE_ENOMEM;
	if (!r) {
		memset(&cc, 0, sizeof(cc));
		cc.source = sensor_interface;
		cc.source.ctx = s;
		IVXS_CAPTURE_COPY_COMMON(&cc, cfg);
		cc.stack_bytes = SENSOR_STACK;
		r = ivxs_capture_create(out, &cc);
	}
	if (r)
		sensor_release(s);
	return r;
}
