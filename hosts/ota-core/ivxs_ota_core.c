/* The OTA slot record and its state machine: ivxs_ota_core.h. */
#include "ivxs_ota_core.h"

#include <string.h>

static int validSlot(const char *s) { return !*s || ((*s == 'a' || *s == 'b') && !s[1]); }

/* One line per field: a copy stops at a newline; control characters become spaces. */
static void copyField(char *to, size_t size, const char *from, size_t length)
{
	size_t i;
	for (i = 0; i + 1 < size && i < length && from[i] && from[i] != '\n'; i++)
		to[i] = ((unsigned char)from[i] < 0x20) ? ' ' : from[i];
	to[i] = 0;
}

#define SET(field, text) copyField(field, sizeof(field), text, (size_t)-1)

void ivxs_ota_init(ivxs_ota_record *r)
{
	memset(r, 0, sizeof(*r));
	r->deadline = IVXS_OTA_DEFAULT_DEADLINE;
}

static int number(const char *text, size_t length)
{
	int value = 0;
	size_t i;
	for (i = 0; i < length && text[i] >= '0' && text[i] <= '9' && value < 100000; i++)
		value = value * 10 + (text[i] - '0');
	return value;
}

int ivxs_ota_parse(ivxs_ota_record *r, const char *text, size_t length)
{
	static const char magic[] = "ivxs-ota 1\n";
	const char *end = text + length, *line = text + sizeof(magic) - 1;
	ivxs_ota_init(r);
	if (length < sizeof(magic) - 1 || memcmp(text, magic, sizeof(magic) - 1))
		return -1;
	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line)), *space;
		size_t n;
		if (!eol)
			eol = end;
		space = memchr(line, ' ', (size_t)(eol - line));
		if (space) {
			const char *value = space + 1;
			size_t key = (size_t)(space - line);
			n = (size_t)(eol - value);
#define FIELD(name, field) if (key == sizeof(name) - 1 && !memcmp(line, name, key)) copyField(r->field, sizeof(r->field), value, n); else
			FIELD("active", active) FIELD("pending", pending) FIELD("trial", trial)
			FIELD("active-version", activeVersion) FIELD("pending-version", pendingVersion)
			FIELD("trial-version", trialVersion) FIELD("result", result) FIELD("reason", reason)
			FIELD("failed-version", failedVersion)
#undef FIELD
			if (key == 8 && !memcmp(line, "failures", 8))
				r->failures = number(value, n);
			else if (key == 8 && !memcmp(line, "deadline", 8))
				r->deadline = number(value, n);
		}
		line = eol + 1;
	}
	if (!validSlot(r->active) || !validSlot(r->pending) || !validSlot(r->trial)) {
		ivxs_ota_init(r);
		return -1;
	}
	if (r->deadline <= 0 || r->deadline > IVXS_OTA_MAX_DEADLINE)
		r->deadline = IVXS_OTA_DEFAULT_DEADLINE;
	return 0;
}

/* Appends text; -1 once it no longer fits. */
static int put(char *out, size_t size, size_t *at, const char *text)
{
	size_t n = strlen(text);
	if (*at + n + 1 > size)
		return -1;
	memcpy(out + *at, text, n + 1);
	*at += n;
	return 0;
}

static const char *decimal(int value, char *buffer)
{
	char *p = buffer + 11;
	unsigned v = value < 0 ? 0 : (unsigned)value;
	*p = 0;
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	return p;
}

int ivxs_ota_format(const ivxs_ota_record *r, char *out, size_t size)
{
	char failures[12], deadline[12];
	const char *parts[] = {
		"ivxs-ota 1\nactive ", r->active, "\nactive-version ", r->activeVersion, "\npending ", r->pending,
		"\npending-version ", r->pendingVersion, "\ntrial ", r->trial, "\ntrial-version ", r->trialVersion,
		"\ndeadline ", decimal(r->deadline, deadline), "\nresult ", r->result, "\nreason ", r->reason,
		"\nfailed-version ", r->failedVersion, "\nfailures ", decimal(r->failures, failures), "\n",
	};
	size_t at = 0, i;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (put(out, size, &at, parts[i]) < 0)
			return -1;
	return (int)at;
}

void ivxs_ota_roll_back(ivxs_ota_record *r, const char *reason)
{
	if (strcmp(r->failedVersion, r->trialVersion))
		r->failures = 0;
	SET(r->failedVersion, r->trialVersion);
	r->failures++;
	SET(r->result, "rolled-back");
	SET(r->reason, reason);
	r->trial[0] = 0;
	r->trialVersion[0] = 0;
}

ivxs_ota_boot_kind ivxs_ota_decide(ivxs_ota_record *r, const char *exitReason)
{
	if (r->trial[0]) {
		ivxs_ota_roll_back(r, exitReason && *exitReason ? exitReason : "no confirmation (crash, hang or power cut during the trial)");
		return IVXS_OTA_BOOT_ROLLED_BACK;
	}
	if (!r->pending[0])
		return IVXS_OTA_BOOT_ACTIVE;
	memcpy(r->trial, r->pending, sizeof(r->trial));
	memcpy(r->trialVersion, r->pendingVersion, sizeof(r->trialVersion));
	r->pending[0] = 0;
	r->pendingVersion[0] = 0;
	r->result[0] = 0;
	r->reason[0] = 0;
	return IVXS_OTA_BOOT_TRIAL;
}

int ivxs_ota_stage(ivxs_ota_record *r, const char *slot, const char *version, int deadline)
{
	if (!validSlot(slot) || (slot[0] && (!strcmp(slot, r->active) || !strcmp(slot, r->trial))))
		return -1;
	SET(r->pending, slot);
	SET(r->pendingVersion, slot[0] ? version : "");
	r->deadline = deadline > 0 && deadline <= IVXS_OTA_MAX_DEADLINE ? deadline : IVXS_OTA_DEFAULT_DEADLINE;
	return 0;
}

void ivxs_ota_confirm(ivxs_ota_record *r)
{
	memcpy(r->active, r->trial, sizeof(r->active));
	memcpy(r->activeVersion, r->trialVersion, sizeof(r->activeVersion));
	r->trial[0] = 0;
	r->trialVersion[0] = 0;
	SET(r->result, "confirmed");
	r->reason[0] = 0;
}
