// Who a connection or a request comes from, the one rule every per-address
// limit keys by (connection caps, sign-in budgets and lockouts):
// - the peer's address, unless the peer is a configured trusted proxy; then
//   X-Forwarded-For is read from the right, and the client is the right-most
//   hop that is not itself a trusted proxy (hops left of it are whatever the
//   client wrote, so they are never believed);
// - IPv4-mapped IPv6 is the IPv4 address, and IPv6 counts by /64 (one host
//   is usually given a whole /64: per-address limits must not reset with each).
import { BlockList, isIP } from "node:net";
import type { IncomingMessage } from "node:http";

export class ClientAddresses {
	#trusted = new BlockList();
	#any = false;

	/** `trusted`: addresses and CIDR ranges (IPv4 or IPv6) of the proxies in front of the service. */
	constructor(trusted: readonly string[]) {
		for (const entry of trusted) {
			const [address, bits] = entry.split("/");
			const family = isIP(address) === 6 ? "ipv6" : "ipv4";
			if (bits === undefined) this.#trusted.addAddress(address, family);
			else this.#trusted.addSubnet(address, Number(bits), family);
			this.#any = true;
		}
	}

	/** Whether `address` (a peer) is one of the trusted proxies. */
	isProxy(address: string | undefined): boolean {
		if (!this.#any || !address) return false;
		const plain = unmapped(address);
		return this.#trusted.check(plain, isIP(plain) === 6 ? "ipv6" : "ipv4");
	}

	/** The client's address for a request (X-Forwarded-For honoured only from trusted proxies). */
	ofRequest(req: IncomingMessage): string {
		let client = unmapped(req.socket.remoteAddress ?? "");
		if (!this.isProxy(client)) return client;
		const header = req.headers["x-forwarded-for"];
		const hops = (Array.isArray(header) ? header.join(",") : header ?? "").split(",");
		for (let i = hops.length - 1; i >= 0; i--) {
			const hop = hops[i].trim();
			// A hop that is not an address ends the chain: the proxy that forwarded it is the client we know.
			if (!isIP(hop)) break;
			client = unmapped(hop);
			if (!this.isProxy(client)) break;
		}
		return client;
	}
}

/** The key per-address limits count by: IPv4 as is, IPv6 by its /64. */
export function addressKey(address: string): string {
	const plain = unmapped(address);
	if (isIP(plain) !== 6) return plain;
	const [head, tail = ""] = plain.split("::");
	const left = head ? head.split(":") : [];
	const right = tail ? tail.split(":") : [];
	const groups = plain.includes("::") ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right] : left;
	return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(":")}::/64`;
}

const unmapped = (address: string) => (address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address);
