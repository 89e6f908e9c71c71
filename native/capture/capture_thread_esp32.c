/*
 * The board's capture runner (ESP-IDF / FreeRTOS): the default clock — esp_timer's microseconds
 * since boot, gettimeofday for the wall clock — and ivxs_capture_start / stop running the core's
 * steps on a task of its own, as capture_thread_linux.c does on a pthread.
 */
#include "capture_internal.h"

#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"

#include <stdlib.h>
#include <sys/time.h>

/* The task's stack: the stream core's work is splitting and copying (its buffers are on the heap). */
#define CAPTURE_TASK_STACK 4096
#define CAPTURE_TASK_PRIORITY 5

static uint64_t esp32_now_us(void *ctx)
{
	(void)ctx;
	return (uint64_t)esp_timer_get_time();
}

/* Sleeps in ticks to an absolute deadline (a tick is 1 ms with CONFIG_FREERTOS_HZ=1000): at most a
 * tick late, never early. */
static void esp32_sleep_until_us(void *ctx, uint64_t t)
{
	uint64_t now;
	while ((now = esp32_now_us(ctx)) < t) {
		uint64_t ticks = (t - now) / (1000u * portTICK_PERIOD_MS);
		vTaskDelay(ticks ? (TickType_t)ticks : 1);
	}
}

static uint64_t esp32_wall_ms(void *ctx)
{
	struct timeval tv;
	(void)ctx;
	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

static const ivxs_capture_clock esp32_clock = {
	esp32_now_us, esp32_sleep_until_us, esp32_wall_ms, NULL
};

const ivxs_capture_clock *ivxs_capture_default_clock(void)
{
	return &esp32_clock;
}

typedef struct {
	SemaphoreHandle_t ended;   /* given by the task as it ends */
} runner;

static void capture_task(void *arg)
{
	ivxs_capture *c = arg;
	runner *t = c->runner;
	atomic_store(&c->st_rt, 0);
	ivxs_capture_run_steps(c);
	xSemaphoreGive(t->ended);
	vTaskDelete(NULL);
}

static void halt(ivxs_capture *c)
{
	runner *t = c->runner;
	if (t) {
		ivxs_capture_request_stop(c);
		xSemaphoreTake(t->ended, portMAX_DELAY);
		vSemaphoreDelete(t->ended);
		free(t);
		c->runner = NULL;
		atomic_store(&c->running, 0);
	}
}

int ivxs_capture_start(ivxs_capture *c)
{
	runner *t = malloc(sizeof(*t));
	int r;
	if (!t)
		return c ? IVXS_CAPTURE_ENOMEM : IVXS_CAPTURE_EARG;
	t->ended = xSemaphoreCreateBinary();
	r = t->ended ? ivxs_capture_runner_begin(c) : IVXS_CAPTURE_ENOMEM;
	if (r) {
		if (t->ended)
			vSemaphoreDelete(t->ended);
		free(t);
		return r;
	}
	c->runner = t;   /* before the task, which reads it */
	c->halt = halt;
	if (xTaskCreate(capture_task, "capture", c->stack_bytes ? (uint32_t)c->stack_bytes : CAPTURE_TASK_STACK, c, CAPTURE_TASK_PRIORITY, NULL) != pdPASS) {
		c->runner = NULL;
		ivxs_capture_runner_failed(c);
		vSemaphoreDelete(t->ended);
		free(t);
		return IVXS_CAPTURE_ETHREAD;
	}
	return IVXS_CAPTURE_OK;
}

void ivxs_capture_stop(ivxs_capture *c)
{
	if (!c)
		return;
	halt(c);
	ivxs_capture_finish(c);
}
