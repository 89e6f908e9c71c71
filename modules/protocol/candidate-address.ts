/**
 * Which addresses a P2P candidate may name (issue 27 item 2): a viewer's candidates make the camera
 * send STUN checks there, so only a unicast address another host can own is checked — never the
 * unspecified block (0/8, ::), broadcast, multicast or IPv4's reserved 240/4; loopback and
 * link-local only when the caller's configuration allows them (a test rig on one host, a LAN with no
 * DHCP). One rule for the cloud (it forwards no such candidate to the camera) and the camera (it checks no such
 * candidate), in IPv4 dotted-quad and IPv6 text forms (RFC 4291 §2.2; no zone index: a candidate
 * names no interface). Pure ES2022: runs on XS.
 */

import { pattern } from "./pattern.js";

export interface CandidateAddressOptions {
	/** 127/8 and ::1 (off by default). */
	loopback?: boolean;
	/** 169.254/16 and fe80::/10 (off by default). */
	linkLocal?: boolean;
}

const DECIMAL_OCTET = pattern(/^(0|[1-9]\d{0,2})$/);
const HEX_GROUP = pattern(/^[0-9a-fA-F]{1,4}$/);

/** A dotted quad's four octets, or undefined (leading zeros refused: some parsers read them as octal). */
export function ipv4Octets(text: string): number[] | undefined {
	const parts = text.split(".");
	if (parts.length !== 4 || !parts.every((part) => DECIMAL_OCTET.test(part))) return undefined;
	const octets = parts.map(Number);
	return octets.every((octet) => octet <= 255) ? octets : undefined;
}

/** An IPv6 text form's eight 16-bit groups (with "::" and a trailing dotted quad), or undefined. */
export function ipv6Groups(text: string): number[] | undefined {
	const halves = text.split("::");
	if (halves.length > 2) return undefined;
	const groupsOf = (half: string): number[] | undefined => {
		if (half === "") return [];
		const parts = half.split(":");
		const out: number[] = [];
		for (let i = 0; i < parts.length; i++) {
			const part = parts[i];
			if (i === parts.length - 1 && part.includes(".")) {
				const octets = ipv4Octets(part);
				if (!octets) return undefined;
				out.push(octets[0] << 8 | octets[1], octets[2] << 8 | octets[3]);
			}
			else if (HEX_GROUP.test(part)) out.push(parseInt(part, 16));
			else return undefined;
		}
		return out;
	};
	const head = groupsOf(halves[0]);
	const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
	if (!head || !tail) return undefined;
	// A dotted quad only at the very end.
	if (halves.length === 2 && halves[0].includes(".")) return undefined;
	if (halves.length === 1) return head.length === 8 ? head : undefined;
	const missing = 8 - head.length - tail.length;
	return missing >= 1 ? [...head, ...new Array<number>(missing).fill(0), ...tail] : undefined;
}

function ipv4Allowed([a, b]: number[], opts: CandidateAddressOptions): boolean {
	if (a === 0 || a >= 224) return false;   // unspecified/"this network", multicast 224/4, reserved 240/4 and broadcast
	if (a === 127) return !!opts.loopback;
	if (a === 169 && b === 254) return !!opts.linkLocal;
	return true;
}

function ipv6Allowed(groups: number[], opts: CandidateAddressOptions): boolean {
	const [first] = groups;
	const zeroUpTo = (n: number): boolean => groups.slice(0, n).every((group) => group === 0);
	if (zeroUpTo(8)) return false;   // ::
	if (zeroUpTo(7) && groups[7] === 1) return !!opts.loopback;   // ::1
	// IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible (::a.b.c.d) forms reach the IPv4
	// address: its rule holds.
	if (zeroUpTo(5) && (groups[5] === 0xffff || groups[5] === 0)) return ipv4Allowed([groups[6] >> 8, groups[6] & 0xff], opts);
	if ((first & 0xff00) === 0xff00) return false;   // multicast ff00::/8
	if ((first & 0xffc0) === 0xfe80) return !!opts.linkLocal;   // fe80::/10
	return true;
}

/** True when a candidate naming `address` may be checked: a well-formed unicast address (see above). */
export function candidateAddressAllowed(address: string, opts: CandidateAddressOptions = {}): boolean {
	if (typeof address !== "string" || address.length > 45) return false;   // 45: the longest IPv6 text form
	const octets = ipv4Octets(address);
	if (octets) return ipv4Allowed(octets, opts);
	const groups = address.includes(":") ? ipv6Groups(address) : undefined;
	return !!groups && ipv6Allowed(groups, opts);
}

/** The candidates of `list` that may be checked: allowed addresses, each address and port once (the
 * first, in the sender's order) — one offer naming one address 8 times is one candidate. */
export function allowedCandidates<T extends { address: string; port: number }>(list: readonly T[], opts: CandidateAddressOptions = {}): T[] {
	const seen = new Set<string>();
	return list.filter(({ address, port }) => {
		const key = `${address.toLowerCase()} ${port}`;
		if (seen.has(key) || !candidateAddressAllowed(address, opts)) return false;
		seen.add(key);
		return true;
	});
}
