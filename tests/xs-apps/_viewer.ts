// A viewer for the camera-app P2P test apps: a ticket minted as the cloud mints it
// (modules/protocol) for `device`, and a P2PViewer that counts what arrives.
import { hmacSha256, monotonic } from "ivxs/platform";
import { mintTicket } from "../../modules/protocol/ticket.js";
import { P2PViewer } from "../../modules/p2p/index.js";

export interface Seen { frames: number; keys: number; bytes: number; lost: number; firstKey: boolean; error: string }

export function testViewer(options: { address?: string; port: number; device: string; secret: string; rights: number; id: string;
	onFrame?(bytes: ArrayBuffer, info: { key: boolean; timestamp: number; lost: number }): void }): { viewer: P2PViewer; seen: Seen } {
	const { ticket, psk } = mintTicket(hmacSha256, Uint8Array.from(options.secret, (c) => c.charCodeAt(0)), {
		rights: options.rights, expiryS: Math.floor(Date.now() / 1000) + 60, device: options.device, viewer: options.id,
	});
	const seen: Seen = { frames: 0, keys: 0, bytes: 0, lost: 0, firstKey: false, error: "" };
	const viewer = new P2PViewer({
		address: options.address ?? "127.0.0.1", port: options.port, ticket, psk, monotonic,
		onFrame(bytes, info) {
			if (!seen.frames) seen.firstKey = info.key;
			seen.frames++;
			if (info.key) seen.keys++;
			seen.bytes += bytes.byteLength;
			seen.lost += info.lost;
			options.onFrame?.(bytes, info);
		},
	});
	return { viewer, seen };
}
