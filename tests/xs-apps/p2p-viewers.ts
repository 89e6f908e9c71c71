// Many viewers in one XS process for tests/camera-viewers.test.mjs: each mints a ticket as the
// cloud does (modules/protocol), connects to the camera app's P2P port, watches live for N
// seconds; prints one "@@viewers [{ frames, bytes, firstKey, error }…]" line.
//   ivxs tests/xs-apps/p2p-viewers -- PORT DEVICE SECRET COUNT SECONDS
import Timer from "timer";
import { Rights } from "p2p";
import { argv, exit, hmacSha256, monotonic } from "ivxs/platform";
import { mintTicket } from "../../modules/protocol/ticket.js";
import { P2PViewer } from "../../modules/p2p/index.js";

export default function main(): void {
	const [port, device, secret, count, seconds] = argv();
	const seen: Array<{ frames: number; bytes: number; firstKey: boolean; error: string }> = [];
	const viewers: P2PViewer[] = [];
	for (let i = 0; i < Number(count); i++) {
		const { ticket, psk } = mintTicket(hmacSha256, Uint8Array.from(secret, (c) => c.charCodeAt(0)), {
			rights: Rights.live, expiryS: Math.floor(Date.now() / 1000) + 60, device, viewer: `viewer-${i}`,
		});
		const mine = { frames: 0, bytes: 0, firstKey: false, error: "" };
		seen.push(mine);
		const viewer = new P2PViewer({
			address: "127.0.0.1", port: Number(port), ticket, psk, monotonic,
			onFrame(bytes, info) {
				if (!mine.frames) mine.firstKey = info.key;
				mine.frames++;
				mine.bytes += bytes.byteLength;
			},
		});
		viewers.push(viewer);
		viewer.connect().then(() => viewer.open("action=live")).catch((error: Error) => { mine.error = error.message; });
	}
	Timer.set(() => {
		trace(`@@viewers ${JSON.stringify(seen)}\n`);
		for (const viewer of viewers) viewer.close();
		Timer.set(() => exit(0), 50);
	}, Number(seconds) * 1000);
}
