/**
 * The device ↔ cloud protocol (cloud/PROTOCOL.md, native/p2p/PROTOCOL.md's tickets) in one
 * place, imported by the camera (XS), the cloud and the simulator (Node). Pure: no host
 * imports; hashing is injected.
 */
export * from "./ids.js";
export * from "./hex.js";
export * from "./ascii.js";
export * from "./keys.js";
export * from "./signing.js";
export * from "./cloud-time.js";
export * from "./topics.js";
export * from "./plan.js";
export * from "./verdict.js";
export * from "./ticket.js";
export * from "./live.js";
export * from "./still.js";
export * from "./viewer-commands.js";
export * from "./bundle.js";
export * from "./ota.js";
export * from "./signal.js";
export * from "./candidate-address.js";
