export { P2P, P2PEvent, MAX_SESSIONS, PULL_MS, type Chunk, type Handle, type P2PCallbacks, type P2POptions } from "./camera-p2p.js";
export { Link, type NativeWire, type WireTake } from "./link.js";
export { datagramKind, type DatagramKind } from "./demux.js";
export { P2PViewer, type ViewerOptions } from "./viewer.js";
export { P2pCodes, P2pError } from "./errors.js";
export { parseStreamParams, type StreamParams } from "./params.js";
export { Checks, choosePath, gather, MoveWatch, placeOf, type CheckResult } from "./checks.js";
export { isStun } from "./stun.js";
export { pathKind, pathType, type PathFacts } from "./path.js";
