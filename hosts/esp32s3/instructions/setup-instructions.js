// setup/instructions: the cores' instruction counters (icount.c) start before the app does,
// so `node bench/run.mjs board_s3` reads whole seconds of each load from the console.
import { start } from "ivxs/instructions";

export default function (done) {
	try {
		if (!start()) trace("instructions: counted in release builds only (npm run board -- build --release)\n");
	}
	catch (error) {
		trace(`instructions: ${error.message}\n`);
	}
	done();
}
