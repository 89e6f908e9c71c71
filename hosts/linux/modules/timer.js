// Moddable's `timer` module (same API): Timer.set, repeat, schedule, clear, delay.
class Timer {
	static set(callback, delay, repeat) @ "xs_timer_set";
	static repeat(callback, interval) @ "xs_timer_repeat";
	static schedule(id, delay, repeat) @ "xs_timer_schedule";
	static clear(id) @ "xs_timer_clear";
	static delay(ms) @ "xs_timer_delay";
}
Object.freeze(Timer);
export default Timer;
