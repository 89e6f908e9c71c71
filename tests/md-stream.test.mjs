// The Merkle–Damgård stream core (native/common/ivxs_md_stream.c: the partial block, the length and
// the padding around a chip's SHA engine, and HMAC over it — the board's SHA-256 body hash, SRTP's
// HMAC-SHA1, the P2P wire's version 6 HMAC-SHA-256): its C test with a software compression in the
// engine's place — FIPS 180-4's vectors, RFC 4231's HMAC vectors, messages in random pieces — plain
// and under ASan + UBSan, and a -Werror build for a Cortex-M4. SHA-1 through it is
// checked against libsrtp2 (tests/webrtc.test.mjs, "engine interface"). The engines' side runs in the
// emulated S3 only: `npm run board -- test` uploads through it (each body hash checked by the cloud)
// and plays to WebRTC viewers (SRTP).
import { cCoreTests } from "./_c-core.mjs";

cCoreTests("the Merkle–Damgård stream core", { core: "native/common/ivxs_md_stream.c", check: "native/common/tests/md_stream_test.c", include: "native/common" });
