// The C cores that call mbedTLS (the P2P transport, WebRTC) against the mbedTLS line a board runs —
// 3.6, ESP-IDF 5's — as well as the host's 2.28 (tests/native-c.test.mjs): Debian 13's mbedTLS 3.6
// source, fetched once from Debian's archive with its signature checked, built with ASan and UBSan,
// and every C test program of those modules run against it (scripts/mbedtls3-check.mjs), and the
// board's TLS client session (hosts/esp32s3/tls_lwip.c) with its test (tls_lwip_test.c: a Mbed TLS
// server over an in-memory stream). What 3.x renamed or made private fails here, not first on a
// board's build (it did once: dtls.c read a field 3.x made private).
import test from "ava";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { root } from "./_host.mjs";

test("every C test program of the modules linking mbedTLS, and the board's TLS session's, builds and passes against mbedTLS 3.6 (Debian 13's source)", async (t) => {
	t.timeout(20 * 60_000);
	let out;
	try {
		out = await promisify(execFile)(process.execPath, [join(root, "scripts/mbedtls3-check.mjs"), "--no-count"], { cwd: root, maxBuffer: 1 << 26 });
	} catch (error) {
		t.fail(`${error.stdout ?? ""}${error.stderr ?? error.message}`.slice(-6000));
		return;
	}
	t.log(out.stdout.trim().split("\n").filter((l) => /^(ok|FAIL)|mbedTLS/.test(l)).join("\n"));
	t.regex(out.stdout, /every program passed against mbedTLS 3\.6\.\d+/);
	t.notRegex(out.stdout, /^FAIL/m);
});
