// Writes one key many times (argv: a byte to fill it with): run twice at once on one data folder.
import Preference from "preference";
import { argv } from "ivxs/host";
export default function () {
	const fill = Number(argv()[0]);
	let failed = 0;
	for (let i = 0; i < 300; i++) {
		try {
			Preference.set("ivxs", "dtls", new Uint8Array(600).fill(fill).buffer);
		}
		catch (e) {
			if (!failed++) trace(`${e.name}: ${e.message}\n`);
		}
	}
	trace(`failed ${failed}\n`);
}
