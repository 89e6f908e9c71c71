/*
 * ivxs/platform-ota on mcsim (`lin`): no slots. The simulator has no flash module and no mod
 * partition — it maps the one .xsa given on its command line (hosts/moddable/README.md) — so
 * the app says "ota: off" there; the ESP32's is moddable-ota.ts.
 */
import type { OtaSlots } from "../../ota/slots.js";

export const boardSlots: ((services: object) => OtaSlots) | undefined = undefined;
export const restart: (() => void) | undefined = undefined;
