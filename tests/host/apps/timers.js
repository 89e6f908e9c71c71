import Timer from "timer";
// Deadlines 50 ms or more apart where the order is checked: under qemu (the 32-bit host on a
// kernel without IA32) and a loaded suite, creating these timers once took over 18 ms, and a
// 12-ms repeat created after a 30-ms timer was due after it.
export default function () {
	const order = [];
	const start = Date.now();
	Timer.set(() => order.push("150"), 150);
	Timer.set(() => order.push("50"), 50);
	Timer.set(() => order.push("50b"), 50);   // same deadline: creation order
	Timer.set(() => order.push("0"));
	let n = 0;
	Timer.repeat((id) => { order.push("r" + ++n); if (n === 3) Timer.clear(id); }, 60);
	const later = Timer.set(() => order.push("never"), 25);
	Timer.clear(later);
	Timer.clear(later);            // harmless twice
	const resched = Timer.set(() => order.push("rescheduled"), 1000);
	Timer.schedule(resched, 100);
	const parked = Timer.set(() => order.push("parked"), 5);
	Timer.schedule(parked);        // unscheduled: never fires
	Promise.resolve().then(() => order.push("job"));
	Timer.set(() => {
		Timer.clear(parked);
		const elapsed = Date.now() - start;
		trace(order.join(",") + "\n");
		trace(elapsed >= 300 ? "elapsed ok\n" : `elapsed too short ${elapsed}\n`);
	}, 300);
	try { Timer.set(() => {}, -1); } catch (e) { trace(`${e.name}: ${e.message}\n`); }
	try { Timer.set(42, 1); } catch (e) { trace(`${e.name}: ${e.message}\n`); }
}
