// embedded:io/analog in the emulator build: QEMU's S3 has no ADC — ESP-IDF's ADC driver calibrates
// the converters when it is linked (a constructor, before app_main) and waits forever for a
// conversion the emulator never finishes. The camera app reads no analog input; the SDK preloads
// this module, so it stays, refusing to open.
export default class Analog {
	constructor() {
		throw new Error("no ADC in the emulated ESP32-S3");
	}
}
