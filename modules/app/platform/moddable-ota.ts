/*
 * ivxs/platform-ota on Moddable ESP32 builds (hosts/esp32s3/manifest.json maps it here; mcsim's
 * is moddable-no-ota.ts): the app layer's OTA slots (modules/ota/slots.ts) on the board.
 *
 *   slots     flash-slots.ts: the mod partitions "xs_a" / "xs_b" (partitions.csv) through
 *             ECMA-419 embedded:storage/flash (flash-payload.ts: erase ahead, progress marks),
 *             small records in `preference` (NVS), two copies each (board-records.ts)
 *   record    the slot record of hosts/esp32s3/ota_slots.c (NVS, decided at boot before XS maps
 *             a mod) through its natives, module ivxs/ota-board
 *   crypto    the SDK's crypt: SHA-256 (Digest) and ECDSA P-256 (modules/crypt/etc/ecdsa.js over
 *             its C big-number arithmetic, the verifier its TLS uses for certificates)
 *   abi       this build's host ABI (scripts/moddable-abi.mjs, the manifest's config.otaAbi)
 *
 * This module is preloaded: its body runs in the XS linker, so it builds frozen objects only
 * and touches no native, flash or preference before a method is called.
 */
import Flash from "embedded:storage/flash";
import config from "mc/config";
import { confirm, fail, restart as boardRestart, stage, status } from "ivxs/ota-board";
// The SDK's ECDSA, curve and point are .js without declarations (as hmac, moddable.ts).
// @ts-ignore
import ECDSA from "ecdsa";
// @ts-ignore
import Curve from "curve";
// @ts-ignore
import ECPoint from "ecp";
import type { OtaSlots } from "../../ota/slots.js";
import type { KeyValueStore } from "./board-records.js";
import { flashSlots } from "./flash-slots.js";

/** What ivxs/platform passes in: its lazily loaded preference and its SDK digest. */
export interface BoardServices {
	preference: KeyValueStore;
	sha256(data: Uint8Array): ArrayBuffer;
	digest(): { update(data: Uint8Array): unknown; digest(): ArrayBuffer; close(): void };
}

/** r || s must both lie in [1, n - 1] (the SDK's verifier does not check it). */
function inOrder(bytes: Uint8Array, n: bigint): boolean {
	const value = (BigInt as unknown as { fromArrayBuffer(buffer: ArrayBuffer): bigint }).fromArrayBuffer(bytes.slice().buffer);
	return value > 0n && value < n;
}
Object.freeze(inOrder);

function verifyP256(services: BoardServices, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
	if (publicKey.length !== 65 || publicKey[0] !== 4 || signature.length !== 64) return false;
	const curve = new Curve("secp256r1");
	if (!inOrder(signature.subarray(0, 32), curve.n) || !inOrder(signature.subarray(32), curve.n)) return false;
	try {
		return new ECDSA(ECPoint.fromOctetString(publicKey.slice()), curve).verify(services.sha256(message), signature.slice().buffer) === true;
	}
	catch {
		return false;   // a point the arithmetic refuses
	}
}
Object.freeze(verifyP256);

const record = Object.freeze({ status, stage, confirm, fail });

export function boardSlots(options: BoardServices): OtaSlots {
	const services = options;   // a const for the closures (XS: a preloaded closure keeps only consts)
	return flashSlots(Object.freeze({   // frozen: made in the XS linker (preload)
		record,
		openFlash: (path: string) => Flash.open({ path }),
		preference: services.preference,
		abi: () => String(config.otaAbi ?? ""),   // none: every bundle is refused ("abi")
		sha256: services.sha256,
		verifyP256: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => verifyP256(services, publicKey, message, signature),
		digest: services.digest,
	}));
}

/** The board's supervisor: exit() restarts it (the next boot decides the slot). */
export const restart: (() => void) | undefined = boardRestart;
