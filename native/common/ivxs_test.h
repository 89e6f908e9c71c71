/*
 * The C test programs' harness (native/<module>/tests/<name>_test.c,
 * hosts/moddable/tests): one line per test, "ok   <name>[ — note]" or
 * "FAIL <name>: line N: <what>", then the closing "N passed, N failed" that
 * tests/native-c.test.mjs reads.
 *
 *   static void test_x(void) { …; CHECK(a == b); CHECK_EQ(n, 3); done: cleanup; }
 *   int main(void) { ivxs_test_run("x", test_x); return ivxs_test_summary(); }
 *
 * A failed CHECK keeps its first message and leaves the test through
 * IVXS_TEST_LEAVE: `goto done` (the test's cleanup label) unless the file
 * defines it before including this header (`return` for tests with nothing
 * to clean up). Tests that take arguments are framed by ivxs_test_begin()
 * and ivxs_test_end(name).
 */
#ifndef IVXS_TEST_H
#define IVXS_TEST_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef IVXS_TEST_LEAVE
#define IVXS_TEST_LEAVE goto done
#endif

static int ivxs_test_passed, ivxs_test_failed, ivxs_test_failing;
static char ivxs_test_note[512];

/* Records the test's first failure (later ones would only be consequences). */
static inline void ivxs_test_fail(int line, const char *format, ...)
{
	va_list args;
	int n;
	if (ivxs_test_failing)
		return;
	ivxs_test_failing = 1;
	n = snprintf(ivxs_test_note, sizeof(ivxs_test_note), "line %d: ", line);
	va_start(args, format);
	vsnprintf(ivxs_test_note + n, sizeof(ivxs_test_note) - (size_t)n, format, args);
	va_end(args);
}

#define CHECK(cond) do { if (!(cond)) { ivxs_test_fail(__LINE__, "%s", #cond); IVXS_TEST_LEAVE; } } while (0)
#define CHECKF(cond, ...) do { if (!(cond)) { ivxs_test_fail(__LINE__, __VA_ARGS__); IVXS_TEST_LEAVE; } } while (0)
#define CHECK_EQ(a, b) do { \
	long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ != b_) { \
		ivxs_test_fail(__LINE__, "%.120s == %lld, expected %lld", #a, a_, b_); \
		IVXS_TEST_LEAVE; \
	} \
} while (0)
/* A remark printed after a passing test's name (a measured figure). */
#define NOTE(...) (ivxs_test_failing ? 0 : snprintf(ivxs_test_note, sizeof(ivxs_test_note), __VA_ARGS__))

static inline void ivxs_test_begin(void)
{
	ivxs_test_failing = 0;
	ivxs_test_note[0] = 0;
}

static inline int ivxs_test_end(const char *name)
{
	if (ivxs_test_failing) {
		ivxs_test_failed++;
		printf("FAIL %s: %s\n", name, ivxs_test_note);
	}
	else {
		ivxs_test_passed++;
		printf("ok   %s%s%s\n", name, ivxs_test_note[0] ? " — " : "", ivxs_test_note);
	}
	fflush(stdout);
	return !ivxs_test_failing;
}

static inline int ivxs_test_run(const char *name, void (*test)(void))
{
	ivxs_test_begin();
	test();
	return ivxs_test_end(name);
}

/* The closing line; the program's exit status. */
static inline int ivxs_test_summary(void)
{
	printf("%d passed, %d failed\n", ivxs_test_passed, ivxs_test_failed);
	return ivxs_test_failed ? 1 : 0;
}

/* The start of a test program's fake u32 millisecond clock: IVXS_CLOCK_BASE (decimal or 0x…)
 * when set, else `fallback`; printed as "clock base N ms". A core that takes time must hold at
 * every base — a caller's clock has any origin (Linux: uptime, past 2^31 ms after 24.8 days) —
 * so tests/native-c.test.mjs runs every program that calls this at each of clockBases
 * (scripts/native-modules.mjs: 0, 2^31 - 1 s, 2^32 - 1 s). Call it once, in main. */
static inline uint32_t ivxs_test_clock_base(uint32_t fallback)
{
	const char *text = getenv("IVXS_CLOCK_BASE");
	char *end;
	unsigned long long v = fallback;
	if (text && *text) {
		v = strtoull(text, &end, 0);
		if (*end || v > UINT32_MAX) {
			fprintf(stderr, "IVXS_CLOCK_BASE=%s: not a u32\n", text);
			exit(2);
		}
	}
	printf("clock base %llu ms\n", v);
	return (uint32_t)v;
}

#endif
