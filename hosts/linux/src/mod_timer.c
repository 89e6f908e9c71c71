/*
 * Moddable's `timer` module on the host loop: Timer.set / repeat / schedule /
 * clear / delay. A timer is a host object; while armed it is remembered (kept
 * alive) together with its callback.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "host.h"

#include <stdlib.h>
#include <time.h>

typedef struct {
	ivxs_timer timer;
	xsSlot self;
	xsSlot callback;
	int remembered;
} TimerRecord;

static ivxs_mem_counter gTimerMemory = { "timer", 0, 0, NULL };
void xs_timer_destructor(void *data);
static const xsHostHooks gTimerHooks = { xs_timer_destructor, NULL, NULL };

static void keep(xsMachine *the, TimerRecord *record, int on)
{
	if (on && !record->remembered) {
		xsRemember(record->self);
		xsRemember(record->callback);
		record->remembered = 1;
	}
	else if (!on && record->remembered) {
		xsForget(record->self);
		xsForget(record->callback);
		record->remembered = 0;
	}
}

static void fire(void *ctx)
{
	TimerRecord *record = ctx;
	xsMachine *the = ivxs_the();
	xsBeginHost(the);
	{
		xsSlot self = record->self, callback = record->callback;
		if (!record->timer.armed)
			keep(the, record, 0);   /* one-shot: done unless the callback reschedules */
		xsTry {
			xsCallFunction1(callback, xsGlobal, self);
		}
		xsCatch {
			ivxs_uncaught(the);
		}
	}
	xsEndHost(the);
}

void xs_timer_destructor(void *data)
{
	TimerRecord *record = data;
	if (!record)
		return;
	ivxs_timer_disarm(&record->timer);
	ivxs_mem_add(&gTimerMemory, -(int64_t)sizeof(TimerRecord));
	free(record);
}

static uint32_t toDelay(xsMachine *the, xsSlot *slot)
{
	double ms;
	if (xsmcTypeOf(*slot) == xsUndefinedType)
		return 0;
	ms = xsmcToNumber(*slot);
	if (!(ms >= 0))
		ivxs_range_error(IVXS_EARG, "invalid delay");
	return ms > 0x7fffffff ? 0x7fffffff : (uint32_t)ms;
}

static void create(xsMachine *the, uint32_t delay, uint32_t interval)
{
	TimerRecord *record;
	if (!xsmcIsInstanceOf(xsArg(0), xsFunctionPrototype))
		ivxs_type_error(IVXS_EARG, "callback must be a function");
	record = calloc(1, sizeof(TimerRecord));
	if (!record)
		ivxs_error(IVXS_ENOMEM, "no memory");
	ivxs_mem_register(&gTimerMemory);
	ivxs_mem_add(&gTimerMemory, sizeof(TimerRecord));
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostData(xsResult, record);
	xsSetHostHooks(xsResult, &gTimerHooks);
	record->self = xsResult;
	record->callback = xsArg(0);
	record->timer.callback = fire;
	record->timer.ctx = record;
	keep(the, record, 1);
	ivxs_timer_arm(&record->timer, delay, interval);
}

void xs_timer_set(xsMachine *the)
{
	int argc = xsmcArgc;
	uint32_t delay = argc > 1 ? toDelay(the, &xsArg(1)) : 0;
	uint32_t repeat = argc > 2 ? toDelay(the, &xsArg(2)) : 0;
	create(the, delay, repeat);
}

void xs_timer_repeat(xsMachine *the)
{
	uint32_t interval = xsmcArgc > 1 ? toDelay(the, &xsArg(1)) : 0;
	create(the, interval, interval ? interval : 1);
}

static TimerRecord *getRecord(xsMachine *the)
{
	return ivxs_handle_get(the, &xsArg(0), &gTimerHooks, NULL, "timer");
}

void xs_timer_schedule(xsMachine *the)
{
	TimerRecord *record = getRecord(the);
	int argc = xsmcArgc;
	if (!record)
		ivxs_error(IVXS_ECLOSED, "timer cleared");
	if (argc < 2) {
		ivxs_timer_disarm(&record->timer);   /* unschedule: kept, inactive */
		return;
	}
	ivxs_timer_arm(&record->timer, toDelay(the, &xsArg(1)), argc > 2 ? toDelay(the, &xsArg(2)) : 0);
	keep(the, record, 1);
}

void xs_timer_clear(xsMachine *the)
{
	TimerRecord *record;
	if (xsmcTypeOf(xsArg(0)) == xsUndefinedType || xsmcTypeOf(xsArg(0)) == xsNullType)
		return;   /* clearing nothing is harmless */
	record = getRecord(the);
	if (!record)
		return;
	ivxs_timer_disarm(&record->timer);
	keep(the, record, 0);
	xsmcSetHostData(xsArg(0), NULL);
	ivxs_mem_add(&gTimerMemory, -(int64_t)sizeof(TimerRecord));
	free(record);
}

void xs_timer_delay(xsMachine *the)
{
	uint32_t ms = toDelay(the, &xsArg(0));
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}
