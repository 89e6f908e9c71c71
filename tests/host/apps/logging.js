import { log } from "ivxs/host";
import Timer from "timer";
export default function () {
	log.error("an error");
	log.warn("a warning");
	log.info("some info");
	log.debug("a detail");
	const start = Date.now();
	Timer.delay(30);
	trace(Date.now() - start >= 30 ? "delay ok\n" : "delay too short\n");
}
