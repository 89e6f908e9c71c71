// Builds the 32-bit host and points runHost() at it. Imported by
// tests/m32.test.mjs before the test files it runs again, so that their tests,
// declared while they load, already use it (ava wants every test declared
// synchronously: static imports, no top-level await).
import { buildHostVariant, useHostBinary } from "./_host.mjs";

export const host32 = buildHostVariant("m32");
useHostBinary(host32);
