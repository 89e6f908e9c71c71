/** Reconnect timing, shared by the clients (pure: tested under Node and XS). */

/**
 * The wait before reconnect attempt `attempt` (0, 1, …): `minDelay` doubling up to `maxDelay`,
 * then a random point (`random` in [0, 1)) between half of it and all of it ("equal jitter"):
 * never less than half the ceiling, so a broker coming back is not hammered, and spread so a
 * fleet that lost it together does not return together.
 */
export function backoffDelay(attempt: number, minDelay: number, maxDelay: number, random: number): number {
	const ceiling = Math.min(maxDelay, minDelay * 2 ** Math.min(attempt, 30));
	return Math.round(ceiling / 2 + random * (ceiling / 2));
}
