// Test helper: coturn (scripts/coturn.mjs) as the STUN/TURN server of the P2P tests, stopped at teardown.
import { startCoturn as start } from "../scripts/coturn.mjs";

/** Starts coturn on address (a free port); resolves with { address, port, secret, realm, log() }. */
export async function startCoturn(t, address, options) {
	const server = await start(address, options);
	t.teardown(server.stop);
	return server;
}
