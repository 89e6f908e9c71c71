// ivxs/platform on the headless Linux host (modules/app/platform.d.ts): the
// host's own modules already have the contract's shape.
import { nowMicroseconds } from "ivxs/host";
export { readFile, makeDirectory, FileWriter } from "ivxs/file";
export { argv, memory, log, exit, collectGarbage, addresses as localAddresses } from "ivxs/host";
export { Digest, sha256, hmacSha256, hmacSha1, md5 } from "ivxs/crypto";
export { default as TLSSocket } from "embedded:io/socket/tcp/tls";
export { default as Preference } from "preference";

export const now = Date.now;
export function monotonic() {
	return nowMicroseconds() / 1000;
}
