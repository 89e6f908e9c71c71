/**
 * Stills out of schedule (cloud/PROTOCOL.md §4, §5): a viewer's "snapshot now" (`cmd` of type
 * `snapshot`) and the still a camera sends with an event. Both go up as an ordinary snapshot
 * (§4); an event's still is the one whose `time` is the event's own time, which is how the cloud
 * links the two (no id to agree on, nothing new on the wire).
 */
import { isChannel } from "./ids.js";

/** The least time between two out-of-schedule stills of a channel on the camera (it drops those closer). */
export const MIN_STILL_GAP_MS = 2000;

export const snapshotCommand = (channel: number): string => JSON.stringify({ type: "snapshot", channel });

/** A `cmd` object → the channel to take a still of now, or undefined when it is not such a command (or malformed: ignored). */
export function snapshotRequestOf(command: Record<string, unknown>): number | undefined {
	return command.type === "snapshot" && isChannel(command.channel) ? command.channel : undefined;
}
