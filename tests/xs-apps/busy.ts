// A known JS load for tests/cpu-profile.test.mjs: `spin` takes ~4/5 of the time, `idle` the rest,
// in timer callbacks with waits between them (the time the host waits must not count).
//   ivxs tests/xs-apps/busy -- MS
import Timer from "timer";
import { argv, exit } from "ivxs/platform";

function work(ms: number): number {
	let x = 0;
	for (const end = Date.now() + ms; Date.now() < end;) x = (x * 31 + 7) % 1000003;
	return x;
}
// (not `return work(…)`: XS makes a call in tail position a tail call, whose frame replaces the caller's)
function spin(): number { const x = work(8); return x + 1; }
function idle(): number { const x = work(2); return x + 1; }

export default function main(): void {
	const end = Date.now() + Number(argv()[0] ?? 600);
	const timer = Timer.repeat(() => {
		spin();
		idle();
		if (Date.now() >= end) {
			Timer.clear(timer);
			exit(0);
		}
	}, 20);
}
