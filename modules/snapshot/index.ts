/** ivxs snapshots (SPEC §3): when each channel's still goes up, and the upload itself. */
export {
	MAX_INTERVAL_MS, MIN_INTERVAL_MS, SnapshotScheduler,
	type ChannelState, type ChannelStats, type SchedulerTimer, type SnapshotCounts, type SnapshotScheduleOptions, type SnapshotUpload,
} from "./schedule.js";
export { SnapshotUploadError, uploadSnapshot, type SnapshotResult } from "./upload.js";
export { StillsOnDemand, type StillCounts, type StillUpload } from "./on-demand.js";
