/*
 * The sample firmware's own live stream (sample_stream.h): FLV tags (E.4 of Adobe's FLV spec:
 * AVC packets with 4-byte NAL lengths, AAC raw frames, each codec's sequence header first) in one
 * buffer holding the newest GOP and the one before it. Each channel keeps an absolute offset
 * into it; a channel that fell further behind than the buffer holds goes on at the newest key
 * frame (a tag it was in the middle of is finished with zeros: that frame is lost, the FLV
 * stays parseable).
 */
#include "sample_stream.h"

#include <pthread.h>
#include <string.h>

#define kLiveBytes (1024 * 1024)   /* two GOPs of the sample clip with room to spare */
#define kChunkBytes (64 * 1024)    /* what one send_get_cb hands over at most */
#define kChannels 4                /* viewers of the firmware's stream at once */
#define kTagHead 11
#define kTagTail 4                 /* PreviousTagSize */

static struct {
	pthread_mutex_t lock;
	uint8_t buf[kLiveBytes];
	uint64_t base;                 /* the absolute offset of buf[0] */
	size_t len;
	int haveKey;
	uint64_t key;                  /* where the newest key frame's tag begins */
	int waitKey;                   /* a frame did not fit: nothing until the next key frame */
	uint8_t avc[512];              /* the AVC sequence header tag (SPS, PPS), and the AAC one */
	size_t avcLen;
	uint8_t aac[kTagHead + 4 + kTagTail];
	size_t aacLen;
	unsigned configs;              /* bumped when either changes: channels send them again */
	uint64_t t0;                   /* the first key frame's time: FLV time 0 */
} gLive = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct channel {
	int used, lent;
	uint64_t at;                   /* the next byte it sends */
	size_t rest;                   /* bytes left of the tag it is in (0: at a tag's start) */
	unsigned configs;              /* the sequence headers it sent */
	int started;
	unsigned long bytes, skipped;
	uint8_t chunk[kChunkBytes];
} gChannels[kChannels];

static void put24(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 16); p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24); put24(p + 1, v); }

static void tagHead(uint8_t *p, uint8_t type, size_t size, uint32_t ts)
{
	p[0] = type;
	put24(p + 1, (uint32_t)size);
	put24(p + 4, ts & 0xffffff);
	p[7] = (uint8_t)(ts >> 24);
	put24(p + 8, 0);
}

/* The next NAL unit of Annex-B data at or after *pos (its length; 0 at the end). */
static size_t nextNal(const uint8_t *d, size_t n, size_t *pos, const uint8_t **nal)
{
	size_t i = *pos, start, end;
	while (i + 3 <= n && !(d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1))
		i++;
	if (i + 3 > n) {
		*pos = n;
		return 0;
	}
	start = i + 3;
	for (i = start; i + 3 <= n && !(d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1); i++)
		;
	end = i + 3 > n ? n : i;
	*pos = end;
	while (end > start && d[end - 1] == 0)   /* a 4-byte start code's zero; no NAL ends in one */
		end--;
	*nal = d + start;
	return end - start;
}

/* Room for a tag of `size` bytes at the end of the buffer (lock held): a key frame drops the GOP
 * before the newest (two stay), a frame that does not fit all but the newest. */
static uint8_t *reserve(size_t size, int key)
{
	if (gLive.haveKey && gLive.key > gLive.base && (key || gLive.len + size > kLiveBytes)) {
		size_t drop = (size_t)(gLive.key - gLive.base);
		memmove(gLive.buf, gLive.buf + drop, gLive.len - drop);
		gLive.base += drop;
		gLive.len -= drop;
	}
	if (gLive.len + size > kLiveBytes && key) {   /* over the buffer with one GOP: start again at this key frame */
		gLive.base += gLive.len;
		gLive.len = 0;
	}
	if (gLive.len + size > kLiveBytes)
		return NULL;
	gLive.len += size;
	return gLive.buf + gLive.len - size;
}

/* The AVC sequence header tag from a key frame's SPS and PPS; whether it changed (lock held). */
static int avcConfig(const uint8_t *sps, size_t spsLen, const uint8_t *pps, size_t ppsLen)
{
	uint8_t tag[sizeof(gLive.avc)];
	size_t data = 5 + 6 + 2 + spsLen + 1 + 2 + ppsLen, n = kTagHead + data + kTagTail;
	uint8_t *p = tag + kTagHead;
	if (spsLen < 4 || n > sizeof(tag))
		return 0;
	tagHead(tag, 9, data, 0);
	*p++ = 0x17, *p++ = 0, *p++ = 0, *p++ = 0, *p++ = 0;            /* key frame, AVC, sequence header */
	*p++ = 1, *p++ = sps[1], *p++ = sps[2], *p++ = sps[3], *p++ = 0xff, *p++ = 0xe1;   /* 4-byte lengths, one SPS */
	*p++ = (uint8_t)(spsLen >> 8), *p++ = (uint8_t)spsLen;
	memcpy(p, sps, spsLen), p += spsLen;
	*p++ = 1, *p++ = (uint8_t)(ppsLen >> 8), *p++ = (uint8_t)ppsLen;
	memcpy(p, pps, ppsLen), p += ppsLen;
	put32(p, (uint32_t)(kTagHead + data));
	if (n == gLive.avcLen && !memcmp(tag, gLive.avc, n))
		return 0;
	memcpy(gLive.avc, tag, n);
	gLive.avcLen = n;
	return 1;
}

static void videoFrame(const ivxs_capture_frame *frame)
{
	const uint8_t *d = frame->data, *nal, *sps = NULL, *pps = NULL;
	size_t n = frame->size, pos = 0, len, spsLen = 0, ppsLen = 0, data = 5;
	uint8_t *p;
	while ((len = nextNal(d, n, &pos, &nal)) > 0) {
		int type = nal[0] & 0x1f;
		if (type == 9)
			continue;   /* access unit delimiters stay out */
		if (type == 7 && !sps)
			sps = nal, spsLen = len;
		if (type == 8 && !pps)
			pps = nal, ppsLen = len;
		data += 4 + len;
	}
	if (frame->key && sps && pps && avcConfig(sps, spsLen, pps, ppsLen))
		gLive.configs++;
	if (!frame->key && (!gLive.haveKey || gLive.waitKey))
		return;
	if (frame->key && !gLive.haveKey)
		gLive.t0 = frame->timestamp_ms;
	if (!(p = reserve(kTagHead + data + kTagTail, frame->key))) {
		gLive.waitKey = 1;
		return;
	}
	if (frame->key) {
		gLive.key = gLive.base + (uint64_t)(p - gLive.buf);
		gLive.haveKey = 1;
		gLive.waitKey = 0;
	}
	tagHead(p, 9, data, (uint32_t)(frame->timestamp_ms - gLive.t0));
	p += kTagHead;
	*p++ = frame->key ? 0x17 : 0x27, *p++ = 1, *p++ = 0, *p++ = 0, *p++ = 0;   /* AVC NALUs, no composition offset */
	for (pos = 0; (len = nextNal(d, n, &pos, &nal)) > 0;) {
		if ((nal[0] & 0x1f) == 9)
			continue;
		put32(p, (uint32_t)len);
		memcpy(p + 4, nal, len);
		p += 4 + len;
	}
	put32(p, (uint32_t)(kTagHead + data));
}

static void audioFrame(const ivxs_capture_frame *frame)
{
	const uint8_t *h = frame->data;
	size_t head, data;
	uint8_t asc[2], *p;
	if (!gLive.haveKey || frame->timestamp_ms < gLive.t0 || frame->size < 7 || h[0] != 0xff || (h[1] & 0xf0) != 0xf0)
		return;   /* audio follows the first key frame (FLV time 0); ADTS frames only */
	head = (h[1] & 1) ? 7 : 9;
	if (frame->size <= head)
		return;
	/* AudioSpecificConfig: object type (ADTS profile + 1), sampling index, channels */
	asc[0] = (uint8_t)(((((h[2] >> 6) & 3) + 1) << 3) | (((h[2] >> 2) & 0x0f) >> 1));
	asc[1] = (uint8_t)((((h[2] >> 2) & 1) << 7) | ((((h[2] & 1) << 2) | (h[3] >> 6)) << 3));
	if (!gLive.aacLen || gLive.aac[kTagHead + 2] != asc[0] || gLive.aac[kTagHead + 3] != asc[1]) {
		tagHead(gLive.aac, 8, 4, 0);
		gLive.aac[kTagHead] = 0xaf, gLive.aac[kTagHead + 1] = 0;   /* AAC, sequence header */
		gLive.aac[kTagHead + 2] = asc[0], gLive.aac[kTagHead + 3] = asc[1];
		put32(gLive.aac + kTagHead + 4, kTagHead + 4);
		gLive.aacLen = sizeof(gLive.aac);
		gLive.configs++;
	}
	data = 2 + frame->size - head;
	if (gLive.waitKey || !(p = reserve(kTagHead + data + kTagTail, 0)))
		return;
	tagHead(p, 8, data, (uint32_t)(frame->timestamp_ms - gLive.t0));
	p[kTagHead] = 0xaf, p[kTagHead + 1] = 1;   /* AAC raw */
	memcpy(p + kTagHead + 2, h + head, frame->size - head);
	put32(p + kTagHead + data, (uint32_t)(kTagHead + data));
}

void sample_stream_frame(const ivxs_capture_frame *frame)
{
	pthread_mutex_lock(&gLive.lock);
	if (frame->type == IVXS_FRAME_AUDIO)
		audioFrame(frame);
	else
		videoFrame(frame);
	pthread_mutex_unlock(&gLive.lock);
}

void *sample_stream_open(void)
{
	int i;
	pthread_mutex_lock(&gLive.lock);
	for (i = 0; i < kChannels && gChannels[i].used; i++)
		;
	if (i < kChannels) {
		struct channel *ch = &gChannels[i];
		ch->used = 1, ch->lent = 0, ch->started = 0, ch->rest = 0, ch->bytes = ch->skipped = 0;
	}
	pthread_mutex_unlock(&gLive.lock);
	return i < kChannels ? &gChannels[i] : NULL;
}

static void giveBack(uint8_t *buf, size_t size)
{
	int i;
	(void)size;
	pthread_mutex_lock(&gLive.lock);
	for (i = 0; i < kChannels; i++)
		if (gChannels[i].chunk == buf)
			gChannels[i].lent = 0;
	pthread_mutex_unlock(&gLive.lock);
}

/* Fills ch->chunk from its place (lock held): whole tags, a tag larger than the room in parts. */
static size_t fill(struct channel *ch)
{
	static const uint8_t header[13] = { 'F', 'L', 'V', 1, 0x05, 0, 0, 0, 9, 0, 0, 0, 0 };   /* audio + video; PreviousTagSize0 */
	size_t n = 0;
	if (!gLive.haveKey)
		return 0;
	if (!ch->started) {
		memcpy(ch->chunk, header, sizeof(header));
		n = sizeof(header);
		ch->at = gLive.key;
		ch->configs = gLive.configs - 1;
		ch->started = 1;
	}
	while (n < kChunkBytes) {
		size_t room = kChunkBytes - n, take;
		if (ch->rest) {
			take = ch->rest < room ? ch->rest : room;
			if (ch->at >= gLive.base) {
				size_t avail = (size_t)(gLive.base + gLive.len - ch->at);
				if (take > avail)
					take = avail;
				if (!take)
					break;
				memcpy(ch->chunk + n, gLive.buf + (ch->at - gLive.base), take);
			}
			else {   /* gone while this channel was in it: zeros finish the tag */
				memset(ch->chunk + n, 0, take);
				ch->skipped += take;
			}
			n += take, ch->at += take, ch->rest -= take;
			continue;
		}
		if (ch->at < gLive.base) {   /* fell behind what the buffer holds: on at the newest key frame */
			ch->skipped += (unsigned long)(gLive.key - ch->at);
			ch->at = gLive.key;
		}
		if (ch->configs != gLive.configs) {
			if (room < gLive.avcLen + gLive.aacLen)
				break;
			memcpy(ch->chunk + n, gLive.avc, gLive.avcLen);
			memcpy(ch->chunk + n + gLive.avcLen, gLive.aac, gLive.aacLen);
			n += gLive.avcLen + gLive.aacLen;
			ch->configs = gLive.configs;
			continue;
		}
		if (ch->at >= gLive.base + gLive.len)
			break;
		{
			const uint8_t *tag = gLive.buf + (ch->at - gLive.base);
			ch->rest = kTagHead + (((size_t)tag[1] << 16) | ((size_t)tag[2] << 8) | tag[3]) + kTagTail;
		}
	}
	ch->bytes += n;
	return n;
}

iv_cm_memory_s sample_stream_get(void *channel)
{
	struct channel *ch = channel;
	iv_cm_memory_s chunk = { NULL, 0, giveBack };
	pthread_mutex_lock(&gLive.lock);
	if (ch->used && !ch->lent && (chunk.size = fill(ch)) > 0) {
		chunk.buf = ch->chunk;
		ch->lent = 1;
	}
	pthread_mutex_unlock(&gLive.lock);
	return chunk;
}

void sample_stream_close(void *channel, unsigned long *bytes, unsigned long *skipped)
{
	struct channel *ch = channel;
	pthread_mutex_lock(&gLive.lock);
	*bytes = ch->bytes;
	*skipped = ch->skipped;
	ch->used = 0;
	pthread_mutex_unlock(&gLive.lock);
}
