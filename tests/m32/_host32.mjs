// Builds the 32-bit host (build/bin/ivxs-m32) and points runHost() at it.
// Each tests/m32/<name>.test.mjs imports this first, then ../<name>.test.mjs:
// that file's tests, declared while it loads, run on the 32-bit host (ava
// wants every test declared synchronously: static imports, no top-level
// await). One file each, so every file keeps a worker of its own as in the
// 64-bit run: a test that watches a host process live is not starved by
// another file's ffprobe runs.
import { buildHostVariant, useHostBinary } from "../_host.mjs";

export const host32 = buildHostVariant("m32");
useHostBinary(host32);
