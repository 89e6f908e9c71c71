/*
 * OTA slots of the app layer on the ESP32-S3 (modules/ota/README.md): two mod partitions (0x40/1
 * "xs" = slot a, 0x40/2 "xs_b" = slot b, partitions.csv) and the slot record in NVS (namespace
 * "ivxs_ota", key "record": the text of hosts/ota-core, whose state machine decides).
 *
 * Moddable maps the mods partition with esp_partition_find_first(0x40, 1, NULL) (xsHost.c,
 * modMachineTaskInit) before any JS runs. Linked with -Wl,--wrap=esp_partition_find_first, that
 * question reaches __wrap_esp_partition_find_first below, which decides the boot once (pending →
 * trial with a watchdog timer, a trial left set → roll back, with the reset reason as the
 * failure's) and answers with the chosen slot's partition. Every other question goes through.
 *
 * NOT BUILT OR RUN HERE: no ESP-IDF on these machines (hosts/esp32s3/README.md says what a board
 * must prove). The record's core is tested (tests/ota/core.test.mjs); this file is the board glue.
 */
#include "ivxs_ota_core.h"

#include "esp_partition.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "nvs.h"

#include <string.h>

const esp_partition_t *__real_esp_partition_find_first(esp_partition_type_t type, esp_partition_subtype_t subtype, const char *label);

#define kMods ((esp_partition_type_t)0x40)

static ivxs_ota_record gRecord;
static int gDecided, gTrial;
static esp_timer_handle_t gWatchdog;

static int readRecord(ivxs_ota_record *r)
{
	char text[IVXS_OTA_RECORD_MAX + 1];
	size_t length = sizeof(text);
	nvs_handle_t nvs;
	int status = -1;
	ivxs_ota_init(r);
	if (nvs_open("ivxs_ota", NVS_READONLY, &nvs) != ESP_OK)
		return 0;   /* no record yet: slot a (the mod flashed with the firmware) */
	if (nvs_get_str(nvs, "record", text, &length) == ESP_OK)
		status = ivxs_ota_parse(r, text, length ? length - 1 : 0);
	else
		status = 0;
	nvs_close(nvs);
	return status;
}

/* NVS commits a key whole (its own journal): a power cut keeps the old record or the new. */
static int writeRecord(const ivxs_ota_record *r)
{
	char text[IVXS_OTA_RECORD_MAX + 1];
	nvs_handle_t nvs;
	int status;
	if (ivxs_ota_format(r, text, sizeof(text)) < 0 || nvs_open("ivxs_ota", NVS_READWRITE, &nvs) != ESP_OK)
		return -1;
	status = nvs_set_str(nvs, "record", text) == ESP_OK && nvs_commit(nvs) == ESP_OK ? 0 : -1;
	nvs_close(nvs);
	return status;
}

/* Why the last boot ended, when it was a trial: what the record keeps as the failure's reason. */
static const char *resetReason(void)
{
	switch (esp_reset_reason()) {
	case ESP_RST_PANIC: return "crash (panic) during the trial";
	case ESP_RST_INT_WDT:
	case ESP_RST_TASK_WDT:
	case ESP_RST_WDT: return "hang (watchdog) during the trial";
	case ESP_RST_BROWNOUT: return "brownout during the trial";
	default: return NULL;   /* a power cut, or the trial's own deadline (ivxs_ota_restart) */
	}
}

static void deadlinePassed(void *arg)
{
	(void)arg;
	esp_restart();   /* no confirmation in time: the next boot rolls back */
}

static void decide(void)
{
	ivxs_ota_boot_kind kind;
	gDecided = 1;
	if (readRecord(&gRecord) < 0)
		return;   /* unreadable: slot a */
	kind = ivxs_ota_decide(&gRecord, resetReason());
	if (kind != IVXS_OTA_BOOT_ACTIVE && writeRecord(&gRecord) < 0 && kind == IVXS_OTA_BOOT_TRIAL) {
		readRecord(&gRecord);   /* never boot a trial the next boot would not know of */
		return;
	}
	if (kind == IVXS_OTA_BOOT_TRIAL) {
		const esp_timer_create_args_t args = { .callback = deadlinePassed, .name = "ivxs-ota-trial" };
		gTrial = 1;
		if (esp_timer_create(&args, &gWatchdog) == ESP_OK)
			esp_timer_start_once(gWatchdog, (uint64_t)gRecord.deadline * 1000000);
	}
}

const esp_partition_t *__wrap_esp_partition_find_first(esp_partition_type_t type, esp_partition_subtype_t subtype, const char *label)
{
	const char *slot;
	if (type != kMods || subtype != 1 || label)
		return __real_esp_partition_find_first(type, subtype, label);
	if (!gDecided)
		decide();
	slot = gTrial ? gRecord.trial : gRecord.active;
	return __real_esp_partition_find_first(kMods, slot[0] == 'b' ? 2 : 1, NULL);
}

/* For the platform layer (modules/app/platform/moddable.ts, still to write: see the README):
 * the inactive slot's partition to write a download into, confirm, fail, stage. */
const esp_partition_t *ivxs_ota_inactive_partition(void)
{
	const char *active = gTrial ? gRecord.trial : gRecord.active;
	return __real_esp_partition_find_first(kMods, active[0] == 'b' ? 1 : 2, NULL);
}

int ivxs_ota_board_confirm(void)
{
	ivxs_ota_record next = gRecord;
	if (!gTrial)
		return -1;
	ivxs_ota_confirm(&next);
	if (writeRecord(&next) < 0)
		return -1;
	gRecord = next;
	gTrial = 0;
	esp_timer_stop(gWatchdog);
	return 0;
}

int ivxs_ota_board_stage(const char *slot, const char *version, int deadline)
{
	ivxs_ota_record next = gRecord;
	if (ivxs_ota_stage(&next, slot, version, deadline) < 0 || writeRecord(&next) < 0)
		return -1;
	gRecord = next;
	return 0;
}
