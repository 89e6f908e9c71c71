/* Fragmented MP4 from ring frames: see fmp4.h. */
#include "fmp4.h"
#include "annexb.h"

#include <string.h>

const ivxs_status_entry ivxs_fmp4_statuses[] = {
	IVXS_STATUS(IVXS_FMP4_ETIME, "timestamp repeated, backwards, before time 0 or out of range"),
	IVXS_STATUS(IVXS_FMP4_ENOKEY, "video must start with a key frame"),
	IVXS_STATUS(IVXS_FMP4_EVIDEO, "malformed access unit"),
	IVXS_STATUS(IVXS_FMP4_EADTS, "malformed or unsupported ADTS frame"),
	IVXS_STATUS(IVXS_FMP4_ETRACK, "the stream has no such track"),
	IVXS_STATUS(IVXS_FMP4_EFULL, "access unit with too many NAL units"),
	IVXS_STATUS(IVXS_FMP4_EBUSY, "a fragment is waiting to be taken"),
	IVXS_STATUS_END
};

const char *ivxs_fmp4_strerror(int status)
{
	return ivxs_status_message(ivxs_fmp4_statuses, status);
}

#define VIDEO_TRACK_ID 1
#define AUDIO_TRACK_ID 2
#define SYNC_FLAGS 0x02000000u       /* sample_depends_on = 2 */
#define NON_SYNC_FLAGS 0x01010000u   /* sample_depends_on = 1, sample_is_non_sync_sample */
#define MAX_FRAGMENT_BYTES (0x7fffffffu - 0x10000u)   /* trun's data_offset is signed 32-bit */
#define MAX_TIMESTAMP_MS (INT64_C(1) << 45)
#define NO_PREFIX UINT32_MAX

static const uint32_t kAacRates[13] = { 96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350 };

int ivxs_fmp4_init(ivxs_fmp4 *m, const ivxs_fmp4_options *o)
{
	if (!o || (o->video_codec != 0 && o->video_codec != IVXS_ANNEXB_H264 && o->video_codec != IVXS_ANNEXB_H265)
			|| (!o->video_codec && !o->audio) || o->mode > IVXS_FMP4_DURATION || o->fragment_ms == 0
			|| o->fragment_ms > 0xffffffffu / 96 || o->first_sequence == 0
			|| o->origin_ms > MAX_TIMESTAMP_MS || o->origin_ms < -MAX_TIMESTAMP_MS)
		return IVXS_EARG;
	memset(m, 0, sizeof(*m));
	m->o = *o;
	m->sequence = o->first_sequence - 1;
	m->default_video_duration = 3600;
	return 0;
}

void ivxs_fmp4_set_video_duration(ivxs_fmp4 *m, uint32_t ticks)
{
	m->default_video_duration = ticks ? ticks : 3600;
}

const ivxs_fmp4_fragment *ivxs_fmp4_take(ivxs_fmp4 *m)
{
	if (!m->ready)
		return NULL;
	m->ready = 0;
	return &m->out;
}

/* ---- the fragment's bytes ------------------------------------------------ */

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static uint8_t *box(uint8_t *p, uint32_t size, const char *type)
{
	p = put32(p, size);
	memcpy(p, type, 4);
	return p + 4;
}

static uint8_t *fullBox(uint8_t *p, uint32_t size, const char *type, uint32_t versionFlags)
{
	return put32(box(p, size, type), versionFlags);
}

/* traf, tfhd (default-base-is-moof), tfdt (version 1, 64-bit time); returns where trun goes. */
static uint8_t *trafHead(uint8_t *p, uint32_t trafSize, uint32_t trackId, uint64_t base)
{
	p = box(p, trafSize, "traf");
	p = put32(fullBox(p, 16, "tfhd", 0x020000), trackId);
	p = fullBox(p, 20, "tfdt", 0x01000000);
	p = put32(p, (uint32_t)(base >> 32));
	return put32(p, (uint32_t)base);
}

/* Writes the runs (samples [0, count) of each track) as one fragment into `out`. */
static void writeFragment(ivxs_fmp4 *m)
{
	ivxs_fmp4_fragment *f = &m->out;
	ivxs_fmp4_track *v = &m->video, *a = &m->audio;
	uint32_t vn = v->count, an = a->count, i, j, nals = 0, videoBytes = 0, audioBytes = 0;
	uint32_t videoTrun, audioTrun, videoTraf, audioTraf, moofSize;
	uint8_t *p, *prefix;
	for (i = 0; i < vn; i++) {
		nals += v->nals[i];
		videoBytes += v->sizes[i];
	}
	for (i = 0; i < an; i++)
		audioBytes += a->sizes[i];
	videoTrun = vn ? 20 + vn * 12 : 0;
	audioTrun = an ? 20 + an * 8 : 0;
	videoTraf = vn ? 8 + 16 + 20 + videoTrun : 0;
	audioTraf = an ? 8 + 16 + 20 + audioTrun : 0;
	moofSize = 8 + 16 + videoTraf + audioTraf;
	f->header_size = moofSize + 8;
	p = box(f->header, moofSize, "moof");
	p = put32(fullBox(p, 16, "mfhd", 0), m->sequence);
	if (vn) {
		p = trafHead(p, videoTraf, VIDEO_TRACK_ID, v->base);
		p = fullBox(p, videoTrun, "trun", 0x000701);   /* data offset, duration, size, flags */
		p = put32(put32(p, vn), f->header_size);
		for (i = 0; i < vn; i++) {
			p = put32(p, v->durations[i]);
			p = put32(p, v->sizes[i]);
			p = put32(p, v->keys[i] ? SYNC_FLAGS : NON_SYNC_FLAGS);
		}
	}
	if (an) {
		p = trafHead(p, audioTraf, AUDIO_TRACK_ID, a->base);
		p = fullBox(p, audioTrun, "trun", 0x000301);   /* data offset, duration, size */
		p = put32(put32(p, an), f->header_size + videoBytes);
		for (i = 0; i < an; i++) {
			p = put32(p, a->durations[i]);
			p = put32(p, a->sizes[i]);
		}
	}
	p = box(p, 8 + videoBytes + audioBytes, "mdat");
	/* the NAL lengths after the header, each followed (in the pieces) by its NAL */
	prefix = p;
	f->count = 0;
	for (j = 0; j < nals; j++) {
		ivxs_fmp4_piece *piece = &f->pieces[f->count++];
		piece->ref = m->spans[j].ref;
		piece->offset = m->spans[j].offset;
		piece->size = m->spans[j].size;
		piece->prefix = (uint32_t)(prefix - f->header);
		prefix = put32(prefix, m->spans[j].size);
	}
	f->used = (uint32_t)(prefix - f->header);
	for (i = 0; i < an; i++) {
		ivxs_fmp4_piece *piece = &f->pieces[f->count++];
		piece->ref = m->audio_spans[i].ref;
		piece->offset = m->audio_spans[i].offset;
		piece->size = m->audio_spans[i].size;
		piece->prefix = NO_PREFIX;
	}
	f->sequence = m->sequence;
	f->video_samples = vn;
	f->audio_samples = an;
	f->key = vn ? v->keys[0] : 1;
	f->start_ms = vn ? (double)v->base / 90 : (double)a->base * 1000 / (m->audio_rate ? m->audio_rate : 1000);
}

/* The held sample of `t` joins its run with `duration`. */
static void pushHeld(ivxs_fmp4_track *t, uint32_t duration)
{
	uint32_t i = t->count++;
	t->last_duration = duration;
	t->durations[i] = duration;
	if (i == 0) {
		t->base = t->held_dts;
		t->duration = 0;
	}
	t->duration += duration;
	t->holding = 0;
}

/* Cuts the fragment: the runs become `out`; the held samples start the next runs. */
static void flushRuns(ivxs_fmp4 *m)
{
	ivxs_fmp4_track *v = &m->video, *a = &m->audio;
	uint32_t vnals = 0, i;
	if (v->count == 0 && a->count == 0)
		return;
	m->sequence = m->sequence >= 0xffffffffu ? 1 : m->sequence + 1;
	writeFragment(m);
	m->out.new_init = !m->init_written || m->init_audio_config != m->audio_config;
	m->init_written = 1;
	m->init_audio_config = m->audio_config;
	m->ready = 1;
	/* the held samples move to the front */
	for (i = 0; i < v->count; i++)
		vnals += v->nals[i];
	m->run_bytes = 0;
	if (v->holding) {
		uint32_t n = v->nals[v->count];
		memmove(m->spans, m->spans + vnals, n * sizeof(m->spans[0]));
		m->span_count = n;
		v->nals[0] = (uint16_t)n;
		v->sizes[0] = v->sizes[v->count];
		v->keys[0] = v->keys[v->count];
		m->run_bytes += v->sizes[0];
	}
	else
		m->span_count = 0;
	if (a->holding) {
		a->sizes[0] = a->sizes[a->count];
		m->audio_spans[0] = m->audio_spans[a->count];
		m->run_bytes += a->sizes[0];
	}
	v->count = 0;
	a->count = 0;
}

/* ---- timestamps ---------------------------------------------------------- */

/* The track rules: 0 (in order), 1 (after a jump: a discontinuity), or ETIME. */
static int checkTime(const ivxs_fmp4 *m, const ivxs_fmp4_track *t, int64_t ms)
{
	if (ms > MAX_TIMESTAMP_MS || ms < -MAX_TIMESTAMP_MS || ms < m->o.origin_ms)
		return IVXS_FMP4_ETIME;
	if (!t->started)
		return 0;
	if (ms <= t->last_ms)
		return IVXS_FMP4_ETIME;
	return (uint64_t)(ms - t->last_ms) > m->o.max_jump_ms;
}

/* ---- video --------------------------------------------------------------- */

/* For an AUD at `start` (past its start code): where the NAL after it begins (past its start
 * code, found within 16 bytes), or 0 when the bytes are not a well-formed AUD followed closely by a
 * start code. */
static size_t afterAud(int h264, const uint8_t *au, size_t size, size_t start)
{
	size_t last, i, end;
	uint8_t b = au[start];
	if (h264 ? (b & 0x9f) != 9 : (b & 0xfe) != 0x46)
		return 0;
	last = start + 16 < size - 3 ? start + 16 : size - 3;
	for (i = start + 1; i < last; i++) {
		if (au[i] || au[i + 1] || au[i + 2] != 1)
			continue;
		for (end = i; au[end - 1] == 0; end--)
			;
		return end - start >= (size_t)(h264 ? 2 : 3) ? i + 3 : 0;
	}
	return 0;
}

/* The sample's NAL units into m->scratch: all but parameter sets and AUDs. Returns the count, or
 * an error; *key: it holds a key picture's slice. */
static int videoNals(ivxs_fmp4 *m, uint32_t ref, const uint8_t *au, size_t size, uint32_t info, int *key)
{
	int h264 = m->o.video_codec == IVXS_ANNEXB_H264, slices = 0, status;
	uint32_t n = 0;
	ivxs_annexb_cursor cursor;
	ivxs_annexb_span span;
	const uint32_t lone = (1u << IVXS_AU_INFO_COUNT_SHIFT) | IVXS_AU_INFO_VCL | (h264 ? 0 : IVXS_AU_INFO_H265);
	const uint32_t loneAfterAud = (2u << IVXS_AU_INFO_COUNT_SHIFT) | IVXS_AU_INFO_VCL | IVXS_AU_INFO_AUD | (h264 ? 0 : IVXS_AU_INFO_H265);
	const uint32_t mask = IVXS_AU_INFO_COUNT_MASK | IVXS_AU_INFO_VCL | IVXS_AU_INFO_VPS | IVXS_AU_INFO_SPS
			| IVXS_AU_INFO_PPS | IVXS_AU_INFO_AUD | IVXS_AU_INFO_H265;
	size_t start = 0;
	*key = 0;
	/* Capture's usual inter frame, which its info word names: one VCL NAL right after the first
	 * start code, or after an AUD (encoders that write AUDs); anything unexpected is scanned. */
	if (info && ((info & mask) == lone || (info & mask) == loneAfterAud) && m->video.started && size >= 8 && au[0] == 0 && au[1] == 0
			&& (au[2] == 1 || (au[2] == 0 && au[3] == 1))) {
		start = au[2] == 1 ? 3 : 4;
		if ((info & mask) == loneAfterAud)
			start = afterAud(h264, au, size, start);
	}
	if (start) {
		size_t end = size;
		while (end > start && au[end - 1] == 0)
			end--;
		if (end - start < (size_t)(h264 ? 2 : 3) || (au[start] & 0x80))
			return IVXS_FMP4_EVIDEO;
		m->scratch[0].ref = ref;
		m->scratch[0].offset = (uint32_t)start;
		m->scratch[0].size = (uint32_t)(end - start);
		*key = (info & IVXS_AU_INFO_KEY) != 0;
		return 1;
	}
	if (size > 0xffffffffu)
		return IVXS_FMP4_EVIDEO;
	ivxs_annexb_cursor_init(&cursor);
	while ((status = ivxs_annexb_next_nal(au, size, &cursor, &span)) == 1) {
		uint32_t length = span.end - span.start;
		uint8_t t = ivxs_annexb_nal_type(m->o.video_codec, au + span.start);
		if (h264) {
			if (length < 2 && t != 10 && t != 11)
				return IVXS_FMP4_EVIDEO;
			if (t >= 1 && t <= 5) {
				slices++;
				if (t == 5)
					*key = 1;
			}
			else if (t == 7 || t == 8 || t == 9)   /* SPS, PPS (the init's), AUD */
				continue;
		}
		else {
			if (length < 2 || (length < 3 && t != 36 && t != 37))
				return IVXS_FMP4_EVIDEO;
			if (t < 32) {
				slices++;
				if (t >= 16 && t <= 23 && (au[span.start] & 1) == 0 && (au[span.start + 1] >> 3) == 0)
					*key = 1;
			}
			else if (t >= 32 && t <= 35)   /* VPS, SPS, PPS, AUD */
				continue;
		}
		if (n >= IVXS_FMP4_SAMPLE_NALS)
			return IVXS_FMP4_EFULL;
		m->scratch[n].ref = ref;
		m->scratch[n].offset = span.start;
		m->scratch[n].size = length;
		n++;
	}
	if (status < 0 || slices == 0)
		return IVXS_FMP4_EVIDEO;
	return (int)n;
}

int ivxs_fmp4_video(ivxs_fmp4 *m, uint32_t ref, const uint8_t *au, size_t size, int64_t ms, uint32_t info)
{
	ivxs_fmp4_track *v = &m->video;
	uint32_t i, sampleSize = 0;
	uint64_t dts;
	int nals, key, jump, cut;
	if (!m->o.video_codec)
		return IVXS_FMP4_ETRACK;
	if (m->ready)
		return IVXS_FMP4_EBUSY;
	jump = checkTime(m, v, ms);
	if (jump < 0)
		return jump;
	nals = videoNals(m, ref, au, size, info, &key);
	if (nals < 0)
		return nals;
	if (!v->started && !key)
		return IVXS_FMP4_ENOKEY;
	for (i = 0; i < (uint32_t)nals; i++)
		sampleSize += 4 + m->scratch[i].size;
	dts = (uint64_t)(ms - m->o.origin_ms) * 90;
	jump = jump || (v->holding && dts - v->held_dts > 0xffffffffu);
	/* --- validated: commit --- */
	if (v->holding)
		pushHeld(v, jump ? (v->last_duration ? v->last_duration : m->default_video_duration) : (uint32_t)(dts - v->held_dts));
	cut = jump || m->run_bytes + sampleSize > MAX_FRAGMENT_BYTES
			|| v->count >= IVXS_FMP4_VIDEO_SAMPLES || m->span_count + (uint32_t)nals > IVXS_FMP4_NALS;
	if (!cut && v->count > 0)
		cut = m->o.mode == IVXS_FMP4_GOP ? key
			: m->o.mode == IVXS_FMP4_PARTS ? key || v->duration + v->last_duration > (uint64_t)m->o.fragment_ms * 90
			: v->duration >= (uint64_t)m->o.fragment_ms * 90;
	if (cut)
		flushRuns(m);
	memcpy(m->spans + m->span_count, m->scratch, (size_t)nals * sizeof(m->scratch[0]));
	m->span_count += (uint32_t)nals;
	v->nals[v->count] = (uint16_t)nals;
	v->sizes[v->count] = sampleSize;
	v->keys[v->count] = (uint8_t)key;
	v->holding = 1;
	v->held_dts = dts;
	v->started = 1;
	v->last_ms = ms;
	m->run_bytes += sampleSize;
	return m->ready ? IVXS_FMP4_READY : 0;
}

/* ---- audio --------------------------------------------------------------- */

/* The AAC configuration an ADTS header names: object type, rate index, channels (never 0). */
static uint32_t audioConfigOf(const uint8_t *h)
{
	return ((uint32_t)((h[2] >> 6) + 1) << 16) | ((uint32_t)((h[2] >> 2) & 0x0f) << 8) | (((uint32_t)(h[2] & 1) << 2) | (h[3] >> 6));
}

int ivxs_fmp4_audio_is_new(const ivxs_fmp4 *m, const uint8_t *adts, size_t size)
{
	return size >= 7 && audioConfigOf(adts) != m->audio_config;
}

int ivxs_fmp4_audio(ivxs_fmp4 *m, uint32_t ref, const uint8_t *h, size_t size, int64_t ms)
{
	ivxs_fmp4_track *a = &m->audio;
	uint32_t headerSize, frameLength, rateIndex, channels, config, rate, payload;
	uint64_t dts;
	int jump, changed, cut, flags = 0;
	if (!m->o.audio)
		return IVXS_FMP4_ETRACK;
	if (m->ready)
		return IVXS_FMP4_EBUSY;
	/* ADTS (aac.ts's rules): sync word, layer 0, a sampling rate, one raw data block, a channel
	 * configuration (not a PCE), frame_length the frame's size and past the header. */
	if (size < 7 || h[0] != 0xff || (h[1] & 0xf0) != 0xf0 || (h[1] & 0x06) != 0)
		return IVXS_FMP4_EADTS;
	rateIndex = (h[2] >> 2) & 0x0f;
	channels = ((uint32_t)(h[2] & 1) << 2) | (h[3] >> 6);
	frameLength = ((uint32_t)(h[3] & 3) << 11) | ((uint32_t)h[4] << 3) | (h[5] >> 5);
	headerSize = (h[1] & 1) ? 7 : 9;
	if (rateIndex >= 13 || channels == 0 || (h[6] & 3) != 0 || size < headerSize || frameLength != size || frameLength <= headerSize)
		return IVXS_FMP4_EADTS;
	/* the video's first frame starts the stream; before time 0, audio is left out until some is taken */
	if (m->o.video_codec && !m->video.started)
		return IVXS_FMP4_DROPPED;
	if (!a->started && ms < m->o.origin_ms)
		return IVXS_FMP4_DROPPED;
	jump = checkTime(m, a, ms);
	if (jump < 0)
		return jump;
	config = audioConfigOf(h);
	changed = config != m->audio_config;
	rate = kAacRates[rateIndex];
	dts = ((uint64_t)(ms - m->o.origin_ms) * rate + 500) / 1000;
	if (a->holding && !changed && dts <= a->held_dts)
		return IVXS_FMP4_ETIME;
	jump = jump || (a->holding && dts > a->held_dts && dts - a->held_dts > 0xffffffffu);
	payload = frameLength - headerSize;
	/* --- validated: commit --- */
	if (a->holding)
		pushHeld(a, !jump && !changed ? (uint32_t)(dts - a->held_dts) : (a->last_duration ? a->last_duration : 1024));
	cut = jump || (changed && (m->init_written || a->count > 0)) || m->run_bytes + payload > MAX_FRAGMENT_BYTES
			|| a->count >= IVXS_FMP4_AUDIO_SAMPLES;
	if (!cut && !m->o.video_codec && a->count > 0)
		cut = m->o.mode == IVXS_FMP4_PARTS ? (a->duration + a->last_duration) * 1000 > (uint64_t)m->o.fragment_ms * rate
			: a->duration * 1000 >= (uint64_t)m->o.fragment_ms * rate;
	if (cut)
		flushRuns(m);
	if (changed)
		flags |= IVXS_FMP4_NEW_AUDIO;
	m->audio_config = config;
	m->audio_rate = rate;
	a->sizes[a->count] = payload;
	m->audio_spans[a->count].ref = ref;
	m->audio_spans[a->count].offset = headerSize;
	m->audio_spans[a->count].size = payload;
	a->holding = 1;
	a->held_dts = dts;
	a->started = 1;
	a->last_ms = ms;
	m->run_bytes += payload;
	return flags | (m->ready ? IVXS_FMP4_READY : 0);
}

int ivxs_fmp4_flush(ivxs_fmp4 *m)
{
	if (m->ready)
		return IVXS_FMP4_EBUSY;
	if (m->video.holding)
		pushHeld(&m->video, m->video.last_duration ? m->video.last_duration : m->default_video_duration);
	if (m->audio.holding)
		pushHeld(&m->audio, m->audio.last_duration ? m->audio.last_duration : 1024);
	flushRuns(m);
	return m->ready ? IVXS_FMP4_READY : 0;
}
