/*
 * OTA slots of the app layer on the ESP32-S3 (modules/ota/README.md): two mod partitions — data
 * partitions labelled "xs_a" (slot a) and "xs_b" (slot b), partitions.csv — and the slot record
 * in NVS (namespace "ivxs_ota", key "record": the text of hosts/ota-core, whose state machine decides).
 *
 * Moddable maps the mods partition with esp_partition_find_first(0x40, 1, NULL) (xsHost.c,
 * modMachineTaskInit) before any JS runs. Linked with -Wl,--wrap=esp_partition_find_first, that
 * question reaches __wrap_esp_partition_find_first below, which decides the boot once (pending →
 * trial with a watchdog timer, a trial left set → roll back, with the reset reason as the
 * failure's) and answers with the chosen slot's partition. Every other question goes through.
 * The slots are data partitions found by label so that the SDK's ECMA-419 flash module can open
 * them too (open({ path: "xs_b" }) looks for a data partition of that label; "xs" would be this
 * wrapped question, the running slot): the platform layer writes a download through it
 * (modules/app/platform/flash-payload.ts).
 *
 * Without the wrap in the link (hosts/esp32s3/README.md item 1) __real_esp_partition_find_first
 * is a weak undefined symbol: the firmware still links, Moddable finds no 0x40/1 partition and
 * runs the firmware's own app layer, and a staged slot never boots.
 *
 * The natives of module ivxs/ota-board (ota-board.js) are at the end.
 *
 * Compiled and linked for the S3 by `npm run board -- build` (ESP-IDF 6.0), and in the image the
 * emulator boots; no OTA has gone through it yet (hosts/esp32s3/README.md says where it stands and
 * what a board must prove). The record's core is tested (tests/ota/core.test.mjs); this file
 * is the board glue.
 */
#include "ivxs_ota_core.h"

#include "esp_partition.h"
#include "esp_system.h"
#include "esp_timer.h"
#include "nvs_flash/include/nvs.h"   /* as the SDK's preference module reaches it */
#include "xsmc.h"

#include <string.h>

const esp_partition_t *__real_esp_partition_find_first(esp_partition_type_t type, esp_partition_subtype_t subtype, const char *label) __attribute__((weak));

#define kMods ((esp_partition_type_t)0x40)

/* A slot's partition: "xs_a" or "xs_b", data partitions found by label. */
static const esp_partition_t *slotPartition(char slot)
{
	const char *label = slot == 'b' ? "xs_b" : "xs_a";
	if (__real_esp_partition_find_first)
		return __real_esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, label);
	return esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, label);   /* not wrapped */
}

static ivxs_ota_record gRecord;
static int gDecided, gLoaded, gTrial;
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
	gDecided = gLoaded = 1;
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
	return slotPartition(slot[0]);
}

/* The slot that is not running: where a download goes. */
const esp_partition_t *ivxs_ota_inactive_partition(void)
{
	const char *active = gTrial ? gRecord.trial : gRecord.active;
	return slotPartition(active[0] == 'b' ? 'a' : 'b');
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

/* With the wrap, the boot decided before any JS; without it the record is read as it is (no
 * trial: no slot was mapped). */
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
