// embedded:network/dns/resolver on every host (resolver.js): one lookup per instance.
export interface ResolverOptions {
	/** A DNS name (or an address, answered as it is). */
	host: string;
	target?: unknown;
	/** Once, with the first IPv4 address the name has, as text. */
	onResolved?(this: Resolver, address: string): void;
	/** Once, when the name has no IPv4 address or the lookup failed: the error says why. */
	onError?(this: Resolver, error: Error): void;
}
export default class Resolver {
	constructor(options: ResolverOptions);
	target?: unknown;
	/** No callback after it. */
	close(): void;
}
/** The DNS servers (1 to 3 IPv4 addresses) lookups ask in place of DHCP's: true on a board;
 * false where the resolver is the system's (Linux, mcsim), which this does not change. */
export function useServers(servers: readonly string[]): boolean;
