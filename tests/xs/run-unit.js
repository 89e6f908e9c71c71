// Entry for running one compiled unit-test file on the XS host:
//   ivxs ivxs/test-runner -- tests/unit/foo.test
// Prints one "@@ivxs-test <json>" line per test and "@@ivxs-done <json>" at
// the end, read by tests/xs-unit.test.mjs on the Node side.
import { runRegistered } from "ava";
import { argv, exit } from "ivxs/host";
import * as annexb from "annexb";
import { useNativeAnnexB } from "modules/media/annexb";

export default async function main() {
	const [file] = argv();
	// On XS the media layer uses the Annex-B rules in C, as the app does (Node runs the JS reference).
	useNativeAnnexB(annexb);
	let passed = 0, failed = 0;
	const emit = (tag, value) => trace(`@@ivxs-${tag} ${JSON.stringify(value)}\n`);
	try {
		await import(file);
	}
	catch (error) {
		emit("done", { passed, failed: 1, loadError: `${error?.name}: ${error?.message}\n${error?.stack ?? ""}` });
		exit(1);
		return;
	}
	await runRegistered((result) => {
		if (result.ok) passed++;
		else failed++;
		emit("test", result);
	});
	emit("done", { passed, failed });
	exit(failed ? 1 : 0);
}
