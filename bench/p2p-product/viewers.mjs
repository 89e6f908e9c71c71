// `npm run view`'s viewers as the P2P product benches start them (scripts/view.mjs: one XS viewer
// process each, fMP4 thrown away), and waiting for the camera to report them connected.
import { Writable } from "node:stream";
import { sleep } from "../lib.mjs";
import { view } from "../../scripts/view.mjs";

/** `n` viewers at once for `seconds`; each resolves with its exit code (-1: it failed to start). `onReport(kind, report)`: their reports.
 * `token`: an API token, or several taken in turn (the cloud lets one user hold MAX_SESSIONS_PER_VIEWER of a camera's sessions). */
export function startViewers(n, { device, cloud, token, seconds, onReport, log = () => {} }) {
	const sink = () => new Writable({ write(_chunk, _encoding, done) { done(); } });
	const tokens = [token].flat();
	return Array.from({ length: n }, (_, i) => view({ device, cloud: cloud.url, token: tokens[i % tokens.length], out: "-", format: "fmp4", seconds, quiet: true }, { output: sink(), onReport })
		.catch((error) => {
			log(`p2p_product: a viewer failed: ${error.message}`);
			return -1;
		}));
}

/** The cloud's list of the device's sessions once `n` are connected and watching live (or what it holds after `ms`). */
export async function connected(api, device, n, ms = 30000) {
	let open = [];
	for (const asked = Date.now(); Date.now() - asked < ms; await sleep(250)) {
		open = (await api(`/v1/devices/${device}/p2p`)).sessions.filter((s) => s.connected && s.action === "live");
		if (open.length >= n) break;
	}
	return open;
}
