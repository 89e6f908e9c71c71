/*
 * OTA slots of the app layer on the Linux host (modules/ota; format: modules/ota/FORMAT.md).
 *
 * <data>/ota/a and <data>/ota/b each hold an app layer (root/: compiled modules, searched before
 * the build's own); <data>/ota/state is the one record of which slot runs, which waits for its
 * trial and how the last update ended. The host owns the record: it decides the slot before any
 * JS runs, and the app changes it only through the four functions below (ivxs/ota-host), so the
 * rules of the state machine live here once.
 *
 *   stage(slot, version, deadline)   a fully written, verified slot waits for the next boot
 *   boot                             pending -> trial (written before the app loads), watchdog
 *                                    armed: no confirmation within `deadline` s kills the host
 *   confirm()                        trial -> active, watchdog off
 *   boot with a trial still set      the trial failed (crash, hang, exit, power cut): back to
 *                                    the active slot, reason recorded, the version's failures
 *                                    counted (modules/ota refuses it after three)
 *
 * The record's rules are the I/O-free core's (hosts/ota-core, shared with the ESP32-S3); this file
 * keeps it in <data>/ota/state, every change a whole new file: temporary, fsync, rename, fsync of
 * the folder.
 */
#define _GNU_SOURCE
#include "xsmc.h"
#include "xsHost.h"
#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ivxs_ota_core.h"

static ivxs_ota_record gState;
static int gLoaded, gTrial;
static char gRoot[PATH_MAX];

static void statePath(char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s/ota/%s", ivxs_config.data_dir, name);
}

/* Reads the record; a missing one is the empty state (the build's own modules). */
static int readState(ivxs_ota_record *state)
{
	char path[PATH_MAX], text[IVXS_OTA_RECORD_MAX + 1];
	size_t length;
	FILE *file;
	ivxs_ota_init(state);
	statePath(path, sizeof(path), "state");
	file = fopen(path, "re");
	if (!file)
		return errno == ENOENT ? 0 : -1;
	length = fread(text, 1, sizeof(text), file);
	fclose(file);
	if (length > IVXS_OTA_RECORD_MAX)
		return -1;
	return ivxs_ota_parse(state, text, length);
}

static int writeState(const ivxs_ota_record *state)
{
	char path[PATH_MAX], tmp[PATH_MAX], folder[PATH_MAX], text[IVXS_OTA_RECORD_MAX + 1];
	int length = ivxs_ota_format(state, text, sizeof(text)), fd, failed;
	FILE *file;
	if (length < 0)
		return -1;
	statePath(folder, sizeof(folder), "");
	mkdir(ivxs_config.data_dir, 0755);
	mkdir(folder, 0755);
	statePath(path, sizeof(path), "state");
	statePath(tmp, sizeof(tmp), "state.tmp");
	file = fopen(tmp, "we");
	if (!file)
		return -1;
	failed = fwrite(text, 1, (size_t)length, file) != (size_t)length;
	failed |= fflush(file) || fsync(fileno(file));
	failed |= fclose(file);
	if (failed || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

/* Before the machine exists: picks the slot and, for a trial, arms the watchdog. Returns the
 * module root to search first, or NULL for the build's own modules. */
const char *ivxs_ota_boot(void)
{
	ivxs_ota_record *state = &gState;
	char exitPath[PATH_MAX], reason[IVXS_OTA_REASON_MAX] = "";
	FILE *file;
	ivxs_ota_boot_kind decision;
	if (readState(state) < 0) {
		ivxs_log(IVXS_LOG_ERROR, "ota: unreadable %s/ota/state: booting the build's own modules", ivxs_config.data_dir);
		return NULL;
	}
	gLoaded = 1;
	statePath(exitPath, sizeof(exitPath), "trial-exit");
	file = fopen(exitPath, "re");
	if (file) {
		if (!fgets(reason, sizeof(reason), file))
			reason[0] = 0;
		fclose(file);
	}
	decision = ivxs_ota_decide(state, reason);
	if (decision != IVXS_OTA_BOOT_ACTIVE && writeState(state) < 0) {
		ivxs_log(IVXS_LOG_ERROR, "ota: cannot write the state record: %s", strerror(errno));
		if (decision == IVXS_OTA_BOOT_TRIAL) {   /* never boot a trial the next boot would not know of */
			readState(state);
			decision = IVXS_OTA_BOOT_ACTIVE;
		}
	}
	unlink(exitPath);
	if (decision == IVXS_OTA_BOOT_ROLLED_BACK)
		ivxs_log(IVXS_LOG_WARN, "ota: trial of %s failed (%s): back to %s", state->failedVersion, state->reason,
			state->active[0] ? state->activeVersion : "the build's own modules");
	if (decision == IVXS_OTA_BOOT_TRIAL) {
		gTrial = 1;
		ivxs_log(IVXS_LOG_INFO, "ota: trial boot of %s (slot %s), %d s to confirm", state->trialVersion, state->trial, state->deadline);
		alarm((unsigned)state->deadline);   /* a hang ends in SIGALRM: the next boot rolls back */
		snprintf(gRoot, sizeof(gRoot), "%s/ota/%s/root", ivxs_config.data_dir, state->trial);
		return gRoot;
	}
	if (!state->active[0])
		return NULL;
	snprintf(gRoot, sizeof(gRoot), "%s/ota/%s/root", ivxs_config.data_dir, state->active);
	return gRoot;
}

/* At exit: a trial that ends before its confirmation leaves its reason for the next boot. */
void ivxs_ota_exit(int status)
{
	char path[PATH_MAX];
	FILE *file;
	if (!gTrial || status == 0)
		return;
	statePath(path, sizeof(path), "trial-exit");
	file = fopen(path, "we");
	if (!file)
		return;
	fprintf(file, status == 1 ? "exception or exit 1 during the trial" : "exit %d during the trial", status);
	fflush(file);
	fsync(fileno(file));
	fclose(file);
}

static void setField(xsMachine *the, const char *name, const char *value)
{
	xsmcVars(1);
	xsmcSetString(xsVar(0), (char *)value);
	xsmcSet(xsResult, xsID(name), xsVar(0));
}

/* status() -> the record, with `trial: true` while this boot is a trial */
void xs_ota_status(xsMachine *the)
{
	ivxs_ota_record *state = &gState;
	if (!gLoaded && readState(state) < 0)
		ivxs_error(IVXS_HOST_ESYSTEM, "unreadable OTA state record");
	gLoaded = 1;
	xsmcVars(1);
	xsResult = xsNewObject();
	setField(the, "active", state->active);
	setField(the, "activeVersion", state->activeVersion);
	setField(the, "pending", state->pending);
	setField(the, "pendingVersion", state->pendingVersion);
	setField(the, "trialSlot", state->trial);
	setField(the, "trialVersion", state->trialVersion);
	setField(the, "result", state->result);
	setField(the, "reason", state->reason);
	setField(the, "failedVersion", state->failedVersion);
	xsmcSetInteger(xsVar(0), state->failures);
	xsmcSet(xsResult, xsID("failures"), xsVar(0));
	xsmcSetInteger(xsVar(0), state->deadline);
	xsmcSet(xsResult, xsID("deadline"), xsVar(0));
	xsmcSetBoolean(xsVar(0), gTrial);
	xsmcSet(xsResult, xsID("trial"), xsVar(0));
	xsmcSetString(xsVar(0), (char *)ivxs_config.data_dir);
	xsmcSet(xsResult, xsID("folder"), xsVar(0));
}

static void commit(xsMachine *the, const ivxs_ota_record *next)
{
	if (writeState(next) < 0)
		ivxs_error(IVXS_HOST_ESYSTEM, "cannot write the OTA state record: %s", strerror(errno));
	gState = *next;
}

/* stage(slot, version, deadline): the slot is written and verified; the next boot tries it.
 * stage("") takes a pending slot back (before its folder is written again). */
void xs_ota_stage(xsMachine *the)
{
	ivxs_ota_record next;
	char slot[4], version[IVXS_OTA_VERSION_MAX];
	int deadline = xsmcArgc > 2 ? ivxs_to_int(the, &xsArg(2), 1, IVXS_OTA_MAX_DEADLINE, "deadline") : IVXS_OTA_DEFAULT_DEADLINE;
	xsmcToStringBuffer(xsArg(0), slot, sizeof(slot));
	xsmcToStringBuffer(xsArg(1), version, sizeof(version));
	if (!gLoaded && readState(&gState) < 0)
		ivxs_error(IVXS_HOST_ESYSTEM, "unreadable OTA state record");
	gLoaded = 1;
	next = gState;
	if (ivxs_ota_stage(&next, slot, version, deadline) < 0)
		ivxs_range_error(IVXS_EARG, "slot %s is not a free slot (a or b)", slot);
	commit(the, &next);
}

/* confirm(): this trial boot is healthy; its slot becomes the active one. */
void xs_ota_confirm(xsMachine *the)
{
	ivxs_ota_record next = gState;
	if (!gTrial)
		ivxs_error(IVXS_EARG, "not a trial boot");
	ivxs_ota_confirm(&next);
	commit(the, &next);
	gTrial = 0;
	alarm(0);
}

/* fail(reason): the app found this trial unhealthy: the record rolls back now; the app exits
 * and the next boot runs the active slot. */
void xs_ota_fail(xsMachine *the)
{
	ivxs_ota_record next = gState;
	char reason[IVXS_OTA_REASON_MAX];
	xsmcToStringBuffer(xsArg(0), reason, sizeof(reason));
	if (!gTrial)
		ivxs_error(IVXS_EARG, "not a trial boot");
	ivxs_ota_roll_back(&next, reason);
	commit(the, &next);
	gTrial = 0;
	alarm(0);
}
