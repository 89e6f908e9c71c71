/* The OTA record's core (ivxs_ota_core.c), plain and under the sanitizers: tests/ota/core.test.mjs. */
#include "ivxs_ota_core.h"

#include <stdio.h>
#include <string.h>

static int failures;
#define CHECK(cond) do { if (!(cond)) { failures++; printf("FAIL %s:%d %s\n", __FILE__, __LINE__, #cond); } } while (0)

int main(void)
{
	ivxs_ota_record r, back;
	char text[IVXS_OTA_RECORD_MAX + 1];
	int length, i;

	/* stage → boot (trial) → confirm, through the text form each time. */
	ivxs_ota_init(&r);
	CHECK(ivxs_ota_stage(&r, "a", "1.0.0", 30) == 0);
	length = ivxs_ota_format(&r, text, sizeof(text));
	CHECK(length > 0 && ivxs_ota_parse(&back, text, (size_t)length) == 0);
	CHECK(!strcmp(back.pending, "a") && !strcmp(back.pendingVersion, "1.0.0") && back.deadline == 30);
	CHECK(ivxs_ota_decide(&back, NULL) == IVXS_OTA_BOOT_TRIAL && !strcmp(back.trial, "a") && !back.pending[0]);
	ivxs_ota_confirm(&back);
	CHECK(!strcmp(back.active, "a") && !strcmp(back.activeVersion, "1.0.0") && !strcmp(back.result, "confirmed"));
	CHECK(ivxs_ota_decide(&back, NULL) == IVXS_OTA_BOOT_ACTIVE);

	/* The active slot cannot be staged over; a trial left set rolls back with the reason given. */
	CHECK(ivxs_ota_stage(&back, "a", "2.0.0", 30) < 0);
	CHECK(ivxs_ota_stage(&back, "c", "2.0.0", 30) < 0);
	for (i = 1; i <= 3; i++) {
		CHECK(ivxs_ota_stage(&back, "b", "2.0.0", 30) == 0);
		CHECK(ivxs_ota_decide(&back, NULL) == IVXS_OTA_BOOT_TRIAL);
		CHECK(ivxs_ota_decide(&back, i == 2 ? "exit 1" : NULL) == IVXS_OTA_BOOT_ROLLED_BACK);
		CHECK(back.failures == i && !strcmp(back.failedVersion, "2.0.0") && !strcmp(back.active, "a"));
	}
	CHECK(!strcmp(back.reason, "no confirmation (crash, hang or power cut during the trial)"));

	/* Hostile text: a bad slot, no magic, a newline inside a value, every prefix of a record. */
	CHECK(ivxs_ota_parse(&r, "ivxs-ota 1\nactive z\n", 20) < 0 && !r.active[0]);
	CHECK(ivxs_ota_parse(&r, "nope", 4) < 0);
	CHECK(ivxs_ota_stage(&r, "b", "1.0.0\nactive b", 30) == 0 && strchr(r.pendingVersion, '\n') == NULL);
	ivxs_ota_roll_back(&r, "a\nb");
	CHECK(!strcmp(r.reason, "a"));
	length = ivxs_ota_format(&back, text, sizeof(text));
	for (i = 0; i <= length; i++)
		ivxs_ota_parse(&r, text, (size_t)i);   /* never reads past i bytes (ASan) */
	CHECK(ivxs_ota_format(&back, text, 10) < 0);
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
