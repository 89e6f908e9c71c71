// The OTA slot record's I/O-free core (hosts/ota-core), shared by the Linux host and the ESP32-S3
// host: its C test plain and under ASan + UBSan, and a -Werror build for a Cortex-M4 (no ESP-IDF
// here: as far as these machines can check the board's copy).
import { cCoreTests } from "../_c-core.mjs";

cCoreTests("the record's core", { core: "hosts/ota-core/ivxs_ota_core.c", check: "hosts/ota-core/tests/ota_core_test.c", include: "hosts/ota-core" });
