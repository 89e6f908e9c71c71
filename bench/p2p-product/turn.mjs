// First frame over TURN (issue 14 §5), beside the direct path across NATs as the baseline, in the
// topology the P2P tests build (tests/_netns.mjs: nftables NATs in network namespaces; coturn as
// STUN and TURN server, tests/_coturn.mjs; the cloud in this process on the namespaces' "internet"):
//   relayed — the camera behind a symmetric NAT, the viewer behind a cone NAT: only TURN works;
//   direct  — both behind cone NATs: the server-reflexive candidates connect (srflx).
// The camera app runs in its namespace (P2P started by the cloud's offer), `npm run view` in the
// viewer's (scripts/view.mjs with an API token, fMP4 to /dev/null), 3 viewers one after another
// per topology: first_frame_ms is the viewer's "first frame N ms after asking the cloud" (ticket,
// candidates, checks, HELLO, the open, the first key frame). Needs root (namespaces, nftables) and
// coturn; without them, `skipped` says why.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { median, round, sleep } from "../lib.mjs";
import { inProcessCloud } from "../in-process-cloud.mjs";
import { natTopology } from "../../tests/_netns.mjs";
import { startCoturn } from "../../tests/_coturn.mjs";
import { startCamera } from "./camera.mjs";

const RUNS = 3;

/** What a teardown-taking helper of the tests needs: `t.teardown(fn)`, run in reverse by `done()`. */
export function teardowns() {
	const fns = [];
	return { teardown: (fn) => fns.push(fn), async done() { for (const fn of fns.reverse()) await fn(); } };
}

/** `npm run view` in the viewer's namespace; resolves with its stderr and exit code. */
function viewIn(root, topo, cloud, token, device) {
	const child = spawn("ip", ["netns", "exec", topo.ns.viewh, process.execPath, join(root, "scripts/view.mjs"), device, "--cloud", cloud.url, "-o", "/dev/null", "--seconds", "3"],
		{ cwd: root, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, IVXS_TOKEN: token } });
	let stderr = "";
	child.stderr.on("data", (chunk) => (stderr += chunk));
	return new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr })));
}

async function firstFrames(root, work, channel, nats, log) {
	const t = teardowns();
	try {
		const topo = natTopology(t, nats);
		const turn = await startCoturn(t, topo.publicAddress);
		const server = `${turn.address}:${turn.port}`;
		const { cloud, api, addDevice } = await inProcessCloud(root, join(work, `cloud-${nats.camera}`), { host: topo.publicAddress, stunServers: [server], turnServers: [server], turnSecret: turn.secret });
		t.teardown(() => cloud.stop());
		const { token } = await api("/v1/tokens", { method: "POST" });
		const device = await addDevice({ id: "bench-turn" });
		const file = join(work, `turn-${nats.camera}.json`);
		writeFileSync(file, JSON.stringify({ id: device.id, secret: device.secret, cloud: cloud.url, channels: [channel] }));
		const camera = startCamera(root, ["--device", file, "--seconds", "60"], { ns: topo.ns.camh });
		t.teardown(() => camera.stop());
		await camera.line("control channel connected");
		await sleep(1000);
		const runs = [];
		for (let i = 0; i < RUNS; i++) {
			const { code, stderr } = await viewIn(root, topo, cloud, token, device.id);
			const ms = Number(/first frame (\d+) ms/.exec(stderr)?.[1]);
			const path = /path: (\w+) via (\w+)/.exec(stderr);
			runs.push({ code, ms, path: path ? `${path[1]} ${path[2]}` : undefined });
			if (code !== 0) log(`p2p_product: a viewer across ${JSON.stringify(nats)} exited ${code}: ${stderr.slice(-400)}`);
			await sleep(500);
		}
		const ok = runs.filter((r) => r.code === 0 && Number.isFinite(r.ms));
		return { nats, paths: [...new Set(runs.map((r) => r.path))], runs: runs.map((r) => r.ms), first_frame_ms: ok.length ? { median: median(ok.map((r) => r.ms)), max: Math.max(...ok.map((r) => r.ms)) } : undefined, viewers_ok: ok.length };
	}
	finally {
		await t.done();
	}
}

export async function benchTurn(root, work, channel, log) {
	if (process.getuid?.() !== 0) return { skipped: "needs root (network namespaces, nftables NATs): run as root, as CI does" };
	if (spawnSync("turnserver", ["--help"], { stdio: "ignore" }).error || !existsSync("/usr/sbin/nft")) return { skipped: "no coturn or nftables (the P2P tests' own: `node scripts/test-deps.mjs` installs them)" };
	const relayed = await firstFrames(root, work, channel, { camera: "symmetric", viewer: "cone" }, log);
	log(`p2p_product: first frame relayed ${JSON.stringify(relayed)}`);
	const direct = await firstFrames(root, work, channel, { camera: "cone", viewer: "cone" }, log);
	log(`p2p_product: first frame direct across NATs ${JSON.stringify(direct)}`);
	return {
		relayed, direct,
		first_frame_turn_ms: relayed.first_frame_ms?.median,
		ratio_turn_vs_direct_srflx: relayed.first_frame_ms && direct.first_frame_ms ? round(relayed.first_frame_ms.median / direct.first_frame_ms.median, 2) : undefined,
	};
}
