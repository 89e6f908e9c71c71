// The host ABI of the Moddable ESP32 build (scripts/moddable-abi.mjs): what an app-layer mod
// binds to by name — the SDK (XS) version, the host's module specifiers and the natives our
// modules declare — hashed as the Linux host's table is (FNV-1a 64). The board manifest carries
// it (config.otaAbi, read by modules/app/platform/moddable-ota.ts): a host change without a new
// ABI would let a mod built for another host install.
import test from "ava";
import { abiLines, BOARD_MANIFEST, fnv1a64, moddableAbi } from "../scripts/moddable-abi.mjs";
import { readJson } from "../scripts/moddable-manifest.mjs";

test("FNV-1a 64 as the published vectors", (t) => {
	t.is(fnv1a64(""), "cbf29ce484222325");
	t.is(fnv1a64("a"), "af63dc4c8601ec8c");
	t.is(fnv1a64("foobar"), "85944171f73967e8");
});

test("the board manifest carries the ABI of its build (node scripts/moddable-abi.mjs --write)", (t) => {
	t.is(readJson(BOARD_MANIFEST).config.otaAbi, moddableAbi("esp32/esp32s3"));
});

test("the ABI covers the SDK version, the host's modules and our natives", (t) => {
	const lines = abiLines("esp32/esp32s3");
	t.is(lines[0], `moddable-sdk ${readJson("hosts/moddable/sdk-tsc.json").sdk}`);
	for (const line of ["module ivxs/platform", "module ivxs/ota-board", "module ring", "module media/*", "native xs_ivxs_ota_status", "native xs_ivxs_memory"])
		t.true(lines.includes(line), line);
	t.false(lines.some((l) => l.includes("app/camera") && l.startsWith("native")));
	t.not(moddableAbi("lin"), moddableAbi("esp32/esp32s3"), "mcsim's host is another");
	t.regex(moddableAbi("esp32/esp32s3"), /^[0-9a-f]{16}$/);
});
