/*
 * What the libFuzzer harnesses share: REQUIRE, an invariant that aborts with
 * "check failed: …" — the line native/fuzz/run.mjs and tests/fuzz.test.mjs
 * look for in the output.
 */
#ifndef IVXS_FUZZ_H
#define IVXS_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#define REQUIRE(cond) do { if (!(cond)) { fprintf(stderr, "check failed: %s (line %d)\n", #cond, __LINE__); abort(); } } while (0)

#endif
