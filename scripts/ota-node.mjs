// node:crypto for OTA bundles, for the signer and the tests: the cloud's own
// (cloud/src/releases/bundle-crypto.ts, built by scripts/build.mjs), so one implementation.
import { join } from "node:path";
import { root } from "./native-modules.mjs";

export const { nodeBundleCrypto, publicKeyHex, publicKeyOf, readPublicKeys } = await import(join(root, "build/node/cloud/src/releases/bundle-crypto.js"));
