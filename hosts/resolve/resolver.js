// The name resolver of every host (embedded:network/dns/resolver), in the shape of the Moddable
// SDK's (modules/network/dns/dnsresolver.js, whose `Net._resolve` the SDK's `net` no longer has):
// one lookup per instance, answered once with onResolved(address) — an IPv4 address as text — or
// onError(error), `this` the resolver (its `target` is options.target). close() before the
// answer: no callback. The lookup is the platform's getaddrinfo on a thread (resolve.c).
function resolve(host, callback) @ "xs_ivxs_resolve";

/** The DNS servers (1 to 3 IPv4 addresses) lookups ask in place of DHCP's: true on a board; false
 * where the resolver is the system's (Linux, mcsim), which this does not change. */
export function useServers(servers) @ "xs_ivxs_resolve_servers";

export default class Resolver {
	#onResolved;
	#onError;
	constructor(options) {
		const { host, onResolved, onError } = options ?? {};
		this.#onResolved = onResolved;
		this.#onError = onError;
		if (options?.target !== undefined) this.target = options.target;
		resolve(host, (address, why) => this.#answer(address, why));
	}
	#answer(address, why) {
		const onResolved = this.#onResolved, onError = this.#onError;
		this.close();
		if (address !== undefined) onResolved?.call(this, address);
		else onError?.call(this, new Error(why || "no address"));
	}
	close() {
		this.#onResolved = undefined;
		this.#onError = undefined;
	}
}
Object.freeze(Resolver.prototype);
