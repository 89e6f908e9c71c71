// Stays alive doing nothing until killed: for idle-RSS measurement.
import Timer from "timer";
export default function main() {
	trace("ready\n");
	Timer.repeat(() => {}, 60000);
}
