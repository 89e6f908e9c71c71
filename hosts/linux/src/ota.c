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
 * Every change is a whole new record: temporary file, fsync, rename, fsync of the folder.
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

#define kVersionMax 64
#define kReasonMax 200
#define kDefaultDeadline 120
#define kMaxDeadline 3600

typedef struct {
	char active[2], pending[2], trial[2];   /* "", "a" or "b" */
	char activeVersion[kVersionMax], pendingVersion[kVersionMax], trialVersion[kVersionMax];
	char result[16], reason[kReasonMax], failedVersion[kVersionMax];
	int failures, deadline;
} OtaState;

static OtaState gState;
static int gLoaded, gTrial;
static char gRoot[PATH_MAX];

static int validSlot(const char *s) { return !*s || ((*s == 'a' || *s == 'b') && !s[1]); }

static void copyField(char *to, size_t size, const char *from)
{
	size_t i;
	for (i = 0; i + 1 < size && from[i] && from[i] != '\n'; i++)
		to[i] = (from[i] < 0x20) ? ' ' : from[i];   /* one line per field */
	to[i] = 0;
}

static void statePath(char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s/ota/%s", ivxs_config.data_dir, name);
}

/* Reads the record; a missing one is the empty state (the build's own modules). */
static int readState(OtaState *state)
{
	char path[PATH_MAX], line[512];
	FILE *file;
	memset(state, 0, sizeof(*state));
	statePath(path, sizeof(path), "state");
	file = fopen(path, "re");
	if (!file)
		return errno == ENOENT ? 0 : -1;
	if (!fgets(line, sizeof(line), file) || strcmp(line, "ivxs-ota 1\n")) {
		fclose(file);
		return -1;
	}
	while (fgets(line, sizeof(line), file)) {
		char *value = strchr(line, ' ');
		if (!value)
			continue;
		*value++ = 0;
#define FIELD(name, field) else if (!strcmp(line, name)) copyField(state->field, sizeof(state->field), value)
		if (0) {}
		FIELD("active", active); FIELD("pending", pending); FIELD("trial", trial);
		FIELD("active-version", activeVersion); FIELD("pending-version", pendingVersion);
		FIELD("trial-version", trialVersion); FIELD("result", result); FIELD("reason", reason);
		FIELD("failed-version", failedVersion);
#undef FIELD
		else if (!strcmp(line, "failures"))
			state->failures = atoi(value);
		else if (!strcmp(line, "deadline"))
			state->deadline = atoi(value);
	}
	fclose(file);
	if (!validSlot(state->active) || !validSlot(state->pending) || !validSlot(state->trial))
		return -1;
	if (state->deadline <= 0 || state->deadline > kMaxDeadline)
		state->deadline = kDefaultDeadline;
	return 0;
}

static int writeState(const OtaState *state)
{
	char path[PATH_MAX], tmp[PATH_MAX], folder[PATH_MAX];
	FILE *file;
	int fd, failed;
	statePath(folder, sizeof(folder), "");
	mkdir(ivxs_config.data_dir, 0755);
	mkdir(folder, 0755);
	statePath(path, sizeof(path), "state");
	statePath(tmp, sizeof(tmp), "state.tmp");
	file = fopen(tmp, "we");
	if (!file)
		return -1;
	fprintf(file, "ivxs-ota 1\nactive %s\nactive-version %s\npending %s\npending-version %s\ntrial %s\n"
		"trial-version %s\ndeadline %d\nresult %s\nreason %s\nfailed-version %s\nfailures %d\n",
		state->active, state->activeVersion, state->pending, state->pendingVersion, state->trial,
		state->trialVersion, state->deadline, state->result, state->reason, state->failedVersion, state->failures);
	failed = fflush(file) || fsync(fileno(file));
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

/* The failed trial of the record's trial slot: back to the active slot, reason kept. */
static void rollBack(OtaState *state, const char *reason)
{
	if (strcmp(state->failedVersion, state->trialVersion))
		state->failures = 0;
	copyField(state->failedVersion, sizeof(state->failedVersion), state->trialVersion);
	state->failures++;
	strcpy(state->result, "rolled-back");
	copyField(state->reason, sizeof(state->reason), reason);
	state->trial[0] = 0;
	state->trialVersion[0] = 0;
}

/* Before the machine exists: picks the slot and, for a trial, arms the watchdog. Returns the
 * module root to search first, or NULL for the build's own modules. */
const char *ivxs_ota_boot(void)
{
	OtaState *state = &gState;
	char exitPath[PATH_MAX], reason[kReasonMax];
	if (readState(state) < 0) {
		ivxs_log(IVXS_LOG_ERROR, "ota: unreadable %s/ota/state: booting the build's own modules", ivxs_config.data_dir);
		return NULL;
	}
	gLoaded = 1;
	statePath(exitPath, sizeof(exitPath), "trial-exit");
	if (state->trial[0]) {
		FILE *file = fopen(exitPath, "re");
		if (!file || !fgets(reason, sizeof(reason), file))
			strcpy(reason, "no confirmation (crash, hang or power cut during the trial)");
		if (file)
			fclose(file);
		rollBack(state, reason);
		if (writeState(state) < 0)
			ivxs_log(IVXS_LOG_ERROR, "ota: cannot write the state record: %s", strerror(errno));
		ivxs_log(IVXS_LOG_WARN, "ota: trial of %s failed (%s): back to %s", state->failedVersion, state->reason,
			state->active[0] ? state->activeVersion : "the build's own modules");
	}
	else if (state->pending[0]) {
		memcpy(state->trial, state->pending, sizeof(state->trial));
		memcpy(state->trialVersion, state->pendingVersion, sizeof(state->trialVersion));
		state->pending[0] = 0;
		state->pendingVersion[0] = 0;
		state->result[0] = 0;
		state->reason[0] = 0;
		if (writeState(state) < 0) {   /* never boot a trial the next boot would not know of */
			ivxs_log(IVXS_LOG_ERROR, "ota: cannot write the state record: %s", strerror(errno));
			readState(state);
		}
		else
			gTrial = 1;
	}
	unlink(exitPath);
	if (gTrial) {
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
	OtaState *state = &gState;
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

static void commit(xsMachine *the, const OtaState *next)
{
	if (writeState(next) < 0)
		ivxs_error(IVXS_HOST_ESYSTEM, "cannot write the OTA state record: %s", strerror(errno));
	gState = *next;
}

/* stage(slot, version, deadline): the slot is written and verified; the next boot tries it.
 * stage("") takes a pending slot back (before its folder is written again). */
void xs_ota_stage(xsMachine *the)
{
	OtaState next;
	char slot[4], version[kVersionMax];
	int deadline = xsmcArgc > 2 ? ivxs_to_int(the, &xsArg(2), 1, kMaxDeadline, "deadline") : kDefaultDeadline;
	xsmcToStringBuffer(xsArg(0), slot, sizeof(slot));
	xsmcToStringBuffer(xsArg(1), version, sizeof(version));
	if (!validSlot(slot))
		ivxs_range_error(IVXS_EARG, "slot is a or b");
	if (!gLoaded && readState(&gState) < 0)
		ivxs_error(IVXS_HOST_ESYSTEM, "unreadable OTA state record");
	gLoaded = 1;
	next = gState;
	if (slot[0] && (!strcmp(slot, next.active) || !strcmp(slot, next.trial)))
		ivxs_range_error(IVXS_EARG, "slot %s is in use", slot);
	copyField(next.pending, sizeof(next.pending), slot);
	copyField(next.pendingVersion, sizeof(next.pendingVersion), slot[0] ? version : "");
	next.deadline = deadline;
	commit(the, &next);
}

/* confirm(): this trial boot is healthy; its slot becomes the active one. */
void xs_ota_confirm(xsMachine *the)
{
	OtaState next = gState;
	if (!gTrial)
		ivxs_error(IVXS_EARG, "not a trial boot");
	memcpy(next.active, next.trial, sizeof(next.active));
	memcpy(next.activeVersion, next.trialVersion, sizeof(next.activeVersion));
	next.trial[0] = 0;
	next.trialVersion[0] = 0;
	strcpy(next.result, "confirmed");
	next.reason[0] = 0;
	commit(the, &next);
	gTrial = 0;
	alarm(0);
}

/* fail(reason): the app found this trial unhealthy: the record rolls back now; the app exits
 * and the next boot runs the active slot. */
void xs_ota_fail(xsMachine *the)
{
	OtaState next = gState;
	char reason[kReasonMax];
	xsmcToStringBuffer(xsArg(0), reason, sizeof(reason));
	if (!gTrial)
		ivxs_error(IVXS_EARG, "not a trial boot");
	rollBack(&next, reason);
	commit(the, &next);
	gTrial = 0;
	alarm(0);
}
