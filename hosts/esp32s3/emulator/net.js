// `net` in the emulator build: what the SDK's net module answers on a board (its modNet.c asks the
// Wi-Fi driver, which the emulator image does not have), for the one question the app asks of it:
// the camera's IPv4 address (modules/app/platform/moddable.ts, its P2P host candidates).
import { address } from "openeth";

export default class Net {
	static get(name) {
		return name === "IP" ? address() : undefined;
	}
}
