// The board's SHA-256 stream core (hosts/esp32s3/sha256/sha256_stream.c: the partial block, the
// length and the padding around the S3's SHA engine): its C test with a software compression in
// the engine's place — FIPS 180-4's vectors, messages in random pieces — plain and under ASan +
// UBSan, and a -Werror build for a Cortex-M4. The engine's side runs in the emulated S3 only:
// `npm run board -- test` uploads through it, each body hash checked by the cloud.
import { cCoreTests } from "./_c-core.mjs";

cCoreTests("the SHA-256 stream core", { core: "hosts/esp32s3/sha256/sha256_stream.c", check: "hosts/esp32s3/sha256/tests/sha256_stream_test.c", include: "hosts/esp32s3/sha256" });
