/*
 * The V4L2 source (Linux): cameras that deliver H.264 (mmap streaming), see
 * capture.h and README.md. One source behind the capture core's interface.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "capture_linux.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/videodev2.h>

#define V4L2_MAX_BUFFERS 16

typedef struct {
	char *device;
	uint32_t width, height, fps_num, fps_den, buffers;
	int fd;
	unsigned nbufs;
	void *maps[V4L2_MAX_BUFFERS];
	size_t map_len[V4L2_MAX_BUFFERS];
	int streaming;
	uint64_t v_index, first_us, last_ts;
	int have_first;
} v4l2_source;

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;
	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r;
}

/* An ioctl on mmap buffer `index` of the capture queue (query, queue). */
static int buffer_ioctl(v4l2_source *c, unsigned long req, unsigned index, struct v4l2_buffer *b)
{
	memset(b, 0, sizeof(*b));
	b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b->memory = V4L2_MEMORY_MMAP;
	b->index = index;
	return xioctl(c->fd, req, b);
}

static void v4l2_close(void *ctx)
{
	v4l2_source *c = ctx;
	unsigned i;
	if (c->fd >= 0) {
		if (c->streaming) {
			enum v4l2_buf_type t = V4L2_BUF_TYPE_VIDEO_CAPTURE;
			xioctl(c->fd, VIDIOC_STREAMOFF, &t);
			c->streaming = 0;
		}
		for (i = 0; i < c->nbufs; i++) {
			if (c->maps[i] && c->maps[i] != MAP_FAILED)
				munmap(c->maps[i], c->map_len[i]);
			c->maps[i] = NULL;
		}
		if (c->nbufs) {
			struct v4l2_requestbuffers rb;
			memset(&rb, 0, sizeof(rb));
			rb.count = 0;
			rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
			rb.memory = V4L2_MEMORY_MMAP;
			xioctl(c->fd, VIDIOC_REQBUFS, &rb);
		}
		close(c->fd);
	}
	c->nbufs = 0;
	c->fd = -1;
}

static void v4l2_set_ctrl(int fd, uint32_t id, int32_t value)
{
	struct v4l2_control ctl;
	memset(&ctl, 0, sizeof(ctl));
	ctl.id = id;
	ctl.value = value;
	(void)xioctl(fd, VIDIOC_S_CTRL, &ctl);   /* best effort */
}

static int v4l2_prepare(void *ctx, ivxs_capture *capture)
{
	v4l2_source *c = ctx;
	struct v4l2_capability cap;
	struct v4l2_format fmt;
	struct v4l2_requestbuffers rb;
	struct stat st;
	uint32_t caps;
	unsigned i;
	int r;
	enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	c->fd = open(c->device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (c->fd < 0)
		return IVXS_CAPTURE_EOPEN;
	if (fstat(c->fd, &st) != 0 || !S_ISCHR(st.st_mode)) {
		r = IVXS_CAPTURE_ENOTDEV;
		goto fail;
	}
	memset(&cap, 0, sizeof(cap));
	if (xioctl(c->fd, VIDIOC_QUERYCAP, &cap) < 0) {
		r = IVXS_CAPTURE_ENOTDEV;
		goto fail;
	}
	caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
	if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) {
		r = IVXS_CAPTURE_ECAPS;   /* multi-planar / M2M-only devices are not handled */
		goto fail;
	}
	memset(&fmt, 0, sizeof(fmt));
	fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (xioctl(c->fd, VIDIOC_G_FMT, &fmt) < 0) {
		r = IVXS_CAPTURE_EIO;
		goto fail;
	}
	fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_H264;
	if (c->width)
		fmt.fmt.pix.width = c->width;
	if (c->height)
		fmt.fmt.pix.height = c->height;
	fmt.fmt.pix.field = V4L2_FIELD_ANY;
	if (xioctl(c->fd, VIDIOC_S_FMT, &fmt) < 0 || fmt.fmt.pix.pixelformat != V4L2_PIX_FMT_H264) {
		r = IVXS_CAPTURE_EFORMAT;
		goto fail;
	}
	if (c->fps_num) {
		struct v4l2_streamparm parm;
		memset(&parm, 0, sizeof(parm));
		parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		if (xioctl(c->fd, VIDIOC_G_PARM, &parm) == 0 &&
				(parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME)) {
			parm.parm.capture.timeperframe.numerator = c->fps_den;
			parm.parm.capture.timeperframe.denominator = c->fps_num;
			(void)xioctl(c->fd, VIDIOC_S_PARM, &parm);
		}
	}
	/* Ask for SPS/PPS with every IDR so each GOP in the ring is decodable. */
	v4l2_set_ctrl(c->fd, V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER, 1);
#ifdef V4L2_CID_MPEG_VIDEO_PREPEND_SPSPPS_TO_IDR
	v4l2_set_ctrl(c->fd, V4L2_CID_MPEG_VIDEO_PREPEND_SPSPPS_TO_IDR, 1);
#endif

	memset(&rb, 0, sizeof(rb));
	rb.count = c->buffers;
	rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	rb.memory = V4L2_MEMORY_MMAP;
	if (xioctl(c->fd, VIDIOC_REQBUFS, &rb) < 0) {
		r = IVXS_CAPTURE_EIO;
		goto fail;
	}
	if (rb.count < 2) {
		c->nbufs = rb.count;
		r = IVXS_CAPTURE_ENOMEM;
		goto fail;
	}
	c->nbufs = rb.count > V4L2_MAX_BUFFERS ? V4L2_MAX_BUFFERS : rb.count;
	for (i = 0; i < c->nbufs; i++) {
		struct v4l2_buffer b;
		if (buffer_ioctl(c, VIDIOC_QUERYBUF, i, &b) < 0) {
			r = IVXS_CAPTURE_EIO;
			goto fail;
		}
		c->map_len[i] = b.length;
		c->maps[i] = mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, b.m.offset);
		if (c->maps[i] == MAP_FAILED) {
			c->maps[i] = NULL;
			r = IVXS_CAPTURE_EIO;
			goto fail;
		}
	}
	for (i = 0; i < c->nbufs; i++) {
		struct v4l2_buffer b;
		if (buffer_ioctl(c, VIDIOC_QBUF, i, &b) < 0) {
			r = IVXS_CAPTURE_EIO;
			goto fail;
		}
	}
	if (xioctl(c->fd, VIDIOC_STREAMON, &type) < 0) {
		r = IVXS_CAPTURE_EIO;
		goto fail;
	}
	c->streaming = 1;
	c->v_index = 0;
	c->have_first = 0;
	c->last_ts = ivxs_capture_base_ms(capture);
	return IVXS_CAPTURE_OK;
fail:
	v4l2_close(c);
	return r;
}

/* One poll + DQBUF + push + QBUF. 1 progress/timeout, <0 fatal. */
static int v4l2_step(void *ctx, ivxs_capture *capture)
{
	v4l2_source *c = ctx;
	struct pollfd pfd;
	struct v4l2_buffer b;
	ivxs_capture_frame f;
	uint64_t buf_us, ts;
	int r;
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	r = poll(&pfd, 1, 100);
	if (r < 0)
		return errno == EINTR ? 1 : IVXS_CAPTURE_EIO;
	if (r == 0)
		return 1;
	if (pfd.revents & (POLLERR | POLLNVAL))
		return IVXS_CAPTURE_EIO;
	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = V4L2_MEMORY_MMAP;
	if (xioctl(c->fd, VIDIOC_DQBUF, &b) < 0)
		return errno == EAGAIN ? 1 : IVXS_CAPTURE_EIO;
	if (b.index >= c->nbufs)
		return IVXS_CAPTURE_EIO;
	memset(&f, 0, sizeof(f));
	if ((b.flags & V4L2_BUF_FLAG_ERROR) || b.bytesused == 0 || b.bytesused > c->map_len[b.index]) {
		ivxs_capture_drop(capture, 1);
		goto requeue;
	}
	f.type = IVXS_FRAME_VIDEO;
	f.codec = IVXS_CODEC_H264;
	f.data = (const uint8_t *)c->maps[b.index] + 0;
	f.size = b.bytesused;
	{
		/* The AU info word travels with the frame. Key: the driver's flag,
		 * else an IDR found in the buffer. */
		ivxs_au info;
		ivxs_au_describe(IVXS_CODEC_H264, f.data, f.size, &info);
		f.key = (b.flags & V4L2_BUF_FLAG_KEYFRAME) || info.key;
		f.info = info.info | (f.key ? IVXS_AU_INFO_KEY : 0);
	}
	/* Timestamps: the buffer's (monotonic on modern drivers) relative to the
	 * first buffer, else the injected clock; never going back. */
	buf_us = (uint64_t)b.timestamp.tv_sec * 1000000u + (uint64_t)b.timestamp.tv_usec;
	if (buf_us == 0)
		buf_us = ivxs_capture_now_us(capture);
	if (!c->have_first) {
		c->first_us = buf_us;
		c->have_first = 1;
	}
	ts = ivxs_capture_base_ms(capture) + (buf_us >= c->first_us ? (buf_us - c->first_us) / 1000u : 0);
	if (ts < c->last_ts)
		ts = c->last_ts;
	f.timestamp_ms = ts;
	f.index = c->v_index++;
	if (ivxs_capture_emit(capture, &f)) {
		c->last_ts = ts;
		ivxs_capture_advance(capture, ts + 1);
	}
requeue:
	if (xioctl(c->fd, VIDIOC_QBUF, &b) < 0)
		return IVXS_CAPTURE_EIO;
	return 1;
}

static void v4l2_release(void *ctx)
{
	v4l2_source *c = ctx;
	v4l2_close(c);
	free(c->device);
	free(c);
}

static void v4l2_stats(void *ctx, ivxs_capture_stats *o)
{
	o->footprint_bytes += sizeof(v4l2_source);
	(void)ctx;
}

static const ivxs_capture_source v4l2_interface = {
	v4l2_prepare, v4l2_step, v4l2_close, v4l2_release, v4l2_stats, NULL, NULL
};

int ivxs_capture_create_v4l2(ivxs_capture **out, const ivxs_capture_v4l2_config *cfg)
{
	v4l2_source *c;
	ivxs_capture_config cc;
	int r;
	if (!out)
		return IVXS_CAPTURE_EARG;
	*out = NULL;
	if (!cfg || !cfg->device || !cfg->device[0])
		return IVXS_CAPTURE_EARG;
	if (cfg->buffers > V4L2_MAX_BUFFERS)
		return IVXS_CAPTURE_EARG;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->device = ivxs_capture_dup_str(cfg->device))) {
		free(c);
		return IVXS_CAPTURE_ENOMEM;
	}
	c->fd = -1;
	c->width = cfg->width;
	c->height = cfg->height;
	c->fps_num = cfg->fps_num;
	c->fps_den = cfg->fps_den ? cfg->fps_den : 1;
	c->buffers = cfg->buffers ? cfg->buffers : 4;
	memset(&cc, 0, sizeof(cc));
	cc.source = v4l2_interface;
	cc.source.ctx = c;
	IVXS_CAPTURE_COPY_COMMON(&cc, cfg);
	r = ivxs_capture_create(out, &cc);
	if (r)
		v4l2_release(c);
	return r;
}
