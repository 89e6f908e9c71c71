/*
 * `capture` on the ESP32-S3 build: THE missing piece of the board camera. The
 * camera app (modules/app/camera.ts) is the same on every host; on this board
 * nothing pushes frames into the ring yet — a board camera source (the
 * esp32-camera JPEG sensor + esp_h264, behind native/capture's source
 * interface) comes with the board camera issue. Until then every channel's
 * capture fails here: the app logs "channel N: no capture (no camera source on
 * this board yet)" and runs the rest (control channel, plan, presence).
 * The shape is what the app uses of native/capture/capture.d.ts.
 */
import type { Ring } from "ring";

const missing = "no camera source on this board yet";

export class Capture {
	constructor(_options: { ring: Ring; [option: string]: unknown }) {
		throw new Error(missing);
	}
	start(): void { throw new Error(missing); }
	stop(): void {}
	close(): void {}
	stats(): { running: boolean } { return { running: false }; }
	still(): { data: ArrayBuffer; timestamp: number } { throw new Error(missing); }
}
Object.freeze(Capture.prototype);
export default Capture;
