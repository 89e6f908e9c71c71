// ivxs/platform on the headless Linux host (modules/app/platform.d.ts): the
// host's own modules already have the contract's shape.
import { abi, nowMicroseconds } from "ivxs/host";
import { Digest, ecdsaP256Verify, sha256 } from "ivxs/crypto";
import { FileWriter, fileSize, makeDirectory, readFile, removeTree, renameFile, replaceFile } from "ivxs/file";
import * as slots from "ivxs/ota-host";
// The slots' files and records (an app-layer module, found in the build's module root).
import { fileSlots } from "modules/ota/file-slots.js";
export { readFile, makeDirectory, listDirectory, removeFile, renameFile, FileWriter } from "ivxs/file";
export { argv, memory, log, exit, collectGarbage, addresses as localAddresses } from "ivxs/host";
export { Digest, sha256, hmacSha256, hmacSha1, md5 } from "ivxs/crypto";
export { default as TLSSocket } from "embedded:io/socket/tcp/tls";
export { useServers as useDnsServers } from "embedded:network/dns/resolver";
export { default as Preference } from "preference";
export { firmware } from "ivxs/firmware";

export const now = Date.now;
export function monotonic() {
	return nowMicroseconds() / 1000;
}

// The OTA slots (platform.d.ts OtaSlots): the host's record (hosts/linux/src/ota.c), its files
// and mbedTLS, laid out in folders by modules/ota/file-slots.ts.
export const ota = fileSlots({
	status: slots.status,
	stage: slots.stage,
	confirm: slots.confirm,
	fail: slots.fail,
	abi,
	sha256,
	verifyP256: (publicKey, message, signature) => ecdsaP256Verify(publicKey, sha256(message), signature),
	digest: () => new Digest(),
	readFile,
	fileSize,
	openWriter: (path, append) => new FileWriter(path, { truncate: !append }),
	makeDirectory,
	removeTree,
	rename: renameFile,
	replaceFile,
});
