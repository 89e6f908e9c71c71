/*
 * The OTA slot record and its state machine (modules/ota/README.md), I/O-free: every host keeps
 * the record its own way (Linux: a file written whole, hosts/linux/src/ota.c; ESP32-S3: NVS,
 * hosts/esp32s3/ota_slots.c) and calls these to decide. No allocation, no libc beyond string.h.
 *
 *   stage    a written, verified slot waits for the next boot
 *   boot     pending → trial (the host writes the record before the app runs); a trial still
 *            set at boot failed (crash, hang, exit, power cut) → roll back, reason kept
 *   confirm  trial → active          fail  trial → rolled back now
 */
#ifndef IVXS_OTA_CORE_H
#define IVXS_OTA_CORE_H

#include <stddef.h>

#define IVXS_OTA_VERSION_MAX 64
#define IVXS_OTA_REASON_MAX 200
#define IVXS_OTA_DEFAULT_DEADLINE 120
#define IVXS_OTA_MAX_DEADLINE 3600
/* The record as text, at most (every field at its longest). */
#define IVXS_OTA_RECORD_MAX 700

typedef struct {
	char active[2], pending[2], trial[2];   /* "", "a" or "b" */
	char activeVersion[IVXS_OTA_VERSION_MAX], pendingVersion[IVXS_OTA_VERSION_MAX], trialVersion[IVXS_OTA_VERSION_MAX];
	char result[16], reason[IVXS_OTA_REASON_MAX], failedVersion[IVXS_OTA_VERSION_MAX];
	int failures, deadline;
} ivxs_ota_record;

typedef enum {
	IVXS_OTA_BOOT_ACTIVE,        /* the active slot (or the firmware's own layer) */
	IVXS_OTA_BOOT_TRIAL,         /* the record now says trial: arm the watchdog */
	IVXS_OTA_BOOT_ROLLED_BACK,   /* a trial failed: the record says why; the active slot boots */
} ivxs_ota_boot_kind;

/* The empty record (no slot yet). */
void ivxs_ota_init(ivxs_ota_record *r);
/* Reads "ivxs-ota 1\nkey value\n…"; 0, or -1 when it is not a record (r is then the empty one). */
int ivxs_ota_parse(ivxs_ota_record *r, const char *text, size_t length);
/* Writes the record as text (NUL-terminated); returns its length, or -1 when size is too small. */
int ivxs_ota_format(const ivxs_ota_record *r, char *out, size_t size);
/* The boot's decision; changes r (write it before booting when it is not ACTIVE).
 * `exitReason` is what a trial left when it ended (NULL: none — a crash, hang or power cut). */
ivxs_ota_boot_kind ivxs_ota_decide(ivxs_ota_record *r, const char *exitReason);
/* stage(slot, version, deadline): 0, or -1 when the slot is invalid or in use; slot "" takes a pending one back. */
int ivxs_ota_stage(ivxs_ota_record *r, const char *slot, const char *version, int deadline);
/* confirm: the trial slot becomes the active one. */
void ivxs_ota_confirm(ivxs_ota_record *r);
/* The trial failed: back to the active slot, `reason` kept, the version's failures counted. */
void ivxs_ota_roll_back(ivxs_ota_record *r, const char *reason);

#endif
