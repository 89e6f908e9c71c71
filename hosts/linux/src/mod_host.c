/*
 * Host services for the app: the global trace(), memory accounting
 * (XS heap + bytes each native module holds), log levels, exit, argv,
 * the machine's own IPv4 addresses (P2P host candidates).
 * JS side: hosts/linux/modules/host.js (module "ivxs/host").
 */
#include "xsmc.h"
#include "xsHost.h"
#include "host.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <malloc.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* trace(...values): writes each value's string form to stdout, no newline
 * added (Moddable's convention). */
void xs_trace(xsMachine *the)
{
	int i, argc = xsmcArgc;
	for (i = 0; i < argc; i++)
		fputs(xsmcToString(xsArg(i)), stdout);
	fflush(stdout);
}

void ivxs_host_install_globals(void)
{
	xsMachine *the = ivxs_the();
	xsBeginHost(the);
	xsResult = xsNewHostFunction(xs_trace, 1);
	xsmcSet(xsGlobal, xsID("trace"), xsResult);
	xsEndHost(the);
}

/* memory() -> { chunks, chunksPeak, slots, slotsPeak, reserved, reservedPeak, preloaded, collections, allocated, allocatedChunks,
 * malloc, native: { name: {bytes, peak} } }. malloc: the bytes the process's C heap holds (glibc's count: what
 * every malloc holds, the XS heap's own blocks and mbedTLS's buffers included), which the native counters
 * cannot see whole — a library's allocations go through no counter of ours. */
void xs_host_memory(xsMachine *the)
{
	ivxs_xs_memory m;
	ivxs_mem_counter *c;
	xsmcVars(3);
	ivxs_machine_memory(&m);
	xsVar(0) = xsResult = xsmcNewObject();
	ivxs_set_number(xsResult, "chunks", (double)m.chunks_used, xsVar(1));
	ivxs_set_number(xsResult, "chunksPeak", (double)m.chunks_peak, xsVar(1));
	ivxs_set_number(xsResult, "slots", (double)m.slots_used, xsVar(1));
	ivxs_set_number(xsResult, "slotsPeak", (double)m.slots_peak, xsVar(1));
	ivxs_set_number(xsResult, "reserved", (double)m.reserved, xsVar(1));
	ivxs_set_number(xsResult, "reservedPeak", (double)m.reserved_peak, xsVar(1));
	ivxs_set_number(xsResult, "preloaded", (double)m.preloaded, xsVar(1));
	ivxs_set_number(xsResult, "collections", (double)m.collections, xsVar(1));
	ivxs_set_number(xsResult, "allocated", (double)m.allocated, xsVar(1));
	ivxs_set_number(xsResult, "allocatedChunks", (double)m.allocated_chunks, xsVar(1));
	{
		struct mallinfo2 heap = mallinfo2();
		ivxs_set_number(xsResult, "malloc", (double)(heap.uordblks + heap.hblkhd), xsVar(1));
	}
	xsVar(2) = xsmcNewObject();
	for (c = ivxs_mem_first(); c; c = c->next) {
		xsResult = xsmcNewObject();
		ivxs_set_number(xsResult, "bytes", (double)c->bytes, xsVar(1));
		ivxs_set_number(xsResult, "peak", (double)c->peak, xsVar(1));
		xsmcSet(xsVar(2), xsID(c->name), xsResult);
	}
	xsResult = xsVar(0);
	xsmcSet(xsResult, xsID("native"), xsVar(2));
}

void xs_host_report(xsMachine *the)
{
	char why[64];
	if (xsmcArgc > 0)
		xsmcToStringBuffer(xsArg(0), why, sizeof(why));
	else
		strcpy(why, "report");
	ivxs_memory_report(why, 1);
}

void xs_host_exit(xsMachine *the)
{
	int code = xsmcArgc > 0 ? ivxs_to_int(the, &xsArg(0), 0, 255, "exit code") : 0;
	fflush(stdout);
	ivxs_loop_stop(code);
}

void xs_host_argv(xsMachine *the)
{
	int i;
	xsmcVars(1);
	xsResult = xsNewArray(0);
	for (i = 0; i < ivxs_config.app_argc; i++) {
		xsmcSetString(xsVar(0), ivxs_config.app_argv[i]);
		xsCall1(xsResult, xsID("push"), xsVar(0));
	}
}

void xs_host_log(xsMachine *the)
{
	int level = ivxs_to_int(the, &xsArg(0), IVXS_LOG_ERROR, IVXS_LOG_DEBUG, "log level");
	ivxs_log(level, "%s", xsmcToString(xsArg(1)));
}

void xs_host_log_level(xsMachine *the)
{
	xsmcSetInteger(xsResult, ivxs_config.log_level);
}

void xs_host_now_us(xsMachine *the)
{
	xsmcSetNumber(xsResult, (double)ivxs_now_us());
}

void xs_host_gc(xsMachine *the)
{
	ivxs_collect_garbage();
	ivxs_heap_census();
}

/* abi() -> the host ABI (16 hex digits): what OTA bundles must name (modules/ota/FORMAT.md) */
void xs_host_abi(xsMachine *the)
{
	char text[17];
	snprintf(text, sizeof(text), "%016llx", (unsigned long long)ivxs_host_abi());
	xsmcSetString(xsResult, text);
}

/* addresses(): the IPv4 addresses of the interfaces that are up, loopback
 * last (a viewer on the same machine can use it; any other prefers the rest). */
void xs_host_addresses(xsMachine *the)
{
	struct ifaddrs *list, *at;
	char text[INET_ADDRSTRLEN];
	int pass;
	xsmcVars(1);
	xsResult = xsNewArray(0);
	if (getifaddrs(&list) < 0)
		return;
	for (pass = 0; pass < 2; pass++)
		for (at = list; at; at = at->ifa_next) {
			if (!at->ifa_addr || at->ifa_addr->sa_family != AF_INET || !(at->ifa_flags & IFF_UP))
				continue;
			if (!!(at->ifa_flags & IFF_LOOPBACK) != (pass == 1))
				continue;
			inet_ntop(AF_INET, &((struct sockaddr_in *)at->ifa_addr)->sin_addr, text, sizeof(text));
			xsmcSetString(xsVar(0), text);
			xsCall1(xsResult, xsID("push"), xsVar(0));
		}
	freeifaddrs(list);
}
