/* Memory counters of native modules (ivxs_host.h), shared by every host:
 * each module registers one counter and adds what it allocates and frees. */
#include "ivxs_host.h"

#include <stddef.h>

static ivxs_mem_counter *gCounters;

void ivxs_mem_register(ivxs_mem_counter *counter)
{
	ivxs_mem_counter *c;
	for (c = gCounters; c; c = c->next)
		if (c == counter)
			return;
	counter->next = gCounters;
	gCounters = counter;
}

void ivxs_mem_add(ivxs_mem_counter *counter, int64_t delta)
{
	counter->bytes += delta;
	if (counter->bytes > counter->peak)
		counter->peak = counter->bytes;
}

ivxs_mem_counter *ivxs_mem_first(void)
{
	return gCounters;
}
