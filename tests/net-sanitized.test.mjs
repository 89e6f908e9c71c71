// net.test.mjs again, on the host built with AddressSanitizer + UBSan: the TLS and crypto
// bindings (mbedTLS under them) and the sockets through every failure the tests provoke.
import { buildHostVariant, useHostBinary } from "./_host.mjs";

useHostBinary(buildHostVariant("sanitize"));
await import("./net.test.mjs");
