import Timer from "timer";
export default function () {
	const order = [];
	const start = Date.now();
	Timer.set(() => order.push("30"), 30);
	Timer.set(() => order.push("10"), 10);
	Timer.set(() => order.push("10b"), 10);   // same deadline: creation order
	Timer.set(() => order.push("0"));
	let n = 0;
	Timer.repeat((id) => { order.push("r" + ++n); if (n === 3) Timer.clear(id); }, 12);
	const later = Timer.set(() => order.push("never"), 5);
	Timer.clear(later);
	Timer.clear(later);            // harmless twice
	const resched = Timer.set(() => order.push("rescheduled"), 1000);
	Timer.schedule(resched, 20);
	const parked = Timer.set(() => order.push("parked"), 1);
	Timer.schedule(parked);        // unscheduled: never fires
	Promise.resolve().then(() => order.push("job"));
	Timer.set(() => {
		Timer.clear(parked);
		const elapsed = Date.now() - start;
		trace(order.join(",") + "\n");
		trace(elapsed >= 60 ? "elapsed ok\n" : `elapsed too short ${elapsed}\n`);
	}, 60);
	try { Timer.set(() => {}, -1); } catch (e) { trace(`${e.name}: ${e.message}\n`); }
	try { Timer.set(42, 1); } catch (e) { trace(`${e.name}: ${e.message}\n`); }
}
