// The hello app: what the snapshot and start-up benchmarks boot.
import Timer from "timer";
const greeting = ["hello", "from", "ivxs"].join(" ");   // computed at preload time in a snapshot
export default function main() {
	trace(`${greeting}\n`);
	Timer.set(() => trace("timer fired\n"), 1);
	Promise.resolve(42).then((v) => trace(`job ${v}\n`));
}
