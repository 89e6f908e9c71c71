// setup/board-figures: the counters (counters.c) start before the app does, so `node bench/run.mjs
// board_s3` reads whole seconds of each load from the console.
import { start } from "ivxs/board-figures";

export default function (done) {
	try {
		if (!start()) trace("board figures: counted in release builds only (npm run board -- build --release)\n");
	}
	catch (error) {
		trace(`board figures: ${error.message}\n`);
	}
	done();
}
