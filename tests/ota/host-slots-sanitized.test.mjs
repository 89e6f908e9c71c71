// host-slots.test.mjs again, on the host built with AddressSanitizer + UBSan: the slot record
// (hosts/linux/src/ota.c and hosts/ota-core), the file bindings OTA added (offset reads, replace,
// remove, rename, sync) and the P-256 check (mbedTLS) through every refusal and rollback.
import { buildHostVariant, useHostBinary } from "../_host.mjs";

useHostBinary(buildHostVariant("sanitize"));
await import("./host-slots.test.mjs");
