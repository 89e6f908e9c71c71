/*
 * What the S3 pays, counted on the S3 and printed on its console once a second: the instructions
 * its two cores execute, and its internal RAM and PSRAM free.
 *
 * Instructions: the Xtensa debug option's ICOUNT register (the LX7 of the ESP32-S3 has it, and
 * Espressif's QEMU emulates it) adds one per instruction while the core's interrupt level is below
 * ICOUNTLEVEL. A task pinned to each core arms its core's counter, then once a second takes its
 * count (and sets it back to 0, far from the 2^32 at which the core would raise a debug exception)
 * into a 64-bit total. Counted: tasks and the level-1 and level-2 interrupts' handlers, the levels
 * below XCHAL_EXCM_LEVEL (3). Not counted: critical sections (portENTER_CRITICAL masks to level 3),
 * the vectors, the level-3 to level-5 interrupts and the debug level — in the emulator a core
 * waiting for a spinlock the other core holds spins inside a critical section for as long as the
 * host's scheduling of QEMU's threads makes it (the measurements: ../README.md, "How the
 * instructions are counted"). A core's idle task waits in WAITI, executing nothing until the next
 * interrupt, so what it adds is the tick's. The AES and SHA engines' work is not instructions,
 * here or on a board.
 *
 * Core 0's task prints, once a second (the totals since start, and ESP-IDF's heap figures in bytes):
 *   instructions: <ms since boot>,<core 0 total>,<core 1 total>
 *   memory: <internal free>,<internal lowest since boot>,<PSRAM free>,<PSRAM lowest>,<PSRAM size>
 * and every REPORT_S seconds the run time of each FreeRTOS task (its run-time stats, µs):
 *   task times: <name>=<µs>,<name>=<µs>,…
 * The counters' own tasks run for a few hundred instructions a second, and the printing's.
 *
 * Only a release build counts (`npm run board -- build --release`): an instrumented or debug build
 * is not what a product pays — the SDK's xsbug link polls the USB and the UART a thousand times a
 * second — and in the emulator, counting makes every instruction dearer to emulate, which the
 * instrumented image's timing checks (`board test`) do without.
 *
 * Natives of module `ivxs/board-figures`: start() once (setup/board-figures does); true when it
 * counts.
 */
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "esp_heap_caps.h"
#include "esp_timer.h"
#include "xsmc.h"

#include <stdio.h>
#include <string.h>

#if !defined(mxInstrument) && !defined(mxDebug)
#define COUNTING 1

#define COUNT_BELOW_LEVEL 3    /* XCHAL_EXCM_LEVEL: not critical sections (see above) */
#define SAMPLE_MS 1000
#define REPORT_S 5
#define MAX_TASKS 32
#define INTERNAL (MALLOC_CAP_INTERNAL | MALLOC_CAP_8BIT)

static uint64_t gTotal[portNUM_PROCESSORS];
static portMUX_TYPE gLock = portMUX_INITIALIZER_UNLOCKED;
static TaskStatus_t gTasks[MAX_TASKS];
static char gLine[1024];

/** This core's count since the last call, the register set back to 0. */
static uint32_t takeCount(void)
{
	uint32_t count = 0;
	__asm__ volatile ("xsr.icount %0\n\tisync" : "+a"(count));
	return count;
}

/** `value` in decimal at `at` (newlib's printf may lack 64-bit conversions), after a comma unless first. */
static size_t decimal(size_t at, uint64_t value, int first)
{
	char digits[21];
	int n = 0;
	do {
		digits[n++] = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	if (at + n + 2 >= sizeof(gLine))
		return at;
	if (!first)
		gLine[at++] = ',';
	while (n)
		gLine[at++] = digits[--n];
	gLine[at] = 0;
	return at;
}

static void printFigures(void)
{
	uint64_t totals[portNUM_PROCESSORS];
	portENTER_CRITICAL(&gLock);
	memcpy(totals, gTotal, sizeof(totals));
	portEXIT_CRITICAL(&gLock);
	size_t at = (size_t)snprintf(gLine, sizeof(gLine), "instructions: ");
	at = decimal(at, (uint64_t)(esp_timer_get_time() / 1000), 1);
	for (int core = 0; core < portNUM_PROCESSORS; core++)
		at = decimal(at, totals[core], 0);
	printf("%s\n", gLine);
	at = (size_t)snprintf(gLine, sizeof(gLine), "memory: ");
	at = decimal(at, heap_caps_get_free_size(INTERNAL), 1);
	at = decimal(at, heap_caps_get_minimum_free_size(INTERNAL), 0);
	at = decimal(at, heap_caps_get_free_size(MALLOC_CAP_SPIRAM), 0);
	at = decimal(at, heap_caps_get_minimum_free_size(MALLOC_CAP_SPIRAM), 0);
	decimal(at, heap_caps_get_total_size(MALLOC_CAP_SPIRAM), 0);
	printf("%s\n", gLine);
}

static void printTaskTimes(void)
{
#if configGENERATE_RUN_TIME_STATS
	UBaseType_t count = uxTaskGetSystemState(gTasks, MAX_TASKS, NULL);
	size_t at = (size_t)snprintf(gLine, sizeof(gLine), "task times: ");
	for (UBaseType_t i = 0; i < count && at + 48 < sizeof(gLine); i++) {
		at += (size_t)snprintf(gLine + at, sizeof(gLine) - at, "%s%.16s=", i ? "," : "", gTasks[i].pcTaskName);
		at = decimal(at, (uint64_t)gTasks[i].ulRunTimeCounter, 1);
	}
	printf("%s\n", gLine);
#endif
}

static void counter(void *unused)
{
	int core = xPortGetCoreID();
	uint32_t level = COUNT_BELOW_LEVEL;
	takeCount();
	__asm__ volatile ("wsr.icountlevel %0\n\tisync" : : "a"(level));
	TickType_t last = xTaskGetTickCount();
	for (uint32_t second = 1;; second++) {
		xTaskDelayUntil(&last, pdMS_TO_TICKS(SAMPLE_MS));
		uint32_t count = takeCount();
		portENTER_CRITICAL(&gLock);
		gTotal[core] += count;
		portEXIT_CRITICAL(&gLock);
		if (core != 0)
			continue;
		printFigures();
		if (second % REPORT_S == 0)
			printTaskTimes();
	}
}

#endif

void xs_board_figures_start(xsMachine *the)
{
#ifndef COUNTING
	xsResult = xsFalse;
#else
	static int started;
	xsResult = xsTrue;
	if (started)
		return;
	for (int core = 0; core < portNUM_PROCESSORS; core++) {
		char name[8] = "icount";
		name[6] = (char)('0' + core);
		if (xTaskCreatePinnedToCore(counter, name, core ? 2048 : 3072, NULL, configMAX_PRIORITIES - 2, NULL, core) != pdPASS)
			xsUnknownError("board figures: no memory for core %d's counter", core);
	}
	started = 1;
#endif
}
