import Timer from "timer";
export default function () {
	Timer.set(() => { trace("before\n"); null.x; }, 1);
	Timer.set(() => trace("never\n"), 50);
}
