// Status codes are one namespace (native/common/ivxs_status.h): each module's
// codes sit in its own range, no two share a value, every code has a row in its
// module's table (name + message), and each module's `codes` export names
// exactly its C codes — so callers can match errors by code.
import test from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./_host.mjs";

const read = (file) => readFileSync(join(root, file), "utf8");
// "IVXS_X_EFOO = -201" enumerators of a header.
const enumerators = (file) => [...read(file).matchAll(/\b(IVXS_(?:[A-Z0-9]+_)?E[A-Z0-9_]+) = (-\d+)/g)].map(([, name, value]) => ({ name, value: Number(value) }));
const exported = (file) => [...read(file).slice(read(file).indexOf("export const codes")).matchAll(/"(IVXS_[A-Z0-9_]+)"/g)].map(([, name]) => name);

const modules = [
	{ header: "native/common/ivxs_status.h", js: "native/common/codes.js", table: "native/common/ivxs_kit.c", ranges: [[-99, -1], [-599, -500]] },
	{ header: "native/capture/capture.h", js: "native/capture/capture.js", table: "native/capture/capture_common.c", ranges: [[-199, -100]] },
	{ header: "native/ring/ring.h", js: "native/ring/ring.js", table: "native/ring/ring.c", ranges: [[-299, -200]] },
	{ header: "native/annexb/annexb.h", js: "native/annexb/annexb.js", table: "native/annexb/annexb.c", ranges: [[-399, -300]] },
	{ header: "native/p2p/p2p.h", js: "native/p2p/p2p.js", table: "native/p2p/p2p_session.c", ranges: [[-499, -400]] },
	{ header: "native/webrtc/webrtc.h", js: "native/webrtc/webrtc.js", table: "native/webrtc/webrtc_status.c", ranges: [[-699, -600]] },
];

test("no two status codes share a value", (t) => {
	const all = modules.flatMap((m) => enumerators(m.header));
	const byValue = new Map();
	for (const { name, value } of all) byValue.set(value, [...(byValue.get(value) ?? []), name]);
	t.deepEqual([...byValue.values()].filter((names) => names.length > 1), []);
	t.true(all.length > 60);
});

for (const m of modules) {
	test(`${m.header}: codes in the module's range, each in its table, all exported by ${m.js}`, (t) => {
		const codes = enumerators(m.header);
		t.true(codes.length > 0);
		for (const { name, value } of codes)
			t.true(m.ranges.some(([low, high]) => value >= low && value <= high), `${name} = ${value} is outside ${JSON.stringify(m.ranges)}`);
		const table = read(m.table);
		for (const { name } of codes) t.regex(table, new RegExp(`IVXS_STATUS\\(${name}, "`), `${name} has no row in ${m.table}`);
		t.deepEqual(exported(m.js).sort(), codes.map((c) => c.name).sort());
	});
}
