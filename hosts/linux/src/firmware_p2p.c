/*
 * The P2P half of a C firmware's link (firmware_p2p.h): the callbacks iv_avt_p2p_init registered,
 * a gate that counts the app's calls into them and the firmware's open channels, so that
 * iv_avt_p2p_exit returns only once nothing of the firmware's can be called any more.
 */
#include "firmware_p2p.h"
#include "firmware_link.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

static struct {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int registered, closing;
	iv_avt_init_parm_s callbacks;
	unsigned calls;       /* callbacks running now (the app's thread) */
	int channels;         /* the firmware's channels the app has open */
	struct { void *handle; long long id; int talk; size_t buffered; iv_p2p_send_stats_s stats; } table[IVXS_FIRMWARE_P2P_CHANNELS];
	long long opened;     /* channels opened in all: ids never repeat */
	size_t marks[3];
	int marksChanged;
} gP2p = { .lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER };

/* A callback's thread: iv_avt_p2p_exit from inside one would wait for itself. */
static _Thread_local unsigned tInside;

int ivxs_firmware_p2p_register(const iv_avt_init_parm_s *callbacks)
{
	int status = -1;
	pthread_mutex_lock(&gP2p.lock);
	if (!gP2p.registered && !gP2p.closing) {
		gP2p.callbacks = *callbacks;
		gP2p.registered = 1;
		status = 0;
	}
	pthread_mutex_unlock(&gP2p.lock);
	return status;
}

int ivxs_firmware_p2p_unregister(unsigned timeout_ms)
{
	struct timespec until = ivxs_firmware_deadline(timeout_ms);
	if (tInside)
		return -2;
	pthread_mutex_lock(&gP2p.lock);
	if (!gP2p.registered || gP2p.closing) {
		pthread_mutex_unlock(&gP2p.lock);
		return -1;
	}
	/* new calls are still let in (the app's send_stop_cb for the channels it closes now) */
	gP2p.closing = 1;
	while (gP2p.channels > 0 || gP2p.calls)
		if (pthread_cond_timedwait(&gP2p.changed, &gP2p.lock, &until) == ETIMEDOUT)
			break;
	gP2p.registered = 0;   /* from here no new call starts */
	while (gP2p.calls)     /* one that started before: it is short (the seed's rule) */
		pthread_cond_wait(&gP2p.changed, &gP2p.lock);
	gP2p.closing = 0;
	gP2p.channels = 0;
	memset(gP2p.table, 0, sizeof(gP2p.table));
	memset(gP2p.marks, 0, sizeof(gP2p.marks));
	gP2p.marksChanged = 1;
	memset(&gP2p.callbacks, 0, sizeof(gP2p.callbacks));
	pthread_mutex_unlock(&gP2p.lock);
	return 0;
}

int ivxs_firmware_p2p_enter(iv_avt_init_parm_s *callbacks)
{
	int in;
	pthread_mutex_lock(&gP2p.lock);
	in = gP2p.registered;
	if (in) {
		*callbacks = gP2p.callbacks;
		gP2p.calls++;
		tInside++;
	}
	pthread_mutex_unlock(&gP2p.lock);
	return in;
}

void ivxs_firmware_p2p_leave(void)
{
	pthread_mutex_lock(&gP2p.lock);
	gP2p.calls--;
	tInside--;
	pthread_cond_broadcast(&gP2p.changed);
	pthread_mutex_unlock(&gP2p.lock);
}

/* The table's slot of handle (NULL: a free one), or -1 (lock held). */
static int slotOf(void *handle)
{
	int i;
	for (i = 0; i < IVXS_FIRMWARE_P2P_CHANNELS; i++)
		if (gP2p.table[i].handle == handle)
			return i;
	return -1;
}

/* The open slot an id names, or -1 (lock held): an id of a closed channel never names a new one. */
static int slotOfId(long long id)
{
	int i = id < 0 ? -1 : (int)(id % IVXS_FIRMWARE_P2P_CHANNELS);
	return i >= 0 && gP2p.table[i].handle && gP2p.table[i].id == id ? i : -1;
}

long long ivxs_firmware_p2p_channel_open(void *handle, int talk)
{
	long long id = -1;
	int i;
	pthread_mutex_lock(&gP2p.lock);
	i = handle ? slotOf(NULL) : -1;
	if (i >= 0) {
		memset(&gP2p.table[i], 0, sizeof(gP2p.table[i]));
		gP2p.table[i].handle = handle;
		gP2p.table[i].talk = talk;
		id = gP2p.table[i].id = ++gP2p.opened * IVXS_FIRMWARE_P2P_CHANNELS + i;
		gP2p.channels++;
	}
	pthread_mutex_unlock(&gP2p.lock);
	return id;
}

int ivxs_firmware_p2p_channel_handle(long long id, void **handle)
{
	int i;
	pthread_mutex_lock(&gP2p.lock);
	i = slotOfId(id);
	if (i >= 0)
		*handle = gP2p.table[i].handle;
	pthread_mutex_unlock(&gP2p.lock);
	return i < 0 ? -1 : 0;
}

long long ivxs_firmware_p2p_channel_next(void **handle, int *talk)
{
	long long id = -1;
	int i;
	pthread_mutex_lock(&gP2p.lock);
	for (i = 0; i < IVXS_FIRMWARE_P2P_CHANNELS && id < 0; i++)
		if (gP2p.table[i].handle) {
			id = gP2p.table[i].id;
			*handle = gP2p.table[i].handle;
			*talk = gP2p.table[i].talk;
		}
	pthread_mutex_unlock(&gP2p.lock);
	return id;
}

void ivxs_firmware_p2p_channel_close(long long id)
{
	int i;
	pthread_mutex_lock(&gP2p.lock);
	i = slotOfId(id);
	if (i >= 0) {
		gP2p.table[i].handle = NULL;
		gP2p.channels--;
		pthread_cond_broadcast(&gP2p.changed);
	}
	pthread_mutex_unlock(&gP2p.lock);
}

void ivxs_firmware_p2p_channel_update(long long id, size_t buffered, const iv_p2p_send_stats_s *stats)
{
	int i;
	pthread_mutex_lock(&gP2p.lock);
	i = slotOfId(id);
	if (i >= 0) {
		gP2p.table[i].buffered = buffered;
		gP2p.table[i].stats = *stats;
	}
	pthread_mutex_unlock(&gP2p.lock);
}

int ivxs_firmware_p2p_channel_get(void *handle, size_t *buffered, iv_p2p_send_stats_s *stats)
{
	int i;
	pthread_mutex_lock(&gP2p.lock);
	i = handle ? slotOf(handle) : -1;
	if (i >= 0 && !gP2p.table[i].talk) {
		*buffered = gP2p.table[i].buffered;
		*stats = gP2p.table[i].stats;
	}
	pthread_mutex_unlock(&gP2p.lock);
	return i < 0 || gP2p.table[i].talk ? -1 : 0;
}

int ivxs_firmware_p2p_closing(void)
{
	int closing;
	pthread_mutex_lock(&gP2p.lock);
	closing = gP2p.closing;
	pthread_mutex_unlock(&gP2p.lock);
	return closing;
}

int ivxs_firmware_p2p_set_watermarks(size_t low, size_t warn, size_t high)
{
	int registered;
	pthread_mutex_lock(&gP2p.lock);
	registered = gP2p.registered;
	if (registered) {
		gP2p.marks[0] = low, gP2p.marks[1] = warn, gP2p.marks[2] = high;
		gP2p.marksChanged = 1;
	}
	pthread_mutex_unlock(&gP2p.lock);
	return registered ? 0 : -1;
}

int ivxs_firmware_p2p_watermarks(size_t marks[3])
{
	int changed;
	pthread_mutex_lock(&gP2p.lock);
	memcpy(marks, gP2p.marks, sizeof(gP2p.marks));
	changed = gP2p.marksChanged;
	gP2p.marksChanged = 0;
	pthread_mutex_unlock(&gP2p.lock);
	return changed;
}
