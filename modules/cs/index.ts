export { CloudStorage, CsError, type CloudStorageOptions, type CsErrorCode, type CsFrame, type CsInitOptions } from "./cloud-storage.js";
export { CloudControl, type ControlOptions } from "./control.js";
export { NO_PLAN, parsePlan, planCovers, PlanError, type Plan, type PlanMode } from "./plan.js";
export { Recorder, type Gap, type RecorderOptions, type RecorderStats } from "./recorder.js";
export { ClipPolicy, type ClipSettings } from "./clip.js";
