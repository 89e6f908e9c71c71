/**
 * The storage plan as the camera holds it: the schema and its validation are the protocol's
 * (modules/protocol/plan.ts); what a camera does before it has heard from the cloud is its own.
 */
import { defaultPlan, type Plan } from "../protocol/plan.js";

export { parsePlan, planCovers, PlanError, type Plan, type PlanMode } from "../protocol/plan.js";

/** What a device does before it has heard from the cloud: nothing is uploaded. */
export const NO_PLAN: Readonly<Plan> = Object.freeze({ ...defaultPlan(), rev: 0, mode: "none", push: false });
