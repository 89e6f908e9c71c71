/**
 * Which path a session takes (issue 14 §4: the camera's report, the console, `npm run view`'s line),
 * judged the way ICE names a candidate pair (RFC 8445 §5.1.1): the worse of the two ends, in the
 * order host, srflx, prflx, relay. The far end is the address the session sends to now (the
 * transport's sessionStats().peer, which follows a validated move) looked up among the candidates
 * that side offered — an address it did not offer is peer-reflexive. Our end is relayed when the
 * peer's datagrams come through our TURN allocation, server-reflexive when the other side saw our
 * connectivity check come from an address that is not one of ours (a NAT between), else host.
 */
import { PATH_TYPES, type Candidate, type PathType } from "../protocol/signal.js";

export interface PathFacts {
	/** The peer's datagrams come through our TURN relay. */
	relayed: boolean;
	/** What the other side offered (signalling). */
	offered: readonly Candidate[];
	/** Where the other side saw our check to this peer come from (undefined: no check answered). */
	mapped?: { address: string; port: number };
	/** Our own interface addresses (our host candidates). */
	hosts: readonly string[];
}

const worse = (a: PathType, b: PathType): PathType => PATH_TYPES.indexOf(a) >= PATH_TYPES.indexOf(b) ? a : b;

export function pathType(peer: { address: string; port: number }, facts: PathFacts): PathType {
	if (facts.relayed) return "relay";
	const far = facts.offered.find((c) => c.address === peer.address && c.port === peer.port)?.type ?? "prflx";
	const near = !facts.mapped || facts.hosts.includes(facts.mapped.address) ? "host" : "srflx";
	return worse(far, near);
}

/** A session's path as the viewer's line and the console say it: relayed through TURN, or direct. */
export const pathKind = (type: PathType): "direct" | "relayed" => type === "relay" ? "relayed" : "direct";
