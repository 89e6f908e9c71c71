/*
 * XS platform header for the ivxs headless Linux host (passed to the engine
 * as -DXSPLATFORM="ivxs_xs_platform.h"). The engine's own lin_xs.h pulls in
 * GLib; this one needs only libc and pthreads. The host supplies the eight
 * platform hooks (machine.c, memory.c, loader.c); everything else uses the
 * engine defaults.
 */
#ifndef IVXS_XS_PLATFORM_H
#define IVXS_XS_PLATFORM_H

#undef mxLinux
#define mxLinux 1

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#define mxUseGCCAtomics 1
#define mxUsePOSIXThreads 1

#define mxUseDefaultBuildKeys 1
#define mxUseDefaultSlotAllocation 0
#define mxUseDefaultParseScript 1
#define mxUseDefaultSharedChunks 1
#define mxUseDefaultDebug 1

/* Per-machine state the host keeps: a pointer to its own record. */
#define mxMachinePlatform \
	void* host; \
	void* waiterCondition; \
	void* waiterData; \
	void* waiterLink;

#endif
