/*
 * OTA slots of the app layer on the ESP32-S3 (modules/ota/README.md): two mod partitions — data
 * partitions labelled "xs_a" (slot a) and "xs_b" (slot b), partitions.csv — and the slot record
 * in NVS (namespace "ivxs_ota", key "record": the text of hosts/ota-core, whose state machine decides).
 *
 * Moddable maps a mod from the partition of type 0x40 subtype 1 when it creates the machine
 * (xsHost.c modMachineTaskInit, then modInstallMods); the table has none, so it maps nothing then.
 * The board's setup module (setup-ota.js, run before the main module) calls map() below, which
 * decides the boot once (pending → trial with a watchdog timer, a trial left set → roll back,
 * with the reset reason as the failure's), points Moddable's mod partition at the chosen slot and
 * maps its archive then: the main module (app/camera) and whatever else the mod holds are found
 * in it, before the firmware's own. The slots are data partitions found by label so that the
 * SDK's ECMA-419 flash module can open them too (open({ path: "xs_b" })): the platform layer
 * writes a download through it (modules/app/platform/flash-payload.ts).
 *
 * The natives of module ivxs/ota-board (ota-board.js) are at the end. `npm run board -- test`
 * runs an update and a rollback through this file in the emulated S3; the record's core is tested
 * on its own (tests/ota/core.test.mjs).
 */
#include "ivxs_ota_core.h"

#include "esp_log.h"
#include "esp_partition.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "nvs_flash/include/nvs.h"   /* as the SDK's preference module reaches it */
#include "xsmc.h"
#include "xsHost.h"   /* gPartition, gPartitionAddress: the mod partition Moddable maps */

#include "spi_flash_mmap.h"

#include <string.h>

/* Moddable's (xsHost.c, xs/platforms/mc/xsHosts.h; the second is made by the XS linker). */
extern void *modInstallMods(xsMachine *the, void *preparation, uint8_t *status);
extern void *xsPreparationAndCreation(xsCreation **creation);
extern void fxSetArchive(xsMachine *the, void *archive);   /* xsAPI.c */

/* A slot's partition: "xs_a" or "xs_b", data partitions found by label. */
static const esp_partition_t *slotPartition(char slot)
{
	return esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, slot == 'b' ? "xs_b" : "xs_a");
}

static ivxs_ota_record gRecord;
static int gDecided, gLoaded, gTrial, gMapped;
static esp_timer_handle_t gWatchdog;

static int readRecord(ivxs_ota_record *r)
{
	char text[IVXS_OTA_RECORD_MAX + 1];
	size_t length = sizeof(text);
	nvs_handle_t nvs;
	int status = -1;
	ivxs_ota_init(r);
	if (nvs_open("ivxs_ota", NVS_READONLY, &nvs) != ESP_OK)
		return 0;   /* no record yet: the firmware's own app layer */
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
	gDecided = gLoaded = 1;
	if (readRecord(&gRecord) < 0)
		return;   /* unreadable: the firmware's own app layer */
	kind = ivxs_ota_decide(&gRecord, resetReason());
	if (kind != IVXS_OTA_BOOT_ACTIVE && writeRecord(&gRecord) < 0 && kind == IVXS_OTA_BOOT_TRIAL) {
		readRecord(&gRecord);   /* never boot a trial the next boot would not know of */
		return;
	}
	if (kind == IVXS_OTA_BOOT_ROLLED_BACK)
		ESP_LOGW("ota", "trial of %s failed (%s): back to %s", gRecord.failedVersion, gRecord.reason,
			gRecord.active[0] ? gRecord.activeVersion : "the firmware's own app layer");
	if (kind == IVXS_OTA_BOOT_TRIAL) {
		const esp_timer_create_args_t args = { .callback = deadlinePassed, .name = "ivxs-ota-trial" };
		gTrial = 1;
		ESP_LOGI("ota", "trial boot of %s (slot %s), %d s to confirm", gRecord.trialVersion, gRecord.trial, gRecord.deadline);
		if (esp_timer_create(&args, &gWatchdog) == ESP_OK)
			esp_timer_start_once(gWatchdog, (uint64_t)gRecord.deadline * 1000000);
	}
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

/* The trial failed now (a health check): the record rolls back; the app restarts the board. The
 * trial's timer stays armed, so a board that does not restart is restarted at the deadline. */
int ivxs_ota_board_fail(const char *reason)
{
	ivxs_ota_record next = gRecord;
	if (!gTrial)
		return -1;
	ivxs_ota_roll_back(&next, reason);
	if (writeRecord(&next) < 0)
		return -1;
	gRecord = next;
	gTrial = 0;
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

/* ---- module ivxs/ota-board (ota-board.js, ota-board.d.ts) ---- */

/* Once map() ran, the boot's decision; before it (or without it) the record as it is. */
static void load(void)
{
	if (!gLoaded) {
		readRecord(&gRecord);
		gLoaded = 1;
	}
}

static void setText(xsMachine *the, const char *name, const char *value)
{
	xsmcSetString(xsVar(0), (xsStringValue)value);
	xsmcSet(xsResult, xsID((xsStringValue)name), xsVar(0));
}

/* map() -> the slot whose archive XS now maps ("a" or "b"), or "" when it holds none (nothing
 * installed yet, or XS refused it: then the firmware's own app layer runs; setup-ota.js fails a
 * trial of such a slot at once). Once per boot, before the main module is imported. */
void xs_ivxs_ota_map(xsMachine *the)
{
	const esp_partition_t *partition;
	const void *address = NULL;
	esp_partition_mmap_handle_t handle;
	uint8_t status = 0;
	const char *slot;
	if (gMapped)
		xsUnknownError("ota: map() runs once, at boot");
	gMapped = 1;
	if (!gDecided)
		decide();
	slot = gTrial ? gRecord.trial : gRecord.active;
	xsmcSetString(xsResult, "");
	if (!slot[0])
		return;   /* no slot confirmed or on trial: the firmware's own app layer */
	partition = slotPartition(slot[0]);
	if (!partition || esp_partition_mmap(partition, 0, partition->size, ESP_PARTITION_MMAP_DATA, &address, &handle) != ESP_OK)
		return;
	gPartition = partition;
	gPartitionAddress = address;
	if (!modInstallMods(the, xsPreparationAndCreation(NULL), &status) || status) {
		gPartition = NULL;   /* no archive there: nothing for xsbug's installer either */
		gPartitionAddress = NULL;
		esp_partition_munmap(handle);
		return;
	}
	/* XS rewrote the archive's symbol ids in flash as it mapped it (fxMapArchive); the view mapped
	 * before that can still show the old bytes from the cache (the emulator does), so the slot is
	 * mapped afresh and XS pointed at the new view. */
	esp_partition_munmap(handle);
	if (esp_partition_mmap(partition, 0, partition->size, ESP_PARTITION_MMAP_DATA, &address, &handle) != ESP_OK) {
		gPartition = NULL;
		gPartitionAddress = NULL;
		fxSetArchive(the, NULL);
		return;
	}
	gPartitionAddress = address;
	fxSetArchive(the, (void *)address);
	xsmcSetString(xsResult, (xsStringValue)(slot[0] == 'b' ? "b" : "a"));
}

/* status() -> the record as the boot left it, and whether this boot is a trial */
void xs_ivxs_ota_status(xsMachine *the)
{
	load();
	xsmcVars(1);
	xsmcSetNewObject(xsResult);
	setText(the, "active", gRecord.active);
	setText(the, "activeVersion", gRecord.activeVersion);
	setText(the, "pending", gRecord.pending);
	setText(the, "pendingVersion", gRecord.pendingVersion);
	setText(the, "trialSlot", gRecord.trial);
	setText(the, "trialVersion", gRecord.trialVersion);
	setText(the, "result", gRecord.result);
	setText(the, "reason", gRecord.reason);
	setText(the, "failedVersion", gRecord.failedVersion);
	xsmcSetInteger(xsVar(0), gRecord.failures);
	xsmcSet(xsResult, xsID("failures"), xsVar(0));
	xsmcSetInteger(xsVar(0), gRecord.deadline);
	xsmcSet(xsResult, xsID("deadline"), xsVar(0));
	xsmcSetBoolean(xsVar(0), gTrial);
	xsmcSet(xsResult, xsID("trial"), xsVar(0));
}

/* stage(slot, version, deadline) */
void xs_ivxs_ota_stage(xsMachine *the)
{
	char slot[2], version[IVXS_OTA_VERSION_MAX];
	int deadline;
	xsmcToStringBuffer(xsArg(0), slot, sizeof(slot));
	xsmcToStringBuffer(xsArg(1), version, sizeof(version));
	deadline = xsmcToInteger(xsArg(2));
	load();
	if (ivxs_ota_board_stage(slot, version, deadline) < 0)
		xsUnknownError("ota: stage failed");
}

void xs_ivxs_ota_confirm(xsMachine *the)
{
	if (ivxs_ota_board_confirm() < 0)
		xsUnknownError("ota: not a trial, or NVS refused");
}

/* fail(reason) */
void xs_ivxs_ota_fail(xsMachine *the)
{
	char reason[IVXS_OTA_REASON_MAX];
	xsmcToStringBuffer(xsArg(0), reason, sizeof(reason));
	if (ivxs_ota_board_fail(reason) < 0)
		xsUnknownError("ota: not a trial, or NVS refused");
}

void xs_ivxs_ota_restart(xsMachine *the)
{
	(void)the;
	esp_restart();
}
