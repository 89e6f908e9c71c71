/*
 * Where the camera's device file (device-file.ts) comes from: a file named on
 * the command line (--device; the manifest's config.args on Moddable builds),
 * or the one provisioned into the device's persistent storage — how a board
 * with no file system of its own keeps who it is across restarts.
 */
import { Preference, readFile } from "ivxs/platform";
import { utf8Decode, utf8Encode } from "../net/bytes.js";

// As bytes: a string preference is capped at 3999 bytes (the ESP32's NVS), and
// a device file with its CA may be longer.
const DOMAIN = "ivxs", KEY = "device";

/** A file's text (UTF-8). */
export const readText = (path: string): string => utf8Decode(new Uint8Array(readFile(path)));

export function readDeviceFile(path?: string): string {
	if (path) return readText(path);
	const stored = Preference.get(DOMAIN, KEY);
	if (!(stored instanceof ArrayBuffer)) throw new Error("none given (--device FILE) and none provisioned");
	return utf8Decode(new Uint8Array(stored));
}

export function provision(text: string): void {
	Preference.set(DOMAIN, KEY, utf8Encode(text).buffer as ArrayBuffer);
}
