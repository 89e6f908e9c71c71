export { LocalStore, type LocalStoreOptions, type StoreFiles, type StoredSegment } from "./local-store.js";
export { LocalRecorder, type LocalRecorderOptions, type SegmentWriter } from "./local-recorder.js";
export { Playback, PIECE_BYTES, MAX_SPEED, type PlaybackChunk } from "./playback.js";
export { parseSegmentName, segmentName, partName, isPartName, type SegmentSpan } from "./naming.js";
export { trimOldest } from "./oldest-first.js";
export { encodeIndex, decodeIndex, indexBytes, indexSize, MFRO_BYTES, type IndexEntry } from "./time-index.js";
