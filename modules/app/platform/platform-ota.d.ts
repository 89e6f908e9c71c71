// "ivxs/platform-ota" for our own tsconfig (which sees every file at once): Moddable manifests map
// it to moddable-ota.ts (ESP32) or moddable-no-ota.ts (mcsim), and the SDK's tsc sees only that one.
declare module "ivxs/platform-ota" {
	export const boardSlots: ((services: import("./moddable-ota.js").BoardServices) => import("../../ota/slots.js").OtaSlots) | undefined;
	export const restart: (() => void) | undefined;
}
