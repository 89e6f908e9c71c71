// Keys derived from a device's secret. The secret itself never goes on the
// wire; each use has its own key, so a key leaked from one use (say, a P2P
// ticket verifier) does not sign uploads. Derivation: HMAC-SHA256 with the
// secret (its UTF-8 bytes) as the key and a fixed label as the message.
import { createHmac } from "node:crypto";

export const deviceSigningKey = (secret: string): Buffer => createHmac("sha256", secret).update("ivxs device v1").digest();
export const p2pTicketKey = (secret: string): Buffer => createHmac("sha256", secret).update("ivxs p2p ticket v1").digest();
