// A viewer on the XS host for tests/camera-p2p.test.mjs: mints a ticket as the cloud does
// (modules/protocol), connects to the camera app's P2P port, watches live for N seconds and
// prints what it saw as one "@@viewer {json}" line.
//   ivxs tests/xs-apps/p2p-viewer -- PORT DEVICE SECRET SECONDS
import Timer from "timer";
import { Rights } from "p2p";
import { argv, exit, hmacSha256, monotonic } from "ivxs/platform";
import { mintTicket } from "../../modules/protocol/ticket.js";
import { P2PViewer } from "../../modules/p2p/index.js";

export default function main(): void {
	const [port, device, secret, seconds] = argv();
	const { ticket, psk } = mintTicket(hmacSha256, Uint8Array.from(secret, (c) => c.charCodeAt(0)), {
		rights: Rights.live, expiryS: Math.floor(Date.now() / 1000) + 60, device, viewer: "test-viewer",
	});
	const seen = { frames: 0, firstKey: false, bytes: 0, lost: 0, ordered: true, error: "" };
	let last = -1;
	const viewer = new P2PViewer({
		address: "127.0.0.1", port: Number(port), ticket, psk, monotonic,
		onFrame(bytes, info) {
			if (!seen.frames) seen.firstKey = info.key;
			if (info.timestamp < last) seen.ordered = false;
			last = info.timestamp;
			seen.frames++;
			seen.bytes += bytes.byteLength;
			seen.lost += info.lost;
		},
	});
	const done = () => {
		trace(`@@viewer ${JSON.stringify(seen)}\n`);
		viewer.close();
		Timer.set(() => exit(0), 50);
	};
	viewer.connect().then(() => viewer.open("action=live")).then(() => Timer.set(done, Number(seconds) * 1000), (error: Error) => {
		seen.error = error.message;
		done();
	});
}
