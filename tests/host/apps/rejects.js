import Timer from "timer";
export default function () {
	Timer.set(() => { Promise.reject(new RangeError("nobody listens")); }, 1);
}
