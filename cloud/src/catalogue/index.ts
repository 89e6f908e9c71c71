// The catalogue: the one owner of the SQL on streams, segments, recording
// files and their HLS numbers (schema.ts). Ingest, playback, recordings and
// retention call these named operations.
import "./schema.js"; // declares the tables (its exports are types only)
export type { RecordingFile, SegmentRow, StreamRow } from "./schema.js";
export { addStream, endStream, hlsNumbersOf, initUses, streamOf } from "./streams.js";
export { forgetDeviceRecordings } from "./forget-device.js";
export { addSegment, deviceLock, newestSegments, orderConflict, segmentAt, segmentsBetween, segmentsOverlapping, type Added, type NewSegment } from "./segments.js";
export {
	abandonFile, doneFile, forgetAbandonedFiles, listFiles, markFileDeleted, openWindows, publishFile, reserveFile, windowSegments,
	type NewFile, type OpenWindow, type SegmentPiece,
} from "./files.js";
export {
	addDropped, devicesWithSegments, dropEmptyFiles, dropExpiredLiveOnly, markLiveOnly, dropFileSegments, dropSegment, dropSegmentsBefore, forgetDeletedRecordings, oldestFile,
	oldestUnassembledSegment, recordedUsage, recordingUses, type DroppedKeys, type Oldest,
} from "./upkeep.js";
